"""mixedload - a mixed Pebble API workload for scree's memory figure (scree_bench.py): files
push, pull and list, exec with its three websockets and the change wait, checks and
health, notices (add and list), layers and plan, services and changes, one plain
HTTP/1.1 client on the UNIX socket doing blocking I/O.  Every HTTP request (websocket
upgrades included) counts as one request."""

import base64
import json
import os
import socket
import struct

LAYER = """
services:
    svc:
        override: replace
        command: sleep 100000
        environment:
            ROUND: "%d"
checks:
    chk:
        override: replace
        period: 200ms
        exec:
            command: "true"
"""


class Conn:
    """One kept-alive HTTP/1.1 connection on a UNIX socket."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""

    def _connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.path)
        self.buf = b""

    def _read_more(self):
        d = self.sock.recv(1 << 16)
        if not d:
            raise ConnectionError("closed")
        self.buf += d

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            self._read_more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        return status, hdrs

    def _read_body(self, hdrs):
        if hdrs.get("transfer-encoding") == "chunked":
            out = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._read_more()
                line, self.buf = self.buf.split(b"\r\n", 1)
                n = int(line.split(b";")[0], 16)
                while len(self.buf) < n + 2:
                    self._read_more()
                out += self.buf[:n]
                self.buf = self.buf[n + 2:]
                if n == 0:
                    return out
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            self._read_more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, method, url, body=b"", ctype="application/json", extra=""):
        if self.sock is None:
            self._connect()
        if isinstance(body, str):
            body = body.encode()
        head = "%s %s HTTP/1.1\r\nHost: localhost\r\n%s" % (method, url, extra)
        if body or method == "POST":
            head += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(body))
        self.sock.sendall(head.encode() + b"\r\n" + body)
        status, hdrs = self._read_head()
        data = self._read_body(hdrs)
        if hdrs.get("connection") == "close":
            self.close()
        return status, data

    def json(self, method, url, obj=None):
        status, data = self.request(method, url, json.dumps(obj) if obj is not None else b"")
        return status, json.loads(data)

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None


def ws_open(path, url):
    """A websocket on its own connection (as ops opens each); returns the socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (url, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise ConnectionError("websocket refused")
        buf += d
    if not buf.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(buf.split(b"\r\n")[0].decode())
    return s, buf.split(b"\r\n\r\n", 1)[1]


def ws_send_text(s, text):
    data = text.encode()
    mask = os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def ws_until_end(s, buf):
    """Reads frames until a text frame (the end command)."""
    while True:
        while len(buf) < 2:
            buf += s.recv(65536)
        op, ln = buf[0] & 0x0F, buf[1] & 0x7F
        off = 2
        if ln == 126:
            while len(buf) < 4:
                buf += s.recv(65536)
            ln, off = struct.unpack(">H", buf[2:4])[0], 4
        elif ln == 127:
            while len(buf) < 10:
                buf += s.recv(65536)
            ln, off = struct.unpack(">Q", buf[2:10])[0], 10
        while len(buf) < off + ln:
            buf += s.recv(65536)
        buf = buf[off + ln:]
        if op == 1:
            return


def multipart_push(path, data):
    b = os.urandom(16).hex()
    meta = json.dumps({"action": "write", "files": [{"path": path}]})
    body = ("--%s\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n"
            "%s\r\n--%s\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n\r\n"
            % (b, meta, b, path)).encode() + data + ("\r\n--%s--\r\n" % b).encode()
    return body, 'multipart/form-data; boundary="%s"' % b


class Workload:
    def __init__(self, sock, files_dir):
        self.sock = sock
        self.c = Conn(sock)
        self.files_dir = files_dir
        self.count = 0
        self.round = 0
        self.failures = 0

    def _ok(self, status, want=(200, 202)):
        self.count += 1
        if status not in want:
            self.failures += 1

    def exec_true(self):
        status, r = self.c.json("POST", "/v1/exec", {"command": ["/bin/true"], "environment": {},
                                                    "split-stderr": True, "service-context": None})
        self._ok(status)
        if status != 202:
            return
        base = "/v1/tasks/%s/websocket/" % r["result"]["task-id"]
        socks = []
        for ws in ("control", "stdio", "stderr"):
            socks.append(ws_open(self.sock, base + ws))
            self._ok(200)
        ws_send_text(socks[1][0], '{"command":"end"}')
        ws_until_end(*socks[1])
        ws_until_end(*socks[2])
        status, _ = self.c.json("GET", "/v1/changes/%s/wait?timeout=10s" % r["change"])
        self._ok(status)
        for s, _ in socks:
            s.close()

    def cycle(self):
        i = self.round
        self.round += 1
        path = os.path.join(self.files_dir, "f%d" % (i % 50))
        body, ctype = multipart_push(path, os.urandom(4096))
        self._ok(self.c.request("POST", "/v1/files", body, ctype)[0])
        self._ok(self.c.request("GET", "/v1/files?action=read&path=" + path,
                                extra="Accept: multipart/form-data\r\n")[0])
        self._ok(self.c.request("GET", "/v1/files?action=list&path=" + self.files_dir)[0])
        self.exec_true()
        self._ok(self.c.request("GET", "/v1/checks")[0])
        self._ok(self.c.request("GET", "/v1/health")[0], (200, 502))
        self._ok(self.c.json("POST", "/v1/notices", {"action": "add", "type": "custom",
                                                     "key": "example.com/k%d" % (i % 1500),
                                                     "data": {"round": str(i)}})[0])
        self._ok(self.c.request("GET", "/v1/notices?types=custom")[0])
        self._ok(self.c.json("POST", "/v1/layers", {"action": "add", "label": "mixed", "combine": True,
                                                    "format": "yaml", "layer": LAYER % (i % 7)})[0])
        self._ok(self.c.request("GET", "/v1/plan?format=yaml")[0])
        self._ok(self.c.request("GET", "/v1/services")[0])
        self._ok(self.c.request("GET", "/v1/changes?select=all")[0])
        if i % 25 == 0:
            self._ok(self.c.json("POST", "/v1/services", {"action": "start" if i % 50 == 0 else "stop",
                                                          "services": ["svc"]})[0])

    def run(self, n):
        while self.count < n:
            self.cycle()
        self.c.close()
        return self.count
