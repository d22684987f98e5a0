package reconciler.no_delete_in_prod_test

import rego.v1

import data.reconciler.no_delete_in_prod

change(address, actions) := {"address": address, "type": "datastore", "change": {"actions": actions, "after": null}}

test_delete_in_prod_denied if {
	msgs := no_delete_in_prod.deny with input as {"environment": "prod", "resource_changes": [change("datastore.raw", ["delete"])]}
	msgs == {"datastore.raw: delete in prod needs a policy owner's override"}
}

test_replace_in_prod_named_replace if {
	msgs := no_delete_in_prod.deny with input as {"environment": "prod", "resource_changes": [change("connection.sql", ["delete", "create"])]}
	msgs == {"connection.sql: replace in prod needs a policy owner's override"}
}

test_delete_in_dev_allowed if {
	count(no_delete_in_prod.deny) == 0 with input as {"environment": "dev", "resource_changes": [change("datastore.raw", ["delete"])]}
}

test_create_and_update_in_prod_allowed if {
	inp := {"environment": "prod", "resource_changes": [change("datastore.a", ["create"]), change("datastore.b", ["update"])]}
	count(no_delete_in_prod.deny) == 0 with input as inp
}
