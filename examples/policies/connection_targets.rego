# METADATA
# title: Connections stay within our accounts
# description: >-
#   A connection created or changed targets one of the allowed Snowflake accounts, SQL servers
#   or S3 buckets. Edit `allowed` to name yours.
# custom:
#   enforcement: hard
package reconciler.connection_targets

import rego.v1

allowed := [
	`^jdbc:snowflake://globorealty-(dev|prod)\.snowflakecomputing\.com/`,
	`^globorealty-[a-z]+\.database\.windows\.net$`,
	`^s3://globorealty-[a-z0-9-]+(/|$)`,
]

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "connection"
	some action in rc.change.actions
	action in {"create", "update"}
	is_object(rc.change.after)
	target := rc.change.after.target
	not allowed_target(target)
	msg := sprintf("%s: target %q is not on the allow-list (policy reconciler.connection_targets)", [rc.address, target])
}

allowed_target(target) if {
	some pattern in allowed
	regex.match(pattern, target)
}
