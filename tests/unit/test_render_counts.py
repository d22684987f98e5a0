"""What a plan says it does, said the same way everywhere: the summary's counts, the markers,
the PR comment's call-outs, and the wording of a requested replace (issue 17, item 9)."""

from __future__ import annotations

from markdown_it import MarkdownIt

from reconciler.core.plan import Action, Plan, Reason
from reconciler.render import markdown, terminal
from tests.unit.test_render import change


def plan_with(*changes: object) -> Plan:
    return Plan(environment="dev", workspace="local:ws", resource_changes=tuple(changes))  # type: ignore[arg-type]


def callouts(md: str) -> dict[str, list[str]]:
    """Each blockquote's first paragraph (``[!WARNING] This plan ...``) -> its list items, as
    a markdown renderer reads the comment."""
    tokens = MarkdownIt("commonmark").parse(md)
    found: dict[str, list[str]] = {}
    current = ""
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == "blockquote_open":
            depth += 1
            current = " ".join(tokens[i + 2].content.splitlines())
            found[current] = []
        elif token.type == "blockquote_close":
            depth -= 1
        elif depth and token.type == "list_item_open":
            found[current].append(tokens[i + 2].content)
    return found


def test_an_archive_is_a_change_in_the_counts_the_markers_and_the_comment() -> None:
    plan = plan_with(
        change("import.old_prices", Action.ARCHIVE, action_reason=Reason.ARCHIVE_NOT_DECLARED),
        change("schedule.old-schedule", Action.DELETE),
    )
    assert plan.summary.line() == "Plan: 0 to add, 1 to change, 0 to replace, 1 to destroy."

    text = terminal.render_plan(plan)
    assert "  ~ import.old_prices  archive data asset" in text
    assert "  - schedule.old-schedule  delete" in text

    md = markdown.render_plan(plan)
    found = callouts(md)
    warning = next(k for k in found if k.startswith("[!WARNING]"))
    assert warning.endswith("This plan deletes or replaces 1 resource(s):")  # = 0 + 1
    assert found[warning] == ["`schedule.old-schedule`: delete"]
    note = next(k for k in found if k.startswith("[!NOTE]"))
    assert "This plan archives 1 data asset(s) (counted as changes" in note
    assert found[note] == ["`import.old_prices`"]
    assert "~ <code>import.old_prices</code>" in md
    assert "\n- import.old_prices" not in md  # not drawn as a removal in the diff block


def test_a_requested_replace_says_it_was_asked_for() -> None:
    plan = plan_with(
        change("datastore.rawdata", Action.REPLACE, action_reason=Reason.REPLACE_REQUESTED)
    )

    text = terminal.render_plan(plan)

    assert "± datastore.rawdata  replace (asked for with --replace)" in text
    assert "( cannot change in place)" not in text + markdown.render_plan(plan)
