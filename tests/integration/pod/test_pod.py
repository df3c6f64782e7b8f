"""A pod with two containers from images whose own Pebble layers define their services: the
scree sockets appear on the host, autostart (over the socket, as a charm's replan does) starts
the layer-defined services with the image's Env, WorkingDir and User, a charm-style
`override: merge` layer applies on top, the workloads answer on the pod's address from the
host and on localhost inside the pod's network namespace and from each other; two pods have
their own root filesystems, network namespaces and addresses; files pushed and commands
exec'd through the socket (as ops does) act inside the container only; `mounts:` binds
appear."""

import os
import subprocess
import unittest

from podh import PodTest, RUNC, Pebble, http_get, images, netns_exec, pebble, pebble_wait_change
from filesh import OpsFiles, PathError
from wsh import OpsExec

MERGE_LAYER = """
services:
  web:
    override: merge
    environment:
      GREETING: merged by the charm
"""


class PodTestBase(PodTest):
    def setUp(self):
        super().setUp()
        self.web = images(self, name="web", port=8080, env=["GREETING=hello"], text="hello from web")
        self.api = images(self, name="api", port=8081, user="", workdir="/srv/api", text="hello from api")
        self.d = self.driver()
        self.web_digest = self.d.import_image(self.web["oci_archive"], "web")["digest"]
        self.api_digest = self.d.import_image(self.api["docker_archive"], "api")["digest"]

    def runc_exec(self, pod, container, *argv):
        runc_id = self.d.info(pod, container)["runc_id"]
        return subprocess.run([RUNC, "--root", os.path.join(self.env.store, "runc"), "exec", runc_id] + list(argv),
                              capture_output=True, text=True, timeout=30)

    def autostart(self, sock):
        status, payload = pebble(sock, "POST", "/v1/services", {"action": "autostart"})
        self.assertEqual(status, 202, payload)
        chg = pebble_wait_change(sock, payload["change"])
        self.assertEqual(chg["status"], "Done", chg)


