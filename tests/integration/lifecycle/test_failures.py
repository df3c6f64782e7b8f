"""Hook failure: error state, nothing else runs, automatic retry (the first after exactly
5 s; the whole doubling schedule is unit-tested against a fake clock in
src/agent/test-agent.c), `resolved` (retry now) and `resolved --no-retry` (skip, follow-ups
still run), `--all`, hook timeouts (the hook-timeout controller config), and removal of a
unit in error only with --force."""
import os
import shutil
import tempfile
import unittest

import cairnh
from cairnh import CairnError, events

# Fails every hook named in $JUJU_CHARM_DIR/../fail (one name per line), records each run
# with its monotonic time.
DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
echo "$JUJU_UNIT_NAME $h" >> "$JUJU_CHARM_DIR/../events.log"
echo "$h $(date +%s.%N)" >> "$JUJU_CHARM_DIR/../times.log"
[ -p "$JUJU_CHARM_DIR/../notify" ] && echo "$h" > "$JUJU_CHARM_DIR/../notify"
if [ -f "$JUJU_CHARM_DIR/../fail" ] && grep -qx "$h" "$JUJU_CHARM_DIR/../fail"; then
  status-set blocked "about to fail in $h"
  echo "$h-end $(date +%s.%N)" >> "$JUJU_CHARM_DIR/../times.log"
  exit 3
