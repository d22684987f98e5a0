"""The hostile inputs: each must exit 1 with a located message, no traceback, nothing changed.

A case is a GloboRealty project (the `tests.conftest` example, local environment) with some files
replaced, a command to run and what the error must say: its first expectation is where (file,
line and column when there is a file), the others what and how to fix. `bench/hostile_bench.py`
runs the same cases through the real command to record how long each takes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import DEMO_KEY, DEMO_PASSWORD, LOCAL, PLATFORM, local_env

APPLY = ("apply", "--auto-approve")
PLAN = ("plan",)
VALIDATE = ("validate",)


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    files: Mapping[str, str | bytes | None] = field(default_factory=dict)
    """Files over the base project (None removes one); text is written as UTF-8, as is."""
    expect: tuple[str, ...] = ()
    args: tuple[str, ...] = APPLY
    env: Mapping[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    """Runs after the files are written and before the snapshot (symlinks, FIFOs, plans)."""
    never: tuple[str, ...] = ()
    """What the output must not contain (a secret, a value that would be echoed)."""


def base_files() -> dict[str, str | bytes | None]:
    return {
        "platform.yaml": PLATFORM,
        "environments/local.yaml": LOCAL,
        "environments/local.env": local_env(),
    }


def build(case: Case, root: Path) -> Path:
    """Write the case's project under ``root`` and run its setup; return ``root``."""
    for relative, content in {**base_files(), **case.files}.items():
        path = root / relative
        if content is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    if case.setup is not None:
        case.setup(root)
    return root


# --- helpers to write cases ------------------------------------------------------------------

FIELD_LINE = 24  # a field appended to the raw_house_data import lands on this line


def field_(line: str) -> dict[str, str | bytes | None]:
    """platform.yaml with one more field (``line``, unindented) in the raw_house_data import."""
    return {"platform.yaml": PLATFORM + "    " + line + "\n"}


def swap(old: str, new: str) -> dict[str, str | bytes | None]:
    assert old in PLATFORM, old
    return {"platform.yaml": PLATFORM.replace(old, new)}


def overlay(extra: str) -> dict[str, str | bytes | None]:
    return {"environments/local.yaml": LOCAL + extra}


QUERY = "query: SELECT * FROM GLOBOREALTY.REAL_ESTATE.RAW"
SCHEDULE = "schedule:\n      trigger:\n        type: recurrence\n        frequency: day\n"

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def _symlink(relative: str, target: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        link = root / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target)

    return setup


