"""scree persisted state: changes survive a daemon restart, ids continue, a start that was
in flight is not retried, PEBBLE_PERSIST=never writes nothing."""

import json
import os
import signal
import time
import unittest

from screeh import Daemon, DaemonTest, children_of

LAYER = """
services:
    p:
        override: replace
        command: sleep 100
"""


class StateTest(DaemonTest):
    def test_changes_survive_restart(self):
        d = self.start_daemon()
        d.add_layer("base", LAYER)
        chg = d.run_action("start", ["p"])
        self.assertEqual(d.stop(), 0)
        with open(os.path.join(d.dir, ".pebble.state")) as f:
            json.load(f)
        d2 = Daemon(pebble_dir=d.dir, keep_dir=True)
        self.addCleanup(d2.cleanup)
        d2.start()
        status, payload = d2.get("/v1/changes?select=all")
        ids = [c["id"] for c in payload["result"]]
        self.assertIn(chg["id"], ids)
        old = [c for c in payload["result"] if c["id"] == chg["id"]][0]
        self.assertEqual((old["status"], old["summary"], old["spawn-time"], old["ready-time"]),
                         ("Done", chg["summary"], chg["spawn-time"], chg["ready-time"]))
        self.assertEqual(old["tasks"][0]["id"], chg["tasks"][0]["id"])
        # Id counters continue from the persisted ones.
        d2.add_layer("base", LAYER)
        status, payload = d2.services_action("stop", ["p"])
        self.assertGreater(int(payload["change"]), max(int(i) for i in ids))

    def test_inflight_start_not_retried(self):
        d = self.start_daemon()
        d.add_layer("base", LAYER)
        status, payload = d.services_action("start", ["p"])
        cid = payload["change"]
        state = os.path.join(d.dir, ".pebble.state")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(state) as f:
                    if '"Doing"' in f.read():
                        break
            except FileNotFoundError:
                pass
            time.sleep(0.01)
        kids = [p for p, _ in children_of(d.proc.pid)]
        for k in kids:
            self.addCleanup(lambda k=k: os.kill(k, signal.SIGKILL) if os.path.exists("/proc/%d" % k) else None)
        d.stop(sig=signal.SIGKILL)
        d2 = Daemon(pebble_dir=d.dir, keep_dir=True)
        self.addCleanup(d2.cleanup)
        d2.start()
        status, payload = d2.get("/v1/changes/%s" % cid)
        chg = payload["result"]
        self.assertTrue(chg["ready"])
        self.assertEqual(chg["status"], "Error")
        self.assertIn("service already started, not retrying", chg["err"])

    def test_persist_never(self):
        d = self.start_daemon(env={"PEBBLE_PERSIST": "never"})
        d.add_layer("base", LAYER)
        d.run_action("start", ["p"])
        self.assertEqual(d.stop(), 0)
        self.assertFalse(os.path.exists(os.path.join(d.dir, ".pebble.state")))

    def test_corrupt_state_is_an_error(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        with open(os.path.join(d.dir, ".pebble.state"), "w") as f:
            f.write("{garbage")
        d.start(wait=False)
        self.assertEqual(d.wait_exit(timeout=10), 1)
        self.assertIn("cannot read state file", d.log())


class SocketTest(DaemonTest):
    def test_live_socket_is_an_error_stale_is_replaced(self):
        d = self.start_daemon()
        d2 = Daemon(pebble_dir=d.dir, keep_dir=True)
        self.addCleanup(d2.cleanup)
        d2.start(wait=False)
        self.assertEqual(d2.wait_exit(timeout=10), 1)
        self.assertIn("already in use", d2.log())
        # A killed daemon leaves its socket file behind: the next one replaces it.
        d.stop(sig=signal.SIGKILL)
        self.assertTrue(os.path.exists(d.socket))
        d3 = Daemon(pebble_dir=d.dir, keep_dir=True)
        self.addCleanup(d3.cleanup)
        d3.start()
        self.assertEqual(d3.get("/v1/system-info")[0], 200)

    def test_pebble_socket_env(self):
        d = Daemon()
        sock = os.path.join(d.dir, "custom.sock")
        d.env["PEBBLE_SOCKET"] = sock
        d.socket = sock
        self.addCleanup(d.cleanup)
        d.start()
        self.assertEqual(d.get("/v1/system-info")[0], 200)
        r = d.cli("version", check=True)
        self.assertEqual(r.stdout, "client  v1.32.1\nserver  v1.32.1\n")

    def test_create_dirs(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        sub = os.path.join(d.dir, "new", "pebble")
        d.env["PEBBLE"] = sub
        d.socket = os.path.join(sub, ".pebble.socket")
        d.args = ["--create-dirs"]
        d.start()
        self.assertEqual(os.stat(sub).st_mode & 0o777, 0o700)
        self.assertEqual(d.get("/v1/system-info")[0], 200)


if __name__ == "__main__":
    unittest.main()
