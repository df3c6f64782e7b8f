"""scree HTTP API basics: envelope, routing errors, system-info, malformed input."""

import json
import socket
import unittest

from screeh import DaemonTest, Daemon


class ApiTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def test_system_info_envelope(self):
        status, reason, resp, payload = self.d.request("GET", "/v1/system-info")
        self.assertEqual((status, reason), (200, "OK"))
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        self.assertEqual(list(payload.keys()), ["type", "status-code", "status", "result"])
        self.assertEqual(payload["result"]["version"], "v1.32.1")
        self.assertRegex(payload["result"]["boot-id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    def test_boot_id_changes_per_daemon_start(self):
        first = self.d.get("/v1/system-info")[1]["result"]["boot-id"]
        self.d.stop()
        d2 = Daemon(pebble_dir=self.d.dir, keep_dir=True)
        self.addCleanup(d2.cleanup)
        d2.start()
        second = d2.get("/v1/system-info")[1]["result"]["boot-id"]
        self.assertNotEqual(first, second)

    def test_keepalive_many_requests(self):
        c = self.d.conn()
        for _ in range(200):
            status, payload = c.request("GET", "/v1/system-info") or (None, None)
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            json.loads(r.read())
        c.close()

    def test_health(self):
        status, payload = self.d.get("/v1/health")
        self.assertEqual(status, 200)
        self.assertEqual(payload, {"type": "sync", "status-code": 200, "status": "OK", "result": {"healthy": True}})
        status, payload = self.d.get("/v1/health?level=bogus")
        self.assertError(status, payload, 400, 'level must be "alive" or "ready"')

    def test_unknown_path_404(self):
        status, reason, _, payload = self.d.request("GET", "/v1/nope")
        self.assertEqual(reason, "Not Found")
        self.assertError(status, payload, 404, "invalid API endpoint requested")
        status, payload = self.d.get("/v1/warnings")
        self.assertError(status, payload, 404, "invalid API endpoint requested")
        status, payload = self.d.get("/v1/services/")
        self.assertError(status, payload, 404, "invalid API endpoint requested")

    def test_wrong_method_405(self):
        status, reason, _, payload = self.d.request("PUT", "/v1/services", body={})
        self.assertEqual(reason, "Method Not Allowed")
        self.assertError(status, payload, 405, 'method "PUT" not allowed')
        status, payload = self.d.post("/v1/system-info", {})
        self.assertError(status, payload, 405, 'method "POST" not allowed')

    def test_service_by_name_not_implemented(self):
        status, payload = self.d.get("/v1/services/foo")
        self.assertError(status, payload, 400, "not implemented")

    def test_malformed_json(self):
        status, payload = self.d.post("/v1/services", b"{not json")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode data from request body: "),
                        payload)
        status, payload = self.d.post("/v1/services", b"[1,2]")
        self.assertEqual(status, 400)
        status, payload = self.d.post("/v1/services", {"action": 5})
        self.assertEqual(status, 400)
        status, payload = self.d.post("/v1/services", {"action": "start", "services": "x"})
        self.assertEqual(status, 400)
        status, payload = self.d.post("/v1/layers", b"\xff\xfe")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode request body: "), payload)
        # Still alive and answering.
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)

    def test_malformed_http(self):
        for garbage in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n"):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect(self.d.socket)
            s.sendall(garbage)
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            s.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)

    def test_unknown_action(self):
        status, payload = self.d.services_action("explode", ["a"])
        self.assertError(status, payload, 400, 'invalid action "explode"')

    def test_services_needs_names(self):
        status, payload = self.d.services_action("start")
        self.assertError(status, payload, 400, "must specify services for start action")
        status, payload = self.d.services_action("autostart", ["x"])
        self.assertError(status, payload, 400, "autostart accepts no service names")

    def test_no_default_services(self):
        status, payload = self.d.services_action("autostart")
        self.assertError(status, payload, 400, "no default services", kind="no-default-services")

    def test_changes_errors(self):
        status, payload = self.d.get("/v1/changes?select=bogus")
        self.assertError(status, payload, 400, "select should be one of: all,in-progress,ready")
        status, payload = self.d.get("/v1/changes/42")
        self.assertError(status, payload, 404, 'cannot find change with id "42"')
        status, payload = self.d.get("/v1/changes/42/wait")
        self.assertError(status, payload, 404, 'cannot find change with id "42"')
        status, payload = self.d.get("/v1/tasks/42")
        self.assertError(status, payload, 404, 'cannot find task with id "42"')
        status, payload = self.d.get("/v1/changes")
        self.assertEqual((status, payload["result"]), (200, []))

    def test_signals_errors(self):
        status, payload = self.d.post("/v1/signals", {"signal": "SIGHUP", "services": []})
        self.assertError(status, payload, 400, "must specify one or more services")
        status, payload = self.d.post("/v1/signals", {"signal": "SIGHUP", "services": ["a", "b"]})
        self.assertError(status, payload, 500, 'cannot send signal to "a": service is not running; '
                                               'cannot send signal to "b": service is not running')

    def test_checks_empty(self):
        status, payload = self.d.get("/v1/checks")
        self.assertEqual((status, payload["result"]), (200, []))

    def test_access_log_lines(self):
        self.d.get("/v1/services")
        self.d.get("/v1/system-info")
        self.d.wait_log(r"\[pebble\] GET /v1/services \S+ 200 \(http\+unix\)")
        self.assertNotIn("GET /v1/system-info", self.d.log())


class HttpListenerTest(DaemonTest):
    def test_tcp_only_open_endpoints(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        d = self.start_daemon(args=["--http", "127.0.0.1:%d" % port])
        d.wait_log(r'HTTP API server listening on "127\.0\.0\.1:%d"\.' % port)
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/v1/system-info")
        r = c.getresponse()
        body = json.loads(r.read())
        self.assertEqual(r.status, 200)
        self.assertEqual(body["result"]["http-address"], "127.0.0.1:%d" % port)
        c.request("GET", "/v1/services")
        r = c.getresponse()
        body = json.loads(r.read())
        self.assertEqual(r.status, 401)
        self.assertEqual(body["result"], {"message": "access denied", "kind": "login-required"})
        c.close()


if __name__ == "__main__":
    unittest.main()
