"""SIGKILL of the machine agent: the controller starts it again, and each unit resumes from
its own journal - the hook that was running when the agent died runs again (at-least-once,
as Juju), hooks whose commit was acknowledged never do, and the containers' screes, which
outlive the agent, are adopted rather than started twice."""
import os
import shutil
import signal
import tempfile
import unittest

import cairnh

DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
echo "$h" >> "$JUJU_CHARM_DIR/../events.log"
if [ "$h" = config-changed ] && [ ! -f "$JUJU_CHARM_DIR/../once" ]; then
  touch "$JUJU_CHARM_DIR/../once"
  [ -p "$JUJU_CHARM_DIR/../notify" ] && echo "cc-blocked" > "$JUJU_CHARM_DIR/../notify"
  sleep 600
fi
[ "$h" = start ] && status-set active up
exit 0
"""
META = "containers:\n  web: {resource: img}\nresources:\n  img: {type: oci-image}\n"


class AgentCrash(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.charm = cairnh.make_charm(self.tmp, "resume", dispatch=DISPATCH, metadata_extra=META)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)

    def scree_pid(self, unit):
        with open(os.path.join(self.ctl.unit_dir(unit), "containers", "web", "scree.pid")) as f:
            return int(f.read())

    def test_resume_from_journal(self):
        self.ctl.call("deploy", charm=self.charm, num_units=0)
        d = os.path.join(self.ctl.home, "agents", "unit-resume-0")
        os.makedirs(d)
        pipe = cairnh.EventPipe(os.path.join(d, "notify"))
        self.ctl.call("add-unit", app="resume", num_units=1)
        pipe.wait_for("cc-blocked", timeout=30)
        pipe.close()
        old = self.ctl.agent_pid()
        scree = self.scree_pid("resume/0")
        os.kill(old, signal.SIGKILL)
        self.assertTrue(cairnh.wait_gone(old, 10))
        # The controller starts a new agent; config-changed (pending when it died) runs again,
        # install (acknowledged) does not.
        self.ctl.call("wait-for", kind="unit", name="resume/0", status="active", idle=True,
                      timeout_ms=60000)
        new = self.ctl.agent_pid()
        self.assertIsNotNone(new)
        self.assertNotEqual(new, old)
        with open(os.path.join(d, "events.log")) as f:
            ev = f.read().split()
        self.assertEqual(ev[:5], ["install", "leader-elected", "config-changed", "config-changed", "start"], ev)
        self.assertEqual(ev.count("install"), 1)
        # The container's scree outlived the agent and was adopted; a new agent's memory
        # holds no boot id, so pebble-ready runs again (charm-runtime.md §11.2).
        self.assertEqual(self.scree_pid("resume/0"), scree)
        self.assertEqual(ev.count("web-pebble-ready"), 1)
        self.assertEqual(cairnh.daemon_processes(self.ctl.home, "scree"), [scree])
        st = self.ctl.call("status")["applications"]["resume"]["units"]["resume/0"]
        self.assertEqual(st["juju-status"]["current"], "idle")
        # What was left of the interrupted hook was killed before it ran again: one hook of a
        # unit at a time, even across an agent crash.
        for p in cairnh.home_processes(self.ctl.home):
            with open("/proc/%d/cmdline" % p, "rb") as f:
                self.assertNotIn(b"sleep\x00600", f.read())


if __name__ == "__main__":
    unittest.main()
