"""podh - helpers for the pod integration tests: test images built offline with
tools/mkimage.sh, a podctl driver process (the pod module on its own loop, as the agent will
run it), host-side checks (the scree socket, the pod address, `ip netns exec`), and a cleanup
that removes everything a test may have left even when it failed: runc containers, mounts,
network namespaces, the bridge, cgroups, the store.

Every name a test creates on the host is unique per run: a random prefix for namespaces and
cgroups, a bridge named after it, and a /24 no route on this machine already uses."""

import http.client
import ipaddress
import json
import os
import queue
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

SRC_DIR = os.environ.get("SRC_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
BIN_DIR = os.environ.get("BIN_DIR", os.path.join(SRC_DIR, "build/bin"))
PODCTL = os.path.abspath(os.path.join(BIN_DIR, "..", "tests", "cairn-podctl"))
MKIMAGE = os.path.abspath(os.path.join(SRC_DIR, "tools", "mkimage.sh"))
RUNC = shutil.which("runc") or "/usr/sbin/runc"
EVENT_TIMEOUT = 30.0


def is_static_elf(path):
    """True for an ELF executable without a program interpreter (PT_INTERP)."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return False
            phoff = int.from_bytes(head[32:40], "little")
            phentsize = int.from_bytes(head[54:56], "little")
            phnum = int.from_bytes(head[56:58], "little")
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                if int.from_bytes(f.read(4), "little") == 3:
                    return False
            return True
    except OSError:
        return False


def static_scree():
    """The static scree to inject: this build's, or (in a sanitizer build, whose scree is
    dynamic) the normal build's.  None when there is none."""
    for cand in (os.path.join(BIN_DIR, "scree"), os.path.join(SRC_DIR, "build", "bin", "scree")):
        if is_static_elf(cand):
            return os.path.abspath(cand)
    return None


