package reconciler.connection_targets_test

import rego.v1

import data.reconciler.connection_targets

conn(target) := {"address": "connection.snow", "type": "connection", "change": {"actions": ["create"], "after": {"target": target}}}

test_our_snowflake_allowed if {
	target := "jdbc:snowflake://globorealty-prod.snowflakecomputing.com/?db=GLOBOREALTY&warehouse=WH"
	count(connection_targets.deny) == 0 with input as {"resource_changes": [conn(target)]}
}

test_other_snowflake_denied if {
	msgs := connection_targets.deny with input as {"resource_changes": [conn("jdbc:snowflake://evil.snowflakecomputing.com/?db=X")]}
	msgs == {`connection.snow: target "jdbc:snowflake://evil.snowflakecomputing.com/?db=X" is not on the allow-list (policy reconciler.connection_targets)`}
}

test_lookalike_host_denied if {
	target := "jdbc:snowflake://globorealty-prod.snowflakecomputing.com.evil.io/"
	count(connection_targets.deny) == 1 with input as {"resource_changes": [conn(target)]}
}

test_our_bucket_allowed if {
	count(connection_targets.deny) == 0 with input as {"resource_changes": [conn("s3://globorealty-raw/listings")]}
}

test_deleted_connection_not_checked if {
	inp := {"resource_changes": [{"address": "connection.old", "type": "connection", "change": {"actions": ["delete"], "after": null}}]}
	count(connection_targets.deny) == 0 with input as inp
}
