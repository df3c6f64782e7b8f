"""scree health checks over the API, as ops.pebble and Pebble clients use them: http, tcp and
exec checks going down and recovering with 50 ms periods, the checkInfo fields, the
perform-check/recover-check changes with their ids and task logs, checks started inside
the /v1/layers request, re-layering, start/stop/refresh and every error text."""

import http.server
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from screeh import DaemonTest

DEADLINE = 10.0  # only reached when a check never gets where a test waits for it
# A check's timeout is its period at most (§14): with a 50 ms period, a run that a loaded
# machine delays by 50 ms (the Python backend answering late, sh starting late) is a
# failure with another message.  Checks whose exact messages, logs or first results a test
# asserts run at SAFE_PERIOD; checks whose runs cannot be slow (a refused connect, an
# unsupported scheme) or whose tests only count failures keep 50 ms, so the suite stays fast.
SAFE_PERIOD = "400ms"


class Backend:
    """A tiny HTTP server whose answer the test sets: status code and body."""

    def __init__(self):
        self.status = 200
        self.body = b"ok\n"
        self.requests = []
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                backend.requests.append((self.path, dict(self.headers)))
                self.send_response(backend.status)
                self.send_header("Content-Length", str(len(backend.body)))
                if backend.status in (301, 302) and hasattr(backend, "location"):
                    self.send_header("Location", backend.location)
                self.end_headers()
                self.wfile.write(backend.body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ChecksTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()
        self.backend = Backend()
        self.addCleanup(self.backend.close)

    def layer(self, text, label="checks", combine=False):
        status, payload = self.d.add_layer(label, text, combine=combine)
        self.assertEqual(status, 200, payload)

    def check(self, name):
        status, payload = self.d.get("/v1/checks?names=" + name)
        self.assertEqual(status, 200, payload)
        return payload["result"][0] if payload["result"] else None

    def change(self, change_id):
        status, payload = self.d.get("/v1/changes/" + change_id)
        self.assertEqual(status, 200, payload)
        return payload["result"]

    def wait_check(self, name, pred, what):
        deadline = time.monotonic() + DEADLINE
        info = None
        while time.monotonic() < deadline:
            info = self.check(name)
            if info and pred(info):
                return info
            time.sleep(0.01)
        self.fail("check %s never became %s: %r" % (name, what, info))

    def http_layer(self, name="web", threshold=2, extra="", period="50ms"):
        return """
checks:
    %s:
        override: replace
        level: ready
        period: %s
        threshold: %d
        http:
            url: http://127.0.0.1:%d/health
            headers:
                x-probe: scree
%s""" % (name, period, threshold, self.backend.port, extra)

    def test_checks_start_inside_layer_request(self):
        self.assertEqual(self.d.get("/v1/checks"), (200, {"type": "sync", "status-code": 200, "status": "OK",
                                                          "result": []}))
        self.layer(self.http_layer())
        # Right after the layer request answered: running, with a change-id (the ops quirk).
        status, payload = self.d.get("/v1/checks")
        self.assertEqual(status, 200)
        info = payload["result"][0]
        self.assertEqual(list(info), ["name", "level", "startup", "status", "successes", "threshold", "change-id"])
        self.assertEqual(info, {"name": "web", "level": "ready", "startup": "enabled", "status": "up",
                                "successes": 0, "threshold": 2, "change-id": info["change-id"]})
        chg = self.change(info["change-id"])
        self.assertEqual((chg["kind"], chg["summary"], chg["ready"]), ("perform-check", 'Perform HTTP check "web"', False))
        self.assertEqual(len(chg["tasks"]), 1)
        self.assertEqual((chg["tasks"][0]["kind"], chg["tasks"][0]["summary"]), ("perform-check", 'Perform HTTP check "web"'))
        # The first run comes one period later, with the check's headers.
        self.wait_check("web", lambda i: i["successes"] >= 1, "successful")
        path, headers = self.backend.requests[0]
        self.assertEqual(path, "/health")
        self.assertEqual(headers.get("X-Probe"), "scree")
        self.assertEqual(headers.get("User-Agent"), "Go-http-client/1.1")
        # The plan shows the default threshold only when it was not set.
        status, payload = self.d.get("/v1/plan?format=yaml")
        self.assertIn("threshold: 2", payload["result"])

    def test_http_down_recover_up(self):
        self.layer(self.http_layer(period=SAFE_PERIOD))
        perform = self.check("web")["change-id"]
        self.wait_check("web", lambda i: i["successes"] >= 1, "successful")
        self.backend.status = 500
        self.backend.body = b"line1\nline2\nline3\nline4\nline5\nline6\nline7\n"
        # Down at the threshold-th failure, not later (the time that takes is two periods
        # plus whatever the machine adds: not asserted).
        info = self.wait_check("web", lambda i: i["status"] == "down", "down")
        self.assertEqual(info["failures"], 2)
        self.assertEqual(info["successes"], 0)
        self.assertEqual(info["prev-change-id"], perform)
        recover = info["change-id"]
        self.assertNotEqual(recover, perform)
        chg = self.change(perform)
        self.assertEqual(chg["status"], "Error")
        # As upstream, err lists every ERROR line of the failed task.
        self.assertEqual(chg["err"], 'cannot perform the following tasks:\n'
                                     '- Perform HTTP check "web" (non-2xx status code 500; line1\nline2\nline3\n'
                                     'line4\nline5\n(...))\n'
                                     '- Perform HTTP check "web" (non-2xx status code 500)')
        log = chg["tasks"][0]["log"]
        # Below the threshold the error and its details; at it, the error alone.
        self.assertRegex(log[-2], r"^\S+ ERROR non-2xx status code 500; line1\nline2\nline3\nline4\nline5\n\(\.\.\.\)$")
        self.assertRegex(log[-1], r"^\S+ ERROR non-2xx status code 500$")
        rchg = self.change(recover)
        self.assertEqual((rchg["kind"], rchg["summary"], rchg["status"]),
                         ("recover-check", 'Recover HTTP check "web"', "Doing"))
        # Health: the ready check is down.
        status, _, resp, _ = self.d.request("GET", "/v1/health?level=ready")
        self.assertEqual(status, 502)
        # While recovering, failures go on counting and are logged with their details.
        self.wait_check("web", lambda i: i["failures"] >= 3, "failing while recovering")

        self.backend.status = 200
        # Up at the first success.
        info = self.wait_check("web", lambda i: i["status"] == "up", "up again")
        self.assertEqual(info["successes"], 1)
        self.assertNotIn("failures", info)
        self.assertEqual(info["prev-change-id"], recover)
        self.assertEqual(self.change(recover)["status"], "Done")
        self.assertRegex(self.change(recover)["tasks"][0]["log"][-1], r"ERROR non-2xx status code 500; line1")
        again = self.change(info["change-id"])
        self.assertEqual((again["kind"], again["status"]), ("perform-check", "Doing"))

    def test_http_success_after_failures_logged(self):
        self.layer(self.http_layer(threshold=100))
        chg_id = self.check("web")["change-id"]
        self.backend.status = 404
        self.backend.body = b""
        self.wait_check("web", lambda i: i.get("failures", 0) >= 2, "failing")
        self.backend.status = 204
        info = self.wait_check("web", lambda i: "failures" not in i, "passing")
        self.assertEqual(info["status"], "up")
        log = self.change(chg_id)["tasks"][0]["log"]
        self.assertTrue(any(re.match(r"^\S+ ERROR non-2xx status code 404$", l) for l in log), log)
        self.assertRegex(log[-1], r"^\S+ INFO succeeded after \d+ failures$")

    def test_http_transport_errors(self):
        port = free_port()
        self.layer("""
checks:
    refused:
        override: replace
        period: 50ms
        threshold: 1
        http:
            url: http://127.0.0.1:%d/x
    scheme:
        override: replace
        period: 50ms
        threshold: 1
        http:
            url: ftp://example.com/x
    redirect:
        override: replace
        period: 2s
        threshold: 1
        http:
            url: http://127.0.0.1:%d/start
""" % (port, self.backend.port))
        self.backend.status = 302
        self.backend.location = "/start"
        for name, text in (
                ("refused", 'Get "http://127.0.0.1:%d/x": dial tcp 127.0.0.1:%d: connect: connection refused' % (port, port)),
                ("scheme", 'Get "ftp://example.com/x": unsupported protocol scheme "ftp"'),
                ("redirect", 'Get "http://127.0.0.1:%d/start": stopped after 10 redirects' % self.backend.port)):
            info = self.wait_check(name, lambda i: i["status"] == "down", "down")
            chg = self.change(info["prev-change-id"])
            self.assertEqual(chg["err"], 'cannot perform the following tasks:\n- Perform HTTP check "%s" (%s)'
                             % (name, text))

    def test_tcp_check(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        self.layer("""
checks:
    port:
        override: replace
        level: alive
        period: 50ms
        threshold: 2
        tcp:
            host: 127.0.0.1
            port: %d
    local:
        override: replace
        period: 50ms
        threshold: 1
        tcp:
            port: %d
""" % (port, free_port()))
        self.assertEqual(self.change(self.check("port")["change-id"])["summary"], 'Perform TCP check "port"')
        self.wait_check("port", lambda i: i["successes"] >= 2, "successful")
        listener.close()
        info = self.wait_check("port", lambda i: i["status"] == "down", "down")
        log = self.change(info["prev-change-id"])["tasks"][0]["log"]
        self.assertRegex(log[-1], r"^\S+ ERROR dial tcp 127\.0\.0\.1:%d: connect: connection refused$" % port)
        # The default host is localhost.
        info = self.wait_check("local", lambda i: i["status"] == "down", "down")
        err = self.change(info["prev-change-id"])["err"]
        self.assertRegex(err, r'\(dial tcp (127\.0\.0\.1|\[::1\]):\d+: connect: connection refused\)$')

    def test_tcp_unknown_host(self):
        self.layer("""
checks:
    dns:
        override: replace
        period: 2s
        threshold: 1
        tcp:
            host: no-such-host.invalid
            port: 80
""")
        info = self.wait_check("dns", lambda i: i["status"] == "down", "down")
        self.assertEqual(self.change(info["prev-change-id"])["err"],
                         'cannot perform the following tasks:\n- Perform TCP check "dns" '
                         "(dial tcp: lookup no-such-host.invalid: no such host)")

    def test_exec_check_context_env_and_details(self):
        work = tempfile.mkdtemp(prefix="scree-exec-")
        self.addCleanup(lambda: os.path.exists(work) and __import__("shutil").rmtree(work))
        flag = os.path.join(work, "fail")
        self.layer("""
services:
    svc:
        override: replace
        command: sleep 100
        environment:
            FROM_SVC: inherited
        working-dir: %s
checks:
    ex:
        override: replace
        period: %s
        threshold: 2
        exec:
            command: /bin/sh -c 'echo "$FROM_SVC $OWN $(pwd)"; for i in 1 2 3 4 5 6; do echo l$i; done; test ! -e fail'
            service-context: svc
            environment:
                OWN: own
""" % (work, SAFE_PERIOD))
        self.assertEqual(self.change(self.check("ex")["change-id"])["summary"], 'Perform exec check "ex"')
        self.wait_check("ex", lambda i: i["successes"] >= 1, "successful")
        open(flag, "w").close()
        info = self.wait_check("ex", lambda i: i["status"] == "down", "down")
        log = self.change(info["prev-change-id"])["tasks"][0]["log"]
        # The last 5 lines of output are the details (logged below the threshold: the
        # failure that hits it logs the error alone).
        self.assertRegex(log[-2], r"^\S+ ERROR exit status 1; l2\nl3\nl4\nl5\nl6$")
        self.assertRegex(log[-1], r"^\S+ ERROR exit status 1$")
        os.unlink(flag)
        self.wait_check("ex", lambda i: i["status"] == "up", "up")

        # The whole output, as seen by a check that always fails.
        self.layer("""
checks:
    ctx:
        override: replace
        period: %s
        threshold: 2
        exec:
            command: /bin/sh -c 'echo "$FROM_SVC $OWN $(pwd)"; exit 3'
            service-context: svc
            environment:
                OWN: own
""" % SAFE_PERIOD, label="ctx")
        info = self.wait_check("ctx", lambda i: i["status"] == "down", "down")
        chg = self.change(info["prev-change-id"])
        self.assertRegex(chg["tasks"][0]["log"][-2], r"^\S+ ERROR exit status 3; inherited own %s$" % re.escape(work))

    def test_exec_errors(self):
        self.layer("""
checks:
    missing:
        override: replace
        period: SAFE
        threshold: 1
        exec:
            command: /nonexistent/program arg
    nocmd:
        override: replace
        period: SAFE
        threshold: 1
        exec:
            command: no-such-program-in-path
    slow:
        override: replace
        period: 200ms
        timeout: 100ms
        threshold: 1
        exec:
            command: sleep 10
    nodir:
        override: replace
        period: SAFE
        threshold: 1
        exec:
            command: "true"
            working-dir: /nonexistent/dir
""".replace("SAFE", SAFE_PERIOD))
        # A command that cannot be split is refused with the layer, not at run time.
        status, payload = self.d.add_layer("quote", "checks:\n    q:\n        override: replace\n"
                                           "        exec:\n            command: echo 'unterminated\n")
        self.assertError(status, payload, 400, 'cannot parse layer YAML: plan check "q" command invalid: '
                                               "EOF found when expecting closing quote")
        for name, text in (("nodir", "chdir /nonexistent/dir: no such file or directory"),
                           ("missing", "fork/exec /nonexistent/program: no such file or directory"),
                           ("nocmd", 'exec: "no-such-program-in-path": executable file not found in $PATH'),
                           ("slow", "check timed out after 100ms")):
            info = self.wait_check(name, lambda i: i["status"] == "down", "down")
            self.assertEqual(self.change(info["prev-change-id"])["err"],
                             'cannot perform the following tasks:\n- Perform exec check "%s" (%s)' % (name, text))
        # The timed-out command was killed, not left behind (the check stopped first, so no
        # next run has started one of its own).
        status, payload = self.d.post("/v1/checks", {"action": "stop", "checks": ["slow"]})
        self.assertEqual(status, 200, payload)
        out = subprocess.run(["pgrep", "-P", str(self.d.proc.pid), "-f", "sleep 10"], capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "")

    def test_timeout_capped_to_period(self):
        self.layer("""
checks:
    t:
        override: replace
        period: 100ms
        timeout: 5s
        threshold: 1
        exec:
            command: sleep 10
""")
        info = self.wait_check("t", lambda i: i["status"] == "down", "down")
        self.assertIn("(check timed out after 100ms)", self.change(info["prev-change-id"])["err"])
        # The plan still shows the timeout that was set.
        self.assertIn("timeout: 5s", self.d.get("/v1/plan?format=yaml")[1]["result"])

    def test_relayer_changed_and_unchanged(self):
        # b fails every run; its threshold keeps it up (its perform-check change open) for
        # as long as the test takes even on a slow machine, so a new change-id of b can only
        # come from a relayer that restarted it.
        self.layer(self.http_layer("a") + """    b:
        override: replace
        period: 50ms
        threshold: 100000
        tcp:
            port: 1
""")
        a, b = self.check("a"), self.check("b")
        # Re-adding the same configuration touches nothing.
        self.layer(self.http_layer("a"), label="again")
        self.assertEqual(self.check("a")["change-id"], a["change-id"])
        self.assertEqual(self.check("b")["change-id"], b["change-id"])
        # Changing a restarts it (new change, counters reset) at once; b is untouched.
        self.wait_check("a", lambda i: i["successes"] >= 1, "successful")
        self.layer("""
checks:
    a:
        override: merge
        period: 60ms
""", label="change-a")
        info = self.check("a")
        self.assertNotEqual(info["change-id"], a["change-id"])
        self.assertEqual(info["successes"], 0)
        self.assertEqual(self.change(a["change-id"])["status"], "Undone")
        self.assertEqual(self.check("b")["change-id"], b["change-id"])

    def test_start_stop(self):
        self.layer(self.http_layer("a") + """    b:
        override: replace
        startup: disabled
        period: 50ms
        tcp:
            port: 1
""")
        b = self.check("b")
        self.assertEqual(b, {"name": "b", "startup": "disabled", "status": "inactive", "successes": 0,
                             "threshold": 3})
        self.backend.status = 500
        self.wait_check("a", lambda i: i.get("failures", 0) >= 1, "failing")
        a_change = self.check("a")["change-id"]
        status, payload = self.d.post("/v1/checks", {"action": "stop", "checks": ["b", "a"]})
        self.assertEqual((status, payload["result"]), (200, {"changed": ["a"]}))
        info = self.check("a")
        self.assertEqual(info["status"], "inactive")
        self.assertNotIn("change-id", info)
        self.assertGreaterEqual(info["failures"], 1)  # counters kept
        chg = self.change(a_change)
        self.assertTrue(chg["ready"])
        self.assertEqual(chg["status"], "Undone")
        status, payload = self.d.post("/v1/checks", {"action": "stop", "checks": ["a"]})
        self.assertEqual(payload["result"], {"changed": []})
        status, payload = self.d.post("/v1/checks", {"action": "start", "checks": ["b", "a", "b"]})
        self.assertEqual((status, payload["result"]), (200, {"changed": ["a", "b"]}))
        self.assertEqual(self.check("b")["status"], "up")
        self.assertIn("change-id", self.check("b"))
        self.assertIn('"event":"sys_monitor_disabled:<unknown>,a"', self.d.log())

        for body, msg in (({"action": "start", "checks": []}, "must specify checks for start action"),
                          ({"action": "stop"}, "must specify checks for stop action"),
                          ({"action": "bounce", "checks": ["a"]}, 'invalid action "bounce"'),
                          ({"action": "start", "checks": ["a", "zz", "yy"]},
                           "cannot start checks: cannot find checks in plan: yy, zz"),
                          ({"action": "stop", "checks": ["zz"]}, "cannot stop checks: cannot find checks in plan: zz")):
            status, payload = self.d.post("/v1/checks", body)
            self.assertError(status, payload, 400, msg)
        status, _, _, payload = self.d.request("POST", "/v1/checks", b"{nope")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode data from request body: "))

    def test_replan_starts_stopped_checks(self):
        self.layer(self.http_layer("a"))
        self.d.post("/v1/checks", {"action": "stop", "checks": ["a"]})
        self.assertEqual(self.check("a")["status"], "inactive")
        self.d.run_action("replan")
        self.assertEqual(self.check("a")["status"], "up")

    def test_refresh(self):
        self.layer(self.http_layer("a", extra="") .replace("period: 50ms", "period: 10s"))
        before = len(self.backend.requests)
        status, payload = self.d.post("/v1/checks/refresh", {"name": "a"})
        self.assertEqual(status, 200, payload)
        self.assertEqual(len(self.backend.requests), before + 1)
        info = payload["result"]["info"]
        self.assertEqual(payload["result"], {"info": info})
        self.assertEqual((info["name"], info["status"], info["successes"]), ("a", "up", 1))
        self.backend.status = 503
        self.backend.body = b"busy\n"
        status, payload = self.d.post("/v1/checks/refresh", {"name": "a"})
        self.assertEqual(status, 200)
        self.assertEqual(payload["result"]["error"], "non-2xx status code 503")
        self.assertEqual(payload["result"]["info"]["failures"], 1)
        status, payload = self.d.post("/v1/checks/refresh", {"name": "nope"})
        self.assertError(status, payload, 404, 'cannot find check with name "nope"')
        status, payload = self.d.post("/v1/checks/refresh", {})
        self.assertError(status, payload, 400, "must specify check name")

    def test_health(self):
        self.layer("""
checks:
    alive:
        override: replace
        level: alive
        period: %s
        threshold: 2
        http:
            url: http://127.0.0.1:%d/
    other:
        override: replace
        startup: disabled
        tcp:
            port: 1
""" % (SAFE_PERIOD, self.backend.port))
        ok = b'{"result":{"healthy":true},"status":"OK","status-code":200,"type":"sync"}'
        bad = b'{"result":{"healthy":false},"status":"Bad Gateway","status-code":502,"type":"sync"}'

        def raw(path):
            c = self.d.conn()
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            c.close()
            return r.status, r.reason, r.getheader("Content-Type"), body

        self.assertEqual(raw("/v1/health"), (200, "OK", "application/json", ok))
        self.backend.status = 500
        self.wait_check("alive", lambda i: i["status"] == "down", "down")
        self.assertEqual(raw("/v1/health"), (502, "Bad Gateway", "application/json", bad))
        self.assertEqual(raw("/v1/health?level=alive")[3], bad)
        self.assertEqual(raw("/v1/health?level=ready")[3], bad)  # ready implies alive
        self.assertEqual(raw("/v1/health?names=other")[3], ok)  # inactive checks are ignored
        self.assertEqual(raw("/v1/health?names=other,alive")[3], bad)
        status, payload = self.d.get("/v1/health?level=bogus")
        self.assertError(status, payload, 400, 'level must be "alive" or "ready"')
        status, payload = self.d.get("/v1/checks?level=bogus")
        self.assertError(status, payload, 400, 'level must be "alive" or "ready"')
        status, payload = self.d.get("/v1/checks?level=alive")
        self.assertEqual([i["name"] for i in payload["result"]], ["alive"])
        status, payload = self.d.get("/v1/checks?names=other&names=nope")
        self.assertEqual([i["name"] for i in payload["result"]], ["other"])
        # /v1/health answers without an access log line.
        self.assertNotIn("GET /v1/health", self.d.log())


class CheckFailureActionsTest(DaemonTest):
    """on-check-failure: restart, shutdown (exit 11), success-shutdown (exit 0), ignore."""

    def start_with(self, action):
        work = tempfile.mkdtemp(prefix="scree-ocf-")
        self.addCleanup(lambda: __import__("shutil").rmtree(work, ignore_errors=True))
        self.flag = os.path.join(work, "down")
        layer = """
services:
    svc:
        override: replace
        command: sleep 100
        startup: enabled
        backoff-delay: 50ms
        on-check-failure:
            chk: %s
checks:
    chk:
        override: replace
        period: 50ms
        threshold: 2
        exec:
            command: test ! -e %s
""" % (action, self.flag)
        self.d = self.start_daemon(layers={"001-base.yaml": layer})
        # on-check-failure acts on a running service: wait for the autostart (okay delay).
        self.d.wait_log(r"Started default services with change \d+\.")
        change_id = re.search(r"Started default services with change (\d+)\.", self.d.log()).group(1)
        self.assertEqual(self.d.wait_change(change_id)["status"], "Done")

    def test_restart(self):
        self.start_with("restart")
        first_pid_log = self.d.log().count('Service "svc" starting')
        open(self.flag, "w").close()
        self.d.wait_log(r'Service "svc" on-check-failure action is "restart", terminating process before restarting')
        self.d.wait_log(r'Service "svc" starting', count=first_pid_log + 1)
        os.unlink(self.flag)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            st, p = self.d.get("/v1/checks")
            if p["result"][0]["status"] == "up":
                break
            time.sleep(0.01)
        self.assertEqual(self.d.service("svc")["current"], "active")

    def test_shutdown_exit_11(self):
        self.start_with("shutdown")
        open(self.flag, "w").close()
        self.assertEqual(self.d.wait_exit(), 11)
        self.assertIn('Service "svc" on-check-failure action is "shutdown", triggering failure shutdown', self.d.log())

    def test_success_shutdown_exit_0(self):
        self.start_with("success-shutdown")
        open(self.flag, "w").close()
        self.assertEqual(self.d.wait_exit(), 0)
        self.assertIn('on-check-failure action is "success-shutdown", triggering success shutdown', self.d.log())

    def test_ignore(self):
        self.start_with("ignore")
        open(self.flag, "w").close()
        self.d.wait_log(r'Check "chk" threshold 2 hit, triggering action and recovering')
        self.d.wait_log(r'Service "svc" on-check-failure action is "ignore", not doing anything further')
        self.assertIsNone(self.d.proc.poll())
        self.assertEqual(self.d.log().count('Service "svc" starting'), 1)


if __name__ == "__main__":
    unittest.main()
