#!/bin/sh
# The demo: a local controller (embedded SQLite store) deploys the hello charm written in C
# (charms/c-hello, built to build/charms/c-hello) with 3 units, waits for active, changes
# `thing`, refreshes the charm, relates the keeper and reader shell charms (charms/keeper,
# charms/reader) and runs keeper's action, removes it all, showing status along the way.  Uses a private
# CAIRN_HOME so it never touches a real controller's state.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build/bin"
export CAIRN_HOME="${CAIRN_DEMO_HOME:-$here/build/demo-home}"
export PATH="$bin:$PATH"
hello="$here/build/charms/c-hello"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

rm -rf "$CAIRN_HOME"
trap 'cairn kill-controller -y >/dev/null 2>&1 || true' EXIT

step "cairn bootstrap"
cairn bootstrap
step "cairn deploy build/charms/c-hello -n 3"
cairn deploy "$hello" -n 3
cairn wait-for application hello --query 'status=="active"' --timeout 2m
cairn status

step "cairn config hello thing=cairn"
cairn config hello thing=cairn
cairn wait-for application hello --query 'status=="active"' --timeout 2m
cairn wait-for model default --query idle --timeout 2m
cairn config hello thing
cairn status

step "cairn refresh hello --path build/charms/c-hello"
cairn refresh hello --path "$hello"
cairn wait-for model default --query idle --timeout 2m
cairn status

step "cairn deploy charms/keeper -n 2; cairn deploy charms/reader; cairn integrate keeper reader"
cairn deploy "$here/charms/keeper" -n 2
cairn deploy "$here/charms/reader"
cairn integrate keeper reader
cairn wait-for model default --query idle --timeout 2m
cairn status --relations

step "cairn config keeper value=relations; cairn run keeper/leader get-value"
cairn config keeper value=relations
cairn wait-for model default --query idle --timeout 2m
cairn status
cairn run keeper/leader get-value
cairn remove-application keeper reader --no-prompt
cairn wait-for application reader --query gone --timeout 2m

step "cairn debug-log (last 12 lines)"
cairn debug-log --replay --no-tail | tail -n 12

step "cairn remove-application hello"
cairn remove-application hello --no-prompt
cairn wait-for application hello --query gone --timeout 2m
cairn status

step "done"
