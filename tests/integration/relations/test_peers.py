"""A peer relation: created at deploy, every unit joins every other across add-unit and
remove-unit, app data from the leader reaches the others, and no -broken fires while the
application lives (only the leaving unit's own teardown departs its peers)."""
import shutil
import tempfile
import unittest

import cairnh
import relh
from relh import rel_events


class Peers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.charm = cairnh.make_charm(self.tmp, "peer", dispatch=relh.REL_DISPATCH,
                                       metadata_extra="peers:\n  ring:\n    interface: ring\n")
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_peers(self):
        c = self.ctl
        c.call("deploy", charm=self.charm, num_units=1)
        c.wait_idle()
        # A peer relation exists from deploy; a new unit creates it right after install.
        self.assertEqual(relh.evs(c, "peer/0"), ["install", "ring-relation-created",
                                                 "leader-elected", "config-changed", "start"])
        c.call("add-unit", app="peer", num_units=1)
        c.wait_idle()
        # peer/1 (not the leader) sees the leader's app bag, then peer/0 joining.
        self.assertEqual(relh.evs(c, "peer/1"), [
            "install", "ring-relation-created", "config-changed", "start", "ring-relation-changed",
            "ring-relation-joined peer/0", "ring-relation-changed peer/0"])
        self.assertEqual(rel_events(c, "peer/0"), [
            "ring-relation-created", "ring-relation-joined peer/1", "ring-relation-changed peer/1"])
        c.call("add-unit", app="peer", num_units=1)
        c.wait_idle()
        self.assertEqual(rel_events(c, "peer/2"), [
            "ring-relation-created", "ring-relation-changed",
            "ring-relation-joined peer/0", "ring-relation-changed peer/0",
            "ring-relation-joined peer/1", "ring-relation-changed peer/1"])
        for u in ("peer/0", "peer/1"):
            self.assertEqual(rel_events(c, u)[-2:], ["ring-relation-joined peer/2",
                                                    "ring-relation-changed peer/2"])
        rid = relh.rel_id(c, "peer/2", "ring")
        self.assertEqual(rid, "ring:0")
        self.assertEqual(relh.hook_exec(c, "peer/2", "relation-list -r ring:0").split(),
                         ["peer/0", "peer/1"])
        self.assertEqual(relh.relation_get(c, "peer/2", rid, "peer/1")["name"], "peer/1")
        self.assertEqual(relh.relation_get(c, "peer/2", rid, "peer", app=True), {"app": "peer"})

        # remove-unit: the others see it depart; nobody runs -broken.
        c.call("remove-unit", units=["peer/1"])
        c.wait_idle()
        for u in ("peer/0", "peer/2"):
            self.assertEqual(rel_events(c, u)[-1], "ring-relation-departed peer/1 departing=peer/1")
            self.assertNotIn("ring-relation-broken", relh.evs(c, u))
        self.assertEqual(relh.hook_exec(c, "peer/0", "relation-list -r ring:0").split(), ["peer/2"])
        st = c.call("status", relations=True)
        self.assertEqual(st["relation-rows"][0]["type"], "peer")


if __name__ == "__main__":
    unittest.main()
