"""Hook tools are accepted only from the hook that owns the context id, and only while it
runs: a process the hook left behind calling a tool after the hook exited, a hook of another
unit using that unit's live context id, and any other local process using a live id (the
socket is root's, but the id alone proves nothing) are all refused with Juju's "bad request:
unknown context id", and nothing they asked for happens.  One unit never sees another's
charm state or status.  (Leader-only calls: lifecycle/test_hook_tools.py.)"""
import json
import os
import shutil
import socket
import tempfile
import unittest

import cairnh

# Every hook records its context id; the install hook leaves a process behind that calls a
# tool once the test lets it (after the hook is long gone).  config-changed choreography:
# unit 0 publishes its id and waits; unit 1 tries it, then unit 0 checks what it sees.
DISPATCH = r"""#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
n="${JUJU_UNIT_NAME#*/}"
t="@TMP@"
echo "$JUJU_CONTEXT_ID" > "$t/ctx-$n-$h"
case "$h" in
install)
  if [ "$n" = 0 ]; then
    (
      read go < "$t/go-late"
      status-set active late > "$t/late.out" 2>&1
      echo "rc=$?" >> "$t/late.out"
      state-set late=1 >> "$t/late.out" 2>&1
      echo "rc=$?" >> "$t/late.out"
      echo done > "$t/late-done"
    ) < /dev/null > /dev/null 2>&1 &
  fi
  state-set "owner=$JUJU_UNIT_NAME"
  ;;
start)
  status-set active "unit $n"
  ;;
config-changed)
  [ -p "$t/published" ] || exit 0
  if [ "$n" = 0 ]; then
    echo "$JUJU_CONTEXT_ID" > "$t/published"
    read go < "$t/go-0"
    { state-get --format=json; status-get --include-data --format=json; } > "$t/unit0-sees"
  else
    read go < "$t/go-1"
    other=$(cat "$t/ctx-0-config-changed")
    {
      for cmd in "state-set stolen=yes" "status-set blocked stolen" "state-get owner" \
                 "config-get" "is-leader" "juju-log spoofed"; do
        JUJU_CONTEXT_ID="$other" $cmd
        echo "rc=$?"
      done
      state-get owner
      echo "rc=$?"
    } > "$t/unit1-tried" 2>&1
    echo done > "$t/go-0"
  fi
  ;;
esac
exit 0
"""


def tool_request(sock_path, context_id, tool, args):
    """One hook-tool request straight to the agent's socket (docs/protocol.md §2)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    try:
        s.sendall(cairnh.frame({"context-id": context_id, "tool": tool, "args": args, "cwd": "/"}))
        return cairnh.read_frame(s)
    finally:
        s.close()


class HookToolIsolation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-isolation-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.mkfifo(os.path.join(self.tmp, "go-late"))
        self.charm = cairnh.make_charm(self.tmp, "iso", dispatch=DISPATCH.replace("@TMP@", self.tmp),
                                       config="options:\n  x: {type: string, default: a}\n")
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)
        self.ctl.call("deploy", charm=self.charm, num_units=2)
        self.ctl.wait_idle()
        self.sock = os.path.join(self.ctl.home, "agent.sock")

    def read(self, name):
        with open(os.path.join(self.tmp, name)) as f:
            return f.read()

    def test_left_behind_process_refused_after_the_hook(self):
        # The install hook is over (the model is idle); its leftover now calls tools.
        done = cairnh.EventPipe(os.path.join(self.tmp, "late-done"))
        self.addCleanup(done.close)
        with open(os.path.join(self.tmp, "go-late"), "w") as f:
            f.write("go\n")
        self.assertEqual(done.next(), "done")
        out = self.read("late.out")
        self.assertEqual(out.count("ERROR bad request: unknown context id"), 2, out)
        self.assertEqual(out.count("rc=1"), 2, out)
        st = self.ctl.call("status")["applications"]["iso"]["units"]["iso/0"]["workload-status"]
        self.assertEqual(st["message"], "unit 0")
        # The stale id from the socket directly: refused the same way.
        stale = self.read("ctx-0-install").strip()
        r = tool_request(self.sock, stale, "state-get", [])
        self.assertEqual((r["code"], r["stderr"]), (1, "ERROR bad request: unknown context id\n"))

    def test_another_units_live_context_refused(self):
        for name in ("go-0", "go-1"):
            os.mkfifo(os.path.join(self.tmp, name))
        pub = cairnh.EventPipe(os.path.join(self.tmp, "published"))
        self.addCleanup(pub.close)
        self.ctl.call("config-set", app="iso", config=[{"set": {"x": "b"}}])
        live = pub.next()
        self.assertTrue(live.startswith("iso/0-config-changed-"), live)
        # While unit 0's hook runs, this process (root, not in the hook's tree) is refused.
        for tool, args in (("state-get", []), ("status-set", ["blocked", "from outside"]),
                           ("config-get", []), ("is-leader", [])):
            r = tool_request(self.sock, live, tool, args)
            self.assertEqual((r["code"], r["stderr"]), (1, "ERROR bad request: unknown context id\n"),
                             tool)
        with open(os.path.join(self.tmp, "go-1"), "w") as f:
            f.write("go\n")
        self.ctl.wait_idle()
        tried = self.read("unit1-tried").splitlines()
        # Six tools with unit 0's id: each refused; unit 1's own state stays its own.
        self.assertEqual(tried.count("ERROR bad request: unknown context id"), 6, tried)
        self.assertEqual(tried.count("rc=1"), 6, tried)
        self.assertEqual(tried[-2:], ["iso/1", "rc=0"])
        sees = [l for l in self.read("unit0-sees").splitlines() if l]
        self.assertEqual(json.loads(sees[0]), {"owner": "iso/0"})
        self.assertEqual(json.loads(sees[1])["message"], "unit 0", sees)
        st = self.ctl.call("status")["applications"]["iso"]["units"]
        self.assertEqual(st["iso/0"]["workload-status"]["message"], "unit 0")
        self.assertEqual(st["iso/1"]["workload-status"]["message"], "unit 1")
        log = self.ctl.cli("debug-log", "--replay", "--no-tail").stdout
        self.assertNotIn("spoofed", log)

if __name__ == "__main__":
    unittest.main()
