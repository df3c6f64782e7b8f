"""scree service lifecycle timings: backoff growth, kill-delay escalation, shutdown
actions and daemon exit codes, orphan reaping."""

import os
import re
import time
import unittest

from screeh import DaemonTest, children_of, log_times, rfc3339, wait_exited


class BackoffTest(DaemonTest):
    def test_backoff_intervals_grow(self):
        d = self.start_daemon()
        status, _ = d.add_layer("b", """
services:
    flappy:
        override: replace
        command: /bin/sh -c "exit 1"
        backoff-delay: 100ms
        backoff-factor: 2
        backoff-limit: 1s
""")
        self.assertEqual(status, 200)
        chg = d.run_action("start", ["flappy"])
        self.assertIn("exited quickly with code 1, will restart", chg["err"])
        # First start + 4 respawns: delays 100ms, 200ms, 400ms, 800ms (+0-10 % jitter).
        d.wait_log(r'Service "flappy" starting', count=5)
        self.assertIn('Service "flappy" on-failure action is "restart", waiting ~100ms before restart (backoff 1)', d.log())
        self.assertIn("waiting ~200ms before restart (backoff 2)", d.log())
        self.assertIn("waiting ~400ms before restart (backoff 3)", d.log())
        self.assertIn("waiting ~800ms before restart (backoff 4)", d.log())
        # Timed by the daemon's own log, from the exit (the line announcing the wait) to the
        # respawn, so the time sh takes to start and fail does not count.  The wait is the
        # backoff plus 0-10 % jitter (§13): never shorter (the 2 ms are the log's millisecond
        # truncation); longer only by the loop's wake-up, which a loaded machine stretches.
        waits = log_times(d.log(), r'Service "flappy" on-failure action is "restart", waiting')
        starts = log_times(d.log(), r'Service "flappy" starting')[1:]
        gaps = [b - a for a, b in zip(waits, starts)][:4]
        self.assertEqual(len(gaps), 4, d.log())
        for gap, want in zip(gaps, (0.1, 0.2, 0.4, 0.8)):
            self.assertGreaterEqual(gap, want - 0.002, gaps)
            self.assertLess(gap, want * 1.1 + 0.25, gaps)

    def test_stop_during_backoff(self):
        d = self.start_daemon()
        d.add_layer("b", """
services:
    flappy:
        override: replace
        command: /bin/sh -c "exit 1"
        backoff-delay: 2s
""")
        d.run_action("start", ["flappy"])
        self.assertEqual(d.service("flappy")["current"], "backoff")
        chg = d.run_action("stop", ["flappy"])
        # At once, not after the 2 s backoff (by the daemon's clock).
        self.assertLess(rfc3339(chg["ready-time"]) - rfc3339(chg["spawn-time"]), 1.0)
        self.assertEqual(chg["status"], "Done")
        self.assertEqual(d.service("flappy")["current"], "inactive")
        d.wait_log(r'Service "flappy" stopped while waiting for backoff')


class KillDelayTest(DaemonTest):
    def test_sigkill_after_kill_delay(self):
        d = self.start_daemon()
        d.add_layer("k", """
services:
    stubborn:
        override: replace
        command: /bin/sh -c 'trap "" TERM; echo ready; while true; do sleep 0.05; done'
        kill-delay: 1s
""")
        d.run_action("start", ["stubborn"])
        status, payload = d.services_action("stop", ["stubborn"])
        # While SIGTERM is being ignored the service is terminating (inactive), and the stop
        # is not done: a 0.2 s wait that starts within the 1 s kill-delay times out.
        status, early = d.get("/v1/changes/%s/wait?timeout=0.2s" % payload["change"])
        self.assertEqual(status, 504)
        self.assertEqual(d.service("stubborn")["current"], "inactive")
        chg = d.wait_change(payload["change"])
        self.assertEqual(chg["status"], "Done", chg)
        # SIGTERM was ignored, so only the SIGKILL after kill-delay ended it (the daemon's clock;
        # the 5 s a default kill-delay would take are well above the upper bound).
        took = rfc3339(chg["ready-time"]) - rfc3339(chg["spawn-time"])
        self.assertGreaterEqual(took, 1.0)
        self.assertLess(took, 3.0)
        d.wait_log(r'Service "stubborn" stopped')
        # No process of the group survives: those the SIGKILL has not ended yet (on a loaded
        # machine it takes them a moment) end without anything else done to them.
        self.assertEqual(wait_exited([p for p, st in children_of(d.proc.pid) if st != "Z"]), [])
        self.assertEqual([p for p in children_of(d.proc.pid) if p[1] != "Z"], [])


