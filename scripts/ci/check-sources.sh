#!/usr/bin/env bash
# Run every new or changed import's query with LIMIT 0: `reconcile plan --check-sources`, for
# the opt-in check on a pull request (check-sources.yml). The job holds only the database
# password; `plan` with secrets needs every `${env:NAME}` the desired state references, so the
# other ones (e.g. STORAGE_ACCOUNT_KEY) get a placeholder: this plan is never shown or saved,
# only whether the queries ran.
#
# Env:     RECONCILE_ENV (required), the variables and the database secret.
# Writes:  OUT/check-ENV.stderr, OUT/meta.json. Outputs: exitcode, dir.
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_name="${RECONCILE_ENV:?set RECONCILE_ENV}"
check_env_name "$env_name"
out="$(out_dir)/check-sources"
mkdir -p "$out"
errors="$out/check-$env_name.stderr"
unset_empty_variables
files=(platform.yaml)
[[ -f environments/$env_name.yaml ]] && files+=("environments/$env_name.yaml")
while IFS= read -r name; do
  if [[ -z ${!name:-} ]]; then
    echo "$name: not held by this job; a placeholder (the check does not use it)"
    export "$name=placeholder-not-used-by-check-sources"
  fi
done < <(grep -ohE '\$\{env:[A-Za-z_][A-Za-z0-9_]*\}' "${files[@]}" | sed -E 's/\$\{env:(.*)\}/\1/' | sort -u)

rc=0
NO_COLOR=1 reconcile plan --env "$env_name" --check-sources --format json >/dev/null \
  2>"$errors" || rc=$?
emit_annotations "$errors"
print_untrusted "reconcile plan --check-sources: errors" "$errors"
echo "reconcile plan --check-sources ($env_name) exited $rc"
printf '{"environment": "%s", "exitcode": %d}\n' "$env_name" "$rc" >"$out/meta.json"
set_output exitcode "$rc"
set_output dir "$out"
