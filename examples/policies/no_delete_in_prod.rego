# METADATA
# title: No delete or replace in prod without an override
# description: >-
#   Deleting (or replacing: delete, then create) a connection, datastore or schedule in prod
#   needs a policy owner's override: reconcile apply --policy-override REASON.
# custom:
#   enforcement: soft
package reconciler.no_delete_in_prod

import rego.v1

prod_environments := {"prod"}

deny contains msg if {
	input.environment in prod_environments
	some rc in input.resource_changes
	"delete" in rc.change.actions
	verb := replace_or_delete(rc.change.actions)
	msg := sprintf("%s: %s in %s needs a policy owner's override", [rc.address, verb, input.environment])
}

replace_or_delete(actions) := "replace" if "create" in actions

replace_or_delete(actions) := "delete" if not "create" in actions
