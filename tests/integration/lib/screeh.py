"""screeh - helpers for scree integration tests: start a real daemon in a temporary
$PEBBLE directory, talk to it over its UNIX socket the way ops.pebble does (http.client
with a unix-socket connection), run the CLI, and read the daemon log."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from datetime import datetime, timezone

BIN_DIR = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
SCREE = os.path.join(BIN_DIR, "scree")
START_DEADLINE = 10.0


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a UNIX socket, as ops.pebble's _UnixSocketConnection."""

    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.socket_path)
        self.sock = s


def request_on(conn, method, path, body=None, headers=None):
    """Sends one request on conn; returns (status, reason, headers, parsed JSON or raw text)."""
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        hdrs.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    raw = resp.read()
    ctype = resp.getheader("Content-Type", "")
    payload = raw.decode("utf-8", "replace")
    if ctype == "application/json":
        payload = json.loads(raw)
    return resp.status, resp.reason, resp, payload


class Daemon:
    """One `scree run` in its own $PEBBLE directory."""

    def __init__(self, layers=None, args=(), env=None, pebble_dir=None, keep_dir=False, preexec_fn=None):
        self.dir = pebble_dir or tempfile.mkdtemp(prefix="scree-test-")
        self.keep_dir = keep_dir
        self.socket = os.path.join(self.dir, ".pebble.socket")
        os.makedirs(os.path.join(self.dir, "layers"), exist_ok=True)
        for name, text in (layers or {}).items():
            path = os.path.join(self.dir, "layers", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        self.env = dict(os.environ)
        self.env["PEBBLE"] = self.dir
        self.env.pop("PEBBLE_SOCKET", None)
        self.env.update(env or {})
        self.args = list(args)
        self.preexec_fn = preexec_fn  # e.g. drop_to(uid): run the daemon as another user
        self.proc = None
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.out_path = os.path.join(self.dir, "daemon.out")

    def start(self, wait=True):
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self.logf = open(self.log_path, "ab")
        self.outf = open(self.out_path, "ab")
        self.proc = subprocess.Popen([SCREE, "run"] + self.args, env=self.env,
                                     stdout=self.outf, stderr=self.logf, preexec_fn=self.preexec_fn)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited with %s:\n%s" % (self.proc.returncode, self.log()))
            if "Started daemon." in self.log():
                return
            time.sleep(0.01)
        raise AssertionError("daemon did not start:\n" + self.log())

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(getattr(self, "log_offset", 0))
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10.0, count=1):
        """Polls the daemon log until pattern (regex) matches count times."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.log())) >= count:
                return
            time.sleep(0.01)
        raise AssertionError("log never matched %r %d times:\n%s" % (pattern, count, self.log()))

    def conn(self, timeout=30):
        return UnixHTTPConnection(self.socket, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = self.conn(timeout)
        try:
            return request_on(c, method, path, body, headers)
        finally:
            c.close()

    def get(self, path):
        status, _, _, payload = self.request("GET", path)
        return status, payload

    def post(self, path, body):
        status, _, _, payload = self.request("POST", path, body)
        return status, payload

    def add_layer(self, label, yaml_text, combine=False):
        return self.post("/v1/layers", {"action": "add", "label": label, "combine": combine,
                                        "format": "yaml", "layer": yaml_text})

    def services_action(self, action, names=()):
        return self.post("/v1/services", {"action": action, "services": list(names)})

    def wait_change(self, change_id, timeout="30s"):
        status, payload = self.get("/v1/changes/%s/wait?timeout=%s" % (change_id, timeout))
        assert status == 200, payload
        return payload["result"]

    def run_action(self, action, names=()):
        status, payload = self.services_action(action, names)
        assert status == 202, payload
        return self.wait_change(payload["change"])

    def service(self, name):
        status, payload = self.get("/v1/services?names=" + name)
        assert status == 200, payload
        return payload["result"][0] if payload["result"] else None

    def cli(self, *args, check=False, timeout=60, preexec_fn=None):
        r = subprocess.run([SCREE] + list(args), env=self.env, capture_output=True, text=True,
                           timeout=timeout, preexec_fn=preexec_fn)
        if check and r.returncode != 0:
            raise AssertionError("scree %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the daemon and returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.logf.close()
        self.outf.close()
        self.proc = None
        return code

    def wait_exit(self, timeout=30):
        code = self.proc.wait(timeout)
        self.logf.close()
        self.outf.close()
        self.proc = None
        return code

    def cleanup(self):
        if self.proc is not None:
            self.stop()
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class DaemonTest(unittest.TestCase):
    """Base class: self.start_daemon() returns a started daemon cleaned up after the test."""

    def start_daemon(self, **kw):
        d = Daemon(**kw)
        self.addCleanup(d.cleanup)
        return d.start()

    def temp_file(self, text, suffix=".yaml"):
        """A temporary file holding text, removed after the test."""
        fd, path = tempfile.mkstemp(suffix=suffix)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def assertError(self, status, payload, code, message, kind=None):
        self.assertEqual(status, code, payload)
        self.assertEqual(payload["type"], "error")
        self.assertEqual(payload["status-code"], code)
        self.assertEqual(payload["result"]["message"], message)
        if kind is None:
            self.assertNotIn("kind", payload["result"])
        else:
            self.assertEqual(payload["result"]["kind"], kind)


def log_times(log, pattern):
    """Timestamps (seconds since the epoch) of daemon log lines matching pattern: the
    daemon's own clock, which a slow client does not skew."""
    out = []
    for line in log.splitlines():
        if re.search(pattern, line):
            ts = datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
            out.append(ts.timestamp())
    return out


