"""Schedule triggers as Azure ML takes them, and when they next fire."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.core.essences import RecurrencePattern, Trigger
from reconciler.core.schedules import cron_problem, next_run, time_zone_problem

MONDAY_NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_cron_has_five_valid_fields() -> None:
    assert cron_problem("0 3 * * *") is None
    assert (
        cron_problem("0 3 * *") == "a cron expression has 5 fields: minute hour day month weekday"
    )
    assert cron_problem("0 25 * * *") == "cron field 2, hour (0-23), cannot be '25'"


def test_time_zones_are_windows_names_and_an_iana_name_gets_its_windows_name() -> None:
    assert time_zone_problem("W. Europe Standard Time") is None
    assert time_zone_problem("Europe/Amsterdam") == (
        "Azure ML schedules take Windows time zone names: write 'W. Europe Standard Time' for "
        "'Europe/Amsterdam'"
    )
    assert "is not a time zone Azure ML schedules accept" in str(time_zone_problem("Mars/Base"))


def test_a_cron_trigger_next_fires_in_its_own_zone() -> None:
    daily = Trigger(type="cron", expression="0 3 * * *", time_zone="UTC")
    assert next_run(daily, MONDAY_NOON) == datetime(2026, 1, 6, 3, 0, tzinfo=UTC)


def test_a_recurrence_counts_from_its_start_and_a_pattern_picks_its_times() -> None:
    hourly = Trigger(
        type="recurrence", frequency="hour", interval=2, start_time="2026-01-05T11:30:00"
    )
    weekly = Trigger(
        type="recurrence",
        frequency="week",
        interval=1,
        schedule=RecurrencePattern(hours=[6], minutes=[15], week_days=["wednesday"]),
    )
    monthly = Trigger(type="recurrence", frequency="month", interval=1)

    assert next_run(hourly, MONDAY_NOON) == datetime(2026, 1, 5, 13, 30, tzinfo=UTC)
    assert next_run(weekly, MONDAY_NOON) == datetime(2026, 1, 7, 6, 15, tzinfo=UTC)
    assert next_run(monthly, MONDAY_NOON) is None  # not computed
