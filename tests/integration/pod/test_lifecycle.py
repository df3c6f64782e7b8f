"""Container lifecycle in a pod: a container's death is an event and its restart brings a new
boot id and a fresh writable layer (the shared volume kept); a refresh switches the container
to another image; a supervisor killed with SIGKILL and started again adopts the running
containers (same boot ids and pids, no duplicates) and garbage-collects what nobody holds;
removal, also in the middle of a start, leaves no mount, container, namespace, address,
cgroup or unpacked layer behind.  The death/restart case also runs with the supervisor as a
child subreaper (the container inits then become its children)."""

import os
import signal
import subprocess
import time
import unittest

from podh import RUNC, PodTest, http_get, images, pebble, pebble_wait_change, proc_comm, processes_in_cgroups


class LifecycleBase(PodTest):
    def setUp(self):
        super().setUp()
        self.web = images(self, name="web", port=8080, env=["GREETING=hello"], text="hello from web")
        self.d = self.driver()
        self.digest = self.d.import_image(self.web["layout"], "web")["digest"]

    def runc_list(self):
        r = subprocess.run([RUNC, "--root", os.path.join(self.env.store, "runc"), "list", "-q"],
                           capture_output=True, text=True)
        return sorted(r.stdout.split())

    def scree_pids(self):
        """Host pids of the scree processes running in this test's containers."""
        return sorted(p for p in processes_in_cgroups(self.env.prefix) if proc_comm(p) == "pebble")


class DeathTest(LifecycleBase):
    subreaper = False

    def setUp(self):
        super().setUp()
        if self.subreaper:
            self.d.crash()
            self.d = self.driver(subreaper=True)

    def test_death_restart(self):
        vol = self.d.start_pod("p", [{"name": "web", "image": self.digest}])
        first = self.d.event("ready", "p", "web")
        sock = os.path.join(vol, "web", "pebble.socket")
        marker = os.path.join(self.env.store, "pods", "p", "web", "upper", "marker")
        with open(marker, "w") as f:
            f.write("old layer\n")
        os.kill(first["pid"], signal.SIGKILL)
        ex = self.d.event("exited", "p", "web")
        self.assertIn("container exited", ex["error"])
        second = self.d.event("ready", "p", "web")
        self.assertNotEqual(second["boot_id"], first["boot_id"])
        self.assertNotEqual(second["pid"], first["pid"])
        status, payload = pebble(sock, "GET", "/v1/system-info")
        self.assertEqual(payload["result"]["boot-id"], second["boot_id"])
        # A fresh writable layer; the shared volume (Pebble's directory) survived.
        self.assertFalse(os.path.exists(marker))
        self.assertTrue(os.path.exists(os.path.join(vol, "web", "pebble", "layers", "001-web.yaml")))
        self.assertEqual(self.runc_list(), ["p_web"])
        # The scree itself exiting (a clean shutdown from inside) is a death too.
        status, payload = pebble(sock, "POST", "/v1/services", {"action": "autostart"})
        pebble_wait_change(sock, payload["change"])
        os.kill(second["pid"], signal.SIGTERM)
        self.d.event("exited", "p", "web")
        third = self.d.event("ready", "p", "web")
        self.assertNotIn(third["boot_id"], (first["boot_id"], second["boot_id"]))
        self.assertEqual(self.runc_list(), ["p_web"])
        self.d.remove_pod("p")
        self.d.sync()
        self.assertNothingLeft()

    def test_requested_restart_and_refresh(self):
        other = images(self, name="web", port=8080, env=["GREETING=refreshed"], text="new image")
        new_digest = self.d.import_image(other["oci_archive"], "new")["digest"]
        self.assertNotEqual(new_digest, self.digest)
        vol = self.d.start_pod("r", [{"name": "web", "image": self.digest}])
        addr = self.d.event("network", "r")["address"]
        first = self.d.event("ready", "r", "web")
        self.d.send(cmd="restart", pod="r", container="web")
        second = self.d.event("ready", "r", "web")
        self.assertNotEqual(first["boot_id"], second["boot_id"])
        self.assertTrue(self.d.no_event("exited", "r", "web"))  # asked for: not an exit
        # Refresh: the new image's root filesystem; the old one is no longer unpacked.
        self.d.send(cmd="restart", pod="r", container="web", image=new_digest)
        third = self.d.event("ready", "r", "web")
        self.assertNotEqual(third["boot_id"], second["boot_id"])
        sock = os.path.join(vol, "web", "pebble.socket")
        status, payload = pebble(sock, "POST", "/v1/services", {"action": "autostart"})
        pebble_wait_change(sock, payload["change"])
        self.assertEqual(http_get(addr, 8080, "/index.html"), (200, "new image\n"))
        self.d.sync()
        self.assertEqual(os.listdir(os.path.join(self.env.store, "rootfs")), [new_digest[7:]])
        self.assertEqual(self.d.refs(self.digest)["refs"], 0)
        # The old image stays in the store (the resource), only its unpacked tree went.
        self.assertTrue(self.d.refs(self.digest)["present"])
        self.d.send(cmd="image_remove", digest=new_digest)
        self.assertEqual(self.d.event("image_removed")["status"], -16)  # EBUSY: in use
        self.d.send(cmd="restart", pod="r", container="web", image="sha256:" + "1" * 64)
        self.assertIn("not in the store", self.d.event("error")["msg"])
        self.d.remove_pod("r")
        self.d.send(cmd="image_remove", digest=new_digest)
        self.assertEqual(self.d.event("image_removed")["status"], 0)
        self.d.sync()
        self.assertNothingLeft()

    def test_start_failures(self):
        """A container that cannot start is a failed event naming why, and the pod still
        removes cleanly."""
        ghost = images(self, name="web", port=8080, user="ghost")
        digest = self.d.import_image(ghost["layout"], "ghost")["digest"]
        self.d.start_pod("f", [{"name": "web", "image": digest}], restart=False)
        ev = self.d.event("failed", "f", "web")
        self.assertIn("unable to find user ghost: no matching entries in passwd file", ev["error"])
        # A bind whose source is missing: runc's own reason.
        self.d.start_pod("g", [{"name": "web", "image": self.digest,
                                "mounts": [{"source": "/nonexistent/storage", "target": "/data"}]}],
                         restart=False)
        ev = self.d.event("failed", "g", "web")
        self.assertIn("runc run", ev["error"])
        self.assertIn("/nonexistent/storage", ev["error"])
        self.assertEqual(self.runc_list(), [])
        # A restart after fixing nothing fails the same way, never leaving a container.
        self.d.send(cmd="restart", pod="g", container="web")
        self.d.event("failed", "g", "web")
        self.assertEqual(self.runc_list(), [])
        self.d.remove_pod("f")
        self.d.remove_pod("g")
        self.d.sync()
        self.assertNothingLeft()


