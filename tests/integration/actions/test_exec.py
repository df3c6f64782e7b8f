"""`cairn exec` as `juju exec`: the command runs in a hook context of each unit (JUJU_*
set, hook tools work, no hook name), its output and exit code come back per unit; a
failing command fails the CLI with its code; --application and app/leader targets."""
import json
import shutil
import tempfile
import unittest

import acth
import cairnh


class Exec(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        cls.ctl = cairnh.Controller().start()
        cls.ctl.call("deploy", charm=acth.make(cls.tmp), num_units=2)
        cls.ctl.wait_idle()

    @classmethod
    def tearDownClass(cls):
        cls.ctl.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_unit(self):
        r = self.ctl.cli("exec", "--unit", "act/1", "--",
                         'echo "$JUJU_UNIT_NAME [$JUJU_HOOK_NAME]"; config-get thing; is-leader')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "act/1 []\na\nFalse\n")

    def test_failure(self):
        r = self.ctl.cli("exec", "--unit", "act/0", "--", "echo out; echo err >&2; exit 4")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('the following task failed:\n - id "', r.stderr)
        self.assertIn('with return code 4', r.stderr)
        self.assertEqual(r.stdout, "out\nerr\n")

    def test_application_json(self):
        r = self.ctl.cli("exec", "--application", "act", "--format", "json", "--", "echo $JUJU_UNIT_NAME")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(sorted(doc), ["act/0", "act/1"])
        for u, t in doc.items():
            self.assertEqual((t["status"], t["results"]["stdout"], t["results"]["return-code"]),
                             ("completed", u + "\n", 0))
        r = self.ctl.cli("exec", "--unit", "act/leader", "--", "is-leader")
        self.assertEqual(r.stdout, "True\n")

    def test_state_set_commits(self):
        # Changes a command makes through the hook tools are committed when it succeeds.
        r = self.ctl.cli("exec", "--unit", "act/0", "--", "state-set k=v")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.ctl.cli("exec", "--unit", "act/0", "--", "state-get k")
        self.assertEqual(r.stdout, "v\n")


if __name__ == "__main__":
    unittest.main()
