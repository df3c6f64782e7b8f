#!/usr/bin/python3
"""cairn CLI: argument errors are reported before any controller is contacted.

Each case runs the built `cairn` with a fresh CAIRN_HOME and checks the exact
`ERROR <message>` line on stderr, the exit status (2 for flag/argument errors, 1 for an
unknown command, as Juju), and that nothing was created in CAIRN_HOME (no controller was
started, no socket was opened).
"""
import os
import shutil
import subprocess
import tempfile
import unittest

BIN_DIR = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
CAIRN = os.path.join(BIN_DIR, "cairn")

# (args, exit status, exact stderr)
CASES = [
    (["foo"], 1, "ERROR unrecognized command: cairn foo\n"),
    (["--x"], 2, "ERROR option provided but not defined: --x\n"),
    (["status", "--x"], 2, "ERROR option provided but not defined: --x\n"),
    (["status", "--format", "xml"], 2,
     'ERROR invalid value "xml" for option --format: unknown format "xml"\n'),
    (["status", "extra"], 2, 'ERROR unrecognized args: ["extra"]\n'),
    (["deploy"], 2, "ERROR no charm name specified\n"),
    (["deploy", "./hello", "BadName"], 2, 'ERROR invalid application name "BadName"\n'),
    (["deploy", "./hello", "app2-scat-23"], 2, 'ERROR invalid application name "app2-scat-23"\n'),
    (["deploy", "./hello", "a", "b"], 2, 'ERROR unrecognized args: ["b"]\n'),
    (["deploy", "./hello", "-n", "0"], 2, "ERROR --num-units must be a positive integer\n"),
    (["deploy", "./hello", "-n", "x"], 2,
     'ERROR invalid value "x" for option -n: strconv.ParseInt: parsing "x": invalid syntax\n'),
    (["deploy", "./hello", "--config", "=v"], 2, 'ERROR expected "key=value", got "=v"\n'),
    (["deploy", "./hello", "--config"], 2, "ERROR option needs an argument: --config\n"),
    (["add-unit"], 2, "ERROR no application specified\n"),
    (["add-unit", "custom--app"], 2, 'ERROR invalid application name "custom--app"\n'),
    (["add-unit", "hello", "extra"], 2, 'ERROR unrecognized args: ["extra"]\n'),
    (["add-unit", "hello", "--num-units=-1"], 2, "ERROR --num-units must be a positive integer\n"),
    (["remove-unit"], 2, "ERROR no units specified\n"),
    (["remove-unit", "hello/01"], 2, 'ERROR invalid unit name "hello/01"\n'),
    (["remove-unit", "hello/0", "hello"], 2, 'ERROR invalid unit name "hello"\n'),
    (["remove-application"], 2, "ERROR no application specified\n"),
    (["remove-application", "myAppName"], 2, 'ERROR invalid application name "myAppName"\n'),
    (["config"], 2, "ERROR no application name specified\n"),
    (["config", "k=v"], 2, "ERROR no application name specified\n"),
    (["config", "hello", "a", "b"], 2, "ERROR cannot specify multiple keys to get\n"),
    (["config", "hello", "a", "b=1"], 2,
     "ERROR cannot get value and set key=value pairs simultaneously\n"),
    (["config", "hello", "a", "--reset", "b"], 2,
     "ERROR cannot use --reset flag and get value simultaneously\n"),
    (["config", "hello", "a=1", "--reset", "b,a"], 2,
     'ERROR cannot set and reset key "a" simultaneously\n'),
    (["config", "hello", "--reset", "a,b=c"], 2,
     'ERROR --reset accepts a comma delimited set of keys "a,b,c", received: "b=c"\n'),
    (["config", "hello", "--reset"], 2, "ERROR option needs an argument: --reset\n"),
    (["config", "hello", "a=1", "a=2"], 2, 'ERROR key "a" specified more than once\n'),
    (["config", "hello", "--format=toml"], 2,
     'ERROR invalid value "toml" for option --format: unknown format "toml"\n'),
    (["model-config", "a", "b=1"], 2,
     "ERROR cannot get value and set key=value pairs simultaneously\n"),
    (["refresh"], 2, "ERROR no application specified\n"),
    (["refresh", "hello"], 2, "ERROR only local charms are supported: specify --path\n"),
    (["upgrade-charm", "Hello", "--path", "."], 2, 'ERROR invalid application name "Hello"\n'),
    (["debug-log", "--tail", "--no-tail"], 2, "ERROR setting --tail and --no-tail not valid\n"),
    (["debug-log", "--tail", "--limit", "5"], 2, "ERROR setting --tail and --limit not valid\n"),
    (["debug-log", "--no-tail", "-n", "5"], 2, "ERROR setting --no-tail and --lines not valid\n"),
    (["debug-log", "--limit", "5", "--lines", "3"], 2,
     "ERROR setting --limit and --lines not valid\n"),
    (["debug-log", "--replay", "-n", "3"], 2, "ERROR setting --replay and --lines not valid\n"),
    (["resolved"], 2, "ERROR no unit specified\n"),
    (["resolve", "hello"], 2, 'ERROR invalid unit name "hello"\n'),
    (["resolved", "--all", "hello/0"], 2,
     "ERROR specifying unit names(s) with --all not supported\n"),
    (["show-status-log"], 2, "ERROR no unit specified\n"),
    (["show-status-log", "hello/x"], 2, 'ERROR invalid unit name "hello/x"\n'),
    (["wait-for", "relation", "0"], 2,
     'ERROR invalid entity kind "relation": expected application, unit, machine or model\n'),
    (["wait-for", "machine", "01"], 2, 'ERROR invalid machine name "01"\n'),
    (["wait-for", "application"], 2, "ERROR expected an application name\n"),
    (["wait-for", "unit", "hello/0", "--query", "life==\"dead\""], 2,
     'ERROR invalid --query "life==\\"dead\\"": expected terms status=="<value>", idle or gone '
     'joined by &&\n'),
    (["wait-for", "application", "hello", "--timeout", "soon"], 2,
     'ERROR invalid value "soon" for option --timeout: time: invalid duration "soon"\n'),
    (["kill-controller", "extra"], 2, 'ERROR unrecognized args: ["extra"]\n'),
    (["bootstrap", "--bogus"], 2, "ERROR option provided but not defined: --bogus\n"),
]


