#!/usr/bin/env bash
# Plan one environment for CI: `reconcile plan --env ENV --detailed-exitcode --out ... --format
# markdown`, run in the current directory (the project). Never fails on the plan's outcome (the
# verdict step does): it records it.
#
# Env:     RECONCILE_ENV (required); RECONCILE_OUT_DIR (default $RUNNER_TEMP/reconciler);
#          the variables and secrets the desired state references.
# Writes:  OUT/plan-ENV.json (the saved plan, exit 0 or 2 only), OUT/plan-ENV.md (the markdown),
#          OUT/plan-ENV.stderr, OUT/report-ENV.md (what the job summary and the PR comment show).
# Outputs: exitcode (0 no changes, 1 error, 2 changes), has-changes, plan-file, markdown, stderr,
#          report.
# Summary: the report (the markdown plan, or the error with file and line).
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_name="${RECONCILE_ENV:?set RECONCILE_ENV to the environment to plan}"
check_env_name "$env_name"
out="$(out_dir)"
plan_file="$out/plan-$env_name.json"
markdown="$out/plan-$env_name.md"
errors="$out/plan-$env_name.stderr"
report="$out/report-$env_name.md"
rm -f "$plan_file" "$markdown" "$errors" "$report"

unset_empty_variables
rc=0
NO_COLOR=1 reconcile plan --env "$env_name" --detailed-exitcode --out "$plan_file" \
  --format markdown >"$markdown" 2>"$errors" || rc=$?

case $rc in
  0) verdict="no changes" ;;
  2) verdict="changes" ;;
  *) verdict="error" ;;
esac
echo "reconcile plan --env $env_name exited $rc ($verdict)"
if [[ -s $errors ]]; then
  print_untrusted "reconcile plan: errors" "$errors"
fi
if [[ -s $markdown ]]; then
  print_untrusted "reconcile plan: the plan (markdown)" "$markdown"
fi
if [[ $rc -ne 0 && $rc -ne 2 ]]; then
  rm -f "$plan_file" # an error leaves nothing to apply
fi

ci_py plan-report --env "$env_name" --exitcode "$rc" --markdown "$markdown" \
  --stderr "$errors" --out "$report"
add_summary "$report"

set_output exitcode "$rc"
set_output has-changes "$([[ $rc -eq 2 ]] && echo true || echo false)"
if [[ -f $plan_file ]]; then
  set_output plan-file "$plan_file"
else
  set_output plan-file ""
fi
set_output markdown "$markdown"
set_output stderr "$errors"
set_output report "$report"
