"""cairn-hook, the hook-tool client, against a fake unit agent (docs/protocol.md §2).

The fake agent is a UNIX socket server speaking the framed protocol (4-byte big-endian
length + one JSON object).  Each test scripts how it answers and checks what the client sent
and how it reproduced the reply."""

import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

BIN_DIR = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
HOOK = os.path.join(BIN_DIR, "cairn-hook")
TOOLS = os.path.join(BIN_DIR, "tools")
RUN_TIMEOUT = 20  # seconds; a client that hangs fails the test instead of the suite


def read_frame(conn):
    hdr = b""
    while len(hdr) < 4:
        chunk = conn.recv(4 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    (n,) = struct.unpack(">I", hdr)
    body = b""
    while len(body) < n:
        chunk = conn.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return json.loads(body.decode("utf-8"))


def send_frame(conn, obj):
    body = json.dumps(obj).encode("utf-8")
    conn.sendall(struct.pack(">I", len(body)) + body)


class FakeAgent:
    """Accepts connections on path; for each, reads one request, records it and lets
    self.respond(conn, request) answer (by default exit 0 with no output)."""

    def __init__(self, path):
        self.path = path
        self.requests = []
        self.respond = lambda conn, req: send_frame(conn, {"code": 0, "stdout": "", "stderr": ""})
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.held = []  # connections a test keeps open on purpose
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                req = read_frame(conn)
                if req is not None:
                    self.requests.append(req)
                    self.respond(conn, req)
            finally:
                if conn not in self.held:
                    conn.close()

    def close(self):
        # shutdown() wakes the thread blocked in accept(); then join it.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
        for c in self.held:
            c.close()


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cairn-hook-")
        self.sock_path = os.path.join(self.dir, "agent.sock")
        self.agent = FakeAgent(self.sock_path)
        self.env = {
            "PATH": "/usr/bin:/bin",
            "JUJU_CONTEXT_ID": "hello/0-install-123",
            "JUJU_AGENT_SOCKET_ADDRESS": self.sock_path,
            "JUJU_AGENT_SOCKET_NETWORK": "unix",
        }

    def tearDown(self):
        self.agent.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_tool(self, argv, env=None, input=None, cwd=None):
        return subprocess.run(argv, env=env if env is not None else self.env, input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=cwd or self.dir, timeout=RUN_TIMEOUT)

    def test_links_point_at_the_client(self):
        for name in ("juju-log", "is-leader", "config-get", "status-set", "status-get",
                     "application-version-set", "state-get", "state-set", "state-delete",
                     "open-port", "close-port", "opened-ports"):
            link = os.path.join(TOOLS, name)
            self.assertTrue(os.path.islink(link), link)
            self.assertEqual(os.readlink(link), "../cairn-hook")

    def test_forwards_tool_args_cwd_and_context(self):
        p = self.run_tool([os.path.join(TOOLS, "config-get"), "--format=json", "port"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.agent.requests, [{
            "context-id": "hello/0-install-123",
            "tool": "config-get",
            "args": ["--format=json", "port"],
            "cwd": os.path.realpath(self.dir),
        }])

    def test_multi_call_form(self):
        p = self.run_tool([HOOK, "status-set", "--application=False", "active", "--", ""])
        self.assertEqual(p.returncode, 0, p.stderr)
        req = self.agent.requests[0]
        self.assertEqual(req["tool"], "status-set")
        self.assertEqual(req["args"], ["--application=False", "active", "--", ""])

    def test_stdin_sent_when_an_argument_is_dash(self):
        doc = '"#notices#": |\n  - !!python/tuple [a, b]\nk: "v\\u00e9"\n'
        p = self.run_tool([os.path.join(TOOLS, "state-set"), "--file", "-"], input=doc.encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.agent.requests[0]["stdin"], doc)
        self.assertEqual(self.agent.requests[0]["args"], ["--file", "-"])

    def test_stdin_not_read_without_dash(self):
        # The write end stays open: a client that read stdin would block until the timeout.
        r, w = os.pipe()
        try:
            p = subprocess.run([os.path.join(TOOLS, "juju-log"), "--", "hello"], env=self.env,
                               stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=self.dir, timeout=RUN_TIMEOUT)
        finally:
            os.close(r)
            os.close(w)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("stdin", self.agent.requests[0])

    def test_reproduces_stdout_stderr_and_exit_code(self):
        replies = [
            {"code": 0, "stdout": "{\"a\":1}\n", "stderr": ""},
            {"code": 1, "stdout": "", "stderr": "ERROR \"k\" not found\n"},
            {"code": 2, "stdout": "", "stderr": "ERROR option provided but not defined: --app\n"},
            {"code": 0, "stdout": "caf\u00e9 \u2603\nno newline", "stderr": "warn"},
        ]
        for reply in replies:
            self.agent.respond = lambda conn, req, reply=reply: send_frame(conn, reply)
            p = self.run_tool([os.path.join(TOOLS, "state-get"), "k"])
            self.assertEqual(p.returncode, reply["code"])
            self.assertEqual(p.stdout, reply["stdout"].encode("utf-8"))
            self.assertEqual(p.stderr, reply["stderr"].encode("utf-8"))

    def test_invalid_utf8_argument_is_replaced(self):
        p = self.run_tool([os.path.join(TOOLS, "juju-log").encode(), b"--", b"bad\xffbyte"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.agent.requests[0]["args"], ["--", "bad\ufffdbyte"])

    def test_missing_environment(self):
        env = dict(self.env)
        del env["JUJU_CONTEXT_ID"]
        p = self.run_tool([os.path.join(TOOLS, "is-leader")], env=env)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, b"ERROR JUJU_CONTEXT_ID not set\n")
        env = dict(self.env)
        del env["JUJU_AGENT_SOCKET_ADDRESS"]
        p = self.run_tool([os.path.join(TOOLS, "is-leader")], env=env)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, b"ERROR JUJU_AGENT_SOCKET_ADDRESS not set\n")
        self.assertEqual(self.agent.requests, [])

    def test_missing_server_fails_quickly(self):
        env = dict(self.env, JUJU_AGENT_SOCKET_ADDRESS=os.path.join(self.dir, "gone.sock"))
        start = time.monotonic()
        p = self.run_tool([os.path.join(TOOLS, "is-leader"), "--format=json"], env=env)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith(b"ERROR cannot connect to the unit agent at "),
                        p.stderr)
        self.assertEqual(p.stdout, b"")

    def test_stale_socket_file_fails_quickly(self):
        stale = os.path.join(self.dir, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)  # bound, never listening: connect() is refused
        try:
            env = dict(self.env, JUJU_AGENT_SOCKET_ADDRESS=stale)
            p = self.run_tool([os.path.join(TOOLS, "is-leader")], env=env)
        finally:
            s.close()
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"Connection refused", p.stderr)

    def test_silent_agent_times_out(self):
        def hold(conn, req):
            self.agent.held.append(conn)  # never answer, never close

        self.agent.respond = hold
        # The deadline the agent puts in its hooks' environment.
        env = dict(self.env, CAIRN_TOOL_DEADLINE_MS="300")
        start = time.monotonic()
        p = self.run_tool([os.path.join(TOOLS, "is-leader")], env=env)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"timed out after 300 ms waiting for the unit agent", p.stderr)

    def test_agent_closing_without_reply(self):
        self.agent.respond = lambda conn, req: None  # the server closes the connection
        p = self.run_tool([os.path.join(TOOLS, "is-leader")])
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith(b"ERROR no reply from the unit agent"), p.stderr)

    def test_malformed_reply(self):
        self.agent.respond = lambda conn, req: send_frame(conn, {"stdout": "x"})
        p = self.run_tool([os.path.join(TOOLS, "is-leader")])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, b"ERROR malformed reply from the unit agent: no exit code\n")
        self.assertEqual(p.stdout, b"")

    def test_usage_without_tool(self):
        p = self.run_tool([HOOK])
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"usage: cairn-hook TOOL", p.stderr)


if __name__ == "__main__":
    unittest.main()
