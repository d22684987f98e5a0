"""Hostile inputs that hide something from review (issue 21, item 4): what git and GitHub
show as one line must be what is read, and a key must be the key it looks like.

U+0085, U+2028 and U+2029 are line breaks to YAML and not to git; format characters (zero
width, soft hyphen, tag characters, variation selectors) are invisible everywhere; Cyrillic
letters look like Latin ones. Each is refused wherever it stands, quoted free text included,
at file:line:column as an editor shows it, naming the code point.
"""

from __future__ import annotations

from tests.conftest import LOCAL, PLATFORM, local_env
from tests.hostile.cases import FIELD_LINE, Case, field_, overlay, swap

_P = "platform.yaml"
_FIELD = f"{_P}:{FIELD_LINE}:"
_PRUNE = "settings: {prune: true}"

CASES = [
    Case(
        "line-separator-hides-prune",
        "review",
        field_(f"description: raw house sales\u2028{_PRUNE}"),
        (f"{_FIELD}33", "U+2028 LINE SEPARATOR", "git and GitHub show it as part of this line"),
    ),
    Case(
        "next-line-hides-another-path",
        "review",
        field_("description: sales\x85path: azureml://datastores/rawdata/paths/elsewhere"),
        (f"{_FIELD}23", "U+0085", "YAML reads it as a line break"),
    ),
    Case(
        "paragraph-separator-in-overlay",
        "review",
        overlay("# environment\u2029" + _PRUNE + "\n"),
        ("environments/local.yaml:5:14", "U+2029 PARAGRAPH SEPARATOR"),
    ),
    Case(
        "zero-width-space-in-asset-name",
        "review",
        swap("  raw_house_data:", "  raw_house\u200b_data:"),
        (f"{_P}:18:12", "invisible character U+200B ZERO WIDTH SPACE"),
    ),
    Case(
        "soft-hyphen-in-quoted-query",
        "review",
        swap("SELECT * FROM", "'SELECT * FROM GLOBO\u00adREALTY.X' # FROM"),
        (f"{_P}:22:34", "U+00AD SOFT HYPHEN"),
    ),
    Case(
        "tag-characters-in-description",
        "review",
        field_('description: "sales' + "".join(chr(0xE0000 + ord(c)) for c in "drop") + '"'),
        (f"{_FIELD}24", "U+E0064 TAG LATIN SMALL LETTER D", "and 3 more"),
    ),
    Case(
        "variation-selector-in-tag",
        "review",
        field_("tags: {team: data\ufe0f}"),
        (f"{_FIELD}22", "U+FE0F VARIATION SELECTOR-16"),
    ),
    Case(
        "word-joiner-in-env-file",
        "review",
        {"environments/local.env": local_env() + "SNOWFLAKE_ACCOUNT=ac\u2060me\n"},
        ("environments/local.env:5:21", "U+2060 WORD JOINER"),
    ),
    Case(
        "byte-order-mark-mid-file",
        "review",
        {_P: PLATFORM.replace("imports:", "\ufeffimports:")},
        (f"{_P}:17:1", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ),
    Case(
        "zero-width-in-variable-value",
        "review",
        env={"SNOWFLAKE_USER": "global\u200dadmin"},
        expect=(f"{_P}:8:", "U+200D ZERO WIDTH JOINER"),
        args=("validate",),
    ),
    Case(
        "cyrillic-settings-key",
        "review",
        overlay("s\u0435ttings: {prune: true}\n"),
        ("environments/local.yaml:5:1", "U+0435 CYRILLIC SMALL LETTER IE", "retype the key"),
    ),
    Case(
        "cyrillic-path-key",
        "review",
        swap("    path: azureml", "    \u0440\u0430th: azureml"),
        (f"{_P}:23:5", "U+0440 CYRILLIC SMALL LETTER ER"),
    ),
    Case(
        "greek-omicron-in-import-name",
        "review",
        swap("  raw_house_data:", "  raw_h\u03bfuse_data:"),
        (f"{_P}:18:3", "U+03BF GREEK SMALL LETTER OMICRON"),
    ),
    Case(
        "cyrillic-workspace-key",
        "review",
        {"environments/local.yaml": LOCAL.replace("  path:", "  p\u0430th:")},
        ("environments/local.yaml:4:3", "U+0430 CYRILLIC SMALL LETTER A"),
    ),
]
