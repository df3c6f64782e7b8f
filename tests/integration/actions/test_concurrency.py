"""Never an action beside a hook on the same unit: an action queued while a hook runs starts
only after the hook, a hook due while an action runs waits for it; another unit is not held
up."""
import os
import shutil
import tempfile
import threading
import time
import unittest

import acth
import cairnh


class Concurrency(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.ctl = cairnh.Controller().start()
        self.ctl.call("deploy", charm=acth.make(self.tmp), num_units=2)
        self.ctl.wait_idle()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def background(self, *args):
        out = {}

        def go():
            out["r"] = self.ctl.cli(*args)
        t = threading.Thread(target=go)
        t.start()
        return t, out

    def test_action_waits_for_hook(self):
        c = self.ctl
        d = c.unit_dir("act/0")
        os.mkfifo(os.path.join(d, "hookgate"))
        c.call("config-set", app="act", config=[{"set": {"thing": "b"}}])
        # The config-changed hook of act/0 blocks: opening the gate waits for the hook.
        with open(os.path.join(d, "hookgate"), "w") as gate:
            t, out = self.background("run", "act/0", "echo", "message=after")
            r1 = c.cli("run", "act/1", "echo", "message=other")  # another unit: at once
            self.assertEqual(r1.returncode, 0, r1.stderr)
            time.sleep(0.3)
            self.assertNotIn("echo", " ".join(acth.log(c, "act/0")))
            gate.write("go\n")
        t.join(60)
        self.assertEqual(out["r"].returncode, 0, out["r"].stderr)
        lines = acth.log(c, "act/0")
        self.assertLess(lines.index("hook config-changed"), [i for i, l in enumerate(lines) if l.startswith("echo ")][0])

    def test_hook_waits_for_action(self):
        c = self.ctl
        d = c.unit_dir("act/0")
        os.mkfifo(os.path.join(d, "gate"))
        t, out = self.background("run", "act/0", "slow")
        with open(os.path.join(d, "gate"), "w") as gate:
            # The action runs (it opened the gate); a config change must wait.
            c.call("config-set", app="act", config=[{"set": {"thing": "c"}}])
            time.sleep(0.3)
            self.assertEqual(acth.log(c, "act/0")[-1], "slow started")
            gate.write("go\n")
        t.join(60)
        self.assertEqual(out["r"].returncode, 0, out["r"].stderr)
        c.wait_idle()
        lines = acth.log(c, "act/0")
        self.assertEqual(lines[-3:], ["slow started", "slow done", "hook config-changed"])


if __name__ == "__main__":
    unittest.main()
