"""The controller's $CAIRN_HOME made read-only.  While it runs: what needs new files there (a
deploy stores the charm) fails with the cause, nothing changes, status is served.  A
controller started on a read-only home refuses to start with the cause, exit 1, and leaves
the files as they were.  Once writable again everything works and nothing acknowledged is
lost; state.db is consistent throughout."""
import os
import shutil
import subprocess
import tempfile
import unittest

import cairnh
import faultcharm
from faulth import Tmpfs, require_root


class ControllerReadOnly(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.fs = Tmpfs(self, 24 * 1024 * 1024)
        self.tmp = tempfile.mkdtemp(prefix="cairn-fault-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ctl = cairnh.Controller(home=os.path.join(self.fs.path, "home"),
                                     log_path=os.path.join(self.tmp, "cairnd.log")).start()
        self.addCleanup(self.ctl.cleanup)
        self.ctl.call("deploy", charm=faultcharm.make(self.tmp))
        self.ctl.call("config-set", app="faulty", config=[{"set": {"x": "b"}}])
        self.ctl.wait_idle()
        self.other = faultcharm.make(self.tmp, "other")
        self.db = os.path.join(self.ctl.home, "state.db")

    def test_read_only_while_running(self):
        self.fs.read_only()
        with self.assertRaises(cairnh.CairnError) as cm:
            self.ctl.call("deploy", charm=self.other)
        self.assertIn("read-only file system", str(cm.exception).lower())
        self.assertEqual(sorted(self.ctl.call("status")["applications"]), ["faulty"])
        self.assertEqual(os.listdir(os.path.join(self.ctl.home, "charms")).__len__(), 1)

        self.fs.read_only(False)
        self.ctl.call("deploy", charm=self.other)
        self.ctl.wait_idle()
        self.ctl.kill()
        self.assertEqual(faultcharm.integrity(self.db), "ok")
        self.ctl.start()
        self.assertEqual(sorted(self.ctl.call("status")["applications"]), ["faulty", "other"])

    def test_start_on_a_read_only_home(self):
        self.ctl.stop()
        cairnh.kill_home_processes(self.ctl.home)
        before = {n: os.path.getsize(os.path.join(self.ctl.home, n)) for n in os.listdir(self.ctl.home)
                  if os.path.isfile(os.path.join(self.ctl.home, n))}
        self.fs.read_only()
        with open(self.ctl.log_path, "ab") as logf:
            p = subprocess.run([os.path.join(cairnh.BIN, "cairnd"), "--foreground", "--config", "api-port=0"],
                               env=self.ctl.env, stdout=logf, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stderr.decode().lower(), r"read-only|readonly")
        after = {n: os.path.getsize(os.path.join(self.ctl.home, n)) for n in os.listdir(self.ctl.home)
                 if os.path.isfile(os.path.join(self.ctl.home, n))}
        self.assertEqual(before, after)

        self.fs.read_only(False)
        self.ctl.start()
        self.assertEqual(faultcharm.config_value(self.ctl, "faulty"), "b")
        self.ctl.wait_idle()
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=b")


if __name__ == "__main__":
    unittest.main()
