"""An action runs on a unit whose hook failed (Juju runs actions in the error state); the
unit stays in error and the failed hook is still what `resolved` retries."""
import json
import os
import shutil
import tempfile
import unittest

import acth
import cairnh


class ErrorState(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_action_in_error(self):
        c = self.ctl
        c.call("model-config", set={"automatically-retry-hooks": "false"})
        c.call("deploy", charm=acth.make(self.tmp), num_units=1)
        c.wait_idle()
        open(os.path.join(c.unit_dir("act/0"), "fail-config-changed"), "w").close()
        c.call("config-set", app="act", config=[{"set": {"thing": "b"}}])
        c.wait_idle()
        st = c.call("status")["applications"]["act"]["units"]["act/0"]
        self.assertEqual(st["workload-status"]["current"], "error")
        r = c.cli("run", "act/0", "echo", "message=still here", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["act/0"]["results"]["said"], "still here")
        st = c.call("status")["applications"]["act"]["units"]["act/0"]
        self.assertEqual(st["workload-status"]["message"], 'hook failed: "config-changed"')
        c.cli("resolved", "act/0")
        c.wait_idle()
        self.assertEqual(acth.log(c, "act/0")[-1], "hook config-changed")
        st = c.call("status")["applications"]["act"]["units"]["act/0"]
        self.assertEqual(st["workload-status"]["current"], "active")


if __name__ == "__main__":
    unittest.main()
