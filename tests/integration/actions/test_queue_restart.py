"""Queued actions survive restarts: an action queued behind a running hook runs after a
SIGKILL of the controller; an action cut short by a SIGKILL of the machine agent is failed
("action terminated") and never run twice, and the next one still runs."""
import json
import os
import signal
import shutil
import tempfile
import unittest

import acth
import cairnh


class QueueRestart(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.ctl = cairnh.Controller().start()
        self.ctl.call("deploy", charm=acth.make(self.tmp), num_units=1)
        self.ctl.wait_idle()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def task(self, tid):
        return json.loads(self.ctl.cli("show-task", tid, "--format", "json").stdout)

    def test_controller_restart(self):
        c = self.ctl
        d = c.unit_dir("act/0")
        os.mkfifo(os.path.join(d, "hookgate"))
        c.call("config-set", app="act", config=[{"set": {"thing": "b"}}])
        with open(os.path.join(d, "hookgate"), "w") as gate:
            r = c.cli("run", "act/0", "echo", "message=queued", "--background")
            self.assertEqual(r.returncode, 0, r.stderr)
            tid = r.stderr.split("with task ")[1].split()[0]
            self.assertEqual(self.task(tid)["status"], "pending")
            c.kill(signal.SIGKILL)
            c.start()
            self.assertEqual(self.task(tid)["status"], "pending")
            gate.write("go\n")
        r = c.cli("show-task", tid, "--watch", "--format", "json")
        doc = json.loads(r.stdout)
        self.assertEqual((doc["status"], doc["results"]["said"]), ("completed", "queued"))
        self.assertEqual([l for l in acth.log(c, "act/0") if l.startswith("echo")], ["echo " + tid])

    def test_agent_killed_mid_action(self):
        c = self.ctl
        d = c.unit_dir("act/0")
        os.mkfifo(os.path.join(d, "gate"))
        r = c.cli("run", "act/0", "slow", "--background")
        tid = r.stderr.split("with task ")[1].split()[0]
        r2 = c.cli("run", "act/0", "echo", "message=next", "--background")
        tid2 = r2.stderr.split("with task ")[1].split()[0]
        gate = open(os.path.join(d, "gate"), "w")  # returns once the action runs
        try:
            os.kill(c.agent_pid(), signal.SIGKILL)
            doc = json.loads(c.cli("show-task", tid, "--watch", "--format", "json").stdout)
        finally:
            try:
                gate.write("go\n")
                gate.close()
            except BrokenPipeError:
                pass  # the action's process went with its agent
        self.assertEqual((doc["status"], doc["message"]), ("failed", "action terminated"))
        doc2 = json.loads(c.cli("show-task", tid2, "--watch", "--format", "json").stdout)
        self.assertEqual(doc2["status"], "completed")
        c.wait_idle()
        self.assertEqual(acth.log(c, "act/0").count("slow started"), 1)


if __name__ == "__main__":
    unittest.main()
