"""The exact per-unit event sequence for every operator action (deploy, add-unit, config,
refresh, remove-unit, remove-application), recorded by a charm that logs each hook it
receives, plus coalescing of rapid config changes."""
import os
import shutil
import tempfile
import unittest

import cairnh
from cairnh import RECORDER_DISPATCH, events

CONFIG = """options:
  thing: {type: string, default: world}
  n: {type: int, default: 1}
"""


class EventOrder(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.charm = cairnh.make_charm(self.tmp, "rec", dispatch=RECORDER_DISPATCH, config=CONFIG)
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_deploy_leader_and_followers(self):
        r = self.ctl.call("deploy", charm=self.charm, num_units=3)
        self.assertEqual(r["units"], ["rec/0", "rec/1", "rec/2"])
        self.ctl.wait_idle()
        self.assertEqual(events(self.ctl, "rec/0"),
                         ["install", "leader-elected", "config-changed", "start"])
        for u in ("rec/1", "rec/2"):
            self.assertEqual(events(self.ctl, u), ["install", "config-changed", "start"])
        st = self.ctl.call("status")
        self.assertTrue(st["applications"]["rec"]["units"]["rec/0"].get("leader"))
        self.assertNotIn("leader", st["applications"]["rec"]["units"]["rec/1"])

    def test_add_unit(self):
        self.ctl.call("deploy", charm=self.charm, num_units=1)
        self.ctl.wait_idle()
        r = self.ctl.call("add-unit", app="rec", num_units=2)
        self.assertEqual(r["units"], ["rec/1", "rec/2"])
        self.ctl.wait_idle()
        for u in ("rec/1", "rec/2"):
            self.assertEqual(events(self.ctl, u), ["install", "config-changed", "start"])
        self.assertEqual(events(self.ctl, "rec/0"),
                         ["install", "leader-elected", "config-changed", "start"])

    def test_config_change_once_per_unit(self):
        self.ctl.call("deploy", charm=self.charm, num_units=2)
        self.ctl.wait_idle()
        self.ctl.call("config-set", app="rec", config=[{"set": {"thing": "a", "n": "2"}}])
        self.ctl.wait_idle()
        for u in ("rec/0", "rec/1"):
            self.assertEqual(events(self.ctl, u)[-2:], ["start", "config-changed"])
        # Setting the same values again changes nothing: no hook.
        self.ctl.call("config-set", app="rec", config=[{"set": {"thing": "a"}}])
        self.ctl.wait_idle()
        self.assertEqual(events(self.ctl, "rec/1").count("config-changed"), 2)

    def test_rapid_config_changes_coalesce(self):
        # config-changed blocks on a gate FIFO while the test changes config five more
        # times: the five must collapse into a single further config-changed that sees the
        # last value.
        gated = RECORDER_DISPATCH.replace(
            "exit 0", 'if [ "${JUJU_DISPATCH_PATH#hooks/}" = config-changed ] && [ -p "$JUJU_CHARM_DIR/../gate" ]; then\n'
            '  echo "$(config-get thing)" >> "$JUJU_CHARM_DIR/../seen"\n'
            '  if [ ! -f "$JUJU_CHARM_DIR/../gated" ]; then touch "$JUJU_CHARM_DIR/../gated"; read x < "$JUJU_CHARM_DIR/../gate"; fi\n'
            'fi\nexit 0')
        charm = cairnh.make_charm(self.tmp, "slow", dispatch=gated, config=CONFIG)
        self.ctl.call("deploy", charm=charm, num_units=1)
        self.ctl.wait_idle()
        udir = self.ctl.unit_dir("slow/0")
        gate = os.path.join(udir, "gate")
        os.mkfifo(gate)
        self.ctl.call("config-set", app="slow", config=[{"set": {"thing": "v1"}}])
        # Opening the gate for writing blocks until the hook opens it: the hook is running.
        with open(gate, "w") as g:
            for i in range(2, 7):
                self.ctl.call("config-set", app="slow", config=[{"set": {"thing": "v%d" % i}}])
            g.write("go\n")
        self.ctl.wait_idle(timeout=30)
        ev = events(self.ctl, "slow/0")
        self.assertEqual(ev, ["install", "leader-elected", "config-changed", "start",
                              "config-changed", "config-changed"])
        with open(os.path.join(udir, "seen")) as f:
            self.assertEqual(f.read().split(), ["v1", "v6"])

    def test_refresh(self):
        self.ctl.call("deploy", charm=self.charm, num_units=2)
        self.ctl.wait_idle()
        # Files the charm wrote itself survive the refresh.
        with open(os.path.join(self.ctl.unit_dir("rec/0"), "charm", ".unit-state.db"), "w") as f:
            f.write("state")
        new = cairnh.make_charm(os.path.join(self.tmp, "v2"), "rec", dispatch=RECORDER_DISPATCH,
                                config=CONFIG + "  extra: {type: boolean, default: true}\n")
        r = self.ctl.call("refresh", app="rec", charm=new)
        self.assertEqual(r["revision"], 1)
        self.ctl.wait_idle()
        for u in ("rec/0", "rec/1"):
            self.assertEqual(events(self.ctl, u)[-2:], ["upgrade-charm", "config-changed"])
        with open(os.path.join(self.ctl.unit_dir("rec/0"), "charm", ".unit-state.db")) as f:
            self.assertEqual(f.read(), "state")
        cfg = self.ctl.call("config-get", app="rec")
        self.assertIn("extra", cfg["settings"])
        self.assertEqual(self.ctl.call("status")["applications"]["rec"]["charm-rev"], 1)

    def test_remove_unit_and_application(self):
        self.ctl.call("deploy", charm=self.charm, num_units=3)
        self.ctl.wait_idle()
        unit1_dir = self.ctl.unit_dir("rec/1")
        log = os.path.join(self.tmp, "rec1-events")
        # Keep the recorder's file: the unit dir is deleted when the unit leaves the model.
        os.symlink(log, os.path.join(unit1_dir, "events.log.keep"))
        shutil.copy(os.path.join(unit1_dir, "events.log"), log)
        os.unlink(os.path.join(unit1_dir, "events.log"))
        os.symlink(log, os.path.join(unit1_dir, "events.log"))
        self.ctl.call("remove-unit", units=["rec/1"])
        self.ctl.call("wait-for", kind="unit", name="rec/1", gone=True, timeout_ms=30000)
        with open(log) as f:
            ev = [l.split(" ", 1)[1] for l in f.read().splitlines()]
        self.assertEqual(ev, ["install", "config-changed", "start", "stop", "remove"])
        self.assertFalse(os.path.exists(unit1_dir))
        st = self.ctl.call("status")
        self.assertEqual(sorted(st["applications"]["rec"]["units"]), ["rec/0", "rec/2"])
        # Unit numbers are never reused.
        self.assertEqual(self.ctl.call("add-unit", app="rec", num_units=1)["units"], ["rec/3"])
        self.ctl.wait_idle()
        self.ctl.call("remove-application", apps=["rec"])
        self.ctl.call("wait-for", kind="application", name="rec", gone=True, timeout_ms=30000)
        self.assertEqual(self.ctl.call("status")["applications"], {})

    def test_update_status_interval(self):
        self.ctl.call("model-config", set={"update-status-hook-interval": "200ms"})
        self.ctl.call("deploy", charm=self.charm, num_units=1)
        self.ctl.wait_idle()
        pipe = cairnh.EventPipe(os.path.join(self.ctl.unit_dir("rec/0"), "notify"))
        for _ in range(3):
            pipe.wait_for("update-status", timeout=10)
        pipe.close()
        ev = events(self.ctl, "rec/0")
        self.assertGreaterEqual(ev.count("update-status"), 3)
        self.assertEqual(ev[:4], ["install", "leader-elected", "config-changed", "start"])


if __name__ == "__main__":
    unittest.main()
