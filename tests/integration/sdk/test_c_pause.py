"""The C pause charm on cairn with a real scree in its container: pebble-ready adds the
replace layer and autostarts the service; a config change that alters the plan restarts it
once; the same value again restarts nothing."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import screeh  # noqa: E402
import sdkh  # noqa: E402


def get(sock, path):
    c = screeh.UnixHTTPConnection(sock)
    try:
        return screeh.request_on(c, "GET", path)[3]["result"]
    finally:
        c.close()


class Pause(sdkh.ControllerTest):
    def test_layer_autostart_and_restart_on_change(self):
        self.deploy(sdkh.charm("c-pause"))
        self.wait("pause")
        sock = os.path.join(self.ctl.unit_dir("pause/0"), "containers", "pause", "pebble.socket")
        self.assertEqual([h["status"] for h in sdkh.hooks(self.ctl, "pause/0")][-1], "pause-pebble-ready")
        svc = get(sock, "/v1/services")
        self.assertEqual([(s["name"], s["current"], s["startup"]) for s in svc], [("pause", "active", "enabled")])
        plan = get(sock, "/v1/plan?format=yaml")
        self.assertIn("override: replace", plan)
        self.assertIn('TIMEOUT: "60"', plan)

        def restarts():
            return sum(1 for c in get(sock, "/v1/changes?select=all") if c["kind"] == "restart")

        self.configure("pause", timeout="30")
        self.assertIn('TIMEOUT: "30"', get(sock, "/v1/plan?format=yaml"))
        self.assertEqual(restarts(), 1)
        self.configure("pause", timeout="31")
        self.configure("pause", timeout="31")
        self.assertEqual(restarts(), 2)
        self.assertEqual(sdkh.statuses(self.ctl, "pause")["pause/0"], ("active", ""))


if __name__ == "__main__":
    unittest.main()
