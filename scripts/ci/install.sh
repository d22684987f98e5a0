#!/usr/bin/env bash
# Install reconciler (with the Azure ML provider) into the Python on PATH.
#
# Env: RECONCILER_SOURCE  folder holding reconciler's pyproject.toml (default: .)
#      RECONCILER_VERSION a pip requirement to install instead, e.g. `reconciler==0.2.0` or
#                         `reconciler[azure] @ git+https://github.com/OWNER/reconciler@v0.2.0`
#      RECONCILER_EXTRAS  extras of the source install (default: azure)
set -euo pipefail

spec="${RECONCILER_VERSION:-}"
if [[ -z $spec ]]; then
  source_dir="${RECONCILER_SOURCE:-.}"
  if [[ ! -f $source_dir/pyproject.toml ]]; then
    echo "::error::no reconciler source in '$source_dir' (no pyproject.toml)" >&2
    exit 1
  fi
  extras="${RECONCILER_EXTRAS-azure}"
  spec="$(cd "$source_dir" && pwd)${extras:+[$extras]}"
fi
python3 -m pip install --disable-pip-version-check --no-input --quiet "$spec"
reconcile --version
