"""One machine's agent sees and changes only its own machine's units.  An agent enlisted as
machine 1 (here a client of the protocol, as an impostor would write it) is welcomed with
no units, and everything it tries on the unit of machine 0 is refused and changes nothing:
commits, statuses, deaths, reading statuses, fetching that application's charm, writing that
unit's logs."""
import os
import shutil
import tempfile
import unittest

import cairnh
from cairnh import AgentClient, RECORDER_DISPATCH

DISPATCH = RECORDER_DISPATCH.replace(
    "exit 0", 'state-get secret > "$JUJU_CHARM_DIR/../secret"\nexit 0')
CONFIG = "options:\n  thing: {type: string, default: world}\n"


class Isolation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ns = cairnh.Netns().__enter__()
        self.addCleanup(self.ns.cleanup)
        self.ctl = cairnh.Controller(config={"api-address": self.ns.host_ip}).start()
        self.addCleanup(self.ctl.cleanup)

    def test_foreign_units_refused(self):
        charm = cairnh.make_charm(self.tmp, "mine", dispatch=DISPATCH, config=CONFIG)
        self.ctl.call("deploy", charm=charm)
        self.ctl.call("wait-for", kind="application", name="mine", status="active", idle=True,
                      timeout_ms=60000)
        before = self.ctl.call("status")["applications"]["mine"]["units"]["mine/0"]
        r = self.ctl.call("add-machine")
        c = AgentClient(r["address"], os.path.join(self.ctl.home, "tls", "ca.crt"))
        self.addCleanup(c.close)
        joined = c.join(r["machines"][0]["token"])
        self.assertEqual(joined["type"], "joined")
        c.close()
        c = AgentClient(r["address"], os.path.join(self.ctl.home, "tls", "ca.crt"))
        welcome = c.hello(joined["machine"], joined["password"])
        self.assertEqual(welcome["type"], "welcome")
        self.assertEqual(welcome["units"], [])  # nothing of machine 0
        c.recv_until("model-config")
        # Sequenced changes to machine 0's unit: each refused.
        c.send({"type": "commit-hook", "unit": "mine/0", "seq": 1000, "hook": "start",
                "journal": {"op": "continue"}, "state": {"secret": "stolen"}})
        nack = c.recv_until("nack")
        self.assertEqual((nack["unit"], nack["seq"]), ("mine/0", 1000))
        self.assertIn("permission denied", nack["error"])
        c.send({"type": "status-set", "unit": "mine/0", "seq": 1001, "kind": "workload",
                "status": "blocked", "message": "pwned", "by-charm": True})
        self.assertIn("permission denied", c.recv_until("nack")["error"])
        c.send({"type": "unit-dead", "unit": "mine/0", "seq": 1002})
        self.assertIn("permission denied", c.recv_until("nack")["error"])
        # Reading: refused too.
        c.send({"type": "status-get", "id": 1, "unit": "mine/0", "application": False})
        res = c.recv_until("status-result")
        self.assertEqual(res.get("error"), "permission denied")
        self.assertNotIn("result", res)
        # The application's charm (its digest read from the controller's store).
        charms = [f[:-6] for f in os.listdir(os.path.join(self.ctl.home, "charms")) if f.endswith(".charm")]
        self.assertEqual(len(charms), 1)
        c.send({"type": "charm-get", "digest": charms[0], "offset": 0, "length": 1024})
        chunk = c.recv_until("charm-chunk")
        self.assertEqual(chunk["data"], "")
        self.assertEqual(chunk["error"], "no such charm on this machine")
        # Logs in its name are dropped.
        c.send({"type": "log", "records": [{"unit": "mine/0", "time": 1, "level": "ERROR",
                                            "module": "x", "message": "forged by machine 1"}]})
        c.send({"type": "ping", "id": 7})
        self.assertEqual(c.recv_until("pong")["id"], 7)  # everything before it was handled
        # Nothing changed.
        after = self.ctl.call("status")["applications"]["mine"]["units"]["mine/0"]
        self.assertEqual(after, before)
        log = self.ctl.cli("debug-log", "--replay", "--no-tail", check=True).stdout
        self.assertNotIn("forged by machine 1", log)
        self.assertIn("refused access to unit mine/0", log)
        # The unit's real agent still commits, and the state is what its own hooks made it.
        self.ctl.call("config-set", app="mine", config=[{"set": {"thing": "x"}}])
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("mine/0"), "secret")) as f:
            self.assertEqual(f.read().strip(), "")


if __name__ == "__main__":
    unittest.main()