class ShutdownTest(DaemonTest):
    def run_until_exit(self, layer, service="svc"):
        d = self.start_daemon()
        status, payload = d.add_layer("s", layer)
        self.assertEqual(status, 200, payload)
        d.services_action("start", [service])
        return d, d.wait_exit(timeout=20)

    def test_on_failure_shutdown_exits_10(self):
        d, code = self.run_until_exit("""
services:
    svc:
        override: replace
        command: /bin/sh -c "sleep 0.2; exit 1"
        on-failure: shutdown
""")
        self.assertEqual(code, 10)
        self.assertIn('Service "svc" on-failure action is "shutdown", triggering failure shutdown', d.log())

    def test_on_failure_success_shutdown_exits_0(self):
        d, code = self.run_until_exit("""
services:
    svc:
        override: replace
        command: /bin/sh -c "sleep 0.2; exit 1"
        on-failure: success-shutdown
""")
        self.assertEqual(code, 0)
        self.assertIn("triggering success shutdown", d.log())

    def test_on_success_failure_shutdown_exits_10(self):
        d, code = self.run_until_exit("""
services:
    svc:
        override: replace
        command: /bin/sh -c "sleep 0.2; exit 0"
        on-success: failure-shutdown
""")
        self.assertEqual(code, 10)

    def test_shutdown_stops_other_services(self):
        d = self.start_daemon()
        d.add_layer("s", """
services:
    other:
        override: replace
        command: sleep 100
    svc:
        override: replace
        command: /bin/sh -c "sleep 1.5; exit 2"
        on-failure: shutdown
""")
        d.run_action("start", ["other"])
        other = [p for p, _ in children_of(d.proc.pid)]
        self.assertEqual(len(other), 1)
        d.services_action("start", ["svc"])
        self.assertEqual(d.wait_exit(timeout=20), 10)
        self.assertIn('Service "other" stopped', d.log())
        self.assertFalse(os.path.exists("/proc/%d" % other[0]) and open("/proc/%d/stat" % other[0]).read().split()[2] != "Z")

    def test_sigterm_exits_0_and_stops_services(self):
        d = self.start_daemon()
        d.add_layer("s", """
services:
    svc:
        override: replace
        command: sleep 100
""")
        d.run_action("start", ["svc"])
        pid = children_of(d.proc.pid)[0][0]
        self.assertEqual(d.stop(), 0)
        self.assertFalse(os.path.exists("/proc/%d" % pid))


class ReaperTest(DaemonTest):
    def test_orphans_are_reaped(self):
        d = self.start_daemon()
        d.add_layer("r", """
services:
    forker:
        override: replace
        command: /bin/sh -c '(sleep 1.6 & echo $! > %s/orphan.pid); sleep 100'
""" % "$PEBBLE")
        d.run_action("start", ["forker"])
        with open(os.path.join(d.dir, "orphan.pid")) as f:
            orphan = int(f.read())
        # The intermediate subshell exited at once: the orphan is now our child.
        self.assertIn(orphan, [p for p, _ in children_of(d.proc.pid)])
        deadline = time.monotonic() + 5
        while os.path.exists("/proc/%d" % orphan) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertFalse(os.path.exists("/proc/%d" % orphan), "orphan left as zombie")
        self.assertEqual([p for p in children_of(d.proc.pid) if p[1] == "Z"], [])


if __name__ == "__main__":
    unittest.main()
