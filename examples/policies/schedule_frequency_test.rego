package reconciler.schedule_frequency_test

import rego.v1

import data.reconciler.schedule_frequency

schedule(trigger) := {"address": "schedule.prices-schedule", "type": "schedule", "change": {"actions": ["create"], "after": {"trigger": trigger}}}

test_cron_every_five_minutes_denied if {
	msgs := schedule_frequency.deny with input as {"resource_changes": [schedule({"type": "cron", "expression": "*/5 * * * *"})]}
	msgs == {`schedule.prices-schedule: cron "*/5 * * * *" runs more often than hourly: name one minute (e.g. 0 * * * *)`}
}

test_cron_two_minutes_denied if {
	count(schedule_frequency.deny) == 1 with input as {"resource_changes": [schedule({"type": "cron", "expression": "0,30 2 * * *"})]}
}

test_cron_hourly_allowed if {
	count(schedule_frequency.deny) == 0 with input as {"resource_changes": [schedule({"type": "cron", "expression": "15 * * * *"})]}
}

test_recurrence_every_minutes_denied if {
	count(schedule_frequency.deny) == 1 with input as {"resource_changes": [schedule({"type": "recurrence", "frequency": "minute", "interval": 15})]}
}

test_recurrence_two_minutes_a_day_denied if {
	trigger := {"type": "recurrence", "frequency": "day", "interval": 1, "schedule": {"hours": [2], "minutes": [0, 30]}}
	count(schedule_frequency.deny) == 1 with input as {"resource_changes": [schedule(trigger)]}
}

test_recurrence_daily_allowed if {
	trigger := {"type": "recurrence", "frequency": "day", "interval": 1, "schedule": {"hours": [2], "minutes": [0]}}
	count(schedule_frequency.deny) == 0 with input as {"resource_changes": [schedule(trigger)]}
}

test_deleted_schedule_not_checked if {
	inp := {"resource_changes": [{"address": "schedule.old", "type": "schedule", "change": {"actions": ["delete"], "after": null}}]}
	count(schedule_frequency.deny) == 0 with input as inp
}
