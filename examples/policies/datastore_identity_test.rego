package reconciler.datastore_identity_test

import rego.v1

import data.reconciler.datastore_identity

store(actions, credentials) := {"address": "datastore.raw", "type": "datastore", "change": {"actions": actions, "after": {"credentials": credentials}}}

test_account_key_in_prod_denied if {
	msgs := datastore_identity.deny with input as {"environment": "prod", "resource_changes": [store(["create"], {"type": "account_key"})]}
	msgs == {"datastore.raw: prod datastores must be identity-based (omit credentials), found account_key credentials"}
}

test_sas_in_prod_denied if {
	count(datastore_identity.deny) == 1 with input as {"environment": "prod", "resource_changes": [store(["update"], {"type": "sas"})]}
}

test_identity_in_prod_allowed if {
	count(datastore_identity.deny) == 0 with input as {"environment": "prod", "resource_changes": [store(["create"], {"type": "none"})]}
}

test_account_key_in_dev_allowed if {
	count(datastore_identity.deny) == 0 with input as {"environment": "dev", "resource_changes": [store(["create"], {"type": "account_key"})]}
}

test_delete_not_checked if {
	inp := {"environment": "prod", "resource_changes": [{"address": "datastore.old", "type": "datastore", "change": {"actions": ["delete"], "after": null}}]}
	count(datastore_identity.deny) == 0 with input as inp
}
