"""Every bound reconciler puts on its input, with where each number comes from.

Two kinds. Reading bounds keep every command answered in seconds whatever the input (a 340-byte
YAML alias bomb stands for billions of values; a 1 MB query keeps a database busy for minutes):
they are far above what a reviewed desired state needs. Azure ML's own limits on names,
versions, tags and descriptions are checked at validate, so that a plan never proposes what the
service (or the embedded workspace, which mirrors it) would refuse half-way through an apply.

Pure functions and constants: no I/O, no third-party imports.
"""

from __future__ import annotations

import re
import unicodedata

# --- reading ---------------------------------------------------------------------------------

MAX_FILE_BYTES = 4 * 1024 * 1024
"""platform.yaml, an overlay or an env file: 4 MiB (5,000 resources take about 1 MiB)."""
MAX_NODES = 500_000
"""Keys and values in one YAML file. `MAX_RESOURCES` must be reachable: 5,000 imports written
in full (description, tags, a recurrence schedule with its pattern) take about 230,000, and
5,000 connections plus 5,000 datastores about 150,000; a file stays within `MAX_FILE_BYTES`
anyway (reading 500,000 takes about 2 s)."""
MAX_ALIAS_VALUES = 10_000
"""Values repeated through aliases in one YAML file: what makes an alias bomb, refused early."""
MAX_DEPTH = 32
"""Nested mappings and lists in one YAML file (platform.yaml needs 7)."""
MAX_SCALAR_CHARS = 65_536
"""Characters in one YAML value or key, before any field's own limit applies."""
MAX_ENV_FILES = 16
"""Files in ``env_file`` (a project needs two or three: the demo's, a tool's, a local one)."""
MAX_ENV_BYTES = 8 * 1024 * 1024
"""The env files together (each also at most `MAX_FILE_BYTES`): 200 copies of a 4 MiB file
took validate 30 s."""
MAX_RESOURCES = 5_000
"""Connections, datastores or imports in one section of the merged desired state (the plan
benchmark's largest desired state holds 5,000 resources in all)."""

# --- Azure ML's limits -----------------------------------------------------------------------
# ARM resource types Microsoft.MachineLearningServices/workspaces/* (REST API 2024-04-01):
#   data, datastores, schedules, jobs: name ^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$ (255 characters)
#   connections:                       name ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$  (3-33 characters)
# Data asset versions: "Argument 'version' exceeded maximum length of 30 for DatasetId"
# (the service's error, quoted in Azure/azureml-assets#295).
# Tags and descriptions: "Service limits in Azure Machine Learning" (learn.microsoft.com,
# resource-limits-capacity): 50 tags, tag keys of 100 characters, tag values of 1,000 characters,
# descriptions of 5,000 characters (the limits documented for runs; none are documented for data
# assets, datastores or connections, so the strictest documented ones apply).

MAX_NAME = 255
"""Data asset, datastore and schedule names."""
MAX_VERSION = 30
"""A pinned data asset version."""
MAX_DESCRIPTION = 5_000
MAX_TAG_KEY = 100
MAX_TAG_VALUE = 1_000
RESERVED_TAGS = 10
"""Tags reconciler writes beside the user's (ownership, provenance, secret hashes, ...)."""
MAX_TAGS = 50 - RESERVED_TAGS
"""User tags per resource: Azure ML's 50, less what reconciler reserves."""

# --- Azure Storage's limits on a folder inside a datastore -----------------------------------
# Blob names: at most 1,024 characters; Azure Files and ADLS Gen2: 255 per path segment.

MAX_FOLDER = 1_024
MAX_SEGMENT = 255

# --- reconciler's own ------------------------------------------------------------------------

MAX_TEXT = 1_024
"""Any other single-line field (a target, a user name, a container, a time zone)."""
MAX_QUERY = 32_768
"""A data import's query: one SELECT (a 500-line query fits; larger ones belong in a view)."""

# --- checks ----------------------------------------------------------------------------------

INVISIBLE = (
    # line breaks YAML honours and git shows as part of a line: NEL, LINE and PARAGRAPH SEPARATOR
    "\u0085\u2028\u2029"
    # Unicode's format characters (category Cf, Unicode 15): soft hyphen, zero-width space and
    # joiners, bidirectional controls, word joiner, invisible operators, BOM, tag characters...
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
    # invisible but not Cf: variation selectors, the combining grapheme joiner, Hangul and
    # Khmer fillers, Mongolian free variation selectors
    "\ufe00-\ufe0f\U000e0100-\U000e01ef\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5"
    "\u180b-\u180d\u180f"
)
"""What a review cannot see: refused in every desired-state file and every field's value (a
character class body for `re`)."""
_CONTROL_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]")
_CONTROL_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{INVISIBLE}]")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_SEPARATORS = "\u0085\u2028\u2029"


def code_point(char: str) -> str:
    """``U+2028 LINE SEPARATOR``: a character named as Unicode names it."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def text_problem(value: str, max_chars: int, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be a field's text (too long, a control character), or None.

    Control characters (an escape sequence from a double-quoted YAML string or a variable) would
    reach the terminal and the pull-request comment that show the plan, and bidirectional
    controls would make a reviewed value read differently from what it is; only a multi-line
    field (a query, a description) may hold tabs and line breaks. Never echoes the value.
    """
    if len(value) > max_chars:
        return f"is {len(value):,} characters long; at most {max_chars:,} are allowed"
    control = (_CONTROL_LINES if multiline else _CONTROL_LINE).search(value)
    if control is not None:
        char = control.group()
        code = ord(char)
        if char in "\n\r":
            return f"holds a line break (U+{code:04X}); it must be a single line"
        if char in LINE_SEPARATORS:
            return (
                f"holds {code_point(char)}, a line break YAML reads but a review shows as part "
                "of the line; remove it"
            )
        if char in BIDI:
            return (
                f"holds the invisible bidirectional control {code_point(char)}, which makes "
                "text read differently in a review than it is; remove it"
            )
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return f"holds the control character U+{code:04X}; remove it"
        return (
            f"holds the invisible character {code_point(char)}, which a review cannot see; "
            "remove it"
        )
    return None
