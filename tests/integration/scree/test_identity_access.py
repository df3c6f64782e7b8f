"""scree access control with identities (§9.2, §10): callers as root, as the daemon's own
uid and as another uid; named local identities (admin, read, metrics, untrusted); HTTP
basic auth with the right and a wrong password; the plain --http listener; GET /v1/metrics;
the socket's mode."""

import http.client
import json
import os
import shutil
import socket
import stat
import tempfile
import unittest

from screeh import Daemon, DaemonTest, basic_auth, drop_to, requests_as, sha512_crypt

NOBODY = 65534
DAEMON_UID = 65533  # an unprivileged uid for the daemon itself (no passwd entry needed)
DENIED = {"type": "error", "status-code": 401, "status": "Unauthorized",
          "result": {"message": "access denied", "kind": "login-required"}}
LAYER = {"action": "add", "label": "x", "combine": True, "format": "yaml",
         "layer": "services:\n    p:\n        override: replace\n        command: sleep 100\n"}

# One probe per endpoint class: open, user (read), admin, metrics.
PROBES = [
    ("GET", "/v1/system-info", None),
    ("GET", "/v1/health", None),
    ("GET", "/v1/services", None),
    ("GET", "/v1/identities", None),
    ("GET", "/v1/plan?format=yaml", None),
    ("POST", "/v1/layers", LAYER),
    ("GET", "/v1/metrics", None),
]
AS_ADMIN = [200, 200, 200, 200, 200, 200, 200]
AS_READ = [200, 200, 200, 200, 401, 401, 401]
AS_METRICS = [200, 200, 401, 401, 401, 401, 200]
AS_NOBODY = [200, 200, 401, 401, 401, 401, 401]


