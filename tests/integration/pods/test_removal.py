"""Removal leaves nothing behind: a removed unit's pod goes (container, overlay mounts, network
namespace, CNI allocation, cgroup, its bundle) while the other unit's stays; removing the
application then leaves no unpacked image tree or stored image that nothing references; and
kill-controller removes the pod network (the host bridge) and the pod store itself."""
import os
import subprocess
import unittest

import cairnh
import unitpodh


class Removal(unitpodh.PodTestCase):
    def test_removal_leaves_nothing(self):
        img = unitpodh.image(name="web", port=8080, text="hello")
        self.ctl.call("deploy", charm=self.probe_charm(), num_units=2, resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="application", name="probe", status="active", idle=True, timeout_ms=90000)
        conf = self.ctl.pods_conf()
        left = self.ctl.leftovers()
        self.assertEqual(left["containers"], ["probe-0_web", "probe-1_web"])
        self.assertEqual(left["netns"], [conf["prefix"] + "probe-0", conf["prefix"] + "probe-1"])
        self.assertEqual(len(left["addresses"]), 2)
        self.assertEqual(len(left["mounts"]), 2)  # one overlay root per container
        self.assertEqual(len(left["rootfs"]), 1)  # one unpacked tree for both

        self.ctl.call("remove-unit", units=["probe/1"])
        self.ctl.call("wait-for", kind="unit", name="probe/1", gone=True, timeout_ms=60000)
        left = self.ctl.leftovers()
        self.assertEqual(left["containers"], ["probe-0_web"])
        self.assertEqual(left["netns"], [conf["prefix"] + "probe-0"])
        self.assertEqual(len(left["addresses"]), 1)
        self.assertEqual(len(left["mounts"]), 1)
        self.assertEqual(left["pods"], ["probe-0"])
        self.assertEqual(len(left["rootfs"]), 1)
        self.assertFalse(os.path.exists(self.ctl.unit_dir("probe/1")))
        self.assertEqual(unitpodh.workload(self.ctl, "probe/0")[0], "active")

        self.ctl.call("remove-application", apps=["probe"])
        self.ctl.call("wait-for", kind="application", name="probe", gone=True, timeout_ms=60000)
        self.ctl.wait_idle()
        self.assertNothingLeft()
        self.assertFalse(os.path.exists(self.ctl.unit_dir("probe/0")))
        # The bridge stays while the controller lives (the next pod uses it)...
        self.assertTrue(self.ctl.bridge_exists(conf))

        # ...and kill-controller removes it, with the whole pod store.
        agent = self.ctl.agent_pid()
        r = self.ctl.cli("kill-controller", "-y")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ctl.proc.wait(30)
        self.assertTrue(cairnh.wait_gone(agent, 30))
        self.assertFalse(self.ctl.bridge_exists(conf))
        self.assertFalse(os.path.exists(self.ctl.store))
        self.assertEqual(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count(
            conf["prefix"]), 0)

    def test_kill_controller_destroys_pods(self):
        img = unitpodh.image(name="web", port=8080, text="hello")
        self.ctl.call("deploy", charm=self.probe_charm(), resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="unit", name="probe/0", status="active", idle=True, timeout_ms=90000)
        conf = self.ctl.pods_conf()
        self.assertEqual(len(self.ctl.containers()), 1)
        agent = self.ctl.agent_pid()
        r = self.ctl.cli("kill-controller", "-y")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ctl.proc.wait(30)
        self.assertTrue(cairnh.wait_gone(agent, 30))
        self.assertEqual(self.ctl.leftovers(conf)["netns"], [])
        self.assertEqual(self.ctl.leftovers(conf)["processes"], [])
        self.assertEqual([m for m in unitpodh.podh.mounts() if m.startswith(self.ctl.home)], [])
        self.assertFalse(self.ctl.bridge_exists(conf))
        self.assertFalse(os.path.exists(self.ctl.machine_dir))


if __name__ == "__main__":
    unittest.main()
