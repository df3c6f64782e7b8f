"""Leadership is a lease the leader's machine agent holds: when that agent disappears for
longer than the lease (leadership-lease-duration, 2 s here), the leadership moves to a unit
whose agent is present - it runs leader-elected, and the lost unit's agent shows as lost.
The old agent, once back, learns it is no longer the leader (leader-settings-changed) and
never claims it again (is-leader answers false)."""
import os
import shutil
import signal
import tempfile
import time
import unittest

import cairnh
from cairnh import RECORDER_DISPATCH

DISPATCH = RECORDER_DISPATCH.replace(
    "exit 0", 'is-leader --format=json >> "$JUJU_CHARM_DIR/../is-leader"\nexit 0')
LEASE = 2.0


class LeaseMoves(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.charm = cairnh.make_charm(self.tmp, "lead", dispatch=DISPATCH)
        self.ns = cairnh.Netns().__enter__()
        self.addCleanup(self.ns.cleanup)
        self.ctl = cairnh.Controller(config={"api-address": self.ns.host_ip,
                                             "leadership-lease-duration": "%ds" % LEASE}).start()
        self.addCleanup(self.ctl.cleanup)
        self.agent = cairnh.RemoteAgent(self.ns)
        self.addCleanup(self.agent.cleanup)

    def leaders(self):
        units = self.ctl.call("status")["applications"]["lead"]["units"]
        return sorted(u for u, v in units.items() if v.get("leader"))

    def events(self, d):
        with open(os.path.join(d, "events.log")) as f:
            return [l.split(" ", 1)[1] for l in f.read().splitlines()]

    def test_leadership_moves_when_the_agent_is_gone(self):
        r = self.ctl.call("add-machine")
        self.agent.join(r["machines"][0]["command"])
        self.ctl.call("wait-for", kind="machine", name="1", status="started", timeout_ms=30000)
        self.ctl.call("deploy", charm=self.charm, to="1")  # lead/0, the leader, on machine 1
        self.ctl.wait_idle()
        d1 = os.path.join(self.ctl.home, "agents", "unit-lead-1")
        os.makedirs(d1)
        pipe = cairnh.EventPipe(os.path.join(d1, "notify"))
        self.ctl.call("add-unit", app="lead", num_units=1)  # lead/1 on machine 0
        self.ctl.wait_idle()
        self.assertEqual(self.leaders(), ["lead/0"])
        # The leader's machine agent disappears.
        gone_at = time.monotonic()
        self.agent.kill(signal.SIGKILL)
        pipe.wait_for("leader-elected", timeout=30)
        moved_after = time.monotonic() - gone_at
        pipe.close()
        self.ctl.call("wait-for", kind="unit", name="lead/1", idle=True, timeout_ms=30000)
        # The lease runs out one lease after the agent was last heard from, and it was heard
        # up to a ping interval (a quarter lease) before the kill, longer when load delayed
        # its last ping: not before half a lease is a bound that holds on a loaded machine.
        self.assertGreaterEqual(moved_after, LEASE * 0.5)
        self.assertEqual(self.leaders(), ["lead/1"])
        self.assertEqual(self.events(d1), ["install", "config-changed", "start", "leader-elected"])
        with open(os.path.join(d1, "is-leader")) as f:
            self.assertEqual(f.read().split()[-1], "true")
        st = self.ctl.call("status")
        self.assertEqual(st["applications"]["lead"]["units"]["lead/0"]["juju-status"]["current"], "lost")
        self.assertEqual(st["machines"]["1"]["juju-status"]["current"], "down")
        # The old agent comes back: no longer the leader, told so, and never claims it.
        self.agent.run()
        self.ctl.call("wait-for", kind="machine", name="1", status="started", idle=True, timeout_ms=30000)
        d0 = self.agent.unit_dir("lead/0")
        self.assertEqual(self.events(d0), ["install", "leader-elected", "config-changed", "start",
                                           "leader-settings-changed"])
        with open(os.path.join(d0, "is-leader")) as f:
            self.assertEqual(f.read().split()[-1], "false")
        self.assertEqual(self.leaders(), ["lead/1"])


if __name__ == "__main__":
    unittest.main()
