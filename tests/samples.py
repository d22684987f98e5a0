"""Microsoft's published az ml YAML for connections and datastores (``tests/fixtures/aml_yaml``,
each file verbatim after its first line, which names its source and commit), pasted into a
platform.yaml as a user would: under ``connections:`` or ``datastores:``, with its name as the
key. Secrets are the one thing a user must change (platform.yaml takes only references), so
each secret field's literal value becomes ``${env:...}``; placeholders such as
``<connection-name>`` get a name, and the placeholder GUID ``XXXXXXXX-XXXX-...`` a GUID (a
datastore's tenant and client IDs must be GUIDs). Everything else, ``$schema``, ``name`` and
comments included, is pasted as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

SAMPLES = Path(__file__).parent / "fixtures" / "aml_yaml"
SECRET_VARIABLE = "SAMPLE_SECRET"
SECRET_VALUE = "sample-secret-value-1"
_SECRET_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<key>api_key|pat|password|client_secret|account_key|sas_token|"
    r"secret_access_key|key|certificate):[^#\n]*(?P<comment>\s#.*)?$",
    re.MULTILINE,
)
PLACEHOLDER_GUID = "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX"
FILLED_GUID = "00000000-0000-0000-0000-0000000000aa"
_PLACEHOLDER = re.compile(r"^name: <[^>]+>$", re.MULTILINE)


@dataclass(frozen=True)
class Sample:
    file: str
    section: str  # connections or datastores
    name: str  # the key it is pasted under
    body: str  # the YAML as pasted (secrets as references)

    @property
    def address(self) -> str:
        return f"{self.section.removesuffix('s')}.{self.name}"

    @property
    def raw(self) -> str:
        """The published YAML, as published (its source line dropped)."""
        return (SAMPLES / self.file).read_text(encoding="utf-8").split("\n", 1)[1]


def sample(file: str, name: str | None = None) -> Sample:
    text = (SAMPLES / file).read_text(encoding="utf-8").split("\n", 1)[1]
    section = "datastores" if file.startswith("datastore-") else "connections"
    stem = re.sub(r"[^a-z0-9_]", "_", file.removesuffix(".yml").lower())[:33]
    if _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(f"name: {name or stem}", text)
    written = _name(text)
    if name is not None and written is not None and written != name:
        text = re.sub(r"^name: .*$", f"name: {name}", text, count=1, flags=re.MULTILINE)
    text = text.replace(PLACEHOLDER_GUID, FILLED_GUID)
    body = _SECRET_LINE.sub(
        lambda m: f"{m['indent']}{m['key']}: ${{env:{SECRET_VARIABLE}}}{m['comment'] or ''}", text
    )
    return Sample(file, section, name or written or stem, body)


def _name(text: str) -> str | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return str(data["name"]) if isinstance(data, dict) and "name" in data else None


def all_files(section: str) -> list[str]:
    prefix = "datastore-"
    files = sorted(p.name for p in SAMPLES.glob("*.yml"))
    if section == "datastores":
        return [f for f in files if f.startswith(prefix)]
    return [f for f in files if not f.startswith(prefix)]


def unique(files: Iterable[str]) -> list[Sample]:
    """The samples of ``files``, renamed where two publish the same name (``_2``, ...)."""
    out: list[Sample] = []
    seen: dict[str, int] = {}
    for file in files:
        first = sample(file)
        count = seen.get(first.name, 0) + 1
        seen[first.name] = count
        out.append(first if count == 1 else sample(file, f"{first.name[:30]}_{count}"))
    return out


def pasted(samples: Iterable[Sample]) -> str:
    """platform.yaml with each sample pasted under its section, indented, as written."""
    sections: dict[str, list[str]] = {}
    for item in samples:
        lines = [f"    {line}" if line.strip() else "" for line in item.body.splitlines()]
        sections.setdefault(item.section, []).append(f"  {item.name}:\n" + "\n".join(lines))
    return "".join(f"{section}:\n" + "\n".join(items) + "\n" for section, items in sections.items())
