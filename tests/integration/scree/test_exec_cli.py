"""The scree CLI's `exec` (stdin piped through, stdout and stderr kept apart, the remote exit
code, options, errors, a terminal with -t under a real pty, signal forwarding) and
`enter exec`."""

import os
import pty
import select
import signal
import subprocess
import tempfile
import time
import unittest

from screeh import SCREE, DaemonTest


class ExecCliTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def test_output_and_exit_code(self):
        r = self.d.cli("exec", "echo", "hi", "there")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "hi there\n", ""))
        r = self.d.cli("exec", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (3, "out\n", "err\n"))
        r = self.d.cli("exec", "sh", "-c", "kill -TERM $$")
        self.assertEqual(r.returncode, 128 + 15)

    def test_stdin_is_piped(self):
        data = os.urandom(3 * 1024 * 1024)
        r = subprocess.run([SCREE, "exec", "cat"], env=self.d.env, input=data, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout == data)
        # From a regular file too (which epoll cannot watch).
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            with open(f.name, "rb") as inp:
                r = subprocess.run([SCREE, "exec", "sha256sum"], env=self.d.env, stdin=inp,
                                   capture_output=True, timeout=60)
        import hashlib
        self.assertEqual(r.stdout.split()[0].decode(), hashlib.sha256(data).hexdigest())
        r = subprocess.run([SCREE, "exec", "wc", "-c"], env=self.d.env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
        self.assertEqual(r.stdout.strip(), b"0")

    def test_options(self):
        r = self.d.cli("exec", "-w", "/tmp", "--env", "FOO=bar", "--env=BAZ=q=x", "--", "sh", "-c",
                       "pwd; echo $FOO $BAZ")
        self.assertEqual(r.stdout, "/tmp\nbar q=x\n")
        r = self.d.cli("exec", "-w/usr", "pwd")
        self.assertEqual(r.stdout, "/usr\n")
        r = self.d.cli("exec", "--user", "nobody", "id", "-u")
        self.assertEqual(r.stdout, "65534\n")
        r = self.d.cli("exec", "--uid", "65534", "--gid", "65534", "id", "-g")
        self.assertEqual(r.stdout, "65534\n")
        self.d.add_layer("l", "services:\n    s:\n        override: replace\n        command: sleep 1\n"
                         "        environment: {CTX: svc}\n")
        r = self.d.cli("exec", "--context", "s", "sh", "-c", "echo $CTX")
        self.assertEqual(r.stdout, "svc\n")
        # Options after the command belong to the command.
        r = self.d.cli("exec", "echo", "-w", "--env")
        self.assertEqual(r.stdout, "-w --env\n")
        # stderr shares stdout when both name the same file.
        with tempfile.TemporaryFile() as f:
            subprocess.run([SCREE, "exec", "sh", "-c", "echo a; echo b >&2"], env=self.d.env, stdout=f,
                           stderr=f, timeout=30)
            f.seek(0)
            self.assertEqual(sorted(f.read().split()), [b"a", b"b"])
        changes = self.d.get("/v1/changes?select=all")[1]["result"]
        self.assertTrue(all(c["kind"] == "exec" for c in changes))

    def test_errors(self):
        r = self.d.cli("exec", "--timeout", "100ms", "sleep", "5")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'error: cannot perform the following tasks:\n- exec command "sleep" '
                         "(timed out after 100ms: context deadline exceeded)\n")
        r = self.d.cli("exec", "no-such-command-xyz")
        self.assertEqual((r.returncode, r.stderr), (1, 'error: cannot find executable "no-such-command-xyz"\n'))
        r = self.d.cli("exec", "--frob", "x")
        self.assertEqual((r.returncode, r.stderr), (1, "error: unknown flag `frob'\n"))
        r = self.d.cli("exec", "-t", "-T", "true")
        self.assertEqual(r.stderr, "error: cannot use -t and -T at the same time\n")
        r = self.d.cli("exec", "-i", "-I", "true")
        self.assertEqual(r.stderr, "error: cannot use -i and -I at the same time\n")
        r = self.d.cli("exec")
        self.assertEqual(r.stderr, "error: the required argument `<command>` was not provided\n")
        r = self.d.cli("exec", "--uid", "abc", "true")
        self.assertIn("invalid argument for flag `--uid' (expected int)", r.stderr)
        r = self.d.cli("exec", "--timeout", "soon", "true")
        self.assertIn("invalid argument for flag `--timeout' (expected time.Duration)", r.stderr)

    def test_signal_forwarded(self):
        p = subprocess.Popen([SCREE, "exec", "sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; "
                              "while :; do sleep 0.05; done"], env=self.d.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.assertEqual(p.stdout.readline(), b"ready\n")
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
        self.assertEqual(out, b"got TERM\n")
        self.assertEqual(p.returncode, 7)

    def run_in_pty(self, args, send=b"", timeout=15):
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(SCREE, [SCREE] + args, self.d.env)
        out = b""
        deadline = time.monotonic() + timeout
        if send:
            os.write(fd, send)
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            else:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
        os.close(fd)
        return os.waitstatus_to_exitcode(status), out

    def test_terminal(self):
        # Under a terminal, exec defaults to -t and -i: the command gets a pty too.
        code, out = self.run_in_pty(["exec", "tty"])
        self.assertEqual(code, 0)
        self.assertRegex(out.decode(), r"/dev/pts/\d+")
        # -T: no remote terminal even though we have one (with -I: interactive needs one,
        # and defaults to on under a terminal, as upstream).
        code, out = self.run_in_pty(["exec", "-T", "-I", "sh", "-c", "test -t 1 || echo notty"])
        self.assertIn(b"notty", out)
        code, out = self.run_in_pty(["exec", "-T", "true"])
        self.assertIn(b"cannot use interactive mode without a terminal", out)
        # Interactive input in raw mode reaches the command.
        code, out = self.run_in_pty(["exec", "sh", "-c", "read x; echo got:$x"], send=b"abc\r")
        self.assertEqual(code, 0)
        self.assertIn(b"got:abc", out)


    def test_terminal_size_and_sigwinch(self):
        import fcntl
        import struct
        import termios
        master, slave = os.openpty()
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 21, 77, 0, 0))

        def ctty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        p = subprocess.Popen([SCREE, "exec", "sh", "-c", "stty size; echo ready; read x; stty size"],
                             env=self.d.env, stdin=slave, stdout=slave, stderr=slave, preexec_fn=ctty)
        os.close(slave)
        out = b""

        def read_until(needle, timeout=10):
            nonlocal out
            deadline = time.monotonic() + timeout
            while needle not in out and time.monotonic() < deadline:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        out += os.read(master, 65536)
                    except OSError:
                        break
            return needle in out
        self.assertTrue(read_until(b"ready"), out)
        self.assertIn(b"21 77", out)
        # The window changes: SIGWINCH makes the CLI send a resize through control.
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
        p.send_signal(signal.SIGWINCH)
        time.sleep(0.3)
        os.write(master, b"\r")
        self.assertTrue(read_until(b"33 111"), out)
        self.assertEqual(p.wait(10), 0)
        os.close(master)


