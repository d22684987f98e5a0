#!/usr/bin/env bash
# Plan one environment for CI: `reconcile plan --env ENV --detailed-exitcode --out ... --format
# markdown`, in the current directory (the project). Never fails on the plan's outcome (the
# verdict step does): it records it.
#
# Env:     RECONCILE_ENV (required); RECONCILE_NO_SECRETS=true: plan with --no-secrets (pull
#          requests: no secret is read or needed); RECONCILE_FORK=true: a fork's pull request
#          (no Azure identity): validate only; RECONCILE_WORKDIR: the project folder relative to
#          the repository root, for annotations; RECONCILE_OUT_DIR (default
#          $RUNNER_TEMP/reconciler); the variables (and secrets) the desired state references.
# Writes:  OUT/plan-ENV.json (the saved plan, exit 0 or 2 only), OUT/plan-ENV.md, OUT/plan-ENV.stderr,
#          OUT/validate-ENV.txt (fork), OUT/meta.json (exit code, fork, head commit),
#          OUT/report-ENV.md (what the job summary shows).
# Outputs: exitcode (0 no changes, 1 error, 2 changes), has-changes, plan-file, markdown, stderr,
#          report, dir (OUT: what the artifact holds).
set -euo pipefail
# shellcheck source=scripts/ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

env_name="${RECONCILE_ENV:?set RECONCILE_ENV to the environment to plan}"
check_env_name "$env_name"
out="$(out_dir)"
plan_file="$out/plan-$env_name.json"
markdown="$out/plan-$env_name.md"
errors="$out/plan-$env_name.stderr"
validated="$out/validate-$env_name.txt"
report="$out/report-$env_name.md"
rm -f "$plan_file" "$markdown" "$errors" "$report" "$validated" "$out/meta.json"
fork="${RECONCILE_FORK:-false}"

unset_empty_variables
rc=0
if [[ $fork == true ]]; then
  echo "A fork's pull request: no Azure identity, so validate only."
  # GitHub gives a fork's run no configuration variables either: placeholders let validation
  # check everything else (a fork's plan never reaches a workspace)
  placeholders=()
  files=(platform.yaml)
  [[ -f environments/$env_name.yaml ]] && files+=("environments/$env_name.yaml")
  while IFS= read -r name; do
    if [[ -z ${!name:-} ]]; then
      export "$name=placeholder0"
      placeholders+=("$name")
    fi
  done < <(grep -ohE '\$\{[A-Za-z_][A-Za-z0-9_]*\}' "${files[@]}" | sed -E 's/[^A-Za-z0-9_]//g' | sort -u)
  NO_COLOR=1 reconcile validate --env "$env_name" >"$validated" 2>"$errors" || rc=$?
  if [[ ${#placeholders[@]} -gt 0 ]]; then
    echo "(variables a fork's run does not get, validated with placeholders: ${placeholders[*]})" >>"$validated"
  fi
  : >"$markdown"
else
  args=(plan --env "$env_name" --detailed-exitcode --out "$plan_file" --format markdown)
  if [[ ${RECONCILE_NO_SECRETS:-false} == true ]]; then
    args+=(--no-secrets)
  fi
  NO_COLOR=1 reconcile "${args[@]}" >"$markdown" 2>"$errors" || rc=$?
fi
emit_annotations "$markdown" "$validated"

case $rc in
  0) verdict="no changes" ;;
  2) verdict="changes" ;;
  *) verdict="error" ;;
esac
echo "reconcile ($env_name) exited $rc ($verdict)"
print_untrusted "reconcile: errors" "$errors"
print_untrusted "reconcile plan: the plan (markdown)" "$markdown"
if [[ $rc -ne 0 && $rc -ne 2 ]]; then
  rm -f "$plan_file" # an error leaves nothing to apply
fi
printf '{"environment": "%s", "exitcode": %d, "fork": %s, "head_sha": "%s"}\n' \
  "$env_name" "$rc" "$fork" "${RECONCILE_HEAD_SHA:-${GITHUB_SHA:-}}" >"$out/meta.json"

ci_py plan-report --env "$env_name" --exitcode "$rc" --markdown "$markdown" \
  --stderr "$errors" --validate "$validated" --fork "$fork" --out "$report"
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
set_output dir "$out"