class TwoContainerPodTest(PodTestBase):
    def test_pod(self):
        vol = self.d.start_pod("p0", [{"name": "web", "image": self.web_digest},
                                      {"name": "api", "image": self.api_digest}])
        addr = self.d.event("network", "p0")["address"]
        ready = self.d.ready("p0", ["web", "api"])
        self.assertNotEqual(ready["web"]["boot_id"], ready["api"]["boot_id"])
        self.assertFalse(ready["web"]["adopted"])
        sock = {c: os.path.join(vol, c, "pebble.socket") for c in ("web", "api")}

        # The image's own layer is loaded; --hold kept the service down.
        for c, port in (("web", 8080), ("api", 8081)):
            status, payload = pebble(sock[c], "GET", "/v1/services")
            self.assertEqual(status, 200)
            self.assertEqual([(s["name"], s["startup"], s["current"]) for s in payload["result"]],
                             [(c, "enabled", "inactive")])
            status, payload = pebble(sock[c], "GET", "/v1/system-info")
            self.assertEqual(payload["result"]["boot-id"], ready[c]["boot_id"])
            self.autostart(sock[c])
            status, payload = pebble(sock[c], "GET", "/v1/services")
            self.assertEqual(payload["result"][0]["current"], "active")
            self.assertEqual(http_get(addr, port, "/index.html"), (200, "hello from %s\n" % c))

        # The image's Env, WorkingDir and User reached the layer-defined service.
        env = dict(line.split("=", 1) for line in http_get(addr, 8080, "/env.txt")[1].splitlines())
        self.assertEqual(env["GREETING"], "hello")
        self.assertEqual(env["IMAGE_NAME"], "web")
        self.assertEqual(env["PATH"], "/bin")
        self.assertEqual(env["HOME"], "/srv/www")
        self.assertEqual(env["JUJU_CONTAINER_NAME"], "web")
        self.assertEqual(env["PEBBLE"], "/charm/container/pebble")
        self.assertEqual(env["PEBBLE_SOCKET"], "/charm/container/pebble.socket")
        self.assertNotIn("SCREE_READY_FD", env)
        self.assertEqual(http_get(addr, 8080, "/cwd.txt")[1], "/srv/www\n")
        self.assertTrue(http_get(addr, 8080, "/id.txt")[1].startswith("uid=1000(www) gid=1000(www)"))
        self.assertTrue(http_get(addr, 8081, "/id.txt")[1].startswith("uid=0(root) gid=0(root)"))
        self.assertEqual(http_get(addr, 8081, "/cwd.txt")[1], "/srv/api\n")
        # Pebble's state lives in the shared volume (as Juju's PEBBLE=/charm/container/pebble).
        self.assertTrue(os.path.exists(os.path.join(vol, "web", "pebble", "layers", "001-web.yaml")))
        self.assertEqual(os.stat(os.path.join(vol, "web", "pebble")).st_uid, 1000)

        # A charm's merge layer on top of the image's: command kept, environment changed.
        status, payload = pebble(sock["web"], "POST", "/v1/layers",
                                 {"action": "add", "label": "charm", "combine": True, "format": "yaml",
                                  "layer": MERGE_LAYER})
        self.assertEqual(status, 200, payload)
        status, plan = pebble(sock["web"], "GET", "/v1/plan?format=yaml")
        self.assertIn("GREETING: merged by the charm", plan["result"])
        self.assertIn("exec /bin/httpd -f -p 8080", plan["result"])
        status, payload = pebble(sock["web"], "POST", "/v1/services", {"action": "restart", "services": ["web"]})
        self.assertEqual(pebble_wait_change(sock["web"], payload["change"])["status"], "Done")
        env = dict(line.split("=", 1) for line in http_get(addr, 8080, "/env.txt")[1].splitlines())
        self.assertEqual(env["GREETING"], "merged by the charm")

        # Inside the pod's network namespace the workloads answer on localhost...
        ns = self.env.netns_name("p0")
        for port, who in ((8080, "web"), (8081, "api")):
            r = netns_exec(ns, "curl", "-sS", "http://127.0.0.1:%d/index.html" % port)
            self.assertEqual((r.returncode, r.stdout), (0, "hello from %s\n" % who), r.stderr)
        # ... and one container reaches the other on localhost (one namespace per pod).
        r = self.runc_exec("p0", "web", "wget", "-qO-", "http://127.0.0.1:8081/index.html")
        self.assertEqual(r.stdout, "hello from api\n", r.stderr)
        # Pebble's HTTP API listens on Juju's per-container ports.
        r = netns_exec(ns, "curl", "-sS", "http://127.0.0.1:38813/v1/health")
        self.assertIn('"healthy":true', r.stdout.replace(" ", ""))
        # Over TCP only the open endpoints answer, as Pebble's: no control from the network.
        self.assertEqual(http_get(addr, 38814, "/v1/health")[0], 200)
        self.assertEqual(http_get(addr, 38814, "/v1/services")[0], 401)

        # The image's layers: the second layer's whiteout removed a file, ownership kept.
        self.assertEqual(http_get(addr, 8080, "/removed.html")[0], 404)
        r = self.runc_exec("p0", "web", "stat", "-c", "%u:%g", "/srv/www/index.html")
        self.assertEqual(r.stdout.strip(), "1000:1000")
        # /etc/hosts names the pod.
        r = self.runc_exec("p0", "api", "cat", "/etc/hosts")
        self.assertIn("%s\tp0" % addr, r.stdout)
        r = self.runc_exec("p0", "api", "hostname")
        self.assertEqual(r.stdout.strip(), "p0")

        # Writes go to the container's own layer, never to the shared unpacked image.
        r = self.runc_exec("p0", "web", "sh", "-c", "echo mine > /tmp/marker")
        self.assertEqual(r.returncode, 0, r.stderr)
        lower = os.path.join(self.env.store, "rootfs", self.web_digest[7:])
        self.assertTrue(os.path.isdir(lower))
        self.assertFalse(os.path.exists(os.path.join(lower, "tmp", "marker")))
        upper = os.path.join(self.env.store, "pods", "p0", "web", "upper", "tmp", "marker")
        self.assertTrue(os.path.exists(upper))

        self.d.remove_pod("p0")
        self.d.sync()
        self.assertNothingLeft()


