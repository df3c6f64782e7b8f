"""The exec websockets at the frame level (RFC 6455): fragmentation, 16- and 64-bit lengths,
ping/pong, the close handshake, output frame sizes, and bad or vanishing clients (unmasked
frames, bad opcodes, reserved bits, oversize frames, truncated frames, dropped sockets), none
of which may crash the daemon or leave the exec hanging."""

import json
import os
import struct
import time
import unittest

from screeh import DaemonTest
from wsh import RawWS, ops_body, ws_connect

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xa
END = b'{"command":"end"}'


class ExecWebsocketTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def start(self, command, **kw):
        status, payload = self.d.post("/v1/exec", ops_body(command, **kw))
        self.assertEqual(status, 202, payload)
        return payload["change"], payload["result"]["task-id"]

    def raw(self, tid, name):
        r = RawWS(self.d.socket, "/v1/tasks/%s/websocket/%s" % (tid, name))
        self.assertEqual(r.status_line, "HTTP/1.1 101 Switching Protocols", r.head)
        self.assertIn("Upgrade: websocket", r.head)
        self.assertIn("Connection: Upgrade", r.head)
        return r

    def read_output(self, r):
        """Binary payloads until the end text frame; returns (data, frame sizes)."""
        data, sizes = bytearray(), []
        while True:
            f = r.read_frame()
            self.assertIsNotNone(f, "EOF before the end frame")
            op, payload = f
            if op == TEXT:
                self.assertEqual(payload, END)
                return bytes(data), sizes
            self.assertEqual(op, BINARY)
            data.extend(payload)
            sizes.append(len(payload))

    def assert_alive(self):
        status, payload = self.d.get("/v1/system-info")
        self.assertEqual(status, 200)
        self.assertIsNone(self.d.proc.poll())

    def test_fragments_lengths_ping_and_close(self):
        chg, tid = self.start(["cat"], combine_stderr=True)
        control = self.raw(tid, "control")
        stdio = self.raw(tid, "stdio")
        big = os.urandom(70000)  # a 64-bit length
        mid = os.urandom(300)    # a 16-bit length
        stdio.send(RawWS.frame(BINARY, b"ab", fin=False))
        stdio.send(RawWS.frame(PING, b"pi"))         # a control frame between fragments
        stdio.send(RawWS.frame(CONT, b"", fin=False))  # an empty fragment
        stdio.send(RawWS.frame(CONT, b"cd", fin=True))
        stdio.send(RawWS.frame(BINARY, mid))
        stdio.send(RawWS.frame(BINARY, big))
        stdio.send(RawWS.frame(TEXT, b'{"comm', fin=False))
        stdio.send(RawWS.frame(CONT, b'and":"end"}', fin=True))
        # The pong comes first (nothing is echoed before cat has read its input).
        frames = []
        data = bytearray()
        while True:
            op, payload = stdio.read_frame()
            if op == PONG:
                self.assertEqual(payload, b"pi")
                continue
            if op == TEXT:
                self.assertEqual(payload, END)
                break
            data.extend(payload)
            frames.append(op)
        self.assertEqual(bytes(data), b"abcd" + mid + big)
        # A clean close of control gets a close answer and kills nothing.
        control.send(RawWS.frame(CLOSE, struct.pack("!H", 1000)))
        self.assertEqual(control.read_close(), 1000)
        result = self.d.wait_change(chg)
        self.assertEqual(result["tasks"][0]["data"], {"exit-code": 0})
        # After the task, the server closes stdio normally.
        self.assertEqual(stdio.read_close(), 1000)
        stdio.close()
        control.close()

    def test_output_frames_at_most_128k(self):
        chg, tid = self.start(["head", "-c", "3000000", "/dev/zero"], combine_stderr=True)
        stdio = self.raw(tid, "stdio")
        stdio.send(RawWS.frame(TEXT, END))
        data, sizes = self.read_output(stdio)
        self.assertEqual(len(data), 3000000)
        self.assertLessEqual(max(sizes), 128 * 1024)
        self.assertEqual(self.d.wait_change(chg)["status"], "Done")
        stdio.close()

    def test_bad_frames_get_protocol_errors(self):
        bad = [
            ("unmasked", RawWS.frame(BINARY, b"x", mask=False), 1002),
            ("bad opcode", RawWS.frame(0x3, b"x"), 1002),
            ("bad control opcode", RawWS.frame(0xb, b""), 1002),
            ("reserved bits", RawWS.frame(BINARY, b"x", rsv=0x4), 1002),
            ("fragmented ping", RawWS.frame(PING, b"", fin=False), 1002),
            ("stray continuation", RawWS.frame(CONT, b"x"), 1002),
            ("oversize", RawWS.frame(BINARY, b"", length=1 << 40)[:14], 1009),
            ("huge text", RawWS.frame(TEXT, b"x" * 70000), 1009),
            ("bad close code", RawWS.frame(CLOSE, struct.pack("!H", 999)), 1002),
        ]
        for name, frame, code in bad:
            with self.subTest(name):
                chg, tid = self.start(["cat"], combine_stderr=True)
                stdio = self.raw(tid, "stdio")
                stdio.send(frame)
                self.assertEqual(stdio.read_close(), code)
                # The server closes the socket after its close frame (a reset when it left
                # the rest of an oversized frame unread).
                try:
                    self.assertIsNone(stdio.read_frame())
                except ConnectionResetError:
                    pass
                stdio.close()
                # stdin ended with the websocket: cat exits, the change completes.
                result = self.d.wait_change(chg)
                self.assertEqual(result["status"], "Done", result)
                self.assert_alive()
        # Bad frames on control neither kill the command nor the daemon.
        chg, tid = self.start(["sh", "-c", "sleep 0.5; echo done"], combine_stderr=True)
        control = self.raw(tid, "control")
        stdio = self.raw(tid, "stdio")
        stdio.send(RawWS.frame(TEXT, END))
        control.send(RawWS.frame(0x7, b""))
        self.assertEqual(control.read_close(), 1002)
        data, _ = self.read_output(stdio)
        self.assertEqual(data, b"done\n")
        self.assertEqual(self.d.wait_change(chg)["tasks"][0]["data"], {"exit-code": 0})
        control.close()
        stdio.close()

    def test_vanishing_clients(self):
        # A truncated frame, then the client goes away.
        chg, tid = self.start(["cat"], combine_stderr=True)
        stdio = self.raw(tid, "stdio")
        stdio.send(RawWS.frame(BINARY, b"hello world")[:7])
        stdio.close()
        self.assertEqual(self.d.wait_change(chg)["status"], "Done")
        self.assert_alive()
        # The control socket dropped without a close frame: the command is killed.
        chg, tid = self.start(["sleep", "30"])
        control = self.raw(tid, "control")
        stdio = ws_connect(self.d.socket, "/v1/tasks/%s/websocket/stdio" % tid)
        stderr = ws_connect(self.d.socket, "/v1/tasks/%s/websocket/stderr" % tid)
        time.sleep(0.2)
        t0 = time.monotonic()
        control.close()
        result = self.d.wait_change(chg)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(result["tasks"][0]["data"], {"exit-code": 128 + 9})
        self.d.wait_log(r"control websocket closed abnormally")
        stdio.shutdown()
        stderr.shutdown()
        # Every socket of a running exec dropped at once.
        chg, tid = self.start(["sh", "-c", "while :; do echo spam; done"])
        socks = [self.raw(tid, n) for n in ("control", "stdio", "stderr")]
        socks[1].read_frame()
        for s in socks:
            s.close()
        self.assertEqual(self.d.wait_change(chg)["status"], "Done")
        self.assert_alive()

    def test_slow_reader_backpressure(self):
        # A client that does not read: the daemon stops reading the command's output
        # instead of buffering it, so its memory stays bounded.
        chg, tid = self.start(["head", "-c", "200000000", "/dev/zero"], combine_stderr=True)
        stdio = self.raw(tid, "stdio")
        stdio.send(RawWS.frame(TEXT, END))
        time.sleep(1.0)
        with open("/proc/%d/status" % self.d.proc.pid) as f:
            rss_kb = int([l for l in f if l.startswith("VmRSS")][0].split()[1])
        self.assertLess(rss_kb, 40 * 1024)
        status, payload = self.d.get("/v1/changes/" + chg)
        self.assertFalse(payload["result"]["ready"])
        # Reading it all still gives every byte.
        total = 0
        while True:
            op, payload = stdio.read_frame()
            if op == TEXT:
                break
            total += len(payload)
        self.assertEqual(total, 200000000)
        self.assertEqual(self.d.wait_change(chg)["status"], "Done")
        stdio.close()

    def test_stdin_backpressure_without_reader(self):
        # The command never reads stdin: the client is held back by the socket buffers,
        # never by the daemon's memory, and the exec still completes when it exits.
        chg, tid = self.start(["sleep", "1"], combine_stderr=True)
        stdio = self.raw(tid, "stdio")
        stdio.sock.settimeout(0.5)
        sent = 0
        chunk = RawWS.frame(BINARY, b"z" * 65536)
        try:
            for _ in range(2000):
                stdio.sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        self.assertLess(sent, 100 * 65536)
        stdio.sock.settimeout(10)
        self.assertEqual(self.d.wait_change(chg)["status"], "Done")
        self.assert_alive()
        stdio.close()


if __name__ == "__main__":
    unittest.main()
