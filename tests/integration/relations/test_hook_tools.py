"""The relation-era hook tools against a live model: relation-ids/-list/-get/-set in their
argv forms, network-get and unit-get from the machine's real addresses, goal-state from the
controller, leader-set/leader-get (followers run leader-settings-changed), and a tool cairn
does not implement answering as Juju's unsupported tools do."""
import json
import shutil
import tempfile
import unittest

import cairnh
import relh
from relh import hook_exec


class HookTools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        prov, req = relh.make_pair(cls.tmp)
        cls.ctl = cairnh.Controller().start()
        cls.ctl.call("deploy", charm=prov, num_units=2)
        cls.ctl.call("deploy", charm=req, num_units=1)
        cls.ctl.wait_idle()
        cls.ctl.call("integrate", endpoints=["prov", "req"])
        cls.ctl.wait_idle()

    @classmethod
    def tearDownClass(cls):
        cls.ctl.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_relation_tools(self):
        c = self.ctl
        self.assertEqual(hook_exec(c, "req/0", "relation-ids db --format json"), '["db:0"]\n')
        self.assertEqual(json.loads(hook_exec(c, "req/0", "relation-list -r db:0 --format json")),
                         ["prov/0", "prov/1"])
        self.assertEqual(hook_exec(c, "req/0", "relation-list -r 0 --app"), "prov\n")
        self.assertEqual(hook_exec(c, "req/0", "relation-get -r db:0 name prov/1"), "prov/1\n")
        self.assertEqual(hook_exec(c, "req/0", "relation-get -r db:0 --app app prov"), "prov\n")
        # relation-set from stdin (YAML), then a key= deletion; committed when exec ends.
        hook_exec(c, "req/0", "printf 'a: one\\nb: two\\n' | relation-set -r db:0 --file -")
        hook_exec(c, "req/0", "relation-set -r db:0 b=")
        c.wait_idle()
        bag = relh.relation_get(c, "prov/0", "db:0", "req/0")
        self.assertEqual((bag.get("a"), "b" in bag), ("one", False))
        r = c.cli("exec", "--unit", "req/0", "--", "relation-get -r db:9 - prov/0")
        self.assertNotEqual(r.returncode, 0)

    def test_network(self):
        c = self.ctl
        net = json.loads(hook_exec(c, "prov/0", "network-get db --format json"))
        addr = net["ingress-addresses"][0]
        self.assertEqual(net["egress-subnets"], [addr + ("/128" if ":" in addr else "/32")])
        self.assertIn(addr, [a["value"] for b in net["bind-addresses"] for a in b["addresses"]])
        self.assertEqual(hook_exec(c, "prov/0", "network-get db --ingress-address"), addr + "\n")
        self.assertEqual(hook_exec(c, "prov/0", "unit-get private-address"), addr + "\n")
        self.assertEqual(relh.relation_get(c, "req/0", "db:0", "prov/0")["ingress-address"], addr)

    def test_goal_state(self):
        gs = json.loads(hook_exec(self.ctl, "req/0", "goal-state --format json"))
        self.assertEqual(list(gs["units"]), ["req/0"])
        self.assertEqual(sorted(gs["relations"]["db"]), ["prov", "prov/0", "prov/1"])
        self.assertEqual(gs["relations"]["db"]["prov"]["status"], "joined")
        self.assertEqual(gs["relations"]["db"]["prov/0"]["status"], "active")

    def test_leader_settings(self):
        c = self.ctl
        r = c.cli("exec", "--unit", "prov/1", "--", "leader-set a=1")
        self.assertNotEqual(r.returncode, 0)
        hook_exec(c, "prov/0", "leader-set a=1 b=2")
        c.wait_idle()
        self.assertEqual(hook_exec(c, "prov/1", "leader-get a"), "1\n")
        self.assertEqual(json.loads(hook_exec(c, "prov/1", "leader-get --format json")), {"a": "1", "b": "2"})
        self.assertIn("leader-settings-changed", relh.evs(c, "prov/1"))
        self.assertNotIn("leader-settings-changed", relh.evs(c, "prov/0"))

    def test_unsupported(self):
        r = self.ctl.cli("exec", "--unit", "req/0", "--", "secret-get secret:abc; echo rc=$?")
        self.assertIn("ERROR secret-get is not supported by this controller", r.stdout + r.stderr)
        self.assertIn("rc=1", r.stdout)


if __name__ == "__main__":
    unittest.main()
