"""Schedule triggers as Azure ML accepts them, and when they next fire.

Cron expressions have Azure ML's five fields (minute hour day month weekday) and are checked
with croniter, ranges included; time zones are the Windows names Azure ML schedules take
(`reconciler.core.timezones.AZURE_TIME_ZONES`), and an IANA name such as ``Europe/Amsterdam`` gets
the Windows name to write instead. `next_run` backs ``reconcile status``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

from reconciler.core.essences import RecurrencePattern, Trigger
from reconciler.core.timezones import AZURE_TIME_ZONES
from reconciler.core.vocabulary import WEEK_DAYS

_FIELDS = ("minute (0-59)", "hour (0-23)", "day of month (1-31)", "month (1-12)", "weekday (0-6)")


@lru_cache(maxsize=1024)
def cron_problem(expression: str) -> str | None:
    """Why Azure ML would refuse ``expression``, or None."""
    from croniter import CroniterError, croniter

    parts = expression.split()
    if len(parts) != 5:
        return "a cron expression has 5 fields: minute hour day month weekday"
    for index, part in enumerate(parts):
        probe = ["*"] * 5
        probe[index] = part
        if not croniter.is_valid(" ".join(probe)):
            return f"cron field {index + 1}, {_FIELDS[index]}, cannot be {part!r}"
    try:  # every field valid, and yet no date matches them all (February 30th)
        croniter(expression, datetime(2024, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterError, ValueError, OverflowError):
        return (
            f"{expression!r} never fires: no date has that day of the month in those months; "
            "check the day (field 3) and month (field 4)"
        )
    return None


def time_zone_problem(name: str) -> str | None:
    if name in AZURE_TIME_ZONES:
        return None
    windows = _windows_name(name)
    if windows:
        return f"Azure ML schedules take Windows time zone names: write {windows!r} for {name!r}"
    return (
        f"{name!r} is not a time zone Azure ML schedules accept; use a Windows name such as "
        "'UTC', 'W. Europe Standard Time' or 'Pacific Standard Time'"
    )


def _windows_name(iana: str) -> str | None:
    try:
        from tzlocal.windows_tz import tz_win
    except ImportError:  # pragma: no cover - a broken install
        return None
    found = tz_win.get(iana)
    return found if found in AZURE_TIME_ZONES else None


def next_run(trigger: Trigger, now: datetime | None = None) -> datetime | None:
    """When a cron or recurrence trigger (an essence's `Trigger`) next fires, in its own zone;
    None when that cannot be told (a trigger read from the workspace that never fires, a start
    time past what datetimes hold): ``status`` shows "-" rather than fail."""
    from croniter import CroniterError

    try:
        return _next_run(trigger, now)
    except (CroniterError, ValueError, OverflowError):
        return None


def _next_run(trigger: Trigger, now: datetime | None) -> datetime | None:
    zone = _zone(trigger.time_zone)
    current = (now or datetime.now(UTC)).astimezone(zone)
    start = _start(trigger.start_time, zone)
    if start is not None and start > current:
        current = start - timedelta(seconds=1)
    if trigger.type == "cron" and trigger.expression:
        from croniter import croniter

        found: datetime = croniter(trigger.expression, current).get_next(datetime)
        return found
    return _next_recurrence(trigger, current, start)


def _next_recurrence(
    trigger: Trigger, current: datetime, start: datetime | None
) -> datetime | None:
    step = {
        "minute": timedelta(minutes=1),
        "hour": timedelta(hours=1),
        "day": timedelta(days=1),
        "week": timedelta(weeks=1),
    }.get(str(trigger.frequency))
    if step is None:  # monthly recurrences: not computed
        return None
    pattern = trigger.schedule
    if pattern is not None and (pattern.hours or pattern.minutes or pattern.week_days):
        return _next_pattern(pattern, current)
    anchor = start or current.replace(second=0, microsecond=0)
    interval = step * int(trigger.interval or 1)
    elapsed = max(timedelta(0), current - anchor)
    periods = elapsed // interval + 1
    return anchor + periods * interval


def _next_pattern(pattern: RecurrencePattern, current: datetime) -> datetime | None:
    hours = pattern.hours or [0]
    minutes = pattern.minutes or [0]
    for offset in range(0, 8):
        day = (current + timedelta(days=offset)).date()
        if pattern.week_days and WEEK_DAYS[day.weekday()] not in pattern.week_days:
            continue
        for hour in sorted(hours):
            for minute in sorted(minutes):
                at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=current.tzinfo)
                if at > current:
                    return at
    return None


def _zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        from tzlocal.windows_tz import win_tz

        return ZoneInfo(win_tz.get(name, "UTC") if name != "UTC" else "UTC")
    except (ImportError, ZoneInfoNotFoundError):
        return UTC


def _start(text: str | None, zone: tzinfo) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
