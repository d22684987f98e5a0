"""What the service refuses before it stores anything: bad names, cron expressions, frequencies.

The real service answers these with 400 ``UserError``; the recordings hold no such answer, so
the rules are the documented ones and the messages are the emulator's own wording in the
service's error shape. Names: datastores and data assets as `reconciler.core.names` states
Azure ML's rules; connections by the character set of the REST specification's pattern
(``^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$``) but not its length, since the recordings show the
service accepting a 34-character name. Cron: the five-field expressions az ml schedules take.
Recurrence frequencies: the service's enum, matched case-insensitively.
"""

from __future__ import annotations

import re

from reconciler.core.names import ASSET_NAME, DATASTORE_NAME
from reconciler.core.vocabulary import SERVICE_RECURRENCE_FREQUENCIES, service_spelling
from reconciler_testing.emulator.protocol import bad_request

CONNECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_NAME_RULES = {
    "connection": (
        CONNECTION_NAME,
        "letters, digits, '-' or '_', starting with a letter or digit",
    ),
    "datastore": (DATASTORE_NAME, "letters, digits, '-' or '_', starting with a letter or digit"),
    "data asset": (ASSET_NAME, "letters, digits, '-', '_' or '.', starting with a letter or digit"),
    "component": (ASSET_NAME, "letters, digits, '-', '_' or '.', starting with a letter or digit"),
}
# minute, hour, day of month, month, day of week: (lowest, highest, names)
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    (
        "month",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),  # 0 and 7: Sunday
)
_ITEM = re.compile(r"^(?P<range>\*|[^/-]+(?:-[^/-]+)?)(?:/(?P<step>\d+))?$")


def check_name(kind: str, name: str) -> None:
    pattern, rule = _NAME_RULES[kind]
    if not pattern.match(name):
        raise bad_request(f"The {kind} name '{name}' is not valid: use {rule}.")


def check_cron(expression: str) -> None:
    fields = expression.split()
    if len(fields) != len(_CRON_FIELDS):
        raise bad_request(
            f"Cron expression '{expression}' is not valid: it needs 5 fields "
            "(minute hour day-of-month month day-of-week)."
        )
    for text, (what, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        if not all(_cron_item(item, low, high, names) for item in text.split(",")):
            raise bad_request(
                f"Cron expression '{expression}' is not valid: '{text}' is not a valid {what} "
                f"({low}-{high})."
            )


def _cron_item(item: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    match = _ITEM.match(item)
    if match is None or match["step"] == "0":
        return False
    if match["range"] == "*":
        return True
    bounds = [_cron_value(part, low, high, names) for part in match["range"].split("-")]
    numbers = [b for b in bounds if b is not None]
    return len(numbers) == len(bounds) and numbers == sorted(numbers)


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.lower() in names:
        return low + names.index(text.lower())
    if not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def check_recurrence(frequency: object, interval: object) -> str:
    """The service's spelling of ``frequency``; refuses unknown ones and non-positive intervals."""
    canonical_frequency = service_spelling(SERVICE_RECURRENCE_FREQUENCIES, frequency)
    if canonical_frequency is None:
        raise bad_request(
            f"Recurrence frequency '{frequency}' is not valid: use "
            f"{', '.join(SERVICE_RECURRENCE_FREQUENCIES)}."
        )
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise bad_request(f"Recurrence interval '{interval}' is not valid: use a positive integer.")
    return canonical_frequency
