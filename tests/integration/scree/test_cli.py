"""The scree CLI against a real daemon: output formats and error reporting (§23)."""

import os
import re
import tempfile
import unittest

from screeh import DaemonTest, SCREE

LAYER = """
services:
    svc1:
        override: replace
        command: /bin/sh -c 'echo started svc1; sleep 100'
    svc2:
        override: replace
        command: sleep 100
        startup: enabled
    broken:
        override: replace
        command: /bin/sh -c 'echo dying; exit 7'
        on-failure: ignore
"""


class CliTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()
        fd, self.layer_file = tempfile.mkstemp(suffix=".yaml")
        with os.fdopen(fd, "w") as f:
            f.write(LAYER)
        self.addCleanup(os.unlink, self.layer_file)

    def add(self):
        r = self.d.cli("add", "base", self.layer_file, check=True)
        self.assertEqual(r.stdout, 'Layer "base" added successfully from "%s"\n' % self.layer_file)

    def test_services_table(self):
        r = self.d.cli("services")
        self.assertEqual((r.returncode, r.stderr), (0, "Plan has no services.\n"))
        self.add()
        r = self.d.cli("services", check=True)
        self.assertEqual(r.stdout, "Service  Startup   Current   Since\n"
                                   "broken   disabled  inactive  -\n"
                                   "svc1     disabled  inactive  -\n"
                                   "svc2     enabled   inactive  -\n")
        self.d.cli("start", "svc1", check=True)
        r = self.d.cli("services", "svc1", check=True)
        self.assertRegex(r.stdout, r"^Service  Startup   Current  Since\nsvc1     disabled  active   today at \d\d:\d\d \S+\n$")

    def test_start_stop_restart(self):
        self.add()
        r = self.d.cli("start", "svc1", "svc2")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(self.d.service("svc2")["current"], "active")
        r = self.d.cli("restart", "svc1", check=True)
        r = self.d.cli("stop", "svc1", "svc2", check=True)
        self.assertEqual(self.d.service("svc1")["current"], "inactive")
        r = self.d.cli("autostart", check=True)
        self.assertEqual(self.d.service("svc2")["current"], "active")
        r = self.d.cli("replan", check=True)
        r = self.d.cli("start", "--no-wait", "svc1", check=True)
        self.assertRegex(r.stdout, r"^\d+\n$")

    def test_start_failure_reports_change_error(self):
        self.add()
        r = self.d.cli("start", "broken")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'error: cannot perform the following tasks:\n'
                                   '- Start service "broken" (service start attempt: exited quickly with code 7, will ignore)\n')

    def test_client_errors(self):
        r = self.d.cli("start", "nope")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: cannot start services: service "nope" does not exist\n'))
        r = self.d.cli("frobnicate")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: unknown command "frobnicate", see \'pebble help\'\n'))
        r = self.d.cli("add", "x", "/nonexistent.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("error: "))
        r = self.d.cli("autostart")
        self.assertEqual((r.returncode, r.stderr), (1, "error: no default services\n"))
        env = dict(self.d.env, PEBBLE_SOCKET="/nonexistent/socket")
        import subprocess
        r = subprocess.run([SCREE, "services"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("error: cannot communicate with server: "), r.stderr)

    def test_changes_and_tasks(self):
        self.add()
        self.d.cli("start", "svc1", check=True)
        self.d.cli("start", "broken")
        r = self.d.cli("changes", check=True)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "ID   Status  Spawn               Ready               Summary")
        self.assertRegex(lines[1], r'^1    Done    today at \d\d:\d\d \S+  today at \d\d:\d\d \S+  Start service "svc1"$')
        self.assertRegex(lines[2], r'^2    Error   .*Start service "broken"$')
        r = self.d.cli("changes", "svc1", check=True)
        self.assertEqual(len(r.stdout.splitlines()), 2)
        r = self.d.cli("tasks", "2", check=True)
        self.assertRegex(r.stdout, r'^Status  Spawn               Ready               Summary\n'
                                   r'Error   today at .*Start service "broken"\n')
        self.assertIn("INFO Most recent service output:\n    dying\n", r.stdout)
        r = self.d.cli("tasks", "99")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: cannot find change with id "99"\n'))

    def test_plan(self):
        r = self.d.cli("plan", check=True)
        self.assertEqual(r.stdout, "{}\n")
        self.add()
        r = self.d.cli("plan", check=True)
        self.assertTrue(r.stdout.startswith("services:\n    broken:\n        override: replace\n"), r.stdout)

    def test_logs(self):
        self.add()
        self.d.cli("start", "svc1", check=True)
        r = self.d.cli("logs", check=True)
        self.assertRegex(r.stdout, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[svc1\] started svc1\n$")
        r = self.d.cli("logs", "-n", "0", "svc1", check=True)
        self.assertEqual(r.stdout, "")
        r = self.d.cli("logs", "-n", "x")
        self.assertEqual(r.returncode, 1)

    def test_signal(self):
        self.add()
        self.d.cli("start", "svc2", check=True)
        r = self.d.cli("signal", "hup", "svc2")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.d.wait_log(r'Sending SIGHUP to service "svc2"')
        r = self.d.cli("signal", "SIGHUP", "svc1")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: cannot send signal to "svc1": service is not running\n'))

    def test_version(self):
        r = self.d.cli("version", check=True)
        self.assertEqual(r.stdout, "client  v1.32.1\nserver  v1.32.1\n")


if __name__ == "__main__":
    unittest.main()
