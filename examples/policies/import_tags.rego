# METADATA
# title: Imports carry the required tags
# description: Every import created or changed names the team that owns its data.
# custom:
#   enforcement: hard
package reconciler.import_tags

import rego.v1

required := {"owner"}

deny contains msg if {
	some rc in changed_imports
	tags := object.get(rc.change.after, "tags", {})
	some tag in required
	not tags[tag]
	msg := sprintf("%s: tags.%s is required", [rc.address, tag])
}

deny contains msg if {
	some rc in changed_imports
	owner := rc.change.after.tags.owner
	not regex.match(`^[a-z0-9][a-z0-9-]*$`, owner)
	msg := sprintf("%s: tags.owner must name a team (lowercase letters, digits, dashes), got %q", [rc.address, owner])
}

changed_imports contains rc if {
	some rc in input.resource_changes
	rc.type == "import"
	some action in rc.change.actions
	action in {"create", "update"}
	is_object(rc.change.after)
}
