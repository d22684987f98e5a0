"""platform.yaml as pydantic models: validated once, with no I/O."""