class TwoPodsTest(PodTestBase):
    def test_separate_roots_and_namespaces(self):
        vols, addrs, pids = {}, {}, {}
        for pod in ("a", "b"):
            vols[pod] = self.d.start_pod(pod, [{"name": "web", "image": self.web_digest}])
        for pod in ("a", "b"):
            addrs[pod] = self.d.event("network", pod)["address"]
            pids[pod] = self.d.event("ready", pod, "web")["pid"]
        self.assertNotEqual(addrs["a"], addrs["b"])
        # One unpacked root filesystem, two references to it.
        self.assertEqual(os.listdir(os.path.join(self.env.store, "rootfs")), [self.web_digest[7:]])
        self.assertEqual(self.d.refs(self.web_digest)["refs"], 2)
        # Two network namespaces, the ones the containers run in.
        inodes = {}
        for pod in ("a", "b"):
            inodes[pod] = os.stat("/run/netns/" + self.env.netns_name(pod)).st_ino
            self.assertEqual(os.stat("/proc/%d/ns/net" % pids[pod]).st_ino, inodes[pod])
        self.assertNotEqual(inodes["a"], inodes["b"])
        # Both serve port 8080 on their own address.
        for pod in ("a", "b"):
            self.autostart(os.path.join(vols[pod], "web", "pebble.socket"))
            self.assertEqual(http_get(addrs[pod], 8080, "/index.html")[0], 200)
        # A file written in one pod's container is not in the other's.
        self.assertEqual(self.runc_exec("a", "web", "sh", "-c", "echo a > /srv/www/only-a").returncode, 0)
        self.assertEqual(http_get(addrs["a"], 8080, "/only-a"), (200, "a\n"))
        self.assertEqual(http_get(addrs["b"], 8080, "/only-a")[0], 404)
        # Pods reach each other on their addresses.
        r = self.runc_exec("a", "web", "wget", "-qO-", "http://%s:8080/index.html" % addrs["b"])
        self.assertEqual(r.stdout, "hello from web\n", r.stderr)
        # Removing one pod keeps the other (and the shared root filesystem).
        self.d.remove_pod("a")
        self.d.sync()
        self.assertEqual(self.d.refs(self.web_digest)["refs"], 1)
        self.assertEqual(http_get(addrs["b"], 8080, "/index.html")[0], 200)
        self.d.send(cmd="remove_network")
        self.assertEqual(self.d.event("network_removed")["status"], -16)  # EBUSY: pod b is on it
        self.d.remove_pod("b")
        self.d.sync()
        self.assertNothingLeft()
        # With no pod left, the bridge and the allocation table can go too.
        self.assertEqual(subprocess.run(["ip", "link", "show", self.env.bridge], capture_output=True).returncode, 0)
        self.d.send(cmd="remove_network")
        self.assertEqual(self.d.event("network_removed")["status"], 0)
        self.assertNotEqual(subprocess.run(["ip", "link", "show", self.env.bridge], capture_output=True).returncode, 0)
        self.d.sync()
        self.assertFalse(os.path.exists(os.path.join(self.env.store, "net", "ipam")))
        self.d.send(cmd="remove_network")
        self.assertEqual(self.d.event("network_removed")["status"], 0)  # already gone: fine


