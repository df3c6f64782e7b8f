"""The cairn CLI against a real controller, as an operator uses it: auto-start, deploy,
status in tabular, JSON and YAML, config (all options, one key, set, reset, bad values),
the `(hook) message` prefix while a hook runs, show-status-log, debug-log, model-config,
refresh, removal and kill-controller.  Operator errors change nothing."""
import json
import os
import re
import shutil
import tempfile
import time
import unittest

import yaml

import cairnh


class CLI(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-cli-")
        self.ctl = cairnh.Controller()  # started by the CLI itself
        self.hello = os.path.join(cairnh.SRC, "charms", "hello")

    def tearDown(self):
        self.ctl.cli("kill-controller", "-y")
        shutil.rmtree(self.ctl.home, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_ok(self, *args):
        p = self.ctl.cli(*args)
        self.assertEqual(p.returncode, 0, (args, p.stdout, p.stderr))
        return p.stdout

    def test_operator_session(self):
        self.run_ok("deploy", self.hello, "-n", "3")
        self.run_ok("wait-for", "application", "hello", "--query", 'status=="active"', "--timeout", "1m")
        self.run_ok("wait-for", "model", "default", "--query", "idle", "--timeout", "1m")

        tab = self.run_ok("status")
        sections = tab.strip("\n").split("\n\n")
        self.assertEqual(len(sections), 4, tab)
        self.assertTrue(sections[0].startswith("Model    Controller  Cloud/Region"), tab)
        apps = sections[1].splitlines()
        self.assertRegex(apps[0], r"^App\s+Version\s+Status\s+Scale\s+Charm\s+Channel\s+Rev\s+Exposed\s+Message$")
        self.assertRegex(apps[1], r"^hello\s+1\.0\s+active\s+3\s+hello\s+0\s+no\s+Hello, world!$")
        units = sections[2].splitlines()
        self.assertRegex(units[0], r"^Unit\s+Workload\s+Agent\s+Machine\s+Public address\s+Ports\s+Message$")
        # Every unit lands on the controller's own machine (0) without --to, at its real address.
        self.assertRegex(units[1], r"^hello/0\*\s+active\s+idle\s+0\s+\d+\.\d+\.\d+\.\d+\s+Hello, world!$")
        self.assertRegex(units[2], r"^hello/1\s+active\s+idle\s+0\s")
        self.assertTrue(sections[3].startswith("Machine  State"), tab)
        machines = sections[3].splitlines()
        self.assertEqual(len(machines), 2, tab)
        self.assertRegex(machines[1], r"^0\s+started\s+\d+\.\d+\.\d+\.\d+\s+localhost\s+debian@12")

        doc = json.loads(self.run_ok("status", "--format", "json"))
        self.assertEqual(set(doc), {"model", "machines", "applications", "controller"})
        app = doc["applications"]["hello"]
        self.assertEqual(app["application-status"]["current"], "active")
        self.assertEqual(app["units"]["hello/0"]["workload-status"]["message"], "Hello, world!")
        self.assertTrue(app["units"]["hello/0"]["leader"])
        self.assertEqual(app["units"]["hello/2"]["juju-status"]["current"], "idle")
        ydoc = yaml.safe_load(self.run_ok("status", "--format", "yaml"))
        self.assertEqual(ydoc["applications"]["hello"]["units"]["hello/1"]["workload-status"]["current"], "active")
        self.assertEqual(ydoc["model"]["name"], "default")

        cfg = yaml.safe_load(self.run_ok("config", "hello"))
        self.assertEqual(cfg["settings"]["thing"], {"default": "world", "description": "Who or what to greet.",
                                                    "source": "default", "type": "string", "value": "world"})
        self.assertEqual(self.run_ok("config", "hello", "thing"), "world\n")
        self.run_ok("config", "hello", "thing=cairn")
        self.run_ok("wait-for", "model", "default", "--query", "idle")
        self.assertEqual(self.run_ok("config", "hello", "thing"), "cairn\n")
        cfg = json.loads(self.run_ok("config", "hello", "--format", "json"))
        self.assertEqual(cfg["settings"]["thing"]["source"], "user")
        self.assertIn("Hello, cairn!", self.run_ok("status"))
        self.run_ok("config", "hello", "--reset", "thing")
        self.run_ok("wait-for", "model", "default", "--query", "idle")
        self.assertEqual(self.run_ok("config", "hello", "thing"), "world\n")

        # Errors: exit 1 with Juju's text, nothing changed.
        p = self.ctl.cli("config", "hello", "nope=1")
        self.assertEqual((p.returncode, p.stderr), (1, 'ERROR unknown option "nope"\n'))
        p = self.ctl.cli("add-unit", "ghost")
        self.assertEqual(p.returncode, 1)
        self.assertIn('application "ghost" not found', p.stderr)
        p = self.ctl.cli("deploy", os.path.join(self.tmp, "missing"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(json.loads(self.run_ok("status", "--format", "json"))["applications"].keys(), {"hello"})

        log = self.run_ok("show-status-log", "hello/0", "-n", "100")
        self.assertIn("running install hook", log)
        self.assertRegex(log, r"hook\s+config-changed")
        dl = self.run_ok("debug-log", "--replay", "--no-tail")
        self.assertTrue(any(re.match(r"^unit-hello-0: \d\d:\d\d:\d\d INFO unit\.hello/0\.juju-log installing hello", l)
                            for l in dl.splitlines()), dl)
        self.assertIn("update-status-hook-interval", self.run_ok("model-config"))
        self.run_ok("model-config", "update-status-hook-interval=10s")
        self.assertEqual(self.run_ok("model-config", "update-status-hook-interval"), "10s\n")

        self.run_ok("refresh", "hello", "--path", self.hello)
        self.run_ok("wait-for", "model", "default", "--query", "idle")
        doc = json.loads(self.run_ok("status", "--format", "json"))
        self.assertEqual(doc["applications"]["hello"]["charm-rev"], 1)

        self.run_ok("remove-unit", "hello/2")
        self.run_ok("wait-for", "unit", "hello/2", "--query", "gone")
        self.run_ok("remove-application", "hello")
        self.run_ok("wait-for", "application", "hello", "--query", "gone")
        self.assertEqual(json.loads(self.run_ok("status", "--format", "json"))["applications"], {})

    def test_executing_prefix_and_scale(self):
        gate = os.path.join(self.tmp, "gate")
        os.mkfifo(gate)
        charm = cairnh.make_charm(self.tmp, "slow", dispatch="""#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
if [ "$h" = install ]; then status-set maintenance "fetching bits"; read x < %s; fi
[ "$h" = start ] && status-set active ready
exit 0
""" % gate)
        self.run_ok("deploy", charm)
        with open(gate, "w") as g:
            # The install hook is blocked on the gate: the unit is executing it.  (Its
            # status-set reached the agent before the hook opened the gate; the controller
            # hears of it a moment later.)
            want = r"slow/0\*\s+maintenance\s+executing\s+0\s+\S+\s+\(install\) fetching bits"
            deadline = time.monotonic() + 30
            tab = self.run_ok("status")
            while not re.search(want, tab) and time.monotonic() < deadline:
                time.sleep(0.05)
                tab = self.run_ok("status")
            self.assertRegex(tab, want)
            g.write("go\n")
        self.run_ok("wait-for", "application", "slow", "--query", 'status=="active"')


if __name__ == "__main__":
    unittest.main()
