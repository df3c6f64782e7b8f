"""scree with $PEBBLE made read-only under it: identities are refused with 500 and the cause
and stay as they were, pushes fail with the cause, the rest is served; the state file is
untouched.  A daemon started on a read-only $PEBBLE refuses to start, with the cause.  Once
the directory is writable again the same requests succeed and survive a SIGKILL."""
import json
import os
import shutil
import signal
import tempfile
import unittest

from faulth import Tmpfs, require_root
from filesh import OpsFiles, PathError
from screeh import Daemon


class ScreeReadOnly(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.fs = Tmpfs(self, 4 * 1024 * 1024)
        self.logs = tempfile.mkdtemp(prefix="scree-fault-logs-")
        self.addCleanup(shutil.rmtree, self.logs, True)
        self.d = Daemon(pebble_dir=self.fs.path, keep_dir=True)
        self.d.log_path = os.path.join(self.logs, "daemon.log")
        self.d.out_path = os.path.join(self.logs, "daemon.out")
        self.addCleanup(self.d.cleanup)
        self.d.start()
        self.files = OpsFiles(self.d.socket)

    def add_identity(self, name, uid):
        return self.d.post("/v1/identities", {"action": "add", "identities": {
            name: {"access": "read", "local": {"user-id": uid}}}})

    def identities(self):
        status, payload = self.d.get("/v1/identities")
        self.assertEqual(status, 200, payload)
        return set(payload["result"] or {})

    def test_read_only_then_writable(self):
        self.assertEqual(self.add_identity("before", 1001)[0], 200)
        conf = os.path.join(self.fs.path, "conf")
        self.files.push(conf, b"version 1")
        with open(os.path.join(self.fs.path, ".pebble.state"), "rb") as f:
            saved = f.read()
        self.fs.read_only()

        status, payload = self.add_identity("during", 1002)
        self.assertEqual(status, 500, payload)
        self.assertIn("read-only file system", payload["result"]["message"].lower())
        self.assertEqual(self.identities(), {"before"})
        with self.assertRaises(PathError) as cm:
            self.files.push(conf, b"version 2")
        self.assertIn("read-only file system", cm.exception.message.lower())
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)
        self.assertEqual(self.d.post("/v1/notices", {"action": "add", "type": "custom",
                                                     "key": "example.com/ro"})[0], 200)
        with open(os.path.join(self.fs.path, ".pebble.state"), "rb") as f:
            self.assertEqual(f.read(), saved)
        with open(conf, "rb") as f:
            self.assertEqual(f.read(), b"version 1")

        self.fs.read_only(False)
        self.assertEqual(self.add_identity("after", 1003)[0], 200)
        self.files.push(conf, b"version 2")
        self.d.stop(signal.SIGKILL)
        self.d.start()
        self.assertEqual(self.identities(), {"before", "after"})
        with open(os.path.join(self.fs.path, ".pebble.state")) as f:
            self.assertIn("after", json.load(f)["identities"])
        with open(conf, "rb") as f:
            self.assertEqual(f.read(), b"version 2")

    def test_start_on_a_read_only_dir(self):
        self.d.stop()
        self.fs.read_only()
        self.d.start(wait=False)
        self.assertEqual(self.d.wait_exit(30), 1)
        self.assertRegex(self.d.log().lower(), r"error: cannot run daemon: .*read-only file system")
        self.fs.read_only(False)
        self.d.start()
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)


if __name__ == "__main__":
    unittest.main()