class FilesTest(PodTestBase):
    def test_files_land_in_the_container_only(self):
        """ops' push/pull/list through the socket on the host work on the container's root
        filesystem: what is pushed is in that container's writable layer, not in the shared
        unpacked image, not on the host, not in another pod."""
        vols = {}
        for pod in ("f", "g"):
            vols[pod] = self.d.start_pod(pod, [{"name": "web", "image": self.web_digest}])
        addr = self.d.event("network", "f")["address"]
        for pod in ("f", "g"):
            self.d.event("ready", pod, "web")
        files = {pod: OpsFiles(os.path.join(vols[pod], "web", "pebble.socket")) for pod in vols}
        files["f"].push("/srv/www/pushed.txt", "pushed by the charm\n", permissions=0o644)
        files["f"].make_dir("/srv/www/new/deep", make_parents=True)
        # Inside the container: served by its workload, listed, read back; the image's own
        # files are what the charm sees (the image's /etc/passwd, not the host's).
        self.autostart(os.path.join(vols["f"], "web", "pebble.socket"))
        self.assertEqual(http_get(addr, 8080, "/pushed.txt"), (200, "pushed by the charm\n"))
        names = sorted(f["name"] for f in files["f"].list_files("/srv/www"))
        self.assertIn("pushed.txt", names)
        self.assertIn("new", names)
        self.assertNotIn("removed.html", names)
        self.assertIn(b"www:x:1000:1000", files["f"].pull("/etc/passwd"))
        r = self.runc_exec("f", "web", "stat", "-c", "%u %a", "/srv/www/pushed.txt")
        self.assertEqual(r.stdout.strip(), "1000 644")  # written by the scree, which runs as www
        # In that container's writable layer only.
        upper = os.path.join(self.env.store, "pods", "f", "web", "upper", "srv", "www", "pushed.txt")
        lower = os.path.join(self.env.store, "rootfs", self.web_digest[7:], "srv", "www", "pushed.txt")
        self.assertTrue(os.path.exists(upper))
        self.assertFalse(os.path.exists(lower))
        self.assertFalse(os.path.exists("/srv/www/pushed.txt"))
        with self.assertRaises(PathError) as e:
            files["g"].pull("/srv/www/pushed.txt")
        self.assertEqual(e.exception.kind, "not-found")
        # The image's ownership holds: www cannot write where root owns the directory.
        with self.assertRaises(PathError) as e:
            files["f"].push("/etc/evil", "x")
        self.assertEqual(e.exception.kind, "permission-denied")
        files["f"].remove_path("/srv/www/new", recursive=True)
        self.assertNotIn("new", [f["name"] for f in files["f"].list_files("/srv/www")])
        for pod in ("f", "g"):
            self.d.remove_pod(pod)
        self.d.sync()
        self.assertNothingLeft()


class ExecTest(PodTestBase):
    def test_exec_runs_in_the_container(self):
        """ops' container.exec() through the socket on the host runs inside the container:
        its root filesystem, its user, the image's environment, the pod's namespace."""
        vol = self.d.start_pod("e", [{"name": "web", "image": self.web_digest}])
        addr = self.d.event("network", "e")["address"]
        self.d.event("ready", "e", "web")
        pb = Pebble(os.path.join(vol, "web", "pebble.socket"))
        code, out, err, _ = OpsExec(pb, ["cat", "/srv/www/index.html"]).wait()
        self.assertEqual((code, out), (0, b"hello from web\n"), err)
        code, out, err, _ = OpsExec(pb, ["sh", "-c", "id -u; pwd; echo $GREETING; hostname; ls /work 2>&1 || true"]).wait()
        lines = out.decode().splitlines()
        self.assertEqual(lines[:4], ["1000", "/srv/www", "hello", "e"])
        self.assertIn("No such file or directory", lines[4])  # the host's tree is not there
        # stdin in, and the pod's own network from the inside.
        code, out, err, _ = OpsExec(pb, ["sh", "-c", "cat > /tmp/in && wc -c < /tmp/in"], stdin=b"x" * 5000).wait()
        self.assertEqual(out.strip(), b"5000")
        code, out, err, _ = OpsExec(pb, ["ip", "-4", "-o", "addr", "show", "eth0"]).wait()
        self.assertIn(addr + "/", out.decode())
        code, out, err, _ = OpsExec(pb, ["sh", "-c", "exit 3"]).wait()
        self.assertEqual(code, 3)
        self.d.remove_pod("e")
        self.d.sync()
        self.assertNothingLeft()