def require_pods(tc):
    """Skips (loudly) where pods cannot run: not root, or no static scree."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("pod tests need root (runc, mounts, network namespaces)")
    if not static_scree():
        raise unittest.SkipTest("no statically linked scree (build/bin/scree) to inject into containers")
    for tool in ("runc", "umoci", "skopeo", "ip"):
        if not shutil.which(tool):
            raise AssertionError("%s is missing: run sh tools/deps.sh" % tool)


# ---- images ----

_image_cache = {}


def build_image(out_dir, **opts):
    """Runs tools/mkimage.sh; returns {"layout", "oci_archive", "docker_archive"}."""
    args = ["sh", MKIMAGE, "--out", out_dir]
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            args.append(flag)
        elif isinstance(v, (list, tuple)):
            for item in v:
                args += [flag, item]
        else:
            args += [flag, str(v)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("mkimage failed: %s %s" % (r.stdout, r.stderr))
    name = opts.get("name", "web")
    return {
        "layout": os.path.join(out_dir, name + ".oci"),
        "oci_archive": os.path.join(out_dir, name + ".oci.tar"),
        "docker_archive": os.path.join(out_dir, name + ".docker.tar"),
    }


def images(tc, **opts):
    """Test images built once per test process (in the test itself, from Debian packages)."""
    key = json.dumps(opts, sort_keys=True)
    if key not in _image_cache:
        d = tempfile.mkdtemp(prefix="pod-images-")
        _image_cache[key] = build_image(d, **opts)
    return _image_cache[key]


def cleanup_images():
    for v in _image_cache.values():
        shutil.rmtree(os.path.dirname(v["layout"]), ignore_errors=True)
    _image_cache.clear()


# ---- host names ----

def free_subnet():
    """A 10.x.y.0/24 that no route on this machine overlaps."""
    out = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    used = []
    for line in out.splitlines():
        tok = line.split()[0] if line.split() else ""
        if tok in ("local", "broadcast", "unreachable", "blackhole", "prohibit"):
            tok = line.split()[1]
        try:
            used.append(ipaddress.ip_network(tok, strict=False))
        except ValueError:
            pass
    for _ in range(200):
        net = ipaddress.ip_network("10.%d.%d.0/24" % (random.randint(100, 250), random.randint(0, 255)))
        if not any(net.overlaps(u) for u in used):
            return str(net)
    raise AssertionError("no free /24 in 10.0.0.0/8")


# ---- the driver ----

class Driver:
    """One podctl process: send() commands, wait() for events."""

    def __init__(self, env, subreaper=False):
        self.env = env
        args = [PODCTL, "--store", env.store, "--scree", env.scree, "--prefix", env.prefix,
                "--bridge", env.bridge, "--subnet", env.subnet, "--network", env.prefix + "net"]
        if subreaper:
            args.append("--subreaper")
        self.errf = open(os.path.join(env.root, "podctl.err"), "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errf,
                                     text=True, bufsize=1)
        self.events = queue.Queue()
        self.seen = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        hello = self.wait(lambda e: e["event"] in ("hello", "error"))
        if hello["event"] != "hello":
            raise AssertionError("podctl did not start: %s" % hello)

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.events.put({"event": "garbage", "line": line})
        self.events.put({"event": "eof"})

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def wait(self, pred, timeout=EVENT_TIMEOUT, what=None):
        """Returns the first event (already seen and unconsumed, or new) matching pred."""
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.seen):
            if pred(e):
                return self.seen.pop(i)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no event %s within %.0f s; pending: %s" % (what or "", timeout, self.seen))
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if e["event"] == "eof":
                self.seen.append(e)
                if pred(e):
                    return self.seen.pop()
                raise AssertionError("podctl exited while waiting for %s; seen: %s" % (what or "", self.seen))
            if pred(e):
                return e
            self.seen.append(e)

    def event(self, kind, pod=None, container=None, timeout=EVENT_TIMEOUT):
        return self.wait(lambda e: e["event"] == kind and (pod is None or e.get("pod") == pod)
                         and (container is None or e.get("container") == container), timeout,
                         what="%s %s/%s" % (kind, pod, container))

    def no_event(self, kind, pod=None, container=None):
        return not any(e["event"] == kind and (pod is None or e.get("pod") == pod)
                       and (container is None or e.get("container") == container) for e in self.seen)

    def import_image(self, path, tag="t"):
        self.send(cmd="import", tag=tag, path=path)
        return self.wait(lambda e: e["event"] == "imported" and e["tag"] == tag, what="import " + path)

    def start_pod(self, pod, containers, restart=True, hostname=None):
        d = os.path.join(self.env.volumes, pod)
        cmd = dict(cmd="start", pod=pod, dir=d, restart=restart, containers=containers)
        if hostname:
            cmd["hostname"] = hostname
        self.send(**cmd)
        ev = self.wait(lambda e: e["event"] in ("started", "error"), what="start " + pod)
        if ev["event"] != "started":
            raise AssertionError("start %s: %s" % (pod, ev))
        return d

    def ready(self, pod, names, timeout=EVENT_TIMEOUT):
        """Waits for READY of every container; returns {name: event}."""
        return {n: self.event("ready", pod, n, timeout) for n in names}

    def remove_pod(self, pod, timeout=60):
        self.send(cmd="remove", pod=pod)
        return self.event("removed", pod, timeout=timeout)

    def sync(self):
        self.send(cmd="sync")
        self.event("synced")

    def info(self, pod, container=None):
        self.send(cmd="info", pod=pod, container=container)
        return self.wait(lambda e: e["event"] in ("info", "error"))

    def refs(self, digest):
        self.send(cmd="refs", digest=digest)
        return self.event("refs")

    def exit(self):
        """A clean supervisor stop: pods keep running."""
        if self.proc.poll() is None:
            self.send(cmd="exit")
            self.proc.wait(30)
        self._close()

    def crash(self):
        """SIGKILL, as a supervisor crash."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        self._close()

    def _close(self):
        for f in (self.proc.stdin, self.errf):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        self.reader.join(5)
        self.proc.stdout.close()


# ---- talking to a container ----

class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path_ = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path_)
        self.sock = s


