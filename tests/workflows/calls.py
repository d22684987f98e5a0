"""Reusable workflows (``on: workflow_call``) on the simulated GitHub, as GitHub documents them.

- A job ``uses: OWNER/REPO/.github/workflows/FILE@REF`` calls that file at that ref (a tag,
  a branch or a commit; ``refs/...`` prefixes are refused); ``uses: ./.github/workflows/FILE``
  calls the file from the same commit as the calling workflow. The called repository may be
  another repository of the simulated GitHub (`World`).
- The called workflow's jobs become jobs of the caller's run, named ``<caller> / <called>``
  (a matrix caller: ``<caller> (dev) / <called>``); they wait for the caller job's ``needs``
  and ``if``. The caller job's ``needs.<id>.outputs`` are the called workflow's
  ``on.workflow_call.outputs``, its result theirs.
- ``with:`` must match the declared inputs (unknown: an invalid workflow; required ones must be
  given; typed boolean / number / string). ``secrets:`` are passed by name or all at once with
  ``secrets: inherit``; a required secret that is not passed fails the call. Environment
  secrets cannot be passed: a called job naming an ``environment:`` gets that environment's
  secrets and variables, of the caller's repository.
- ``github`` is the caller's (``github.workflow_ref`` names the caller's file); a called job's
  OIDC token names the called file in ``job_workflow_ref``. ``env:`` of the caller workflow
  is not passed on.
- ``GITHUB_TOKEN`` permissions: the caller job's ``permissions`` (else its workflow's, else
  the repository's default) cap every called job; a called job asking for more makes the
  workflow invalid (GitHub: "The nested job ... is requesting ..., but is only allowed ...").
- Nesting: the top-level workflow and up to nine levels of called workflows (github.com;
  GitHub Enterprise Server: four levels in all).

Not simulated (an error says so): ``concurrency:`` on a caller job or at the top of a called
workflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.workflows.harness import ExpressionError, truthy
from tests.workflows.runs import triggers_of

if TYPE_CHECKING:
    from tests.workflows.runs import WorkflowRun

MAX_LEVELS = 10  # the top-level caller and up to nine called workflows (github.com)
LEVEL = {"none": 0, "read": 1, "write": 2}
USES = re.compile(
    r"^(?P<repo>[\w.-]+/[\w.-]+)/(?P<path>\.github/workflows/[\w.-]+\.ya?ml)@(?P<ref>.+)$"
)
LOCAL = re.compile(r"^\./(?P<path>\.github/workflows/[\w.-]+\.ya?ml)$")


class StartupFailure(Exception):
    """The workflow is invalid: GitHub fails the run before any job starts."""


@dataclass(frozen=True)
class WorkflowFile:
    """A workflow file as GitHub resolved it: which repository, path, ref and commit."""

    repository: str
    path: str
    ref: str  # as in job_workflow_ref: refs/heads/X, refs/tags/X or a commit
    sha: str
    document: dict[str, Any]

    @property
    def ref_path(self) -> str:
        """``owner/repo/.github/workflows/x.yml@refs/tags/v1``: the OIDC job_workflow_ref."""
        return f"{self.repository}/{self.path}@{self.ref}"


@dataclass(eq=False)
class Frame:
    """One call of a reusable workflow inside a run: a caller job (one matrix leg of it)."""

    run: WorkflowRun
    parent: Frame | None
    caller_id: str  # the caller job's id in the parent (the top-level workflow if None)
    caller: dict[str, Any]
    matrix: dict[str, Any]
    key: str  # "apply (dev)", or "outer / inner" when nested: what its jobs' keys start with
    file: WorkflowFile
    cap: dict[str, str]  # the caller's GITHUB_TOKEN permissions: the most its jobs may have
    depth: int  # 2 for a workflow called by the top-level one
    state: str = "new"  # new | entered | skipped | failed
    name: str = ""  # the caller's display name (prefix of its jobs' names)
    inputs: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def document(self) -> dict[str, Any]:
        return self.file.document

    def within(self, other: Frame | None) -> bool:
        """This frame is ``other`` or called (directly or not) from it."""
        frame: Frame | None = self
        while frame is not None:
            if frame is other:
                return True
            frame = frame.parent
        return other is None


def parse_uses(uses: str) -> tuple[str | None, str, str | None]:
    """``(repository, path, ref)``; ``(None, path, None)`` for ``./.github/workflows/x.yml``."""
    local = LOCAL.match(uses)
    if local:
        return None, local.group("path"), None
    match = USES.match(uses)
    if not match:
        raise StartupFailure(
            f"invalid value for 'uses': {uses!r} (OWNER/REPO/.github/workflows/FILE@REF or "
            "./.github/workflows/FILE; workflows in subfolders are not supported)"
        )
    if match.group("ref").startswith("refs/"):
        raise StartupFailure(
            f"{uses}: ref prefixes such as refs/heads and refs/tags are not allowed"
        )
    return match.group("repo"), match.group("path"), match.group("ref")


def call_spec(file: WorkflowFile) -> dict[str, Any]:
    on = triggers_of(file.document)
    if "workflow_call" not in on:
        raise StartupFailure(f"{file.ref_path}: the workflow is not reusable (no on.workflow_call)")
    if file.document.get("concurrency"):
        raise ExpressionError(f"{file.ref_path}: concurrency of a called workflow is not simulated")
    return dict(on["workflow_call"] or {})


def check_call(caller_id: str, caller: dict[str, Any], spec: dict[str, Any]) -> None:
    """What GitHub checks before the run starts: inputs and secrets the file declares."""
    if caller.get("concurrency"):
        raise ExpressionError(f"job {caller_id}: concurrency of a caller job is not simulated")
    declared = spec.get("inputs") or {}
    given = caller.get("with") or {}
    for name in given:
        if name not in declared:
            raise StartupFailure(
                f"job {caller_id}: invalid input, {name} is not defined in the referenced workflow"
            )
    for name, definition in declared.items():
        if (definition or {}).get("required") and name not in given:
            raise StartupFailure(f"job {caller_id}: input {name} is required, but not provided")
    secrets = caller.get("secrets")
    if isinstance(secrets, dict):
        known = spec.get("secrets") or {}
        for name in secrets:
            if name not in known:
                raise StartupFailure(
                    f"job {caller_id}: invalid secret, {name} is not defined in the referenced "
                    "workflow"
                )


def normalise_permissions(spec: Any, default: dict[str, str]) -> dict[str, str]:
    if spec is None:
        return dict(default)
    if spec in ("read-all", "write-all"):
        level = str(spec).split("-")[0]
        return {scope: level for scope in (*default, "id-token")}
    return {str(k): str(v) for k, v in dict(spec).items()}


def check_permissions(key: str, wanted: dict[str, str], cap: dict[str, str]) -> None:
    for scope, level in wanted.items():
        allowed = cap.get(scope, "none")
        if LEVEL[level] > LEVEL[allowed]:
            raise StartupFailure(
                f"The nested job '{key}' is requesting '{scope}: {level}', but is only allowed "
                f"'{scope}: {allowed}'."
            )


def typed_inputs(caller_id: str, spec: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The called workflow's ``inputs`` context: given values, else defaults, typed."""
    values: dict[str, Any] = {}
    for name, definition in (spec.get("inputs") or {}).items():
        definition = definition or {}
        kind = definition.get("type", "string")
        value = given.get(name, definition.get("default"))
        if value is None:
            values[name] = {"boolean": False, "number": 0}.get(kind, "")
            continue
        if kind == "boolean":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise StartupFailure(
                    f"job {caller_id}: input {name} must be a boolean, got {value!r}"
                )
        elif kind == "number":
            try:
                value = float(value) if "." in str(value) else int(value)
            except ValueError:
                raise StartupFailure(
                    f"job {caller_id}: input {name} must be a number, got {value!r}"
                ) from None
        else:
            value = "true" if value is True else "false" if value is False else str(value)
        values[name] = value
    return values


def passed_secrets(
    caller_id: str, spec: dict[str, Any], given: Any, available: dict[str, str]
) -> dict[str, str]:
    """The called workflow's ``secrets`` context: ``given`` (already evaluated) or all of
    ``available`` for ``secrets: inherit``; a required secret that is missing fails."""
    if given == "inherit":
        secrets = {k: v for k, v in available.items() if k != "GITHUB_TOKEN"}
    else:
        secrets = {str(k): str(v) for k, v in dict(given or {}).items() if truthy(v)}
    for name, definition in (spec.get("secrets") or {}).items():
        if (definition or {}).get("required") and name not in secrets:
            raise StartupFailure(
                f"job {caller_id}: secret {name} is required, but not provided while calling"
            )
    return secrets
