"""Hook tools called from real hooks in every argv form the ops library uses (ops <= 3.4 puts
--format=json last, ops >= 3.5 first), and the commit rules: buffered changes (state, ports,
application version) land only when the hook exits 0; status-set applies at once."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import cairnh

CONFIG = """options:
  name: {type: string, default: Wiki}
  port: {type: int, default: 8080}
  ratio: {type: float, default: 0.5}
  debug: {type: boolean, default: false}
  unset: {type: string}
"""

# Runs the script in $JUJU_CHARM_DIR/../script-<hook> if present, then records results.
DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
s="$JUJU_CHARM_DIR/../script-$h"
if [ -f "$s" ]; then . "$s"; fi
exit 0
"""


class HookTools(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.charm = cairnh.make_charm(self.tmp, "tooly", dispatch=DISPATCH, config=CONFIG)
        self.ctl = cairnh.Controller().start()
        self.ctl.call("deploy", charm=self.charm, num_units=2)
        self.ctl.wait_idle()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_in_hook(self, unit, script, hook="config-changed"):
        """Runs script inside hook on unit (triggered by a config change) and returns the
        contents of the out file it wrote."""
        udir = self.ctl.unit_dir(unit)
        with open(os.path.join(udir, "script-" + hook), "w") as f:
            f.write("out=\"$JUJU_CHARM_DIR/../out\"\n: > \"$out\"\n" + script)
        self.bump()
        os.unlink(os.path.join(udir, "script-" + hook))
        with open(os.path.join(udir, "out")) as f:
            return f.read()

    def bump(self):
        self.n = getattr(self, "n", 0) + 1
        self.ctl.call("config-set", app="tooly", config=[{"set": {"name": "v%d" % self.n}}])
        self.ctl.wait_idle()

    def test_config_get_forms(self):
        out = self.run_in_hook("tooly/0", """
config-get --format=json >> "$out"
config-get port --format=json >> "$out"
config-get --format=json ratio >> "$out"
config-get debug >> "$out"
config-get name >> "$out"
""")
        lines = out.splitlines()
        self.assertEqual(json.loads(lines[0]), {"name": "v1", "port": 8080, "ratio": 0.5, "debug": False})
        self.assertEqual(lines[1:], ["8080", "0.5", "False", "v1"])

    def test_status_set_forms_and_is_leader(self):
        out = self.run_in_hook("tooly/0", """
is-leader --format=json >> "$out"
status-set --application=False maintenance 'old style' && echo ok1 >> "$out"
status-set --application=false maintenance -- "new style" && echo ok2 >> "$out"
status-get --include-data --application=False --format=json >> "$out"
status-set --application=True active "app msg" && echo ok3 >> "$out"
status-get --include-data --format=json --application=true >> "$out"
status-set bogus x 2>> "$out"; echo "rc=$?" >> "$out"
status-set active "leader ok"
""")
        lines = out.splitlines()
        self.assertEqual(lines[0], "true")
        self.assertEqual(lines[1:3], ["ok1", "ok2"])
        self.assertEqual(json.loads(lines[3]), {"message": "new style", "status": "maintenance", "status-data": {}})
        self.assertEqual(lines[4], "ok3")
        app = json.loads(lines[5])["application-status"]
        self.assertEqual((app["status"], app["message"]), ("active", "app msg"))
        self.assertIn("tooly/0", app["units"])
        self.assertTrue(lines[6].startswith("ERROR invalid status \"bogus\""), lines[6])
        self.assertEqual(lines[7], "rc=2")  # validated in Init: a usage error
        st = self.ctl.call("status")["applications"]["tooly"]
        self.assertEqual(st["application-status"]["current"], "active")
        self.assertEqual(st["application-status"]["message"], "app msg")
        # The non-leader: is-leader false; application status refused.
        out = self.run_in_hook("tooly/1", """
is-leader --format=json >> "$out"
status-set --application=True active nope 2>> "$out"; echo "rc=$?" >> "$out"
""")
        lines = out.splitlines()
        self.assertEqual(lines[0], "false")
        self.assertIn("not the leader", lines[1])
        self.assertEqual(lines[2], "rc=1")

    def test_juju_log_and_unknown_flag(self):
        out = self.run_in_hook("tooly/0", """
juju-log --log-level DEBUG -- "ops 2.20.0 up and running." && echo ok >> "$out"
juju-log --log-level INFO "two words" && echo ok >> "$out"
config-get --bogus 2>> "$out"; echo "rc=$?" >> "$out"
""")
        lines = out.splitlines()
        self.assertEqual(lines[:2], ["ok", "ok"])
        self.assertIn("option provided but not defined: --bogus", lines[2])
        self.assertEqual(lines[3], "rc=2")

    def test_buffered_changes_commit_only_on_success(self):
        udir = self.ctl.unit_dir("tooly/0")
        # A failing hook: its state/ports/version are dropped, its status-set stays.
        with open(os.path.join(udir, "script-config-changed"), "w") as f:
            f.write("""
state-set k=failed
open-port 9999/tcp
application-version-set 9.9
status-set blocked "set before failing"
exit 1
""")
        self.ctl.call("model-config", set={"automatically-retry-hooks": "false"})
        self.ctl.call("config-set", app="tooly", config=[{"set": {"name": "x"}}])
        self.ctl.call("wait-for", kind="unit", name="tooly/0", status="error", timeout_ms=20000)
        st = self.ctl.call("status")["applications"]["tooly"]["units"]["tooly/0"]
        self.assertEqual(st["workload-status"], {"current": "error", "message": 'hook failed: "config-changed"',
                                                 "since": st["workload-status"]["since"]})
        self.assertNotIn("open-ports", st)
        os.unlink(os.path.join(udir, "script-config-changed"))
        # Resolve with a retry: the hook now succeeds and the unit shows the status the
        # failed hook had set.
        self.ctl.call("resolved", units=["tooly/0"])
        self.ctl.wait_idle()
        st = self.ctl.call("status")["applications"]["tooly"]["units"]["tooly/0"]
        self.assertEqual(st["workload-status"]["current"], "blocked")
        self.assertEqual(st["workload-status"]["message"], "set before failing")
        out = self.run_in_hook("tooly/0", """
state-get k >> "$out"; echo "[$?]" >> "$out"
opened-ports >> "$out"
""")
        self.assertEqual(out.splitlines(), ["[0]"])
        # A successful hook commits its buffered changes.
        self.run_in_hook("tooly/0", """
echo '{"k": "v", "other": "x"}' | state-set --file -
open-port 8080/tcp
open-port 9000-9010/udp
application-version-set 2.1
""")
        out = self.run_in_hook("tooly/0", """
state-get k >> "$out"
state-get --format=json >> "$out"
opened-ports --format=json >> "$out"
""")
        lines = out.splitlines()
        self.assertEqual(lines[0], "v")
        self.assertEqual(json.loads(lines[1]), {"k": "v", "other": "x"})
        self.assertEqual(sorted(json.loads(lines[2])), ["8080/tcp", "9000-9010/udp"])
        st = self.ctl.call("status")["applications"]["tooly"]
        self.assertEqual(st["version"], "2.1")
        self.assertEqual(sorted(st["units"]["tooly/0"]["open-ports"]), ["8080/tcp", "9000-9010/udp"])

    def test_tool_outside_a_hook_is_refused(self):
        tools = os.path.join(cairnh.BIN, "tools")
        env = {"PATH": tools + ":/usr/bin:/bin", "JUJU_CONTEXT_ID": "tooly/0-install-123",
               "JUJU_AGENT_SOCKET_ADDRESS": os.path.join(self.ctl.home, "agent.sock")}
        p = subprocess.run([os.path.join(tools, "status-set"), "active"], env=env,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("ERROR", p.stderr)
        st = self.ctl.call("status")["applications"]["tooly"]["units"]["tooly/0"]
        self.assertNotEqual(st["workload-status"].get("message"), "")


if __name__ == "__main__":
    unittest.main()
