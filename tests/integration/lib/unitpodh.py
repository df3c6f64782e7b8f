"""unitpodh - helpers for the integration tests of units as pods (tests/integration/pods): a
controller whose machine agent runs pods (the static scree injected, in the sanitizer build
the normal build's), test images built offline with tools/mkimage.sh, the Pebble API of a
unit's container from the host, and a cleanup that removes everything a test may have left
even when it failed: runc containers, mounts, network namespaces, the bridge, cgroups.

The agent chooses its pod network itself (<machine dir>/pods.json: a name prefix and a bridge
derived from the machine directory, a /24 no route uses), so tests running side by side never
collide."""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import cairnh
import podh

RUNC = podh.RUNC


class PodController(cairnh.Controller):
    """A cairnd whose machine 0 agent runs pods; cleanup() leaves nothing on the host."""

    def __init__(self, **kw):
        env = dict(kw.pop("env", None) or {})
        scree = podh.static_scree()
        if scree and os.path.realpath(scree) != os.path.realpath(os.path.join(cairnh.BIN, "scree")):
            env["CAIRN_CONTAINER_PEBBLE"] = scree
        super().__init__(env=env, **kw)

    @property
    def machine_dir(self):
        return os.path.join(self.home, "agents", "machine-0")

    @property
    def store(self):
        return os.path.join(self.machine_dir, "pods")

    def pods_conf(self):
        try:
            with open(os.path.join(self.machine_dir, "pods.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def runc(self, *args):
        return subprocess.run([RUNC, "--root", os.path.join(self.store, "runc")] + list(args),
                              capture_output=True, text=True, timeout=60)

    def containers(self):
        """{runc id: (pid, status)} of the pods' containers."""
        if not os.path.isdir(os.path.join(self.store, "runc")):
            return {}  # (runc list would create its root)
        r = self.runc("list", "--format", "json")
        if r.returncode != 0 or not r.stdout.strip():
            return {}
        return {c["id"]: (c["pid"], c["status"]) for c in json.loads(r.stdout) or []}

    def leftovers(self, conf=None):
        """What the pods of this controller left on the host, by kind (empty lists when none)."""
        conf = conf or self.pods_conf() or {}
        prefix = conf.get("prefix")
        left = {"containers": sorted(self.containers()),
                "mounts": sorted(m for m in podh.mounts() if m.startswith(self.home))}
        left["netns"] = sorted(n for n in os.listdir("/run/netns") if prefix and n.startswith(prefix)) \
            if os.path.isdir("/run/netns") else []
        left["cgroups"] = sorted(podh.cgroups(prefix)) if prefix else []
        left["processes"] = sorted(podh.processes_in_cgroups(prefix)) if prefix else []
        for kind in ("rootfs", "pods", "images"):
            d = os.path.join(self.store, kind)
            left[kind] = sorted(os.listdir(d)) if os.path.isdir(d) else []
        ipam = os.path.join(self.store, "net", "ipam", conf.get("network", "-"))
        left["addresses"] = sorted(f for f in os.listdir(ipam) if f[0].isdigit()) if os.path.isdir(ipam) else []
        return left

    def bridge_exists(self, conf):
        return subprocess.run(["ip", "link", "show", conf["bridge"]], capture_output=True).returncode == 0

    def cleanup(self):
        conf = self.pods_conf()
        try:
            self.destroy()
        finally:
            if self.proc and self.proc.poll() is None:
                self.stop()
            cairnh.kill_home_processes(self.home)
            host_cleanup(self.home, self.store, conf)
            shutil.rmtree(self.home, ignore_errors=True)


def host_cleanup(home, store, conf):
    """Removes whatever pods under home left: containers, mounts, namespaces, bridge, cgroups."""
    runc_root = os.path.join(store, "runc")
    r = subprocess.run([RUNC, "--root", runc_root, "list", "-q"], capture_output=True, text=True) \
        if os.path.isdir(runc_root) else None
    for cid in r.stdout.split() if r and r.returncode == 0 else []:
        subprocess.run([RUNC, "--root", runc_root, "delete", "--force", cid], capture_output=True)
    for m in sorted((m for m in podh.mounts() if m.startswith(home)), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    if not conf:
        return
    if os.path.isdir("/run/netns"):
        for n in os.listdir("/run/netns"):
            if n.startswith(conf["prefix"]):
                subprocess.run(["ip", "netns", "delete", n], capture_output=True)
    subprocess.run(["ip", "link", "delete", conf["bridge"]], capture_output=True)
    for path in podh.cgroups(conf["prefix"], paths=True):
        try:
            os.rmdir(path)
        except OSError:
            pass


def image(**opts):
    """A test image (built once per test process with tools/mkimage.sh); its paths."""
    return podh.images(None, **opts)


def pebble(ctl, unit, container, method, path, body=None):
    """One Pebble API call on a unit's container socket, from the host."""
    sock = os.path.join(ctl.unit_dir(unit), "containers", container, "pebble.socket")
    return podh.pebble(sock, method, path, body)


def hooks(ctl, unit):
    entries = ctl.call("show-status-log", unit=unit, n=500)["entries"]
    return [e["status"] for e in entries if e["type"] == "hook"]


def workload(ctl, unit):
    u = ctl.call("status")["applications"][unit.split("/")[0]]["units"][unit]
    return u["workload-status"]["current"], u["workload-status"].get("message", "")


def wait_for(pred, timeout=60, what="condition"):
    """Waits for pred() to hold, on an event the test cannot block on otherwise (a file the
    agent writes): checks at 50 ms steps with a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


# A charm that records, in each hook, what the hook sees from inside the unit's pod network:
# its address on eth0, and its workload on localhost (one JSON line per hook in
# <unit dir>/probe.log).
PROBE_DISPATCH = r"""#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
addr=$(ip -4 -o addr show eth0 2>/dev/null | awk '{print $4}')
page=$(curl -s --max-time 5 http://localhost:8080/index.html | tr -d '\n\r"\\')
# unit-get where the agent serves it (the relations work adds the tool): the pod's address.
ug=$(command -v unit-get >/dev/null 2>&1 && unit-get private-address 2>/dev/null | tr -d '\n"')
printf '{"hook":"%s","addr":"%s","page":"%s","unit_get":"%s"}\n' "$h" "$addr" "$page" "$ug" >> "$JUJU_CHARM_DIR/../probe.log"
case "$h" in
web-pebble-ready)
  curl -s --max-time 30 --unix-socket /charm/containers/web/pebble.socket -XPOST \
    -d '{"action":"autostart"}' http://localhost/v1/services > /dev/null
  status-set active ready ;;
esac
# A test may place a FIFO named "notify" in the unit dir to be told of each hook.
[ -p "$JUJU_CHARM_DIR/../notify" ] && echo "$h" > "$JUJU_CHARM_DIR/../notify"
exit 0
"""

PROBE_META = """containers:
  web: {resource: web-image}
resources:
  web-image: {type: oci-image}
"""


def probe_log(ctl, unit):
    try:
        with open(os.path.join(ctl.unit_dir(unit), "probe.log")) as f:
            return [json.loads(l) for l in f.read().splitlines()]
    except FileNotFoundError:
        return []


class PodTestCase(unittest.TestCase):
    """Base class: a pod-running controller (cleaned up even on failure), a scratch dir."""

    @classmethod
    def tearDownClass(cls):
        podh.cleanup_images()

    def setUp(self):
        podh.require_pods(self)
        self.tmp = tempfile.mkdtemp(prefix="cairn-pods-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ctl = PodController().start()
        self.addCleanup(self.ctl.cleanup)

    def probe_charm(self, name="probe", dispatch=PROBE_DISPATCH, meta=PROBE_META):
        return cairnh.make_charm(self.tmp, name, dispatch=dispatch, metadata_extra=meta)

    def assertNothingLeft(self, keep=()):
        left = self.ctl.leftovers()
        for k in keep:
            left.pop(k, None)
        self.assertEqual({k: v for k, v in left.items() if v}, {}, "left behind")
