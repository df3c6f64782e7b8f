#!/usr/bin/python3
"""A stand-in for cairnd that speaks the CLI <-> controller protocol (docs/protocol.md §1).

The CLI tests copy the cairn binary into a temporary directory and install this script
beside it as `cairnd`, so the CLI's discovery, auto-start (--daemon --ready-fd N), framing,
request building and output formatting can be checked without the real controller.

It records every request as one JSON line in $CAIRN_HOME/requests.jsonl, answers from canned
data (a status document can be supplied in $CAIRN_HOME/status.json), and exits after the
`shutdown` op, closing every connection.  FAKE_CAIRND_FAIL=<n> makes it exit with status n
before reporting ready.
"""
import json
import os
import socket
import struct
import sys
import threading

HOME = os.environ.get("CAIRN_HOME") or os.path.expanduser("~/.local/share/cairn")
SOCK = os.path.join(HOME, "cairnd.sock")

DEFAULT_STATUS = {
    "model": {"name": "default", "type": "iaas", "controller": "cairn", "cloud": "localhost",
              "region": "localhost", "version": "3.6.8",
              "model-status": {"current": "available", "since": "2024-05-01T12:00:00Z"},
              "sla": "unsupported"},
    "machines": {"0": {"juju-status": {"current": "started", "since": "2024-05-01T12:00:00Z"},
                       "dns-name": "127.0.0.1", "instance-id": "localhost-0",
                       "base": {"name": "debian", "channel": "12"}}},
    "applications": {"hello": {
        "charm": "local:hello-1", "charm-name": "hello", "charm-rev": 1, "exposed": False,
        "scale": 1,
        "application-status": {"current": "active", "message": "ready"},
        "units": {"hello/0": {
            "workload-status": {"current": "active", "message": "ready"},
            "juju-status": {"current": "idle"}, "leader": True, "machine": "0",
            "public-address": "127.0.0.1", "open-ports": ["80/tcp"]}}}},
    "controller": {"timestamp": "2024-05-01T12:34:56Z"},
}

CONFIG = {
    "application": "hello", "charm": "hello",
    "settings": {
        "port": {"default": 8080, "description": "Port.", "source": "default", "type": "int",
                 "value": 8080},
        "greeting": {"default": "hi", "description": "What to say.", "source": "user",
                     "type": "string", "value": "hello world"},
        "debug": {"default": False, "description": "Debug.", "source": "default",
                  "type": "boolean", "value": False},
    },
}

MODEL_CONFIG = {
    "update-status-hook-interval": {"default": "5m", "source": "model", "value": "10s"},
    "automatically-retry-hooks": {"default": True, "source": "default", "value": True},
    "logging-config": {"default": "", "source": "default", "value": ""},
}

lock = threading.Lock()
conns = []


def send(c, obj):
    data = json.dumps(obj).encode()
    c.sendall(struct.pack(">I", len(data)) + data)


def recv(c):
    hdr = b""
    while len(hdr) < 4:
        chunk = c.recv(4 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    (n,) = struct.unpack(">I", hdr)
    body = b""
    while len(body) < n:
        chunk = c.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return json.loads(body)


def result(op, req):
    """Returns (ok, value) for a request."""
    app = req.get("app")
    if app == "broken" or "broken" in req.get("apps", []):
        return False, 'application "broken" not found'
    if op == "ping":
        return True, {"version": "3.6.8", "pid": os.getpid(), "model": "default",
                      "model-uuid": "00000000-0000-0000-0000-000000000000"}
    if op == "status":
        path = os.path.join(HOME, "status.json")
        if os.path.exists(path):
            with open(path) as f:
                return True, json.load(f)
        return True, DEFAULT_STATUS
    if op == "deploy":
        name = app or os.path.basename(req["charm"]).split(".")[0]
        return True, {"application": name,
                      "units": ["%s/%d" % (name, i) for i in range(req.get("num-units", 1))]}
    if op == "add-unit":
        return True, {"units": ["%s/%d" % (app, 1 + i) for i in range(req["num-units"])]}
    if op == "remove-unit":
        return True, {"units": req["units"]}
    if op == "remove-application":
        return True, {"applications": req["apps"]}
    if op == "config-get":
        return True, dict(CONFIG, application=app)
    if op == "refresh":
        return True, {"application": app, "revision": 2}
    if op == "model-config":
        return True, MODEL_CONFIG
    if op == "show-status-log":
        return True, {"entries": [
            {"time": "2024-05-01T12:00:00Z", "type": "juju-unit", "status": "allocating",
             "message": ""},
            # cairnd sends nanoseconds since the epoch; RFC 3339 text is accepted too.
            {"time": 1714564805500000000, "type": "workload", "status": "maintenance",
             "message": "installing charm software"}]}
    if op == "wait-for":
        if req.get("timeout-ms", 1) == 0:
            return False, "timed out waiting for %s %s" % (req["kind"], json.dumps(req["name"]))
        return True, {}
    return True, {}


def serve(c):
    try:
        while True:
            req = recv(c)
            if req is None:
                return
            with lock:
                with open(os.path.join(HOME, "requests.jsonl"), "a") as f:
                    f.write(json.dumps(req) + "\n")
            op = req.get("op")
            if op == "debug-log":
                send(c, {"ok": True, "lines": ["unit-hello-0: 12:00:00 INFO juju.worker.uniter one",
                                               "unit-hello-0: 12:00:01 INFO juju.worker.uniter two"]})
                send(c, {"ok": True, "lines": ["machine-0: 12:00:02 INFO juju three"],
                         "end": True})
                continue
            if op == "shutdown":
                send(c, {"ok": True, "result": {}})
                try:
                    os.unlink(SOCK)
                except FileNotFoundError:
                    pass
                # Exiting closes every connection: the CLI waits for exactly that EOF.
                os._exit(0)
            ok, value = result(op, req)
            send(c, {"ok": True, "result": value} if ok else {"ok": False, "error": value})
    except (OSError, ValueError):
        return
    finally:
        c.close()


def main():
    args = sys.argv[1:]
    if "--daemon" not in args or "--ready-fd" not in args:
        print("usage: cairnd --daemon --ready-fd N", file=sys.stderr)
        sys.exit(2)
    ready_fd = int(args[args.index("--ready-fd") + 1])
    fail = os.environ.get("FAKE_CAIRND_FAIL")
    if fail:
        print("fake cairnd: failing on purpose", file=sys.stderr)
        sys.exit(int(fail))
    os.makedirs(HOME, exist_ok=True)
    try:
        os.unlink(SOCK)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCK)
    srv.listen(16)
    with open(os.path.join(HOME, "cairnd.pid"), "w") as f:
        f.write(str(os.getpid()))
    print("fake cairnd listening on %s" % SOCK, file=sys.stderr, flush=True)
    os.write(ready_fd, b"R")
    os.close(ready_fd)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
