# METADATA
# title: Imports land on the managed or a declared datastore
# description: >-
#   An import writes to Azure ML's managed datastore for imported data
#   (workspacemanageddatastore), to the workspace's default blob store (workspaceblobstore) or
#   to a datastore this project declares, never to one made by hand or by another project.
# custom:
#   enforcement: hard
package reconciler.import_datastores

import rego.v1

managed := {"workspacemanageddatastore", "workspaceblobstore"}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "import"
	some action in rc.change.actions
	action in {"create", "update"}
	is_object(rc.change.after)
	datastore := split(rc.change.after.path, "/")[3]
	not datastore in managed
	not input.desired.datastores[datastore]
	msg := sprintf("%s: imports land on %s or a declared datastore, not on %q", [rc.address, concat(", ", managed), datastore])
}
