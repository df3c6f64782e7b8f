"""The SDK's Pebble client against a real scree: layers (and Pebble's own refusals),
the plan, services through their changes (autostart, restart, stop, start, replan, a
failing start with its change error), signals, checks, notices, exec over its websockets, files (push, pull, binary and large contents, make-dir, list, remove)
(stdin, stdout, stderr, combined output, exit codes, a timeout, large streams both ways),
and the error kinds for an unknown service, change or executable and a missing socket.  The checks run in sdk-pebble-probe."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import screeh  # noqa: E402


class PebbleClient(screeh.DaemonTest):
    def test_client_against_scree(self):
        d = self.start_daemon()
        probe = os.path.join(screeh.BIN_DIR, "sdk-pebble-probe")
        p = subprocess.run([probe, d.socket], capture_output=True, text=True, timeout=120)
        lines = p.stdout.splitlines()
        failed = [l for l in lines if not l.startswith("ok ")]
        self.assertEqual(failed, [], p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertGreaterEqual(len(lines), 48)


if __name__ == "__main__":
    unittest.main()