class MountsTest(PodTestBase):
    def test_binds_and_ids(self):
        data = os.path.join(self.env.root, "storage-data")
        conf = os.path.join(self.env.root, "storage-conf")
        os.makedirs(data)
        os.makedirs(conf)
        with open(os.path.join(conf, "settings"), "w") as f:
            f.write("from the host\n")
        self.d.start_pod("m", [{"name": "web", "image": self.web_digest, "uid": 0, "gid": 0,
                                "mounts": [{"source": data, "target": "/var/lib/data"},
                                           {"source": conf, "target": "/etc/app", "readonly": True}]}],
                         hostname="m-host")
        self.d.event("ready", "m", "web")
        r = self.runc_exec("m", "web", "cat", "/etc/app/settings")
        self.assertEqual(r.stdout, "from the host\n")
        r = self.runc_exec("m", "web", "sh", "-c", "echo x > /etc/app/nope")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.runc_exec("m", "web", "sh", "-c", "echo written > /var/lib/data/f").returncode, 0)
        with open(os.path.join(data, "f")) as f:
            self.assertEqual(f.read(), "written\n")
        # Metadata ids replace the image's User: Pebble runs as root here.
        status, payload = pebble(os.path.join(self.env.volumes, "m", "web", "pebble.socket"), "GET",
                                 "/v1/system-info")
        self.assertEqual(status, 200)
        r = self.runc_exec("m", "web", "hostname")
        self.assertEqual(r.stdout.strip(), "m-host")
        pid = self.d.info("m", "web")["pid"]
        with open("/proc/%d/status" % pid) as f:
            uid_line = [l for l in f if l.startswith("Uid:")][0]
        self.assertEqual(uid_line.split()[1], "0")
        self.d.remove_pod("m")
        self.d.sync()
        self.assertNothingLeft()
        # The storage itself belongs to its owner, not to the pod.
        self.assertTrue(os.path.exists(os.path.join(data, "f")))

    def test_bad_specs(self):
        self.d.send(cmd="start", pod="bad", dir=os.path.join(self.env.volumes, "bad"),
                    containers=[{"name": "web", "image": "sha256:" + "0" * 64}])
        self.assertIn("is not in the store", self.d.event("error")["msg"])
        self.d.send(cmd="start", pod="bad", dir=os.path.join(self.env.volumes, "bad"),
                    containers=[{"name": "web", "image": self.web_digest,
                                 "mounts": [{"source": "/tmp", "target": "/charm/container/x"}]}])
        self.assertIn("Juju reserves", self.d.event("error")["msg"])
        self.d.send(cmd="start", pod="bad", dir=os.path.join(self.env.volumes, "bad"),
                    containers=[{"name": "web", "image": self.web_digest,
                                 "mounts": [{"source": "relative", "target": "/data"}]}])
        self.assertIn("not an absolute path", self.d.event("error")["msg"])
        self.d.send(cmd="start", pod="Bad_Id", dir="/tmp/x", containers=[])
        self.assertIn("pod id", self.d.event("error")["msg"])
        self.d.send(cmd="start", pod="dup", dir=os.path.join(self.env.volumes, "dup"),
                    containers=[{"name": "web", "image": self.web_digest}, {"name": "web", "image": self.web_digest}])
        self.assertIn("given twice", self.d.event("error")["msg"])
        self.assertNothingLeft()


if __name__ == "__main__":
    unittest.main()