class CliArgumentErrors(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="cairn-cli-args-")
        self.env = dict(os.environ, CAIRN_HOME=os.path.join(self.home, "state"))

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def run_cairn(self, args, stdin=None):
        return subprocess.run([CAIRN] + args, env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=30)

    def test_argument_errors_exit_before_contacting_a_controller(self):
        for args, code, stderr in CASES:
            with self.subTest(args=args):
                p = self.run_cairn(args)
                self.assertEqual(p.stderr, stderr)
                self.assertEqual(p.returncode, code)
                self.assertEqual(p.stdout, "")
        # No controller was started: CAIRN_HOME was never even created.
        self.assertFalse(os.path.exists(self.env["CAIRN_HOME"]))

    def test_help_and_version_need_no_controller(self):
        p = self.run_cairn(["help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("deploy", p.stdout)
        p = self.run_cairn(["deploy", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("Usage: cairn deploy "), p.stdout)
        p = self.run_cairn(["help", "upgrade-charm"])
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("Usage: cairn refresh "), p.stdout)
        p = self.run_cairn(["version"])
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^3\.6\.8-genericlinux-\w+\n$")
        self.assertFalse(os.path.exists(self.env["CAIRN_HOME"]))

    def test_kill_controller_without_controller_is_a_no_op(self):
        p = self.run_cairn(["kill-controller", "-y"])
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, "No controller is running.\n")
        self.assertFalse(os.path.exists(os.path.join(self.env["CAIRN_HOME"], "cairnd.sock")))

    def test_missing_controller_binary_is_a_command_failure(self):
        # A copy of cairn in a directory without cairnd cannot start a controller.
        bindir = os.path.join(self.home, "bin")
        os.mkdir(bindir)
        shutil.copy2(CAIRN, os.path.join(bindir, "cairn"))
        p = subprocess.run([os.path.join(bindir, "cairn"), "status"], env=self.env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith("ERROR cannot start controller: "), p.stderr)
        self.assertIn(os.path.join(bindir, "cairnd"), p.stderr)

    def test_unreadable_option_file_is_a_command_failure(self):
        # Files are read after validation: a missing @file fails with exit 1 (Juju's Run).
        bindir = os.path.join(self.home, "bin")
        os.mkdir(bindir)
        shutil.copy2(CAIRN, os.path.join(bindir, "cairn"))
        p = subprocess.run([os.path.join(bindir, "cairn"), "config", "hello", "k=@missing.txt"],
                           env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, 'ERROR cannot read option from file "missing.txt": stat %s: '
                         'no such file or directory\n' % os.path.join(self.home, "missing.txt"))
        self.assertFalse(os.path.exists(self.env["CAIRN_HOME"]))


if __name__ == "__main__":
    unittest.main()
