"""The checks verbs of the scree CLI as a user runs them: checks, check, start-checks,
stop-checks and health, with upstream's flags, tables, YAML, messages and exit codes."""

import re
import socket
import time
import unittest

from screeh import DaemonTest

# "up" connects to a socket the test listens on: a run the kernel answers at once, so a
# loaded machine cannot make it miss its 50 ms timeout (a check's timeout is its period at
# most, §14).  "down" runs sh, which a loaded machine can delay past 50 ms: its last error is
# then a timeout, which the assertions on its text accept.
LAYER = """
checks:
    down:
        override: replace
        level: alive
        period: 50ms
        threshold: 2
        exec:
            command: /bin/sh -c 'echo something broke; exit 2'
    idle:
        override: replace
        startup: disabled
        tcp:
            port: 1
    up:
        override: replace
        level: ready
        period: 50ms
        tcp:
            host: 127.0.0.1
            port: %d
"""
DOWN_ERROR = r"(exit status 2; something broke|check timed out after 50ms)"


class ChecksCliTest(DaemonTest):
    def setUp(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.addCleanup(self.listener.close)
        self.d = self.start_daemon()
        self.assertEqual(self.d.cli("checks").stderr, "Plan has no health checks.\n")
        status, payload = self.d.add_layer("base", LAYER % self.listener.getsockname()[1])
        self.assertEqual(status, 200, payload)
        deadline = time.monotonic() + 10
        while True:
            res = {i["name"]: i for i in self.d.get("/v1/checks")[1]["result"]}
            # The third failure is the recover change's first: logged with its details.
            if res["down"].get("failures", 0) >= 3 and res["up"]["successes"] >= 1:
                break
            self.assertLess(time.monotonic(), deadline, res)
            time.sleep(0.01)

    def test_checks_table(self):
        r = self.d.cli("checks", check=True)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "Check  Level  Startup   Status    Failures  Change")
        down = self.d.get("/v1/checks?names=down")[1]["result"][0]
        up = self.d.get("/v1/checks?names=up")[1]["result"][0]
        self.assertRegex(lines[1], r"^down   alive  enabled   down      \d+/2       %s \(%s\)$"
                         % (down["change-id"], DOWN_ERROR))
        self.assertEqual(lines[2], "idle   -      disabled  inactive  -         -")
        self.assertEqual(lines[3], "up     ready  enabled   up        0/3       %s" % up["change-id"])
        r = self.d.cli("checks", "--level=ready", check=True)
        self.assertEqual([l.split()[0] for l in r.stdout.splitlines()[1:]], ["up"])
        r = self.d.cli("checks", "--level", "alive", "up")
        self.assertEqual((r.returncode, r.stderr), (0, "No matching health checks.\n"))
        r = self.d.cli("checks", "idle", "up", check=True)
        self.assertEqual(len(r.stdout.splitlines()), 3)
        r = self.d.cli("checks", "--level=bogus")
        self.assertEqual((r.returncode, r.stderr),
                         (1, "error: Invalid value `bogus' for option `--level'. Allowed values are: alive or ready\n"))
        r = self.d.cli("checks", "--frobnicate")
        self.assertEqual(r.stderr, "error: unknown flag `frobnicate'\n")

    def test_long_error_truncated(self):
        status, payload = self.d.add_layer("long", """
checks:
    long:
        override: replace
        period: 400ms
        threshold: 5
        exec:
            command: /bin/sh -c 'echo %s; exit 1'
""" % ("x" * 100))
        deadline = time.monotonic() + 10
        while self.d.get("/v1/checks?names=long")[1]["result"][0].get("failures", 0) < 1:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)
        r = self.d.cli("checks", "long", check=True)
        cid = self.d.get("/v1/checks?names=long")[1]["result"][0]["change-id"]
        more = '... run "pebble tasks %s" for more' % cid
        change = r.stdout.splitlines()[1].split(None, 5)[5]
        self.assertEqual(change, "%s (%s)" % (cid, ("exit status 1; " + "x" * 100)[:70 - len(more)] + more))

    def test_check_yaml(self):
        up = self.d.get("/v1/checks?names=up")[1]["result"][0]
        r = self.d.cli("check", "up", check=True)
        self.assertRegex(r.stdout, r'^name: up\nlevel: ready\nstartup: enabled\nstatus: up\nsuccesses: \d+\n'
                                   r'failures: 0\nthreshold: 3\nchange-id: "%s"\n$' % up["change-id"])
        r = self.d.cli("check", "idle", check=True)
        self.assertEqual(r.stdout, "name: idle\nstartup: disabled\nstatus: inactive\nfailures: 0\nthreshold: 3\n")
        # A failing check shows its task log.
        r = self.d.cli("check", "down", check=True)
        self.assertRegex(r.stdout, r"failures: \d+\nthreshold: 2\nchange-id: \"\d+\"\nlogs: \|\n"
                                   r"(    \S+ ERROR %s\n)+$" % DOWN_ERROR)
        r = self.d.cli("check", "nope")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: cannot find check "nope"\n'))
        r = self.d.cli("check")
        self.assertEqual(r.stderr, "error: the required argument `<check>` was not provided\n")
        # --refresh runs it now.
        r = self.d.cli("check", "--refresh", "idle", check=True)
        self.assertRegex(r.stdout, r"^name: idle\nstartup: disabled\nstatus: inactive\nfailures: 0\nthreshold: 3\n"
                                   r"error: 'dial tcp \S+:1: connect: connection refused'\n$")
        r = self.d.cli("check", "--refresh", "nope")
        self.assertEqual(r.stderr, 'error: cannot find check with name "nope"\n')

    def test_start_stop(self):
        r = self.d.cli("stop-checks", "up", "down", "idle", check=True)
        self.assertEqual(r.stdout, "Checks stopped: down, up\n")
        r = self.d.cli("stop-checks", "up", check=True)
        self.assertEqual(r.stdout, "Checks already stopped.\n")
        r = self.d.cli("start-checks", "idle", "up", check=True)
        self.assertEqual(r.stdout, "Checks started: idle, up\n")
        r = self.d.cli("start-checks", "up", check=True)
        self.assertEqual(r.stdout, "Checks already started.\n")
        r = self.d.cli("start-checks", "up", "zzz")
        self.assertEqual((r.returncode, r.stderr), (1, "error: cannot start checks: cannot find checks in plan: zzz\n"))
        r = self.d.cli("start-checks")
        self.assertEqual(r.stderr, "error: the required argument `<check> (at least 1 argument)` was not provided\n")

    def test_health(self):
        r = self.d.cli("health")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "unhealthy\n", ""))
        r = self.d.cli("health", "up")
        self.assertEqual((r.returncode, r.stdout), (0, "healthy\n"))
        r = self.d.cli("health", "--level=ready")
        self.assertEqual((r.returncode, r.stdout), (1, "unhealthy\n"))  # ready implies alive
        r = self.d.cli("health", "--format=json", "up", "idle")
        self.assertEqual((r.returncode, r.stdout), (0, '{"healthy":true}\n'))
        r = self.d.cli("health", "--format", "json")
        self.assertEqual((r.returncode, r.stdout), (1, '{"healthy":false}\n'))
        self.d.cli("stop-checks", "down", check=True)
        r = self.d.cli("health")
        self.assertEqual((r.returncode, r.stdout), (0, "healthy\n"))
        r = self.d.cli("health", "--level=dead")
        self.assertEqual(r.returncode, 1)
        self.assertIn("Allowed values are: alive or ready", r.stderr)


if __name__ == "__main__":
    unittest.main()
