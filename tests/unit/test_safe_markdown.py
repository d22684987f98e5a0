"""What a pull request writes into a plan (names, values, reasons, error text) reaches a comment
as characters only: no mention notifies, no image loads, no HTML renders, no marker of ours
appears, however the plan file was made."""

from __future__ import annotations

import re

from reconciler.core.essences import Kind
from reconciler.core.plan import (
    Action,
    ApplyResult,
    Change,
    FieldChange,
    IgnoredResource,
    Plan,
    Reason,
    ResourceChange,
    StepResult,
)
from reconciler.render.apply import render_apply_markdown, render_differences_markdown
from reconciler.render.markdown import render_plan
from reconciler.render.safe import code_block, code_span, escape_markdown, fit
from tests.unit.test_render import change

NOISE = (
    "@globorealty/platform-leads please approve ![ok](https://evil.example/pixel.png) "
    "<img src=x> <!-- reconciler-apply:prod --> ``` `tick` | cell"
)


def live(body: str) -> str:
    """What GitHub renders as markdown: outside code blocks and code spans (with any number
    of backticks), HTML comments removed."""
    body = re.sub(r"(?ms)^(`{3,}|~{3,}).*?^\1[ \t]*$", "", body)
    body = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", body)
    return body


def noisy_plan() -> Plan:
    tagged = change(
        "connection.snowflake_globorealty",
        Action.UPDATE,
        FieldChange(path="tags.owner", before="data-platform", after=NOISE),
    )
    forged = ResourceChange(
        address=f"import.x {NOISE}",
        type=Kind.IMPORT,
        name="x",
        action=Action.MATERIALIZE,
        change=Change(after={"x": 1}),
        version="2",
        action_reason=Reason.RETRY_FAILED,
        reason_detail=NOISE,
    )
    return Plan(
        environment="dev",
        workspace=f"local:{NOISE}",
        targets=(NOISE,),
        resource_changes=(tagged, forged, change(f"datastore.{NOISE}", Action.DELETE)),
        ignored=(IgnoredResource(address="datastore.y", reason=NOISE),),
    )


def test_a_plan_s_values_reach_the_comment_as_characters_only() -> None:
    body = render_plan(noisy_plan())
    shown = live(body)
    assert "@globorealty" not in shown and "![" not in shown and "<img" not in shown
    assert "reconciler-apply:prod" not in body  # not even inside code
    assert shown.count("<!--") == 1 and body.startswith("<!-- reconciler-plan:dev -->\n")
    assert "@\u200bgloborealty/platform-leads please approve" in body  # shown, as text


def test_apply_summaries_carry_values_as_characters_only() -> None:
    plan = noisy_plan()
    result = ApplyResult([StepResult(plan.steps[0].address, Action.UPDATE, "failed", NOISE)])
    for body in (render_apply_markdown(plan, result, plan.steps[1:]),):
        shown = live(body)
        assert "@globorealty" not in shown and "![" not in shown and "<img" not in shown
        assert "reconciler-apply:prod" not in body
        rows = [line for line in body.splitlines() if line.startswith("| `")]
        assert rows and all(line.replace("\\|", "").count("|") == 4 for line in rows), rows
    from reconciler.engine.review import Difference

    differs = render_differences_markdown("dev", [Difference(NOISE, NOISE, NOISE)])
    assert "reconciler-apply:prod" not in differs and "@globorealty" not in live(differs)


def test_code_spans_and_blocks_outlast_the_backticks_inside() -> None:
    assert code_span("a ``` b") == "````a ``` b````"
    assert code_span("`x`") == "`` `x` ``"
    assert code_block("a ``` b") == "````text\na ``` b\n````\n"
    assert escape_markdown("<b>@x</b>") == "&lt;b&gt;@\u200bx&lt;/b&gt;"
    assert code_span("reconciler-plan:dev") == "`reconciler\u2011plan:dev`"


def test_fit_keeps_what_fits_untouched() -> None:
    assert fit("body\n", "tail\n", 100, "NOTE\n") == "body\ntail\n"


def test_fit_cuts_at_a_line_and_closes_open_markup() -> None:
    block = "<details><summary>x</summary>\n\n````diff\n" + "+ line\n" * 500
    body = "# head\n" + block + "````\n\n</details>\n"
    cut = fit(body, "\n---\ntail\n", 1_000, "> [!NOTE]\n> cut\n")
    assert len(cut) <= 1_000
    assert cut.startswith("# head\n<details>")
    assert cut.endswith("> [!NOTE]\n> cut\n\n---\ntail\n")
    assert cut.count("````") == 2  # the open fence is closed with the same fence
    assert cut.count("<details>") == cut.count("</details>") == 1


def test_consumers_a_pull_request_names_reach_the_picture_and_lines_as_characters_only() -> None:
    """Consumers' names and references come from the workspace (or a pull request's plan
    file): the mermaid picture and the @latest lines show them, and no marker of ours."""
    from reconciler.core.consumers import Consumer, Reads

    reader = Consumer(
        kind="job",
        name=f"job {NOISE}",
        type="Command",
        reads=Reads.LATEST,
        reference=f"azureml:raw@latest {NOISE}",
    )
    plan = noisy_plan()
    first = plan.resource_changes[0].model_copy(update={"consumers": (reader,)})
    plan = plan.model_copy(update={"resource_changes": (first, *plan.resource_changes[1:])})
    body = render_plan(plan)
    assert "```mermaid" in body  # the picture is drawn
    shown = live(body)
    assert "@globorealty" not in shown and "![" not in shown and "<img" not in shown
    assert "reconciler-apply:prod" not in body
