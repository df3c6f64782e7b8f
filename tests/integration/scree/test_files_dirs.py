"""scree files API, make-dirs and remove (§17) as ops.pebble.Client.make_dir and
remove_path send them, plus the JSON-level refusals of POST /v1/files and its access
(admin only, §10)."""

import json
import os
import pwd
import shutil
import select
import signal
import tempfile
import time
import unittest

from filesh import APIError, OpsFiles, PathError
from screeh import DaemonTest, UnixHTTPConnection, children_of, requests_as

NOBODY = pwd.getpwnam("nobody")


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def post(socket_path, body, content_type):
    c = UnixHTTPConnection(socket_path, timeout=30)
    c.request("POST", "/v1/files", body=body, headers={"Content-Type": content_type} if content_type else {})
    r = c.getresponse()
    payload = json.loads(r.read())
    c.close()
    return r.status, payload


class DirsTest(DaemonTest):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="scree-dirs-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        old = os.umask(0o077)
        try:
            self.d = self.start_daemon()
        finally:
            os.umask(old)
        self.c = OpsFiles(self.d.socket)

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def mode(self, *parts):
        return os.stat(self.p(*parts)).st_mode & 0o7777

    def test_make_dir(self):
        self.c.make_dir(self.p("plain"))
        self.assertEqual(self.mode("plain"), 0o755)  # default, whatever the umask
        self.c.make_dir(self.p("a", "b", "c"), make_parents=True, permissions=0o700)
        for sub in ("a", "a/b", "a/b/c"):
            self.assertEqual(self.mode(sub), 0o700, sub)
        self.c.make_dir(self.p("a", "b", "c"), make_parents=True)  # exists: fine with parents
        with self.assertRaises(PathError) as cm:
            self.c.make_dir(self.p("plain"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("generic-file-error", "mkdir %s: file exists" % self.p("plain")))
        with self.assertRaises(PathError) as cm:
            self.c.make_dir(self.p("missing", "child"))
        self.assertEqual(cm.exception.kind, "not-found")
        self.assertEqual(cm.exception.message,
                         "mkdir %s.mkdir-new: no such file or directory" % self.p("missing", "child"))
        with open(self.p("file"), "w") as f:
            f.write("x")
        with self.assertRaises(PathError) as cm:
            self.c.make_dir(self.p("file"), make_parents=True)
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("generic-file-error", "mkdir %s: not a directory" % self.p("file")))
        with self.assertRaises(PathError) as cm:
            self.c.make_dir("rel/dir")
        self.assertEqual(cm.exception.message, 'paths must be absolute, got "rel/dir"')
        with self.assertRaises(PathError) as cm:
            self.c.make_dir(self.p("bad"), permissions=0o1777)
        self.assertEqual(cm.exception.message, 'permissions must be a 3-digit octal string, got "1777"')
        self.assertFalse(os.path.exists(self.p("bad")))
        self.assertEqual([n for n in os.listdir(self.tmp) if n.endswith(".mkdir-new")], [])

    def test_make_dir_owner(self):
        self.c.make_dir(self.p("o", "p"), make_parents=True, user="nobody")
        for sub in ("o", "o/p"):
            st = os.stat(self.p(sub))
            self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid), sub)
        self.c.make_dir(self.p("ids"), user_id=NOBODY.pw_uid, group_id=0)
        st = os.stat(self.p("ids"))
        self.assertEqual((st.st_uid, st.st_gid), (NOBODY.pw_uid, 0))
        with self.assertRaises(PathError) as cm:
            self.c.make_dir(self.p("g"), group="root")
        self.assertEqual(cm.exception.message, "cannot look up user and group: must specify user, not just group")

    def test_remove(self):
        with open(self.p("f"), "w") as f:
            f.write("x")
        os.makedirs(self.p("empty"))
        os.makedirs(self.p("full", "deep", "er"))
        with open(self.p("full", "deep", "x"), "w") as f:
            f.write("x")
        os.makedirs(self.p("outside"))
        with open(self.p("outside", "keep"), "w") as f:
            f.write("k")
        os.symlink(self.p("outside"), self.p("full", "link"))
        self.c.remove_path(self.p("f"))
        self.c.remove_path(self.p("empty"))
        with self.assertRaises(PathError) as cm:
            self.c.remove_path(self.p("full"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("generic-file-error", "remove %s: directory not empty" % self.p("full")))
        with self.assertRaises(PathError) as cm:
            self.c.remove_path(self.p("gone"))
        self.assertEqual((cm.exception.kind, cm.exception.message),
                         ("not-found", "remove %s: no such file or directory" % self.p("gone")))
        self.c.remove_path(self.p("gone"), recursive=True)  # rm -rf: a missing path is fine
        self.c.remove_path(self.p("full"), recursive=True)
        self.assertFalse(os.path.lexists(self.p("full")))
        self.assertTrue(os.path.exists(self.p("outside", "keep")))  # symlinks are not followed
        with self.assertRaises(PathError) as cm:
            self.c.remove_path("rel")
        self.assertEqual(cm.exception.message, 'paths must be absolute, got "rel"')

    def tree(self, name, dirs, files):
        root = self.p(name)
        for i in range(dirs):
            d = os.path.join(root, "d%d" % i)
            os.makedirs(d)
            for j in range(files):
                open(os.path.join(d, "f%d" % j), "w").close()
        return root

    def caught_job(self, send, timeout=30):
        """Sends a request (send() returns its connection) and stops the daemon's file job
        (the child named scree-files) as soon as it shows; returns (conn, pid), or (conn,
        None) if the job ended before it was seen."""
        conn = send()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid, state in children_of(self.d.proc.pid, jobs=True):
                try:
                    with open("/proc/%d/comm" % pid) as f:
                        comm = f.read().strip()
                except OSError:
                    continue
                if comm == "scree-files" and state != "Z":
                    os.kill(pid, signal.SIGSTOP)
                    self.addCleanup(lambda p=pid: _signal(p, signal.SIGCONT))
                    return conn, pid
            if select.select([conn.sock], [], [], 0)[0]:
                return conn, None  # answered already
        self.fail("no file job seen")

    def caught_remove(self, name):
        """A recursive remove of a fresh tree whose file job is caught and stopped (a bigger
        tree each time the job ends before it is seen); returns (conn, job pid, root)."""
        for size in (50, 200, 800):
            root = self.tree("%s%d" % (name, size), size, 40)

            def send():
                c = UnixHTTPConnection(self.d.socket, timeout=30)
                c.request("POST", "/v1/files", body=json.dumps(
                    {"action": "remove", "paths": [{"path": root, "recursive": True}]}),
                    headers={"Content-Type": "application/json"})
                return c
            conn, job = self.caught_job(send)
            self.addCleanup(conn.close)
            if job is not None:
                return conn, job, root
            r = conn.getresponse()
            self.assertEqual(json.loads(r.read())["result"], [{"path": root}])
        self.skipTest("every remove ended before its job was seen")

    def test_remove_runs_off_the_loop(self):
        # A big tree is removed by a child of the daemon: while that child is stopped, the
        # daemon answers other requests (another make-dirs included); the remove is answered
        # once the child has done its work.
        conn, job, root = self.caught_remove("big")
        status, payload = self.d.get("/v1/system-info")
        self.assertEqual(status, 200, payload)
        self.c.make_dir(self.p("meanwhile"))
        self.assertEqual(self.mode("meanwhile"), 0o755)
        self.assertEqual(select.select([conn.sock], [], [], 0)[0], [])  # the remove: not yet
        os.kill(job, signal.SIGCONT)
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.read())["result"], [{"path": root}])
        self.assertFalse(os.path.lexists(root))

    def test_stop_waits_for_a_file_job(self):
        conn, job, root = self.caught_remove("again")
        self.d.proc.send_signal(signal.SIGTERM)
        self.d.wait_log(r"Server exiting! Reason: terminated signal")
        self.assertIsNone(self.d.proc.poll())
        self.assertTrue(os.path.lexists(root))
        os.kill(job, signal.SIGCONT)
        self.assertEqual(self.d.wait_exit(), 0)
        self.assertFalse(os.path.lexists(root))

    def test_several_items_and_json_refusals(self):
        body = {"action": "make-dirs", "dirs": [{"path": self.p("x")}, {"path": self.p("x")}, {"path": "r"}]}
        status, payload = post(self.d.socket, json.dumps(body), "application/json")
        self.assertEqual(status, 200)
        self.assertEqual(payload["result"], [
            {"path": self.p("x")},
            {"path": self.p("x"), "error": {"message": "mkdir %s: file exists" % self.p("x"),
                                             "kind": "generic-file-error"}},
            {"path": "r", "error": {"message": 'paths must be absolute, got "r"', "kind": "generic-file-error"}}])
        cases = [
            (json.dumps({"action": "write"}), "application/json", 'must use multipart with "write" action'),
            (json.dumps({"action": "frob"}), "application/json", 'invalid action "frob"'),
            (json.dumps({}), "application/json", 'invalid action ""'),
            ("null", "application/json", 'invalid action ""'),
            ("", "application/json", "cannot decode request body: EOF"),
            (json.dumps({"action": 5}), "application/json",
             "cannot decode request body: json: cannot unmarshal number into Go struct field .action of type string"),
            (json.dumps({"action": "make-dirs", "dirs": [{"path": 7}]}), "application/json",
             "cannot decode request body: json: cannot unmarshal number into Go struct field "
             "makeDirsItem.dirs.path of type string"),
            (json.dumps({"action": "make-dirs", "dirs": [{"path": "/x", "user-id": "0"}]}), "application/json",
             "cannot decode request body: json: cannot unmarshal string into Go struct field "
             "makeDirsItem.dirs.user-id of type int"),
            (json.dumps({"action": "remove", "paths": {}}), "application/json",
             "cannot decode request body: json: cannot unmarshal object into Go struct field .paths of type "
             "[]daemon.removePathsItem"),
            ("{}", "text/foo", 'invalid media type "text/foo"'),
            ("{}", "Text/Plain; charset=utf-8", 'invalid media type "text/plain"'),
            ("{}", None, 'invalid Content-Type ""'),
            ("{}", "application/json; =x", 'invalid Content-Type "application/json; =x"'),
        ]
        for body, ctype, msg in cases:
            status, payload = post(self.d.socket, body, ctype)
            self.assertError(status, payload, 400, msg)
        status, payload = post(self.d.socket, "{not json", "application/json")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode request body: "), payload)


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch to nobody")
class AccessTest(DaemonTest):
    def test_files_need_admin(self):
        d = self.start_daemon()
        os.chmod(d.dir, 0o755)
        res = requests_as(65534, d.socket, [
            ("GET", "/v1/files?action=list&path=/", None, None),
            ("GET", "/v1/files?action=read&path=/etc/hostname", None, {"Accept": "multipart/form-data"}),
            ("POST", "/v1/files", {"action": "make-dirs", "dirs": [{"path": "/tmp/never"}]}, None),
        ])
        self.assertEqual([s for s, _ in res], [401, 401, 401])
        for _, payload in res:
            self.assertEqual(payload["result"], {"message": "access denied", "kind": "login-required"})
        self.assertFalse(os.path.exists("/tmp/never"))


if __name__ == "__main__":
    unittest.main()
