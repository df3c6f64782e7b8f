"""kill-controller is a clean stop that destroys what was deployed: every unit's workload
containers (their screes and the services they run), every machine agent - the controller's
own and the one on another host - and the controller's state.  Nothing from the controller's
home keeps running once the command returns."""
import json
import os
import unittest

import cairnh


class KillController(unittest.TestCase):
    def setUp(self):
        self.ns = cairnh.Netns().__enter__()
        self.addCleanup(self.ns.cleanup)
        self.ctl = cairnh.Controller(config={"api-address": self.ns.host_ip}).start()
        self.addCleanup(self.ctl.cleanup)
        self.agent = cairnh.RemoteAgent(self.ns)
        self.addCleanup(self.agent.cleanup)

    def test_destroys_everything(self):
        r = self.ctl.call("add-machine")
        self.agent.join(r["machines"][0]["command"])
        self.ctl.call("wait-for", kind="machine", name="1", status="started", timeout_ms=30000)
        pause = os.path.join(cairnh.SRC, "charms", "pause")
        self.ctl.call("deploy", charm=pause, num_units=1)
        self.ctl.call("add-unit", app="pause", num_units=1, to="1")
        self.ctl.call("wait-for", kind="application", name="pause", status="active", idle=True,
                      timeout_ms=60000)
        local = cairnh.home_processes(self.ctl.home)
        remote = cairnh.home_processes(self.agent.home)
        # An agent, a scree and its pause service on each host.
        self.assertGreaterEqual(len(local), 3, local)
        self.assertGreaterEqual(len(remote), 3, remote)
        p = self.ctl.cli("kill-controller", "-y", timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('Controller "cairn" destroyed.', p.stderr)
        # Gone at once, not eventually: every one of them had exited when the CLI returned.
        self.assertEqual(cairnh.home_processes(self.ctl.home), [])
        self.assertEqual(self.ctl.proc.wait(timeout=5), 0)
        self.agent.proc.wait(timeout=30)
        self.assertEqual(self.agent.proc.returncode, 0, self.agent.log())
        self.assertEqual(cairnh.home_processes(self.agent.home), [])
        for pid in local + remote:
            self.assertFalse(os.path.exists("/proc/%d/cmdline" % pid) and
                             open("/proc/%d/cmdline" % pid, "rb").read(), pid)
        # The controller's state went with it; the remote host is no longer enlisted.
        self.assertEqual(sorted(os.listdir(self.ctl.home)), ["cairnd-test.log"])
        self.assertFalse(os.path.exists(os.path.join(self.agent.home, "agents", "machine-1")))
        # A new controller in the same home starts from nothing.
        self.ctl.start()
        doc = json.loads(self.ctl.cli("status", "--format", "json", check=True).stdout)
        self.assertEqual(doc["applications"], {})
        self.assertEqual(doc["machines"], {})


if __name__ == "__main__":
    unittest.main()
