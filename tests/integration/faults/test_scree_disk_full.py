"""scree with $PEBBLE on a full disk (a small tmpfs filled up): what must be persisted before
it is acknowledged (identities) is refused with 500 and the cause, and nothing changes; a
file push fails with the cause and leaves the old content; everything else keeps being
served.  The state file stays a complete, readable version.  Once space is back the same
requests succeed, and everything acknowledged survives a SIGKILL and restart."""
import json
import os
import signal
import tempfile
import shutil
import unittest

from faulth import Tmpfs, require_root
from filesh import OpsFiles, PathError
from screeh import Daemon


def ident(uid):
    return {"access": "read", "local": {"user-id": uid}}


class ScreeDiskFull(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.fs = Tmpfs(self, 2 * 1024 * 1024)
        self.logs = tempfile.mkdtemp(prefix="scree-fault-logs-")
        self.addCleanup(shutil.rmtree, self.logs, True)
        self.d = Daemon(pebble_dir=self.fs.path, keep_dir=True)
        # The daemon's own log lives elsewhere: it must be readable whatever happens here.
        self.d.log_path = os.path.join(self.logs, "daemon.log")
        self.d.out_path = os.path.join(self.logs, "daemon.out")
        self.addCleanup(self.d.cleanup)
        self.d.start()
        self.files = OpsFiles(self.d.socket)
        self.data = os.path.join(self.fs.path, "data")

    def add_identity(self, name, uid):
        return self.d.post("/v1/identities", {"action": "add", "identities": {name: ident(uid)}})

    def identities(self):
        status, payload = self.d.get("/v1/identities")
        self.assertEqual(status, 200, payload)
        return set(payload["result"] or {})

    def state_file(self):
        with open(os.path.join(self.fs.path, ".pebble.state")) as f:
            return json.load(f)

    def test_full_then_space_back(self):
        self.assertEqual(self.add_identity("before", 1001)[0], 200)
        self.files.push(os.path.join(self.data, "conf"), b"version 1", make_dirs=True)
        self.fs.fill()

        status, payload = self.add_identity("during", 1002)
        self.assertEqual(status, 500, payload)
        self.assertIn("no space left on device", payload["result"]["message"].lower())
        self.assertEqual(self.identities(), {"before"})
        with self.assertRaises(PathError) as cm:
            self.files.push(os.path.join(self.data, "conf"), os.urandom(256 * 1024))
        self.assertIn("no space left on device", cm.exception.message.lower())
        with open(os.path.join(self.data, "conf"), "rb") as f:
            self.assertEqual(f.read(), b"version 1")
        self.assertEqual([n for n in os.listdir(self.data) if n != "conf"], [])
        # Everything that needs no disk is served as before.
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)
        self.assertEqual(self.d.add_layer("extra", "summary: in memory\n")[0], 200)
        # The file on disk is a complete version: the last one written.
        self.assertIn("before", self.state_file()["identities"])
        self.assertNotIn("during", self.state_file()["identities"])

        self.fs.free()
        self.assertEqual(self.add_identity("after", 1003)[0], 200)
        self.files.push(os.path.join(self.data, "conf"), b"version 2")
        self.assertEqual(self.identities(), {"before", "after"})
        # Acknowledged means on disk: a SIGKILL loses none of it.
        self.d.stop(signal.SIGKILL)
        self.d.start()
        self.assertEqual(self.identities(), {"before", "after"})
        with open(os.path.join(self.data, "conf"), "rb") as f:
            self.assertEqual(f.read(), b"version 2")


if __name__ == "__main__":
    unittest.main()
