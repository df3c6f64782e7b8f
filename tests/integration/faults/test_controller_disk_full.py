"""The controller with $CAIRN_HOME on a full disk: every operation that must be stored
(config, add-unit, deploy, model-config) fails with the cause and changes nothing, the CLI
says so and exits 1; status and ping are served from memory.  state.db stays consistent.
Once space is back the same operations succeed, run their hooks, and survive a SIGKILL."""
import os
import shutil
import signal
import tempfile
import unittest

import cairnh
import faultcharm
from faulth import Tmpfs, require_root


class ControllerDiskFull(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.fs = Tmpfs(self, 24 * 1024 * 1024)
        self.tmp = tempfile.mkdtemp(prefix="cairn-fault-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ctl = cairnh.Controller(home=os.path.join(self.fs.path, "home"),
                                     log_path=os.path.join(self.tmp, "cairnd.log")).start()
        self.addCleanup(self.ctl.cleanup)
        self.charm = faultcharm.make(self.tmp)
        self.other = faultcharm.make(self.tmp, "other")
        self.ctl.call("deploy", charm=self.charm)
        self.ctl.call("config-set", app="faulty", config=[{"set": {"x": "b"}}])
        self.ctl.wait_idle()
        self.db = os.path.join(self.ctl.home, "state.db")

    def refused(self, op, **args):
        with self.assertRaises(cairnh.CairnError) as cm:
            self.ctl.call(op, **args)
        return str(cm.exception)

    def test_full_then_space_back(self):
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=b")
        self.fs.fill()

        self.assertIn("database or disk is full",
                      self.refused("config-set", app="faulty", config=[{"set": {"x": "c"}}]))
        self.assertIn("database or disk is full", self.refused("add-unit", app="faulty", num_units=1))
        self.assertIn("database or disk is full",
                      self.refused("model-config", set={"update-status-hook-interval": "10m"}))
        self.assertIn("no space left on device", self.refused("deploy", charm=self.other).lower())
        p = self.ctl.cli("config", "faulty", "x=c")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^ERROR .*database or disk is full")
        # Served from memory, and nothing of the refused operations happened.
        self.assertEqual(self.ctl.call("ping")["model"], "default")
        st = self.ctl.call("status")["applications"]
        self.assertEqual(sorted(st), ["faulty"])
        self.assertEqual(sorted(st["faulty"]["units"]), ["faulty/0"])
        self.assertEqual(faultcharm.config_value(self.ctl, "faulty"), "b")
        self.assertEqual(faultcharm.integrity(self.db), "ok")

        self.fs.free()
        self.ctl.call("config-set", app="faulty", config=[{"set": {"x": "c"}}])
        self.ctl.call("deploy", charm=self.other)
        self.ctl.wait_idle()
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=c")
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 2)
        # Acknowledged means stored: a SIGKILL loses none of it.
        self.ctl.kill()
        self.assertEqual(faultcharm.integrity(self.db), "ok")
        self.ctl.start()
        self.assertEqual(faultcharm.config_value(self.ctl, "faulty"), "c")
        self.assertEqual(sorted(self.ctl.call("status")["applications"]), ["faulty", "other"])
        self.ctl.wait_idle()


if __name__ == "__main__":
    unittest.main()
