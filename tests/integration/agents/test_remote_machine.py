"""A unit on a second host: a network namespace with its own address, enlisted with
`cairn add-machine` and `cairn-agent join` over TLS, goes through the whole lifecycle
(deploy --to, config change, refresh, remove) while the controller's own machine runs
another unit; status shows both machines with their real addresses; remove-machine is
refused while the machine has units, and revokes its credential when it goes."""
import json
import os
import shutil
import tempfile
import unittest

import cairnh
from cairnh import CairnError, RECORDER_DISPATCH

CONFIG = "options:\n  thing: {type: string, default: world}\n"
DISPATCH = RECORDER_DISPATCH.replace(
    "exit 0", 'echo "$(config-get thing)" > "$JUJU_CHARM_DIR/../thing"\nexit 0')


class RemoteMachine(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.charm = cairnh.make_charm(self.tmp, "rec", dispatch=DISPATCH, config=CONFIG)
        self.ns = cairnh.Netns().__enter__()
        self.addCleanup(self.ns.cleanup)
        self.ctl = cairnh.Controller(config={"api-address": self.ns.host_ip}).start()
        self.addCleanup(self.ctl.cleanup)
        self.agent = cairnh.RemoteAgent(self.ns)
        self.addCleanup(self.agent.cleanup)
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def events(self, unit, where):
        try:
            with open(os.path.join(where.unit_dir(unit), "events.log")) as f:
                return [l.split(" ", 1)[1] for l in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def test_lifecycle_on_a_second_host(self):
        r = self.ctl.call("add-machine")
        m = r["machines"][0]
        self.assertEqual(m["machine"], "1")
        self.assertTrue(r["address"].startswith(self.ns.host_ip + ":"), r)
        # Not joined yet: pending.
        st = self.ctl.call("status")
        self.assertEqual(st["machines"]["1"]["juju-status"]["current"], "pending")
        self.agent.join(m["command"])
        self.ctl.call("deploy", charm=self.charm, num_units=1, to="1")
        self.ctl.call("add-unit", app="rec", num_units=1)  # machine 0: the controller's own
        self.ctl.call("wait-for", kind="application", name="rec", status="active", idle=True,
                      timeout_ms=60000)
        st = self.ctl.call("status")
        units = st["applications"]["rec"]["units"]
        self.assertEqual(units["rec/0"]["machine"], "1")
        self.assertEqual(units["rec/1"]["machine"], "0")
        self.assertEqual(units["rec/0"]["public-address"], self.ns.ip)
        self.assertEqual(st["machines"]["1"]["dns-name"], self.ns.ip)
        self.assertEqual(st["machines"]["1"]["ip-addresses"], [self.ns.ip])
        self.assertEqual(st["machines"]["1"]["juju-status"]["current"], "started")
        self.assertEqual(st["machines"]["1"]["instance-id"], "manual:" + self.ns.ip)
        self.assertIn("0", st["machines"])
        # The remote unit ran its hooks on the other host, in its own home.
        self.assertEqual(self.events("rec/0", self.agent),
                         ["install", "leader-elected", "config-changed", "start"])
        self.assertEqual(self.events("rec/1", self.ctl), ["install", "config-changed", "start"])
        self.assertFalse(os.path.exists(self.ctl.unit_dir("rec/0")))
        # The CLI shows the machines as Juju does.
        tab = self.ctl.cli("machines", check=True).stdout
        self.assertRegex(tab, r"(?m)^1\s+started\s+%s\s+manual:%s\s+debian@12" % (self.ns.ip, self.ns.ip))
        doc = json.loads(self.ctl.cli("status", "--format", "json", check=True).stdout)
        self.assertEqual(doc["machines"]["1"]["dns-name"], self.ns.ip)
        # Config and refresh reach the remote unit (the charm travels by content).
        self.ctl.call("config-set", app="rec", config=[{"set": {"thing": "remote"}}])
        self.ctl.wait_idle()
        with open(os.path.join(self.agent.unit_dir("rec/0"), "thing")) as f:
            self.assertEqual(f.read().strip(), "remote")
        v2 = cairnh.make_charm(os.path.join(self.tmp, "v2"), "rec", dispatch=DISPATCH, config=CONFIG)
        with open(os.path.join(v2, "added-in-v2"), "w") as f:
            f.write("new file\n")
        self.ctl.call("refresh", app="rec", charm=v2)
        self.ctl.wait_idle()
        self.assertEqual(self.events("rec/0", self.agent)[-2:], ["upgrade-charm", "config-changed"])
        self.assertTrue(os.path.exists(os.path.join(self.agent.unit_dir("rec/0"), "charm", "added-in-v2")))
        # A machine with units cannot go without --force.
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("remove-machine", machines=["1"])
        self.assertIn('no machines were destroyed: machine 1 has unit "rec/0" assigned', str(cm.exception))
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("remove-machine", machines=["0"])
        self.assertIn("machine 0 is required by the model", str(cm.exception))
        # Removal on the remote host: stop, remove; its directory goes.
        self.ctl.call("remove-unit", units=["rec/0"])
        self.ctl.call("wait-for", kind="unit", name="rec/0", gone=True, timeout_ms=30000)
        self.assertFalse(os.path.exists(self.agent.unit_dir("rec/0")))
        # Now the machine can go; its agent is told to tear down and its credential is gone.
        self.assertEqual(self.ctl.call("remove-machine", machines=["1"])["machines"], ["1"])
        self.agent.proc.wait(timeout=30)
        self.assertEqual(self.agent.proc.returncode, 0, self.agent.log())
        self.assertNotIn("1", self.ctl.call("status")["machines"])
        self.assertEqual(self.ctl.call("status")["applications"]["rec"]["units"]["rec/1"]
                         ["workload-status"]["current"], "active")


if __name__ == "__main__":
    unittest.main()
