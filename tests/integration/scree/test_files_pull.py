"""scree files API, reads (§17) as ops.pebble.Client.pull makes them: the multipart answer
byte for byte (part layout, header order, metadata part last), several files at once,
per-path errors (missing, directory, relative, permission denied with a non-root daemon),
the request checks, a 100 MiB pull with flat memory, and a slow reader that does not stall
the daemon."""

import hashlib
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
import urllib.parse

from filesh import APIError, OpsFiles, PathError, rss_kib
from screeh import SCREE, DaemonTest, UnixHTTPConnection, request_on

NOBODY = 65534


def raw_get(socket_path, query, headers=None):
    c = UnixHTTPConnection(socket_path, timeout=30)
    c.request("GET", "/v1/files?" + urllib.parse.urlencode(query, doseq=True), headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body



class PullTest(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-pull-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.d = self.start_daemon()
        self.c = OpsFiles(self.d.socket)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, data, mode=0o644):
        with open(self.p(name), "wb") as f:
            f.write(data)
        os.chmod(self.p(name), mode)

    def test_pull_binary(self):
        data = os.urandom(300000) + b"\r\n--" + b"x" * 100
        self.write("f.bin", data)
        self.assertEqual(self.c.pull(self.p("f.bin")), data)
        self.write("empty", b"")
        self.assertEqual(self.c.pull(self.p("empty")), b"")

    def test_exact_layout_of_several_files(self):
        self.write("a", b"alpha")
        self.write('q"uote', b"q")
        os.mkdir(self.p("dir"))
        paths = [self.p("a"), self.p("missing"), self.p("dir"), "relative", self.p('q"uote')]
        status, ctype, body = raw_get(self.d.socket, {"action": "read", "path": paths},
                                      {"Accept": "multipart/form-data"})
        self.assertEqual(status, 200)
        m = re.fullmatch(r"multipart/form-data; boundary=([0-9a-f]{60})", ctype)
        self.assertIsNotNone(m, ctype)
        b = m.group(1).encode()
        meta = {"type": "sync", "status-code": 200, "status": "OK", "result": [
            {"path": self.p("a")},
            {"path": self.p("missing"), "error": {
                "message": "stat %s: no such file or directory" % self.p("missing"), "kind": "not-found"}},
            {"path": self.p("dir"), "error": {
                "message": 'can only read a regular file: "%s"' % self.p("dir"), "kind": "generic-file-error"}},
            {"path": "relative", "error": {
                "message": 'paths must be absolute, got "relative"', "kind": "generic-file-error"}},
            {"path": self.p('q"uote')}]}
        want = (b"--" + b + b"\r\n"
                b'Content-Disposition: form-data; name="files"; filename="' + self.p("a").encode() + b'"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\nalpha"
                b"\r\n--" + b + b"\r\n"
                b'Content-Disposition: form-data; name="files"; filename="' +
                self.p('q\\"uote').encode() + b'"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\nq"
                b"\r\n--" + b + b"\r\n"
                b'Content-Disposition: form-data; name="response"\r\n'
                b"Content-Type: application/json\r\n\r\n" +
                json.dumps(meta, separators=(",", ":")).encode() + b"\n"
                b"\r\n--" + b + b"--\r\n")
        self.assertEqual(body, want)

    def test_path_errors_as_ops_sees_them(self):
        os.mkdir(self.p("d"))
        with self.assertRaises(PathError) as cm:
            self.c.pull(self.p("d"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("generic-file-error", 'can only read a regular file: "%s"' % self.p("d")))
        with self.assertRaises(PathError) as cm:
            self.c.pull(self.p("nothing"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("not-found", "stat %s: no such file or directory" % self.p("nothing")))
        with self.assertRaises(PathError) as cm:
            self.c.pull("rel")
        self.assertEqual(cm.exception.kind, "generic-file-error")
        os.mkfifo(self.p("fifo"))
        with self.assertRaises(PathError) as cm:
            self.c.pull(self.p("fifo"))
        self.assertEqual(cm.exception.message, 'can only read a regular file: "%s"' % self.p("fifo"))
        # Through symlinks and `..`, as the kernel resolves them.
        self.write("real", b"via link")
        os.symlink(self.p("real"), self.p("link"))
        self.assertEqual(self.c.pull(self.p("link")), b"via link")
        self.assertEqual(self.c.pull(self.p("d", "..", "real")), b"via link")

    def test_request_checks(self):
        status, _, body = raw_get(self.d.socket, {"action": "read"}, {"Accept": "multipart/form-data"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["result"], {"message": "must specify one or more paths"})
        status, _, body = raw_get(self.d.socket, {"action": "read", "path": "/etc/hostname"})
        self.assertEqual((status, json.loads(body)["result"]), (400, {"message": "must accept multipart/form-data"}))
        status, _, body = raw_get(self.d.socket, {"action": "read", "path": "/etc/hostname"},
                                  {"Accept": "application/json"})
        self.assertEqual((status, json.loads(body)["result"]), (400, {"message": "must accept multipart/form-data"}))
        status, _, body = raw_get(self.d.socket, {"action": "bogus"})
        self.assertEqual((status, json.loads(body)["result"]), (400, {"message": 'invalid action "bogus"'}))
        status, _, body = raw_get(self.d.socket, {})
        self.assertEqual((status, json.loads(body)["result"]), (400, {"message": 'invalid action ""'}))

    def test_100mib_pull_flat_memory(self):
        h = hashlib.sha256()
        with open(self.p("big"), "wb") as f:
            for _ in range(100):
                block = os.urandom(1 << 20)
                h.update(block)
                f.write(block)
        idle = rss_kib(self.d.proc.pid)

        class Sink:
            def __init__(self):
                self.h, self.n = hashlib.sha256(), 0

            def write(self, data):
                self.h.update(data)
                self.n += len(data)

        sink = Sink()
        self.c.pull(self.p("big"), sink=sink)
        self.assertEqual((sink.n, sink.h.hexdigest()), (100 << 20, h.hexdigest()))
        self.assertLess(rss_kib(self.d.proc.pid) - idle, 8 * 1024)
        os.unlink(self.p("big"))

    def test_slow_reader_does_not_stall_the_daemon(self):
        with open(self.p("big"), "wb") as f:
            f.write(os.urandom(32 << 20))
        idle = rss_kib(self.d.proc.pid)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.d.socket)
        s.sendall(("GET /v1/files?action=read&path=%s HTTP/1.1\r\nHost: x\r\n"
                   "Accept: multipart/form-data\r\n\r\n" % urllib.parse.quote(self.p("big"))).encode())
        s.recv(65536)  # the stream has begun; now stop reading
        t = time.monotonic()
        for _ in range(20):
            status, payload = self.d.get("/v1/system-info")
            self.assertEqual(status, 200)
        self.assertLess(time.monotonic() - t, 10)  # answered, not stalled behind the stream
        rss = rss_kib(self.d.proc.pid)
        # What the client did not take is not queued up (against the daemon's own idle size,
        # which the sanitizer build multiplies).
        self.assertLess(rss - idle, 8 * 1024)
        s.close()
        status, _ = self.d.get("/v1/system-info")
        self.assertEqual(status, 200)


@unittest.skipUnless(os.geteuid() == 0, "needs root to run a daemon as nobody")
class PermissionTest(DaemonTest):
    def test_permission_denied_kinds(self):
        tmp = tempfile.mkdtemp(prefix="scree-perm-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pdir = os.path.join(tmp, "pebble")
        os.mkdir(pdir)
        os.chown(pdir, NOBODY, NOBODY)
        locked = os.path.join(tmp, "locked")
        os.mkdir(locked, 0o700)
        with open(os.path.join(locked, "secret"), "w") as f:
            f.write("s")
        with open(os.path.join(tmp, "private"), "w") as f:
            f.write("p")
        os.chmod(os.path.join(tmp, "private"), 0o600)
        os.chmod(tmp, 0o755)
        env = dict(os.environ, PEBBLE=pdir)
        log = open(os.path.join(tmp, "log"), "wb")
        proc = subprocess.Popen([SCREE, "run"], env=env, stderr=log, stdout=subprocess.DEVNULL,
                                user=NOBODY, group=NOBODY, extra_groups=[])
        self.addCleanup(lambda: (proc.poll() is None and proc.send_signal(signal.SIGTERM), proc.wait(), log.close()))
        sock = os.path.join(pdir, ".pebble.socket")
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.01)
        c = OpsFiles(sock)
        with self.assertRaises(PathError) as cm:
            c.pull(os.path.join(tmp, "private"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("permission-denied", "open %s/private: permission denied" % tmp))
        with self.assertRaises(PathError) as cm:
            c.pull(os.path.join(locked, "secret"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("permission-denied", "stat %s/secret: permission denied" % locked))
        with self.assertRaises(APIError) as cm:
            c.list_files(locked)
        self.assertEqual((cm.exception.code, cm.exception.body["result"]),
                         (403, {"message": "open %s: permission denied" % locked, "kind": "permission-denied"}))
        with self.assertRaises(PathError) as cm:
            c.push(os.path.join(locked, "new"), b"x")
        self.assertEqual(cm.exception.kind, "permission-denied")
        with self.assertRaises(PathError) as cm:
            c.make_dir(os.path.join(locked, "d"))
        self.assertEqual(cm.exception.kind, "permission-denied")


if __name__ == "__main__":
    unittest.main()
