# METADATA
# title: Prod datastores are identity-based
# description: >-
#   A datastore created or changed in prod reaches its storage with the workspace's identity
#   (credentials omitted), never with an account key, a SAS token or a service principal secret.
# custom:
#   enforcement: hard
package reconciler.datastore_identity

import rego.v1

deny contains msg if {
	input.environment == "prod"
	some rc in input.resource_changes
	rc.type == "datastore"
	some action in rc.change.actions
	action in {"create", "update"}
	is_object(rc.change.after)
	kind := object.get(rc.change.after, ["credentials", "type"], "none")
	kind != "none"
	msg := sprintf("%s: prod datastores must be identity-based (omit credentials), found %s credentials", [rc.address, kind])
}
