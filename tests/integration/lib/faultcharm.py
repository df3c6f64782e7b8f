"""faultcharm - the charm the controller and agent fault tests deploy: every hook records
itself, config-changed can be held on a FIFO (so a test can break the disk while a hook
runs), and each config-changed commits the config value as charm state and status."""
import os

import cairnh

DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
d="$JUJU_CHARM_DIR/.."
echo "$JUJU_UNIT_NAME $h" >> "$d/events.log"
if [ "$h" = config-changed ] && [ -p "$d/hold" ]; then read x < "$d/hold"; fi
case "$h" in
config-changed|start)
  x="$(config-get x)"
  state-set "x=$x"
  status-set active "x=$x"
  ;;
esac
exit 0
"""
CONFIG = "options:\n  x: {type: string, default: a}\n"


def make(root, name="faulty"):
    return cairnh.make_charm(root, name, dispatch=DISPATCH, config=CONFIG)


def message(ctl, unit):
    st = ctl.call("status")["applications"][unit.split("/")[0]]["units"][unit]
    return st["workload-status"].get("message", "")


def config_value(ctl, app, key="x"):
    return ctl.call("config-get", app=app)["settings"][key]["value"]


def integrity(db_path):
    """SQLite's own check of a database file (read-only, as a second reader)."""
    import sqlite3
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def hold(ctl, unit):
    """Makes the unit's next config-changed wait; returns a function that releases it."""
    path = os.path.join(ctl.unit_dir(unit), "hold")
    os.mkfifo(path)

    def release():
        with open(path, "w") as f:
            f.write("go\n")
        os.unlink(path)
    return release
