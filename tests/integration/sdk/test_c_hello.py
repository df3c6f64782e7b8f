"""The C hello charm on cairn: deployed from its directory and from its .charm, it reaches
active with its greeting on every unit; a config change, a refresh and removal behave as the
shell hello does."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import sdkh  # noqa: E402


class Hello(sdkh.ControllerTest):
    def test_deploy_config_refresh_remove(self):
        self.deploy(sdkh.charm("c-hello"), n=3)
        self.wait("hello")
        self.assertEqual(set(sdkh.statuses(self.ctl, "hello").values()), {("active", "Hello, world!")})
        st = self.ctl.call("status")["applications"]["hello"]
        self.assertEqual(st.get("version"), "1.0")
        self.assertEqual([h["status"] for h in sdkh.hooks(self.ctl, "hello/0")],
                         ["install", "leader-elected", "config-changed", "start"])
        self.configure("hello", thing="cairn")
        self.assertEqual(set(sdkh.statuses(self.ctl, "hello").values()), {("active", "Hello, cairn!")})
        self.ctl.call("refresh", app="hello", charm=sdkh.charm("c-hello"))
        self.ctl.wait_idle()
        self.assertEqual(sdkh.hooks(self.ctl, "hello/1")[-2:][0]["status"], "upgrade-charm")
        self.assertEqual(set(sdkh.statuses(self.ctl, "hello").values()), {("active", "Hello, cairn!")})
        log = self.debug_log()
        self.assertIn("installing hello on hello/0", log)
        self.assertIn("hello/0 is the leader", log)
        self.ctl.call("remove-application", apps=["hello"])
        self.ctl.call("wait-for", kind="application", name="hello", gone=True, timeout_ms=60000)

    def test_packed_charm(self):
        self.deploy(sdkh.charm("c-hello", packed=True), app="packed")
        self.wait("packed")
        self.assertEqual(sdkh.statuses(self.ctl, "packed")["packed/0"], ("active", "Hello, world!"))


if __name__ == "__main__":
    unittest.main()
