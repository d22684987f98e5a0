"""The first red team's "Low" findings (issue 21), each refused with a located message and
nothing changed: triggers that never fire, seconds that are not numbers, paths that name
another workspace or leave a bucket, variables written in shell forms we do not read, a dotenv
key set twice, too many env files, and plan files that are not what reconcile plan wrote (a
FIFO, /dev/zero, another project's, another workspace's, a field marked unknown where it
cannot be)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from tests.conftest import LOCAL, local_env
from tests.hostile.cases import FIELD_LINE, Case, field_, swap

_P = "platform.yaml"
_FIELD = f"{_P}:{FIELD_LINE}:"
_PATH = "azureml://datastores/rawdata/paths/raw_house_data"
APPLY_PLAN = ("apply", "plan.json")


def _plan_then(edit: Callable[[Path], None], *args: str) -> Callable[[Path], None]:
    """Make a real plan (``reconcile plan --out plan.json ARGS``), then change something."""

    def setup(root: Path) -> None:
        from tests.hostile.runner import run_in_process

        result = run_in_process(("plan", "--out", "plan.json", *args), root)
        assert result.code == 0, result.stderr
        edit(root)

    return setup


def _edit_json(change: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        data = json.loads((root / "plan.json").read_text())
        change(data)
        (root / "plan.json").write_text(json.dumps(data))

    return edit


def _mark_unknown(path: str) -> Callable[[dict[str, object]], None]:
    def change(data: dict[str, object]) -> None:
        changes = data["resource_changes"]
        assert isinstance(changes, list)
        for field in changes[0]["fields"]:
            if field["path"] == path:
                field["unknown"] = True

    return change


def _other_workspace(root: Path) -> None:
    (root / "environments/local.yaml").write_text(LOCAL.replace(".reconcile/local", "ws/other"))


def _fifo_plan(root: Path) -> None:
    os.mkfifo(root / "plan.json")


def _sparse_plan(root: Path) -> None:
    with open(root / "plan.json", "wb") as handle:
        handle.truncate(65 * 2**20)  # 65 MiB of holes: nothing is written to disk


S3 = """\
connections:
  s3_listings:
    type: s3
    target: s3://globorealty-raw
    credentials:
      type: access_key
      access_key_id: AKIAEXAMPLE
      secret_access_key: ${env:STORAGE_ACCOUNT_KEY}
imports:
  listing_files:
    source: {type: file_system, connection: s3_listings, path: PATH}
    path: azureml://datastores/workspaceblobstore/paths/listing_files
