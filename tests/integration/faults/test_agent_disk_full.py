"""The machine agent's store on a full disk: a hook the controller asks for cannot be
recorded as pending, so it does not run; the agent says why on debug-log and retries it like
a failed hook.  Once space is back the hook runs and commits, the store is consistent, and an
agent killed afterwards resumes with nothing lost and nothing run twice."""
import os
import shutil
import signal
import tempfile
import unittest

import cairnh
import faultcharm
from faulth import Tmpfs, require_root, wait_until


class AgentDiskFull(unittest.TestCase):
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
        self.db = os.path.join(self.fs.path, "agent.db")

    def debug_log(self):
        return self.ctl.cli("debug-log", "--replay", "--no-tail").stdout

    def test_full_then_space_back(self):
        self.fs.fill()
        self.ctl.call("config-set", app="faulty", config=[{"set": {"x": "b"}}])
        wait_until(lambda: "database or disk is full" in self.debug_log(), what="the agent's error")
        self.assertRegex(self.debug_log(), r'cannot record hook "config-changed" as pending: .*database or disk is full')
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 1)
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=a")
        self.assertEqual(faultcharm.integrity(self.db), "ok")

        self.fs.free()
        # The first retry of a failed hook comes after 5 s (charm-runtime.md §10).
        wait_until(lambda: faultcharm.message(self.ctl, "faulty/0") == "x=b", timeout=20,
                   what="config-changed after space came back")
        self.ctl.wait_idle()
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 2)
        # A crash now: the agent resumes from its store, runs nothing again.
        pid = self.ctl.agent_pid()
        os.kill(pid, signal.SIGKILL)
        cairnh.wait_gone(pid, 30)
        wait_until(lambda: self.ctl.agent_pid() not in (None, pid), timeout=30, what="the agent's restart")
        self.ctl.wait_idle()
        self.assertEqual(faultcharm.integrity(self.db), "ok")
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 2)
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=b")


if __name__ == "__main__":
    unittest.main()
