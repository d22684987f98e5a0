"""The building blocks every resource's model shares: text fields with ``${NAME}`` filled from
the variables (and bounded after), queries, tags, the lifecycle block, the strict base model.

Plain strings may use ``${NAME}``, filled from the environment at validation time (`Text`):
``$${NAME}`` keeps a literal; AML's own ``${{name}}`` is left alone. Limits are checked after
filling, so a variable's value counts and cannot smuggle in a control character either.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from reconciler.core.limits import (
    MAX_DESCRIPTION,
    MAX_QUERY,
    MAX_TAG_KEY,
    MAX_TAG_VALUE,
    MAX_TAGS,
    MAX_TEXT,
    text_problem,
)
from reconciler.core.sql import is_empty
from reconciler.core.vocabulary import (
    RESERVED_TAG_PREFIXES,
)

_VAR = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")
# `${` that starts neither a variable `${NAME}` nor AML's `${{name}}`, and is not escaped `$${`
_NOT_A_VARIABLE = re.compile(r"(?<!\$)\$\{(?!\{)(?![A-Za-z_][A-Za-z0-9_]*\})([^}]{0,40})\}?")


def plain_variables(text: str) -> tuple[str, ...]:
    """The variables ``${NAME}`` that fill ``text`` (``$${NAME}`` is a literal, not one)."""
    if "${" not in text:
        return ()
    return tuple(dict.fromkeys(m.group(2) for m in _VAR.finditer(text) if not m.group(1)))


def interpolate(value: str, info: ValidationInfo) -> str:
    """Replace ``${NAME}`` with the variable's value; ``$${NAME}`` keeps a literal ``${NAME}``."""
    if "${" not in value:
        return value
    env: dict[str, str] = (info.context or {}).get("env", {})

    def substitute(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return "${" + name + "}"
        if not env.get(name):  # CI systems turn an unset variable into "": treat both alike
            raise PydanticCustomError(
                "missing_variable",
                "variable ${{name}} is not set (or empty); export {name} or add it to the "
                "environment's env_file",
                {"name": name},
            )
        return env[name]

    if "${env:" in value or "${keyvault:" in value:
        raise PydanticCustomError(
            "secret_ref_in_plain_field",
            "${env:...} and ${keyvault:...} mark secret references, but this field is not a "
            "secret; write ${NAME} to insert a variable's value",
        )
    odd = _NOT_A_VARIABLE.search(value)
    if odd is not None:
        raise PydanticCustomError(
            "not_a_variable",
            "'{found}' is not a variable reference, and would be kept as written: write "
            "${NAME} (letters, digits and '_'; no spaces, no default such as ${X:-d}), or "
            "$${...} for a literal ${...}",
            {"found": odd.group(0)},
        )
    return _VAR.sub(substitute, value)


def bounded(max_chars: int, *, multiline: bool = False) -> AfterValidator:
    """Checked after ``${NAME}`` is filled: a variable's value counts, and may not smuggle in a
    control character either."""

    def check(value: str) -> str:
        problem = text_problem(value, max_chars, multiline=multiline)
        if problem is not None:
            raise PydanticCustomError("text", "this value {problem}", {"problem": problem})
        return value

    return AfterValidator(check)


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(interpolate), bounded(MAX_TEXT)]
"""A one-line string in which ``${NAME}`` is replaced from the environment."""
Prose = Annotated[
    str,
    Field(max_length=MAX_DESCRIPTION),
    AfterValidator(interpolate),
    bounded(MAX_DESCRIPTION, multiline=True),
]
"""A description: ``${NAME}`` filled, line breaks allowed, Azure ML's 5,000 characters."""


def _not_empty(query: str) -> str:
    """Whether it is one read-only statement depends on the connection's dialect: checked
    with the references (`reconciler.config.references`)."""
    if is_empty(query):
        raise PydanticCustomError(
            "empty_query",
            "the query is empty; write the SELECT whose result becomes the data asset",
        )
    return query


Query = Annotated[
    str,
    Field(max_length=MAX_QUERY),
    AfterValidator(interpolate),
    bounded(MAX_QUERY, multiline=True),
    AfterValidator(_not_empty),
]
"""One read-only SQL statement (a trailing ';' and comments are fine), at most `MAX_QUERY`
characters."""


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise PydanticCustomError(
            "too_many_tags",
            "{count} tags; at most {limit} are allowed (Azure ML keeps 50 per resource and "
            "reconciler writes up to {reserved} of its own)",
            {"count": len(tags), "limit": MAX_TAGS, "reserved": 50 - MAX_TAGS},
        )
    for key in tags:
        if key.startswith(RESERVED_TAG_PREFIXES):
            raise PydanticCustomError(
                "reserved_tag",
                "tag '{key}' is reserved: reconciler uses tags starting with 'reconciler.' and "
                "'managed-by' to track what it manages; rename the tag",
                {"key": key},
            )
    return dict(sorted(tags.items()))


def _tag_key(key: str) -> str:
    problem = "is empty" if not key else text_problem(key, MAX_TAG_KEY)
    if problem is not None:
        raise PydanticCustomError("tag_key", "this tag key {problem}", {"problem": problem})
    return key


TagKey = Annotated[str, Field(max_length=MAX_TAG_KEY), AfterValidator(_tag_key)]
TagValue = Annotated[
    str, Field(max_length=MAX_TAG_VALUE), AfterValidator(interpolate), bounded(MAX_TAG_VALUE)
]
UserTags = Annotated[dict[TagKey, TagValue], AfterValidator(_check_tags)]


class Strict(BaseModel):
    """Base for every model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Lifecycle(Strict):
    """How reconciler may treat the resource, beyond making it match (as Terraform's
    ``lifecycle`` block)."""

    prevent_destroy: bool = Field(
        False,
        description="Refuse any plan that would delete or replace this resource (also after it "
        "is removed from platform.yaml: the protection is recorded on the resource, and only an "
        "explicit false lifts it).",
    )
    adopt: bool = Field(
        False,
        description="Take over a same-named resource that reconciler does not manage (made by "
        "hand, or by another project or environment), overwriting or replacing it as planned.",
    )


def lifecycle_field() -> Any:
    return Field(default_factory=Lifecycle, description="Protection and adoption.")
