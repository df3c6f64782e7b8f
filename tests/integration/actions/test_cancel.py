"""cancel-task: a pending task is cancelled and never runs; a running one is aborted (its
process is killed)."""
import json
import os
import shutil
import tempfile
import time
import unittest

import acth
import cairnh


class Cancel(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.ctl = cairnh.Controller().start()
        self.ctl.call("deploy", charm=acth.make(self.tmp), num_units=1)
        self.ctl.wait_idle()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def bg(self, *args):
        r = self.ctl.cli("run", "act/0", *args, "--background")
        return r.stderr.split("with task ")[1].split()[0]

    def task(self, tid):
        return json.loads(self.ctl.cli("show-task", tid, "--format", "json").stdout)

    def test_cancel(self):
        c = self.ctl
        d = c.unit_dir("act/0")
        os.mkfifo(os.path.join(d, "gate"))
        slow = self.bg("slow")
        queued = self.bg("echo", "message=never")
        deadline = time.monotonic() + 30
        while self.task(slow)["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        r = c.cli("cancel-task", queued, "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.task(queued)["status"], "cancelled")
        r = c.cli("cancel-task", slow)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(c.cli("show-task", slow, "--watch", "--format", "json").stdout)
        self.assertEqual(doc["status"], "aborted")
        c.wait_idle()
        self.assertFalse([l for l in acth.log(c, "act/0") if l.startswith("echo")])
        self.assertNotIn("slow done", acth.log(c, "act/0"))
        r = c.cli("cancel-task", "999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no tasks found matching prefix 999", r.stderr)


if __name__ == "__main__":
    unittest.main()
