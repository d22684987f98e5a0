#!/usr/bin/env bash
# Regenerate requirements.lock: every Python package the product (`pip install .`, no extras)
# needs, plus the build backend, pinned with hashes, resolved for CPython 3.11 on Linux (the
# runners' Python: setup-python 3.11 on ubuntu-latest). Run after changing pyproject.toml's
# dependencies; a test fails while the lock and pyproject.toml disagree.
#
#   bash scripts/ci/lock.sh            (needs python3.11 and PyPI; about a minute)
#
# Workflows and the composite action install with `scripts/ci/install.sh`, which installs the
# lock with `pip --require-hashes` and then the project itself without resolving anything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-python3.11}"
pip_tools_version=7.6.2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "pip-tools==$pip_tools_version"
printf 'setuptools>=68\n' >"$tmp/build.in" # pyproject.toml's build backend
cd "$root"
CUSTOM_COMPILE_COMMAND="bash scripts/ci/lock.sh" "$tmp/venv/bin/pip-compile" --quiet \
  --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
  --resolver=backtracking --output-file requirements.lock pyproject.toml "$tmp/build.in"
# the temporary input file's path is not part of the lock
sed -i "s#$tmp/build.in#setuptools (build backend)#" requirements.lock
echo "requirements.lock: $(grep -c '^[a-z0-9]' requirements.lock) packages"
