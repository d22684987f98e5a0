#!/usr/bin/env bash
# Apply the plan reviewed on a pull request to one environment, in the current directory (the
# project at the merge commit). reconciler refuses a stale plan itself (exit 1, nothing applied);
# before that, the plan file is checked against what this reconciler plans for the same desired
# and live state, so a plan file that this code did not make is never applied.
#
# Env:     RECONCILE_ENV, PLAN_FILE (required); REVIEWED_PR, REVIEWED_RUN_URL (for the summary);
#          RECONCILE_OUT_DIR (default $RUNNER_TEMP/reconciler); the variables and secrets the
#          desired state references.
# Outputs: exitcode, summary (the report's path).
# Exit:    reconcile apply's: 0 applied (or nothing to do), 1 refused or error (nothing
#          applied), 3 failed part-way.
# Summary: always: applied / failed / skipped steps, or why nothing was applied.
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_name="${RECONCILE_ENV:?set RECONCILE_ENV to the environment to apply}"
check_env_name "$env_name"
plan_file="${PLAN_FILE:?set PLAN_FILE to the reviewed plan}"
out="$(out_dir)"
fresh="$out/fresh-plan-$env_name.json"
cli_summary="$out/apply-$env_name.md"
errors="$out/apply-$env_name.stderr"
report="$out/apply-report-$env_name.md"
rm -f "$fresh" "$cli_summary" "$errors" "$report"
unset_empty_variables

report() { # EXITCODE [--different]
  ci_py apply-report --env "$env_name" --exitcode "$1" --cli-summary "$cli_summary" \
    --stderr "$errors" --pr "${REVIEWED_PR:-}" --plan-run-url "${REVIEWED_RUN_URL:-}" \
    --out "$report" "${@:2}"
}

# 1. Is the plan file what this reconciler plans now? (stale: reconcile apply says so below)
rc=0
NO_COLOR=1 reconcile plan --env "$env_name" --out "$fresh" --format json >/dev/null \
  2>"$errors" || rc=$?
if [[ $rc -ne 0 ]]; then
  print_untrusted "reconcile plan: errors" "$errors"
  report "$rc"
  set_output exitcode 1
  set_output summary "$report"
  exit 1
fi
same=0
ci_py compare-plans "$plan_file" "$fresh" || same=$?
if [[ $same -eq 11 ]]; then
  echo "::error title=Plan refused ($env_name)::the plan file is not what reconciler plans for this state"
  report 1 --different
  set_output exitcode 1
  set_output summary "$report"
  exit 1
elif [[ $same -ne 0 && $same -ne 10 ]]; then
  echo "::error::could not compare the plans (exit $same)"
  exit 1
fi

# 2. Apply exactly the reviewed plan.
rc=0
commands_off # the plan and progress lines quote platform.yaml and error messages
NO_COLOR=1 reconcile apply "$plan_file" --summary-file "$cli_summary" 2>"$errors" || rc=$?
commands_on
if [[ -s $errors ]]; then
  print_untrusted "reconcile apply: errors" "$errors"
fi
echo "reconcile apply exited $rc"
report "$rc"
set_output exitcode "$rc"
set_output summary "$report"
exit "$rc"
