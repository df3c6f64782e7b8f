#!/usr/bin/python3
"""cairn CLI: the relation, action, operation and exec verbs reject bad arguments with
Juju's texts and exit codes before any controller is contacted (issue 12).

Each case runs the built `cairn` with a fresh CAIRN_HOME and checks the exact stderr, the
exit status (2 for flag/argument errors as Juju's Init, 1 where Juju fails in Run), that
nothing is printed on stdout and that no controller was started.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

BIN_DIR = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
CAIRN = os.path.join(BIN_DIR, "cairn")

CASES = [
    (["integrate", "a"], 2, "ERROR an integration must involve two applications\n"),
    (["relate", "a", "b", "c"], 2, "ERROR an integration must involve two applications\n"),
    (["integrate", "a:", "b"], 2, 'ERROR endpoint "a:" not valid\n'),
    (["integrate", "a:b:c", "b"], 2, 'ERROR endpoint "a:b:c" not valid\n'),
    (["integrate", "Ab", "b"], 2, 'ERROR application name "Ab" not valid\n'),
    (["remove-relation", "x"], 2, 'ERROR relation ID "x" not valid\n'),
    (["remove-relation", "a"], 2, 'ERROR relation ID "a" not valid\n'),
    (["remove-relation", "a", "b", "c"], 2, "ERROR a relation must involve two applications\n"),
    (["remove-relation", "--no-wait", "a", "b"], 2, "ERROR --no-wait without --force not valid\n"),
    (["run"], 2, "ERROR no unit specified\n"),
    (["run", "a/0"], 2, "ERROR no action specified\n"),
    (["run", "Bad/0", "x"], 2, 'ERROR invalid unit or action name "Bad/0"\n'),
    (["run", "a/0", "b/leader", "x"], 2, "ERROR all units must be of the same application\n"),
    (["run", "a/0", "act", "novalue"], 2,
     'ERROR argument "novalue" must be of the form key.key.key...=value\n'),
    (["run", "a/0", "act", "file.Kind=xz"], 2,
     'ERROR key "Kind" must start and end with lowercase alphanumeric, and contain only '
     'lowercase alphanumeric and hyphens\n'),
    (["run", "a/0", "act", "--wait", "1s", "--background"], 2,
     "ERROR cannot specify both --wait and --background\n"),
    (["run", "a/0", "act", "--wait", "soon"], 2,
     'ERROR invalid value "soon" for option --wait: time: invalid duration "soon"\n'),
    (["run", "a/0", "act", "--format", "xml"], 2,
     'ERROR invalid value "xml" for option --format: unknown format "xml"\n'),
    (["show-task"], 2, "ERROR no task ID specified\n"),
    (["show-task", "x"], 2, 'ERROR task ID "x" not valid\n'),
    (["show-task", "1", "2"], 2, 'ERROR unrecognized args: ["2"]\n'),
    (["show-task", "1", "--watch", "--wait", "1s"], 2,
     "ERROR specify either --watch or --wait but not both\n"),
    (["show-operation"], 2, "ERROR no operation ID specified\n"),
    (["show-operation", "0x1"], 2, 'ERROR operation ID "0x1" not valid\n'),
    (["show-operation", "1", "--format", "plain"], 2,
     'ERROR invalid value "plain" for option --format: unknown format "plain"\n'),
    (["operations", "--units", "X", "--status", "bogus"], 2,
     'ERROR invalid unit name "X"\n"bogus" is not a valid task status, want one of [pending '
     'running completed failed cancelled aborting aborted error]\n'),
    (["operations", "--apps", "a,B"], 2, 'ERROR invalid application name "B"\n'),
    (["operations", "--machines", "01"], 2, 'ERROR invalid machine id "01"\n'),
    (["operations", "extra"], 2, 'ERROR unrecognized args: ["extra"]\n'),
    (["actions"], 2, "ERROR no application name specified\n"),
    (["actions", "Foo"], 2, 'ERROR invalid application name "Foo"\n'),
    (["actions", "foo", "--schema", "--format", "tabular"], 2,
     "ERROR full schema not compatible with tabular output\n"),
    (["show-action"], 2, "ERROR no application specified\n"),
    (["show-action", "foo"], 2, "ERROR no action specified\n"),
    (["exec", "--unit", "a/0"], 2, "ERROR no commands specified\n"),
    (["exec", "--", "ls"], 2,
     "ERROR You must specify a target, either through --all, --machine, --application or "
     "--unit\n"),
    (["exec", "--unit", "a/0,bad", "--app", "B", "--", "ls"], 2,
     'ERROR The following exec targets are not valid:\n  "B" is not a valid application '
     'name\n  "bad" is not a valid unit name\n'),
    (["exec", "--all", "--unit", "a/0", "ls"], 2,
     "ERROR You cannot specify --all and individual units\n"),
    (["cancel-task"], 1, "ERROR no task IDs specified\n"),
]


class RelationActionArgumentErrors(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="cairn-cli-args-rel-")
        self.env = dict(os.environ, CAIRN_HOME=os.path.join(self.home, "state"))

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def test_argument_errors_exit_before_contacting_a_controller(self):
        for args, code, stderr in CASES:
            with self.subTest(args=args):
                p = subprocess.run([CAIRN] + args, env=self.env, cwd=self.home,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=30)
                self.assertEqual(p.stderr, stderr)
                self.assertEqual(p.returncode, code)
                self.assertEqual(p.stdout, "")
        self.assertFalse(os.path.exists(self.env["CAIRN_HOME"]))

    def test_help_lists_the_new_verbs(self):
        p = subprocess.run([CAIRN, "help"], env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        for verb in ("integrate", "remove-relation", "run", "exec", "operations",
                     "show-operation", "show-task", "cancel-task", "actions", "show-action"):
            self.assertIn(verb, p.stdout)
        p = subprocess.run([CAIRN, "help", "relate"], env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertTrue(p.stdout.startswith("Usage: cairn integrate "), p.stdout)


if __name__ == "__main__":
    unittest.main()
