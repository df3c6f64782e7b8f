"""scree files API, bad multipart writes (§17): every protocol refusal with upstream's
text, bodies cut short, clients that vanish mid-upload and a daemon killed mid-upload
(never a torn destination file, no temporary file left by a failed upload, the daemon
still serving), refusals before the body is read, and LF-only bodies as upstream's tests
write them."""

import fcntl
import os
import shutil
import signal
import socket
import struct
import tempfile
import termios
import time
import unittest

from filesh import OpsFiles, PathError, file_part, multipart_body, raw_post, request_part
from screeh import Daemon, DaemonTest, children_of, requests_as

B = "0123456789abcdef0123456789abcdef"
CT = "multipart/form-data; boundary=" + B


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def unread(sock):
    """Bytes sent on sock that its peer has not read yet (SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def temp_files(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith("~"))


class MultipartTest(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-mp-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.d = self.start_daemon()
        self.c = OpsFiles(self.d.socket)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def post(self, body, ctype=CT, chunked=True):
        return raw_post(self.d.socket, [body] if chunked else body, ctype, chunked=chunked)

    def still_serving(self):
        status, payload = self.d.get("/v1/system-info")
        self.assertEqual(status, 200)
        self.c.push(self.p("alive"), b"ok")

    def test_boundary_and_content_type(self):
        meta = request_part({"action": "write", "files": [{"path": self.p("x")}]})
        for ctype, msg in (("multipart/form-data", 'invalid boundary ""'),
                           ("multipart/form-data; boundary=SHORT", 'invalid boundary "SHORT"'),
                           ("multipart/form-data; boundary=" + B[:31], 'invalid boundary "%s"' % B[:31]),
                           ("multipart/form-data; boundary", 'invalid Content-Type "multipart/form-data; boundary"'),
                           ("text/foo", 'invalid media type "text/foo"')):
            status, payload = self.post(multipart_body(B, [meta]), ctype)
            self.assertError(status, payload, 400, msg)
        # A quoted boundary (as ops sends it) is fine.
        status, payload = self.post(multipart_body(B, [meta, file_part(self.p("x"), b"q")]),
                                    'multipart/form-data; boundary="%s"' % B)
        self.assertEqual((status, payload["result"]), (200, [{"path": self.p("x")}]))

    def test_protocol_errors(self):
        good_meta = request_part({"action": "write", "files": [{"path": "/foo/bar"}]})
        cases = [
            (b"", "cannot read request metadata: multipart: NextPart: EOF"),
            (b"no boundary here\r\n", "cannot read request metadata: multipart: NextPart: EOF"),
            (b"--" + B.encode() + b"--\r\n", "cannot read request metadata: EOF"),
            (multipart_body(B, [(['Content-Disposition: form-data; name="foo"'], b'{"foo": "bar"}')]),
             'metadata field name must be "request", got "foo"'),
            (multipart_body(B, [(["Content-Type: application/json"], b"{}")]),
             'metadata field name must be "request", got ""'),
            (multipart_body(B, [request_part(b"not json")]), None),
            (multipart_body(B, [request_part({"action": "foo"})]), 'multipart action must be "write", got "foo"'),
            (multipart_body(B, [request_part({"action": "write"})]), "must specify one or more files"),
            (multipart_body(B, [request_part({"action": "write", "files": []})]), "must specify one or more files"),
            (multipart_body(B, [good_meta, file_part("foo", b"Bad file field", name="bad")]),
             'field name must be "files", got "bad"'),
            (multipart_body(B, [good_meta, file_part("/no-metadata", b"No metadata")]),
             'no metadata for path "/no-metadata"'),
            (multipart_body(B, [good_meta], final=False) + b"--" + B.encode() + b" junk\r\n",
             'cannot read file part 0: multipart: expecting a new Part; got line "--%s junk\\r\\n"' % B),
            (b"--" + B.encode() + b"\r\nno colon\r\n\r\n{}\r\n",
             'cannot read request metadata: malformed MIME header: missing colon: "no colon"'),
            (b"--" + B.encode() + b"\r\n" + b"X-Filler: " + b"y" * 70000 + b"\r\n\r\n",
             "cannot read request metadata: multipart: message too large"),
            (multipart_body(B, [request_part(b'{"action": "write", "files": [' + b'{"path": "/x"},' * 70000 +
                                             b'{"path": "/x"}]}')]), None),
        ]
        for body, msg in cases:
            for chunked in (True, False):
                status, payload = self.post(body, chunked=chunked)
                if msg is None:
                    self.assertEqual(status, 400, payload)
                    self.assertTrue(payload["result"]["message"].startswith("cannot decode request metadata: "),
                                    payload)
                else:
                    self.assertError(status, payload, 400, msg)
        self.still_serving()

    def test_lf_only_body_as_upstream_tests_write_it(self):
        body = ("\n--%s\nContent-Disposition: form-data; name=\"request\"\n\n"
                '{"action": "write", "files": [{"path": "%s"}]}\n'
                "--%s\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\n\n"
                "Foo\nBar\n--%s--\n" % (B, self.p("lf"), B, self.p("lf"), B)).encode()
        status, payload = self.post(body, chunked=False)
        self.assertEqual((status, payload["result"]), (200, [{"path": self.p("lf")}]))
        with open(self.p("lf"), "rb") as f:
            self.assertEqual(f.read(), b"Foo\nBar")

    def test_body_cut_short_leaves_old_content(self):
        with open(self.p("dest"), "wb") as f:
            f.write(b"old content")
        meta = request_part({"action": "write", "files": [{"path": self.p("dest")}]})
        head = multipart_body(B, [meta], final=False) + b"--" + B.encode() + b"\r\n" + \
            b'Content-Disposition: form-data; name="files"; filename="' + self.p("dest").encode() + b'"\r\n\r\n'
        # The HTTP body ends (properly chunked) in the middle of the file's content.
        status, payload = raw_post(self.d.socket, [head, os.urandom(300000)], CT)
        self.assertError(status, payload, 400, "cannot read file part 1: multipart: NextPart: EOF")
        with open(self.p("dest"), "rb") as f:
            self.assertEqual(f.read(), b"old content")
        self.assertEqual(temp_files(self.tmp), [])
        # Cut inside the metadata.
        status, payload = self.post(b"--" + B.encode() + b'\r\nContent-Disposition: form-data; name="request"'
                                    b'\r\n\r\n{"action": "wr')
        self.assertError(status, payload, 400, "cannot decode request metadata: unexpected EOF")
        self.still_serving()

    def raw_upload(self, path, nbytes, close_after=True):
        """Starts a chunked upload on a raw socket and sends nbytes of content; returns the
        socket (closed when close_after)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.d.socket)
        s.sendall(("POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % CT).encode())
        meta = request_part({"action": "write", "files": [{"path": path}]})
        head = multipart_body(B, [meta], final=False) + b"--" + B.encode() + b"\r\n" + \
            b'Content-Disposition: form-data; name="files"; filename="' + path.encode() + b'"\r\n\r\n'

        def chunk(data):
            s.sendall(b"%x\r\n" % len(data) + data + b"\r\n")

        chunk(head)
        sent = 0
        while sent < nbytes:
            data = os.urandom(min(65536, nbytes - sent))
            chunk(data)
            sent += len(data)
        if close_after:
            s.close()
        return s

    def wait_for(self, cond, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.01)
        return cond()

    def test_client_vanishes_mid_upload(self):
        with open(self.p("dest"), "wb") as f:
            f.write(b"old content")
        s = self.raw_upload(self.p("dest"), 2 << 20, close_after=False)
        self.assertTrue(self.wait_for(lambda: temp_files(self.tmp)), "no temporary file appeared")
        s.close()
        self.assertTrue(self.wait_for(lambda: not temp_files(self.tmp)), temp_files(self.tmp))
        with open(self.p("dest"), "rb") as f:
            self.assertEqual(f.read(), b"old content")
        self.still_serving()

    def test_daemon_killed_mid_upload(self):
        with open(self.p("dest"), "wb") as f:
            f.write(b"old content")
        s = self.raw_upload(self.p("dest"), 4 << 20, close_after=False)
        self.assertTrue(self.wait_for(lambda: temp_files(self.tmp) and
                                      os.path.getsize(self.p(temp_files(self.tmp)[0])) > 0))
        self.d.proc.kill()
        self.d.wait_exit()
        s.close()
        with open(self.p("dest"), "rb") as f:
            self.assertEqual(f.read(), b"old content")
        # The killed daemon could not remove its temporary file; nothing else is torn and a
        # new daemon serves at once.
        d2 = Daemon(pebble_dir=self.d.dir, keep_dir=True)
        self.addCleanup(d2.cleanup)
        d2.start()
        OpsFiles(d2.socket).push(self.p("dest"), b"new content")
        with open(self.p("dest"), "rb") as f:
            self.assertEqual(f.read(), b"new content")

    def test_stop_waits_for_a_running_commit(self):
        # A daemon told to stop while a push's commit is in its writer's hands waits for the
        # writer: when it has exited, the file is in place, and no writer of it acts later.
        with open(self.p("dest"), "wb") as f:
            f.write(b"old content")
        s = self.raw_upload(self.p("dest"), 0, close_after=False)
        self.addCleanup(s.close)

        def writer_pid():
            for pid, state in children_of(self.d.proc.pid, jobs=True):
                try:
                    with open("/proc/%d/comm" % pid) as f:
                        if f.read().strip() == "scree-push" and state != "Z":
                            return pid
                except OSError:
                    pass
            return None

        self.assertTrue(self.wait_for(lambda: writer_pid() is not None), "no writer appeared")
        writer = writer_pid()
        self.assertIsNotNone(writer, "no writer appeared")
        os.kill(writer, signal.SIGSTOP)
        self.addCleanup(lambda: _signal(writer, signal.SIGCONT))
        content = b"new content\n" * 100
        for data in (content, ("\r\n--%s--\r\n" % B).encode()):
            s.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        # The daemon has read the whole body (so handed the commit over) once nothing is
        # left queued on the socket.
        self.assertTrue(self.wait_for(lambda: unread(s) == 0), "the body was not read")
        self.d.proc.send_signal(signal.SIGTERM)
        self.d.wait_log(r"Server exiting! Reason: terminated signal")
        self.assertIsNone(self.d.proc.poll())
        with open(self.p("dest"), "rb") as f:
            self.assertEqual(f.read(), b"old content")
        os.kill(writer, signal.SIGCONT)
        self.assertEqual(self.d.wait_exit(), 0)
        # The daemon reaped its writer before it exited: the pid is gone, not a zombie.
        self.assertFalse(os.path.exists("/proc/%d" % writer), "the writer outlived the daemon")
        with open(self.p("dest"), "rb") as f:
            self.assertEqual(f.read(), content)
        self.assertEqual(temp_files(self.tmp), [])

    def test_refused_before_the_body_is_read(self):
        # A big body with a bad boundary: the answer comes at once, the body is drained.
        big = os.urandom(8 << 20)
        status, payload = raw_post(self.d.socket, [big[i:i + 65536] for i in range(0, len(big), 65536)],
                                   "multipart/form-data; boundary=short")
        self.assertError(status, payload, 400, 'invalid boundary "short"')
        # A protocol error in the first part: answered before the rest arrives.
        body = multipart_body(B, [(['Content-Disposition: form-data; name="wrong"'], b"{}")], final=False)
        status, payload = raw_post(self.d.socket, [body] + [big[i:i + 65536] for i in range(0, len(big), 65536)],
                                   CT)
        self.assertError(status, payload, 400, 'metadata field name must be "request", got "wrong"')
        self.still_serving()

    def test_content_length_body(self):
        data = os.urandom(1 << 20)
        meta = request_part({"action": "write", "files": [{"path": self.p("cl")}]})
        status, payload = self.post(multipart_body(B, [meta, file_part(self.p("cl"), data)]), chunked=False)
        self.assertEqual((status, payload["result"]), (200, [{"path": self.p("cl")}]))
        with open(self.p("cl"), "rb") as f:
            self.assertEqual(f.read(), data)


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch to nobody")
class StreamedAccessTest(DaemonTest):
    def test_multipart_write_refused_to_non_admin(self):
        d = self.start_daemon()
        os.chmod(d.dir, 0o755)
        target = tempfile.mktemp(prefix="scree-mp-nobody-")
        body = multipart_body(B, [request_part({"action": "write", "files": [{"path": target}]}),
                                  file_part(target, b"x" * 100000)])
        # Refused when the headers are in, before the body is read.
        [[status, payload]] = requests_as(65534, d.socket, [("POST", "/v1/files", body, {"Content-Type": CT})])
        self.assertEqual(status, 401)
        self.assertEqual(payload["result"], {"message": "access denied", "kind": "login-required"})
        self.assertFalse(os.path.exists(target))


if __name__ == "__main__":
    unittest.main()
