"""remove-relation and remove-application: every unit runs -departed for each remote unit,
then -broken, in that order; the relation is gone from status afterwards, and a removed
application's relations go with it while the other side keeps running."""
import shutil
import tempfile
import unittest

import cairnh
import relh
from relh import rel_events


class Remove(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.prov, self.req = relh.make_pair(self.tmp)
        self.ctl = cairnh.Controller().start()
        c = self.ctl
        c.call("deploy", charm=self.prov, num_units=2)
        c.call("deploy", charm=self.req, num_units=2)
        c.wait_idle()
        c.call("integrate", endpoints=["prov", "req"])
        c.wait_idle()
        self.before = {u: len(rel_events(c, u)) for u in ("prov/0", "prov/1", "req/0", "req/1")}

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def new(self, unit):
        return rel_events(self.ctl, unit)[self.before[unit]:]

    def test_remove_relation(self):
        c = self.ctl
        r = c.cli("remove-relation", "req:db", "prov:db")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        c.wait_idle()
        for u, others in (("prov/0", ("req/0", "req/1")), ("prov/1", ("req/0", "req/1")),
                          ("req/0", ("prov/0", "prov/1")), ("req/1", ("prov/0", "prov/1"))):
            self.assertEqual(self.new(u), ["db-relation-departed %s departing=%s" % (o, o)
                                           for o in others] + ["db-relation-broken"], u)
        st = c.call("status", relations=True)
        self.assertNotIn("relations", st["applications"]["prov"])
        self.assertEqual(st["relation-rows"], [])
        # Gone for good: removing it again fails as Juju does; relating again is fine and
        # gets a new id.
        r = c.cli("remove-relation", "prov", "req")
        self.assertEqual(r.returncode, 1)
        self.assertIn('relation "req:db prov:db" not found', r.stderr)
        c.call("integrate", endpoints=["prov", "req"])
        c.wait_idle()
        self.assertEqual(relh.rel_id(c, "req/0", "db"), "db:1")

    def test_remove_application(self):
        c = self.ctl
        c.call("remove-application", apps=["req"])
        c.wait_idle()
        c.wait_idle(kind="application", name="req", gone=True)
        for u in ("prov/0", "prov/1"):
            self.assertEqual(self.new(u), ["db-relation-departed req/0 departing=req/0",
                                           "db-relation-departed req/1 departing=req/1",
                                           "db-relation-broken"], u)
        st = c.call("status", relations=True)
        self.assertEqual(list(st["applications"]), ["prov"])
        self.assertEqual(st["relation-rows"], [])
        self.assertEqual(relh.hook_exec(c, "prov/0", "relation-ids db"), "")


if __name__ == "__main__":
    unittest.main()
