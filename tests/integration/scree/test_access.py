"""scree access control by peer credentials (§9.2): a non-root, non-daemon uid may read
but not change anything; refusals are 401 login-required."""

import os
import unittest

from screeh import DaemonTest, drop_to, requests_as

NOBODY = 65534


def as_nobody(socket_path, calls):
    """Runs calls [(method, path, body)] from a forked child switched to uid nobody."""
    return requests_as(NOBODY, socket_path, [(m, p, b, None) for m, p, b in calls])


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch to nobody")
class AccessTest(DaemonTest):
    def test_read_allowed_write_refused(self):
        d = self.start_daemon()
        os.chmod(d.dir, 0o755)
        d.add_layer("base", "services:\n    p:\n        override: replace\n        command: sleep 100\n")
        res = as_nobody(d.socket, [
            ("GET", "/v1/system-info", None),
            ("GET", "/v1/services", None),
            ("GET", "/v1/changes", None),
            ("POST", "/v1/services", {"action": "start", "services": ["p"]}),
            ("POST", "/v1/layers", {"action": "add", "label": "x", "format": "yaml", "layer": "{}"}),
            ("GET", "/v1/plan?format=yaml", None),
            ("POST", "/v1/signals", {"signal": "SIGHUP", "services": ["p"]}),
        ])
        self.assertEqual([s for s, _ in res], [200, 200, 200, 401, 401, 401, 401])
        self.assertEqual(res[1][1]["result"][0]["name"], "p")
        for status, payload in res[3:]:
            self.assertEqual(payload, {"type": "error", "status-code": 401, "status": "Unauthorized",
                                       "result": {"message": "access denied", "kind": "login-required"}})
        # Nothing was started by the refused request.
        self.assertEqual(d.get("/v1/changes?select=all")[1]["result"], [])

    def test_cli_as_nobody_gets_error(self):
        d = self.start_daemon()
        os.chmod(d.dir, 0o755)

        drop = drop_to(NOBODY)
        r = d.cli("start", "p", preexec_fn=drop)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "error: access denied (try with sudo)\n")
        r = d.cli("services", preexec_fn=drop)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
