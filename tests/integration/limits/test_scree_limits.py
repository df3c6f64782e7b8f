"""scree's request limits on the real daemon, each answered with Pebble's error envelope while
everyone else is served: a body past HTTP_MAX_BODY is 413, headers past HTTP_MAX_HEADER are
431, the client past HTTP_MAX_CONNS connections is 503 "too many connections" - reached even
when scree is started with the common soft limit of 1024 open files, which it raises for
itself but not for its services.  A service's output line past LOGRING_MAX_LINE comes back
from /v1/logs in pieces of that size, nothing of it lost to the ring."""
import json
import os
import resource
import socket
import unittest

from screeh import DaemonTest

MAX_CONNS = 1024             # http_server.h HTTP_MAX_CONNS
MAX_BODY = 64 * 1024 * 1024  # HTTP_MAX_BODY
MAX_HEADER = 64 * 1024       # HTTP_MAX_HEADER
MAX_LINE = 4096              # logring.h LOGRING_MAX_LINE

LAYER = """services:
    limits:
        override: replace
        command: /bin/sh -c 'ulimit -n > %s; head -c 20000 /dev/zero | tr "\\0" y; echo; echo done; sleep 1000'
        startup: enabled
"""


def soft_nofile_1024():
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


class ScreeLimits(DaemonTest):
    def setUp(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 2 * MAX_CONNS + 64:
            self.skipTest("the hard limit of open files is too low for this test")
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        self.d = self.start_daemon(preexec_fn=soft_nofile_1024)
        self.ulimit_file = os.path.join(self.d.dir, "ulimit")
        self.d.add_layer("limits", LAYER % self.ulimit_file)
        self.d.run_action("start", ["limits"])

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.d.socket)
        s.settimeout(30)
        return s

    def raw(self, data):
        s = self.connect()
        try:
            s.sendall(data)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def envelope(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, json.loads(body)

    def test_body_and_header(self):
        status, env = self.envelope(self.raw(b"POST /v1/layers HTTP/1.1\r\nContent-Type: application/json\r\n"
                                             b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1)))
        self.assertEqual((status, env["result"]["message"]),
                         (413, "request body too large (limit %d bytes)" % MAX_BODY))
        status, env = self.envelope(self.raw(b"GET /v1/services HTTP/1.1\r\nX-Big: " + b"h" * MAX_HEADER +
                                             b"\r\n\r\n"))
        self.assertEqual((status, env["result"]["message"]),
                         (431, "request header too large (limit %d bytes)" % MAX_HEADER))
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)

    def test_connections(self):
        held = []
        try:
            for _ in range(MAX_CONNS):
                held.append(self.connect())
            status, env = self.envelope(self.raw(b"GET /v1/system-info HTTP/1.1\r\nHost: x\r\n\r\n"))
            self.assertEqual((status, env["result"]["message"]), (503, "too many connections (limit 1024)"))
            held[5].sendall(b"GET /v1/system-info HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(held[5].recv(12).startswith(b"HTTP/1.1 200"))
        finally:
            for s in held:
                s.close()
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)
        # The service was started with the limit the daemon was given.
        with open(self.ulimit_file) as f:
            self.assertEqual(f.read().strip(), "1024")

    def test_long_line_in_pieces(self):
        from faulth import wait_until
        wait_until(lambda: "done" in json.dumps(self.d.request("GET", "/v1/logs?n=-1")[3]), what="output")
        _, _, _, text = self.d.request("GET", "/v1/logs?n=-1&services=limits")
        msgs = [json.loads(l)["message"] for l in text.splitlines()]
        self.assertEqual(msgs[-1], "done")
        pieces = msgs[:-1]
        self.assertEqual("".join(pieces), "y" * 20000)
        self.assertTrue(all(0 < len(p) < MAX_LINE for p in pieces), [len(p) for p in pieces])


if __name__ == "__main__":
    unittest.main()
