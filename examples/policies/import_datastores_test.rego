package reconciler.import_datastores_test

import rego.v1

import data.reconciler.import_datastores

imp(path) := {"address": "import.prices", "type": "import", "change": {"actions": ["create"], "after": {"path": path}}}

declared := {"datastores": {"rawdata": {"type": "azure_blob"}}}

test_declared_datastore_allowed if {
	inp := {"desired": declared, "resource_changes": [imp("azureml://datastores/rawdata/paths/prices")]}
	count(import_datastores.deny) == 0 with input as inp
}

test_managed_datastore_allowed if {
	inp := {"desired": declared, "resource_changes": [imp("azureml://datastores/workspacemanageddatastore")]}
	count(import_datastores.deny) == 0 with input as inp
}

test_default_blob_store_allowed if {
	inp := {"desired": declared, "resource_changes": [imp("azureml://datastores/workspaceblobstore/paths/prices")]}
	count(import_datastores.deny) == 0 with input as inp
}

test_undeclared_datastore_denied if {
	inp := {"desired": declared, "resource_changes": [imp("azureml://datastores/handmade/paths/prices")]}
	msgs := import_datastores.deny with input as inp
	msgs == {`import.prices: imports land on workspaceblobstore, workspacemanageddatastore or a declared datastore, not on "handmade"`}
}

test_other_system_datastore_denied if {
	inp := {"desired": declared, "resource_changes": [imp("azureml://datastores/workspacefilestore/paths/prices")]}
	count(import_datastores.deny) == 1 with input as inp
}
