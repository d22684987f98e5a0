#!/usr/bin/env bash
# Install reconciler (the product: `pip install .`, which is what plan and apply against Azure
# ML need) into the Python on PATH, from the lock file: every dependency pinned with hashes
# (`pip --require-hashes`), then the project itself with nothing resolved or downloaded. So the
# pull-request plan and the apply on main run the same code with the same dependencies.
#
# Env: RECONCILER_SOURCE  folder holding reconciler's pyproject.toml and requirements.lock
#                         (default: .)
#      RECONCILER_VERSION a pip requirement to install instead, e.g. `reconciler==0.2.0` or
#                         `reconciler @ git+https://github.com/OWNER/reconciler@v0.2.0`
#                         (resolved by pip: not locked)
# Regenerate the lock with `bash scripts/ci/lock.sh`.
set -euo pipefail

pip=(python3 -m pip install --disable-pip-version-check --no-input --quiet)
spec="${RECONCILER_VERSION:-}"
if [[ -n $spec ]]; then
  echo "::warning title=reconciler not locked::installing '$spec' without a lock file"
  "${pip[@]}" "$spec"
else
  source_dir="$(cd "${RECONCILER_SOURCE:-.}" && pwd)"
  if [[ ! -f $source_dir/pyproject.toml || ! -f $source_dir/requirements.lock ]]; then
    echo "::error::no reconciler source in '$source_dir' (pyproject.toml and requirements.lock)" >&2
    exit 1
  fi
  "${pip[@]}" --require-hashes --no-deps -r "$source_dir/requirements.lock"
  "${pip[@]}" --no-deps --no-build-isolation --no-index "$source_dir"
fi
reconcile --version