def _fifo(relative: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / relative
        path.unlink()
        os.mkfifo(path)

    return setup


def _folder(relative: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / relative
        if path.exists():
            path.unlink()
        path.mkdir(parents=True)

    return setup


def _workspace_db(content: bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        folder = root / ".reconcile/local"
        folder.mkdir(parents=True)
        (folder / "workspace.db").write_bytes(content)

    return setup


def _a_plan(edit: Callable[[str], str]) -> Callable[[Path], None]:
    """Make a real plan (reconcile plan --out plan.json), then edit it."""

    def setup(root: Path) -> None:
        from tests.hostile.runner import run_in_process

        result = run_in_process(("plan", "--out", "plan.json"), root)
        assert result.code == 0, result.stderr
        (root / "plan.json").write_text(edit((root / "plan.json").read_text()))

    return setup


# --- the cases -------------------------------------------------------------------------------

_P = "platform.yaml"
_FIELD = f"{_P}:{FIELD_LINE}:"

ENCODINGS = [
    Case(
        "latin1-platform",
        "encodings",
        {_P: PLATFORM.replace("GLOBOREALTY.REAL", "GLOBORÉALTY.REAL").encode("latin-1")},
        (f"{_P}:22:34", "is not UTF-8: byte 0xC9", "save the file as UTF-8"),
    ),
    Case(
        "utf16-with-bom",
        "encodings",
        {_P: PLATFORM.encode("utf-16")},
        (f"{_P}:1:1", "encoded as UTF-16"),
    ),
    Case(
        "utf16-without-bom",
        "encodings",
        {_P: PLATFORM.encode("utf-16-le")},
        (f"{_P}:1:2", "NUL byte", "UTF-16"),
    ),
    Case(
        "utf32-with-bom",
        "encodings",
        {_P: PLATFORM.encode("utf-32")},
        (f"{_P}:1:1", "encoded as UTF-32"),
    ),
    Case(
        "nul-byte",
        "encodings",
        field_("description: raw\x00data"),
        (f"{_FIELD}21", "NUL byte"),
    ),
    Case(
        "raw-escape-character",
        "encodings",
        field_("description: \x1b[2Jcleared"),
        (f"{_FIELD}18", "control character U+001B"),
    ),
    Case(
        "windows-1252-quotes",
        "encodings",
        {_P: PLATFORM.replace("SELECT *", "SELECT \u201c*\u201d").encode("cp1252")},
        (f"{_P}:22:21", "byte 0x93"),
    ),
    Case(
        "encoded-surrogate",
        "encodings",
        {_P: PLATFORM.encode() + b"    description: \xed\xa0\x80\n"},
        (f"{_FIELD}18", "is not UTF-8: byte 0xED"),
    ),
    Case(
        "overlong-slash",
        "encodings",
        {_P: PLATFORM.encode().replace(b"paths/raw", b"paths\xc0\xafraw")},
        (f"{_P}:23:45", "is not UTF-8: byte 0xC0"),
    ),
    Case(
        "latin1-overlay",
        "encodings",
        {"environments/local.yaml": (LOCAL + "# café\n").encode("latin-1")},
        ("environments/local.yaml:5:6", "is not UTF-8"),
    ),
    Case(
        "latin1-env-file",
        "encodings",
        {"environments/local.env": (local_env() + "GREETING=café\n").encode("latin-1")},
        ("environments/local.env:5:13", "is not UTF-8: byte 0xE9"),
    ),
    Case(
        "nul-in-env-file",
        "encodings",
        {"environments/local.env": local_env() + "X=a\x00b\n"},
        ("environments/local.env:5:4", "NUL byte"),
    ),
    Case(
        "utf16-project-dotenv",
        "encodings",
        {".env": "A=b\n".encode("utf-16")},
        (".env:1:1", "encoded as UTF-16"),
    ),
]

YAML_FEATURES = [
    Case(
        "billion-laughs",
        "yaml",
        {_P: PLATFORM + BOMB},
        (f"{_P}:28:8", "aliases here repeat more than 10,000 values", "alias bomb"),
    ),
    Case(
        "billion-laughs-in-overlay",
        "yaml",
        overlay(BOMB),
        ("environments/local.yaml:9:8", "aliases here repeat more than 10,000 values"),
    ),
    Case(
        "nesting-40-mappings",
        "yaml",
        field_("description: " + "{a: " * 40 + "x" + "}" * 40),
        (f"{_FIELD}", "more than 32 levels deep"),
    ),
    Case(
        "nesting-10000-lists",
        "yaml",
        field_("description: " + "[" * 10_000 + "]" * 10_000),
        (f"{_FIELD}", "not valid YAML: exceeded maximum nesting depth"),
    ),
    Case(
        "recursive-alias",
        "yaml",
        field_("tags: &t {a: *t}"),
        (f"{_FIELD}", "the alias *t refers to a value that contains it"),
    ),
    Case(
        "undefined-alias",
        "yaml",
        field_("description: *nowhere"),
        (f"{_FIELD}18", "the alias *nowhere is not defined"),
    ),
    Case(
        "unknown-tag",
        "yaml",
        field_("description: !custom text"),
        (f"{_FIELD}18", "the YAML tag !custom is not supported"),
    ),
    Case(
        "python-object-tag",
        "yaml",
        field_('description: !!python/object/apply:os.system ["touch pwned"]'),
        (f"{_FIELD}18", "the YAML tag !!python/object/apply:os.system is not supported"),
    ),
    Case(
        "binary-tag",
        "yaml",
        field_("description: !!binary aGVsbG8="),
        (f"{_FIELD}18", "!!binary is not supported"),
    ),
    Case(
        "set-tag",
        "yaml",
        field_("tags: !!set {a, b}"),
        (f"{_FIELD}11", "!!set is not supported"),
    ),
    Case(
        "merge-key",
        "yaml",
        {_P: PLATFORM.replace("imports:\n", "imports:\n  <<: {x: 1}\n")},
        (f"{_P}:18:3", "merge keys (<<) are not supported"),
    ),
    Case(
        "second-document",
        "yaml",
        {_P: PLATFORM + "---\nimports: {}\n"},
        (f"{_P}:24:1", "second YAML document"),
    ),
    Case(
        "complex-key",
        "yaml",
        field_("tags: {? [a, b] : c}"),
        (f"{_FIELD}", "a key must be plain text"),
    ),
    Case(
        "alias-as-key",
        "yaml",
        field_("tags: {&k a: b, *k : c}"),
        (f"{_FIELD}", "a key must be plain text"),
    ),
    Case(
        "duplicate-key-in-overlay",
        "yaml",
        overlay("settings:\n  prune: true\n  prune: false\n"),
        ("environments/local.yaml:7:3", "duplicate key 'prune' (first defined at line 6)"),
    ),
    Case(
        "document-is-a-list",
        "yaml",
        {_P: "- connections\n- imports\n"},
        (f"{_P}:1:1", "the file must hold a mapping"),
    ),
    Case(
        "unclosed-bracket",
        "yaml",
        field_("tags: [a, b"),
        (f"{_P}:", "not valid YAML"),
    ),
    Case(
        "tab-indentation",
        "yaml",
        {_P: PLATFORM.replace("    path: azureml", "\tpath: azureml")},
        (f"{_P}:23:", "not valid YAML"),
    ),
]

TYPES = [
    Case(
        "octal-version",
        "types",
        field_("version: 010"),
        (f"{_FIELD}14", "the unquoted 010 as the number 8 (octal", "quote it: version: '010'"),
    ),
    Case(
        "base-60-version",
        "types",
        field_("version: 1:30"),
        (f"{_FIELD}14", "the number 90 (base 60)", "version: '1:30'"),
    ),
    Case(
        "hex-version",
        "types",
        field_("version: 0x1F"),
        (f"{_FIELD}14", "the number 31 (hexadecimal)"),
    ),
    Case(
        "underscore-version",
        "types",
        field_("version: 1_0"),
        (f"{_FIELD}14", "the number 10 (its underscores are dropped)"),
    ),
    Case(
        "5000-digit-version",
        "types",
        field_("version: " + "1" * 5000),
        (f"{_FIELD}14", "a number of 5,000 digits"),
    ),
    Case(
        "float-version",
        "types",
        field_("version: 1.10"),
        (f"{_FIELD}5", "reads the unquoted 1.10 as a number", "quote it: version: '1.10'"),
    ),
    Case(
        "plus-version",
        "types",
        field_("version: +5"),
        (f"{_FIELD}14", "its + sign is dropped"),
    ),
    Case(
        "boolean-tag-value",
        "types",
        field_("tags: {approved: yes}"),
        (f"{_FIELD}", "reads the unquoted yes as true/false", "quote it: approved: 'yes'"),
    ),
    Case(
        "null-container",
        "types",
        swap("container_name: rawdata", "container_name: ~"),
        (f"{_P}:14:5", "reads the unquoted ~ as null"),
    ),
    Case(
        "octal-hour",
        "types",
        field_(SCHEDULE.replace("day\n", "day\n        schedule: {hours: [010]}")),
        (f"{_P}:28:28", "the number 8 (octal", "hours: '010'"),
    ),
    Case(
        "base-60-interval",
        "types",
        field_(SCHEDULE + "        interval: 1:00"),
        (f"{_P}:28:19", "the number 60 (base 60)"),
    ),
    Case(
        "list-as-description",
        "types",
        field_("description: [a, b]"),
        (f"{_FIELD}5", "expected text, found a list"),
    ),
    Case(
        "mapping-as-query",
        "types",
        swap(QUERY, "query: {select: everything}"),
        (f"{_P}:22:7", "expected text, found a mapping"),
    ),
]

NAMES = [
    Case(
        "asset-name-256",
        "names",
        swap("  raw_house_data:", "  " + "a" * 256 + ":"),
        (f"{_P}:18:3", "data asset name of 256 characters is not valid: 1-255"),
    ),
    Case(
        "scheduled-asset-name-250",
        "names",
        {
            _P: PLATFORM.replace("  raw_house_data:", "  " + "a" * 250 + ":")
            + "    "
            + SCHEDULE.replace("day\n", "day\n        interval: 1")
            + "\n"
        },
        (f"{_FIELD}5", "schedule names have at most 255", "to 246 characters or fewer"),
    ),
    Case(
        "newline-in-datastore-name",
        "names",
        swap("  rawdata:\n    type", '  "rawdata\\n":\n    type'),
        (f"{_P}:11:3", "this key holds a line break"),
    ),
    Case(
        "escape-in-asset-name",
        "names",
        swap("  raw_house_data:", '  "\\e[2Jraw":'),
        (f"{_P}:18:3", "imports: this key holds the control character U+001B"),
    ),
    Case(
        "connection-name-256",
        "names",
        {_P: PLATFORM.replace("snowflake_globorealty", "c" * 256)},
        (f"{_P}:21:7", "is not a valid connection name (3-255 letters"),
    ),
    Case(
        "non-ascii-asset-name",
        "names",
        swap("  raw_house_data:", "  dätä:"),
        (f"{_P}:18:3", "imports.dätä: this key holds U+00E4", "names are ASCII"),
    ),
    Case(
        "dotted-datastore",
        "names",
        {_P: PLATFORM.replace("rawdata", "raw.data")},
        (f"{_P}:23:5", "the datastore name is not valid"),
    ),
    Case(
        "version-31-characters",
        "names",
        field_("version: '" + "v" * 31 + "'"),
        (f"{_FIELD}5", "imports.raw_house_data.version"),
    ),
    Case(
        "tag-key-101",
        "names",
        field_("tags: {" + "k" * 101 + ": v}"),
        (f"{_FIELD}12", "this tag key is longer than the 100 characters allowed"),
    ),
    Case(
        "tag-value-1001",
        "names",
        field_("tags: {k: " + "v" * 1001 + "}"),
        (f"{_FIELD}12", "tags.k: this value is longer than the 1,000 characters allowed"),
    ),
    Case(
        "41-tags",
        "names",
        field_("tags: {" + ", ".join(f"t{i}: v" for i in range(41)) + "}"),
        (f"{_FIELD}5", "41 tags; at most 40"),
    ),
    Case(
        "reserved-tag",
        "names",
        field_("tags: {managed-by: someone-else}"),
        (f"{_FIELD}5", "tag 'managed-by' is reserved"),
    ),
    Case(
        "bidi-override-in-description",
        "names",
        field_('description: "keep \u202eatad eht lla eteled"'),
        (f"{_FIELD}24", "invisible bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE"),
    ),
    Case(
        "escape-in-tag-value",
        "names",
        field_('tags: {k: "\\e]0;pwned\\a"}'),
        (f"{_FIELD}", "control character U+001B"),
    ),
]

PATHS = [
    Case(
        "dot-dot-folder",
        "paths",
        swap("paths/raw_house_data", "paths/../../../../victim"),
        (f"{_P}:23:5", "'.' and '..' segments are not allowed"),
    ),
    Case(
        "percent-encoded-dot-dot",
        "paths",
        swap("paths/raw_house_data", "paths/%2e%2e/%2e%2e/victim"),
        (f"{_P}:23:5", "percent-encoding is not allowed"),
    ),
    Case(
        "backslash-folder",
        "paths",
        swap("paths/raw_house_data", "paths/raw\\..\\..\\victim"),
        (f"{_P}:23:5", "backslashes are not allowed"),
    ),
    Case(
        "folder-segment-256",
        "paths",
        swap("paths/raw_house_data", "paths/" + "f" * 256),
        (f"{_P}:23:5", "a folder name is longer than 255 characters"),
    ),
    Case(
        "folder-1025",
        "paths",
        swap("paths/raw_house_data", "paths/" + "/".join(["f" * 100] * 11)),
        (f"{_P}:23:5", "(at most 1,024)"),
    ),
    Case(
        "absolute-workspace",
        "paths",
        {"environments/local.yaml": LOCAL.replace(".reconcile/local", "/tmp/elsewhere")},
        ("environments/local.yaml:4:3", "the folder must stay inside the project"),
    ),
    Case(
        "workspace-outside",
        "paths",
        {"environments/local.yaml": LOCAL.replace(".reconcile/local", "../outside")},
        ("environments/local.yaml:4:3", "'.' and '..' segments are not allowed"),
    ),
    Case(
        "env-file-dot-dot",
        "paths",
        {"environments/local.yaml": LOCAL.replace("environments/local.env", "../../etc/passwd")},
        ("environments/local.yaml:1:1", "env_file: must stay inside the project"),
    ),
    Case(
        "env-file-absolute",
        "paths",
        {"environments/local.yaml": LOCAL.replace("environments/local.env", "/etc/hostname")},
        ("environments/local.yaml:1:1", "env_file: must stay inside the project"),
    ),
    Case(
        "env-file-symlink-out",
        "paths",
        setup=_symlink("environments/local.env", "/etc/hostname"),
        expect=("environments/local.yaml:1:1", "a symlink that points outside the project"),
    ),
    Case(
        "env-file-is-a-folder",
        "paths",
        setup=_folder("environments/local.env"),
        expect=("environments/local.env", "is not a regular file"),
    ),
    Case(
        "env-file-missing",
        "paths",
        {"environments/local.env": None},
        ("environments/local.yaml:1:1", "env_file: 'environments/local.env' does not exist"),
    ),
    Case(
        "platform-is-a-fifo",
        "paths",
        setup=_fifo("platform.yaml"),
        expect=(_P, "is not a regular file"),
    ),
    Case(
        "platform-is-a-folder",
        "paths",
        setup=_folder("platform.yaml"),
        expect=(_P, "is not a regular file"),
    ),
    Case(
        "overlay-links-to-dev-zero",
        "paths",
        setup=_symlink("environments/local.yaml", "/dev/zero"),
        expect=("environments/local.yaml", "is a symbolic link to /dev/zero, outside the project"),
    ),
    Case(
        "platform-dangling-symlink",
        "paths",
        setup=_symlink("platform.yaml", "nowhere.yaml"),
        expect=(_P, "cannot be read"),
    ),
]

OVERLAYS = [
    Case(
        "overlay-is-a-list",
        "overlays",
        {"environments/local.yaml": "- workspace\n"},
        ("environments/local.yaml:1:1", "the file must hold a mapping"),
    ),
    Case(
        "overlay-replaces-imports-with-text",
        "overlays",
        overlay("imports: none\n"),
        ("environments/local.yaml:5:1", "imports: expected a mapping"),
    ),
    Case(
        "overlay-unknown-field",
        "overlays",
        overlay("datastores:\n  rawdata:\n    colour: blue\n"),
        ("environments/local.yaml:7:5", "datastores.rawdata.colour: unknown field"),
    ),
    Case(
        "overlay-octal-version",
        "overlays",
        overlay("imports:\n  raw_house_data:\n    version: 0755\n"),
        ("environments/local.yaml:7:14", "the number 493 (octal"),
    ),
    Case(
        "overlay-escaping-path",
        "overlays",
        overlay("imports:\n  raw_house_data:\n    path: azureml://datastores/rawdata/paths/../x\n"),
        ("environments/local.yaml:7:5", "must stay inside its datastore"),
    ),
    Case(
        "unknown-environment",
        "overlays",
        expect=("unknown environment 'staging'", "known environments: local"),
        args=(*APPLY, "--env", "staging"),
    ),
    Case(
        "empty-environment",
        "overlays",
        expect=("an environment name cannot be empty",),
        args=(*APPLY, "--env", ""),
    ),
    Case(
        "default-environment-missing",
        "overlays",
        swap("default_environment: local", "default_environment: prod"),
        (f"{_P}:1:1", "default_environment 'prod' has no environments/prod.yaml"),
    ),
    Case(
        "default-environment-is-a-list",
        "overlays",
        swap("default_environment: local", "default_environment: [local, prod]"),
        (f"{_P}:1:1", "default_environment must be the name of an environment"),
    ),
]


PLAN_FILES = [
    Case(
        "plan-file-not-json",
        "plan files",
        {"plan.json": "this is not a plan\n"},
        ("plan.json is not a reconciler plan file",),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-file-utf16",
        "plan files",
        {"plan.json": '{"format_version": "1"}'.encode("utf-16")},
        ("plan.json is not a reconciler plan file",),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-file-empty",
        "plan files",
        {"plan.json": ""},
        ("plan.json is not a reconciler plan file",),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-file-5000-digit-number",
        "plan files",
        {"plan.json": '{"format_version": ' + "1" * 5000 + "}"},
        ("plan.json is not a reconciler plan file",),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-file-is-a-folder",
        "plan files",
        setup=_folder("plan.json"),
        expect=("plan.json", "is a directory"),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-file-other-environment",
        "plan files",
        setup=_a_plan(lambda text: text.replace('"environment": "local"', '"environment": "x"')),
        expect=("unknown environment 'x'",),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-file-future-format",
        "plan files",
        setup=_a_plan(lambda text: json.dumps({**json.loads(text), "format_version": "99"})),
        expect=("plan.json has plan format 99",),
        args=("apply", "plan.json"),
    ),
    Case(
        "plan-out-missing-folder",
        "plan files",
        expect=("cannot write no/such/dir/plan.json", "does not exist"),
        args=("plan", "--out", "no/such/dir/plan.json"),
    ),
    Case(
        "plan-out-dev-full",
        "plan files",
        setup=lambda root: _a_plan(lambda text: text)(root),
        expect=("cannot write /dev/full",),
        args=("plan", "--out", "/dev/full"),
    ),
    Case(
        "summary-file-missing-folder",
        "plan files",
        expect=("cannot write no/such/dir/s.md", "does not exist"),
        args=(*APPLY, "--summary-file", "no/such/dir/s.md"),
    ),
]

ENVIRONMENT_VALUES = [
    Case(
        "variable-with-newline",
        "environment",
        env={"SNOWFLAKE_USER": "globo\nrealty"},
        expect=(f"{_P}:8:7", "holds a line break"),
    ),
    Case(
        "variable-with-escape",
        "environment",
        field_("description: ${NOTE}"),
        env={"NOTE": "\x1b[2J\x1b[Hall clear"},
        expect=(f"{_FIELD}5", "control character U+001B"),
    ),
    Case(
        "variable-of-100-kb",
        "environment",
        env={"SNOWFLAKE_ACCOUNT": "a" * 100_000},
        expect=(f"{_P}:5:5", "at most 1,024 are allowed"),
    ),
    Case(
        "variable-not-set",
        "environment",
        field_("description: ${NOT_SET_ANYWHERE}"),
        (f"{_FIELD}5", "variable ${NOT_SET_ANYWHERE} is not set"),
    ),
    Case(
        "secret-too-short",
        "environment",
        {"environments/local.env": local_env(password="short")},
        (f"{_P}:9:7", "shorter than 8 characters"),
        never=("short\n",),
    ),
    Case(
        "plain-variable-in-secret",
        "environment",
        swap("${env:SNOWFLAKE_PASSWORD}", "${SNOWFLAKE_PASSWORD}"),
        (f"{_P}:9:7", "${env:VARIABLE}"),
        never=(DEMO_PASSWORD,),
    ),
    Case(
        "secret-variable-in-user-name",
        "environment",
        swap("${SNOWFLAKE_USER}", "${SNOWFLAKE_PASSWORD}"),
        (f"{_P}:8:7", "variable SNOWFLAKE_PASSWORD is a secret", "may fill only secret fields"),
        args=VALIDATE,
        never=(DEMO_PASSWORD,),
    ),
    Case(
        "secret-variable-in-tag-without-secrets",
        "environment",
        field_("tags: {by: 'key ${STORAGE_ACCOUNT_KEY}'}"),
        (f"{_FIELD}12", "variable STORAGE_ACCOUNT_KEY is a secret"),
        args=("plan", "--no-secrets"),
        never=(DEMO_KEY,),
    ),
    Case(
        "secret-value-in-another-variable",
        "environment",
        field_("description: 'loaded by ${LOADER}'"),
        (f"{_FIELD}5", "filled by ${LOADER}, contains the value of the secret"),
        env={"LOADER": DEMO_PASSWORD},
        never=(DEMO_PASSWORD,),
    ),
    Case(
        "secret-value-as-literal-in-query",
        "environment",
        swap("REAL_ESTATE.RAW\n", f"REAL_ESTATE.RAW WHERE k = '{DEMO_KEY}'\n"),
        (f"{_P}:22:7", "contains the value of the secret ${env:STORAGE_ACCOUNT_KEY}"),
        never=(DEMO_KEY,),
    ),
    Case(
        "secret-value-as-tag-key",
        "environment",
        field_(f"tags: {{'{DEMO_KEY}': x}}"),
        (f"{_FIELD}12", "imports.raw_house_data.tags: a tag key contains the value of the secret"),
        never=(DEMO_KEY,),
    ),
    Case(
        "secret-as-mapping",
        "environment",
        swap("${env:SNOWFLAKE_PASSWORD}", "{source: env, name: 'hunter2-literal-secret'}"),
        (f"{_P}:9:7", "takes a reference written as a string"),
        never=("hunter2",),
    ),
    Case(
        "literal-numeric-secret",
        "environment",
        swap("${env:SNOWFLAKE_PASSWORD}", "0x5EC2E7"),
        (f"{_P}:9:7", "must be a reference"),
        never=("5EC2E7",),
    ),
    Case(
        "env-file-garbage-line",
        "environment",
        {"environments/local.env": local_env() + "this line is = not a variable\n"},
        ("environments/local.env:5:1", "expected KEY=VALUE"),
        never=("not a variable",),
    ),
]

SIZES = [
    Case(
        "platform-over-4-mib",
        "sizes",
        {_P: PLATFORM + ("# padding " + "x" * 90 + "\n") * 42_000},
        (f"{_P}:", "is larger than 4 MiB"),
    ),
    Case(
        "5001-imports",
        "sizes",
        {
            _P: PLATFORM
            + "".join(
                f"  i{i}: {{source: {{type: database, connection: snowflake_globorealty, "
                f"query: SELECT {i}}}, path: 'azureml://datastores/rawdata/paths/i{i}'}}\n"
                for i in range(5000)
            )
        },
        (f"{_P}:17:1", "5,001 imports; at most 5,000"),
    ),
    Case(
        "500k-values",
        "sizes",
        field_("tags: [" + "1," * 500_000 + "1]"),
        (f"{_FIELD}", "more than 500,000 keys and values"),
    ),
    Case(
        "query-of-1-mb",
        "sizes",
        swap(QUERY, "query: SELECT " + "1 + " * 250_000 + "1"),
        (f"{_P}:22:14", "this value is longer than 65,536 characters"),
    ),
    Case(
        "query-of-40k",
        "sizes",
        swap(QUERY, "query: SELECT " + "1 + " * 10_000 + "1"),
        (f"{_P}:22:7", "longer than the 32,768 characters allowed"),
    ),
    Case(
        "description-5001",
        "sizes",
        field_("description: " + "d" * 5001),
        (f"{_FIELD}5", "longer than the 5,000 characters allowed"),
    ),
    Case(
        "key-of-70k",
        "sizes",
        field_("tags: {" + "k" * 70_000 + ": v}"),
        (f"{_FIELD}", "this key is 70,000 characters long"),
    ),
    Case(
        "multi-statement-query",
        "sizes",
        swap(QUERY, "query: SELECT 1; DROP TABLE GLOBOREALTY.REAL_ESTATE.RAW"),
        (f"{_P}:22:7", "the query holds 2 SQL statements"),
    ),
    Case(
        "empty-query",
        "sizes",
        swap(QUERY, "query: ''"),
        (f"{_P}:22:7", "the query is empty"),
    ),
    Case(
        "comment-only-query",
        "sizes",
        swap(QUERY, "query: '-- SELECT * FROM RAW'"),
        (f"{_P}:22:7", "the query is empty"),
    ),
    Case(
        "blank-query",
        "sizes",
        swap(QUERY, "query: |\n        \n"),
        (f"{_P}:22:7", "the query is empty"),
    ),
]

WORKSPACE = [
    Case(
        "show-rows-huge",
        "workspace",
        expect=("Invalid value for '--rows'",),
        args=("show", "raw_house_data", "--rows", "99999999999999999999"),
    ),
    Case(
        "corrupt-workspace-db",
        "workspace",
        setup=_workspace_db(b"this is not a database" * 100),
        expect=(".reconcile/local/workspace.db cannot be read",),
        args=PLAN,
    ),
    Case(
        "empty-workspace-db-apply",
        "workspace",
        setup=_workspace_db(b"\x00" * 4096),
        expect=("workspace.db",),
    ),
]

CASES: list[Case] = [
    *ENCODINGS,
    *YAML_FEATURES,
    *TYPES,
    *NAMES,
    *PATHS,
    *OVERLAYS,
    *PLAN_FILES,
    *ENVIRONMENT_VALUES,
    *SIZES,
    *WORKSPACE,
]
