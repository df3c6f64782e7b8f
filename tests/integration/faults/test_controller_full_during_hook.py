"""The controller's disk fills up while a hook runs: the hook's commit (charm state, status)
cannot be stored, so the controller applies none of it, says why on its log, and drops the
agent, which keeps the commit in its outbox and sends it again - with a growing delay, not a
reconnect storm.  Once space is back the commit lands exactly once and nothing is lost."""
import os
import re
import shutil
import tempfile
import time
import unittest

import cairnh
import faultcharm
from faulth import Tmpfs, require_root, wait_until


class ControllerFullDuringHook(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.fs = Tmpfs(self, 24 * 1024 * 1024)
        home = os.path.join(self.fs.path, "home")
        # The agent's store is elsewhere: only the controller runs out of space.
        os.makedirs(os.path.join(home, "agents", "machine-0"))
        self.afs = Tmpfs(self, 16 * 1024 * 1024, path=os.path.join(home, "agents", "machine-0"), mode=0o700)
        self.tmp = tempfile.mkdtemp(prefix="cairn-fault-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = os.path.join(self.tmp, "cairnd.log")
        self.ctl = cairnh.Controller(home=home, log_path=self.log).start()
        self.addCleanup(self.ctl.cleanup)
        self.ctl.call("deploy", charm=faultcharm.make(self.tmp))
        self.ctl.wait_idle()

    def agent_log(self):
        with open(os.path.join(self.ctl.home, "agents", "machine-0", "agent.log")) as f:
            return f.read()

    def test_commit_waits_for_space(self):
        release = faultcharm.hold(self.ctl, "faulty/0")
        self.ctl.call("config-set", app="faulty", config=[{"set": {"x": "held"}}])
        wait_until(lambda: cairnh.events(self.ctl, "faulty/0").count("config-changed") == 2,
                   what="config-changed running")
        self.fs.fill()
        release()
        # Refused when the report is applied, or when the loop's batch of reports commits.
        refusal = r"cannot (apply \S+ of faulty/0|commit what the agents reported): "
        wait_until(lambda: re.search(refusal, self.ctl.daemon_log()), what="the controller's refusal")
        self.assertRegex(self.ctl.daemon_log(), refusal + r".*database or disk is full")
        t0 = time.monotonic()
        time.sleep(3)
        # Refused attempts back off: a handful in 3 s, not one every 100 ms.
        tries = len(re.findall(refusal, self.ctl.daemon_log()))
        self.assertLess(tries, 8, self.ctl.daemon_log())
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=a")
        self.assertEqual(faultcharm.integrity(os.path.join(self.ctl.home, "state.db")), "ok")

        self.fs.free()
        wait_until(lambda: faultcharm.message(self.ctl, "faulty/0") == "x=held", timeout=15,
                   what="the commit after space came back")
        self.assertLess(time.monotonic() - t0, 15)
        self.ctl.wait_idle()
        # The hook ran once; its commit was applied once.
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 2)
        self.ctl.kill()
        self.ctl.start()
        self.ctl.wait_idle()
        self.assertEqual(faultcharm.message(self.ctl, "faulty/0"), "x=held")
        self.assertEqual(cairnh.events(self.ctl, "faulty/0").count("config-changed"), 2)


if __name__ == "__main__":
    unittest.main()
