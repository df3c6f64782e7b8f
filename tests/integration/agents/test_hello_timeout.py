"""A connection to the agent API that does not say hello within the controller config
agent-hello-timeout (default 10s; 400ms here) is closed, and the log says why; one that said
hello in time stays, and the machine's own agent is unaffected.  Bad values of the key are
refused at bootstrap."""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import cairnh


class HelloTimeout(unittest.TestCase):
    def setUp(self):
        self.ctl = cairnh.Controller(config={"agent-hello-timeout": "400ms"}).start()
        self.addCleanup(self.ctl.cleanup)
        self.ctl.call("wait-for", kind="machine", name="0", status="started", timeout_ms=30000)
        self.path = os.path.join(self.ctl.home, "agent-api.sock")

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.path)
        self.addCleanup(s.close)
        return s

    def closed_within(self, s, seconds):
        """Whether the controller closed s within seconds (EOF on a read)."""
        r, _, _ = select.select([s], [], [], seconds)
        return bool(r) and s.recv(1) == b""

    def test_silent_connection_closed(self):
        t0 = time.monotonic()
        s = self.connect()
        self.assertTrue(self.closed_within(s, 10))
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 0.4)
        self.assertLess(took, 5)
        with open(os.path.join(self.ctl.home, "logs", "model.log")) as f:
            lines = [json.loads(l)["x"] for l in f]
        self.assertIn("closed a connection from local socket that did not say hello within 400 ms",
                      lines)
        # Half a message is no better than none.
        s = self.connect()
        s.sendall(struct.pack(">I", 100) + b'{"type":"hel')
        self.assertTrue(self.closed_within(s, 10))
        # The machine's own agent said hello long ago: still connected, machine started.
        self.ctl.call("wait-for", kind="machine", name="0", status="started", timeout_ms=1000)

    def test_bad_value_refused(self):
        for bad in ("10", "50ms", "11m", "soon"):
            home = tempfile.mkdtemp(prefix="cairn-test-")
            self.addCleanup(shutil.rmtree, home, True)
            r = subprocess.run([os.path.join(cairnh.BIN, "cairnd"), "--foreground", "--config",
                                "agent-hello-timeout=" + bad], env=dict(os.environ, CAIRN_HOME=home),
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, bad)
            self.assertIn("agent-hello-timeout: expected a duration from 100ms to 10m", r.stderr, bad)


if __name__ == "__main__":
    unittest.main()
