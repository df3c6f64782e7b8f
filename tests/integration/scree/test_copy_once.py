"""scree PEBBLE_COPY_ONCE (pebble-api.md §1): an empty $PEBBLE is seeded from the directory
once, a non-empty one is left alone, and a missing source is skipped (Juju sets the variable
for every workload container, and most images have no /var/lib/pebble/default)."""

import os
import shutil
import tempfile
import unittest

from screeh import Daemon, DaemonTest

LAYER = """
services:
    seeded:
        override: replace
        command: sleep 100
"""


class CopyOnceTest(DaemonTest):
    def setUp(self):
        self.src = tempfile.mkdtemp(prefix="scree-copy-src-")
        self.addCleanup(shutil.rmtree, self.src, True)
        os.makedirs(os.path.join(self.src, "layers"))
        with open(os.path.join(self.src, "layers", "001-seed.yaml"), "w") as f:
            f.write(LAYER)

    def start_fresh(self, copy_once):
        """A daemon whose $PEBBLE does not exist yet (the helper's own directory holds only
        the socket), as in a new workload container."""
        d = Daemon()
        self.addCleanup(d.cleanup)
        fresh = os.path.join(d.dir, "fresh", "pebble")
        d.env.update({"PEBBLE": fresh, "PEBBLE_SOCKET": d.socket, "PEBBLE_COPY_ONCE": copy_once})
        d.args = ["--create-dirs"]
        d.start()
        return d, fresh

    def test_empty_dir_is_seeded(self):
        d, fresh = self.start_fresh(self.src)
        self.assertIsNotNone(d.service("seeded"))
        self.assertTrue(os.path.exists(os.path.join(fresh, "layers", "001-seed.yaml")))

    def test_missing_source_is_skipped(self):
        d, fresh = self.start_fresh(os.path.join(self.src, "absent"))
        self.assertTrue(os.path.isdir(fresh))
        status, payload = d.get("/v1/services")
        self.assertEqual((status, payload["result"]), (200, []))

    def test_non_empty_dir_is_left_alone(self):
        d = Daemon(layers={"001-own.yaml": LAYER.replace("seeded", "own")},
                   env={"PEBBLE_COPY_ONCE": self.src})
        self.addCleanup(d.cleanup)
        d.start()
        self.assertIsNotNone(d.service("own"))
        self.assertIsNone(d.service("seeded"))


if __name__ == "__main__":
    unittest.main()
