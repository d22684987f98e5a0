"""A simulated GitHub Actions runner: runs a workflow job's own ``run:`` steps, as written.

It parses the workflow (or composite action) YAML, evaluates each step's ``if:`` and the
``${{ }}`` expressions in its ``env:`` / ``with:`` / ``working-directory:`` from a simulated
context, and runs the step's ``run:`` script with ``bash --noprofile --norc -eo pipefail`` (as
GitHub does for ``shell: bash``), with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``,
``GITHUB_EVENT_PATH``, ``GITHUB_WORKSPACE``, ``RUNNER_TEMP`` and friends. A ``run:`` script
itself must hold no expression (untrusted input goes through ``env:``).

A step that ``uses:`` a composite action runs its steps: ``./path`` from the job's checkout (so
a pull request runs the action.yml it changes), ``OWNER/REPO[/path]@REF`` from that repository
of the simulated GitHub at that ref. Other actions are not run: each one the workflows use has
a simulator below (the sticky comment's body goes to ``Runner.comments``, an artifact upload
copies its files under ``Runner.artifacts``, ...). An unknown action is an error, so a new one
needs a simulator here.

The expression language is the small part of GitHub's that the workflows use: contexts with
``.`` / ``[...]`` access, string / number / boolean / null literals, ``!``, ``==``, ``!=``,
``&&``, ``||``, parentheses, and the functions ``success()``, ``failure()``, ``always()``,
``cancelled()``. Anything else raises ``ExpressionError``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # holds `reconcile` and the `python3` the scripts use

# --- expressions ---------------------------------------------------------------------------


class ExpressionError(Exception):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[!()\[\].,])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*|\*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def truthy(value: Any) -> bool:
    return value not in (None, False, "", 0)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(text)
        except ValueError:
            return float("nan")
    return float("nan")


def _loose_equal(left: Any, right: Any) -> bool:
    """GitHub's ==: strings ignore case; other mixed types compare as numbers (null and '' are
    both 0, so ``steps.skipped.outputs.x != ''`` is false)."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if isinstance(left, (dict, list)) or isinstance(right, (dict, list)):
        return left is right
    return _number(left) == _number(right)  # NaN equals nothing


class _Parser:
    """expr := or; or := and ('||' and)*; and := unary ('&&' unary)*;
    unary := '!' unary | cmp; cmp := primary (('=='|'!=') primary)?"""

    def __init__(self, text: str, context: Mapping[str, Any], status: Mapping[str, bool]):
        self.text, self.tokens, self.pos = text, _tokens(text), 0
        self.context, self.status = context, status

    def parse(self) -> Any:
        value = self._or()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.pos][1]!r} in {self.text!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ExpressionError(f"unexpected end of {self.text!r}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r} in {self.text!r}")
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._unary()
        while self._peek() == "&&":
            self._take()
            right = self._unary()
            value = right if truthy(value) else value
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        left = self._primary()
        if self._peek() in ("==", "!="):
            op = self._take()[1]
            equal = _loose_equal(left, self._primary())
            return equal if op == "==" else not equal
        return left

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(":
            inner = self._or()
            self._take(")")
            return inner
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take("(")
            args: list[Any] = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take(",")
            self._take(")")
            if text in self.status and not args:
                return self.status[text]
            if text not in FUNCTIONS:
                raise ExpressionError(f"function {text}() is not simulated ({self.text!r})")
            return FUNCTIONS[text](*args)
        if text not in self.context:
            raise ExpressionError(f"unknown context {text!r} in {self.text!r}")
        value: Any = self.context[text]
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                key = self._take()[1]
                if key == "*":  # object filter: the property of every element
                    rest = self._take()[1] if self._peek() == "." else None
                    name = self._take()[1] if rest else None
                    items = value if isinstance(value, list) else []
                    value = [i.get(name) if isinstance(i, Mapping) else None for i in items]
                    continue
            else:
                key = str(self._or())
                self._take("]")
            value = value.get(key) if isinstance(value, Mapping) else None
        return value


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_loose_equal(item, needle) for item in haystack)
    return render(needle).lower() in render(haystack).lower()


def _format(template: Any, *args: Any) -> str:
    text = str(template)
    for index, arg in enumerate(args):
        text = text.replace("{" + str(index) + "}", render(arg))
    return text


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": _contains,
    "startsWith": lambda a, b: render(a).lower().startswith(render(b).lower()),
    "endsWith": lambda a, b: render(a).lower().endswith(render(b).lower()),
    "format": _format,
    "toJSON": lambda value: json.dumps(value, indent=2),
    "fromJSON": lambda text: json.loads(str(text)),
    "join": lambda items, sep=",": render(sep).join(render(i) for i in (items or [])),
}


