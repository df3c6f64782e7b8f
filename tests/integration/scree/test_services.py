"""scree service actions over the API: okay delay, start/stop ordering and lanes,
restart, replan, autostart, failures and their change errors."""

import os
import re
import time
import unittest

from screeh import DaemonTest, log_times, rfc3339

LAYER = """
services:
    y:
        override: replace
        command: sleep 100
    x:
        override: replace
        command: sleep 100
        requires: [y]
        after: [y]
    p:
        override: replace
        command: sleep 100
    bad:
        override: replace
        command: /bin/sh -c "echo about to fail; exit 3"
        on-failure: ignore
    nobin:
        override: replace
        command: /nonexistent/binary --flag
"""


class ServicesTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()
        status, payload = self.d.add_layer("base", LAYER)
        self.assertEqual(status, 200, payload)

    def test_okay_delay(self):
        t0 = time.monotonic()
        status, payload = self.d.services_action("start", ["p"])
        self.assertEqual(status, 202)
        self.assertEqual(payload["type"], "async")
        self.assertEqual(payload["status"], "Accepted")
        self.assertNotIn("result", payload)
        chg = self.d.wait_change(payload["change"])
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        self.assertEqual(chg["status"], "Done")
        self.assertEqual(chg["kind"], "start")
        self.assertEqual(chg["summary"], 'Start service "p"')
        self.assertTrue(chg["ready"])
        self.assertNotIn("err", chg)
        # One okay delay, by the daemon's own clock (a loaded machine may add to it).
        took = rfc3339(chg["ready-time"]) - rfc3339(chg["spawn-time"])
        self.assertGreaterEqual(took, 0.99)
        self.assertLess(took, 1.9)
        task = chg["tasks"][0]
        self.assertEqual((task["kind"], task["summary"], task["status"]), ("start", 'Start service "p"', "Done"))
        self.assertEqual(task["progress"], {"label": "", "done": 1, "total": 1})
        svc = self.d.service("p")
        self.assertEqual((svc["name"], svc["startup"], svc["current"]), ("p", "disabled", "active"))
        self.assertIn("current-since", svc)
        self.d.wait_log(r'Service "p" starting: sleep 100')

    def test_start_in_progress_visible(self):
        status, payload = self.d.services_action("start", ["p"])
        status, changes = self.d.get("/v1/changes")
        self.assertEqual([c["id"] for c in changes["result"]], [payload["change"]])
        self.assertEqual(changes["result"][0]["status"], "Doing")
        self.assertFalse(changes["result"][0]["ready"])
        self.assertEqual(self.d.service("p")["current"], "active")
        self.d.wait_change(payload["change"])
        status, changes = self.d.get("/v1/changes")
        self.assertEqual(changes["result"], [])
        status, changes = self.d.get("/v1/changes?select=ready")
        self.assertEqual(len(changes["result"]), 1)
        status, changes = self.d.get("/v1/changes?select=all&for=p")
        self.assertEqual(len(changes["result"]), 1)
        status, changes = self.d.get("/v1/changes?select=all&for=y")
        self.assertEqual(changes["result"], [])

    def test_start_order_and_lanes(self):
        chg = self.d.run_action("start", ["x", "p"])
        elapsed = rfc3339(chg["ready-time"]) - rfc3339(chg["spawn-time"])  # the daemon's clock
        self.assertEqual(chg["status"], "Done", chg)
        self.assertEqual(sorted(t["summary"] for t in chg["tasks"]),
                         ['Start service "p"', 'Start service "x"', 'Start service "y"'])
        # y then x run in one lane (2 okay delays); p runs in parallel with y.
        self.assertGreaterEqual(elapsed, 2.0)
        self.assertLess(elapsed, 3.0)
        log = self.d.log()
        ty, tx, tp = (log_times(log, r'Service "%s" starting' % n)[0] for n in "yxp")
        self.assertLess(abs(ty - tp), 0.5)
        self.assertGreaterEqual(tx - ty, 0.99)
        self.assertEqual({s: self.d.service(s)["current"] for s in "xyp"},
                         {"x": "active", "y": "active", "p": "active"})

    def test_stop_order(self):
        self.d.run_action("start", ["x"])
        chg = self.d.run_action("stop", ["y"])
        self.assertEqual(chg["status"], "Done", chg)
        self.assertEqual([t["summary"] for t in chg["tasks"]], ['Stop service "x"', 'Stop service "y"'])
        log = self.d.log()
        self.assertLess(log.index('Service "x" stopped'), log.index('Service "y" stopped'))
        self.assertEqual(self.d.service("x")["current"], "inactive")
        self.assertEqual(self.d.service("y")["current"], "inactive")

    def test_stop_never_started_and_twice(self):
        chg = self.d.run_action("stop", ["p"])
        self.assertEqual(chg["status"], "Done")
        self.assertTrue(chg["tasks"][0]["log"][0].endswith('INFO Service "p" has never been started.'))
        self.d.run_action("start", ["p"])
        self.d.run_action("stop", ["p"])
        chg = self.d.run_action("stop", ["p"])
        self.assertTrue(chg["tasks"][0]["log"][0].endswith('INFO Service "p" already stopped.'))

    def test_start_already_started(self):
        self.d.run_action("start", ["p"])
        chg = self.d.run_action("start", ["p"])
        # At once: no okay delay (by the daemon's clock).
        self.assertLess(rfc3339(chg["ready-time"]) - rfc3339(chg["spawn-time"]), 0.9)
        self.assertRegex(chg["tasks"][0]["log"][0],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) INFO Service "p" already started\.$')

    def test_start_failure_error(self):
        chg = self.d.run_action("start", ["bad"])
        self.assertEqual(chg["status"], "Error")
        self.assertEqual(chg["err"], 'cannot perform the following tasks:\n'
                                     '- Start service "bad" (service start attempt: exited quickly with code 3, will ignore)')
        task = chg["tasks"][0]
        self.assertEqual(task["status"], "Error")
        self.assertIn("INFO Most recent service output:\n    about to fail", task["log"][0])
        self.assertIn("ERROR service start attempt: exited quickly with code 3, will ignore", task["log"][1])
        self.assertEqual(self.d.service("bad")["current"], "error")

    def test_exec_failure_error(self):
        chg = self.d.run_action("start", ["nobin"])
        self.assertEqual(chg["status"], "Error")
        self.assertRegex(chg["err"], r'- Start service "nobin" \(cannot start service: fork/exec /nonexistent/binary: ')
        self.assertEqual(self.d.service("nobin")["current"], "inactive")

    def test_failure_aborts_rest_of_lane(self):
        status, _ = self.d.add_layer("dep", """
services:
    after-bad:
        override: replace
        command: sleep 100
        requires: [bad]
        after: [bad]
""")
        self.assertEqual(status, 200)
        chg = self.d.run_action("start", ["after-bad", "p"])
        statuses = {t["summary"]: t["status"] for t in chg["tasks"]}
        self.assertEqual(statuses, {'Start service "bad"': "Error", 'Start service "after-bad"': "Hold",
                                    'Start service "p"': "Done"})
        self.assertEqual(chg["status"], "Error")

    def test_unknown_service(self):
        status, payload = self.d.services_action("start", ["nope"])
        self.assertError(status, payload, 400, 'cannot start services: service "nope" does not exist')
        status, payload = self.d.services_action("stop", ["nope"])
        self.assertError(status, payload, 400, 'cannot stop services: service "nope" does not exist')

    def test_restart(self):
        self.d.run_action("start", ["p"])
        chg = self.d.run_action("restart", ["p"])
        self.assertEqual(chg["status"], "Done", chg)
        self.assertEqual(chg["kind"], "restart")
        self.assertEqual([t["summary"] for t in chg["tasks"]], ['Stop service "p"', 'Start service "p"'])
        self.assertEqual(len(log_times(self.d.log(), r'Service "p" starting')), 2)
        self.assertEqual(self.d.service("p")["current"], "active")

    def test_replan(self):
        self.d.run_action("start", ["p"])
        status, _ = self.d.add_layer("enable", """
services:
    y:
        override: merge
        startup: enabled
    p:
        override: merge
        command: sleep 200
""")
        self.assertEqual(status, 200)
        chg = self.d.run_action("replan")
        self.assertEqual(chg["kind"], "replan")
        self.assertEqual(chg["status"], "Done", chg)
        self.assertEqual(sorted(t["summary"] for t in chg["tasks"]),
                         ['Start service "p"', 'Start service "y"', 'Stop service "p"'])
        self.d.wait_log(r'Service "p" starting: sleep 200')
        # Nothing changed since: a Done change without tasks.
        status, payload = self.d.services_action("replan")
        chg = self.d.wait_change(payload["change"])
        self.assertEqual(chg["summary"], 'Replan service "y"')
        self.assertEqual([t["log"][0][-33:] for t in chg["tasks"]], ['INFO Service "y" already started.'])

    def test_autostart(self):
        status, _ = self.d.add_layer("enable", """
services:
    p:
        override: merge
        startup: enabled
    y:
        override: merge
        startup: enabled
""")
        chg = self.d.run_action("autostart")
        self.assertEqual(chg["kind"], "autostart")
        self.assertEqual(chg["summary"], 'Autostart service "p" and 1 more')
        self.assertEqual(chg["status"], "Done")

    def test_abort_start(self):
        status, payload = self.d.services_action("start", ["y", "p"])
        cid = payload["change"]
        status, payload = self.d.post("/v1/changes/%s" % cid, {"action": "abort"})
        self.assertEqual(status, 200, payload)
        chg = self.d.wait_change(cid)
        self.assertTrue(chg["ready"])
        self.assertEqual(chg["status"], "Error")
        self.assertIn("start aborted, sent SIGKILL to process", chg["err"])
        status, payload = self.d.post("/v1/changes/%s" % cid, {"action": "abort"})
        self.assertError(status, payload, 400, "cannot abort change %s with nothing pending" % cid)
        status, payload = self.d.post("/v1/changes/%s" % cid, {"action": "explode"})
        self.assertError(status, payload, 400, 'invalid action "explode"')

    def test_wait_timeout_504(self):
        status, payload = self.d.services_action("start", ["p"])
        cid = payload["change"]
        t0 = time.monotonic()
        status, payload = self.d.get("/v1/changes/%s/wait?timeout=0.1s" % cid)
        self.assertError(status, payload, 504, "timed out waiting for change after 100ms")
        self.assertLess(time.monotonic() - t0, 0.9)
        status, payload = self.d.get("/v1/changes/%s/wait?timeout=xyz" % cid)
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("invalid timeout: "))
        self.d.wait_change(cid)

    def test_wait_does_not_block_others(self):
        status, payload = self.d.services_action("start", ["p"])
        cid = payload["change"]
        waiter = self.d.conn()
        waiter.request("GET", "/v1/changes/%s/wait" % cid)
        t0 = time.monotonic()
        for _ in range(20):
            self.assertEqual(self.d.get("/v1/system-info")[0], 200)
        self.assertLess(time.monotonic() - t0, 0.5)
        r = waiter.getresponse()
        self.assertEqual(r.status, 200)
        r.read()
        waiter.close()

    def test_signals(self):
        self.d.run_action("start", ["p"])
        status, payload = self.d.post("/v1/signals", {"signal": "SIGTERM", "services": ["p"]})
        self.assertEqual((status, payload["result"]), (200, True))
        self.d.wait_log(r'Service "p" stopped unexpectedly with code -1')
        status, payload = self.d.post("/v1/signals", {"signal": "HUP", "services": ["y"]})
        self.assertError(status, payload, 500, 'cannot send signal to "y": service is not running')

    def test_environment_and_workdir(self):
        status, _ = self.d.add_layer("env", """
services:
    envsvc:
        override: replace
        command: /bin/sh -c 'echo "FOO=$FOO PWD=$(pwd)"; sleep 100'
        environment:
            FOO: bar baz
        working-dir: /tmp
""")
        self.d.run_action("start", ["envsvc"])
        status, _, _, text = self.d.request("GET", "/v1/logs?services=envsvc")
        self.assertIn('"message":"FOO=bar baz PWD=/tmp"', text)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to switch user")
    def test_user_and_group(self):
        status, payload = self.d.add_layer("user", """
services:
    asnobody:
        override: replace
        command: /bin/sh -c 'echo "uid=$(id -u) gid=$(id -g) home=$HOME user=$USER"; sleep 100'
        user: nobody
    badgroup:
        override: replace
        command: sleep 100
        group: nogroup
    baduser:
        override: replace
        command: sleep 100
        user: no-such-user-here
""")
        self.assertEqual(status, 200, payload)
        self.d.run_action("start", ["asnobody"])
        status, _, _, text = self.d.request("GET", "/v1/logs?services=asnobody")
        self.assertRegex(text, r'"message":"uid=65534 gid=\d+ home=\S+ user=nobody"')
        chg = self.d.run_action("start", ["badgroup"])
        self.assertIn("(must specify user, not just group)", chg["err"])
        chg = self.d.run_action("start", ["baduser"])
        self.assertIn("(user: unknown user no-such-user-here)", chg["err"])


if __name__ == "__main__":
    unittest.main()
