"""The JSON Schema of platform.yaml, generated from the pydantic model."""

from __future__ import annotations

import json

from reconciler.config.model.platform import Platform


def schema_json() -> str:
    schema = Platform.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "reconciler platform.yaml"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
