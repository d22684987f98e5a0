"""What every renderer says the same way: markers, action phrases, value formatting."""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.core.essences import Kind, address
from reconciler.core.limits import INVISIBLE
from reconciler.core.plan import SENSITIVE, Action, FieldChange, Plan, Reason, ResourceChange

MARKERS = {
    Action.CREATE: "+",
    Action.MATERIALIZE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "±",
    Action.DELETE: "-",
    Action.ARCHIVE: "~",  # a change, as counted: the data asset is hidden, every version kept
    Action.NOOP: " ",
    Action.IN_PROGRESS: "…",
    Action.MOVE: ">",
    Action.FORGET: ".",
}


# The prose of each reason, in one place; ``{detail}`` is the change's reason_detail.
REASONS = {
    Reason.FIRST_VERSION: "no version yet",
    Reason.DEFINITION_CHANGED: "definition changed since version {detail}",
    Reason.RETRY_FAILED: "retry: the last import of this definition failed: {detail}",
    Reason.IMPORT_RUNNING: "import job {detail} is running",
    Reason.REPLACE_REQUESTED: "a new version was asked for (--replace)",
    Reason.ARCHIVE_NOT_DECLARED: "no longer declared; archived, every version kept",
    Reason.RESTORE_ARCHIVED: "archived, and declared again: restored, every version kept",
    Reason.TAKE_OVER: "lifecycle.adopt takes the data asset over ({detail})",
    Reason.DELETE_MOVED: "moved to {detail}",
    Reason.DELETE_REMOVED: "removed: destroy: true",
    Reason.FORGET_REMOVED: "removed: destroy: false",
    Reason.MOVED_DEPENDENCY: "re-pointed to a moved connection or datastore",
    Reason.DELETED_OUTSIDE: "deleted outside reconciler: {detail}",
}


def reason_text(change: ResourceChange) -> str:
    if change.action_reason is None or change.action_reason not in REASONS:
        return ""
    return REASONS[change.action_reason].format(detail=change.reason_detail or "")


def describe(change: ResourceChange) -> str:
    """``create``, ``materialize version 2: definition changed since version 1``, …"""
    action = change.action
    if action is Action.MATERIALIZE:
        text = f"materialize version {change.version}"
    elif action is Action.IN_PROGRESS:
        text = f"in progress (version {change.version})"
    elif action is Action.REPLACE:
        paths = change.change.replace_paths
        text = (
            "replace (" + ", ".join(paths) + " cannot change in place)"
            if paths
            else "replace (asked for with --replace)"
        )
    elif action is Action.UPDATE and change.action_reason is Reason.ADOPT:
        text = "update (adopt: not yet managed by reconciler)"
    elif action is Action.UPDATE and change.action_reason is Reason.TAKE_OVER:
        text = "update (take over: lifecycle.adopt)"
    elif action is Action.UPDATE and change.action_reason is Reason.RESTORE_ARCHIVED:
        text = "update (restore the archived data asset, every version kept)"
    elif action is Action.ARCHIVE and change.action_reason is Reason.DELETE_REMOVED:
        text = "archive data asset (removed: destroy: true; every version kept)"
    elif action is Action.CREATE and change.action_reason is Reason.DELETED_OUTSIDE:
        text = f"create ({reason_text(change)})"
    elif action is Action.ARCHIVE:
        text = "archive data asset (no longer declared; every version kept)"
    elif action is Action.MOVE:
        text = (
            f"move from {change.previous_address} (its versions registered under the new name "
            "over the same data; nothing imported)"
        )
    elif action is Action.FORGET:
        text = "forget (no longer managed by reconciler; left in place)"
    elif action is Action.DELETE and change.action_reason is Reason.DELETE_MOVED:
        text = f"delete (moved to {change.reason_detail}: Azure ML cannot rename it)"
    elif action is Action.DELETE and change.action_reason is Reason.DELETE_REMOVED:
        text = "delete (removed: destroy: true)"
    elif action is Action.UPDATE and change.action_reason is Reason.MOVED_DEPENDENCY:
        text = "update (re-pointed to the moved connection or datastore: same data, not imported)"
    elif action is Action.NOOP and change.fields:
        text = "no-op, but secrets are compared at apply"
    else:
        text = action.value
    reason = reason_text(change)
    if reason and action in (Action.MATERIALIZE, Action.IN_PROGRESS):
        text += f": {reason}"
    return text


