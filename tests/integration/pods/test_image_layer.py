"""A unit whose container has an image runs it as a pod (charms/web and its image): the service
the image's own Pebble layer defines starts on the charm's autostart (the charm defines no
service), the charm's `override: merge` layer adds its environment on top, the hook reaches
its workload at localhost (it runs in the pod's network namespace) and sets the status from
the answer, the host reaches the workload at the pod's address, and the container's `mounts:`
entry binds the unit's storage directory (persistent across container restarts)."""
import os
import unittest

import cairnh
import podh
import unitpodh


class ImageLayer(unitpodh.PodTestCase):
    def test_image_layer_merge_and_localhost(self):
        img = unitpodh.image(name="web", port=8080, text="hello from the web image")
        self.ctl.call("deploy", charm=os.path.join(cairnh.SRC, "charms", "web"),
                      resources={"web-image": img["oci_archive"]}, config=[{"set": {"greeting": "bonjour"}}])
        self.ctl.call("wait-for", kind="unit", name="web/0", status="active", idle=True, timeout_ms=90000)
        self.assertEqual(unitpodh.workload(self.ctl, "web/0"), ("active", "serving: hello from the web image"))
        hooks = unitpodh.hooks(self.ctl, "web/0")
        self.assertEqual(hooks[:5], ["install", "leader-elected", "config-changed", "start", "web-pebble-ready"])

        # The plan: the image's service, the charm's environment merged into it.
        status, plan = unitpodh.pebble(self.ctl, "web/0", "web", "GET", "/v1/plan?format=yaml")
        self.assertEqual(status, 200)
        self.assertIn("GREETING: bonjour", plan["result"])
        self.assertIn("httpd -f -p 8080", plan["result"])
        status, svcs = unitpodh.pebble(self.ctl, "web/0", "web", "GET", "/v1/services")
        self.assertEqual([(s["name"], s["startup"], s["current"]) for s in svcs["result"]],
                         [("web", "enabled", "active")])
        # The image's layer came from the image (copied once into $PEBBLE), not from the charm.
        r = self.ctl.runc("exec", "web-0_web", "cat", "/var/lib/pebble/default/layers/001-web.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("override: replace", r.stdout)

        # The host reaches the workload at the pod's address; its environment has the merge.
        addr = self.pod_address("web/0")
        env = dict(l.split("=", 1) for l in podh.http_get(addr, 8080, "/env.txt")[1].splitlines() if "=" in l)
        self.assertEqual(env["GREETING"], "bonjour")
        self.assertEqual(env["IMAGE_NAME"], "web")
        self.assertEqual(env["JUJU_CONTAINER_NAME"], "web")
        self.assertEqual(podh.http_get(addr, 8080, "/index.html"), (200, "hello from the web image\n"))

        # A config change: the merged layer changes the plan, the service restarts.
        self.ctl.call("config-set", app="web", config=[{"set": {"greeting": "hola"}}])
        self.ctl.wait_idle(timeout=60)
        env = dict(l.split("=", 1) for l in podh.http_get(addr, 8080, "/env.txt")[1].splitlines() if "=" in l)
        self.assertEqual(env["GREETING"], "hola")

        # `mounts:` binds the unit's storage directory at its location.
        r = self.ctl.runc("exec", "web-0_web", "sh", "-c", "echo kept > /srv/data/note && cat /srv/data/note")
        self.assertEqual((r.returncode, r.stdout), (0, "kept\n"), r.stderr)
        with open(os.path.join(self.ctl.unit_dir("web/0"), "storage", "data", "note")) as f:
            self.assertEqual(f.read(), "kept\n")

    def pod_address(self, unit):
        """The pod's address, from inside its network namespace (the pod's netns name)."""
        conf = self.ctl.pods_conf()
        r = podh.netns_exec(conf["prefix"] + unit.replace("/", "-"), "ip", "-4", "-o", "addr", "show", "eth0")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.split()[3].split("/")[0]


if __name__ == "__main__":
    unittest.main()