class EnterTest(unittest.TestCase):
    def test_enter_exec(self):
        d = tempfile.mkdtemp(prefix="scree-enter-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
        env = dict(os.environ, PEBBLE=d)
        env.pop("PEBBLE_SOCKET", None)
        r = subprocess.run([SCREE, "enter", "exec", "echo", "hi"], env=env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "hi\n", ""))
        r = subprocess.run([SCREE, "enter", "exec", "--", "sh", "-c", "exit 6"], env=env, capture_output=True,
                           timeout=30)
        self.assertEqual(r.returncode, 6)
        # The daemon is gone again: its socket was removed.
        self.assertFalse(os.path.exists(os.path.join(d, ".pebble.socket")))
        # Services are held unless --run.
        os.makedirs(os.path.join(d, "layers"), exist_ok=True)
        with open(os.path.join(d, "layers", "001-base.yaml"), "w") as f:
            f.write("services:\n    svc:\n        override: replace\n        command: sleep 100\n"
                    "        startup: enabled\n")
        r = subprocess.run([SCREE, "enter", "services"], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"svc +enabled +inactive")
        # With --run the default services start; the command can use the CLI itself.
        r = subprocess.run([SCREE, "enter", "--run", "exec", "--", "sh", "-c", "sleep 1.2; %s services" % SCREE],
                           env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"svc +enabled +active")
        r = subprocess.run([SCREE, "enter", "--run", "plan"], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stderr, 'error: enter: cannot provide --run before "plan" subcommand\n')
        r = subprocess.run([SCREE, "enter", "frob"], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stderr, 'error: enter: subcommand "frob" is not supported\n')


if __name__ == "__main__":
    unittest.main()
