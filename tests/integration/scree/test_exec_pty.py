"""Terminal execs (§16): a real pty, its size from width/height, resizes through the
control websocket, input through the pty in interactive mode, and stdout and stderr sharing
the terminal."""

import time
import unittest

from screeh import DaemonTest
from wsh import OpsExec


def wait_for(ex, needle, timeout=5):
    deadline = time.monotonic() + timeout
    while needle not in ex.out and time.monotonic() < deadline:
        time.sleep(0.02)
    return needle in ex.out


class ExecPtyTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def run_tty(self, command, **kw):
        kw.setdefault("terminal", True)
        kw.setdefault("interactive", True)
        return OpsExec(self.d, command, combine_stderr=True, **kw)

    def test_tty_and_size(self):
        code, out, _, _ = self.run_tty(["tty"]).wait()
        self.assertEqual(code, 0)
        self.assertRegex(out.decode(), r"^/dev/pts/\d+\r\n$")
        code, out, _, _ = self.run_tty(["stty", "size"], width=93, height=27).wait()
        self.assertEqual((code, out), (0, b"27 93\r\n"))

    def test_controlling_terminal_and_session(self):
        code, out, _, _ = self.run_tty(["sh", "-c", "ps -o tty= -p $$; cat /proc/$$/stat"]).wait()
        self.assertEqual(code, 0)
        lines = out.decode().split("\r\n")
        self.assertRegex(lines[0].strip(), r"^pts/\d+$")

    def test_resize(self):
        ex = self.run_tty(["sh", "-c", "echo ready; read line; stty size"], width=80, height=24, stdin=False)
        self.assertTrue(wait_for(ex, b"ready"))
        ex.resize(120, 40)
        time.sleep(0.1)
        ex.stdio.send_binary(b"go\n")
        code, out, _, _ = ex.wait()
        self.assertEqual(code, 0)
        self.assertTrue(out.endswith(b"40 120\r\n"), out)
        # Input is echoed by the terminal, as a terminal does.
        self.assertIn(b"go\r\n", out)

    def test_stderr_and_stdout_share_the_terminal(self):
        code, out, _, _ = self.run_tty(["sh", "-c", "echo out; echo err >&2; exit 4"]).wait()
        self.assertEqual(code, 4)
        self.assertEqual(out, b"out\r\nerr\r\n")

    def test_split_stderr_with_terminal(self):
        ex = OpsExec(self.d, ["sh", "-c", "echo out; echo err >&2"], terminal=True, interactive=True)
        code, out, err, _ = ex.wait()
        self.assertEqual((code, out, err), (0, b"out\r\n", b"err\n"))

    def test_non_interactive_terminal(self):
        # stdout is the terminal, stdin a pipe.
        ex = OpsExec(self.d, ["sh", "-c", "test -t 1 && echo out-tty; test -t 0 || echo in-pipe; cat"],
                     stdin=b"piped\n", terminal=True, combine_stderr=True)
        code, out, _, _ = ex.wait()
        self.assertEqual(code, 0)
        self.assertEqual(out, b"out-tty\r\nin-pipe\r\npiped\r\n")

    def test_end_of_input_is_eof(self):
        ex = self.run_tty(["cat"], stdin=False)
        ex.stdio.send_binary(b"line\n")
        self.assertTrue(wait_for(ex, b"line\r\nline\r\n"))
        ex.stdio.send('{"command":"end"}')
        code, out, _, _ = ex.wait()
        self.assertEqual(code, 0)

    def test_background_holder_does_not_block(self):
        # A background process keeps the terminal open: the exec still finishes when the
        # command exits (upstream stops at what is buffered).
        t0 = time.monotonic()
        code, out, _, chg = self.run_tty(["sh", "-c", "sleep 5 & echo bye"]).wait()
        self.assertLess(time.monotonic() - t0, 4)
        self.assertEqual(code, 0)
        self.assertIn(b"bye", out)


if __name__ == "__main__":
    unittest.main()
