package reconciler.import_tags_test

import rego.v1

import data.reconciler.import_tags

imp(actions, tags) := {"address": "import.prices", "type": "import", "change": {"actions": actions, "after": {"tags": tags}}}

test_missing_owner_denied if {
	msgs := import_tags.deny with input as {"resource_changes": [imp(["create"], {})]}
	msgs == {"import.prices: tags.owner is required"}
}

test_bad_owner_denied if {
	msgs := import_tags.deny with input as {"resource_changes": [imp(["update"], {"owner": "Data Team"})]}
	msgs == {`import.prices: tags.owner must name a team (lowercase letters, digits, dashes), got "Data Team"`}
}

test_good_owner_allowed if {
	count(import_tags.deny) == 0 with input as {"resource_changes": [imp(["create"], {"owner": "data-platform"})]}
}

test_unchanged_import_not_checked if {
	inp := {"resource_changes": [imp(["no-op"], {}), imp(["no-op"], {"owner": "Data Team"})]}
	count(import_tags.deny) == 0 with input as inp
}

test_archived_import_not_checked if {
	inp := {"resource_changes": [{"address": "import.old", "type": "import", "change": {"actions": ["update"], "after": null}}]}
	count(import_tags.deny) == 0 with input as inp
}