def probe(uid, sock, headers=None):
    calls = [(m, p, b, headers) for m, p, b in PROBES]
    return requests_as(uid, sock, calls)


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch uids")
class LocalAccessTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()
        os.chmod(self.d.dir, 0o755)  # the socket must be reachable by other uids

    def set_identities(self, ids):
        status, payload = self.d.post("/v1/identities", {"action": "replace", "identities": ids})
        self.assertEqual(status, 200, payload)

    def statuses(self, uid, headers=None):
        res = probe(uid, self.d.socket, headers)
        for (status, payload), (method, path, _) in zip(res, PROBES):
            if status == 401:
                self.assertEqual(payload, DENIED, path)
        return [s for s, _ in res]

    def test_socket_mode(self):
        mode = os.stat(self.d.socket).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o666)

    def test_defaults_by_uid(self):
        self.assertEqual(self.statuses(0), AS_ADMIN)
        self.assertEqual(self.statuses(NOBODY), AS_READ)

    def test_named_local_identities(self):
        for access, want in (("admin", AS_ADMIN), ("read", AS_READ), ("metrics", AS_METRICS),
                             ("untrusted", AS_NOBODY)):
            self.set_identities({"who": {"access": access, "local": {"user-id": NOBODY}}})
            self.assertEqual(self.statuses(NOBODY), want, access)
        # A named identity for root decides too: root can be restricted.
        self.set_identities({"who": None, "root": {"access": "read", "local": {"user-id": 0}},
                             "keeper": {"access": "admin", "local": {"user-id": NOBODY}}})
        self.assertEqual(self.statuses(0), AS_READ)
        res = requests_as(NOBODY, self.d.socket, [("POST", "/v1/identities",
                                                   {"action": "remove", "identities": {"root": None}}, None)])
        self.assertEqual(res[0][0], 200, res)
        self.assertEqual(self.statuses(0), AS_ADMIN)

    def test_cli_login_required(self):
        self.set_identities({"who": {"access": "untrusted", "local": {"user-id": NOBODY}}})
        r = self.d.cli("services", preexec_fn=drop_to(NOBODY))
        self.assertEqual((r.returncode, r.stderr), (1, "error: access denied (try with sudo)\n"))
        r = self.d.cli("identities", preexec_fn=drop_to(NOBODY))
        self.assertEqual((r.returncode, r.stderr), (1, "error: access denied (try with sudo)\n"))

    def test_basic_auth_on_the_socket(self):
        h = sha512_crypt("s3cret")
        self.set_identities({"alice": {"access": "admin", "basic": {"password": h}},
                             "mo": {"access": "metrics", "basic": {"password": h}},
                             "lock": {"access": "untrusted", "local": {"user-id": NOBODY}}})
        # Right password: the basic identity decides, whatever the uid.
        self.assertEqual(self.statuses(NOBODY, basic_auth("alice", "s3cret")), AS_ADMIN)
        self.assertEqual(self.statuses(0, basic_auth("mo", "s3cret")), AS_METRICS)
        # Wrong password, unknown name: matches nobody, so the uid alone decides (root is
        # admin; nobody stays "untrusted" - bogus credentials do not shed an identity).
        self.assertEqual(self.statuses(0, basic_auth("alice", "wrong")), AS_ADMIN)
        self.assertEqual(self.statuses(NOBODY, basic_auth("alice", "wrong")), AS_NOBODY)
        self.assertEqual(self.statuses(NOBODY, basic_auth("eve", "s3cret")), AS_NOBODY)
        self.assertEqual(self.statuses(NOBODY, {"Authorization": "Basic !!!"}), AS_NOBODY)

    def test_metrics(self):
        status, payload = self.d.add_layer("base", LAYER["layer"])
        self.assertEqual(status, 200, payload)
        self.d.run_action("start", ["p"])
        status, _, resp, body = self.d.request("GET", "/v1/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(resp.getheader("Content-Type"), "text/plain; charset=utf-8")
        self.assertEqual(body,
                         "# HELP pebble_service_active Whether the service is currently active (1) or not (0)\n"
                         "# TYPE pebble_service_active gauge\n"
                         'pebble_service_active{service="p"} 1\n'
                         "\n"
                         "# HELP pebble_service_start_count Number of times the service has started\n"
                         "# TYPE pebble_service_start_count counter\n"
                         'pebble_service_start_count{service="p"} 1\n'
                         "\n")
        self.d.run_action("restart", ["p"])
        self.d.run_action("stop", ["p"])
        status, _, _, body = self.d.request("GET", "/v1/metrics")
        self.assertIn('pebble_service_active{service="p"} 0\n', body)
        self.assertIn('pebble_service_start_count{service="p"} 2\n', body)


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch uids")
class DaemonUidTest(DaemonTest):
    def test_daemon_uid_is_admin(self):
        dir = tempfile.mkdtemp(prefix="scree-test-")
        self.addCleanup(shutil.rmtree, dir, True)
        os.chmod(dir, 0o755)
        os.makedirs(os.path.join(dir, "layers"))
        for root, dirs, files in os.walk(dir):
            os.chown(root, DAEMON_UID, DAEMON_UID)
        d = Daemon(pebble_dir=dir, keep_dir=True, preexec_fn=drop_to(DAEMON_UID))
        self.addCleanup(d.cleanup)
        d.start()
        self.assertIn('"event":"sys_startup:%d"' % DAEMON_UID, d.log())
        statuses = lambda uid: [s for s, _ in probe(uid, d.socket)]
        self.assertEqual(statuses(DAEMON_UID), AS_ADMIN)
        self.assertEqual(statuses(0), AS_ADMIN)
        self.assertEqual(statuses(NOBODY), AS_READ)
        # The daemon (not root) persisted what it was told.
        res = requests_as(DAEMON_UID, d.socket, [("POST", "/v1/identities", {"action": "add", "identities": {
            "n": {"access": "admin", "local": {"user-id": NOBODY}}}}, None)])
        self.assertEqual(res[0][0], 200, res)
        self.assertEqual(statuses(NOBODY), AS_ADMIN)
        self.assertEqual(os.stat(os.path.join(dir, ".pebble.state")).st_uid, DAEMON_UID)


class HttpAccessTest(DaemonTest):
    def setUp(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.d = self.start_daemon(args=["--http", "127.0.0.1:%d" % self.port])
        self.h = sha512_crypt("pw")
        status, payload = self.d.post("/v1/identities", {"action": "add", "identities": {
            "mo": {"access": "metrics", "basic": {"password": self.h}},
            "alice": {"access": "admin", "basic": {"password": self.h}},
            "rita": {"access": "read", "basic": {"password": self.h}}}})
        self.assertEqual(status, 200, payload)

    def statuses(self, headers=None):
        out = []
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for method, path, body in PROBES:
            hdrs = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            raw = r.read()
            if r.status == 401:
                self.assertEqual(json.loads(raw), DENIED)
            out.append(r.status)
        c.close()
        return out

    def test_only_open_endpoints_and_metrics(self):
        self.assertEqual(self.statuses(), AS_NOBODY)
        # Over plain HTTP, basic auth reaches metrics (metrics and admin identities) and
        # never the user or admin endpoints.
        self.assertEqual(self.statuses(basic_auth("mo", "pw")), AS_METRICS)
        self.assertEqual(self.statuses(basic_auth("alice", "pw")), AS_METRICS)
        self.assertEqual(self.statuses(basic_auth("rita", "pw")), AS_NOBODY)
        self.assertEqual(self.statuses(basic_auth("mo", "wrong")), AS_NOBODY)
        self.d.wait_log(r"GET /v1/metrics \S+ 200 \(http\)")


if __name__ == "__main__":
    unittest.main()
