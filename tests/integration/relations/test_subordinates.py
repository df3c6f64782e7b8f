"""Subordinates: a subordinate application has no units of its own; a container-scoped
relation to a principal puts one subordinate unit beside each principal unit (same machine),
each sees only its own principal in the relation, status shows them under their principals,
a new principal unit gets one too, removing a principal unit removes its subordinate, and
removing the relation removes them all."""
import os
import shutil
import tempfile
import unittest

import cairnh
import relh
from relh import rel_events


class Subordinates(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.main = cairnh.make_charm(self.tmp, "main", dispatch=relh.REL_DISPATCH)
        self.sub = cairnh.make_charm(
            self.tmp, "sub", dispatch=relh.REL_DISPATCH,
            metadata_extra="subordinate: true\nrequires:\n  host:\n    interface: juju-info\n"
                           "    scope: container\n")
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_subordinates(self):
        c = self.ctl
        c.call("deploy", charm=self.main, num_units=2)
        r = c.call("deploy", charm=self.sub)
        self.assertEqual(r["units"], [])
        c.wait_idle()
        r = c.cli("add-unit", "sub")
        self.assertEqual(r.returncode, 1)
        self.assertIn('cannot add unit to application "sub": application is subordinate', r.stderr)
        c.call("integrate", endpoints=["main", "sub"])
        c.wait_idle()
        st = c.call("status", relations=True)
        apps = st["applications"]
        self.assertEqual(apps["sub"]["subordinate-to"], ["main"])
        self.assertNotIn("units", apps["sub"])
        subs = {p: sorted(apps["main"]["units"][p].get("subordinates", {})) for p in apps["main"]["units"]}
        self.assertEqual(sorted(len(v) for v in subs.values()), [1, 1])
        pairs = {}
        for p, s in subs.items():
            pairs[s[0]] = p
            sd = apps["main"]["units"][p]["subordinates"][s[0]]
            self.assertEqual(sd["machine"], apps["main"]["units"][p]["machine"])
        self.assertEqual([r["type"] for r in st["relation-rows"]], ["subordinate"])
        for s, p in pairs.items():
            # JUJU_PRINCIPAL_UNIT names a subordinate's principal, in its hooks and in
            # juju-exec; a principal's is empty.
            with open(os.path.join(c.unit_dir(s), "principal")) as f:
                self.assertEqual(f.read(), p + "\n")
            with open(os.path.join(c.unit_dir(p), "principal")) as f:
                self.assertEqual(f.read(), "\n")
            self.assertEqual(relh.hook_exec(c, s, 'echo "$JUJU_PRINCIPAL_UNIT"'), p + "\n")
            self.assertEqual(relh.hook_exec(c, p, 'echo "[$JUJU_PRINCIPAL_UNIT]"'), "[]\n")
            # Each subordinate sees only its principal, and the principal only it.
            self.assertEqual(relh.hook_exec(c, s, "relation-list -r host:0").split(), [p])
            self.assertEqual(relh.hook_exec(c, p, "relation-list -r juju-info:0").split(), [s])
            # created first, joined before the unit's changed; the application-data
            # changed (no remote unit) comes when the principal's application bag got its
            # version, which may be before or after the unit joined.
            ev = rel_events(c, s)
            self.assertEqual(ev[0], "host-relation-created", ev)
            self.assertEqual(sorted(ev[1:]), sorted(["host-relation-changed",
                                                     "host-relation-joined " + p,
                                                     "host-relation-changed " + p]), ev)
            self.assertLess(ev.index("host-relation-joined " + p),
                            ev.index("host-relation-changed " + p), ev)
        # A new principal unit gets its own subordinate.
        c.call("add-unit", app="main", num_units=1)
        c.wait_idle()
        st = c.call("status")
        self.assertEqual(len(st["applications"]["main"]["units"]["main/2"].get("subordinates", {})), 1)
        # The table shows each subordinate right under its principal, indented.
        lines = c.cli("status").stdout.splitlines()
        i = [k for k, l in enumerate(lines) if l.startswith("main/2")][0]
        self.assertTrue(lines[i + 1].startswith("  sub/"), lines)
        # Removing a principal unit removes its subordinate with it.
        beside = list(st["applications"]["main"]["units"]["main/2"]["subordinates"])[0]
        c.call("remove-unit", units=["main/2"])
        c.wait_idle(kind="unit", name="main/2", gone=True)
        c.wait_idle(kind="unit", name=beside, gone=True)
        c.wait_idle()
        self.assertNotIn(beside, c.call("status")["applications"]["sub"].get("units", {}))
        # Removing the relation removes the subordinate units (the app stays, with none).
        c.call("remove-relation", endpoints=["main", "sub"])
        c.wait_idle()
        for s in list(pairs):
            c.wait_idle(kind="unit", name=s, gone=True)
        st = c.call("status")
        self.assertIn("sub", st["applications"])
        self.assertNotIn("units", st["applications"]["sub"])
        for p in st["applications"]["main"]["units"].values():
            self.assertNotIn("subordinates", p)


if __name__ == "__main__":
    unittest.main()