def evaluate(text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> Any:
    return _Parser(text, context, status).parse()


def render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def substitute(text: str, context: Mapping[str, Any], status: Mapping[str, bool]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: render(evaluate(m.group(1), context, status)), text)


def resolve(value: Any, context: Mapping[str, Any], status: Mapping[str, bool]) -> Any:
    """A YAML value with expressions: a string that is one whole ``${{ }}`` keeps the
    expression's type (``${{ fromJSON(x) }}`` is a list); other strings are substituted."""
    if isinstance(value, dict):
        return {k: resolve(v, context, status) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, context, status) for v in value]
    if isinstance(value, str):
        whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", value, re.S)
        if whole and "${{" not in whole.group(1):
            return evaluate(whole.group(1), context, status)
        return substitute(value, context, status)
    return value


def condition(text: Any, context: Mapping[str, Any], status: Mapping[str, bool]) -> bool:
    if text is None:
        return status["success"]
    source = render(text).strip()  # `if: false` is a YAML boolean
    match = re.fullmatch(r"\$\{\{(.*)\}\}", source, re.S)
    expression = match.group(1) if match else source
    uses_status = re.search(r"\b(success|failure|always|cancelled)\(\)", expression)
    if not uses_status:  # GitHub adds an implicit success() &&
        expression = f"success() && ({expression})"
    return truthy(evaluate(expression, context, status))


# --- the runner ----------------------------------------------------------------------------


@dataclass
class StepResult:
    id: str
    name: str
    outcome: str  # success | failure | skipped
    exitcode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # a `uses:` step's evaluated `with:`
    env: dict[str, str] = field(default_factory=dict)  # the step's evaluated `env:`


@dataclass
class JobResult:
    steps: list[StepResult]
    summary: str
    environment: str | None

    @property
    def conclusion(self) -> str:
        return "failure" if any(s.outcome == "failure" for s in self.steps) else "success"

    def step(self, step_id: str) -> StepResult:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"no step {step_id!r}; steps: {[s.id for s in self.steps]}")

    @property
    def log(self) -> str:
        return "\n".join(f"--- {s.name} [{s.outcome}]\n{s.stdout}{s.stderr}" for s in self.steps)


@dataclass
class Runner:
    """One simulated runner: a checkout (``workspace``), a temp folder, an event, contexts."""

    workspace: Path
    home: Path  # holds RUNNER_TEMP, the event file, artifacts and comments
    event_name: str
    event: dict[str, Any]
    sha: str
    ref: str = "refs/heads/main"
    repository: str = "globorealty/platform"
    run_id: int = 1001
    vars: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    path: list[Path] = field(default_factory=list)  # prepended to PATH (e.g. a fake `gh`)
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. the fake gh's state file
    comments: dict[str, str] = field(default_factory=dict)  # sticky comments by header
    comment_writes: int = 0
    uploads: list[dict[str, str]] = field(default_factory=list)  # name, id, url, run_id
    token: str = "ghs_simulated-github-token"
    actor: str = "octocat"
    attempt: int = 1
    job_key: str = ""  # the engine's job (one runner per job); "" for a lone job
    sim: Any = None  # the engine (tests/workflows/engine.py) that started this job, if any
    oidc: dict[str, str] = field(default_factory=dict)  # the job's OIDC token's claims
    views: list[Any] = field(default_factory=list)  # workspaces it may only read (azure.py)

    @property
    def temp(self) -> Path:
        suffix = f"-{self.job_key}" if self.job_key else ""
        return self.home / f"runner-temp-{self.run_id}{suffix}"

    @property
    def artifacts(self) -> Path:
        return self.home / "artifacts"

    def artifact_dir(self, run_id: int, name: str) -> Path:
        return self.artifacts / str(run_id) / name

    def github(self) -> dict[str, Any]:
        return {
            "event_name": self.event_name,
            "event": self.event,
            "sha": self.sha,
            "ref": self.ref,
            "repository": self.repository,
            "run_id": str(self.run_id),
            "token": self.token,
            "actor": self.actor,
            "run_attempt": str(self.attempt),
            "ref_name": self.ref.removeprefix("refs/heads/"),
            "workflow": "",
            "workspace": str(self.workspace),
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
        }

    def base_env(self) -> dict[str, str]:
        event_path = self.home / f"event-{self.run_id}-{self.job_key}.json"
        event_path.write_text(json.dumps(self.event), encoding="utf-8")
        self.temp.mkdir(parents=True, exist_ok=True)
        path = [*map(str, self.path), str(VENV_BIN), os.environ.get("PATH", "/usr/bin:/bin")]
        return {
            "PATH": os.pathsep.join(path),
            "HOME": os.environ.get("HOME", str(self.home)),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_SHA": self.sha,
            "GITHUB_REF": self.ref,
            "GITHUB_RUN_ID": str(self.run_id),
            "GITHUB_RUN_ATTEMPT": str(self.attempt),
            "GITHUB_ACTOR": self.actor,
            "GITHUB_REF_NAME": self.ref.removeprefix("refs/heads/"),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
            **self.extra_env,
        }


