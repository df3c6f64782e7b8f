"""scree files API, writes (§17) as ops.pebble.Client.push sends them: chunked multipart
bodies of 1 MiB and 100 MiB random data (content checked by hash, memory flat), non-UTF-8
data, names with quotes, exact modes whatever the umask, parents, owners by id and name,
symlinks replaced, `..` resolved as upstream, and the per-path errors."""

import hashlib
import os
import pwd
import re
import shutil
import tempfile
import threading
import time
import unittest

from filesh import OpsFiles, PathError, file_part, multipart_body, raw_post, request_part, rss_kib
from screeh import DaemonTest

NOBODY = pwd.getpwnam("nobody")



class RssSampler(threading.Thread):
    """Samples a process's RSS until stopped; .peak in KiB."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop_flag = pid, 0, threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self.stop_flag.wait(0.02)

    def stop(self):
        self.stop_flag.set()
        self.join()


class PushTest(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-push-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        old = os.umask(0o077)  # a daemon with a strict umask: modes must still be exact
        try:
            self.d = self.start_daemon()
        finally:
            os.umask(old)
        self.c = OpsFiles(self.d.socket)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def no_temp_files(self, directory):
        return [n for n in os.listdir(directory) if n.endswith("~")]

    def test_push_1mib_binary_chunked(self):
        data = os.urandom(1 << 20)
        self.c.push(self.p("one.bin"), data)
        with open(self.p("one.bin"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(data).hexdigest())
        self.assertEqual(os.stat(self.p("one.bin")).st_mode & 0o7777, 0o644)
        self.assertEqual(self.no_temp_files(self.tmp), [])
        self.assertRegex(self.d.log(), r"POST /v1/files \S+ 200 \(http\+unix\)")

    def test_push_100mib_streams_with_flat_memory(self):
        src = self.p("big.src")
        h = hashlib.sha256()
        with open(src, "wb") as f:
            for _ in range(100):
                block = os.urandom(1 << 20)
                h.update(block)
                f.write(block)
        idle = rss_kib(self.d.proc.pid)
        sampler = RssSampler(self.d.proc.pid)
        sampler.start()
        with open(src, "rb") as f:
            self.c.push(self.p("big.bin"), f)
        sampler.stop()
        with open(self.p("big.bin"), "rb") as f:
            got = hashlib.sha256()
            for block in iter(lambda: f.read(1 << 20), b""):
                got.update(block)
        self.assertEqual(got.hexdigest(), h.hexdigest())
        self.assertEqual(os.path.getsize(self.p("big.bin")), 100 << 20)
        # The body went to disk as it arrived: memory grew by buffers, not by the file.
        self.assertLess(sampler.peak - idle, 8 * 1024, "peak %d KiB, idle %d KiB" % (sampler.peak, idle))
        os.unlink(src)
        os.unlink(self.p("big.bin"))

    def test_non_utf8_data_and_odd_names(self):
        data = b"\xff\xfe\x00\x80 not utf-8 \r\n--\r\n\xc3"
        for name in ('quote"d.txt', 'two "quotes" here', "back\\slash", "sp ace", "\u00fcnicode-\u2603",
                     "semi;colon", "a=b", "tab\tname"):
            path = self.p(name)
            self.c.push(path, data)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), data, name)
        self.assertEqual(self.no_temp_files(self.tmp), [])

    def test_text_and_empty(self):
        self.c.push(self.p("t.txt"), "h\u00e9llo\n", encoding="utf-8")
        with open(self.p("t.txt"), "rb") as f:
            self.assertEqual(f.read(), "h\u00e9llo\n".encode())
        self.c.push(self.p("empty"), b"")
        self.assertEqual(os.path.getsize(self.p("empty")), 0)

    def test_exact_modes_under_umask_zero(self):
        self.d.stop()
        old = os.umask(0)
        try:
            d = self.start_daemon()
        finally:
            os.umask(old)
        c = OpsFiles(d.socket)
        for mode in (0o600, 0o640, 0o777, 0o000, 0o755, 0o444):
            c.push(self.p("m%o" % mode), b"x", permissions=mode)
            self.assertEqual(os.stat(self.p("m%o" % mode)).st_mode & 0o7777, mode)
        c.push(self.p("default"), b"x")
        self.assertEqual(os.stat(self.p("default")).st_mode & 0o7777, 0o644)

    def test_bad_permissions(self):
        with self.assertRaises(PathError) as cm:
            self.c.push(self.p("bad"), b"x", permissions=0o1000)
        self.assertEqual(cm.exception.kind, "generic-file-error")
        self.assertEqual(cm.exception.message, 'permissions must be a 3-digit octal string, got "1000"')
        self.assertFalse(os.path.exists(self.p("bad")))

    def test_make_dirs(self):
        path = self.p("a", "b", "c", "f.txt")
        with self.assertRaises(PathError) as cm:
            self.c.push(path, b"x")
        self.assertEqual(cm.exception.kind, "not-found")
        self.assertRegex(cm.exception.message,
                         r"^open %s/a/b/c/f\.txt\.\d+~: no such file or directory$" % re.escape(self.tmp))
        self.c.push(path, b"x", make_dirs=True, permissions=0o600)
        for sub in ("a", "a/b", "a/b/c"):
            self.assertEqual(os.stat(self.p(sub)).st_mode & 0o7777, 0o755, sub)
        self.assertEqual(os.stat(path).st_mode & 0o7777, 0o600)

    def test_parent_is_a_file(self):
        with open(self.p("file"), "w") as f:
            f.write("x")
        with self.assertRaises(PathError) as cm:
            self.c.push(self.p("file", "sub"), b"y")
        self.assertEqual(cm.exception.kind, "generic-file-error")
        self.assertRegex(cm.exception.message, r"^open .*/file/sub\.\d+~: not a directory$")
        with self.assertRaises(PathError) as cm:
            self.c.push(self.p("file", "sub"), b"y", make_dirs=True)
        self.assertEqual(cm.exception.message, "cannot create directory: mkdir %s: not a directory" % self.p("file"))

    def test_relative_path(self):
        with self.assertRaises(PathError) as cm:
            self.c.push("relative/path", b"x")
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("generic-file-error", 'paths must be absolute, got "relative/path"'))

    def test_overwrite_and_symlink_replaced(self):
        self.c.push(self.p("f"), b"first")
        self.c.push(self.p("f"), b"second")
        with open(self.p("f"), "rb") as f:
            self.assertEqual(f.read(), b"second")
        with open(self.p("target"), "w") as f:
            f.write("target")
        os.symlink(self.p("target"), self.p("link"))
        self.c.push(self.p("link"), b"new")
        self.assertFalse(os.path.islink(self.p("link")))
        with open(self.p("link"), "rb") as f:
            self.assertEqual(f.read(), b"new")
        with open(self.p("target")) as f:
            self.assertEqual(f.read(), "target")

    def test_dotdot_in_path(self):
        os.mkdir(self.p("sub"))
        # As upstream: the temporary file goes to path.Dir (lexically cleaned), the kernel
        # resolves the target.
        self.c.push(self.p("sub", "..", "up.txt"), b"x")
        with open(self.p("up.txt"), "rb") as f:
            self.assertEqual(f.read(), b"x")
        with self.assertRaises(PathError) as cm:
            self.c.push(self.p("missing", "..", "x.txt"), b"x")
        self.assertEqual(cm.exception.kind, "not-found")
        self.assertRegex(cm.exception.message, r"^rename .*/x\.txt\.\d+~ .*/missing/\.\./x\.txt: no such file or directory$")
        self.assertEqual(self.no_temp_files(self.tmp), [])

    def test_owner_by_id_and_name(self):
        self.c.push(self.p("ids"), b"x", user_id=NOBODY.pw_uid, group_id=NOBODY.pw_gid)
        st = os.stat(self.p("ids"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid))
        self.c.push(self.p("name"), b"x", user="nobody")  # primary group
        st = os.stat(self.p("name"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid))
        self.c.push(self.p("name-group"), b"x", user="nobody", group="root")
        st = os.stat(self.p("name-group"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, 0))
        self.c.push(self.p("uid-only"), b"x", user_id=NOBODY.pw_uid)
        self.assertEqual(os.stat(self.p("uid-only")).st_gid, NOBODY.pw_gid)
        self.c.push(self.p("own", "sub", "f"), b"x", make_dirs=True, user="nobody")
        self.assertEqual(os.stat(self.p("own")).st_uid, NOBODY.pw_uid)
        errors = [
            (dict(group="root"), "cannot look up user and group: must specify user, not just group"),
            (dict(user="no-such-user"), "cannot look up user and group: user: unknown user no-such-user"),
            (dict(user="nobody", group="no-such-group"),
             "cannot look up user and group: group: unknown group no-such-group"),
            (dict(user="nobody", user_id=0),
             'cannot look up user and group: user "nobody" UID (%d) does not match user-id (0)' % NOBODY.pw_uid),
            (dict(user_id=4242424), "cannot look up user and group: user: unknown userid 4242424"),
        ]
        for kw, msg in errors:
            with self.assertRaises(PathError) as cm:
                self.c.push(self.p("err"), b"x", **kw)
            self.assertEqual((cm.exception.kind, cm.exception.message), ("generic-file-error", msg), kw)
        self.assertFalse(os.path.exists(self.p("err")))

    def test_star_in_name(self):
        with self.assertRaises(PathError) as cm:
            self.c.push(self.p("a*b"), b"x")
        self.assertEqual(cm.exception.message, "cannot create tempfile for filename containing '*': \"a*b\"")

    def test_several_files_in_one_request(self):
        b = "0123456789abcdef0123456789abcdef"
        meta = {"action": "write", "files": [
            {"path": self.p("m1")}, {"path": self.p("m2"), "permissions": "600"},
            {"path": self.p("never-sent")}, {"path": "rel"}]}
        body = multipart_body(b, [request_part(meta), file_part(self.p("m1"), b"one"),
                                  file_part(self.p("m2"), b"two"), file_part("rel", b"r")])
        status, resp = raw_post(self.d.socket, [body], "multipart/form-data; boundary=" + b)
        self.assertEqual(status, 200)
        self.assertEqual(resp["result"], [
            {"path": self.p("m1")}, {"path": self.p("m2")},
            {"path": self.p("never-sent"), "error": {
                "message": 'no file content for path "%s"' % self.p("never-sent"), "kind": "generic-file-error"}},
            {"path": "rel", "error": {"message": 'paths must be absolute, got "rel"', "kind": "generic-file-error"}}])
        with open(self.p("m2"), "rb") as f:
            self.assertEqual(f.read(), b"two")
        # The same path twice: the later content wins.
        meta = {"action": "write", "files": [{"path": self.p("dup")}]}
        body = multipart_body(b, [request_part(meta), file_part(self.p("dup"), b"first"),
                                  file_part(self.p("dup"), b"second")])
        status, resp = raw_post(self.d.socket, [body], "multipart/form-data; boundary=" + b, chunked=False)
        self.assertEqual((status, resp["result"]), (200, [{"path": self.p("dup")}]))
        with open(self.p("dup"), "rb") as f:
            self.assertEqual(f.read(), b"second")


if __name__ == "__main__":
    unittest.main()
