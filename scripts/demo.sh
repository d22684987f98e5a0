#!/usr/bin/env bash
# The GloboRealty scenario, end to end on the embedded workspace, with no Azure account:
# start a local Snowflake seeded with house sales, plan, apply, look at the data, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.reconcile/snowflake

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Starting the local Snowflake (fakesnow) with GloboRealty's house sales"
# on the port it last ran on (at first 8765), or on a free one if that is taken; it writes the
# port to $state/server.env, which environments/local.yaml reads: nothing to edit
if python -m reconciler_testing.localsnow.server status --state-dir "$state" >/dev/null; then
    # yours (started as the README says): used, and left running
    python -m reconciler_testing.localsnow.server start --state-dir "$state" --seed-rows 10000
else
    python -m reconciler_testing.localsnow.server start --state-dir "$state" --seed-rows 10000
    trap 'step "Stopping the local Snowflake"; python -m reconciler_testing.localsnow.server stop --state-dir "$state"' EXIT
fi

step "reconcile validate"
reconcile validate --env local

step "reconcile plan --env local"
reconcile plan --env local --out .reconcile/demo-plan.json

step "reconcile apply .reconcile/demo-plan.json"
reconcile apply .reconcile/demo-plan.json

step "reconcile status --env local"
reconcile status --env local

step "reconcile show raw_house_data"
reconcile show raw_house_data --env local

step "reconcile plan --env local --detailed-exitcode (expect: no changes)"
reconcile plan --env local --detailed-exitcode