ActionSimulator = Callable[[Runner, dict[str, str], StepResult], None]


def _sim_noop(runner: Runner, inputs: dict[str, str], result: StepResult) -> None:
    """setup-python: the tests' venv is the runner's Python."""


def _sim_checkout(runner: Runner, inputs: dict[str, str], result: StepResult) -> None:
    """Under the engine: a real checkout of ``ref`` (default: the run's commit) into the job's
    own workspace. A lone job (run_job) runs in the test's prepared checkout."""
    if runner.sim is not None:
        repository = inputs.get("repository", "")
        if repository == runner.repository:
            repository = ""
        default = "" if repository else runner.sha  # another repository: its default branch
        ref = inputs.get("ref") or default or "main"
        runner.sim.checkout(runner, ref, repository, inputs.get("path", ""))


def _sim_upload_artifact(runner: Runner, inputs: dict[str, str], result: StepResult) -> None:
    name = inputs["name"]
    paths = [Path(p.strip()) for p in inputs.get("path", "").splitlines() if p.strip()]
    found: list[Path] = []
    for path in paths:  # a folder uploads every file in it
        found += sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    found = [f for f in found if f.is_file()]
    if not found and inputs.get("if-no-files-found", "warn") == "error":
        result.outcome, result.stderr = "failure", f"no files found for artifact {name}"
        return
    target = runner.artifact_dir(runner.run_id, name)
    if target.is_dir() and inputs.get("overwrite", "false") != "true":
        # what upload-artifact v4 gets from GitHub on a re-run that uploads the same name
        result.outcome = "failure"
        result.stderr = (
            "Failed to CreateArtifact: Received non-retryable error: (409) Conflict: an "
            "artifact with this name already exists on the workflow run\n"
        )
        return
    if target.is_dir():
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    for file in found:
        shutil.copy2(file, target / file.name)
    artifact_id = str(9000 + len(runner.uploads))
    if runner.sim is not None:
        artifact_id = str(runner.sim.register_artifact(runner, name))
    run = f"https://github.com/{runner.repository}/actions/runs/{runner.run_id}"
    url = f"{run}/artifacts/{artifact_id}"
    runner.uploads.append(
        {"name": name, "id": artifact_id, "url": url, "run_id": str(runner.run_id)}
    )
    result.outputs.update({"artifact-id": artifact_id, "artifact-url": url})


def _sim_sticky_comment(runner: Runner, inputs: dict[str, str], result: StepResult) -> None:
    header = inputs.get("header", "")
    body = Path(inputs["path"]).read_text(encoding="utf-8") if inputs.get("path") else ""
    body = body or inputs.get("message", "")
    # the action's own marker, which it finds the comment by on the next run
    runner.comments[header] = f"{body}\n<!-- Sticky Pull Request Comment{header} -->"
    runner.comment_writes += 1


