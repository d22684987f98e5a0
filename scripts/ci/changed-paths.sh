#!/usr/bin/env bash
# Does this pull request touch the desired state or the tool? Compares the checked-out merge
# commit with its first parent (the base branch), so the checkout needs fetch-depth: 2.
#
# Output: relevant=true|false. Env: PLAN_PATHS (optional) overrides the pathspecs below.
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

default_paths=(
  platform.yaml
  'environments/**'
  'src/**'
  pyproject.toml
  requirements.lock
  action.yml
  'scripts/ci/**'
  .github/workflows/plan.yml
)
if [[ -n ${PLAN_PATHS:-} ]]; then
  read -r -a paths <<<"$PLAN_PATHS"
else
  paths=("${default_paths[@]}")
fi

if [[ ${EVENT_NAME:-} == merge_group ]]; then
  echo "Merge queue: planning what would land on main."
  set_output relevant true
  exit 0
fi
if ! git rev-parse --verify --quiet HEAD^1 >/dev/null; then
  echo "No parent commit to compare with (fetch-depth 1?): planning to be safe."
  set_output relevant true
  exit 0
fi
changed="$(out_dir)/changed-paths.txt"
git diff --name-only HEAD^1 HEAD -- "${paths[@]/#/:(glob)}" >"$changed"
if [[ -s $changed ]]; then
  print_untrusted "Changed paths that need a plan" "$changed"
  set_output relevant true
else
  echo "This pull request changes neither the desired state nor the tool: nothing to plan."
  set_output relevant false
fi
