"""`cairn run` end to end: parameters validated before anything runs (Juju's texts, nothing
queued on the unit), results from action-set with stdout/stderr/return-code, action-log
streamed, failures (action-fail, non-zero exit), app/leader, show-task, show-operation,
operations, actions."""
import json
import shutil
import tempfile
import unittest

import acth
import cairnh


class Run(unittest.TestCase):
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

    def run_cli(self, *args):
        return self.ctl.cli(*args)

    def test_results(self):
        r = self.run_cli("run", "act/0", "echo", "message=hi there", "file.kind=xz", "--format", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)["act/0"]
        self.assertEqual(doc["status"], "completed")
        self.assertEqual(doc["results"], {"said": "hi there", "times": "1", "file": {"kind": "xz"},
                                          "return-code": 0, "stdout": "to stdout\n",
                                          "stderr": "to stderr\n"})
        self.assertTrue(doc["log"][0].endswith(" echoing hi there"), doc["log"])
        self.assertIn("Running operation", r.stderr)
        self.assertRegex(r.stderr, r"\n\d\d:\d\d:\d\d echoing hi there\n")
        # The unit saw its task id as JUJU_ACTION_UUID.
        self.assertIn("echo %s" % doc["id"], acth.log(self.ctl, "act/0"))
        # show-task: the same results in YAML.
        r = self.run_cli("show-task", doc["id"], "--format", "json")
        self.assertEqual(json.loads(r.stdout)["results"]["said"], "hi there")

    def test_validation(self):
        cases = [
            (["times=x", "message=m"], 'validation failed: (root).times : must be of type integer, given "x"'),
            (["times=2"], 'validation failed: (root) : "message" property is missing and required, given {"times":2}'),
            (["message=m", "bogus=1"], 'validation failed: (root) : additional property "bogus" is not allowed, given {"bogus":1,"message":"m"}'),
            (["message=m", "file.kind=zip"], 'validation failed: (root).file.kind : must match one of the enum values ["gz","xz"], given "zip"'),
            (["message=m", "times=0"], "validation failed: (root).times : must be greater than or equal to 1, given 0"),
        ]
        before = acth.log(self.ctl, "act/1")
        for args, err in cases:
            r = self.run_cli("run", "act/1", "echo", *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("failed to schedule any tasks:\n" + err, r.stderr)
        self.assertEqual(acth.log(self.ctl, "act/1"), before)
        r = self.run_cli("run", "act/1", "nosuch")
        self.assertIn('action "nosuch" not defined on unit "act/1"', r.stderr)
        r = self.run_cli("run", "act/7", "echo", "message=m")
        self.assertIn('unit "act/7" not found', r.stderr)
        # --string-args keeps "2" a string: the schema wants an integer.
        r = self.run_cli("run", "act/1", "echo", "message=m", "times=2", "--string-args")
        self.assertIn('(root).times : must be of type integer, given "2"', r.stderr)
        # A value that is not UTF-8 cannot be a JSON string: refused, not dropped (found by
        # fuzz_action).
        r = self.run_cli("run", "act/1", "echo", "message=\udc8a", "--string-args")
        self.assertEqual(r.returncode, 1)
        self.assertIn('argument for key "message" is not valid UTF-8', r.stderr)

    def test_failures(self):
        r = self.run_cli("run", "act/0", "fail", "--format", "json")
        doc = json.loads(r.stdout)["act/0"]
        self.assertEqual((doc["status"], doc["message"]), ("failed", "it went wrong"))
        self.assertEqual(doc["results"]["partial"], "yes")
        r = self.run_cli("run", "act/0", "explode")
        self.assertEqual(r.returncode, 1)
        self.assertIn("failed: exit status 3", r.stdout)
        self.assertIn('the following task failed:\n - id "', r.stderr)
        task = json.loads(self.run_cli("show-task", r.stdout.split()[2], "--format", "json").stdout)
        self.assertEqual((task["status"], task["results"]["return-code"], task["results"]["stderr"]),
                         ("failed", 3, "boom\n"))

    def test_leader_operations_actions(self):
        r = self.run_cli("run", "act/leader", "echo", "message=lead", "--format", "yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("act/0:", r.stdout)
        ops = self.run_cli("operations", "--format", "json")
        self.assertEqual(ops.returncode, 0, ops.stderr)
        doc = json.loads(ops.stdout)
        self.assertTrue(all(o["summary"] for o in doc.values()))
        r = self.run_cli("operations", "--status", "failed", "--format", "json")
        self.assertTrue(all(o["status"] == "failed" for o in json.loads(r.stdout or "{}").values()))
        r = self.run_cli("actions", "act")
        self.assertEqual(r.stdout.splitlines()[0].split(), ["Action", "Description"])
        self.assertIn("echo     Echo a message back.", r.stdout)
        r = self.run_cli("show-action", "act", "echo")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("message", r.stdout)


if __name__ == "__main__":
    unittest.main()