_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{INVISIBLE}]")


def printable(text: str) -> str:
    """``text`` as a reviewer's terminal or a pull-request comment may show it: control
    characters (an ESC sequence that clears the screen or sets the title) and invisible ones
    (U+202E reversing what follows, U+2028) as ``\\u`` escapes; tabs and line breaks kept.
    What the workspace holds is not ours to trust: a value set in the portal reaches here.
    A zero-width space right after ``@`` stays: it is how `escape_markdown` keeps a mention
    from pinging anyone, and it hides nothing."""
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    found = match.group()
    if found == _ZERO_WIDTH and match.string[match.start() - 1 : match.start()] == "@":
        return found
    return f"\\u{ord(found):04x}"


def value(item: Any) -> str:
    if item == SENSITIVE:
        return SENSITIVE
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


_ADOPTING = (Reason.ADOPT, Reason.TAKE_OVER)


def field_line(change: ResourceChange, field: FieldChange) -> str:
    """One field's change: ``path: before → after`` (just the new value on create)."""
    suffix = "  # forces replacement" if field.forces_replacement else ""
    if change.action in (Action.CREATE,) or (
        change.action is Action.MATERIALIZE and change.change.before is None
    ):
        return f"{field.path}: {value(field.after)}"
    if field.unknown:
        return f"{field.path}: (sensitive, compared at apply)"
    if field.sensitive and field.before is None:  # no hash stored: nothing to compare with
        when = "on adoption" if change.action_reason in _ADOPTING else "as declared"
        return f"{field.path}: (sensitive, not compared: written {when}){suffix}"
    if field.sensitive:
        return f"{field.path}: {SENSITIVE} (changed){suffix}"
    if field.before is None:
        return f"{field.path}: (none) → {value(field.after)}{suffix}"
    if field.after is None:
        return f"{field.path}: {value(field.before)} → (none){suffix}"
    return f"{field.path}: {value(field.before)} → {value(field.after)}{suffix}"


DIFF_LINES = 40  # a multi-line value's diff beyond this many lines is cut, with a count


def field_lines(plan: Plan, change: ResourceChange) -> list[str]:
    """Every field line of ``change`` as shown to a reviewer: multi-line strings (queries) as
    line-level diffs, and a schedule's copy of its import's definition change said once."""
    lines: list[str] = []
    shared = _shared_with_import(plan, change)
    if shared:
        lines.append(f"import_definition: same change as {shared} above")
    for field in change.fields:
        if shared and field.path.startswith("import_definition."):
            continue
        if _multiline(field) and change.action is not Action.CREATE:
            lines.append(f"{field.path}:")
            lines += [f"  {line}" for line in text_diff(str(field.before or ""), str(field.after))]
        elif _multiline(field):
            lines.append(f"{field.path}: |")
            lines += [f"    {line}" for line in str(field.after).splitlines()]
        else:
            lines.append(field_line(change, field))
    return lines


def _multiline(field: FieldChange) -> bool:
    return not field.sensitive and any(
        isinstance(v, str) and "\n" in v.strip() for v in (field.before, field.after)
    )


def text_diff(before: str, after: str) -> list[str]:
    """A unified line diff (context 2) without file headers; long ones are cut."""
    import difflib

    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2))[2:]
    if len(diff) > DIFF_LINES:
        hidden = len(diff) - DIFF_LINES
        diff = [*diff[:DIFF_LINES], f"… {hidden} more diff line(s)"]
    return diff


def _shared_with_import(plan: Plan, change: ResourceChange) -> str | None:
    """The import whose definition change this schedule's change repeats, if any."""
    if change.type is not Kind.SCHEDULE or not change.is_change:
        return None
    mine = {
        f.path.removeprefix("import_definition."): (f.before, f.after)
        for f in change.fields
        if f.path.startswith("import_definition.")
    }
    if not mine:
        return None
    name = (change.change.after or {}).get("import")
    found = plan.by_address.get(address(Kind.IMPORT, str(name)))
    if found is None or not found.is_change:
        return None
    theirs = {f.path: (f.before, f.after) for f in found.fields}
    return found.address if all(theirs.get(p) == v for p, v in mine.items()) else None