fi
[ "$h" = start ] && status-set active started
exit 0
"""


class Failures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.charm = cairnh.make_charm(self.tmp, "flaky", dispatch=DISPATCH)

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, **config):
        self.ctl = cairnh.Controller(config=config).start()

    def deploy_failing(self, hook, units=1, retry=True):
        self.ctl.call("model-config", set={"automatically-retry-hooks": "true" if retry else "false"})
        # Create the unit dirs' fail files before the hooks run: deploy 0 units first.
        self.ctl.call("deploy", charm=self.charm, num_units=0)
        for n in range(units):
            d = os.path.join(self.ctl.home, "agents", "unit-flaky-%d" % n)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "fail"), "w") as f:
                f.write(hook + "\n")
        self.ctl.call("add-unit", app="flaky", num_units=units)

    def unit(self, name):
        return self.ctl.call("status")["applications"]["flaky"]["units"][name]

    def test_error_state_and_resolved_retry(self):
        self.start()
        self.deploy_failing("install", retry=False)
        self.ctl.call("wait-for", kind="unit", name="flaky/0", status="error", timeout_ms=20000)
        u = self.unit("flaky/0")
        self.assertEqual(u["workload-status"]["current"], "error")
        self.assertEqual(u["workload-status"]["message"], 'hook failed: "install"')
        self.assertEqual(u["juju-status"]["current"], "idle")
        self.ctl.wait_idle()  # nothing else runs while in error
        self.assertEqual(events(self.ctl, "flaky/0"), ["install"])
        os.unlink(os.path.join(self.ctl.unit_dir("flaky/0"), "fail"))
        self.ctl.call("resolved", units=["flaky/0"])
        self.ctl.wait_idle()
        self.assertEqual(events(self.ctl, "flaky/0"),
                         ["install", "install", "leader-elected", "config-changed", "start"])
        self.assertEqual(self.unit("flaky/0")["workload-status"]["current"], "active")
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("resolved", units=["flaky/0"])
        self.assertIn("unit is not in error state", str(cm.exception))

    def test_resolved_no_retry_runs_follow_ups(self):
        self.start()
        self.deploy_failing("config-changed", units=2, retry=False)
        for u in ("flaky/0", "flaky/1"):
            self.ctl.call("wait-for", kind="unit", name=u, status="error", timeout_ms=20000)
        self.ctl.call("resolved", all=True, no_retry=True)
        self.ctl.wait_idle()
        # config-changed is skipped (committed as if it succeeded); its follow-up start runs.
        self.assertEqual(events(self.ctl, "flaky/0"),
                         ["install", "leader-elected", "config-changed", "start"])
        self.assertEqual(events(self.ctl, "flaky/1"), ["install", "config-changed", "start"])
        self.assertEqual(self.unit("flaky/1")["workload-status"]["current"], "active")

    def test_automatic_retry(self):
        self.start()
        self.deploy_failing("install")
        pipe_path = os.path.join(self.ctl.unit_dir("flaky/0"), "notify")
        pipe = cairnh.EventPipe(pipe_path)
        pipe.wait_for("install", timeout=20)
        # The first run fails; the retry, 5 s after it ended, succeeds.
        self.ctl.call("wait-for", kind="unit", name="flaky/0", status="error", timeout_ms=20000)
        os.unlink(os.path.join(self.ctl.unit_dir("flaky/0"), "fail"))
        pipe.wait_for("install", timeout=20)
        pipe.wait_for("start", timeout=20)
        pipe.close()
        with open(os.path.join(self.ctl.unit_dir("flaky/0"), "times.log")) as f:
            lines = [l.split() for l in f]
        starts = [float(t) for h, t in lines if h == "install"]
        ends = [float(t) for h, t in lines if h == "install-end"]
        gap = starts[1] - ends[0]
        # The end mark precedes the exit, reap and commit of the failed run.
        self.assertGreaterEqual(gap, 5.0 - 0.06, lines)
        self.assertLess(gap, 5.0 + 1.0, lines)
        self.ctl.wait_idle()
        self.assertEqual(self.unit("flaky/0")["workload-status"]["current"], "active")

    def test_hook_timeout_is_an_error(self):
        self.start(**{"hook-timeout": "300ms"})
        slow = cairnh.make_charm(os.path.join(self.tmp, "s"), "sleepy",
                                 dispatch='#!/bin/sh\n[ "$JUJU_HOOK_NAME" = install ] && sleep 30\nexit 0\n')
        self.ctl.call("model-config", set={"automatically-retry-hooks": "false"})
        self.ctl.call("deploy", charm=slow)
        self.ctl.call("wait-for", kind="unit", name="sleepy/0", status="error", timeout_ms=10000)
        st = self.ctl.call("status")["applications"]["sleepy"]["units"]["sleepy/0"]
        self.assertEqual(st["workload-status"]["message"], 'hook failed: "install"')

    def test_killed_hook_is_an_error(self):
        self.start()
        self.ctl.call("model-config", set={"automatically-retry-hooks": "false"})
        charm = cairnh.make_charm(os.path.join(self.tmp, "k"), "killed",
                                  dispatch='#!/bin/sh\n[ "$JUJU_HOOK_NAME" = install ] && kill -9 $$\nexit 0\n')
        self.ctl.call("deploy", charm=charm)
        self.ctl.call("wait-for", kind="unit", name="killed/0", status="error", timeout_ms=10000)

    def test_hook_interrupted_by_shutdown_runs_again(self):
        self.start()
        gate = os.path.join(self.tmp, "gate")
        os.mkfifo(gate)
        charm = cairnh.make_charm(os.path.join(self.tmp, "s"), "stopped",
                                  dispatch=('#!/bin/sh\necho "$JUJU_HOOK_NAME" >> "$JUJU_CHARM_DIR/../events.log"\n'
                                            '[ "$JUJU_HOOK_NAME" = install ] && [ ! -f "$JUJU_CHARM_DIR/../once" ] && '
                                            '{ touch "$JUJU_CHARM_DIR/../once"; read x < %s; }\nexit 0\n' % gate))
        self.ctl.call("deploy", charm=charm)
        with open(gate, "w"):
            # install is blocked on the gate: stop the controller in an orderly way.
            self.ctl.stop()
        self.ctl.start()
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("stopped/0"), "events.log")) as f:
            ev = f.read().split()
        self.assertEqual(ev, ["install", "install", "leader-elected", "config-changed", "start"])
        st = self.ctl.call("status")["applications"]["stopped"]["units"]["stopped/0"]
        self.assertEqual(st["juju-status"]["current"], "idle")

    def test_remove_unit_in_error_needs_force(self):
        self.start()
        self.deploy_failing("install", retry=False)
        self.ctl.call("wait-for", kind="unit", name="flaky/0", status="error", timeout_ms=20000)
        self.ctl.call("remove-unit", units=["flaky/0"])
        self.ctl.wait_idle()
        self.assertIn("flaky/0", self.ctl.call("status")["applications"]["flaky"]["units"])
        self.ctl.call("remove-unit", units=["flaky/0"], force=True)
        self.ctl.call("wait-for", kind="unit", name="flaky/0", gone=True, timeout_ms=10000)
        self.assertEqual(events(self.ctl, "flaky/0"), [])  # its directory is gone


if __name__ == "__main__":
    unittest.main()
