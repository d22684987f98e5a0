"""An import submitted to Azure ML and followed to its end.

``data.import_data`` always names its job at random, so a submit retried after its answer was
lost would start a second import. Imports are submitted under a name derived from the asset,
version and fingerprint instead (``<base>``, ``<base>_2``, ...): a name whose job failed is
passed over, one whose job is running or completed is the import already under way. The job
carries reconciler's fingerprint, definition and version as properties, which is how reads find
import runs and what they made. The provider labels the version once the job completes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.core.errors import ProviderError
from reconciler.core.essences import ImportEssence
from reconciler.core.live import ImportJob
from reconciler.core.vocabulary import (
    DEFINITION_PROPERTY,
    FINGERPRINT_PROPERTY,
    OWNER_TAG,
    VERSION_PROPERTY,
)
from reconciler.providers.azureml import mapping
from reconciler.providers.azureml.reads import import_job, output_folder

SUBMIT_ATTEMPTS = 20  # distinct job names tried for one import before giving up
Call = Callable[[str, Callable[[], Any]], Any]  # a request, its errors mapped (`errors.call`)


@dataclass(frozen=True)
class Submission:
    client: Any  # azure-ai-ml's MLClient
    call: Call
    poll_seconds: float

    def run(
        self, name: str, version: str, essence: ImportEssence, tags: dict[str, str]
    ) -> ImportJob:
        """Submit (or find) the import and wait for it to end; the ended job."""
        job = self.submit(name, version, essence, tags)
        job_name = str(job.name)
        while True:
            current = import_run(job, name)
            if not current.active:
                return current
            time.sleep(self.poll_seconds)
            job = self.call(f"read import job {job_name}", lambda: self.client.jobs.get(job_name))

    def submit(self, name: str, version: str, essence: ImportEssence, tags: dict[str, str]) -> Any:
        """Start the import, or find the one an earlier attempt started. Job names are
        ``<base>``, ``<base>_2``, ...: one that failed is passed over, one that is running or
        completed is the import already under way (its submit's answer was lost)."""
        from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

        base = base_job_name(name, version, essence.fingerprint)
        properties = {
            FINGERPRINT_PROPERTY: essence.fingerprint,
            DEFINITION_PROPERTY: json.dumps(essence.definition.to_dict(), sort_keys=True),
            VERSION_PROPERTY: version,
        }
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            job_name = base if attempt == 1 else f"{base}_{attempt}"

            def existing(job_name: str = job_name) -> Any:
                try:
                    return self.client.jobs.get(job_name)
                except ResourceNotFoundError:
                    return None

            found = self.call(f"read import job {job_name}", existing)
            if found is not None and import_run(found, name).status.unsuccessful:
                continue
            if found is not None:
                return found
            request = mapping.import_job(
                job_name,
                name,
                essence.definition,
                version=version,
                description=essence.description,
                tags={**essence.tags, **tags},
                properties=properties,
            )

            def submit(request: Any = request, job_name: str = job_name) -> Any:
                try:
                    return self.client.jobs.create_or_update(request, skip_validation=True)
                except ResourceExistsError:  # a retry of a submit the service already took
                    return self.client.jobs.get(job_name)

            return self.call(f"submit the import of {name}", submit)
        raise ProviderError(
            f"import {name}:{version} failed {SUBMIT_ATTEMPTS} times; see the jobs named "
            f"{base}* in the workspace"
        )


def base_job_name(asset: str, version: str, fingerprint: str) -> str:
    """A job name the service accepts (letters, digits, '_', '-') that only this import of
    this definition into this version has: ``import_<asset>_<version>_<fingerprint digits>``."""
    digits = fingerprint.rpartition(":")[2][:12]
    text = f"import_{asset}_{version}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:200] + f"_{digits}"


def import_run(job: Any, asset: str) -> ImportJob:
    """An import run from the SDK's job entity (what ``jobs.get`` and a submit return)."""
    raw = getattr(job.status, "value", job.status)  # JobStatus is a (str, Enum)
    context = getattr(job, "creation_context", None)
    sink = _sink(job)
    return import_job(
        str(job.name),
        asset,
        str(raw or "Running"),
        dict(getattr(job, "properties", None) or {}),
        str(sink.version) if sink is not None and sink.version else None,
        str(getattr(context, "created_at", "") or ""),
        owner=(getattr(job, "tags", None) or {}).get(OWNER_TAG),
        output=output_folder(str(getattr(sink, "path", "") or ""), str(job.name)),
    )


def _sink(job: Any) -> Any:
    for child in (getattr(job, "jobs", None) or {}).values():
        sink = (getattr(child, "outputs", None) or {}).get("sink")
        if sink is not None:
            return sink
    return None
