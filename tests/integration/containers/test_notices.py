"""Pebble notices become hooks (charm-runtime.md §11.3): a custom notice added to a unit's
container (POST /v1/notices, what `pebble notify` does) runs <c>-pebble-custom-notice with
JUJU_NOTICE_ID/TYPE/KEY; a check (50 ms period) that fails runs <c>-pebble-check-failed and,
when it recovers, <c>-pebble-check-recovered, with JUJU_PEBBLE_CHECK_NAME.  Each occurrence
runs once, in order - also when the machine agent is SIGKILLed in the middle of a notice's
hook, and for a notice added while it is down."""
import http.client
import json
import os
import shutil
import signal
import socket
import tempfile
import unittest

import cairnh


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def pebble(sock, method, path, body=None):
    c = UnixHTTP(sock)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = json.loads(r.read())
    c.close()
    if r.status >= 300:
        raise AssertionError("%s %s: %s" % (method, path, data))
    return data


# Records each hook with the notice variables; a custom notice with key example.com/slow
# stalls once (until the agent is killed under it) when the test leaves a marker.
DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
u="$JUJU_CHARM_DIR/.."
if [ "${JUJU_NOTICE_KEY:-}" = example.com/slow ] && [ -e "$u/slow-once" ]; then
  rm -f "$u/slow-once"
  [ -p "$u/notify" ] && echo "slow-started" > "$u/notify"
  sleep 60
fi
line="$h|${JUJU_WORKLOAD_NAME:-}|${JUJU_NOTICE_ID:-}|${JUJU_NOTICE_TYPE:-}|${JUJU_NOTICE_KEY:-}|${JUJU_PEBBLE_CHECK_NAME:-}"
echo "$line" >> "$u/events.log"
[ -p "$u/notify" ] && echo "$line" > "$u/notify"
[ "$h" = start ] && status-set active
exit 0
"""
META = """containers:
  web: {resource: web-image}
resources:
  web-image: {type: oci-image}
"""


class Notices(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)
        charm = cairnh.make_charm(self.tmp, "noticed", dispatch=DISPATCH, metadata_extra=META)
        self.ctl.call("deploy", charm=charm, num_units=1)
        self.ctl.wait_idle(timeout=60)
        self.udir = self.ctl.unit_dir("noticed/0")
        self.sock = os.path.join(self.udir, "containers", "web", "pebble.socket")
        self.pipe = cairnh.EventPipe(os.path.join(self.udir, "notify"))
        self.addCleanup(self.pipe.close)

    def notify(self, key, **data):
        r = pebble(self.sock, "POST", "/v1/notices", {"action": "add", "type": "custom", "key": key,
                                                       "data": data})
        return r["result"]["id"]

    def next_event(self, timeout=30):
        # pebble-ready comes with every new agent (boot ids are kept in its memory), in no
        # particular order with notices: not what this test is about.
        while True:
            e = self.pipe.next(timeout).split("|")
            if e[0] != "web-pebble-ready":
                return e

    def events(self):
        with open(os.path.join(self.udir, "events.log")) as f:
            return [l.split("|") for l in f.read().splitlines()]

    def test_notices_and_checks(self):
        # A custom notice: one hook with its id, type and key.
        nid = self.notify("example.com/a", ver="2")
        self.assertEqual(self.next_event(), ["web-pebble-custom-notice", "web", nid, "custom",
                                             "example.com/a", ""])
        # A check that fails, then recovers.
        flag = os.path.join(self.udir, "check-ok")
        open(flag, "w").close()
        pebble(self.sock, "POST", "/v1/layers", {
            "action": "add", "label": "checks", "combine": True, "format": "yaml",
            "layer": "checks:\n  alive:\n    override: replace\n    period: 50ms\n"
                     "    threshold: 3\n    exec:\n      command: cat %s\n" % flag})
        os.unlink(flag)
        self.assertEqual(self.next_event(), ["web-pebble-check-failed", "web", "", "", "", "alive"])
        open(flag, "w").close()
        self.assertEqual(self.next_event(), ["web-pebble-check-recovered", "web", "", "", "", "alive"])
        # SIGKILL of the machine agent while a notice's hook runs, and a notice added while
        # it is down: the interrupted hook runs again (it had not finished), the new notice
        # runs once, nothing earlier comes again.
        open(os.path.join(self.udir, "slow-once"), "w").close()
        slow = self.notify("example.com/slow")
        self.assertEqual(self.next_event(), ["slow-started"])
        agent = self.ctl.agent_pid()
        os.kill(agent, signal.SIGKILL)
        self.assertTrue(cairnh.wait_gone(agent, 10))
        later = self.notify("example.com/b")
        self.assertEqual(self.next_event(60), ["web-pebble-custom-notice", "web", slow, "custom",
                                               "example.com/slow", ""])
        self.assertEqual(self.next_event(), ["web-pebble-custom-notice", "web", later, "custom",
                                             "example.com/b", ""])
        self.ctl.wait_idle(timeout=60)
        self.assertNotEqual(self.ctl.agent_pid(), agent)
        notice_hooks = [e for e in self.events() if "-pebble-c" in e[0]]
        self.assertEqual([(e[0], e[2] or e[5]) for e in notice_hooks], [
            ("web-pebble-custom-notice", nid),
            ("web-pebble-check-failed", "alive"),
            ("web-pebble-check-recovered", "alive"),
            ("web-pebble-custom-notice", slow),
            ("web-pebble-custom-notice", later),
        ])


if __name__ == "__main__":
    unittest.main()
