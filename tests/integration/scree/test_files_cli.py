"""The scree CLI's file verbs as a user runs them (§23, Pebble's cmd_push/pull/ls/mkdir/rm):
output, modes, owners, errors on stderr with exit 1, go-flags usage errors."""

import hashlib
import os
import pwd
import shutil
import tempfile
import unittest

from screeh import DaemonTest

NOBODY = pwd.getpwnam("nobody")


class FilesCliTest(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-fcli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.d = self.start_daemon()

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def ok(self, *args):
        r = self.d.cli(*args)
        self.assertEqual((r.returncode, r.stderr), (0, ""), args)
        return r.stdout

    def fails(self, args, stderr):
        r = self.d.cli(*args)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", stderr), args)

    def test_push_and_pull(self):
        data = os.urandom(3 << 20)
        with open(self.p("local.bin"), "wb") as f:
            f.write(data)
        os.chmod(self.p("local.bin"), 0o640)
        self.assertEqual(self.ok("push", self.p("local.bin"), self.p("remote.bin")), "")
        self.assertEqual(os.stat(self.p("remote.bin")).st_mode & 0o777, 0o640)  # the local mode by default
        self.ok("push", "-m", "600", "-p", self.p("local.bin"), self.p("new", "dir", "r.bin"))
        self.assertEqual(os.stat(self.p("new", "dir", "r.bin")).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(self.p("new", "dir")).st_mode & 0o777, 0o755)
        self.ok("push", "--user", "nobody", self.p("local.bin"), self.p("owned"))
        st = os.stat(self.p("owned"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid))
        self.ok("push", "--uid=%d" % NOBODY.pw_uid, "--gid", "0", self.p("local.bin"), self.p("owned2"))
        self.assertEqual((os.stat(self.p("owned2")).st_uid, os.stat(self.p("owned2")).st_gid), (NOBODY.pw_uid, 0))
        self.assertEqual(self.ok("pull", self.p("remote.bin"), self.p("back.bin")), "")
        with open(self.p("back.bin"), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(data).digest())

    def test_push_pull_errors(self):
        self.fails(["push", self.p("nope"), self.p("x")], "error: open %s: no such file or directory\n" % self.p("nope"))
        with open(self.p("l"), "w") as f:
            f.write("x")
        r = self.d.cli("push", self.p("l"), self.p("missing", "x"))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^error: open %s/missing/x\.\d+~: no such file or directory\n$" % self.tmp)
        self.fails(["push", "-m", "0644", self.p("l"), self.p("y")],
                   'error: permissions must be a 3-digit octal string, got "0644"\n')
        self.fails(["push", "--user", "no-such-user", self.p("l"), self.p("y")],
                   "error: cannot look up user and group: user: unknown user no-such-user\n")
        self.fails(["push", self.p("l"), "relative"], 'error: paths must be absolute, got "relative"\n')
        # A failed pull leaves no local file behind.
        self.fails(["pull", self.p("nothing"), self.p("out")], 'error: expected first field name to be "files", got "response"\n')
        self.assertFalse(os.path.exists(self.p("out")))
        os.mkdir(self.p("d"))
        self.fails(["pull", self.p("d"), self.p("out")], 'error: expected first field name to be "files", got "response"\n')
        self.fails(["pull", self.p("l"), self.p("nodir", "out")],
                   "error: open %s: no such file or directory\n" % self.p("nodir", "out"))

    def test_ls(self):
        os.mkdir(self.p("sub"), 0o750)
        with open(self.p("a.txt"), "w") as f:
            f.write("hello")
        with open(self.p("b.bin"), "wb") as f:
            f.write(b"x" * 6000)
        os.chmod(self.p("a.txt"), 0o644)
        os.symlink("a.txt", self.p("link"))
        self.assertEqual(self.ok("ls", self.tmp), "a.txt\nb.bin\nlink\nsub\n")
        self.assertEqual(self.ok("ls", self.p("*.txt")), "a.txt\n")
        self.assertEqual(self.ok("ls", self.p("s*")), "sub\n")
        self.assertEqual(self.ok("ls", "-d", self.p("sub")), "sub\n")
        user = pwd.getpwuid(os.getuid()).pw_name
        out = self.ok("ls", "-l", "--abs-time", self.tmp)
        lines = out.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertRegex(lines[0], r"^-rw-r--r--  %s  \S+ +    5B  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)  a\.txt$" % user)
        self.assertRegex(lines[1], r"^-rw-r--r--  %s  \S+ +6\.00kB  \S+  b\.bin$" % user)
        self.assertRegex(lines[2], r"^Lrwxrwxrwx  %s  \S+ +     -  \S+  link$" % user)
        self.assertRegex(lines[3], r"^drwxr-x---  %s  \S+ +     -  \S+  sub$" % user)
        out = self.ok("ls", "-l", self.p("a.txt"))
        self.assertRegex(out, r"^-rw-r--r--  %s  \S+ +5B  today at \d\d:\d\d \S+  a\.txt\n$" % user)
        self.fails(["ls", self.p("*", "x")], "error: can only use globs on the last path element\n")
        self.fails(["ls", self.p("none")], "error: stat %s: no such file or directory\n" % self.p("none"))
        self.fails(["ls", "rel"], 'error: path must be absolute, got "rel"\n')

    def test_mkdir_and_rm(self):
        self.assertEqual(self.ok("mkdir", "-p", "-m", "0700", self.p("a", "b")), "")
        self.assertEqual(os.stat(self.p("a")).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(self.p("a", "b")).st_mode & 0o777, 0o700)
        self.ok("mkdir", self.p("c"))
        self.assertEqual(os.stat(self.p("c")).st_mode & 0o777, 0o755)
        self.fails(["mkdir", self.p("c")], "error: mkdir %s: file exists\n" % self.p("c"))
        self.fails(["mkdir", "-m", "9", self.p("d")], 'error: invalid mode for directory: "9"\n')
        self.fails(["rm", self.p("a")], "error: remove %s: directory not empty\n" % self.p("a"))
        self.assertEqual(self.ok("rm", "-r", self.p("a")), "")
        self.assertFalse(os.path.exists(self.p("a")))
        self.ok("rm", self.p("c"))
        self.fails(["rm", self.p("c")], "error: remove %s: no such file or directory\n" % self.p("c"))
        self.ok("rm", "-r", self.p("c"))

    def test_usage_errors(self):
        self.fails(["push", "x"], "error: the required argument `<remote-path>` was not provided\n")
        self.fails(["push"], "error: the required arguments `<local-path>` and `<remote-path>` were not provided\n")
        self.fails(["pull", "x"], "error: the required argument `<local-path>` was not provided\n")
        self.fails(["ls"], "error: the required argument `<path>` was not provided\n")
        self.fails(["ls", "-x", "/"], "error: unknown flag `x'\n")
        self.fails(["ls", "--long", "/"], "error: unknown flag `long'\n")
        self.fails(["mkdir", "-m"], "error: expected argument for flag `-m'\n")
        self.fails(["mkdir", "--uid", "abc", "/x"],
                   "error: invalid argument for flag `--uid' (expected *int): strconv.ParseInt: parsing \"abc\": "
                   "invalid syntax\n")
        self.fails(["rm", "/a", "/b"], "error: too many arguments for command\n")
        self.assertEqual(self.ok("ls", "--", self.tmp), "")


if __name__ == "__main__":
    unittest.main()
