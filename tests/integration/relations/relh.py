"""Shared pieces of the relation scenarios: a charm pair whose dispatch records every hook
with its relation context, and the helpers that read what the units saw."""
import json
import os

import cairnh

# Every hook is one line in <unit dir>/events.log:
#   <unit> <hook> [<remote unit>] [departing=<unit>]
# relation-created puts "name=<unit>" in the unit's bag (it enters the scope with it), the
# leader puts "app=<application>" in the application bag; a file "fail-<hook>" in the unit
# dir makes that hook run relation-set, then exit 1 once (the file goes).
REL_DISPATCH = r"""#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
d="$JUJU_CHARM_DIR/.."
line="$JUJU_UNIT_NAME $h"
case "$h" in
*-relation-*)
  [ -n "$JUJU_REMOTE_UNIT" ] && line="$line $JUJU_REMOTE_UNIT"
  [ -n "$JUJU_DEPARTING_UNIT" ] && line="$line departing=$JUJU_DEPARTING_UNIT"
  ;;
esac
case "$h" in
*-relation-created)
  relation-set "name=$JUJU_UNIT_NAME" || exit 1
  if [ "$(is-leader)" = True ]; then relation-set --app "app=${JUJU_UNIT_NAME%/*}" || exit 1; fi
  ;;
esac
if [ -f "$d/fail-$h" ]; then
  rm -f "$d/fail-$h"
  relation-set "failed=yes"
  exit 1
fi
if [ -f "$d/set-$h" ]; then
  relation-set --file "$d/set-$h" || exit 1
  rm -f "$d/set-$h"
fi
echo "$line" >> "$d/events.log"
printf '%s\n' "$JUJU_PRINCIPAL_UNIT" > "$d/principal"
[ -p "$d/notify" ] && echo "$h" > "$d/notify"
case "$h" in start) status-set active "started" ;; esac
exit 0
"""


def make_pair(tmp, prov="prov", req="req", req_limit=None, peers=False):
    """A provider and a requirer of interface "kv" (endpoints "db" on both)."""
    peer = "peers:\n  ring:\n    interface: ring\n" if peers else ""
    limit = "    limit: %d\n" % req_limit if req_limit else ""
    p = cairnh.make_charm(tmp, prov, dispatch=REL_DISPATCH,
                          metadata_extra="provides:\n  db:\n    interface: kv\n" + peer)
    r = cairnh.make_charm(tmp, req, dispatch=REL_DISPATCH,
                          metadata_extra="requires:\n  db:\n    interface: kv\n" + limit)
    return p, r


def evs(ctl, unit):
    """The unit's recorded hooks, each "<hook> [remote] [departing=...]"."""
    try:
        with open(os.path.join(ctl.unit_dir(unit), "events.log")) as f:
            return [l.split(" ", 1)[1] for l in f.read().splitlines()]
    except FileNotFoundError:
        return []


def rel_events(ctl, unit):
    return [e for e in evs(ctl, unit) if "-relation-" in e]


def hook_exec(ctl, unit, command):
    """Runs command in a hook context of unit (cairn exec); returns its stdout."""
    r = ctl.cli("exec", "--unit", unit, "--format", "json", "--", command)
    if r.returncode != 0:
        raise AssertionError("exec on %s failed: %s %s" % (unit, r.stdout, r.stderr))
    doc = json.loads(r.stdout)
    res = doc[unit]["results"]
    return res.get("stdout", "")


def rel_id(ctl, unit, endpoint):
    out = hook_exec(ctl, unit, "relation-ids %s" % endpoint).split()
    return out[0] if out else None


def relation_get(ctl, unit, rid, who, app=False):
    cmd = "relation-get --format json -r %s %s- %s" % (rid, "--app " if app else "", who)
    return json.loads(hook_exec(ctl, unit, cmd) or "{}")