# `run:` steps that are simulated, by step id, and why. Only the install: the tests' own venv
# (whose bin/ is on PATH) is the installed reconciler.
SIMULATED_RUN_STEPS = {"install": "reconciler is the venv's (pip install is not re-run)"}

SIMULATORS: dict[str, ActionSimulator] = {
    "actions/checkout": _sim_checkout,
    "actions/setup-python": _sim_noop,
    "actions/upload-artifact": _sim_upload_artifact,
    "marocchino/sticky-pull-request-comment": _sim_sticky_comment,
}


def load_yaml(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _run_steps(
    runner: Runner,
    steps: list[dict[str, Any]],
    context: dict[str, Any],
    env: dict[str, str],
    *,
    default_workdir: str | None = None,
    action_path: Path | None = None,
    scope: str = "",
) -> JobResult:
    results: list[StepResult] = []
    summary_parts: list[str] = []
    context["steps"] = {}
    # the runner's own files (GITHUB_OUTPUT, ...), one folder per job, attempt and action
    files = runner.home / f"runner-files-{runner.run_id}-{runner.job_key}-{runner.attempt}{scope}"
    files.mkdir(parents=True, exist_ok=True)
    runner.temp.mkdir(parents=True, exist_ok=True)
    for index, step in enumerate(steps):
        failed = any(r.outcome == "failure" for r in results)
        status = {"success": not failed, "failure": failed, "always": True, "cancelled": False}
        step_id = str(step.get("id") or f"step{index}")
        result = StepResult(id=step_id, name=str(step.get("name", step_id)), outcome="skipped")
        results.append(result)
        context["env"] = env
        if not condition(step.get("if"), context, status):
            context["steps"][step_id] = {"outputs": {}, "outcome": "skipped"}
            continue
        step_env = {
            str(k): substitute(render(v), context, status)
            for k, v in (step.get("env") or {}).items()
        }
        result.env = step_env
        if "uses" in step:
            uses = str(step["uses"])
            result.inputs = {
                str(k): substitute(render(v), context, status)
                for k, v in (step.get("with") or {}).items()
            }
            result.outcome = "success"
            composite = composite_action(runner, uses)
            if composite is not None:
                inner = run_action(
                    runner, result.inputs, {**env, **step_env}, composite, f"{scope}-{index}"
                )
                result.outcome, result.stdout = inner.conclusion, inner.log
                result.outputs = inner.step("(outputs)").outputs
                summary_parts.append(inner.summary)
            else:
                action = uses.split("@")[0]
                if action not in SIMULATORS:
                    raise ExpressionError(f"no simulator for action {action!r}")
                SIMULATORS[action](runner, result.inputs, result)
        elif step_id in SIMULATED_RUN_STEPS:
            result.outcome, result.stdout = "success", SIMULATED_RUN_STEPS[step_id] + "\n"
        else:
            script = str(step["run"])
            assert "${{" not in script, f"step {result.name!r}: an expression in run:"
            workdir = step.get("working-directory", default_workdir)
            cwd = runner.workspace / substitute(str(workdir), context, status) if workdir else None
            output_file = files / f"output-{step_id}-{index}"
            summary_file = files / f"summary-{step_id}-{index}"
            output_file.write_text("")
            summary_file.write_text("")
            script_file = files / f"step-{index}.sh"
            script_file.write_text(script, encoding="utf-8")
            process_env = {
                **runner.base_env(),
                **env,
                **step_env,
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(summary_file),
            }
            if action_path is not None:
                process_env["GITHUB_ACTION_PATH"] = str(action_path)
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
                cwd=cwd or runner.workspace,
                env=process_env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            result.exitcode, result.stdout, result.stderr = (
                proc.returncode,
                proc.stdout,
                proc.stderr,
            )
            result.outcome = "success" if proc.returncode == 0 else "failure"
            result.outputs = parse_outputs(output_file.read_text(encoding="utf-8"))
            summary_parts.append(summary_file.read_text(encoding="utf-8"))
            if proc.returncode != 0 and step.get("continue-on-error"):
                result.outcome = "success"
        context["steps"][step_id] = {"outputs": result.outputs, "outcome": result.outcome}
    return JobResult(results, "".join(summary_parts), None)


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: ``name=value`` and ``name<<DELIM`` … ``DELIM``."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
            i += 1
        else:
            i += 1
    return outputs


def run_job(
    runner: Runner,
    workflow: str,
    job_id: str,
    matrix: dict[str, str] | None = None,
    env_overrides: dict[str, str] | None = None,
) -> JobResult:
    """Run job ``job_id`` of ``.github/workflows/<workflow>`` (the repo's own file).
    ``env_overrides`` replaces job-level ``env:`` values (e.g. RECONCILE_ENV=local for a job
    written for `dev`), explicitly and only there."""
    document = load_yaml(REPO_ROOT / ".github" / "workflows" / workflow)
    job = document["jobs"][job_id]
    context: dict[str, Any] = {
        "github": runner.github(),
        "vars": runner.vars,
        "secrets": runner.secrets,
        "matrix": matrix or {},
        "runner": {"temp": str(runner.temp), "os": "Linux"},
        "env": {},
    }
    status = {"success": True, "failure": False, "always": True, "cancelled": False}
    env: dict[str, str] = {}
    for source in (document.get("env") or {}, job.get("env") or {}):
        for key, value in source.items():
            context["env"] = env
            env[str(key)] = substitute(str(value), context, status)
    for key, value in (env_overrides or {}).items():
        assert key in env, f"{key} is not in the job's env"
        env[key] = value
    environment = job.get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    defaults = (job.get("defaults") or document.get("defaults") or {}).get("run") or {}
    result = _run_steps(
        runner,
        list(job["steps"]),
        context,
        env,
        default_workdir=defaults.get("working-directory"),
    )
    result.environment = substitute(str(environment), context, status) if environment else None
    return result


def composite_action(runner: Runner, uses: str) -> Path | None:
    """The folder of the composite action a step uses, or None for a simulated action."""
    if uses.startswith("./"):
        folder = runner.workspace / uses[2:]
        if not (folder / "action.yml").is_file():
            raise ExpressionError(f"{uses}: no action.yml there in the job's checkout")
        return folder
    name, _, ref = uses.partition("@")
    parts = name.split("/")
    repository = "/".join(parts[:2])
    if runner.sim is None or repository not in runner.sim.world.repositories:
        return None
    folder = runner.temp / "_actions" / f"{repository.replace('/', '-')}-{ref}"
    if not folder.exists():
        source = runner.sim.world.repositories[repository].repo
        for args in (
            ["clone", "--quiet", "--shared", "--no-checkout", str(source), str(folder)],
            ["-C", str(folder), "checkout", "--quiet", "--detach", ref],
        ):
            subprocess.run(["git", *args], check=True, capture_output=True)
    return folder.joinpath(*parts[2:])


def run_action(
    runner: Runner,
    inputs: dict[str, str],
    step_env: dict[str, str] | None = None,
    action_path: Path = REPO_ROOT,
    scope: str = "",
) -> JobResult:
    """Run the composite action ``action.yml`` as a caller's step ``uses: ./`` would."""
    document = load_yaml(action_path / "action.yml")
    status = {"success": True, "failure": False, "always": True, "cancelled": False}
    github = {**runner.github(), "action_path": str(action_path)}
    base = {"github": github, "runner": {"temp": str(runner.temp)}, "env": {}}
    resolved: dict[str, str] = {}
    for name, spec in (document.get("inputs") or {}).items():
        if name in inputs:
            resolved[name] = inputs[name]
        elif spec.get("required"):
            raise ValueError(f"input {name!r} is required")
        else:
            resolved[name] = substitute(str(spec.get("default", "")), base, status)
    unknown = set(inputs) - set(resolved)
    assert not unknown, f"unknown inputs {unknown}"
    context: dict[str, Any] = {**base, "inputs": resolved}
    result = _run_steps(
        runner,
        list(document["runs"]["steps"]),
        context,
        dict(step_env or {}),
        action_path=action_path,
        scope=scope,
    )
    outputs = {
        name: substitute(str(spec["value"]), context, status)
        for name, spec in (document.get("outputs") or {}).items()
    }
    result.steps.append(
        StepResult(id="(outputs)", name="outputs", outcome="success", outputs=outputs)
    )
    return result