def pebble(sock, method, path, body=None, timeout=30):
    """One Pebble API call over the container's socket from the host; (status, payload)."""
    c = UnixHTTP(sock, timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        raw = r.read()
        try:
            return r.status, json.loads(raw)
        except ValueError:
            return r.status, raw
    finally:
        c.close()


def pebble_wait_change(sock, change_id):
    status, payload = pebble(sock, "GET", "/v1/changes/%s/wait?timeout=30s" % change_id, timeout=40)
    assert status == 200, payload
    return payload["result"]


class Pebble:
    """A container's Pebble API from the host, shaped like screeh.Daemon (socket, get, post,
    wait_change) so the exec helpers of wsh drive it as ops would."""

    def __init__(self, sock):
        self.socket = sock

    def get(self, path):
        return pebble(self.socket, "GET", path)

    def post(self, path, body):
        return pebble(self.socket, "POST", path, body)

    def wait_change(self, change_id, timeout="30s"):
        status, payload = pebble(self.socket, "GET", "/v1/changes/%s/wait?timeout=%s" % (change_id, timeout),
                                 timeout=60)
        assert status == 200, payload
        return payload["result"]


def http_get(host, port, path, timeout=5):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def netns_exec(netns_name, *argv, timeout=20):
    return subprocess.run(["ip", "netns", "exec", netns_name] + list(argv), capture_output=True, text=True,
                          timeout=timeout)


# ---- the per-test environment ----

class PodEnv:
    """Unique names, a store, and the teardown of anything left behind."""

    def __init__(self):
        tag = "%04x" % random.randint(0, 0xffff)
        self.prefix = "cpt%s-" % tag
        self.bridge = "cpt%sbr" % tag
        self.subnet = free_subnet()
        self.root = tempfile.mkdtemp(prefix="pod-test-")
        self.store = os.path.join(self.root, "store")
        self.volumes = os.path.join(self.root, "volumes")
        self.scree = static_scree()
        self.drivers = []

    def driver(self, subreaper=False):
        d = Driver(self, subreaper=subreaper)
        self.drivers.append(d)
        return d

    def netns_name(self, pod):
        return self.prefix + pod

    # What is left on the host, by kind (each a sorted list).
    def leftovers(self):
        left = {}
        r = subprocess.run([RUNC, "--root", os.path.join(self.store, "runc"), "list", "-q"], capture_output=True,
                           text=True)
        left["containers"] = sorted(r.stdout.split()) if r.returncode == 0 else []
        left["mounts"] = sorted(m for m in mounts() if m.startswith(self.root))
        left["netns"] = sorted(n for n in os.listdir("/run/netns") if n.startswith(self.prefix)) \
            if os.path.isdir("/run/netns") else []
        left["cgroups"] = sorted(cgroups(self.prefix))
        rootfs = os.path.join(self.store, "rootfs")
        left["rootfs"] = sorted(os.listdir(rootfs)) if os.path.isdir(rootfs) else []
        pods = os.path.join(self.store, "pods")
        left["pods"] = sorted(os.listdir(pods)) if os.path.isdir(pods) else []
        left["volumes"] = sorted(os.listdir(self.volumes)) if os.path.isdir(self.volumes) else []
        ipam = os.path.join(self.store, "net", "ipam", self.prefix + "net")
        left["addresses"] = sorted(f for f in os.listdir(ipam) if f[0].isdigit()) if os.path.isdir(ipam) else []
        left["processes"] = sorted(processes_in_cgroups(self.prefix))
        return left

    def cleanup(self):
        for d in self.drivers:
            d.crash()
        runc_root = os.path.join(self.store, "runc")
        r = subprocess.run([RUNC, "--root", runc_root, "list", "-q"], capture_output=True, text=True)
        for cid in r.stdout.split() if r.returncode == 0 else []:
            subprocess.run([RUNC, "--root", runc_root, "delete", "--force", cid], capture_output=True)
        for m in sorted((m for m in mounts() if m.startswith(self.root)), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        if os.path.isdir("/run/netns"):
            for n in os.listdir("/run/netns"):
                if n.startswith(self.prefix):
                    subprocess.run(["ip", "netns", "delete", n], capture_output=True)
        subprocess.run(["ip", "link", "delete", self.bridge], capture_output=True)
        for path in cgroups(self.prefix, paths=True):
            try:
                os.rmdir(path)
            except OSError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def mounts():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4].replace("\\040", " ") for line in f]


def cgroups(prefix, paths=False):
    found = []
    base = "/sys/fs/cgroup"
    for hier in os.listdir(base) if os.path.isdir(base) else []:
        d = os.path.join(base, hier)
        try:
            for n in os.listdir(d):
                if n.startswith(prefix):
                    found.append(os.path.join(d, n) if paths else n)
        except OSError:
            pass
    return found if paths else sorted(set(found))


def processes_in_cgroups(prefix):
    """Live pids in a cgroup whose name starts with prefix (this test's containers).  Zombies
    do not count: a dead container init waits there for whoever reaps it (this machine's
    pid 1 when the supervisor is not a subreaper)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open("/proc/%s/cgroup" % pid) as f:
                if any(line.rstrip().split(":", 2)[-1].lstrip("/").startswith(prefix) for line in f):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


class PodTest(unittest.TestCase):
    """Base class: self.env (unique names, cleaned up even on failure), self.driver()."""

    @classmethod
    def tearDownClass(cls):
        cleanup_images()

    def setUp(self):
        require_pods(self)
        self.env = PodEnv()
        self.addCleanup(self.env.cleanup)

    def driver(self, **kw):
        return self.env.driver(**kw)

    def assertNothingLeft(self, keep=()):
        left = self.env.leftovers()
        for k in keep:
            left.pop(k, None)
        self.assertEqual({k: v for k, v in left.items() if v}, {}, "left behind")
