"""A debug-log follower that stops reading cannot grow the controller: what is queued for one
client is bounded, and past the bound the follower is cut off with a last frame saying so,
while the controller goes on serving everyone else."""
import os
import shutil
import socket
import tempfile
import time
import unittest

import cairnh

# Each install prints 60000 lines of 200 bytes to stdout: 12 MB of debug-log per unit.
DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
if [ "$h" = install ]; then
  yes "$(head -c 190 /dev/zero | tr '\\0' x)" | head -n 60000
fi
[ "$h" = start ] && status-set active done
exit 0
"""


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class SlowReader(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.charm = cairnh.make_charm(self.tmp, "loud", dispatch=DISPATCH)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)

    def wait_cut_off(self, timeout=120):
        """Waits for the controller's log to say it cut the follower off."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "debug-log: the client is not reading" in self.ctl.daemon_log():
                return
            if self.ctl.proc.poll() is not None:
                self.fail("cairnd exited: " + self.ctl.daemon_log())
            time.sleep(0.05)
        self.fail("the follower was never cut off: " + self.ctl.daemon_log())

    def test_follower_cut_off(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(self.ctl.sock_path)
        self.addCleanup(s.close)
        s.sendall(cairnh.frame({"op": "debug-log", "tail": True, "lines": 0}))
        # The follower reads nothing while 3 units log 36 MB, until the controller has cut it
        # off.  It reads then, within the controller's grace for its last frame (msgsrv.h:
        # MSGSRV_ABORT_MS), however long the rest of the deploy takes on a loaded machine.
        self.ctl.call("deploy", charm=self.charm, num_units=3)
        self.wait_cut_off()
        # Now it reads: frames, then the last one saying it was cut off, then EOF.
        s.settimeout(30)
        last = None
        try:
            while True:
                last = cairnh.read_frame(s)
        except EOFError:
            pass
        self.assertIsNotNone(last)
        self.assertFalse(last["ok"], last)
        self.assertIn("the client is not reading", last["error"])
        self.ctl.call("wait-for", kind="application", name="loud", status="active", idle=True,
                      timeout_ms=120000)
        if not cairnh.sanitized():  # ASan's quarantine and shadow memory dwarf the bound
            self.assertLess(rss_kib(self.ctl.proc.pid), 120 * 1024)
        self.assertEqual(self.ctl.call("ping")["model"], "default")
        # Others follow as before.
        p = self.ctl.cli("debug-log", "--replay", "--limit", "5")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 5)


if __name__ == "__main__":
    unittest.main()
