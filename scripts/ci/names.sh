#!/usr/bin/env bash
# The names of one environment's artifact and comment. At the repository root: `plan-ENV` and
# marker ENV; in a working directory: `plan-DIR--ENV` and marker DIR--ENV (DIR made of
# lowercase letters, digits and '-'), so two projects in one repository do not collide.
#
# Env: RECONCILE_ENV (required), RECONCILE_WORKDIR (default .). Outputs: artifact, marker, label.
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_name="${RECONCILE_ENV:?set RECONCILE_ENV}"
check_env_name "$env_name"
dir="${RECONCILE_WORKDIR:-.}"
dir="${dir#./}"
dir="${dir%/}"
if [[ -z $dir || $dir == . ]]; then
  set_output artifact "plan-$env_name"
  set_output marker "$env_name"
  set_output label "$env_name"
else
  slug="$(printf '%s' "$dir" | LC_ALL=C tr '[:upper:]' '[:lower:]' | LC_ALL=C tr -c 'a-z0-9' '-' |
    sed -E 's/-+/-/g; s/^-//; s/-$//')"
  set_output artifact "plan-$slug--$env_name"
  set_output marker "$slug--$env_name"
  set_output label "$dir: $env_name"
fi
