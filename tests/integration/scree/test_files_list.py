"""scree files API, listing (§17) as ops.pebble.Client.list_files asks: fields and their
types, entry types (symlinks as symlinks inside a directory, followed at the top),
patterns, itself, full paths, the exact 404 text and the 400/403 refusals."""

import grp
import json
import os
import pwd
import shutil
import socket
import tempfile
import time
import unittest
import urllib.parse

from filesh import APIError, OpsFiles
from screeh import DaemonTest


class ListTest(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-list-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.d = self.start_daemon()
        self.c = OpsFiles(self.d.socket)
        for name, data, mode in (("foo", b"a", 0o644), ("one.txt", b"be", 0o600), ("two.txt", b"cee", 0o755)):
            with open(self.p(name), "wb") as f:
                f.write(data)
            os.chmod(self.p(name), mode)
        os.mkdir(self.p("sub"), 0o755)
        os.symlink("foo", self.p("link"))
        os.mkfifo(self.p("pipe"))
        s = socket.socket(socket.AF_UNIX)
        s.bind(self.p("sock"))
        s.close()

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def test_directory_entries(self):
        entries = self.c.list_files(self.tmp)
        self.assertEqual([e["name"] for e in entries], ["foo", "link", "one.txt", "pipe", "sock", "sub", "two.txt"])
        by = {e["name"]: e for e in entries}
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        foo = by["foo"]
        self.assertEqual(list(foo.keys()), ["path", "name", "type", "size", "permissions", "last-modified",
                                            "user-id", "user", "group-id", "group"])
        self.assertEqual(foo["path"], self.p("foo"))
        self.assertEqual((foo["type"], foo["size"], foo["permissions"]), ("file", 1, "644"))
        self.assertEqual((foo["user-id"], foo["user"], foo["group-id"], foo["group"]),
                         (os.getuid(), user, os.getgid(), group))
        mtime = int(os.stat(self.p("foo")).st_mtime)
        self.assertEqual(foo["last-modified"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime)) if time.timezone == 0
                         else foo["last-modified"])
        self.assertRegex(foo["last-modified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
        self.assertEqual(by["one.txt"]["permissions"], "600")
        self.assertEqual(by["two.txt"]["permissions"], "755")
        self.assertEqual(by["link"]["type"], "symlink")
        self.assertNotIn("size", by["link"])
        self.assertEqual(by["pipe"]["type"], "named-pipe")
        self.assertEqual(by["sock"]["type"], "socket")
        self.assertEqual(by["sub"]["type"], "directory")
        self.assertNotIn("size", by["sub"])

    def test_pattern_itself_file_symlink(self):
        self.assertEqual([e["name"] for e in self.c.list_files(self.tmp, pattern="*.txt")], ["one.txt", "two.txt"])
        self.assertEqual([e["name"] for e in self.c.list_files(self.tmp, pattern="[ft]*")], ["foo", "two.txt"])
        self.assertEqual(self.c.list_files(self.tmp, pattern="*.xyz"), [])
        itself = self.c.list_files(self.p("sub"), itself=True)
        self.assertEqual([(e["path"], e["name"], e["type"]) for e in itself], [(self.p("sub"), "sub", "directory")])
        self.assertEqual(self.c.list_files(self.p("sub")), [])
        one = self.c.list_files(self.p("two.txt"))
        self.assertEqual([(e["path"], e["size"]) for e in one], [(self.p("two.txt"), 3)])
        # The top path is followed: a symlink to a file lists as that file.
        link = self.c.list_files(self.p("link"))
        self.assertEqual([(e["path"], e["name"], e["type"], e["size"]) for e in link],
                         [(self.p("link"), "link", "file", 1)])
        root = self.c.list_files("/", itself=True)
        self.assertEqual([(e["path"], e["name"]) for e in root], [("/", "/")])
        # A pattern in the path itself is not a glob.
        with self.assertRaises(APIError) as cm:
            self.c.list_files(self.p("*.txt"))
        self.assertEqual(cm.exception.code, 404)

    def test_errors(self):
        with self.assertRaises(APIError) as cm:
            self.c.list_files("/not/existing/file/")
        self.assertEqual((cm.exception.code, cm.exception.status), (404, "Not Found"))
        self.assertEqual(cm.exception.body["result"],
                         {"message": "stat /not/existing/file/: no such file or directory", "kind": "not-found"})
        with self.assertRaises(APIError) as cm:
            self.c.list_files("relative")
        self.assertEqual((cm.exception.code, cm.exception.message), (400, 'path must be absolute, got "relative"'))
        self.assertNotIn("kind", cm.exception.body["result"])
        with self.assertRaises(APIError) as cm:
            self.c.list_files(self.tmp, pattern="[")
        self.assertEqual((cm.exception.code, cm.exception.body["result"]),
                         (400, {"message": "syntax error in pattern", "kind": "generic-file-error"}))
        with self.assertRaises(APIError) as cm:
            self.c.list_files(self.p("foo", "x"))
        self.assertEqual((cm.exception.code, cm.exception.body["result"]),
                         (400, {"message": "stat %s: not a directory" % self.p("foo", "x"),
                                "kind": "generic-file-error"}))
        status, payload = self.d.get("/v1/files?action=list&path=%s&itself=yes" % urllib.parse.quote(self.tmp))
        self.assertError(status, payload, 400, 'itself parameter must be "true" or "false"')
        status, payload = self.d.get("/v1/files?action=list")
        self.assertError(status, payload, 400, "must specify path")
        status, payload = self.d.get("/v1/files?action=list&path=")
        self.assertError(status, payload, 400, "must specify path")
        status, payload = self.d.get("/v1/files?action=x%22y")
        self.assertError(status, payload, 400, 'invalid action "x\\"y"')
        status, payload = self.d.get("/v1/files?action=list&path=%s&itself=false" % urllib.parse.quote(self.p("sub")))
        self.assertEqual((status, payload["result"]), (200, []))


if __name__ == "__main__":
    unittest.main()
