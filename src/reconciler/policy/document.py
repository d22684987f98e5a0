"""The document policies read as ``input``: the plan's JSON (what ``plan --out`` writes), with
three keys added at the top, so a policy that reads only the plan also runs unchanged under
``conftest test --all-namespaces plan.json``:

- ``environment`` (already in the plan): the environment planned.
- ``desired``: the desired state's non-secret fields, by section and name, as the plan shows
  them (``desired.datastores.rawdata.credentials.type``), with ``secret_refs`` (field path ->
  reference, never a value) for resources that have secrets.
- ``provenance``: what is making the change (commit, repository, pull request, run, by).

Plans hold no secret value and nothing derived from one; neither does this document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.core.desired import DesiredState
from reconciler.core.essences import Kind
from reconciler.core.plan import Plan

SECTIONS = {
    Kind.CONNECTION: "connections",
    Kind.DATASTORE: "datastores",
    Kind.IMPORT: "imports",
    Kind.SCHEDULE: "schedules",
}


def policy_input(
    plan: Plan, desired: DesiredState, provenance: Mapping[str, str]
) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(plan.model_copy(update={"policy": None}).to_json())
    sections: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS.values()}
    for resource in desired.resources:
        entry = resource.spec
        if resource.secrets:
            entry["secret_refs"] = {path: str(ref) for path, ref in resource.secrets.items()}
        sections[SECTIONS[resource.kind]][resource.name] = entry
    document["desired"] = sections
    document["provenance"] = dict(provenance)
    return document
