#!/usr/bin/python3
"""cairn CLI, resources: attach-resource, resources and the --resource values of deploy and
refresh report argument errors as Juju does (cmd/juju/resource), before any controller is
contacted (CAIRN_HOME is never created)."""
import os
import shutil
import subprocess
import tempfile
import unittest

BIN_DIR = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
CAIRN = os.path.join(BIN_DIR, "cairn")

CASES = [
    (["attach-resource"], 2, "ERROR missing application name\n"),
    (["attach-resource", "web"], 2, "ERROR no resource specified\n"),
    (["attach-resource", "Web", "img=/x"], 2, 'ERROR application "Web" not valid\n'),
    (["attach-resource", "web", "img"], 2, 'ERROR bad resource arg "img": expected name=path format\n'),
    (["attach-resource", "web", "=/x"], 2, 'ERROR bad resource arg "=/x": missing resource name\n'),
    (["attach-resource", "web", "img="], 2, 'ERROR bad resource arg "img=": missing resource value\n'),
    (["attach-resource", "web", "img=/x", "more"], 2, 'ERROR unrecognized args: ["more"]\n'),
    (["attach-resource", "web", "--x"], 2, "ERROR option provided but not defined: --x\n"),
    (["resources"], 2, "ERROR missing application or unit name\n"),
    (["resources", "web", "other"], 2, 'ERROR unrecognized args: ["other"]\n'),
    (["resources", "BadName"], 2, 'ERROR invalid application name "BadName"\n'),
    (["resources", "web", "--format", "xml"], 2,
     'ERROR invalid value "xml" for option --format: unknown format "xml"\n'),
    (["list-resources"], 2, "ERROR missing application or unit name\n"),
    (["deploy", "./web", "--resource", "img"], 2,
     'ERROR invalid --resource value "img": expected name=path format\n'),
    (["deploy", "./web", "--resource", "=/x"], 2, 'ERROR invalid --resource value "=/x": missing resource name\n'),
    (["deploy", "./web", "--resource"], 2, "ERROR option needs an argument: --resource\n"),
    (["refresh", "web", "--path", "./web", "--resource", "img="], 2,
     'ERROR invalid --resource value "img=": missing resource value\n'),
]


class ResourceArgs(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="cairn-cli-res-")
        self.env = dict(os.environ, CAIRN_HOME=os.path.join(self.home, "state"))

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def test_argument_errors(self):
        for args, code, stderr in CASES:
            with self.subTest(args=args):
                p = subprocess.run([CAIRN] + args, env=self.env, cwd=self.home, stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual((p.returncode, p.stderr, p.stdout), (code, stderr, ""))
        self.assertFalse(os.path.exists(self.env["CAIRN_HOME"]))

    def test_help(self):
        for cmd in ("attach-resource", "resources"):
            p = subprocess.run([CAIRN, cmd, "--help"], env=self.env, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0)
            self.assertTrue(p.stdout.startswith("Usage: cairn %s " % cmd), p.stdout)
        self.assertFalse(os.path.exists(self.env["CAIRN_HOME"]))


if __name__ == "__main__":
    unittest.main()
