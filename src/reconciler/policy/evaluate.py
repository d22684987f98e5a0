"""Evaluate a team's policies on a plan, as ``conftest test --all-namespaces`` would.

Every ``deny``/``violation``/``warn`` rule (and ``deny_<name>`` ...) of every package is
queried; each message (a string, or an object whose ``msg`` is the message) is a result at its
package's level (``warn`` is always advisory). An error while evaluating (a type error in a
builtin, an unsafe variable, conflicting values) is a located `PolicyError`: the policies fail
closed. The engine is made, fed and queried within one call, on the caller's thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.desired import DesiredState
from reconciler.core.errors import PolicyError, Problem
from reconciler.core.plan import Plan
from reconciler.core.policy import Level, PolicyReport, PolicyResult
from reconciler.policy.document import policy_input
from reconciler.policy.files import Module, PolicyFiles, read_policies
from reconciler.policy.rego import Rego, RegoError

_NULL_HINT = (
    "regorus treats a builtin's type error as an error, where OPA would leave the rule "
    "undefined: check the value first (a deleted resource's change.after is null: "
    "is_object(rc.change.after), or look at change.actions)"
)


@dataclass(frozen=True)
class PolicySet:
    """The policies of some folders, ready to evaluate on plans (a `PolicyCheck`)."""

    files: PolicyFiles

    @classmethod
    def read(cls, folders: Sequence[Path], root: Path) -> PolicySet:
        return cls(read_policies(folders, root))

    def evaluate(
        self, plan: Plan, desired: DesiredState, provenance: Mapping[str, str]
    ) -> PolicyReport:
        return self.evaluate_document(policy_input(plan, desired, provenance))

    def evaluate_document(self, document: Mapping[str, Any]) -> PolicyReport:
        files = self.files
        levels = files.levels()
        results: list[PolicyResult] = []
        with Rego() as rego:
            for module in files.policies:
                rego.add_module(module.shown, module.text)
            rego.set_input(document)
            for package, rules in files.rules().items():
                for rule in rules:
                    level = Level.ADVISORY if rule.startswith("warn") else levels[package]
                    results += self._results(rego, package, rule, level)
        return PolicyReport(sources=files.sources, packages=len(levels), results=tuple(results))

    def _results(self, rego: Rego, package: str, rule: str, level: Level) -> list[PolicyResult]:
        try:
            values = rego.query(f"data.{package}.{rule}")
        except RegoError as exc:
            hint = _NULL_HINT if "null" in exc.message else None
            where = exc.file or self._home(package)
            problem = Problem(
                where, exc.line, exc.column, f"data.{package}.{rule}", exc.message, hint
            )
            raise PolicyError(problems=[problem]) from None
        found = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                message, details = self._message(package, rule, item)
                if message is not None:
                    found.append(
                        PolicyResult(
                            package=package,
                            rule=rule,
                            level=level,
                            message=message,
                            details=details,
                        )
                    )
        return sorted(found, key=lambda r: r.message)

    def _message(self, package: str, rule: str, item: Any) -> tuple[str | None, dict[str, Any]]:
        if isinstance(item, str):
            return item, {}
        if isinstance(item, dict) and isinstance(item.get("msg"), str):
            return item["msg"], {k: v for k, v in item.items() if k != "msg"}
        if item is False:
            return None, {}
        if item is True:  # a boolean rule: true fails, with no message of its own
            return f"{rule} is true", {}
        raise PolicyError(
            problems=[
                Problem(
                    self._home(package),
                    None,
                    None,
                    f"data.{package}.{rule}",
                    f"a message must be a string or an object with a string msg, got {item!r}"[
                        :300
                    ],
                )
            ]
        )

    def _home(self, package: str) -> str:
        module: Module | None = next((m for m in self.files.policies if m.package == package), None)
        return module.shown if module is not None else package
