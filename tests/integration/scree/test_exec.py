"""scree exec (§16) driven exactly as ops.pebble.Client.exec drives it: streaming stdin,
split and combined stderr, exit codes, timeouts, a grandchild holding stdout open, signals
through the control websocket, and the environment, working-dir, user and session of the
child."""

import os
import time
import unittest

from screeh import Daemon, DaemonTest
from wsh import OpsExec


class ExecTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def run_exec(self, command, **kw):
        return OpsExec(self.d, command, **kw).wait()

    def test_echo_and_change_shape(self):
        ex = OpsExec(self.d, ["echo", "hello", "world"])
        self.assertEqual(ex.response["type"], "async")
        self.assertEqual(ex.response["status-code"], 202)
        self.assertEqual(list(ex.response), ["type", "status-code", "status", "change", "result"])
        self.assertEqual(list(ex.response["result"]), ["environment", "task-id", "working-dir"])
        code, out, err, chg = ex.wait()
        self.assertEqual((code, out, err), (0, b"hello world\n", b""))
        self.assertEqual(chg["kind"], "exec")
        self.assertEqual(chg["summary"], 'Execute command "echo"')
        self.assertEqual(chg["status"], "Done")
        self.assertNotIn("err", chg)
        self.assertEqual(len(chg["tasks"]), 1)
        task = chg["tasks"][0]
        self.assertEqual((task["id"], task["kind"], task["summary"], task["status"]),
                         (ex.task_id, "exec", 'exec command "echo"', "Done"))
        self.assertEqual(task["data"], {"exit-code": 0})
        self.d.wait_log(r"POST /v1/exec \S+ 202")

    def test_stdin_streams_megabytes_through_cat(self):
        data = os.urandom(6 * 1024 * 1024 + 12345)
        code, out, err, _ = self.run_exec(["cat"], stdin=data)
        self.assertEqual(code, 0)
        self.assertEqual(len(out), len(data))
        self.assertTrue(out == data)
        self.assertEqual(err, b"")

    def test_split_and_combined_stderr(self):
        cmd = ["sh", "-c", "echo out; echo err >&2; echo out2"]
        code, out, err, _ = self.run_exec(cmd)
        self.assertEqual((code, out, err), (0, b"out\nout2\n", b"err\n"))
        code, out, err, _ = self.run_exec(cmd, combine_stderr=True)
        self.assertEqual(code, 0)
        self.assertEqual(err, b"")
        self.assertEqual(sorted(out.splitlines()), [b"err", b"out", b"out2"])

    def test_exit_codes(self):
        for n in (0, 1, 3, 255):
            code, _, _, chg = self.run_exec(["sh", "-c", "exit %d" % n])
            self.assertEqual(code, n)
            # A non-zero exit is not an error: the task is Done.
            self.assertEqual(chg["status"], "Done")
            self.assertNotIn("err", chg)
            self.assertEqual(chg["tasks"][0]["data"], {"exit-code": n})

    def test_timeout(self):
        t0 = time.monotonic()
        code, out, _, chg = self.run_exec(["sh", "-c", "echo started; exec sleep 30"], timeout=0.1)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(code, -1)
        self.assertEqual(out, b"started\n")
        self.assertEqual(chg["status"], "Error")
        self.assertEqual(chg["err"], "cannot perform the following tasks:\n"
                         '- exec command "sh" (timed out after 100ms: context deadline exceeded)')
        task = chg["tasks"][0]
        self.assertEqual(task["status"], "Error")
        self.assertEqual(task["data"], {"exit-code": -1})
        self.assertTrue(task["log"][-1].endswith("ERROR timed out after 100ms: context deadline exceeded"))
        # Other durations are formatted as Go does.
        _, _, _, chg = self.run_exec(["sleep", "30"], timeout=1.5)
        self.assertIn("(timed out after 1.5s: context deadline exceeded)", chg["err"])

    def test_timeout_kills_the_process_group(self):
        code, _, _, chg = self.run_exec(["sh", "-c", "sleep 30 & sleep 30; wait"], timeout=0.2)
        self.assertEqual(code, -1)
        self.assertIn("timed out after 200ms", chg["err"])

    def test_orphan_holding_stdout_delays_completion(self):
        t0 = time.monotonic()
        code, out, _, chg = self.run_exec(["sh", "-c", "(sleep 1; echo late) & echo early"])
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 0)
        self.assertEqual(out, b"early\nlate\n")
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertEqual(chg["status"], "Done")

    def test_change_not_ready_while_output_open(self):
        ex = OpsExec(self.d, ["sh", "-c", "(sleep 1; echo late) & exit 5"])
        time.sleep(0.4)
        status, payload = self.d.get("/v1/changes/" + ex.change_id)
        self.assertEqual(payload["result"]["status"], "Doing")
        self.assertFalse(payload["result"]["ready"])
        code, out, _, _ = ex.wait()
        self.assertEqual((code, out), (5, b"late\n"))

    def test_signal_through_control(self):
        ex = OpsExec(self.d, ["sleep", "30"])
        time.sleep(0.2)
        ex.send_signal("SIGTERM")
        code, _, _, chg = ex.wait()
        self.assertEqual(code, 128 + 15)
        self.assertEqual(chg["status"], "Done")
        self.d.wait_log(r"Exec %s: forwarded signal SIGTERM to PID \d+" % ex.task_id)
        # A trapped signal reaches the program, which carries on.
        ex = OpsExec(self.d, ["sh", "-c", "trap 'echo got USR1' USR1; echo ready; while :; do sleep 0.05; done"],
                     timeout=5)
        deadline = time.monotonic() + 5
        while b"ready" not in ex.out and time.monotonic() < deadline:
            time.sleep(0.02)
        ex.send_signal("SIGUSR1")
        deadline = time.monotonic() + 5
        while b"got USR1" not in ex.out and time.monotonic() < deadline:
            time.sleep(0.02)
        ex.send_signal("SIGKILL")
        code, out, _, _ = ex.wait()
        self.assertEqual(code, 128 + 9)
        self.assertIn(b"got USR1", out)
        # A bad signal name is logged, nothing else happens.
        ex = OpsExec(self.d, ["sh", "-c", "sleep 0.3; echo fine"])
        ex.send_signal("SIGNOPE")
        code, out, _, _ = ex.wait()
        self.assertEqual((code, out), (0, b"fine\n"))
        self.d.wait_log(r'invalid signal name "SIGNOPE"')

    def test_abort_kills_the_command(self):
        ex = OpsExec(self.d, ["sleep", "30"])
        time.sleep(0.2)
        status, payload = self.d.post("/v1/changes/" + ex.change_id, {"action": "abort"})
        self.assertEqual(status, 200, payload)
        code, _, _, chg = ex.wait()
        self.assertTrue(chg["ready"])
        self.assertEqual(code, 128 + 9)

    def test_session_and_no_controlling_terminal(self):
        code, out, _, _ = self.run_exec(["sh", "-c", "echo $$; cat /proc/$$/stat"])
        self.assertEqual(code, 0)
        pid, stat = out.decode().split("\n")[:2]
        fields = stat[stat.rindex(")") + 2:].split()
        # Own session and process group (setsid), no controlling terminal.
        self.assertEqual(fields[3], pid)   # session
        self.assertEqual(fields[2], pid)   # process group
        self.assertEqual(fields[4], "0")   # tty_nr

    def test_environment_and_working_dir(self):
        ex = OpsExec(self.d, ["sh", "-c", "pwd; env"], environment={"FOO": "bar", "LANG": "fr_FR.UTF-8"})
        env = ex.response["result"]["environment"]
        self.assertEqual(list(env), sorted(env))
        self.assertEqual(env["FOO"], "bar")
        self.assertEqual(env["LANG"], "fr_FR.UTF-8")
        code, out, _, _ = ex.wait()
        lines = out.decode().splitlines()
        self.assertEqual(lines[0], ex.response["result"]["working-dir"])
        got = dict(l.split("=", 1) for l in lines[1:] if "=" in l)
        self.assertEqual(got["FOO"], "bar")
        self.assertEqual(got["LANG"], "fr_FR.UTF-8")
        self.assertEqual(got["PATH"], env["PATH"])
        code, out, _, _ = self.run_exec(["pwd"], working_dir="/tmp")
        self.assertEqual(out, b"/tmp\n")

    def test_defaults_without_daemon_env(self):
        d = Daemon()
        for k in ("LANG", "PATH", "HOME", "USER"):
            d.env.pop(k, None)
        self.addCleanup(d.cleanup)
        d.start()
        ex = OpsExec(d, ["/bin/sh", "-c", "pwd"])
        env = ex.response["result"]["environment"]
        self.assertEqual(env["PATH"], "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        self.assertEqual(env["LANG"], "C.UTF-8")
        self.assertEqual(env["HOME"], "/root")
        self.assertEqual(env["USER"], "root")
        self.assertEqual(ex.response["result"]["working-dir"], "/root")
        code, out, _, _ = ex.wait()
        self.assertEqual(out, b"/root\n")

    def test_user_and_group(self):
        ex = OpsExec(self.d, ["sh", "-c", "id -u; id -g; echo $HOME $USER; pwd"], user="nobody")
        env = ex.response["result"]["environment"]
        self.assertEqual(env["USER"], "nobody")
        code, out, _, _ = ex.wait()
        lines = out.decode().splitlines()
        self.assertEqual(code, 0)
        self.assertEqual(lines[0], "65534")
        self.assertEqual(lines[2], "%s nobody" % env["HOME"])
        # nobody's home does not exist: the working dir falls back to "/".
        if not os.path.isdir(env["HOME"]):
            self.assertEqual(lines[3], "/")
        code, out, _, _ = self.run_exec(["id", "-u"], user_id=65534, group_id=65534)
        self.assertEqual(out, b"65534\n")

    def test_service_context(self):
        status, payload = self.d.add_layer("l", """
services:
    svc:
        override: replace
        command: sleep 100
        working-dir: /tmp
        environment:
            SVCVAR: from-service
            OTHER: service
""")
        self.assertEqual(status, 200, payload)
        code, out, _, _ = self.run_exec(["sh", "-c", "pwd; echo $SVCVAR $OTHER"], service_context="svc",
                                        environment={"OTHER": "request"})
        self.assertEqual(out, b"/tmp\nfrom-service request\n")
        code, out, _, _ = self.run_exec(["pwd"], service_context="svc", working_dir="/")
        self.assertEqual(out, b"/\n")

    def test_many_execs_leave_nothing_behind(self):
        for i in range(20):
            code, out, _, _ = self.run_exec(["echo", str(i)])
            self.assertEqual(out, b"%d\n" % i)
        # Every websocket and pipe was closed again.
        pid = self.d.proc.pid
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            fds = len(os.listdir("/proc/%d/fd" % pid))
            if fds < 20:
                break
            time.sleep(0.1)
        self.assertLess(fds, 20)
        status, payload = self.d.get("/v1/system-info")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
