"""Per-invocation settings, the desired state and workspace a command works on, and the one
guard on everything printed or written: secret values are masked.

Secrets are masked by value. That is safe because every secret is at least
`MIN_SECRET_LENGTH` characters (shorter ones are refused), and plans are secret-free by
construction: a plan file that would contain a secret value is refused rather than masked, so
a mask never changes a plan and never marks where a secret sits in ordinary text.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reconciler.core.errors import ReconcileError

if TYPE_CHECKING:
    from reconciler.core.desired import DesiredState
    from reconciler.core.plan import Plan
    from reconciler.core.workspace import Workspace
    from reconciler.policy import PolicySet


@dataclass
class Session:
    project_dir: Path = field(default_factory=Path.cwd)
    debug: bool = False
    color: bool = True
    secrets: set[str] = field(default_factory=set)
    timeout: float | None = None
    _credential: Any = field(default=None, repr=False)
    _armed: bool = field(default=False, repr=False)
    _outputs: list[Path] = field(default_factory=list, repr=False)

    def arm_timeout(self) -> None:
        """Start the --timeout clock (once): SIGALRM when it runs out."""
        if self.timeout is not None and not self._armed:
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            self._armed = True

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def out(self, text: str, *, err: bool = False) -> None:
        click.echo(self.redact(text), nl=False, err=err)

    def load(self, environment: str | None, *, with_secrets: bool = True) -> DesiredState:
        from reconciler.config import desired_state
        from reconciler.providers.factory import key_vault_reader

        self.arm_timeout()
        desired = desired_state(
            self.project_dir,
            environment,
            with_secrets=with_secrets,
            keyvault=lambda: key_vault_reader(self.credential()),
        )
        self.secrets.update(desired.secrets.values())
        for path in self._outputs:  # named before the desired state was read: check them now
            refused = output_problem(path, desired)
            if refused is not None:
                raise ReconcileError(
                    f"refusing to write {path}: {refused}; nothing was changed",
                    hint="write it somewhere else (a path of its own in the project, or "
                    "outside it such as $RUNNER_TEMP)",
                )
        return desired

    def open(
        self, environment: str | None, *, with_secrets: bool = True, read_only: bool = True
    ) -> tuple[DesiredState, Workspace]:
        """The environment's desired state and the workspace it targets (opened for writing
        only by commands that write: ``read_only=False``)."""
        desired = self.load(environment, with_secrets=with_secrets)
        return desired, self.workspace(desired, read_only=read_only)

    def workspace(self, desired: DesiredState, *, read_only: bool = True) -> Workspace:
        """The workspace ``desired`` targets."""
        from reconciler.providers.factory import open_workspace

        credential = self.credential() if desired.workspace.provider == "azureml" else None
        return open_workspace(desired.workspace, credential=credential, read_only=read_only)

    def policies(self, desired: DesiredState, chosen: tuple[str, ...]) -> PolicySet | None:
        """The policies every plan and apply evaluates: the folders ``--policies`` names, else
        the desired state's (platform.yaml's ``policies``, default ``policies/``); None when
        there are none. Read and parsed now, before the workspace is."""
        folders = tuple(Path(d) for d in chosen) or desired.policy_dirs
        if not folders:
            return None
        from reconciler.policy import PolicySet

        return PolicySet.read(folders, desired.project_dir)

    def credential(self) -> Any:
        """The Azure credential, chosen once per command and handed to the provider and the
        Key Vault reader (see `reconciler.providers.azureml.credentials`)."""
        if self._credential is None:
            from reconciler.providers.factory import azure_credential

            self._credential = azure_credential()
        return self._credential

    # --- files we write ----------------------------------------------------------------------

    def output_file(self, name: str | None) -> Path | None:
        """Check, before anything changes, that a file can be written where asked."""
        if name is None:
            return None
        path = Path(name)
        if not path.is_absolute():
            path = Path.cwd() / path
        parent = path.parent
        if not parent.is_dir():
            raise ReconcileError(
                f"cannot write {name}: folder {parent} does not exist",
                hint="create the folder first, or choose another path",
            )
        if path.is_dir():
            raise ReconcileError(f"cannot write {name}: it is a folder")
        self._outputs.append(Path(name))
        return Path(name)

    def write_text(self, path: Path, text: str) -> None:
        """Write ``text`` (secrets masked). Checked by `output_problem` when the desired state
        was read."""
        try:
            path.write_text(self.redact(text), encoding="utf-8")
        except OSError as exc:
            raise ReconcileError(f"cannot write {path}: {exc.strerror or exc}") from None

    def write_json(self, path: Path, document: Any) -> None:
        """A JSON document that, like a plan, must hold no secret value (refused, not masked)."""
        import json

        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        if self.redact(text) != text:
            raise ReconcileError(f"refusing to write {path}: it would contain a secret value")
        self.write_text(path, text)

    def write_plan(self, path: Path, plan: Plan) -> None:
        text = plan.to_json()
        if self.redact(text) != text:  # fail closed: plans never hold a secret
            raise ReconcileError(
                "refusing to write a plan that contains a secret value",
                hint="a secret's value also appears in a plain field or a resource name; "
                "use a different secret",
            )
        self.write_text(path, text)


def output_problem(path: Path, desired: DesiredState) -> str | None:
    """Why an output file may not be written where ``path`` leads, or None.

    A path written inside the project must stay inside it once symlinks are followed (a link
    planted in a pull request could lead a CI job's output anywhere); no output may overwrite a
    file the desired state was read from (platform.yaml, the overlay, env files) or land in the
    embedded workspace's folder. A path written outside the project (``$RUNNER_TEMP/plan.json``)
    is the caller's choice.
    """
    written = Path(os.path.abspath(path))
    resolved = written.resolve()
    project = Path(os.path.abspath(desired.project_dir))
    real_project = project.resolve()
    if _within(written, project) and not _within(resolved, real_project):
        return f"it leads outside the project through a symbolic link (to {resolved})"
    if resolved in desired.sources:
        return "the desired state is read from that file, and a plan or summary would replace it"
    workspace = desired.workspace.path
    if workspace is not None and _within(resolved, workspace.resolve()):
        return "it is inside the embedded workspace's folder, which only reconciler writes"
    return None


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
