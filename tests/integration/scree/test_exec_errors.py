"""Every error text of POST /v1/exec and of the task websockets (§16), and the 5 s wait for
the I/O websockets."""

import json
import time
import unittest

from screeh import DaemonTest
from wsh import OpsExec, RawWS, ops_body, ws_connect


class ExecErrorsTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def post(self, body):
        return self.d.post("/v1/exec", body)

    def test_request_errors(self):
        cases = [
            ({}, 400, "must specify command"),
            (ops_body([]), 400, "must specify command"),
            ({"command": "echo"}, 400, "cannot decode request body: json: cannot unmarshal string into Go "
             "struct field execPayload.command of type []string"),
            ({"command": ["echo", 1]}, 400, "cannot decode request body: json: cannot unmarshal number into "
             "Go struct field execPayload.command of type string"),
            ({"command": ["echo"], "environment": {"A": 1}}, 400, "cannot decode request body: json: cannot "
             "unmarshal number into Go struct field execPayload.environment of type string"),
            ({"command": ["echo"], "user-id": "0"}, 400, "cannot decode request body: json: cannot unmarshal "
             "string into Go struct field execPayload.user-id of type int"),
            ({"command": ["echo"], "terminal": "yes"}, 400, "cannot decode request body: json: cannot "
             "unmarshal string into Go struct field execPayload.terminal of type bool"),
            (dict(ops_body(["echo"]), timeout="abc"), 400,
             'invalid timeout: time: invalid duration "abc"'),
            (ops_body(["no-such-program-xyz"]), 400, 'cannot find executable "no-such-program-xyz"'),
            (ops_body(["/nonexistent/bin/x"]), 400, 'cannot find executable "/nonexistent/bin/x"'),
            (ops_body(["echo"], service_context="nope"), 400, 'context service "nope" not found'),
            (ops_body(["echo"], user="no-such-user-xyz"), 400, "user: unknown user no-such-user-xyz"),
            (ops_body(["echo"], group="no-such-group-xyz", user="root"), 400,
             "group: unknown group no-such-group-xyz"),
            (ops_body(["echo"], group="root"), 400, "must specify user, not just group"),
            (ops_body(["echo"], user="root", user_id=5), 400, 'user "root" UID (0) does not match user-id (5)'),
            (ops_body(["echo"], working_dir="/nonexistent/dir"), 500,
             'cannot call exec: working directory "/nonexistent/dir" does not exist'),
            (ops_body(["echo"], interactive=True), 500,
             "cannot call exec: cannot use interactive mode without a terminal"),
        ]
        for body, code, message in cases:
            status, payload = self.post(body)
            with self.subTest(body=body):
                self.assertError(status, payload, code, message)
        status, _, _, payload = self.d.request("POST", "/v1/exec", b"{not json", {"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode request body: "), payload)
        # Nothing was created by any of them.
        status, payload = self.d.get("/v1/changes?select=all")
        self.assertEqual(payload["result"], [])

    def test_websocket_errors(self):
        ex_status, ex = self.post(ops_body(["sleep", "3"]))
        self.assertEqual(ex_status, 202)
        tid = ex["result"]["task-id"]
        status, payload = self.d.get("/v1/tasks/999/websocket/stdio")
        self.assertError(status, payload, 404, 'cannot find task "999"')
        status, payload = self.d.get("/v1/tasks/abc/websocket/stdio")
        self.assertError(status, payload, 404, 'cannot find task "abc"')
        # A task of another kind.
        self.d.add_layer("l", "services:\n    s:\n        override: replace\n        command: sleep 100\n")
        chg = self.d.run_action("start", ["s"])
        status, payload = self.d.get("/v1/tasks/%s/websocket/stdio" % chg["tasks"][0]["id"])
        self.assertError(status, payload, 400, '"start" tasks do not have websockets')
        # Unknown websocket ids (stderr exists only with split-stderr).
        status, payload = self.d.get("/v1/tasks/%s/websocket/nope" % tid)
        self.assertError(status, payload, 404, 'cannot find nope websocket for task "%s"' % tid)
        s2, combined = self.post(ops_body(["sleep", "3"], combine_stderr=True))
        ctid = combined["result"]["task-id"]
        status, payload = self.d.get("/v1/tasks/%s/websocket/stderr" % ctid)
        self.assertError(status, payload, 404, 'cannot find stderr websocket for task "%s"' % ctid)
        # Not an upgrade request.
        status, payload = self.d.get("/v1/tasks/%s/websocket/stdio" % tid)
        self.assertError(status, payload, 400, "websocket: the client is not using the websocket protocol: "
                         "'upgrade' token not found in 'Connection' header")
        status, payload = self.d.post("/v1/tasks/%s/websocket/stdio" % tid, {})
        self.assertError(status, payload, 405, 'method "POST" not allowed')
        # A second connect of the same websocket.
        first = ws_connect(self.d.socket, "/v1/tasks/%s/websocket/stdio" % tid)
        raw = RawWS(self.d.socket, "/v1/tasks/%s/websocket/stdio" % tid)
        self.assertEqual(raw.status_line, "HTTP/1.1 500 Internal Server Error")
        body = json.loads(raw.buf or raw.sock.recv(65536))
        self.assertEqual(body["result"]["message"], "stdio websocket already connected")
        raw.close()
        first.shutdown()

    def test_connect_timeout(self):
        t0 = time.monotonic()
        status, payload = self.post(ops_body(["echo", "never"]))
        self.assertEqual(status, 202)
        tid = payload["result"]["task-id"]
        # Control alone does not start the command.
        control = ws_connect(self.d.socket, "/v1/tasks/%s/websocket/control" % tid)
        chg = self.d.wait_change(payload["change"])
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 4.9)
        self.assertLess(elapsed, 8)
        self.assertEqual(chg["status"], "Error")
        self.assertEqual(chg["err"], 'cannot perform the following tasks:\n- exec command "echo" (exec %s: timeout '
                         "waiting for websocket connections: context deadline exceeded)" % tid)
        self.assertNotIn("data", chg["tasks"][0])
        self.d.wait_log(r"Exec %s: timeout waiting for websocket connections: context deadline exceeded" % tid)
        control.shutdown()
        # The task is over: its websockets are gone.
        status, payload = self.d.get("/v1/tasks/%s/websocket/stdio" % tid)
        self.assertError(status, payload, 404, 'cannot find stdio websocket for task "%s"' % tid)

    def test_finished_exec_has_no_websockets(self):
        ex = OpsExec(self.d, ["true"])
        ex.wait()
        raw = RawWS(self.d.socket, "/v1/tasks/%s/websocket/control" % ex.task_id)
        self.assertEqual(raw.status_line, "HTTP/1.1 404 Not Found")
        raw.close()


if __name__ == "__main__":
    unittest.main()
