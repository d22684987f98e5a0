"""``plan --check-sources``: run each new or changed import query with zero rows returned.

A SQL error or bad credentials then surface in the pull request, not after the merge. The
check runs from where ``plan`` runs (a laptop, a CI runner) with the desired connection and
secrets, since the connection itself may be new in the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reconciler.config import LoadedConfig
from reconciler.errors import ImportFailed
from reconciler.imports.base import ImportRequest, ImportRunner
from reconciler.plan import Action, Plan
from reconciler.resources import address, desired_resources
from reconciler.secrets import resolve_secrets


def _default_runner() -> ImportRunner:
    from reconciler.imports.database import DatabaseImportRunner

    return DatabaseImportRunner()


def check_sources(
    plan: Plan,
    config: LoadedConfig,
    runner_factory: Callable[[], ImportRunner] = _default_runner,
) -> list[str]:
    """One message per import whose source cannot run; empty when all can."""
    platform = config.platform
    to_check = [
        c.name
        for c in plan.resource_changes
        if c.type == "import" and c.action is Action.MATERIALIZE
    ]
    if not to_check:
        return []
    secrets = resolve_secrets(desired_resources(platform), config)
    runner = runner_factory()
    problems = []
    for name in to_check:
        item = platform.imports[name]
        connection = platform.connections[item.source.connection]
        conn_address = address("connection", item.source.connection)
        credentials: Mapping[str, str] = {
            k.removeprefix("credentials."): v
            for (owner, k), v in secrets.items()
            if owner == conn_address
        } | {
            k: str(v)
            for k, v in connection.credentials.model_dump().items()
            if k not in ("type", "password", "secret_access_key")
        }
        request = ImportRequest(
            asset_name=name,
            version="check",
            source_type=item.source.type,
            connection_name=item.source.connection,
            connection_type=connection.type,
            connection_target=connection.target,
            credentials=credentials,
            asset_type=item.asset_type,  # type: ignore[arg-type]
            query=getattr(item.source, "query", None),
            path=getattr(item.source, "path", None),
        )
        try:
            runner.check(request)
        except ImportFailed as exc:
            problems.append(exc.message)
    return problems
