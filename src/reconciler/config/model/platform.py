"""platform.yaml as a whole: the project, the environment's workspace, env files, settings, and
the connections, datastores and imports by name (so an overlay can change one field of one
resource). Field names follow the az ml CLI v2 YAML, so users can copy from Microsoft's docs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from reconciler.config.model.connections import Connection
from reconciler.config.model.datastores import Datastore
from reconciler.config.model.fields import (
    Strict,
    Text,
)
from reconciler.config.model.gitops import GitOps
from reconciler.config.model.imports import DataImport
from reconciler.config.model.refactoring import Moved, Removed, refactoring_field
from reconciler.config.model.secretrefs import Secret
from reconciler.core.consumers import DEFAULT_DAYS, DEFAULT_JOBS
from reconciler.core.limits import (
    MAX_FOLDER,
)
from reconciler.core.names import (
    project_folder,
)
from reconciler.core.vocabulary import (
    SYSTEM_DATASTORES,
)


class LocalWorkspace(Strict):
    """The embedded workspace: a folder under the project that behaves like Azure ML."""

    provider: Literal["local"] = Field(description="Use the embedded local workspace.")
    path: Annotated[Text, AfterValidator(project_folder)] = Field(
        ".reconcile/local",
        description="Folder (relative to the project) that holds the workspace's store and data.",
    )


class AzureWorkspace(Strict):
    """An Azure Machine Learning workspace, reached through azure-ai-ml."""

    provider: Literal["azureml"] = Field(description="Use a live Azure ML workspace.")
    subscription_id: Text = Field(description="Azure subscription ID.")
    resource_group: Text = Field(description="Resource group of the workspace.")
    workspace_name: Text = Field(description="Name of the Azure ML workspace.")


Workspace = Annotated[LocalWorkspace | AzureWorkspace, Field(discriminator="provider")]


class Consumers(Strict):
    """Who consumes what a plan changes: every schedule, and the recent jobs of a window."""

    enabled: bool = Field(
        True,
        description="List the schedules and recent jobs that read a data asset getting a new "
        "version (or archived), or a datastore or connection deleted or replaced (like "
        "--no-consumers when false).",
    )
    days: int = Field(
        DEFAULT_DAYS, ge=1, le=3650, description="Recent jobs: those of the last N days."
    )
    jobs: int = Field(
        DEFAULT_JOBS,
        ge=0,
        le=5000,
        description="Recent jobs: at most N, newest first (bounds what a plan reads).",
    )


class Settings(Strict):
    prune: bool = Field(
        False,
        description="Delete managed resources that are no longer declared (like --prune).",
    )
    secret_key: Secret | None = Field(
        None,
        description="The key (at least 32 characters, e.g. `openssl rand -hex 32`) that keys "
        "the hashes stored beside each secret, so that only who holds it can compare secrets: "
        "${env:NAME} or ${keyvault:VAULT/SECRET}, from the applier's secret store. Required "
        "for an Azure ML workspace; the embedded workspace keeps a random one in its folder "
        "when none is declared.",
    )
    consumers: Consumers = Field(
        default_factory=Consumers,
        description="Consumers in plans: schedules and recent jobs reading what changes.",
    )


def _not_empty_path(path: str) -> str:
    if not path:
        raise PydanticCustomError("empty_path", "the path is empty")
    return path


class EnvFile(Strict):
    """One dotenv file of env_file."""

    path: Annotated[str, AfterValidator(_not_empty_path)] = Field(
        max_length=MAX_FOLDER,
        description="The file, relative to the folder of platform.yaml (and inside it).",
    )
    optional: bool = Field(
        False,
        description="Skip the file when it does not exist, for a file that a tool writes (such "
        "as the local Snowflake's .reconcile/snowflake/server.env) rather than one you commit.",
    )


def _env_file_list(value: Any) -> Any:
    """``env_file: PATH`` is short for a list of one."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise PydanticCustomError(
            "env_file_type", "expected a path, or a list of paths and {path, optional} mappings"
        )
    return value


def _env_file_entry(value: Any) -> Any:
    """A path in the list is short for ``{path: PATH}``."""
    if isinstance(value, str):
        return {"path": value}
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "env_file_type", "expected a path, or a mapping such as {path: FILE, optional: true}"
        )
    return value


def _folder_list(value: Any) -> Any:
    """``policies: FOLDER`` is short for a list of one."""
    return [value] if isinstance(value, str) else value


PolicyFolders = Annotated[
    list[Annotated[Text, AfterValidator(project_folder)]] | None,
    BeforeValidator(_folder_list, json_schema_input_type=str | list[str] | None),
]


EnvFiles = Annotated[
    list[Annotated[EnvFile, BeforeValidator(_env_file_entry)]],
    BeforeValidator(_env_file_list, json_schema_input_type=str | list[str | EnvFile] | None),
]


class Platform(Strict):
    """platform.yaml: one workspace's connections, datastores and data imports."""

    project: str = Field(
        "default",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
        description="This project's name. Resources it creates carry it (with the environment) "
        "in their ownership tag, so that several projects or environments can share one "
        "workspace without pruning or replacing each other's resources.",
    )
    default_environment: str = Field(
        "local", description="Environment used when --env is not given."
    )
    env_file: EnvFiles = Field(
        default_factory=list,
        description="Dotenv files (relative to the project) whose variables fill ${NAME} and "
        "${env:NAME}: one path, or a list of paths and {path, optional} mappings, later files "
        "overriding earlier ones; the process environment wins over all. Meant for the local "
        "demo credentials and ports.",
    )
    workspace: Workspace = Field(
        default_factory=lambda: LocalWorkspace(provider="local"),
        description="Which workspace to reconcile (usually set per environment).",
    )
    settings: Settings = Field(default_factory=Settings, description="Behaviour settings.")
    policies: PolicyFolders = Field(
        None,
        description="Folders of Rego policies (conftest's conventions) that every plan and "
        "apply evaluates, relative to the project: one folder or a list. Default: policies/ "
        "when it exists; [] evaluates none.",
    )
    connections: dict[str, Connection] = Field(
        default_factory=dict, description="Workspace connections, by name."
    )
    datastores: dict[str, Datastore] = Field(
        default_factory=dict, description="Datastores, by name."
    )
    imports: dict[str, DataImport] = Field(
        default_factory=dict, description="Data imports, by data asset name."
    )
    gitops: GitOps | None = Field(
        None,
        description="The GitHub flow: environments, their promotion order, GitHub environment "
        "names, the hosts source checks may reach (platform.yaml only, not an overlay).",
    )
    moved: list[Moved] = refactoring_field(
        "Renames (Terraform's moved blocks): {from: import.old, to: import.new}. Chains are "
        "followed; keep them for a while, they are harmless once done."
    )
    removed: list[Removed] = refactoring_field(
        "Resources to stop managing (Terraform's removed blocks): {from: datastore.lake, "
        "destroy: false} leaves it in place without reconciler's tags; destroy: true deletes it."
    )

    @field_validator("datastores")
    @classmethod
    def _not_system(cls, datastores: dict[str, Any]) -> dict[str, Any]:
        for name in datastores:
            if name in SYSTEM_DATASTORES:
                raise PydanticCustomError(
                    "system_datastore",
                    "'{name}' is a system datastore that Azure ML manages; it cannot be declared",
                    {"name": name},
                )
        return datastores
