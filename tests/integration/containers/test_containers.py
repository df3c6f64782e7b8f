"""Workload containers: every unit gets its own scree per container, pebble-ready on deploy,
refresh and scree restart, charms reach their own container through the path ops
hard-codes (/charm/containers/<c>/pebble.socket) and never another unit's, scree outlives a
controller crash and is adopted rather than duplicated, and the pause example reaches
active with its service running in scree."""
import http.client
import json
import os
import shutil
import signal
import socket
import stat
import tempfile
import time
import unittest

import cairnh


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def pebble(sock, method, path, body=None):
    c = UnixHTTP(sock)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = json.loads(r.read())
    c.close()
    return data


def pebble_raw(sock, path):
    c = UnixHTTP(sock)
    c.request("GET", path)
    data = c.getresponse().read().decode()
    c.close()
    return data


def hooks(ctl, unit):
    entries = ctl.call("show-status-log", unit=unit, n=200)["entries"]
    return [e["status"] for e in entries if e["type"] == "hook"]


# A charm with two containers that records, in each hook, the boot id it sees through the
# ops path of each container.
PROBE = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
for c in web db; do
  id=$(curl -s --max-time 5 --unix-socket /charm/containers/$c/pebble.socket http://localhost/v1/system-info | sed -n 's/.*"boot-id":"\\([^"]*\\)".*/\\1/p')
  echo "$h $c ${JUJU_WORKLOAD_NAME:--} ${id:-unanswered}" >> "$JUJU_CHARM_DIR/../probe.log"
done
[ -p "$JUJU_CHARM_DIR/../notify" ] && echo "$h" > "$JUJU_CHARM_DIR/../notify"
exit 0
"""
PROBE_META = """containers:
  web: {resource: web-image}
  db: {resource: db-image}
resources:
  web-image: {type: oci-image}
  db-image: {type: oci-image}
"""


class Containers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        try:
            for app in list(self.ctl.call("status")["applications"]):
                self.ctl.call("remove-application", apps=[app], force=True)
        except Exception:
            pass
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sock(self, unit, container):
        return os.path.join(self.ctl.unit_dir(unit), "containers", container, "pebble.socket")

    def scree_pid(self, unit, container):
        with open(os.path.join(self.ctl.unit_dir(unit), "containers", container, "scree.pid")) as f:
            return int(f.read())

    def boot_id(self, unit, container):
        return pebble(self.sock(unit, container), "GET", "/v1/system-info")["result"]["boot-id"]

    def probe_lines(self, unit):
        with open(os.path.join(self.ctl.unit_dir(unit), "probe.log")) as f:
            return [l.split() for l in f.read().splitlines()]

    def pause_conf(self, unit):
        """The configuration file the pause charm pushes for unit (charms/pause/dispatch)."""
        uuid = self.ctl.call("ping")["model-uuid"]
        d = "/tmp/pause-%s-%s" % (uuid, unit.replace("/", "-"))
        self.addCleanup(shutil.rmtree, d, True)
        return os.path.join(d, "pause.conf")

    def test_pause_example(self):
        self.ctl.call("deploy", charm=os.path.join(cairnh.SRC, "charms", "pause"), num_units=2)
        self.ctl.call("wait-for", kind="application", name="pause", status="active", idle=True,
                      timeout_ms=60000)
        for u in ("pause/0", "pause/1"):
            hs = hooks(self.ctl, u)
            self.assertEqual(hs[-2:], ["start", "pause-pebble-ready"], hs)
            svc = pebble(self.sock(u, "pause"), "GET", "/v1/services")["result"]
            self.assertEqual([(s["name"], s["current"], s["startup"]) for s in svc],
                             [("pause", "active", "enabled")])
            # The pushed file: the charm's mode and content, read by the service at its start.
            conf = self.pause_conf(u)
            st = os.stat(conf)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
            with open(conf) as f:
                self.assertEqual(f.read(), "timeout=60\n")
            logs = pebble_raw(self.sock(u, "pause"), "/v1/logs?services=pause")
            self.assertIn('"message":"pause config timeout=60"', logs)
            # The layer's alive check watches that file; it runs once a second.
            deadline = time.monotonic() + 30
            while True:
                checks = pebble(self.sock(u, "pause"), "GET", "/v1/checks")["result"]
                self.assertEqual([(c["name"], c["level"], c["status"]) for c in checks],
                                 [("config", "alive", "up")])
                if checks[0]["successes"] >= 1:
                    break
                self.assertLess(time.monotonic(), deadline, checks)
                time.sleep(0.1)
        before = pebble(self.sock("pause/0", "pause"), "GET", "/v1/services")["result"][0]["current-since"]
        # A config change alters the plan: the service is restarted.
        self.ctl.call("config-set", app="pause", config=[{"set": {"timeout": "30"}}])
        self.ctl.wait_idle()
        plan = pebble(self.sock("pause/0", "pause"), "GET", "/v1/plan?format=yaml")["result"]
        self.assertIn('TIMEOUT: "30"', plan)
        with open(self.pause_conf("pause/0")) as f:
            self.assertEqual(f.read(), "timeout=30\n")
        after = pebble(self.sock("pause/0", "pause"), "GET", "/v1/services")["result"][0]["current-since"]
        self.assertNotEqual(before, after)
        changes = pebble(self.sock("pause/0", "pause"), "GET", "/v1/changes?select=all")["result"]
        self.assertEqual(sum(1 for c in changes if c["kind"] == "restart"), 1)
        # Re-applying the same config leaves the plan as it was: no restart.
        self.ctl.call("config-set", app="pause", config=[{"set": {"timeout": "31"}}])
        self.ctl.wait_idle()
        self.ctl.call("config-set", app="pause", config=[{"set": {"timeout": "31"}}])
        self.ctl.wait_idle()
        changes = pebble(self.sock("pause/0", "pause"), "GET", "/v1/changes?select=all")["result"]
        self.assertEqual(sum(1 for c in changes if c["kind"] == "restart"), 2)
        # Removal stops the scree.
        pid = self.scree_pid("pause/1", "pause")
        self.ctl.call("remove-unit", units=["pause/1"])
        self.ctl.call("wait-for", kind="unit", name="pause/1", gone=True, timeout_ms=30000)
        os.waitpid(-1, os.WNOHANG) if False else None
        self.assertTrue(self.gone(pid))

    def gone(self, pid):
        # The scree was started by cairnd (not us): wait for it through a pidfd.
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return True
        import select
        p = select.poll()
        p.register(fd, select.POLLIN)
        ready = p.poll(10000)
        os.close(fd)
        return bool(ready)

    def test_isolation_refresh_and_restarts(self):
        charm = cairnh.make_charm(self.tmp, "probe", dispatch=PROBE, metadata_extra=PROBE_META)
        self.ctl.call("deploy", charm=charm, num_units=2)
        self.ctl.wait_idle()
        for u in ("probe/0", "probe/1"):
            hs = hooks(self.ctl, u)
            self.assertEqual(sorted(hs[-2:]), ["db-pebble-ready", "web-pebble-ready"], hs)
            self.assertEqual(hs[-3], "start", hs)
            own = {c: self.boot_id(u, c) for c in ("web", "db")}
            ready = set()
            for h, c, workload, seen in self.probe_lines(u):
                # Every hook sees this unit's own containers through the ops path, never
                # another unit's.  As under Juju, a hook before a container's pebble-ready
                # may find its Pebble not answering yet (install can run while the container
                # starts); from its pebble-ready on, it must answer.
                if h.endswith("-pebble-ready"):
                    self.assertEqual(workload, h[: -len("-pebble-ready")])
                    ready.add(workload)
                if c in ready or seen != "unanswered":
                    self.assertEqual(seen, own[c], (u, h, c))
        self.assertNotEqual(self.boot_id("probe/0", "web"), self.boot_id("probe/1", "web"))
        # Refresh: upgrade-charm -> config-changed -> pebble-ready for each container, with
        # new boot ids.
        old = self.boot_id("probe/0", "web")
        charm2 = cairnh.make_charm(os.path.join(self.tmp, "v2"), "probe", dispatch=PROBE,
                                   metadata_extra=PROBE_META)
        self.ctl.call("refresh", app="probe", charm=charm2)
        self.ctl.wait_idle()
        hs = hooks(self.ctl, "probe/0")
        i = hs.index("upgrade-charm")
        self.assertEqual(hs[i + 1], "config-changed", hs)
        self.assertEqual(sorted(hs[i + 2:i + 4]), ["db-pebble-ready", "web-pebble-ready"], hs)
        self.assertNotEqual(self.boot_id("probe/0", "web"), old)
        # A scree that dies is restarted: a new boot id, another pebble-ready.
        pipe = cairnh.EventPipe(os.path.join(self.ctl.unit_dir("probe/1"), "notify"))
        os.kill(self.scree_pid("probe/1", "db"), signal.SIGKILL)
        pipe.wait_for("db-pebble-ready", timeout=20)
        pipe.close()
        # The controller crashes: screes keep running and are adopted, not duplicated.
        pids = {(u, c): self.scree_pid(u, c) for u in ("probe/0", "probe/1") for c in ("web", "db")}
        ids = {(u, c): self.boot_id(u, c) for u in ("probe/0", "probe/1") for c in ("web", "db")}
        self.ctl.kill(signal.SIGKILL)
        self.ctl.start()
        self.ctl.wait_idle()
        for k, pid in pids.items():
            self.assertEqual(self.scree_pid(*k), pid)
            self.assertEqual(self.boot_id(*k), ids[k])
        screes = [p for p in os.listdir("/proc") if p.isdigit() and self.is_scree_of(p)]
        self.assertEqual(len(screes), 4, screes)
        # Boot ids live in agent memory: the restarted agent fires pebble-ready again.
        hs = hooks(self.ctl, "probe/0")
        self.assertEqual(sorted(hs[-2:]), ["db-pebble-ready", "web-pebble-ready"], hs)

    def is_scree_of(self, pid):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read()
        except OSError:
            return False
        return ("PEBBLE_SOCKET=" + self.ctl.home).encode() in env


if __name__ == "__main__":
    unittest.main()
