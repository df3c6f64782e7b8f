"""Harness for cairn integration tests: a private $CAIRN_HOME, the real cairnd started in
the foreground (readiness through --ready-fd, no polling) with the machine agent it runs,
the framed JSON protocol of docs/protocol.md, and the built `cairn` CLI.

Cleanup is thorough: kill-controller (which destroys every unit, workload and agent), then
any process still running from the test's home is killed, whatever state the test left."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile

BIN = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
SRC = os.environ.get("SRC_DIR", os.path.join(os.path.dirname(__file__), "../../.."))


_sanitized = None


def sanitized():
    """True in the ASan+UBSan build (`make asan`), where memory figures mean little."""
    global _sanitized
    if _sanitized is None:
        with open(os.path.join(BIN, "cairnd"), "rb") as f:
            _sanitized = b"__asan_init" in f.read()
    return _sanitized


def frame(obj):
    body = json.dumps(obj).encode()
    return struct.pack(">I", len(body)) + body


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_frame(sock):
    (n,) = struct.unpack(">I", read_exact(sock, 4))
    return json.loads(read_exact(sock, n))


class Controller:
    """A cairnd running in a temporary CAIRN_HOME."""

    def __init__(self, env=None, home=None, config=None, log_path=None):
        self.home = home or tempfile.mkdtemp(prefix="cairn-test-")
        # The daemon's stderr; fault tests keep it off the file system they break.
        self.log_path = log_path or os.path.join(self.home, "cairnd-test.log")
        self.env = dict(os.environ)
        self.env["CAIRN_HOME"] = self.home
        if env:
            self.env.update(env)
        # Controller config (cairnd --config): the kernel picks the agents' TCP port, so
        # tests running side by side never collide.
        self.config = {"api-port": "0"}
        self.config.update(config or {})
        self.proc = None

    @property
    def sock_path(self):
        return os.path.join(self.home, "cairnd.sock")

    def start(self):
        r, w = os.pipe()
        with open(self.log_path, "ab") as logf:
            args = [os.path.join(BIN, "cairnd"), "--foreground", "--ready-fd", str(w)]
            for k, v in self.config.items():
                args += ["--config", "%s=%s" % (k, v)]
            self.proc = subprocess.Popen(args, env=self.env, pass_fds=(w,),
                                         stdout=subprocess.DEVNULL, stderr=logf)
        os.close(w)
        got = os.read(r, 1)
        os.close(r)
        if got != b"R":
            raise RuntimeError("cairnd did not start: " + self.daemon_log())
        return self

    def daemon_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def agent_pid(self, machine=0):
        """The pid of the machine agent running from this home, or None."""
        try:
            with open(os.path.join(self.home, "agents", "machine-%d" % machine, "agent.pid")) as f:
                pid = int(f.read())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def destroy(self, timeout=60):
        """kill-controller: everything deployed goes, then the controller exits."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            self.call("shutdown")
        except (OSError, EOFError, CairnError):
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.destroy()
        if self.proc and self.proc.poll() is None:
            self.stop()
        kill_home_processes(self.home)
        shutil.rmtree(self.home, ignore_errors=True)

    def call(self, op, **args):
        """One request; returns the result or raises CairnError."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(120)
        s.connect(self.sock_path)
        try:
            req = {"op": op}
            req.update({k.replace("_", "-"): v for k, v in args.items()})
            s.sendall(frame(req))
            resp = read_frame(s)
        finally:
            s.close()
        if not resp.get("ok"):
            raise CairnError(resp.get("error", ""))
        return resp.get("result")

    def wait_idle(self, kind="model", name="", timeout=60, **cond):
        args = {"kind": kind, "name": name, "idle": True, "timeout_ms": int(timeout * 1000)}
        args.update(cond)
        return self.call("wait-for", **args)

    def unit_dir(self, unit):
        app, num = unit.split("/")
        return os.path.join(self.home, "agents", "unit-%s-%s" % (app, num))

    def cli(self, *args, check=False, input=None, timeout=120):
        p = subprocess.run([os.path.join(BIN, "cairn")] + list(args), env=self.env,
                           capture_output=True, text=True, input=input, timeout=timeout)
        if check and p.returncode != 0:
            raise CairnError("cairn %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        return p


class CairnError(Exception):
    pass


def home_processes(home):
    """Pids of processes started from a test home: their environment or command line names it
    (agents, screes and the services they run, hooks)."""
    me = os.getpid()
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                env = f.read()
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if home.encode() in env or home.encode() in cmd:
            found.append(int(p))
    return found


def _exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])


def without_forks(pids):
    """pids without the short-lived forks of a process: scree writes its state and pushed
    files and runs file jobs in forked copies of itself, and a service or check command is a
    fork of scree until it has executed; each runs its parent's executable.  Processes that
    are gone meanwhile are left out too."""
    out = []
    for p in pids:
        exe, ppid = _exe(p), _ppid(p)
        if exe is None or ppid is None:
            continue
        if _exe(ppid) != exe:
            out.append(p)
    return sorted(out)


def daemon_processes(home, name):
    """Pids of the daemons (agents, screes) named name (their executable's base name) started
    from home, without their own forks (see without_forks)."""
    return [p for p in without_forks(home_processes(home)) if os.path.basename(_exe(p) or "") == name]


def lasting_processes(home, transient=()):
    """home_processes without the processes that come and go by design: the daemons' own forks
    (see without_forks) and commands whose name (/proc/PID/comm) is in transient, such as the
    commands of a charm's health checks."""
    out = []
    for p in without_forks(home_processes(home)):
        try:
            with open("/proc/%d/comm" % p) as f:
                if f.read().strip() in transient:
                    continue
        except OSError:
            continue
        out.append(p)
    return out


def kill_home_processes(home):
    """The last line of defence: SIGKILL whatever still runs from home."""
    for _ in range(3):
        pids = home_processes(home)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in pids:
            wait_gone(pid, 5)


def wait_gone(pid, timeout):
    """Blocks until pid (not our child) has exited, via a pidfd."""
    import select
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return True
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        return bool(p.poll(int(timeout * 1000)))
    finally:
        os.close(fd)


def make_charm(root, name, hooks=None, dispatch=None, config=None, metadata_extra="",
               actions=None):
    """Writes a charm directory and returns its path."""
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "metadata.yaml"), "w") as f:
        f.write("name: %s\nsummary: test charm\ndescription: test charm\n%s" % (name, metadata_extra))
    if config is not None:
        with open(os.path.join(d, "config.yaml"), "w") as f:
            f.write(config)
    if actions is not None:
        with open(os.path.join(d, "actions.yaml"), "w") as f:
            f.write(actions)
    if dispatch is not None:
        p = os.path.join(d, "dispatch")
        with open(p, "w") as f:
            f.write(dispatch)
        os.chmod(p, 0o755)
    for hook, body in (hooks or {}).items():
        os.makedirs(os.path.join(d, "hooks"), exist_ok=True)
        p = os.path.join(d, "hooks", hook)
        with open(p, "w") as f:
            f.write(body)
        os.chmod(p, 0o755)
    return d


