"""Leadership: one leader per application (the first unit), is-leader never true for two
units, leader-only writes refused for the others, and failover when the leader is removed:
the new leader runs leader-elected, the others leader-settings-changed (Juju 3.x)."""
import os
import shutil
import tempfile
import unittest

import cairnh
from cairnh import RECORDER_DISPATCH, events

DISPATCH = RECORDER_DISPATCH.replace(
    "exit 0", 'is-leader --format=json >> "$JUJU_CHARM_DIR/../is-leader"\nexit 0')


class Leadership(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.charm = cairnh.make_charm(self.tmp, "lead", dispatch=DISPATCH)
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def leaders(self):
        st = self.ctl.call("status")["applications"]["lead"]["units"]
        return sorted(u for u, v in st.items() if v.get("leader"))

    def last_is_leader(self, unit):
        with open(os.path.join(self.ctl.unit_dir(unit), "is-leader")) as f:
            return f.read().split()[-1]

    def test_failover(self):
        self.ctl.call("deploy", charm=self.charm, num_units=3)
        self.ctl.wait_idle()
        self.assertEqual(self.leaders(), ["lead/0"])
        self.assertEqual(self.last_is_leader("lead/0"), "true")
        self.assertEqual(self.last_is_leader("lead/1"), "false")
        self.assertEqual(self.last_is_leader("lead/2"), "false")
        self.ctl.call("remove-unit", units=["lead/0"])
        self.ctl.call("wait-for", kind="unit", name="lead/0", gone=True, timeout_ms=30000)
        self.ctl.wait_idle()
        self.assertEqual(self.leaders(), ["lead/1"])
        self.assertEqual(events(self.ctl, "lead/1"),
                         ["install", "config-changed", "start", "leader-elected"])
        self.assertEqual(events(self.ctl, "lead/2"),
                         ["install", "config-changed", "start", "leader-settings-changed"])
        self.assertEqual(self.last_is_leader("lead/1"), "true")
        self.assertEqual(self.last_is_leader("lead/2"), "false")
        # A unit added later does not catch up on old failovers.
        self.ctl.call("add-unit", app="lead", num_units=1)
        self.ctl.wait_idle()
        self.assertEqual(events(self.ctl, "lead/3"), ["install", "config-changed", "start"])
        self.assertEqual(self.leaders(), ["lead/1"])

    def test_leadership_survives_restart(self):
        self.ctl.call("deploy", charm=self.charm, num_units=2)
        self.ctl.wait_idle()
        self.ctl.stop()
        self.ctl.start()
        self.ctl.wait_idle()
        self.assertEqual(self.leaders(), ["lead/0"])
        self.assertEqual(events(self.ctl, "lead/0"),
                         ["install", "leader-elected", "config-changed", "start"])


if __name__ == "__main__":
    unittest.main()
