#!/bin/sh
# The pods demo (`make demo-pods`, as root): a local controller deploys charms/web with its
# test image (built offline by charms/web/image.sh) as a pod, shows it serve from inside its
# pod network, refreshes it to a new image, removes it and destroys the controller.  Uses a
# private CAIRN_HOME so it never touches a real controller's state.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build/bin"
export CAIRN_HOME="${CAIRN_DEMO_HOME:-$here/build/demo-pods-home}"
export PATH="$bin:$PATH"
[ "$(id -u)" -eq 0 ] || { echo "demo-pods: pods need root (runc, mounts, network namespaces)" >&2; exit 1; }

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

rm -rf "$CAIRN_HOME"
images=$(mktemp -d)
trap 'cairn kill-controller -y >/dev/null 2>&1 || true; rm -rf "$images"' EXIT

step "sh charms/web/image.sh (busybox httpd; its own Pebble layer defines the service)"
v1=$(sh "$here/charms/web/image.sh" "$images/v1" "hello from image one")
v2=$(sh "$here/charms/web/image.sh" "$images/v2" "hello from image two")
echo "$v1"
step "cairn deploy charms/web --resource web-image=$v1"
cairn bootstrap
cairn deploy "$here/charms/web" --resource "web-image=$v1"
cairn wait-for application web --query 'status=="active"' --timeout 2m
cairn status
cairn resources web

step "the workload, from the unit's pod network (where its hooks run)"
prefix=$(sed -n 's/.*"prefix": "\(.*\)".*/\1/p' "$CAIRN_HOME/agents/machine-0/pods.json")
ip netns exec "${prefix}web-0" sh -c 'ip -4 -o addr show eth0; curl -sS http://localhost:8080/index.html'

step "cairn attach-resource web web-image=$v2 (upgrade-charm -> config-changed -> web-pebble-ready)"
cairn attach-resource web "web-image=$v2"
cairn wait-for model default --query idle --timeout 2m
cairn status
cairn show-status-log web/0 -n 8

step "cairn remove-application web"
cairn remove-application web --no-prompt
cairn wait-for application web --query gone --timeout 2m
cairn status

step "done"
