"""platform.yaml's ``gitops:`` section: the one place a team declares how its GitHub flow runs.

Which environments exist, in which order changes are promoted to them (``promote``: a list of
stages, a list inside a stage meaning those environments apply in parallel), the names of the
GitHub environments each one uses (defaults ``<env>-plan``, ``<env>``, ``<env>-sources``,
``<env>-policy``), and
the hosts each connection's target may name when a pull request's source check sends it a
password. The workflows read this through ``reconcile gitops matrix``; no workflow spells an
environment, a variable or a secret. Read from platform.yaml itself, never from an overlay.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from reconciler.config.model.fields import Strict

MAX_STAGES = 6  # the reusable apply workflow unrolls this many stages
ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
# `host`, `*.suffix`, optionally with `:port`: what a connection's target may point at
HOST_PATTERN = re.compile(
    r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*(:\d{1,5})?"
)


def _environment_name(name: str) -> str:
    if not ENVIRONMENT_NAME.fullmatch(name):
        raise PydanticCustomError(
            "environment_name",
            "'{name}' is not an environment name (letters, digits, '_', '.', '-'; up to 63)",
            {"name": name},
        )
    return name


EnvironmentName = Annotated[str, AfterValidator(_environment_name)]


def _stage(value: Any) -> Any:
    """A stage is one environment or a list of environments applied in parallel."""
    return [value] if isinstance(value, str) else value


Stage = Annotated[list[EnvironmentName], BeforeValidator(_stage), Field(min_length=1)]


def _host_pattern(text: str) -> str:
    if not HOST_PATTERN.fullmatch(text):
        raise PydanticCustomError(
            "host_pattern",
            "'{text}' is not a host pattern: write a host (`db.example.com`), a domain's hosts "
            "(`*.snowflakecomputing.com`), optionally with a port (`127.0.0.1:8765`)",
            {"text": text},
        )
    return text.lower()


class GitHubEnvironments(Strict):
    """The GitHub environments one reconciler environment uses (their names)."""

    plan: EnvironmentName | None = Field(
        None,
        description="Plans it (pull requests, apply's pre-gate plan, drift): the planner "
        "identity, no secret. Default: <env>-plan.",
    )
    apply: EnvironmentName | None = Field(
        None,
        description="Applies it, after its approval gate: the applier identity and the "
        "secrets; deploys from the default branch only. Default: <env>.",
    )
    sources: EnvironmentName | None = Field(
        None,
        description="Source checks of a pull request (a read-only database user's password, "
        "required reviewers, default branch only). Default: <env>-sources.",
    )
    policy: EnvironmentName | None = Field(
        None,
        description="Overrides a soft policy failure of an apply by hand (no identity, no "
        "secret; its required reviewers are the policy owners; default branch only). "
        "Default: <env>-policy.",
    )


class SourceHosts(Strict):
    """Where a connection may send its credentials when a pull request's sources are checked."""

    allowed_hosts: list[Annotated[str, AfterValidator(_host_pattern)]] = Field(
        min_length=1,
        description="Hosts the connection's target may name: `host`, `*.domain` (any host in "
        "it), each optionally with `:port`. A target elsewhere is refused before any "
        "credential is sent.",
    )


class GitOps(Strict):
    """How the GitHub flow runs: environments, promotion, GitHub environment names, sources."""

    promote: list[Stage] = Field(
        default_factory=list,
        max_length=MAX_STAGES,
        description="Stages, in order, that a merge to the default branch is applied to: an "
        "environment, or a list of environments applied in parallel. A stage runs once the one "
        "before it converged (applied, or nothing to do).",
    )
    environments: dict[EnvironmentName, GitHubEnvironments] = Field(
        default_factory=dict,
        description="Per environment: its GitHub environments' names. An environment listed "
        "here but not in promote is planned and checked for drift, and applied only by hand.",
    )
    sources: dict[str, SourceHosts] = Field(
        default_factory=dict,
        description="Per connection: the hosts a pull request's source check may send its "
        "credentials to (reconcile gitops check-sources).",
    )

    @model_validator(mode="after")
    def _each_environment_once(self) -> GitOps:
        seen: set[str] = set()
        for stage in self.promote:
            for name in stage:
                if name in seen:
                    raise PydanticCustomError(
                        "promoted_twice",
                        "environment '{name}' appears twice in promote",
                        {"name": name},
                    )
                seen.add(name)
        return self

    @property
    def stages(self) -> list[list[str]]:
        return [list(stage) for stage in self.promote]

    @property
    def names(self) -> list[str]:
        """Every environment: promoted ones in order, then the others, by name."""
        promoted = [name for stage in self.promote for name in stage]
        return promoted + sorted(set(self.environments) - set(promoted))

    def github(self, environment: str) -> GitHubEnvironments:
        """The GitHub environments of ``environment``, defaults filled."""
        given = self.environments.get(environment) or GitHubEnvironments()
        return GitHubEnvironments(
            plan=given.plan or f"{environment}-plan",
            apply=given.apply or environment,
            sources=given.sources or f"{environment}-sources",
            policy=given.policy or f"{environment}-policy",
        )
