# shellcheck shell=bash
# Helpers shared by the CI scripts (sourced, not run): GitHub's file commands, safe logging.

# The folder holding these scripts, and reconciler_ci.py beside them.
CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CI_DIR

# ci_py SUBCOMMAND ARGS...: run reconciler_ci.py with the Python on PATH.
ci_py() {
  python3 "$CI_DIR/reconciler_ci.py" "$@"
}

# set_output NAME VALUE: a step output (one line).
set_output() {
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

# add_summary FILE: append FILE to the job summary (and a blank line after it).
add_summary() {
  if [[ -n ${GITHUB_STEP_SUMMARY:-} && -s $1 ]]; then
    cat -- "$1" >>"$GITHUB_STEP_SUMMARY"
    printf '\n' >>"$GITHUB_STEP_SUMMARY"
  fi
}

# commands_off / commands_on: between them, lines on stdout are not workflow commands, so text
# from platform.yaml or from an error message cannot act as a `::command::` on the runner.
commands_off() {
  COMMANDS_TOKEN="reconciler-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  echo "::stop-commands::$COMMANDS_TOKEN"
}
commands_on() {
  echo "::${COMMANDS_TOKEN:?commands_off first}::"
}

# print_untrusted TITLE FILE: show FILE in a collapsed log group, workflow commands off.
print_untrusted() {
  [[ -s $2 ]] || return 0
  echo "::group::$1"
  commands_off
  cat -- "$2"
  commands_on
  echo "::endgroup::"
}

# check_env_name NAME: environment names become file names and artifact names.
check_env_name() {
  if [[ ! $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]]; then
    echo "::error::invalid environment name '$1' (letters, digits, '_', '.', '-')" >&2
    exit 1
  fi
}

# unset_empty_variables: GitHub turns an unset `vars.X` or `secrets.X` into an empty string, and
# reconciler takes an empty variable as a value. Unset the empty ones, so that reconciler reports
# a missing variable or secret with the file and line that uses it.
unset_empty_variables() {
  local name
  while IFS= read -r name; do
    if [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ && -z ${!name} ]]; then
      unset "$name" 2>/dev/null || true
    fi
  done < <(compgen -e)
}

# out_dir: where plans, markdown and summaries go (outside the checkout).
out_dir() {
  local dir="${RECONCILE_OUT_DIR:-${RUNNER_TEMP:?RUNNER_TEMP is not set}/reconciler}"
  mkdir -p "$dir"
  (cd "$dir" && pwd)
}

# emit_annotations FILE...: reconciler prints each located problem of an invalid desired state
# as `::error file=F,line=L,col=C,title=reconciler::...` on stdout when GITHUB_ACTIONS=true.
# Move those lines out of FILE and print them as workflow commands (only that exact form), with
# the file made relative to the repository root (RECONCILE_WORKDIR), so they annotate the
# changed line of the pull request.
emit_annotations() {
  local file prefix="${RECONCILE_WORKDIR:-.}"
  prefix="${prefix#./}"
  [[ $prefix == . || -z $prefix ]] && prefix="" || prefix="${prefix%/}/"
  for file in "$@"; do
    [[ -f $file ]] || continue
    grep -E '^::error file=[^,:]+,line=[0-9]+,col=[0-9]+,title=reconciler::' "$file" |
      sed -E "s#^::error file=#::error file=${prefix//#/\\#}#" || true
    sed -i -E '/^::error file=[^,:]+,line=[0-9]+,col=[0-9]+,title=reconciler::/d' "$file"
  done
}