class DeathSubreaperTest(DeathTest):
    subreaper = True


class AdoptionTest(LifecycleBase):
    def test_crash_and_adopt(self):
        vol = self.d.start_pod("a", [{"name": "web", "image": self.digest}])
        addr = self.d.event("network", "a")["address"]
        first = self.d.event("ready", "a", "web")
        sock = os.path.join(vol, "web", "pebble.socket")
        status, payload = pebble(sock, "POST", "/v1/services", {"action": "autostart"})
        pebble_wait_change(sock, payload["change"])
        self.d.crash()
        # The workload keeps running without its supervisor.
        self.assertEqual(http_get(addr, 8080, "/index.html")[0], 200)
        scree_before = self.scree_pids()

        d2 = self.driver()
        d2.start_pod("a", [{"name": "web", "image": self.digest}])
        self.assertEqual(d2.event("network", "a")["address"], addr)
        again = d2.event("ready", "a", "web")
        self.assertTrue(again["adopted"])
        self.assertEqual(again["boot_id"], first["boot_id"])
        self.assertEqual(again["pid"], first["pid"])
        self.assertEqual(self.runc_list(), ["a_web"])
        self.assertEqual(self.scree_pids(), scree_before)
        self.assertEqual(d2.refs(self.digest)["refs"], 1)
        # The service never stopped.
        status, payload = pebble(sock, "GET", "/v1/services")
        self.assertEqual(payload["result"][0]["current"], "active")
        # The adopted container is supervised: its death is seen and it comes back.
        os.kill(again["pid"], signal.SIGKILL)
        d2.event("exited", "a", "web")
        back = d2.event("ready", "a", "web")
        self.assertFalse(back["adopted"])
        self.assertNotEqual(back["boot_id"], first["boot_id"])
        # A clean supervisor stop leaves the pod running; the next one adopts it.
        d2.exit()
        d3 = self.driver()
        d3.start_pod("a", [{"name": "web", "image": self.digest}])
        self.assertEqual(d3.event("ready", "a", "web")["boot_id"], back["boot_id"])
        self.assertEqual(self.runc_list(), ["a_web"])
        d3.remove_pod("a")
        d3.sync()
        self.assertNothingLeft()

    def test_gc_after_reboot(self):
        """Supervisor and containers gone (a reboot): the next supervisor restarts the pods
        it still has and garbage-collects the unpacked images no container holds."""
        spare = images(self, name="spare", port=9090, text="spare")
        spare_digest = self.d.import_image(spare["layout"], "spare")["digest"]
        self.d.start_pod("a", [{"name": "web", "image": self.digest}])
        self.d.start_pod("s", [{"name": "spare", "image": spare_digest}])
        pids = [self.d.event("ready", "a", "web")["pid"], self.d.event("ready", "s", "spare")["pid"]]
        self.d.crash()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        d2 = self.driver()
        d2.start_pod("a", [{"name": "web", "image": self.digest}])
        self.assertFalse(d2.event("ready", "a", "web")["adopted"])
        self.assertEqual(self.runc_list(), ["a_web", "s_spare"])  # s's is stopped, not running
        d2.send(cmd="gc")
        d2.event("gc")
        d2.sync()
        self.assertEqual(os.listdir(os.path.join(self.env.store, "rootfs")), [self.digest[7:]])
        # The stale pod is removed as the agent will: started (nothing to adopt) and removed.
        d2.start_pod("s", [{"name": "spare", "image": spare_digest}], restart=False)
        d2.remove_pod("s")
        d2.remove_pod("a")
        d2.sync()
        self.assertNothingLeft()

    def test_crash_mid_start(self):
        """A supervisor killed while its containers start: the next one finishes the job
        (adopting what runs, starting what never did) without duplicates."""
        self.d.start_pod("m", [{"name": "web", "image": self.digest}])
        self.d.event("network", "m")
        self.d.crash()
        d2 = self.driver()
        d2.start_pod("m", [{"name": "web", "image": self.digest}])
        ev = d2.event("ready", "m", "web")
        self.assertEqual(self.runc_list(), ["m_web"])
        self.assertEqual(len(self.scree_pids()), 1)
        self.assertEqual(ev["pid"], self.scree_pids()[0])
        d2.remove_pod("m")
        d2.sync()
        self.assertNothingLeft()


