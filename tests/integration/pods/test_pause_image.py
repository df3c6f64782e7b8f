"""charms/pause with its test image (charms/pause/image.sh: busybox, no Pebble layer of its
own): the charm's layer defines the `pause` service, which runs inside the container from the
image's root filesystem, and a config change reaches it - the same charm that runs with a host
scree when no image is given (tests/integration/containers/test_containers.py)."""
import os
import subprocess
import unittest

import cairnh
import unitpodh


class PauseImage(unitpodh.PodTestCase):
    def test_pause_with_its_image(self):
        out = subprocess.run(["sh", os.path.join(cairnh.SRC, "charms", "pause", "image.sh"),
                              os.path.join(self.tmp, "img")], capture_output=True, text=True, check=True)
        archive = out.stdout.strip()
        r = self.ctl.cli("deploy", os.path.join(cairnh.SRC, "charms", "pause"), "--resource",
                         "pause-image=" + archive)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ctl.call("wait-for", kind="unit", name="pause/0", status="active", idle=True, timeout_ms=90000)
        status, svcs = unitpodh.pebble(self.ctl, "pause/0", "pause", "GET", "/v1/services")
        self.assertEqual([(s["name"], s["current"]) for s in svcs["result"]], [("pause", "active")])
        # The service is busybox's sleep, in the container (the image's /bin/sleep).
        r = self.ctl.runc("exec", "pause-0_pause", "sh", "-c", "ps -o comm,args | grep -v grep | grep 'sleep infinity'")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.ctl.runc("exec", "pause-0_pause", "readlink", "/bin/sleep")
        self.assertEqual(r.stdout.strip(), "busybox")
        self.ctl.call("config-set", app="pause", config=[{"set": {"timeout": "30"}}])
        self.ctl.wait_idle(timeout=60)
        status, plan = unitpodh.pebble(self.ctl, "pause/0", "pause", "GET", "/v1/plan?format=yaml")
        self.assertIn('TIMEOUT: "30"', plan["result"])
        r = self.ctl.cli("resources", "pause")
        self.assertEqual(r.stdout, "Resource     Supplied by  Revision\npause-image  admin        1\n")


if __name__ == "__main__":
    unittest.main()
