"""Application databags are written by the leader only: relation-set --app from another
unit fails with Juju's error and changes nothing; the leader's write reaches the remote
units as an app-data -changed (no remote unit), once per write."""
import shutil
import subprocess
import tempfile
import unittest

import cairnh
import relh
from relh import rel_events


class AppDataLeader(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.prov, self.req = relh.make_pair(self.tmp)
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_leader_only(self):
        c = self.ctl
        c.call("deploy", charm=self.prov, num_units=2)
        c.call("deploy", charm=self.req, num_units=1)
        c.wait_idle()
        c.call("integrate", endpoints=["req:db", "prov:db"])
        c.wait_idle()
        rid = relh.rel_id(c, "prov/1", "db")
        # prov/1 is not the leader.
        r = c.cli("exec", "--unit", "prov/1", "--", "relation-set -r %s --app x=1" % rid)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ERROR cannot write relation settings", r.stderr + r.stdout)
        self.assertEqual(relh.relation_get(c, "req/0", rid, "prov", app=True), {"app": "prov"})
        before = rel_events(c, "req/0")
        # The leader writes: req/0 runs one app-data -changed and reads the new value.
        relh.hook_exec(c, "prov/0", "relation-set -r %s --app x=2" % rid)
        c.wait_idle()
        self.assertEqual(rel_events(c, "req/0")[len(before):], ["db-relation-changed"])
        self.assertEqual(relh.relation_get(c, "req/0", rid, "prov", app=True), {"app": "prov", "x": "2"})
        # Writing the same value again changes no version: no hook.
        relh.hook_exec(c, "prov/0", "relation-set -r %s --app x=2" % rid)
        c.wait_idle()
        self.assertEqual(rel_events(c, "req/0")[len(before):], ["db-relation-changed"])
        # The other provider unit reads its own application's bag only as leader.
        r = c.cli("exec", "--unit", "prov/1", "--", "relation-get -r %s --app - prov" % rid)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
