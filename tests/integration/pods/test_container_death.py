"""A container whose init (its scree) dies is restarted with a fresh writable layer, and its new
boot id brings <c>-pebble-ready again; a container killed while a hook runs is restarted too."""
import os
import signal
import unittest

import cairnh
import unitpodh


class ContainerDeath(unitpodh.PodTestCase):
    def boot_id(self):
        status, info = unitpodh.pebble(self.ctl, "probe/0", "web", "GET", "/v1/system-info")
        self.assertEqual(status, 200)
        return info["result"]["boot-id"]

    def test_death_and_restart(self):
        img = unitpodh.image(name="web", port=8080, text="hello")
        self.ctl.call("deploy", charm=self.probe_charm(), resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="unit", name="probe/0", status="active", idle=True, timeout_ms=90000)
        boot1, pid1 = self.boot_id(), self.ctl.containers()["probe-0_web"][0]
        r = self.ctl.runc("exec", "probe-0_web", "sh", "-c", "echo scratch > /tmp/scratch")
        self.assertEqual(r.returncode, 0, r.stderr)
        pipe = cairnh.EventPipe(os.path.join(self.ctl.unit_dir("probe/0"), "notify"))
        self.addCleanup(pipe.close)
        for _ in range(2):
            before = len(unitpodh.hooks(self.ctl, "probe/0"))
            os.kill(self.ctl.containers()["probe-0_web"][0], signal.SIGKILL)
            pipe.wait_for("web-pebble-ready", timeout=60)
            self.ctl.wait_idle(timeout=60)
            hooks = unitpodh.hooks(self.ctl, "probe/0")[before:]
            self.assertEqual(hooks, ["web-pebble-ready"])
        pid2 = self.ctl.containers()["probe-0_web"][0]
        self.assertNotEqual(pid2, pid1)
        self.assertNotEqual(self.boot_id(), boot1)
        # A fresh writable layer: the scratch file is gone; the autostart ran again.
        r = self.ctl.runc("exec", "probe-0_web", "cat", "/tmp/scratch")
        self.assertNotEqual(r.returncode, 0)
        log = unitpodh.probe_log(self.ctl, "probe/0")
        self.assertEqual(log[-1]["hook"], "web-pebble-ready")
        # The dead init is no zombie: the agent, a child subreaper, reaped it.
        try:
            with open("/proc/%d/stat" % pid1) as f:
                self.assertNotEqual(f.read().rsplit(")", 1)[1].split()[0], "Z")
        except FileNotFoundError:
            pass
        self.assertEqual(len(self.ctl.containers()), 1)


if __name__ == "__main__":
    unittest.main()
