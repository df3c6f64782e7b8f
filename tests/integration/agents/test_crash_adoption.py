"""A crash is not a stop: SIGKILL of the controller leaves the machine agent, the screes and
their services running; the restarted controller adopts the agent (one agent, same pid) and
the workloads run on undisturbed.  Then SIGKILL of the agent too: the controller starts a new
one, which adopts the running screes instead of starting second ones."""
import os
import signal
import unittest

import cairnh


class CrashAdoption(unittest.TestCase):
    def setUp(self):
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)

    def procs(self, name):
        return cairnh.daemon_processes(self.ctl.home, name)

    def lasting(self):
        # The pause charm's alive check runs `test -s` every second: not a workload.
        return cairnh.lasting_processes(self.ctl.home, transient=("test",))

    def test_workloads_survive_and_are_adopted(self):
        self.ctl.call("deploy", charm=os.path.join(cairnh.SRC, "charms", "pause"), num_units=2)
        self.ctl.call("wait-for", kind="application", name="pause", status="active", idle=True,
                      timeout_ms=60000)
        agents, screes = self.procs("cairn-agent"), self.procs("scree")
        self.assertEqual(len(agents), 1)
        self.assertEqual(len(screes), 2)
        everything = [p for p in self.lasting() if p != self.ctl.proc.pid]
        self.ctl.kill(signal.SIGKILL)
        # Nothing of the workloads died with the controller.
        self.assertEqual(self.lasting(), everything)
        self.ctl.start()
        self.ctl.call("wait-for", kind="application", name="pause", status="active", idle=True,
                      timeout_ms=60000)
        self.assertEqual(self.procs("cairn-agent"), agents)
        self.assertEqual(self.procs("scree"), screes)
        # The agent dies too: a new one, the same screes.
        os.kill(agents[0], signal.SIGKILL)
        self.assertTrue(cairnh.wait_gone(agents[0], 10))
        self.ctl.call("wait-for", kind="machine", name="0", status="started", idle=True, timeout_ms=60000)
        new = self.procs("cairn-agent")
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new, agents)
        self.assertEqual(self.procs("scree"), screes)
        st = self.ctl.call("status")["applications"]["pause"]
        self.assertEqual(st["application-status"]["current"], "active")


if __name__ == "__main__":
    unittest.main()
