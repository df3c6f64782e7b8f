"""The exec-demo example charm: on demo-pebble-ready it runs a command in its container
through the Pebble CLI at /charm/bin/pebble (scree, bound read-only into the hook's mount
namespace) and shows the output as its status; a failing command blocks the unit with the
exit code, and a config change runs it again."""
import json
import os
import unittest

import cairnh


def unit_status(ctl, unit):
    app = unit.split("/")[0]
    return ctl.call("status")["applications"][app]["units"][unit]["workload-status"]


class ExecDemo(unittest.TestCase):
    def setUp(self):
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        try:
            for app in list(self.ctl.call("status")["applications"]):
                self.ctl.call("remove-application", apps=[app], force=True)
        except Exception:
            pass
        self.ctl.cleanup()

    def test_exec_demo(self):
        self.ctl.call("deploy", charm=os.path.join(cairnh.SRC, "charms", "exec-demo"), num_units=1)
        self.ctl.call("wait-for", kind="application", name="exec-demo", status="active", idle=True,
                      timeout_ms=60000)
        st = unit_status(self.ctl, "exec-demo/0")
        self.assertEqual((st["current"], st["message"]), ("active", "hello from /tmp"))
        # The command ran as an exec change in the unit's own scree.
        sock = os.path.join(self.ctl.unit_dir("exec-demo/0"), "containers", "demo", "pebble.socket")
        import http.client
        import socket

        class U(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(sock)

        c = U("localhost")
        c.request("GET", "/v1/changes?select=all")
        changes = json.loads(c.getresponse().read())["result"]
        c.close()
        execs = [ch for ch in changes if ch["kind"] == "exec"]
        self.assertTrue(execs)
        self.assertTrue(all(ch["status"] == "Done" for ch in execs), execs)
        # The exit code reaches the charm.
        self.ctl.call("config-set", app="exec-demo", config=[{"set": {"fail": "true"}}])
        self.ctl.wait_idle()
        st = unit_status(self.ctl, "exec-demo/0")
        self.assertEqual((st["current"], st["message"]), ("blocked", "workload command exited with code 3"))
        self.ctl.call("config-set", app="exec-demo", config=[{"set": {"fail": "false", "greeting": "hi"}}])
        self.ctl.wait_idle()
        st = unit_status(self.ctl, "exec-demo/0")
        self.assertEqual((st["current"], st["message"]), ("active", "hi from /tmp"))
        # The host's /charm/bin shows nothing of the hook's mounts.
        self.assertFalse(os.path.exists("/charm/bin/pebble"))


if __name__ == "__main__":
    unittest.main()
