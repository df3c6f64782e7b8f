"""The hook-tool socket's limits end to end.  Past TOOLSRV_MAX_CONNS connections a client is
answered "ERROR too many connections (limit 512)" with exit code 1 while the held ones are
served, and tools work again once they leave.  In a real hook: a juju-log message past the
protocol's text limit reaches debug-log cut there, a status-set message past it is refused
with the cause, state values and the whole state past Juju's quotas are refused, and the
hook (and the agent) carry on."""
import os
import shutil
import socket
import tempfile
import unittest

import cairnh

MAX_CONNS = 512          # toolsrv.h TOOLSRV_MAX_CONNS
MAX_MESSAGE = 128 * 1024  # tools.h TOOLS_MAX_MESSAGE

DISPATCH = r"""#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
d="$JUJU_CHARM_DIR/.."
if [ "$h" = config-changed ] && [ "$(config-get mode)" = big ]; then
  # One argument is at most 128 KiB (the kernel's MAX_ARG_STRLEN); juju-log joins several.
  half=$(head -c 100000 /dev/zero | tr '\0' L)
  juju-log "BEGIN${half}" "${half}END"
  echo "log=$?" > "$d/out"
  # A client that is not argv-bound (the protocol carries any size): straight to the socket.
  python3 - "$d/out" <<'PY'
import json, os, socket, struct, sys
req = json.dumps({"context-id": os.environ["JUJU_CONTEXT_ID"], "tool": "status-set",
                  "args": ["active", "S" * 200000]}).encode()
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["JUJU_AGENT_SOCKET_ADDRESS"])
s.sendall(struct.pack(">I", len(req)) + req)
n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
r = json.loads(s.recv(n, socket.MSG_WAITALL))
with open(sys.argv[1], "a") as f:
    f.write(r["stderr"] + "status=%d\n" % r["code"])
PY
  state-set "v=$(head -c 65537 /dev/zero | tr '\0' v)" 2>> "$d/out"
  echo "value=$?" >> "$d/out"
  i=0
  while [ $i -lt 33 ]; do
    state-set "k$i=$(head -c 65000 /dev/zero | tr '\0' k)" 2>> "$d/out" || break
    i=$((i + 1))
  done
  echo "keys=$i" >> "$d/out"
  status-set active "carried on"
fi
exit 0
"""


class HookToolLimits(unittest.TestCase):
    def setUp(self):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        self.tmp = tempfile.mkdtemp(prefix="cairn-limits-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)
        charm = cairnh.make_charm(self.tmp, "limits", dispatch=DISPATCH,
                                  config="options:\n  mode: {type: string, default: small}\n")
        self.ctl.call("deploy", charm=charm)
        self.ctl.wait_idle()
        self.sock = os.path.join(self.ctl.home, "agent.sock")

    def request(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)
        s.settimeout(30)
        try:
            s.sendall(cairnh.frame({"context-id": "limits/0-none-1", "tool": "is-leader", "args": []}))
            return cairnh.read_frame(s)
        finally:
            s.close()

    def test_connection_limit(self):
        held = []
        try:
            for _ in range(MAX_CONNS):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                held.append(s)
            r = self.request()
            self.assertEqual((r["code"], r["stderr"]), (1, "ERROR too many connections (limit 512)\n"))
            # A held connection is served (here: refused for its made-up context id).
            held[0].sendall(cairnh.frame({"context-id": "x", "tool": "is-leader", "args": []}))
            held[0].settimeout(30)
            self.assertEqual(cairnh.read_frame(held[0])["stderr"], "ERROR bad request: unknown context id\n")
        finally:
            for s in held:
                s.close()
        # They left: hooks and their tools work again.
        self.assertEqual(self.request()["stderr"], "ERROR bad request: unknown context id\n")
        self.ctl.call("config-set", app="limits", config=[{"set": {"mode": "other"}}])
        self.ctl.wait_idle()

    def test_sizes_in_a_real_hook(self):
        self.ctl.call("config-set", app="limits", config=[{"set": {"mode": "big"}}])
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("limits/0"), "out")) as f:
            out = f.read().splitlines()
        self.assertIn("log=0", out)
        self.assertIn("ERROR status message too long: 200000 bytes (limit 131072)", out)
        self.assertIn("status=1", out)
        self.assertIn("ERROR max allowed value length (65536) exceeded", out)
        self.assertIn("value=1", out)
        self.assertIn("ERROR max allowed size (2097152) exceeded", out)
        self.assertIn("keys=32", out)
        st = self.ctl.call("status")["applications"]["limits"]["units"]["limits/0"]
        self.assertEqual(st["workload-status"]["message"], "carried on")
        log = self.ctl.cli("debug-log", "--replay", "--no-tail", "--limit", "1000").stdout
        line = [l for l in log.splitlines() if "BEGIN" in l]
        self.assertEqual(len(line), 1)
        msg = line[0][line[0].index("BEGIN"):]
        self.assertEqual(len(msg), MAX_MESSAGE, msg[-50:])
        self.assertNotIn("END", msg)


if __name__ == "__main__":
    unittest.main()