class RemovalTest(LifecycleBase):
    def test_remove_while_starting(self):
        self.d.start_pod("x", [{"name": "web", "image": self.digest}])
        self.d.send(cmd="remove", pod="x")
        self.d.event("removed", "x")
        self.d.sync()
        self.assertNothingLeft()

    def test_remove_after_network(self):
        self.d.start_pod("y", [{"name": "web", "image": self.digest}])
        self.d.event("network", "y")
        self.d.send(cmd="remove", pod="y")
        self.d.event("removed", "y")
        self.d.sync()
        self.assertNothingLeft()

    def test_remove_busy_service(self):
        """A running service that ignores SIGTERM still ends with the container."""
        vol = self.d.start_pod("z", [{"name": "web", "image": self.digest}])
        self.d.event("ready", "z", "web")
        sock = os.path.join(vol, "web", "pebble.socket")
        layer = ("services:\n  stubborn:\n    override: replace\n"
                 "    command: /bin/sh -c \"trap '' TERM; while true; do sleep 1; done\"\n"
                 "    kill-delay: 1s\n")
        status, payload = pebble(sock, "POST", "/v1/layers", {"action": "add", "label": "x", "format": "yaml",
                                                              "layer": layer})
        self.assertEqual(status, 200, payload)
        status, payload = pebble(sock, "POST", "/v1/services", {"action": "start", "services": ["stubborn"]})
        pebble_wait_change(sock, payload["change"])
        t0 = time.monotonic()
        self.d.remove_pod("z")
        self.assertLess(time.monotonic() - t0, 25)
        self.d.sync()
        self.assertNothingLeft()


if __name__ == "__main__":
    unittest.main()
