"""Who can reach which socket, and who can read what the daemons keep.  The controller's API
socket, its agent socket and the hook-tool socket are the owner's only (0600): another local
user cannot even connect.  $CAIRN_HOME is private (0700, also when it existed with a wider
mode), and so is everything the controller writes in it (model database, charm store, logs,
TLS keys), and the machine agent's credential.  scree's socket is 0666 as Pebble's - access
is decided per request from the peer's credentials - while its state file is 0600."""
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import unittest

import cairnh
from screeh import DaemonTest, requests_as

NOBODY = pwd.getpwnam("nobody").pw_uid


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def connect_as(uid, path):
    """Tries to connect to a UNIX socket as uid; returns the errno name or "connected"."""
    code = subprocess.run(
        ["python3", "-c", "import os, socket, sys\n"
         "os.setgroups([]); os.setgid(%d); os.setuid(%d)\n"
         "s = socket.socket(socket.AF_UNIX)\n"
         "try:\n    s.connect(sys.argv[1]); print('connected')\n"
         "except OSError as e:\n    import errno; print(errno.errorcode[e.errno])\n" % (uid, uid), path],
        capture_output=True, text=True, timeout=30)
    return code.stdout.strip() or code.stderr


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch to nobody")
class ControllerModes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-modes-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # A home that exists already and is world-writable, like a fresh mount point.
        home = os.path.join(self.tmp, "home")
        os.mkdir(home)
        os.chmod(home, 0o1777)
        os.chmod(self.tmp, 0o755)
        self.ctl = cairnh.Controller(home=home).start()
        self.addCleanup(self.ctl.cleanup)
        charm = cairnh.make_charm(self.tmp, "modes", dispatch=cairnh.RECORDER_DISPATCH)
        self.ctl.call("deploy", charm=charm)
        self.ctl.wait_idle()

    def test_sockets_are_the_owners(self):
        h = self.ctl.home
        for name in ("cairnd.sock", "agent-api.sock", "agent.sock"):
            p = os.path.join(h, name)
            self.assertTrue(stat.S_ISSOCK(os.lstat(p).st_mode), name)
            self.assertEqual(mode(p), 0o600, name)
        # Another user cannot reach them at all (the home is 0700 on top).
        self.assertEqual(mode(h), 0o700)
        os.chmod(h, 0o711)  # even with the home traversable, the sockets refuse
        try:
            for name in ("cairnd.sock", "agent-api.sock", "agent.sock"):
                self.assertEqual(connect_as(NOBODY, os.path.join(h, name)), "EACCES", name)
        finally:
            os.chmod(h, 0o700)

    def test_what_the_controller_writes_is_private(self):
        h = self.ctl.home
        for rel in ("state.db", "tls", "charms", "logs"):
            p = os.path.join(h, rel)
            self.assertTrue(os.path.exists(p), rel)
            self.assertEqual(mode(p) & 0o077, 0, "%s is mode %o" % (rel, mode(p)))
        for root, dirs, files in os.walk(os.path.join(h, "tls")):
            for f in files:
                self.assertEqual(mode(os.path.join(root, f)) & 0o077, 0, f)
        for f in os.listdir(os.path.join(h, "charms")):
            self.assertEqual(mode(os.path.join(h, "charms", f)) & 0o077, 0, f)
        agent_dir = os.path.join(h, "agents", "machine-0")
        self.assertEqual(mode(agent_dir), 0o700)
        self.assertEqual(mode(os.path.join(agent_dir, "agent.conf")), 0o600)


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch to nobody")
class ScreeModes(DaemonTest):
    def test_socket_open_state_private(self):
        d = self.start_daemon()
        os.chmod(d.dir, 0o755)
        self.assertEqual(mode(d.socket), 0o666)
        d.post("/v1/notices", {"action": "add", "type": "custom", "key": "example.com/m"})
        d.stop()
        self.assertEqual(mode(os.path.join(d.dir, ".pebble.state")), 0o600)
        d.start()
        # Any local user reaches the socket; what it may do is decided per request.
        self.assertEqual(connect_as(NOBODY, d.socket), "connected")
        res = requests_as(NOBODY, d.socket, [("GET", "/v1/system-info", None, None),
                                             ("POST", "/v1/layers", {"action": "add", "label": "x",
                                                                     "format": "yaml", "layer": "{}"},
                                              None)])
        self.assertEqual([r[0] for r in res], [200, 401])


if __name__ == "__main__":
    unittest.main()
