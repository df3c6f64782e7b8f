"""Relation data is committed only when the hook succeeds: a hook that runs relation-set and
then fails changes nothing the other side can see, and no -changed fires there; once the
hook is retried and succeeds its data is committed (and seen) exactly once."""
import os
import shutil
import tempfile
import unittest

import cairnh
import relh
from relh import rel_events


class CommitOnSuccess(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.prov, self.req = relh.make_pair(self.tmp)
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_failed_hook_commits_nothing(self):
        c = self.ctl
        c.call("model-config", set={"automatically-retry-hooks": "false"})
        c.call("deploy", charm=self.prov, num_units=1)
        c.call("deploy", charm=self.req, num_units=1)
        c.wait_idle()
        # req/0's -joined will set failed=yes and exit 1 (once).
        open(os.path.join(c.unit_dir("req/0"), "fail-db-relation-joined"), "w").close()
        c.call("integrate", endpoints=["prov", "req"])
        c.wait_idle()
        st = c.call("status")["applications"]["req"]["units"]["req/0"]
        self.assertEqual(st["workload-status"]["current"], "error")
        self.assertEqual(st["workload-status"]["message"], 'hook failed: "db-relation-joined"')
        rid = relh.rel_id(c, "prov/0", "db")
        self.assertNotIn("failed", relh.relation_get(c, "prov/0", rid, "req/0"))
        prov_before = rel_events(c, "prov/0")
        # resolved: the hook runs again and succeeds (the failure file is gone).
        r = c.cli("resolved", "req/0")
        self.assertEqual(r.returncode, 0, r.stderr)
        c.wait_idle()
        self.assertEqual(rel_events(c, "req/0")[-2:], ["db-relation-joined prov/0",
                                                      "db-relation-changed prov/0"])
        self.assertNotIn("failed", relh.relation_get(c, "prov/0", rid, "req/0"))
        # The retried hook committed nothing new either: prov/0 ran no further -changed.
        self.assertEqual(rel_events(c, "prov/0"), prov_before)

    def test_set_in_hook_reaches_other_side(self):
        c = self.ctl
        c.call("deploy", charm=self.prov, num_units=1)
        c.call("deploy", charm=self.req, num_units=1)
        c.wait_idle()
        # req/0 sets data in its -changed for prov/0 (a YAML file): prov/0 runs one -changed
        # for req/0 and reads it.
        with open(os.path.join(c.unit_dir("req/0"), "set-db-relation-joined"), "w") as f:
            f.write("greeting: hello\nlist: 'a b'\n")
        c.call("integrate", endpoints=["prov", "req"])
        c.wait_idle()
        rid = relh.rel_id(c, "prov/0", "db")
        bag = relh.relation_get(c, "prov/0", rid, "req/0")
        self.assertEqual((bag["greeting"], bag["list"]), ("hello", "a b"))
        ev = rel_events(c, "prov/0")
        self.assertEqual(ev[-1], "db-relation-changed req/0")
        # One -changed per commit at most (two when prov/0 saw the bag before the set).
        self.assertIn(ev.count("db-relation-changed req/0"), (1, 2))


if __name__ == "__main__":
    unittest.main()
