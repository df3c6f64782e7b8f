"""scree notices over the API, as ops.pebble's get_notices/get_notice/notify use them: custom
notices and their repeat rules, the exact JSON, filters, the long-poll, per-user visibility
(a client running as another uid), change-update notices for service and check changes,
warnings and latest-warning, persistence across a restart, and every error text."""

import json
import os
import re
import socket
import threading
import time
import unittest
from datetime import datetime, timezone

from screeh import Daemon, DaemonTest, requests_as

NOBODY = 65534
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$"


def ns(ts):
    """Nanoseconds since the epoch of an RFC 3339 UTC time with up to 9 fraction digits."""
    base, _, frac = ts.rstrip("Z").partition(".")
    secs = int(datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return secs * 10**9 + int((frac + "000000000")[:9])


class NoticesTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def notify(self, key, data=None, repeat_after=None):
        body = {"action": "add", "type": "custom", "key": key}
        if data is not None:
            body["data"] = data
        if repeat_after:
            body["repeat-after"] = repeat_after
        status, payload = self.d.post("/v1/notices", body)
        self.assertEqual(status, 200, payload)
        return payload["result"]["id"]

    def notices(self, query=""):
        status, payload = self.d.get("/v1/notices" + query)
        self.assertEqual(status, 200, payload)
        return payload["result"]

    def test_add_get_and_fields(self):
        t0 = time.time_ns()
        nid = self.notify("example.com/foo", {"a": "b"}, "1h")
        status, payload = self.d.post("/v1/notices", {"action": "add", "type": "custom", "key": "example.com/foo",
                                                      "repeat-after": "1h"})
        self.assertEqual(payload, {"type": "sync", "status-code": 200, "status": "OK", "result": {"id": nid}})
        status, payload = self.d.get("/v1/notices/" + nid)
        self.assertEqual(status, 200)
        n = payload["result"]
        self.assertEqual(list(n), ["id", "user-id", "type", "key", "first-occurred", "last-occurred",
                                   "last-repeated", "occurrences", "repeat-after", "expire-after"])
        self.assertEqual((n["id"], n["user-id"], n["type"], n["key"], n["occurrences"]),
                         (nid, os.getuid(), "custom", "example.com/foo", 2))
        # The second occurrence had no data: last-data is replaced.
        self.assertNotIn("last-data", n)
        self.assertEqual((n["repeat-after"], n["expire-after"]), ("1h0m0s", "168h0m0s"))
        for k in ("first-occurred", "last-occurred", "last-repeated"):
            self.assertRegex(n[k], TIME_RE)
        self.assertGreaterEqual(ns(n["first-occurred"]), t0 - 10**9)
        self.assertGreater(ns(n["last-occurred"]), ns(n["first-occurred"]))
        # Within repeat-after the second occurrence did not repeat.
        self.assertEqual(n["last-repeated"], n["first-occurred"])
        # Without repeat-after the next one does, and repeat-after is gone.
        self.notify("example.com/foo")
        n = self.d.get("/v1/notices/" + nid)[1]["result"]
        self.assertEqual(n["last-repeated"], n["last-occurred"])
        self.assertNotIn("repeat-after", n)
        self.assertEqual(n["occurrences"], 3)

        nid2 = self.notify("example.com/bar", {"k": "v", "n": ""}, "10m")
        n2 = self.d.get("/v1/notices/" + nid2)[1]["result"]
        self.assertEqual(n2["last-data"], {"k": "v", "n": ""})
        self.assertEqual(n2["repeat-after"], "10m0s")
        self.assertEqual(int(nid2), int(nid) + 1)
        # The list is ordered by last-repeated, [] when nothing matches.
        keys = [x["key"] for x in self.notices("?types=custom")]
        self.assertEqual(keys, ["example.com/foo", "example.com/bar"])
        self.notify("example.com/foo")
        keys = [x["key"] for x in self.notices("?types=custom")]
        self.assertEqual(keys, ["example.com/bar", "example.com/foo"])
        self.assertEqual(self.notices("?keys=nothing.com/x"), [])

    def test_errors(self):
        for body, code, msg in (
                ({"action": "remove", "type": "custom", "key": "a.com/b"}, 400, 'invalid action "remove"'),
                ({"action": "add", "type": "warning", "key": "a.com/b"}, 400,
                 'invalid type "warning" (can only add "custom" notices)'),
                ({"action": "add", "type": "custom", "key": "a.com"}, 400,
                 'invalid key "a.com" (must be in "domain.com/key" format)'),
                ({"action": "add", "type": "custom", "key": "Foo.com/x"}, 400,
                 'invalid key "Foo.com/x" (must be in "domain.com/key" format)'),
                ({"action": "add", "type": "custom", "key": "a.com/" + "x" * 260}, 400, "key must be 256 bytes or less"),
                ({"action": "add", "type": "custom", "key": "a.com/b", "repeat-after": "soon"}, 400,
                 'invalid repeat-after: time: invalid duration "soon"'),
                ({"action": "add", "type": "custom", "key": "a.com/b", "data": {"k": "x" * 5000}}, 400,
                 "total size of data must be 4096 bytes or less"),
                ({"action": "add", "type": "custom", "key": "a.com/b", "data": {"k": 1}}, 400,
                 "cannot decode notice data: json: cannot unmarshal number into Go value of type string"),
                ({"action": "add", "type": "custom", "key": "a.com/b", "data": ["x"]}, 400,
                 "cannot decode notice data: json: cannot unmarshal array into Go value of type map[string]string")):
            status, payload = self.d.post("/v1/notices", body)
            self.assertError(status, payload, code, msg)
        status, _, _, payload = self.d.request("POST", "/v1/notices", b"[1]")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode request body: "))
        status, payload = self.d.get("/v1/notices/12345")
        self.assertError(status, payload, 404, 'cannot find notice with ID "12345"')
        status, payload = self.d.get("/v1/notices/abc")
        self.assertError(status, payload, 404, 'cannot find notice with ID "abc"')
        for query, msg in (("?timeout=soon", 'invalid timeout: time: invalid duration "soon"'),
                           ("?users=some", 'invalid "users" filter: must be "all"'),
                           ("?users=all&user-id=1", 'cannot use both "users" and "user-id" parameters'),
                           ("?user-id=1&user-id=2", 'invalid "user-id" filter: must only include one "user-id"'),
                           ("?user-id=x", 'invalid "user-id" filter: strconv.ParseInt: parsing "x": invalid syntax'),
                           ("?user-id=-1", 'invalid "user-id" filter: user ID is not a valid uint32: -1')):
            status, payload = self.d.get("/v1/notices" + query)
            self.assertError(status, payload, 400, msg)
        status, payload = self.d.get("/v1/notices?after=yesterday")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith('invalid "after" timestamp: parsing time "yesterday"'))
        # No notice was created by any of that.
        self.assertEqual(self.notices("?types=custom"), [])

    def test_filters(self):
        a = self.notify("a.com/one")
        b = self.notify("b.com/two")
        after = self.d.get("/v1/notices/" + a)[1]["result"]["last-repeated"]
        self.assertEqual([n["id"] for n in self.notices("?types=custom&after=" + after)], [b])
        self.assertEqual([n["id"] for n in self.notices("?keys=a.com/one,b.com/two&types=custom")], [a, b])
        self.assertEqual([n["id"] for n in self.notices("?keys=b.com/two")], [b])
        # Unknown types are ignored; only unknown types match nothing.
        self.assertEqual([n["id"] for n in self.notices("?types=custom,bogus")], [a, b])
        self.assertEqual(self.notices("?types=bogus"), [])
        self.assertEqual(self.notices("?types=bogus&timeout=10s"), [])
        self.assertEqual([n["id"] for n in self.notices("?types=custom&user-id=%d" % os.getuid())], [a, b])
        self.assertEqual(self.notices("?types=custom&user-id=4242"), [])

    def test_long_poll(self):
        result = {}

        def wait():
            t0 = time.monotonic()
            status, payload = self.d.get("/v1/notices?types=custom&keys=a.com/late&timeout=10s")
            result["elapsed"] = time.monotonic() - t0
            result["status"] = status
            result["payload"] = payload

        th = threading.Thread(target=wait)
        th.start()
        time.sleep(0.2)  # let the request park
        self.notify("a.com/other")  # does not match: the waiter stays parked
        time.sleep(0.05)
        self.assertTrue(th.is_alive())
        t0 = time.monotonic()
        nid = self.notify("a.com/late")
        th.join(10)
        self.assertFalse(th.is_alive())
        # Woken by the notice, not by its 10 s timeout (the margin is for a loaded machine).
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(result["status"], 200)
        self.assertEqual([n["id"] for n in result["payload"]["result"]], [nid])
        # Nothing arrives: [] at the timeout.
        t0 = time.monotonic()
        self.assertEqual(self.notices("?keys=a.com/never&timeout=300ms"), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.assertLess(time.monotonic() - t0, 5)
        # A matching notice that already exists answers at once.
        t0 = time.monotonic()
        self.assertEqual(len(self.notices("?keys=a.com/late&timeout=10s")), 1)
        self.assertLess(time.monotonic() - t0, 5)

    def test_long_poll_client_goes_away(self):
        # Parked requests whose clients hang up are dropped; the daemon carries on.
        for _ in range(20):
            c = self.d.conn()
            c.request("GET", "/v1/notices?keys=a.com/x&timeout=30s")
            c.sock.shutdown(socket.SHUT_RDWR)
            c.close()
        self.notify("a.com/x")
        self.assertEqual(len(self.notices("?keys=a.com/x")), 1)
        self.assertIsNone(self.d.proc.poll())

    def test_change_update_notices(self):
        status, payload = self.d.add_layer("svc", """
services:
    svc:
        override: replace
        command: sleep 100
checks:
    chk:
        override: replace
        period: 10s
        tcp:
            port: 1
""")
        self.assertEqual(status, 200)
        chg = self.d.run_action("start", ["svc"])
        n = self.notices("?types=change-update&keys=" + chg["id"])
        self.assertEqual(len(n), 1)
        # Spawned, Doing, Done.
        self.assertEqual(n[0]["occurrences"], 3)
        self.assertEqual(n[0]["last-data"], {"kind": "start"})
        self.assertIsNone(n[0]["user-id"])
        check_change = self.d.get("/v1/checks")[1]["result"][0]["change-id"]
        n = self.notices("?types=change-update&keys=" + check_change)
        self.assertEqual(n[0]["last-data"], {"kind": "perform-check", "check-name": "chk"})
        self.assertEqual(n[0]["occurrences"], 2)  # spawned, Doing

    def test_warnings_latest_warning(self):
        # No warning: no latest-warning in responses.
        status, payload = self.d.get("/v1/services")
        self.assertNotIn("latest-warning", payload)


class NoticeUsersTest(DaemonTest):
    """A client running as another uid sees its own notices and the public ones only."""

    def setUp(self):
        self.d = self.start_daemon()
        os.chmod(self.d.dir, 0o755)

    def as_user(self, method, path, body=None):
        """One request from a forked child switched to uid nobody."""
        return requests_as(NOBODY, self.d.socket, [(method, path, body, None)])[0]

    def test_visibility(self):
        status, payload = self.d.post("/v1/notices", {"action": "add", "type": "custom", "key": "root.com/mine"})
        root_id = payload["result"]["id"]
        status, payload = self.as_user("POST", "/v1/notices", {"action": "add", "type": "custom", "key": "user.com/mine"})
        self.assertEqual(status, 200, payload)
        user_id = payload["result"]["id"]
        self.d.add_layer("x", "services:\n    s:\n        override: replace\n        command: sleep 1\n")
        self.d.run_action("stop", ["s"])  # a public change-update notice

        status, payload = self.as_user("GET", "/v1/notices")
        self.assertEqual(status, 200, payload)
        seen = {(n["type"], n["user-id"]) for n in payload["result"]}
        self.assertIn(("custom", NOBODY), seen)
        self.assertIn(("change-update", None), seen)
        self.assertNotIn(("custom", 0), seen)
        status, payload = self.as_user("GET", "/v1/notices/" + root_id)
        self.assertEqual(status, 403)
        self.assertEqual(payload["result"]["message"], 'not allowed to access notice with id "%s"' % root_id)
        status, payload = self.as_user("GET", "/v1/notices/" + user_id)
        self.assertEqual((status, payload["result"]["user-id"]), (200, NOBODY))
        for query, msg in (("?users=all", 'only admins may use the "users" filter'),
                           ("?user-id=0", 'only admins may use the "user-id" filter')):
            status, payload = self.as_user("GET", "/v1/notices" + query)
            self.assertEqual((status, payload["result"]["message"]), (403, msg))

        # The admin sees its own and public ones by default, everyone's with users=all,
        # one user's with user-id.
        status, payload = self.d.get("/v1/notices?types=custom")
        self.assertEqual([n["id"] for n in payload["result"]], [root_id])
        status, payload = self.d.get("/v1/notices?types=custom&users=all")
        self.assertEqual([n["id"] for n in payload["result"]], [root_id, user_id])
        status, payload = self.d.get("/v1/notices?types=custom&user-id=%d" % NOBODY)
        self.assertEqual([n["id"] for n in payload["result"]], [user_id])
        status, payload = self.d.get("/v1/notices/" + user_id)
        self.assertEqual(status, 200)


class NoticesPersistenceTest(DaemonTest):
    def test_survive_restart_and_warnings(self):
        d = Daemon(keep_dir=True)
        self.addCleanup(lambda: __import__("shutil").rmtree(d.dir, ignore_errors=True))
        self.addCleanup(d.cleanup)
        d.start()
        status, payload = d.post("/v1/notices", {"action": "add", "type": "custom", "key": "a.com/keep",
                                                 "data": {"x": "y"}, "repeat-after": "1h"})
        nid = payload["result"]["id"]
        before = d.get("/v1/notices/" + nid)[1]["result"]
        self.assertEqual(d.stop(), 0)

        # Seed a warning into the stored state, as an older run would have left it.
        path = os.path.join(d.dir, ".pebble.state")
        with open(path) as f:
            state = json.load(f)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
        state["notices"]["notices"].append({
            "id": "900", "user-id": None, "type": "warning", "key": "disk almost full",
            "first-occurred": now, "last-occurred": now, "last-repeated": now, "occurrences": 1,
            "repeat-after": "24h0m0s", "expire-after": "168h0m0s"})
        with open(path, "w") as f:
            json.dump(state, f)

        d.start()
        after = d.get("/v1/notices/" + nid)[1]["result"]
        self.assertEqual(after, before)
        status, payload = d.post("/v1/notices", {"action": "add", "type": "custom", "key": "a.com/new"})
        self.assertEqual(int(payload["result"]["id"]), 901)
        new = d.get("/v1/notices/" + payload["result"]["id"])[1]["result"]
        self.assertGreater(ns(new["first-occurred"]), ns(now))
        # A warning notice makes every response carry latest-warning (after result).
        status, payload = d.get("/v1/services")
        self.assertEqual(payload["latest-warning"], now)
        self.assertEqual(list(payload), ["type", "status-code", "status", "result", "latest-warning"])
        warnings = d.get("/v1/notices?types=warning")[1]["result"]
        self.assertEqual([w["key"] for w in warnings], ["disk almost full"])

        # A corrupt notices section is refused with a clear error, never half-loaded.
        self.assertEqual(d.stop(), 0)
        with open(path) as f:
            state = json.load(f)
        state["notices"]["notices"][0]["first-occurred"] = "not a time"
        with open(path, "w") as f:
            json.dump(state, f)
        d.start(wait=False)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn("notice 0 is malformed", d.log())


if __name__ == "__main__":
    unittest.main()
