"""The embedded local workspace: an Azure ML look-alike in one folder under the project."""
