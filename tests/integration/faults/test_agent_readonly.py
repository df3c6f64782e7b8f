"""The machine agent's directory made read-only.  While it runs: a new charm cannot be cached,
so its unit shows the error in status ("cannot install charm: ...: read-only file system")
while the other units go on working.  A crashed agent cannot start on it (the controller's
supervisor says so and keeps trying, with a growing delay).  Once writable again the agent
starts, the failed install is retried and the unit becomes active; nothing is lost."""
import os
import shutil
import signal
import tempfile
import unittest

import cairnh
import faultcharm
from faulth import Tmpfs, require_root, wait_until


class AgentReadOnly(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.tmp = tempfile.mkdtemp(prefix="cairn-fault-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        home = os.path.join(self.tmp, "home")
        os.makedirs(os.path.join(home, "agents", "machine-0"))
        self.fs = Tmpfs(self, 8 * 1024 * 1024, path=os.path.join(home, "agents", "machine-0"), mode=0o700)
        self.ctl = cairnh.Controller(home=home).start()
        self.addCleanup(self.ctl.cleanup)
        self.ctl.call("deploy", charm=faultcharm.make(self.tmp))
        self.ctl.wait_idle()

    def test_read_only_then_writable(self):
        self.fs.read_only()
        self.ctl.call("deploy", charm=faultcharm.make(self.tmp, "other"))
        wait_until(lambda: "read-only file system" in faultcharm.message(self.ctl, "other/0").lower()
                   or "cannot install charm" in faultcharm.message(self.ctl, "other/0"),
                   what="the install error in status")
        st = self.ctl.call("status")["applications"]["other"]["units"]["other/0"]
        self.assertEqual(st["workload-status"]["current"], "error")
        # The unit that has its charm keeps working (its store is open already).
        self.ctl.call("config-set", app="faulty", config=[{"set": {"x": "b"}}])
        wait_until(lambda: faultcharm.message(self.ctl, "faulty/0") == "x=b", what="faulty's config-changed")

        pid = self.ctl.agent_pid()
        os.kill(pid, signal.SIGKILL)
        cairnh.wait_gone(pid, 30)
        wait_until(lambda: "agent exited with status" in self.ctl.daemon_log(), timeout=20,
                   what="a failed restart")

        self.fs.read_only(False)
        wait_until(lambda: faultcharm.message(self.ctl, "other/0") == "x=a", timeout=60,
                   what="other/0 installed after the directory became writable")
        self.ctl.wait_idle()
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=b")
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 2)
        self.assertEqual(faultcharm.integrity(os.path.join(self.fs.path, "agent.db")), "ok")


if __name__ == "__main__":
    unittest.main()