def visible(changes: tuple[ResourceChange, ...]) -> list[ResourceChange]:
    """Changes worth a line: everything but no-ops with nothing to say (a no-op whose secrets
    are compared at apply still says so)."""
    return [c for c in changes if c.action is not Action.NOOP or c.fields]


def targeted_note(plan: Plan) -> str | None:
    """Terraform's "resource targeting is in effect" warning, for ``--target`` plans."""
    if not plan.targets:
        return None
    return (
        f"Targeted plan: only {', '.join(plan.targets)} and what they depend on. Other changes "
        "and drift may be left out; plan without --target to see the whole workspace."
    )


NO_SECRETS_NOTE = (
    "Planned without secrets: secret fields show as (sensitive, compared at apply); "
    "apply compares them."
)


def short_commit(commit: str) -> str:
    """The first 12 hex digits, keeping the ``+dirty`` of uncommitted changes."""
    return commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def context_lines(change: ResourceChange) -> list[str]:
    """What else a reviewer should know: who changed it last, what a delete would affect."""
    lines = []
    if change.previous_address is not None:
        lines.append(f"# {change.previous_address} has moved to {change.address}")
    made = change.last_changed_by
    if made and change.is_change:
        who = made.get("by") or made.get("run") or "?"
        where = f" (pull request #{made['pull-request']})" if made.get("pull-request") else ""
        commit = f" at {short_commit(made['commit'])}" if made.get("commit") else ""
        when = f" on {made['at']}" if made.get("at") else ""
        lines.append(f"# last changed by {who}{where}{commit}{when}")
    for dependent in change.dependents:
        lines.append(f"# affects: {dependent}")
    return lines


def orphan_line(address: str, with_prune: Action) -> str:
    what = "archived (data kept)" if with_prune is Action.ARCHIVE else "deleted"
    return f"{address}: no longer declared; would be {what} with --prune"


def not_converged_note(plan: Plan) -> str | None:
    running = [c.address for c in plan.resource_changes if c.action is Action.IN_PROGRESS]
    if not running:
        return None
    return f"Not converged yet: {', '.join(running)} still running (apply --wait waits for it)."


_PUNCTUATION = re.compile(r"([\\`*_\[\]|])")  # code, emphasis, links and images, cells
_ZERO_WIDTH = "\u200b"
# our comments' markers: a value that holds one must never read as one, not even in code
_MARKER = re.compile(r"reconciler-(?=(?:plan|apply|drift|review|sources|check-sources)\b)", re.I)
_NOT_A_HYPHEN = "reconciler\u2011"  # a non-breaking hyphen: reads the same, matches nothing


def break_markers(text: str) -> str:
    """``text`` with any of our comment markers in it broken (for code spans and blocks, where
    markdown does nothing else)."""
    return _MARKER.sub(_NOT_A_HYPHEN, text)


def escape_markdown(text: str, *, in_html: bool = False) -> str:
    """A value from a workspace or a plan, safe as text in a GitHub comment: no HTML (``<img>``
    comes out as text), no mention or team ping (``@org/team`` gets a zero-width space after
    the ``@``), none of our markers, and, in markdown (not inside an HTML block such as
    ``<summary>``, where markdown is not read), no link, emphasis, code or table cell boundary;
    one line. The one escaping function of the renderers (code spans and blocks only break
    markers: `code`, `reconciler.render.safe.code_block`)."""
    flat = " ".join(break_markers(text).split())
    escaped = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace("@", "@" + _ZERO_WIDTH)
    if in_html:  # brackets as entities: nothing that reads as a link or an image either
        return escaped.replace("[", "&#91;").replace("]", "&#93;")
    return _PUNCTUATION.sub(r"\\\1", escaped)


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def code(text: str) -> str:
    """``text`` as an inline code span: GitHub renders no HTML and no mention inside one. The
    fence is longer than any run of backticks in it; our markers are broken."""
    flat = " ".join(break_markers(text).split())
    longest = max((len(m) for m in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
