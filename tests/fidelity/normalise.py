"""How a recorded request is aimed at the emulator, and how two answers are made comparable.

Two directions:

* `rescope` turns a recorded request into one for the emulator: the host becomes the emulator's
  base URL and the recorded subscription / resource group / workspace become the emulator's,
  in the URI and in request bodies (``computeId``, long ``azureml://`` URIs).
* `canonical` turns either answer into a comparable form. Scope values become tokens
  (``{base}``, ``{sub}``, ``{rg}``, ``{ws}``, ``{workspaceId}``, ``{location}``, ``{op}``), ISO
  timestamps become ``<timestamp>``, and `Ranks` replace ``systemData`` timestamps with the
  order in which the resource's timestamps changed (``t0``, ``t1``...), so "was lastModifiedAt
  bumped by this update" is compared while the clock itself is not.

What is then compared, field by field, is in `compare`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MANAGEMENT = "https://management.azure.com"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_TOKENS = (
    # listing form of data URIs: azureml://workspaces/<workspace guid>/datastores/...
    (re.compile(r"azureml://workspaces/[^/]+"), "azureml://workspaces/{workspaceId}"),
    (re.compile(r"/subscriptions/[^/?]+", re.I), "/subscriptions/{sub}"),
    (re.compile(r"/(resourceGroups|resourcegroups)/[^/?]+", re.I), r"/\1/{rg}"),
    (re.compile(r"(?<!azureml:/)/workspaces/[^/?]+"), "/workspaces/{ws}"),
    (re.compile(r"/locations/[^/?]+"), "/locations/{location}"),
    (re.compile(r"(mfeOperationsStatus|mfeOperationResults)/[^/?]+"), r"\1/{op}"),
)


@dataclass(frozen=True)
class Target:
    """The workspace an emulator serves, as the replay addresses it."""

    base: str
    subscription: str
    resource_group: str
    workspace: str


def rescope(value: Any, recorded: tuple[str, str, str], target: Target) -> Any:
    """``value`` (a URI, a request body) with the recorded host and scope replaced."""
    if isinstance(value, dict):
        return {k: rescope(v, recorded, target) for k, v in value.items()}
    if isinstance(value, list):
        return [rescope(v, recorded, target) for v in value]
    if not isinstance(value, str):
        return value
    sub, rg, ws = (re.escape(part) for part in recorded)
    text = value.replace(MANAGEMENT, target.base)
    text = re.sub(rf"/subscriptions/{sub}(?=[/?]|$)", f"/subscriptions/{target.subscription}", text)
    text = re.sub(
        rf"/(resourceGroups|resourcegroups)/{rg}(?=[/?]|$)",
        lambda m: f"/{m.group(1)}/{target.resource_group}",
        text,
    )
    return re.sub(
        rf"(?<!azureml:/)/workspaces/{ws}(?=[/?]|$)", f"/workspaces/{target.workspace}", text
    )


def canonical(value: Any, bases: tuple[str, ...]) -> Any:
    """Scope values, hosts, operation ids and timestamps replaced by tokens."""
    if isinstance(value, dict):
        return {k: canonical(v, bases) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v, bases) for v in value]
    if not isinstance(value, str):
        return value
    if _ISO.match(value):
        return "<timestamp>"
    text = value
    for base in bases:
        text = text.replace(base, "{base}")
    for pattern, token in _TOKENS:
        text = pattern.sub(token, text)
    return text


@dataclass
class Ranks:
    """One side's ``systemData`` timestamps, replaced by the order in which they changed."""

    _seen: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def apply(self, body: Any, resource: str) -> Any:
        """``body`` with every systemData ``*At`` value ranked per resource (list items use
        their own ``id``)."""
        if isinstance(body, list):
            return [self.apply(item, resource) for item in body]
        if not isinstance(body, dict):
            return body
        own = str(body["id"]) if isinstance(body.get("id"), str) else resource
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key == "systemData" and isinstance(value, dict):
                out[key] = {k: self._rank(own, k, v) for k, v in value.items()}
            else:
                out[key] = self.apply(value, own)
        return out

    def _rank(self, resource: str, key: str, value: Any) -> Any:
        if not key.endswith("At") or not isinstance(value, str):
            return value
        seen = self._seen.setdefault((resource.lower(), key), [])
        if value not in seen:
            seen.append(value)
        return f"t{seen.index(value)}"