"""

CASES = [
    Case(
        "cron-never-fires",
        "lows",
        field_("schedule:\n      trigger: {type: cron, expression: '0 0 30 2 *'}"),
        (f"{_P}:25:", "'0 0 30 2 *' never fires"),
        args=("validate",),
    ),
    Case(
        "timeout-nan",
        "lows",
        expect=("'nan' is not a number of seconds from 0.1 to 604800",),
        args=("--timeout", "nan", "validate"),
    ),
    Case(
        "timeout-inf",
        "lows",
        expect=("'inf' is not a number of seconds",),
        args=("--timeout", "inf", "plan"),
    ),
    Case(
        "timeout-1e308",
        "lows",
        expect=("'1e308' is not a number of seconds",),
        args=("--timeout", "1e308", "plan"),
    ),
    Case(
        "lock-timeout-nan",
        "lows",
        expect=("'nan' is not a number of seconds from 0 to 86400",),
        args=("apply", "--auto-approve", "--lock-timeout", "nan"),
    ),
    Case(
        "long-form-path-of-another-workspace",
        "lows",
        swap(
            _PATH,
            "azureml://subscriptions/0000/resourcegroups/rg-other/workspaces/mlw-other/"
            "datastores/rawdata/paths/raw_house_data",
        ),
        (f"{_P}:23:5", "this long form names a workspace", _PATH),
    ),
    Case(
        "shell-default-variable",
        "lows",
        field_("description: 'made by ${USER:-nobody}'"),
        (f"{_FIELD}5", "'${USER:-nobody}' is not a variable reference"),
    ),
    Case(
        "spaced-variable",
        "lows",
        field_("description: 'made by ${ USER }'"),
        (f"{_FIELD}5", "'${ USER }' is not a variable reference"),
    ),
    Case(
        "dashed-variable",
        "lows",
        field_("description: 'made by ${A-B}'"),
        (f"{_FIELD}5", "'${A-B}' is not a variable reference"),
    ),
    Case(
        "s3-path-leaves-the-bucket",
        "lows",
        {_P: "default_environment: local\n" + S3.replace("PATH", "listings/../../other")},
        (f"{_P}:12:", "must stay inside the connection's bucket", "'..' segments"),
    ),
    Case(
        "s3-path-with-a-scheme",
        "lows",
        {_P: "default_environment: local\n" + S3.replace("PATH", "s3://another-bucket/x")},
        (f"{_P}:12:", "without a scheme"),
    ),
    Case(
        "dotenv-key-set-twice",
        "lows",
        {"environments/local.env": local_env() + "SNOWFLAKE_USER=someone_else\n"},
        ("environments/local.env:5:1", "SNOWFLAKE_USER is set again (first at line 2)"),
        never=("someone_else",),
    ),
    Case(
        "17-env-files",
        "lows",
        {
            "environments/local.yaml": LOCAL.replace(
                "env_file: environments/local.env\n",
                "env_file:\n" + "".join(f"  - environments/e{i}.env\n" for i in range(17)),
            ),
            **{f"environments/e{i}.env": f"V{i}=x\n" for i in range(17)},
        },
        ("environments/local.yaml:1:1", "env_file: lists 17 files; at most 16 are read"),
    ),
    Case(
        "env-files-over-8-mib-together",
        "lows",
        {
            "environments/local.yaml": LOCAL.replace(
                "env_file: environments/local.env\n",
                "env_file:\n  - environments/local.env\n"
                + "".join(f"  - environments/big{i}.env\n" for i in range(3)),
            ),
            **{f"environments/big{i}.env": "A=" + "x" * (3 * 2**20) + "\n" for i in range(3)},
        },
        ("environments/local.yaml:5:5", "hold more than 8 MiB together"),
    ),
    Case(
        "apply-dev-zero",
        "lows",
        expect=("/dev/zero is not a regular file",),
        args=("apply", "/dev/zero"),
    ),
    Case(
        "apply-a-fifo",
        "lows",
        setup=_fifo_plan,
        expect=("plan.json is not a regular file",),
        args=APPLY_PLAN,
    ),
    Case(
        "apply-a-65-mib-plan",
        "lows",
        setup=_sparse_plan,
        expect=("plan.json is larger than 64 MiB",),
        args=APPLY_PLAN,
    ),
    Case(
        "plan-with-secrets-edited-unknown",
        "lows",
        setup=_plan_then(_edit_json(_mark_unknown("credentials.password"))),
        expect=("credentials.password is marked unknown in a plan made with secrets",),
        args=APPLY_PLAN,
    ),
    Case(
        "plan-without-secrets-plain-field-unknown",
        "lows",
        setup=_plan_then(_edit_json(_mark_unknown("target")), "--no-secrets"),
        expect=("target is marked unknown in a plain field", "edited"),
        args=APPLY_PLAN,
    ),
    Case(
        "plan-of-another-project",
        "lows",
        setup=_plan_then(_edit_json(lambda data: data.update(project="billing"))),
        expect=("the plan was made by project 'billing', not by project 'default'",),
        args=APPLY_PLAN,
    ),
    Case(
        "plan-for-another-workspace-creates-nothing",
        "lows",
        setup=_plan_then(_other_workspace),
        expect=("the plan is for workspace local:.reconcile/local, not local:ws/other",),
        args=APPLY_PLAN,
    ),
]
