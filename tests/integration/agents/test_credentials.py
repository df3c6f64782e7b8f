"""Credentials: an unknown or reused join token is refused, so is a wrong password; an agent
whose credential is refused stops with exit status 3 and says why; an agent speaking an older
protocol version is refused; and a machine removed with
remove-machine has its credential revoked: a later hello with it is refused."""
import json
import os
import unittest

import cairnh
from cairnh import AgentClient


class Credentials(unittest.TestCase):
    def setUp(self):
        self.ns = cairnh.Netns().__enter__()
        self.addCleanup(self.ns.cleanup)
        self.ctl = cairnh.Controller(config={"api-address": self.ns.host_ip}).start()
        self.addCleanup(self.ctl.cleanup)
        self.agent = cairnh.RemoteAgent(self.ns)
        self.addCleanup(self.agent.cleanup)
        self.ca = os.path.join(self.ctl.home, "tls", "ca.crt")

    def client(self, addr):
        c = AgentClient(addr, self.ca)
        self.addCleanup(c.close)
        return c

    def test_refused(self):
        r = self.ctl.call("add-machine")
        addr, token = r["address"], r["machines"][0]["token"]
        # A token nobody issued.
        reply = self.client(addr).join("0" * 32 + ".x")
        self.assertEqual(reply, {"type": "refused", "error": "invalid join token"})
        # The real one enlists the host once ...
        self.agent.join(r["machines"][0]["command"])
        self.ctl.call("wait-for", kind="machine", name="1", status="started", timeout_ms=30000)
        # ... and never again.
        self.assertEqual(self.client(addr).join(token)["type"], "refused")
        # A wrong password for an enlisted machine.
        reply = self.client(addr).hello("1", "f" * 64)
        self.assertEqual(reply["type"], "refused")
        self.assertIn("invalid entity name or password", reply["error"])
        # Nor can the agent of machine 1 pass itself off as machine 0.
        conf_path = os.path.join(self.agent.home, "agents", "machine-1", "agent.conf")
        with open(conf_path) as f:
            conf = json.load(f)
        self.assertEqual(self.client(addr).hello("0", conf["password"])["type"], "refused")
        # The right one with an older protocol is refused (it would ignore relations and
        # tasks), then welcomed with the current one.
        reply = self.client(addr).hello("1", conf["password"], version=1)
        self.assertEqual(reply, {"type": "refused",
                                 "error": "agent protocol version 1 is too old (the controller needs 2)"})
        c = self.client(addr)
        self.assertEqual(c.hello("1", conf["password"])["type"], "welcome")
        c.close()
        # An agent whose credential is refused stops, saying why, exit status 3.
        self.agent.kill()
        wrong = dict(conf, password="0" * 64)
        with open(conf_path, "w") as f:
            json.dump(wrong, f)
        p = self.agent.run()
        self.assertEqual(p.wait(timeout=30), 3, self.agent.log())
        self.assertIn("refused", self.agent.log())
        # Revoked: remove-machine deletes the credential; the saved password no longer works.
        self.assertEqual(self.ctl.call("remove-machine", machines=["1"])["machines"], ["1"])
        reply = self.client(addr).hello("1", conf["password"])
        self.assertEqual(reply["type"], "refused")


if __name__ == "__main__":
    unittest.main()
