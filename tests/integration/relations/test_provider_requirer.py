"""A provider/requirer pair across integrate, add-unit and remove-unit: the exact per-unit
hook sequences (relation-created right after install for a new unit, -joined then -changed
per remote unit, app-data -changed with no remote unit, -departed with the departing unit)
and the databags each side reads."""
import shutil
import tempfile
import unittest

import cairnh
import relh
from relh import evs


class ProviderRequirer(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.prov, self.req = relh.make_pair(self.tmp)
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_pair(self):
        c = self.ctl
        c.call("deploy", charm=self.prov, num_units=1)
        c.call("deploy", charm=self.req, num_units=1)
        c.wait_idle()
        r = c.cli("integrate", "prov", "req")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        c.wait_idle()
        life = ["install", "leader-elected", "config-changed", "start"]
        # An existing unit: created (then config-changed), the remote leader's app bag,
        # then the remote unit joins and changes.
        self.assertEqual(evs(c, "prov/0"), life + [
            "db-relation-created", "config-changed", "db-relation-changed",
            "db-relation-joined req/0", "db-relation-changed req/0"])
        self.assertEqual(evs(c, "req/0"), life + [
            "db-relation-created", "config-changed", "db-relation-changed",
            "db-relation-joined prov/0", "db-relation-changed prov/0"])

        # A new requirer unit: relation-created right after install (before config-changed).
        c.call("add-unit", app="req", num_units=1)
        c.wait_idle()
        self.assertEqual(evs(c, "req/1"), [
            "install", "db-relation-created", "config-changed", "start", "db-relation-changed",
            "db-relation-joined prov/0", "db-relation-changed prov/0"])
        self.assertEqual(evs(c, "prov/0")[-2:], ["db-relation-joined req/1", "db-relation-changed req/1"])
        self.assertEqual(len(evs(c, "req/0")), 9)  # nothing new for the other requirer

        # What each side reads: the unit bags with their addresses and the leader's app bag.
        rid = relh.rel_id(c, "req/1", "db")
        self.assertEqual(rid, "db:0")
        bag = relh.relation_get(c, "req/1", rid, "prov/0")
        self.assertEqual(bag["name"], "prov/0")
        for k in ("private-address", "ingress-address", "egress-subnets"):
            self.assertIn(k, bag)
        self.assertEqual(relh.relation_get(c, "req/1", rid, "prov", app=True), {"app": "prov"})
        self.assertEqual(relh.relation_get(c, "prov/0", rid, "req/1")["name"], "req/1")
        # req/1 is not req's leader: its app bag stayed as the leader wrote it.
        self.assertEqual(relh.relation_get(c, "prov/0", rid, "req", app=True), {"app": "req"})
        self.assertEqual(relh.hook_exec(c, "prov/0", "relation-list -r %s" % rid).split(),
                         ["req/0", "req/1"])

        # remove-unit: the provider sees the requirer depart (departing = that unit).
        c.call("remove-unit", units=["req/1"])
        c.wait_idle()
        self.assertEqual(evs(c, "prov/0")[-1], "db-relation-departed req/1 departing=req/1")
        self.assertEqual(relh.hook_exec(c, "prov/0", "relation-list -r %s" % rid).split(), ["req/0"])
        st = c.call("status")
        self.assertEqual(st["applications"]["prov"]["relations"],
                         {"db": [{"related-application": "req", "interface": "kv", "scope": "global"}]})

    def test_removed_unit_sequence(self):
        # The leaving unit's own teardown: -departed for each remote unit (departing = itself),
        # -broken, then stop and remove.
        c = self.ctl
        c.call("deploy", charm=self.prov, num_units=2)
        c.call("deploy", charm=self.req, num_units=1)
        c.wait_idle()
        c.call("integrate", endpoints=["prov", "req"])
        c.wait_idle()
        d = c.unit_dir("req/0")
        pipe = cairnh.EventPipe(d + "/notify")
        try:
            c.call("remove-unit", units=["req/0"])
            seen = [pipe.next() for _ in range(5)]
        finally:
            pipe.close()
        self.assertEqual(seen, ["db-relation-departed", "db-relation-departed", "db-relation-broken",
                                "stop", "remove"])
        c.wait_idle()
        for u in ("prov/0", "prov/1"):
            self.assertEqual(evs(c, u)[-1], "db-relation-departed req/0 departing=req/0")


if __name__ == "__main__":
    unittest.main()
