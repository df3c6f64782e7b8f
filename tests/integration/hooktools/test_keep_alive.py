"""The hook-tool socket's kept connections (docs/protocol.md §2) against the real agent, from
inside a real hook: a request with "keep-alive": true answered at once says so and the next
request is read from the same connection; an answer that waited for the controller
(goal-state) ends the connection; a request without the field is answered and the
connection closed, as for the hook-tool binary; a bad request ends it too."""
import json
import os
import shutil
import tempfile
import unittest

import cairnh

DISPATCH = r"""#!/bin/sh
[ "${JUJU_DISPATCH_PATH#hooks/}" = install ] || exit 0
exec python3 - "$JUJU_CHARM_DIR/../out" <<'PY'
import json, os, socket, struct, sys

def call(s, tool, args, keep=True, ctx=None):
    req = {"context-id": ctx or os.environ["JUJU_CONTEXT_ID"], "tool": tool, "args": args, "cwd": "/"}
    if keep:
        req["keep-alive"] = True
    body = json.dumps(req).encode()
    s.sendall(struct.pack(">I", len(body)) + body)
    hdr = s.recv(4, socket.MSG_WAITALL)
    if len(hdr) < 4:
        return None
    return json.loads(s.recv(struct.unpack(">I", hdr)[0], socket.MSG_WAITALL))

def closed(s):
    s.settimeout(10)
    return s.recv(1) == b""

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["JUJU_AGENT_SOCKET_ADDRESS"])
    return s

out = {}
s = conn()
out["first"] = call(s, "juju-log", ["one"])
out["second"] = call(s, "status-set", ["maintenance", "kept"])
out["third"] = call(s, "config-get", ["--format=json"])
out["goal"] = call(s, "goal-state", ["--format=json"])
out["goal_closed"] = closed(s)
s = conn()
out["plain"] = call(s, "juju-log", ["two"], keep=False)
out["plain_closed"] = closed(s)
s = conn()
out["bad"] = call(s, "juju-log", ["x"], ctx="no-such-context")
out["bad_closed"] = closed(s)
with open(sys.argv[1], "w") as f:
    json.dump(out, f)
PY
"""


class KeepAlive(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-keep-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.charm = cairnh.make_charm(self.tmp, "keepy", dispatch=DISPATCH)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)

    def test_kept_connection(self):
        self.ctl.call("deploy", charm=self.charm, num_units=1)
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("keepy/0"), "out")) as f:
            out = json.load(f)
        for k in ("first", "second", "third"):
            self.assertEqual(out[k]["code"], 0, out[k])
            self.assertIs(out[k].get("keep-alive"), True, k)
        self.assertEqual(json.loads(out["third"]["stdout"]), {})
        self.assertEqual(out["goal"]["code"], 0, out["goal"])
        self.assertIn("units", json.loads(out["goal"]["stdout"]))
        self.assertNotIn("keep-alive", out["goal"])
        self.assertTrue(out["goal_closed"])
        self.assertEqual(out["plain"]["code"], 0)
        self.assertNotIn("keep-alive", out["plain"])
        self.assertTrue(out["plain_closed"])
        self.assertEqual(out["bad"]["code"], 1)
        self.assertIn("unknown context id", out["bad"]["stderr"])
        self.assertNotIn("keep-alive", out["bad"])
        self.assertTrue(out["bad_closed"])
        # What went over the kept connection took effect.
        out = self.ctl.cli("debug-log", "--replay", "--no-tail", check=True).stdout
        self.assertIn("one", out)
        st = self.ctl.call("status")["applications"]["keepy"]["units"]["keepy/0"]["workload-status"]
        self.assertEqual(st.get("message"), "kept")


if __name__ == "__main__":
    unittest.main()
