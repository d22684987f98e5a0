"""Source checks: run each new or changed import query with zero rows returned.

A SQL error or bad credentials then surface before anything changes (``apply --check-sources``)
or in a review (``plan --check-sources``), not half-way through an apply. The check runs from
where reconciler runs, with the desired connection and its secrets, since the connection itself
may be new in the same plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.core.desired import DesiredState
from reconciler.core.errors import ImportFailed, ReconcileError
from reconciler.core.essences import ConnectionEssence, Kind, address, narrow
from reconciler.core.plan import Action, Plan
from reconciler.imports.base import ImportRunner, SourceSize, import_request


def default_runner() -> ImportRunner:
    from reconciler.imports.runners import default_runner

    return default_runner()


# what to fix when a source of this type cannot run
_FIX = {"database": "the query", "file_system": "the source path"}


@dataclass(frozen=True)
class SourceReport:
    problems: list[str]  # one message per import whose source cannot run
    sizes: dict[str, SourceSize]  # import name -> what the check learned of its size
    failed_types: tuple[str, ...] = ()  # the source types of the imports that cannot run

    def refusal(self) -> ReconcileError | None:
        """The error a failed check is (nothing may change), or None when every source runs."""
        if not self.problems:
            return None
        fix = " or ".join(_FIX.get(t, "the source") for t in sorted(set(self.failed_types)))
        return ReconcileError(
            "source check failed:\n" + "\n".join(f"  {p}" for p in self.problems),
            hint=f"fix {fix or 'the source'} or the connection's credentials; nothing was changed",
        )


def check_sources(
    plan: Plan,
    desired: DesiredState,
    runner_factory: Callable[[], ImportRunner] = default_runner,
) -> SourceReport:
    """Check every new or changed import's source; problems are empty when all can run."""
    if not desired.secrets.resolved:
        raise ReconcileError(
            "source checks need the connections' secrets, and this plan reads none",
            hint="drop --no-secrets, or check sources in the trusted apply job",
        )
    to_check = [
        c.name
        for c in plan.resource_changes
        if c.type is Kind.IMPORT and c.action is Action.MATERIALIZE
    ]
    if not to_check:
        return SourceReport([], {})
    runner = runner_factory()
    problems, failed = [], []
    sizes: dict[str, SourceSize] = {}
    for name in to_check:
        item = desired.get(address(Kind.IMPORT, name))
        assert item is not None
        definition = item.imported.definition
        conn_address = address(Kind.CONNECTION, definition.source.connection)
        connection = desired.get(conn_address)
        assert connection is not None
        secrets = desired.secrets.of(conn_address)
        request = import_request(
            name, "check", definition, narrow(connection.essence, ConnectionEssence), secrets
        )
        try:
            sizes[name] = runner.check(request) or SourceSize()
        except ImportFailed as exc:
            problems.append(exc.message)
            failed.append(definition.source.type)
    return SourceReport(problems, sizes, tuple(failed))
