"""A flood of clients against scree while its services start and stop: hundreds of idle
connections, log followers that stop reading, and clients that vanish mid-header, mid-body,
mid-chunked-upload and mid-websocket.  Throughout, a separate client's system-info keeps
answering within a bound; afterwards the daemon holds no more descriptors than before and
its memory is back near its baseline."""
import base64
import os
import socket
import threading
import time
import unittest

import faulth
from screeh import DaemonTest

CHATTY = """services:
    chatty:
        override: replace
        command: python3 -c 'import time\\nwhile True:\\n print("x" * 200, flush=True)\\n time.sleep(0.002)'
        startup: enabled
    flip:
        override: replace
        command: sleep 1000
"""
IDLE_CONNS = 300
FOLLOWERS = 40
RESPONSIVE_S = 2.0  # system-info answered within this, whatever the flood does


def sanitized(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


class Pinger(threading.Thread):
    """GET /v1/system-info on a fresh connection every 50 ms; the slowest answer is kept."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d, self.worst, self.failures, self.count = d, 0.0, [], 0
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            t0 = time.monotonic()
            try:
                status, _ = self.d.get("/v1/system-info")
                if status != 200:
                    self.failures.append(status)
            except OSError as e:
                self.failures.append(repr(e))
            self.worst = max(self.worst, time.monotonic() - t0)
            self.count += 1
            self.stop_flag.wait(0.05)

    def stop(self):
        self.stop_flag.set()
        self.join(30)


class ScreeFlood(DaemonTest):
    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.d.socket)
        return s

    def vanish(self, data):
        """A client that sends data and goes away without reading."""
        s = self.connect()
        s.sendall(data)
        s.close()

    def test_flood(self):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        self.d = self.start_daemon(layers={"001-flood.yaml": CHATTY})
        pid = self.d.proc.pid
        faulth.wait_until(lambda: self.d.service("chatty")["current"] == "active", what="chatty up")
        # Warm up the paths the flood uses, then take the baseline.
        for _ in range(20):
            self.d.get("/v1/logs?n=5")
            self.d.get("/v1/services")
        time.sleep(0.5)
        fds0, rss0 = faulth.fd_count(pid), faulth.rss_kib(pid)

        pinger = Pinger(self.d)
        pinger.start()
        held = []
        try:
            # Idle connections: accepted and kept, costing a descriptor each.
            for _ in range(IDLE_CONNS):
                held.append(self.connect())
            # Followers that never read, their receive buffers small: scree must not block
            # on them, and must bound what it queues for them.
            for _ in range(FOLLOWERS):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(self.d.socket)
                s.sendall(b"GET /v1/logs?follow=true&n=all HTTP/1.1\r\nHost: x\r\n\r\n")
                held.append(s)
            # Services start and stop meanwhile.
            flips = []

            def flip():
                for i in range(6):
                    status, payload = self.d.services_action("start" if i % 2 == 0 else "stop", ["flip"])
                    flips.append(status)
                    if status == 202:
                        self.d.wait_change(payload["change"])
            ft = threading.Thread(target=flip, daemon=True)
            ft.start()
            # Clients that vanish at every stage of a request.
            body = b"--B\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n"
            for i in range(50):
                self.vanish(b"GET /v1/servi")                                   # mid-request-line
                self.vanish(b"GET /v1/services HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 1000)  # mid-header
                self.vanish(b"POST /v1/layers HTTP/1.1\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 5000\r\n\r\n{\"action\": \"add\"")       # mid-body
                self.vanish(b"POST /v1/files HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n" +
                            b"%x\r\n" % len(body) + body + b"\r\n" + b"1000\r\nxx")  # mid-chunked upload
                key = base64.b64encode(os.urandom(16))
                self.vanish(b"GET /v1/tasks/1/websocket/control HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                            b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key +
                            b"\r\n\r\n\x81\xfe\x00")                                # mid-websocket
            ft.join(60)
            self.assertFalse(ft.is_alive())
            self.assertTrue(all(s in (200, 202) for s in flips), flips)
            # Still serving everyone, the held connections included.
            held[0].sendall(b"GET /v1/system-info HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(held[0].recv(12).startswith(b"HTTP/1.1 200"))
            # The prober has worked through the flood; a few more while it is all held.
            n = pinger.count
            faulth.wait_until(lambda: pinger.count >= n + 10, timeout=30, what="more probes")
        finally:
            pinger.stop()
            for s in held:
                s.close()
        print("scree flood: %d pings, slowest %.0f ms; fds %d before, %d at the end of the flood; "
              "RSS %d KiB before" % (pinger.count, pinger.worst * 1000, fds0, faulth.fd_count(pid), rss0))
        self.assertEqual(pinger.failures, [])
        self.assertGreater(pinger.count, 10)
        self.assertLess(pinger.worst, RESPONSIVE_S * (3 if sanitized(self.d.proc.args[0]) else 1))
        # Everything the flood opened is closed again.
        faulth.wait_until(lambda: faulth.fd_count(pid) <= fds0, timeout=20,
                          what="descriptors back to %d (now %d)" % (fds0, faulth.fd_count(pid)))
        if not sanitized(self.d.proc.args[0]):
            self.d.get("/v1/services")
            time.sleep(1)
            print("scree flood: RSS %d KiB after" % faulth.rss_kib(pid))
            self.assertLess(faulth.rss_kib(pid), rss0 + 8 * 1024, "RSS %d KiB, baseline %d KiB" % (
                faulth.rss_kib(pid), rss0))
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)


if __name__ == "__main__":
    unittest.main()