# A charm whose dispatch records every event it receives (one line "<unit> <hook>" in
# <unit dir>/events.log, outside the charm dir so refreshes cannot touch it).
RECORDER_DISPATCH = """#!/bin/sh
echo "$JUJU_UNIT_NAME ${JUJU_DISPATCH_PATH#hooks/}" >> "$JUJU_CHARM_DIR/../events.log"
# A test may place a FIFO named "notify" in the unit dir to be told of each event.
[ -p "$JUJU_CHARM_DIR/../notify" ] && echo "${JUJU_DISPATCH_PATH#hooks/}" > "$JUJU_CHARM_DIR/../notify"
case "${JUJU_DISPATCH_PATH#hooks/}" in
start) status-set active "started" ;;
esac
exit 0
"""


class EventPipe:
    """A FIFO a charm writes one line per event to: tests block on real events with a
    deadline instead of polling files."""

    def __init__(self, path):
        import select  # noqa: F401
        self.path = path
        os.mkfifo(path)
        # Open the reading end without blocking, then hold a writing end ourselves so the
        # reader never sees EOF between hooks.
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.wfd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        self.buf = b""

    def next(self, timeout=30):
        import select
        import time
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no event on %s within %ss" % (self.path, timeout))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def wait_for(self, text, timeout=30):
        while self.next(timeout) != text:
            pass

    def close(self):
        # Unlink first: a hook that finds no FIFO writes nowhere instead of blocking.
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        os.close(self.wfd)


def collapse(seq):
    """seq with runs of one item counted once (a hook killed mid-run runs again)."""
    out = []
    for e in seq:
        if not out or out[-1] != e:
            out.append(e)
    return out


def events(ctl, unit):
    try:
        with open(os.path.join(ctl.unit_dir(unit), "events.log")) as f:
            return [l.split(" ", 1)[1] for l in f.read().splitlines()]
    except FileNotFoundError:
        return []


