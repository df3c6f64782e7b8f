"""scree's files API touches exactly what a request names, with upstream's semantics (an
absolute path on the container's filesystem, resolved by the kernel as given): no path trick
reaches anything else.  A symlink as the last component is replaced by a write, never written
through, and an owner given with the write goes to the new file, not the link's target; an
existing symlinked directory is not re-owned by make-dirs, nor a symlink planted at the name
make-dirs works under (upstream chowns it); a recursive remove deletes links,
never what they point at; relative, empty and NUL-holding paths are refused by every action;
a FIFO read does not hang the daemon."""

import http.client
import json
import os
import pwd
import shutil
import socket
import tempfile
import threading
import unittest

from filesh import OpsFiles, PathError
from screeh import DaemonTest

NOBODY = pwd.getpwnam("nobody")


@unittest.skipUnless(os.geteuid() == 0, "owners need root")
class FilesPathTricks(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-paths-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.d = self.start_daemon()
        self.c = OpsFiles(self.d.socket)
        # Something outside the tree a request works on, that no request names.
        self.victim = os.path.join(self.tmp, "victim")
        os.mkdir(self.victim)
        self.vfile = os.path.join(self.victim, "secret")
        with open(self.vfile, "w") as f:
            f.write("secret")
        os.chmod(self.vfile, 0o600)
        self.work = os.path.join(self.tmp, "work")
        os.mkdir(self.work)

    def p(self, *parts):
        return os.path.join(self.work, *parts)

    def victim_intact(self):
        st = os.lstat(self.vfile)
        with open(self.vfile) as f:
            self.assertEqual(f.read(), "secret")
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (0, 0, 0o600))
        dst = os.lstat(self.victim)
        self.assertEqual((dst.st_uid, dst.st_gid), (0, 0))

    def test_write_with_owner_onto_a_symlink(self):
        os.symlink(self.vfile, self.p("link"))
        self.c.push(self.p("link"), b"mine", user_id=NOBODY.pw_uid, group_id=NOBODY.pw_gid,
                    permissions=0o644)
        st = os.lstat(self.p("link"))
        self.assertFalse(os.path.islink(self.p("link")))
        self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o777), (NOBODY.pw_uid, NOBODY.pw_gid, 0o644))
        self.victim_intact()

    def test_make_dirs_does_not_reown_a_symlinked_directory(self):
        os.symlink(self.victim, self.p("dirlink"))
        # The named directory exists (through the link): nothing is created, nothing re-owned.
        self.c.make_dir(self.p("dirlink"), make_parents=True, user_id=NOBODY.pw_uid,
                        group_id=NOBODY.pw_gid)
        self.victim_intact()
        # A new directory below it is created where the kernel resolves it, and only it is
        # owned as asked.
        self.c.make_dir(self.p("dirlink", "new"), make_parents=True, user_id=NOBODY.pw_uid,
                        group_id=NOBODY.pw_gid)
        st = os.stat(os.path.join(self.victim, "new"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid))
        self.victim_intact()
        # Pushing through it with make-dirs writes the named file only.
        self.c.push(self.p("dirlink", "deep", "f"), b"x", make_dirs=True, user_id=NOBODY.pw_uid,
                    group_id=NOBODY.pw_gid)
        self.victim_intact()

    def test_recursive_remove_never_follows_links(self):
        tree = self.p("tree")
        os.makedirs(os.path.join(tree, "sub"))
        os.symlink(self.victim, os.path.join(tree, "to-dir"))
        os.symlink(self.vfile, os.path.join(tree, "sub", "to-file"))
        os.symlink("../../victim", os.path.join(tree, "sub", "relative"))
        self.c.remove_path(tree, recursive=True)
        self.assertFalse(os.path.lexists(tree))
        self.victim_intact()
        # A symlink to a directory, removed without recursive: the link goes.
        os.symlink(self.victim, self.p("dirlink"))
        self.c.remove_path(self.p("dirlink"))
        self.assertFalse(os.path.lexists(self.p("dirlink")))
        self.victim_intact()
        # The same with recursive: the link goes, not the directory's contents.
        os.symlink(self.victim, self.p("dirlink"))
        self.c.remove_path(self.p("dirlink"), recursive=True)
        self.assertFalse(os.path.lexists(self.p("dirlink")))
        self.victim_intact()

    def test_dotdot_as_upstream(self):
        # work/up -> victim.  make-dirs cleans the path first (Pebble's osutil.Mkdir), so
        # work/up/../d is work/d; a write renames onto the path as given, which the kernel
        # resolves: work/up/../f is tmp/f (work/up is victim, whose parent is tmp).
        os.symlink(self.victim, self.p("up"))
        self.c.make_dir(self.p("up", "..", "d"))
        self.assertTrue(os.path.isdir(self.p("d")))
        self.c.push(self.p("up", "..", "f"), b"x")
        self.assertTrue(os.path.isfile(os.path.join(self.tmp, "f")))
        self.assertEqual(self.c.pull(self.p("up", "secret")), b"secret")
        self.victim_intact()

    def test_planted_mkdir_candidate(self):
        # make-dirs makes <path>.mkdir-new, then renames it into place: whoever may write the
        # parent can guess that name.  A symlink planted there is neither chowned through
        # nor moved into place; an empty leftover directory is made again.
        os.symlink(self.victim, self.p("d.mkdir-new"))
        with self.assertRaises(PathError) as cm:
            self.c.make_dir(self.p("d"), user_id=NOBODY.pw_uid, group_id=NOBODY.pw_gid, permissions=0o777)
        self.assertEqual(cm.exception.message, "mkdir %s.mkdir-new: file exists" % self.p("d"))
        self.assertFalse(os.path.lexists(self.p("d")))
        self.victim_intact()
        os.symlink(self.vfile, self.p("e.mkdir-new"))
        with self.assertRaises(PathError):
            self.c.make_dir(self.p("e"), user_id=NOBODY.pw_uid, group_id=NOBODY.pw_gid)
        self.victim_intact()
        os.mkdir(self.p("g.mkdir-new"))
        self.c.make_dir(self.p("g"), user_id=NOBODY.pw_uid, group_id=NOBODY.pw_gid)
        st = os.lstat(self.p("g"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid))
        self.assertFalse(os.path.lexists(self.p("g.mkdir-new")))

    def test_bad_paths_refused_by_every_action(self):
        for bad in ("relative/x", "", "x", "./x"):
            msg = 'paths must be absolute, got "%s"' % bad
            with self.assertRaises(PathError) as cm:
                self.c.push(bad, b"x")
            self.assertEqual(cm.exception.message, msg)
            with self.assertRaises(PathError) as cm:
                self.c.make_dir(bad)
            self.assertEqual(cm.exception.message, msg)
            with self.assertRaises(PathError) as cm:
                self.c.remove_path(bad)
            self.assertEqual(cm.exception.message, msg)
            with self.assertRaises(PathError) as cm:
                self.c.pull(bad)
            self.assertEqual(cm.exception.message, msg)
        # A NUL byte cannot name anything: refused, and nothing is created.
        status, payload = self.d.post("/v1/files", {"action": "make-dirs",
                                                     "dirs": [{"path": self.p("a\u0000b")}]})
        self.assertIn(status, (200, 400), payload)
        if status == 200:
            self.assertIsNotNone(payload["result"][0].get("error"), payload)
        self.assertEqual(os.listdir(self.work), [])

    def test_fifo_read_does_not_hang_the_daemon(self):
        fifo = self.p("fifo")
        os.mkfifo(fifo)
        result = {}

        def pull():
            try:
                result["data"] = self.c.pull(fifo)
            except Exception as e:  # noqa: BLE001 - whatever it is, it is an answer
                result["error"] = e
        t = threading.Thread(target=pull, daemon=True)
        t.start()
        t.join(10)
        # Whatever the answer, the daemon answers others meanwhile.
        status, _ = self.d.get("/v1/system-info")
        self.assertEqual(status, 200)
        self.assertFalse(t.is_alive(), "a FIFO read is still waiting")


if __name__ == "__main__":
    unittest.main()
