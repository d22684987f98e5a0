# METADATA
# title: Schedules run at most hourly
# description: >-
#   An import schedule runs at most once an hour: a cron expression names one minute, a
#   recurrence is hourly or slower and names at most one minute.
# custom:
#   enforcement: hard
package reconciler.schedule_frequency

import rego.v1

deny contains msg if {
	some rc in changed_schedules
	trigger := rc.change.after.trigger
	trigger.type == "cron"
	minute := split(trigger.expression, " ")[0]
	not regex.match(`^[0-9]{1,2}$`, minute)
	msg := sprintf("%s: cron %q runs more often than hourly: name one minute (e.g. 0 * * * *)", [rc.address, trigger.expression])
}

deny contains msg if {
	some rc in changed_schedules
	trigger := rc.change.after.trigger
	trigger.type == "recurrence"
	trigger.frequency == "minute"
	msg := sprintf("%s: a recurrence every %d minute(s) runs more often than hourly: use frequency hour or slower", [rc.address, trigger.interval])
}

deny contains msg if {
	some rc in changed_schedules
	trigger := rc.change.after.trigger
	trigger.type == "recurrence"
	count(object.get(trigger, ["schedule", "minutes"], [])) > 1
	msg := sprintf("%s: a recurrence at minutes %v runs more often than hourly: name one minute", [rc.address, trigger.schedule.minutes])
}

changed_schedules contains rc if {
	some rc in input.resource_changes
	rc.type == "schedule"
	some action in rc.change.actions
	action in {"create", "update"}
	is_object(rc.change.after)
}
