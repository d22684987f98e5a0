"""Comments as GitHub renders them: every markdown golden file and a few generated comments go
through cmark-gfm (GitHub's own renderer, `cmarkgfm`), and the HTML is checked for what a
reviewer sees: folded sections with a summary, code fences in their language, the mermaid
block, tables with every row's cells, no paragraph whose lines ran together, and no HTML,
disguised link or mention that came from a value (a tag ``<img src=x>``, an owner ``@org/team``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reconciler.core.plan import ApplyResult, StepResult
from reconciler.engine.review import Difference
from reconciler.render import apply, markdown
from tests.unit.test_render import GOLDEN, change, consumers_plan, sample_plan

cmarkgfm = pytest.importorskip("cmarkgfm")

# what cmark-gfm writes itself, and the raw HTML reconciler's comments use on purpose
ALLOWED = {
    "h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "pre", "code", "blockquote", "strong", "em",
    "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "del", "details", "summary", "a",
}  # fmt: skip
ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\n")
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9_.-]+)?")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find(self, tag: str) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag]


class _Tree(HTMLParser):
    VOID = {"br", "hr", "img", "input"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]
        self.unclosed: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def github(text: str) -> Node:
    """The comment as GitHub's renderer turns it into HTML (raw HTML kept, as GitHub keeps it
    before its sanitiser), parsed into a tree."""
    html = cmarkgfm.github_flavored_markdown_to_html(
        text, options=cmarkgfm.cmark.Options.CMARK_OPT_UNSAFE
    )
    tree = _Tree()
    tree.feed(html)
    tree.close()
    assert tree.stack == [tree.root], "unclosed elements"
    return tree.root


def check_structure(root: Node) -> None:
    """What every comment must be, whatever it says."""
    tags = {n.tag for n in root.walk()} - {"root"}
    assert tags <= ALLOWED, f"raw HTML from a value: {sorted(tags - ALLOWED)}"
    for details in root.find("details"):
        first = next((c for c in details.children if isinstance(c, Node)), None)
        assert first is not None and first.tag == "summary", "a fold without a summary"
    for paragraph in root.find("p"):
        text = ALERT.sub("", paragraph.text())
        assert "\n" not in text, f"lines run together into one paragraph: {text!r}"
    for table in root.find("table"):
        widths = {len(row.find("td") or row.find("th")) for row in table.find("tr")}
        assert len(widths) == 1, f"rows with different numbers of cells: {widths}"
    inert = {id(n) for block in (*root.find("code"), *root.find("pre")) for n in block.walk()}
    for node in root.walk():
        if id(node) in inert:
            continue
        for child in node.children:
            if isinstance(child, str):
                assert not MENTION.search(child), f"a mention GitHub would notify: {child!r}"
    for link in root.find("a"):  # GitHub links a bare URL to itself; no value may do more
        assert link.attrs.get("href") == link.text(), f"a link made from a value: {link}"


def languages(root: Node) -> list[str]:
    return [str(p.attrs.get("lang")) for p in root.find("pre")]


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.md")), ids=lambda p: p.name)
def test_every_markdown_golden_renders_as_a_reviewer_expects(path: Path) -> None:
    root = github(path.read_text(encoding="utf-8"))
    check_structure(root)
    resources = [d for d in root.find("details") if "Ignored" not in d.find("summary")[0].text()]
    assert resources and all(languages(d) == ["diff"] for d in resources)


def test_a_plan_with_consumers_shows_them_above_the_fold_with_its_picture() -> None:
    root = github(markdown.render_plan(consumers_plan()))
    check_structure(root)
    top = [c for c in root.children if isinstance(c, Node)]
    first_fold = next(i for i, n in enumerate(top) if n.tag == "details")
    alerts = [n.text() for n in top[:first_fold] if n.tag == "blockquote"]
    assert any(
        "[!IMPORTANT]" in a and "schedule.weekly_retrain" in a and "takes version 2" in a
        for a in alerts
    )
    assert "mermaid" in [str(n.attrs.get("lang")) for n in top[:first_fold] if n.tag == "pre"]
    # the values with HTML and a mention are in code, where they stay text
    codes = "".join(c.text() for c in root.find("code"))
    assert "<img src=x>@org/team`|" in codes and '"@org/team" → "<img src=x>"' in codes


def test_a_big_plan_is_cut_visibly_and_still_well_formed() -> None:
    changes = tuple(change(f"datastore.store_{i:05d}", sample_plan().resource_changes[0].action)
                    for i in range(2_000))  # fmt: skip
    plan = sample_plan().model_copy(update={"resource_changes": changes})
    root = github(markdown.render_plan(plan))
    check_structure(root)
    notes = [b.text() for b in root.find("blockquote") if "Truncated:" in b.text()]
    assert notes and "of 2000 changed resources are not shown" in notes[0]


def test_a_big_picture_is_folded_and_a_huge_one_left_out_with_a_note() -> None:
    base = consumers_plan()
    importing = base.resource_changes[0]

    def with_readers(count: int) -> Node:
        reader = importing.consumers[1]
        many = tuple(reader.model_copy(update={"name": f"job_{i:03d}"}) for i in range(count))
        changes = (importing.model_copy(update={"consumers": many}),)
        return github(markdown.render_plan(base.model_copy(update={"resource_changes": changes})))

    folded = with_readers(40)
    check_structure(folded)
    (picture,) = [d for d in folded.find("details") if "Picture:" in d.find("summary")[0].text()]
    assert languages(picture) == ["mermaid"]
    left_out = with_readers(200)
    check_structure(left_out)
    assert "mermaid" not in languages(left_out)
    assert "The picture of this plan is left out: 201 resources and consumers" in left_out.text()


def test_source_checks_are_a_list_not_a_run_together_paragraph() -> None:
    from reconciler.cli.views import sources_text
    from reconciler.engine.checks import SourceReport
    from reconciler.imports.base import SourceSize

    report = SourceReport([], {"raw_house_data": SourceSize(rows=10_000), "listings": SourceSize()})
    root = github(markdown.render_plan(sample_plan()) + sources_text(report, "markdown"))
    check_structure(root)
    items = [li.text() for li in root.find("li")]
    assert any(t.startswith("import.raw_house_data: ok") for t in items)


def test_apply_summaries_escape_values_in_their_tables() -> None:
    plan = consumers_plan()
    result = ApplyResult(
        [StepResult(plan.resource_changes[0].address, plan.resource_changes[0].action,
                    "failed", "Snowflake said <img src=x> to @org/team | [x](https://e.vil)")]
    )  # fmt: skip
    summary = github(apply.render_apply_markdown(plan, result))
    check_structure(summary)
    (table,) = summary.find("table")
    assert "<img src=x> to @\u200borg/team | [x](https://e.vil)" in table.text()
    differences = [Difference("datastore.rawdata", 'tags.owner: "@org/team"', "<img src=x>|")]
    check_structure(github(apply.render_differences_markdown("dev", differences)))