def rfc3339(s):
    """Seconds since the epoch of an API time ("2024-05-01T10:11:12.123456789Z")."""
    base, frac = s[:19], s[19:].rstrip("Z")
    t = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return t + (float("0" + frac) if frac else 0.0)


SCREE_JOBS = ("scree-state", "scree-push", "scree-files")  # scree's own short-lived jobs (lib/forkjob.h)


def children_of(pid, jobs=False):
    """Pids whose parent is pid (from /proc), with their state letter; scree's own writer
    processes (forked copies of the daemon, named in SCREE_JOBS once they run) only with
    jobs=True."""
    out = []
    try:
        daemon_exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        daemon_exe = None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        if int(rest[1]) != pid:
            continue
        if not jobs:
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            try:
                # Just forked, a job has not named itself yet: it is still the daemon's exe.
                same_exe = daemon_exe is not None and os.readlink("/proc/%s/exe" % entry) == daemon_exe
            except OSError:
                same_exe = False
            if comm in SCREE_JOBS or (same_exe and rest[0] != "Z"):
                continue
        out.append((int(entry), rest[0]))
    return out


def wait_exited(pids, timeout=10.0):
    """Waits (pidfd, no polling) until every pid in pids has exited or timeout has passed;
    returns the ones still running.  A process killed with SIGKILL is still listed as running
    until the kernel has scheduled it to die, which a loaded machine may take a while to do."""
    import select
    deadline = time.monotonic() + timeout
    left = []
    for pid in pids:
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue  # gone already
        try:
            p = select.poll()
            p.register(fd, select.POLLIN)
            if not p.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                left.append(pid)
        finally:
            os.close(fd)
    return left


def drop_to(uid, gid=None):
    """A preexec_fn that switches a child process to uid (and gid, default uid)."""
    def drop():
        os.setgroups([])
        os.setgid(uid if gid is None else gid)
        os.setuid(uid)
    return drop


def requests_as(uid, socket_path, calls):
    """Runs calls [(method, path, body, headers)] over the UNIX socket from a forked child
    switched to uid; returns [[status, payload], ...].  The socket's directory must be
    searchable by uid."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            drop_to(uid)()
            out = []
            for method, path, body, headers in calls:
                c = UnixHTTPConnection(socket_path, timeout=10)
                status, _, _, payload = request_on(c, method, path, body, headers)
                c.close()
                out.append([status, payload])
            os.write(w, json.dumps(out).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise AssertionError("client as uid %d failed" % uid)
    return json.loads(data)


def basic_auth(user, password):
    """An Authorization header for HTTP basic auth."""
    import base64
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def sha512_crypt(password):
    """A sha512-crypt hash of password, as `openssl passwd -6` makes it."""
    return subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True,
                          text=True, check=True).stdout.strip()
