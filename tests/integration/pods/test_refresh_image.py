"""A new image revision restarts its container with the new root filesystem, in Juju's order:
`refresh --resource` and `attach-resource` both run upgrade-charm -> config-changed, and the
restarted container's new boot id brings <c>-pebble-ready; the old image's unpacked tree and
the image itself go once no container uses them."""
import os
import unittest

import cairnh
import podh
import unitpodh


class RefreshImage(unitpodh.PodTestCase):
    def page(self, unit):
        conf = self.ctl.pods_conf()
        r = podh.netns_exec(conf["prefix"] + unit.replace("/", "-"), "ip", "-4", "-o", "addr", "show", "eth0")
        return podh.http_get(r.stdout.split()[3].split("/")[0], 8080, "/index.html")[1]

    def test_refresh_and_attach(self):
        v1 = podh.build_image(os.path.join(self.tmp, "v1"), name="web", port=8080, text="version one")
        v2 = podh.build_image(os.path.join(self.tmp, "v2"), name="web", port=8080, text="version two")
        v3 = podh.build_image(os.path.join(self.tmp, "v3"), name="web", port=8080, text="version three")
        charm = os.path.join(cairnh.SRC, "charms", "web")
        self.ctl.call("deploy", charm=charm, resources={"web-image": v1["layout"]})
        self.ctl.call("wait-for", kind="unit", name="web/0", status="active", idle=True, timeout_ms=90000)
        self.assertEqual(self.page("web/0"), "version one\n")
        pid1 = self.ctl.containers()["web-0_web"][0]
        rootfs1 = self.ctl.leftovers()["rootfs"]
        self.assertEqual(len(rootfs1), 1)

        # refresh with a new image: upgrade-charm -> config-changed -> web-pebble-ready.
        before = len(unitpodh.hooks(self.ctl, "web/0"))
        self.ctl.call("refresh", app="web", charm=charm, resources={"web-image": v2["oci_archive"]})
        self.ctl.wait_idle(timeout=90)
        self.assertEqual(unitpodh.hooks(self.ctl, "web/0")[before:],
                         ["upgrade-charm", "config-changed", "web-pebble-ready"])
        self.assertEqual(self.page("web/0"), "version two\n")
        self.assertEqual(unitpodh.workload(self.ctl, "web/0"), ("active", "serving: version two"))
        self.assertNotEqual(self.ctl.containers()["web-0_web"][0], pid1)
        left = self.ctl.leftovers()
        self.assertEqual(len(left["rootfs"]), 1)
        self.assertNotEqual(left["rootfs"], rootfs1)  # the old tree went with the old image
        self.assertEqual(len(left["images"]), 1)

        # attach-resource alone: the same order, revision 3.
        before = len(unitpodh.hooks(self.ctl, "web/0"))
        r = self.ctl.cli("attach-resource", "web", "web-image=" + v3["docker_archive"])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.ctl.wait_idle(timeout=90)
        self.assertEqual(unitpodh.hooks(self.ctl, "web/0")[before:],
                         ["upgrade-charm", "config-changed", "web-pebble-ready"])
        self.assertEqual(self.page("web/0"), "version three\n")
        r = self.ctl.cli("resources", "web")
        self.assertEqual(r.stdout, "Resource   Supplied by  Revision\nweb-image  admin        3\n")
        # A refresh without --resource keeps the image: the container restarts with it (a
        # new pod, as on Kubernetes), and its pebble-ready follows.
        before = len(unitpodh.hooks(self.ctl, "web/0"))
        self.ctl.call("refresh", app="web", charm=charm)
        self.ctl.wait_idle(timeout=90)
        self.assertEqual(unitpodh.hooks(self.ctl, "web/0")[before:],
                         ["upgrade-charm", "config-changed", "web-pebble-ready"])
        self.assertEqual(self.page("web/0"), "version three\n")


if __name__ == "__main__":
    unittest.main()
