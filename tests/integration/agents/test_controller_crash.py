"""SIGKILL of the controller while hooks run: the machine agent is not its child any more, so
the hooks go on (their hook tools keep working: status-set and juju-log are queued, config-get
and is-leader answer from the agent's own copy); they finish while the controller is down,
and once it is back their commits are applied - nothing lost, nothing run twice.  The
restarted controller adopts the running agent instead of starting a second one."""
import os
import shutil
import signal
import tempfile
import unittest

import cairnh

DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
echo "$h" >> "$JUJU_CHARM_DIR/../events.log"
if [ "$h" = install ]; then
  [ -p "$JUJU_CHARM_DIR/../notify" ] && echo "install-blocked" > "$JUJU_CHARM_DIR/../notify"
  read x < "$JUJU_CHARM_DIR/../gate"
  status-set maintenance "installed while the controller was away"
  juju-log "install saw thing=$(config-get thing) leader=$(is-leader)"
  state-set during=install
fi
[ "$h" = start ] && status-set active "state=$(state-get during)"
exit 0
"""
CONFIG = "options:\n  thing: {type: string, default: world}\n"


class ControllerCrash(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.charm = cairnh.make_charm(self.tmp, "gated", dispatch=DISPATCH, config=CONFIG)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)

    def agents_of_home(self):
        return [p for p in cairnh.home_processes(self.ctl.home)
                if os.readlink("/proc/%d/exe" % p).endswith("/cairn-agent")]

    def test_hooks_finish_and_commit_once(self):
        self.ctl.call("deploy", charm=self.charm, num_units=0)
        pipes, gates = {}, {}
        for n in (0, 1):
            d = os.path.join(self.ctl.home, "agents", "unit-gated-%d" % n)
            os.makedirs(d)
            os.mkfifo(os.path.join(d, "gate"))
            pipes[n] = cairnh.EventPipe(os.path.join(d, "notify"))
        self.ctl.call("add-unit", app="gated", num_units=2)
        for n in (0, 1):
            pipes[n].wait_for("install-blocked", timeout=30)
        agent = self.ctl.agent_pid()
        self.assertIsNotNone(agent)
        # Both installs are blocked on their gates: the controller dies now.
        self.ctl.kill(signal.SIGKILL)
        self.assertEqual(self.agents_of_home(), [agent])
        # The hooks finish while the controller is away.
        for n in (0, 1):
            gates[n] = open(os.path.join(self.ctl.home, "agents", "unit-gated-%d" % n, "gate"), "w")
            gates[n].write("go\n")
            gates[n].close()
        for n in (0, 1):
            pipes[n].close()
        self.ctl.start()
        self.ctl.wait_idle(timeout=60)
        # Adopted, not duplicated.
        self.assertEqual(self.agents_of_home(), [agent])
        st = self.ctl.call("status")["applications"]["gated"]["units"]
        for n in (0, 1):
            with open(os.path.join(self.ctl.unit_dir("gated/%d" % n), "events.log")) as f:
                ev = f.read().split()
            expect = ["install", "leader-elected", "config-changed", "start"] if n == 0 else \
                     ["install", "config-changed", "start"]
            self.assertEqual(ev, expect, n)
            # The state the install committed while the controller was down arrived once.
            self.assertEqual(st["gated/%d" % n]["workload-status"]["message"], "state=install")
        log = self.ctl.cli("debug-log", "--replay", "--no-tail", check=True).stdout
        self.assertIn("install saw thing=world leader=True", log)
        self.assertIn("install saw thing=world leader=False", log)
        statuses = [e for e in self.ctl.call("show-status-log", unit="gated/1", n=100)["entries"]
                    if e["type"] == "workload"]
        self.assertTrue(any(e["message"] == "installed while the controller was away" for e in statuses))
        hooks = [e["status"] for e in self.ctl.call("show-status-log", unit="gated/1", n=100)["entries"]
                 if e["type"] == "hook"]
        self.assertEqual(hooks, ["install", "config-changed", "start"])


if __name__ == "__main__":
    unittest.main()
