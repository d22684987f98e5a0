#!/usr/bin/env bash
# Apply the plan reviewed on a pull request to one environment, in the current directory (the
# project at the merge commit). reconcile apply makes a fresh plan and applies the reviewed
# steps only where the fresh plan agrees with them; otherwise it refuses (exit 4) and applies
# nothing, so nothing unreviewed is ever applied.
#
# Env:     RECONCILE_ENV, PLAN_FILE (required); REVIEWED_PR, REVIEWED_RUN_URL (for the summary);
#          RECONCILE_OUT_DIR (default $RUNNER_TEMP/reconciler); the variables and secrets the
#          desired state references.
# Outputs: exitcode, summary (the report's path).
# Exit:    reconcile apply's: 0 applied (or nothing to do), 1 error (nothing applied), 3 failed
#          part-way, 4 the reviewed plan no longer agrees (nothing applied).
# Summary: always: applied / failed / skipped steps, or why nothing was applied.
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_name="${RECONCILE_ENV:?set RECONCILE_ENV to the environment to apply}"
check_env_name "$env_name"
plan_file="${PLAN_FILE:?set PLAN_FILE to the reviewed plan}"
out="$(out_dir)"
cli_summary="$out/apply-$env_name.md"
errors="$out/apply-$env_name.stderr"
report="$out/apply-report-$env_name.md"
rm -f "$cli_summary" "$errors" "$report"
unset_empty_variables

report() { # EXITCODE [--different]
  ci_py apply-report --env "$env_name" --exitcode "$1" --cli-summary "$cli_summary" \
    --stderr "$errors" --pr "${REVIEWED_PR:-}" --plan-run-url "${REVIEWED_RUN_URL:-}" \
    --out "$report" "${@:2}"
}

# Apply the reviewed plan: reconcile apply re-plans and applies only where the fresh plan
# agrees with the reviewed one (exit 4, nothing applied, when it does not).
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