# ---- other hosts: network namespaces ----

class Netns:
    """A host of its own for a test: a network namespace joined to this one by a veth pair,
    with names and a /30 subnet unique to this test run.  Use as a context manager (or call
    cleanup()): the namespace, the veth pair and every process inside go, even when the test
    fails."""

    def __init__(self):
        import random
        tag = "%x%04x" % (os.getpid() % 0xfff, random.randrange(0x10000))
        self.name = "cairn-t%s" % tag
        self.host_if = "cv%sh" % tag[:10]
        self.ns_if = "cv%sn" % tag[:10]
        a, b = random.randrange(64, 250), random.randrange(0, 256)
        base = random.randrange(0, 64) * 4
        self.host_ip = "10.%d.%d.%d" % (a, b, base + 1)
        self.ip = "10.%d.%d.%d" % (a, b, base + 2)
        self.procs = []

    def ip_cmd(self, *args, ns=False):
        cmd = (["ip", "netns", "exec", self.name] if ns else []) + ["ip"] + list(args)
        subprocess.run(cmd, check=True, capture_output=True, timeout=30)

    def __enter__(self):
        try:
            subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True, timeout=30)
            self.ip_cmd("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            self.ip_cmd("link", "set", self.ns_if, "netns", self.name)
            self.ip_cmd("addr", "add", self.host_ip + "/30", "dev", self.host_if)
            self.ip_cmd("link", "set", self.host_if, "up")
            self.ip_cmd("link", "set", "lo", "up", ns=True)
            self.ip_cmd("addr", "add", self.ip + "/30", "dev", self.ns_if, ns=True)
            self.ip_cmd("link", "set", self.ns_if, "up", ns=True)
        except Exception:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def popen(self, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.name] + list(args), **kw)
        self.procs.append(p)
        return p

    def pids(self):
        r = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True)
        return [int(x) for x in r.stdout.split()] if r.returncode == 0 else []

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            wait_gone(pid, 5)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)


class RemoteAgent:
    """`cairn-agent join` on another host (a Netns), with its own home."""

    def __init__(self, netns, home=None):
        self.netns = netns
        self.home = home or tempfile.mkdtemp(prefix="cairn-agent-test-")
        self.proc = None
        self.log_path = os.path.join(self.home, "agent-test.log")

    def join(self, command):
        """Runs the join command add-machine printed ("cairn-agent join ADDR TOKEN")."""
        words = command.split()
        assert words[:2] == ["cairn-agent", "join"], command
        return self._run(["join"] + words[2:4])

    def run(self):
        return self._run(["run"])

    def _run(self, args):
        with open(self.log_path, "ab") as logf:
            self.proc = self.netns.popen([os.path.join(BIN, "cairn-agent")] + args + ["--home", self.home],
                                         stdout=logf, stderr=logf)
        return self.proc

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def unit_dir(self, unit):
        app, num = unit.split("/")
        return os.path.join(self.home, "agents", "unit-%s-%s" % (app, num))

    def cleanup(self):
        self.kill()
        kill_home_processes(self.home)
        shutil.rmtree(self.home, ignore_errors=True)


PROTO_VERSION = 2  # src/proto/agent_proto.h


class AgentClient:
    """Speaks the agent protocol (docs/protocol.md §3) to a controller over TLS, as a machine
    agent would - or as an impostor would, to check what the controller refuses."""

    def __init__(self, address, ca_path):
        import ssl
        host, port = address.rsplit(":", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(ca_path)
        raw = socket.create_connection((host, int(port)), timeout=30)
        self.sock = ctx.wrap_socket(raw, server_hostname="cairn-controller")

    def send(self, obj):
        self.sock.sendall(frame(obj))

    def recv(self):
        return read_frame(self.sock)

    def recv_until(self, type_, limit=10000):
        for _ in range(limit):
            m = self.recv()
            if m["type"] == type_:
                return m
        raise AssertionError("no %s" % type_)

    def join(self, token):
        self.send({"type": "join", "version": PROTO_VERSION, "token": token.split(".")[0], "hostname": "impostor",
                   "addresses": []})
        return self.recv()

    def hello(self, machine, password, version=PROTO_VERSION):
        self.send({"type": "hello", "version": version, "machine": machine, "password": password,
                   "agent-version": "test", "pid": os.getpid(), "hostname": "impostor",
                   "addresses": []})
        return self.recv()

    def close(self):
        self.sock.close()
