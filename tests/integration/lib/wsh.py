"""wsh - websocket helpers for scree exec tests.

OpsExec replays exactly what ops.pebble.Client.exec puts on the wire (the ops package
cannot be installed here): the POST /v1/exec body with nulls for unset fields and a
"%.3fs" timeout, then the control, stdio and stderr websockets in that order through
websocket-client (Debian's python3-websocket, the library ops itself uses) over the
UNIX socket, stdin in 16 KiB binary frames followed by a {"command":"end"} text frame,
output read until the end frames, wait_change with the exec timeout + 1 s, and
shutdown() of the sockets (no close frame), as ops does.

RawWS is a hand-rolled client for what a well-behaved library will not send: unmasked
frames, bad opcodes, oversized lengths, truncated frames."""

import base64
import json
import os
import socket
import struct
import threading

import websocket


def unix_socket(path, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def ws_connect(sock_path, path, timeout=10):
    """A websocket-client connection to ws://localhost<path> over the UNIX socket."""
    ws = websocket.WebSocket()
    ws.connect("ws://localhost" + path, socket=unix_socket(sock_path, timeout), timeout=timeout)
    return ws


def ops_body(command, environment=None, working_dir=None, timeout=None, user_id=None, user=None,
             group_id=None, group=None, service_context=None, combine_stderr=False, **extra):
    body = {
        "command": command,
        "service-context": service_context,
        "environment": environment or {},
        "working-dir": working_dir,
        "timeout": "%.3fs" % timeout if timeout is not None else None,
        "user-id": user_id,
        "user": user,
        "group-id": group_id,
        "group": group,
        "split-stderr": not combine_stderr,
    }
    body.update(extra)
    return body


class OpsExec:
    """One exec as ops runs it; .wait() returns (exit_code, stdout, stderr, change).
    stdin: bytes to send, None (ops sends the end frame at once), or False (the caller
    sends on .stdio itself)."""

    def __init__(self, daemon, command, stdin=None, timeout=None, combine_stderr=False, **kw):
        self.d = daemon
        self.timeout = timeout
        status, payload = daemon.post("/v1/exec", ops_body(command, timeout=timeout,
                                                           combine_stderr=combine_stderr, **kw))
        if status != 202:
            raise ExecAPIError(status, payload)
        self.response = payload
        self.change_id = payload["change"]
        self.task_id = payload["result"]["task-id"]
        base = "/v1/tasks/%s/websocket/" % self.task_id
        self.control = ws_connect(daemon.socket, base + "control")
        self.stdio = ws_connect(daemon.socket, base + "stdio")
        self.stderr_ws = None if combine_stderr else ws_connect(daemon.socket, base + "stderr")
        self.out = bytearray()
        self.err = bytearray()
        self.threads = []
        self._start(self._reader, self.stdio, self.out)
        if self.stderr_ws is not None:
            self._start(self._reader, self.stderr_ws, self.err)
        if stdin is False:
            pass  # the test drives stdin itself
        elif stdin is not None:
            self._start(self._writer, stdin)
        else:
            self.stdio.send('{"command":"end"}')

    def _start(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    @staticmethod
    def _reader(ws, sink):
        while True:
            chunk = ws.recv()
            if isinstance(chunk, str):
                if json.loads(chunk).get("command") == "end":
                    return
                continue
            sink.extend(chunk)

    def _writer(self, data):
        try:
            for i in range(0, len(data), 16 * 1024):
                self.stdio.send_binary(data[i:i + 16 * 1024])
            self.stdio.send('{"command":"end"}')
        except (BrokenPipeError, ConnectionResetError, websocket.WebSocketException, OSError):
            pass

    def send_signal(self, name):
        self.control.send(json.dumps({"command": "signal", "signal": {"name": name}}))

    def resize(self, width, height):
        self.control.send(json.dumps({"command": "resize", "resize": {"width": width, "height": height}}))

    def wait(self):
        wait_timeout = "%.3fs" % (self.timeout + 1) if self.timeout is not None else "30s"
        change = self.d.wait_change(self.change_id, timeout=wait_timeout)
        for t in self.threads:
            t.join(30)
        for ws in (self.control, self.stdio, self.stderr_ws):
            if ws is not None:
                ws.shutdown()
        code = -1
        if change.get("tasks"):
            code = change["tasks"][0].get("data", {}).get("exit-code", -1)
        return code, bytes(self.out), bytes(self.err), change


class ExecAPIError(Exception):
    def __init__(self, status, payload):
        super().__init__("%s %s" % (status, payload))
        self.status = status
        self.payload = payload


class RawWS:
    """A websocket client that sends whatever frames it is told to."""

    def __init__(self, sock_path, path, timeout=10):
        self.sock = unix_socket(sock_path, timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake: %r" % data)
            data += chunk
        head, self.buf = data.split(b"\r\n\r\n", 1)
        self.status_line = head.split(b"\r\n")[0].decode()
        self.head = head.decode()

    @staticmethod
    def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
        b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload) if length is None else length
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if not mask:
            return hdr + payload
        key = os.urandom(4)
        return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))

    def send(self, data):
        self.sock.sendall(data)

    def read_frame(self):
        """(opcode, payload) of the next server frame, or None at EOF."""
        def need(n):
            while len(self.buf) < n:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return False
                self.buf += chunk
            return True
        if not need(2):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        assert not (b1 & 0x80), "server frames must not be masked"
        n, off = b1 & 0x7f, 2
        if n == 126:
            if not need(4):
                return None
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            if not need(10):
                return None
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        if not need(off + n):
            return None
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0f, payload

    def read_close(self):
        """Reads frames until a close frame; returns its code (None at EOF without one)."""
        while True:
            f = self.read_frame()
            if f is None:
                return None
            if f[0] == 0x8:
                return struct.unpack("!H", f[1][:2])[0] if len(f[1]) >= 2 else 1005

    def close(self):
        self.sock.close()
