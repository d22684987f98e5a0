"""A picture of a plan for the pull-request comment: a mermaid ``flowchart LR`` of the changed
resources, the declared resources that depend on them, and the consumers that read them.
GitHub draws it. Pure: returns text.

Node ids are generated (``n1``, ``n2``… in the order of the sorted addresses), never taken from
names; labels are quoted and every character mermaid or HTML gives a meaning (quotes, ``#``,
``<``, ``>``, ``&``, backticks, ``|``) is written as a mermaid entity code, so a resource or job
name cannot break out of its label or inject markup. The same plan gives the same text.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.core.consumers import Reads
from reconciler.core.plan import Action, Plan
from reconciler.render.common import MARKERS

OPEN_LIMIT = 25  # nodes shown open; above this the picture is folded
HARD_LIMIT = 120  # nodes; above this it is left out with a note
_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "|": "#124;",
    "\n": " ",
    "\r": " ",
}
_CLASSES = {
    Action.CREATE: "add",
    Action.MATERIALIZE: "add",
    Action.UPDATE: "change",
    Action.MOVE: "change",
    Action.FORGET: "change",
    Action.ARCHIVE: "remove",
    Action.DELETE: "remove",
    Action.REPLACE: "replace",
}
_STYLES = (
    "classDef add fill:#e6ffec,stroke:#1a7f37",
    "classDef change fill:#fff8c5,stroke:#9a6700",
    "classDef replace fill:#fbefff,stroke:#8250df",
    "classDef remove fill:#ffebe9,stroke:#cf222e",
    "classDef same fill:#f6f8fa,stroke:#8c959f",
    "classDef consumer fill:#ddf4ff,stroke:#0969da",
)
_EDGE = {
    Reads.LATEST: "@latest",
    Reads.PINNED: "pinned",
    Reads.PATH: "path",
    Reads.CONNECTION: "imports from",
    Reads.SINK: "imports into",
}


def escape(text: str) -> str:
    """``text`` safe inside a quoted mermaid label."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


@dataclass(frozen=True)
class Picture:
    """The graph's text (None when there is nothing to draw or it is too big) and its size."""

    text: str | None
    nodes: int


def picture(plan: Plan) -> Picture:
    """The flowchart of what the plan changes, what depends on it and who reads it."""
    changed = [c for c in plan.resource_changes if c.is_change]
    if not changed:
        return Picture(None, 0)
    labels: dict[str, str] = {}
    classes: dict[str, str] = {}
    edges: set[tuple[str, str, str]] = set()
    for change in changed:
        labels[change.address] = f"{MARKERS[change.action]} {change.address}"
        classes[change.address] = _CLASSES.get(change.action, "same")
        for consumer in change.consumers:
            labels[consumer.address] = f"{consumer.address} ({consumer.type or '?'})"
            classes[consumer.address] = "consumer"
            edges.add((change.address, consumer.address, _EDGE[consumer.reads]))
    changed_here = {c.address for c in changed}
    for dependent in plan.resource_changes:
        for needed in dependent.depends_on:
            if needed in changed_here and needed != dependent.address:
                if dependent.address not in labels:
                    labels[dependent.address] = f"{MARKERS[dependent.action]} {dependent.address}"
                    classes[dependent.address] = _CLASSES.get(dependent.action, "same")
                edges.add((needed, dependent.address, ""))
    if not edges:  # nothing connects: the list below says it all
        return Picture(None, 0)
    if len(labels) > HARD_LIMIT:
        return Picture(None, len(labels))
    ids = {address: f"n{i}" for i, address in enumerate(sorted(labels), start=1)}
    lines = ["flowchart LR"]
    lines += [f'  {ids[a]}["{escape(labels[a])}"]:::{classes[a]}' for a in sorted(labels)]
    for start, end, label in sorted(edges):
        arrow = f"-->|{escape(label)}|" if label else "-->"
        lines.append(f"  {ids[start]} {arrow} {ids[end]}")
    lines += [f"  {style}" for style in _STYLES]
    return Picture("\n".join(lines), len(labels))
