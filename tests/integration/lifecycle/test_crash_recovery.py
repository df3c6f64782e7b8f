"""Crash safety: SIGKILL the controller at random moments of a scripted scenario (deploy,
config change, refresh, another config change, remove-unit, add-unit), restart it each time,
and check every unit's event sequence against the lifecycle rules: nothing skipped, nothing
out of order, pending hooks re-run (at-least-once), committed config and status intact."""
import os
import random
import shutil
import signal
import tempfile
import unittest

import cairnh
from cairnh import CairnError

ITERATIONS = int(os.environ.get("CAIRN_CRASH_ITERATIONS", "12"))

DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
echo "$h $(config-get thing)" >> "$JUJU_CHARM_DIR/../events.log"
sleep 0.03
[ "$h" = start ] && status-set active "thing=$(config-get thing)"
[ "$h" = config-changed ] && [ -f "$JUJU_CHARM_DIR/../.started" ] && status-set active "thing=$(config-get thing)"
[ "$h" = start ] && touch "$JUJU_CHARM_DIR/../.started"
exit 0
"""
CONFIG = "options:\n  thing: {type: string, default: zero}\n"


def collapse(seq):
    out = []
    for e in seq:
        if not out or out[-1] != e:
            out.append(e)
    return out


class CrashRecovery(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.charm = cairnh.make_charm(self.tmp, "crashy", dispatch=DISPATCH, config=CONFIG)
        self.charm2 = cairnh.make_charm(os.path.join(self.tmp, "v2"), "crashy", dispatch=DISPATCH, config=CONFIG)
        self.removed_logs = {}

    def events(self, ctl, unit):
        path = os.path.join(ctl.unit_dir(unit), "events.log")
        if unit in self.removed_logs:
            path = self.removed_logs[unit]
        try:
            with open(path) as f:
                return [l.split(" ", 1) for l in f.read().splitlines()]
        except FileNotFoundError:
            return []

    def op(self, ctl, rng, fn):
        """Runs fn against the controller, killing it at a random moment around the call and
        restarting it; retries fn if the kill hit before it was answered."""
        while True:
            if rng.random() < 0.5:
                try:
                    return fn()
                except (CairnError, OSError, EOFError):
                    raise
                finally:
                    self.crash(ctl, rng)
            else:
                try:
                    r = fn()
                except (OSError, EOFError):
                    self.restart(ctl)
                    continue
                self.crash(ctl, rng)
                return r

    def crash(self, ctl, rng):
        delay = rng.uniform(0, 0.25)
        if delay:
            try:
                ctl.call("wait-for", kind="model", idle=True, timeout_ms=int(delay * 1000))
            except CairnError:
                pass  # timed out: still busy, which is when a kill is interesting
        ctl.kill(signal.SIGKILL)
        self.restart(ctl)

    def restart(self, ctl):
        if ctl.proc.poll() is None:
            ctl.kill(signal.SIGKILL)
        ctl.start()

    def keep_log(self, ctl, unit):
        # The unit directory goes away with the unit: keep its event log outside.
        src = os.path.join(ctl.unit_dir(unit), "events.log")
        dst = os.path.join(self.tmp, unit.replace("/", "-") + ".log")
        if not os.path.exists(dst):
            shutil.copy(src, dst)
            os.unlink(src)
            os.symlink(dst, src)
        self.removed_logs[unit] = dst

    def check_unit(self, ctl, unit, leader, refreshed, removed, final_thing):
        ev = self.events(ctl, unit)
        names = collapse([e[0] for e in ev])
        msg = "%s: %s" % (unit, names)
        self.assertEqual(names[0], "install", msg)
        self.assertEqual(names.count("install"), 1, msg)
        self.assertEqual(names.count("start"), 1, msg)
        i_start = names.index("start")
        self.assertEqual(names[i_start - 1], "config-changed", msg)
        if leader:
            self.assertEqual(names[1], "leader-elected", msg)
            self.assertEqual(names.count("leader-elected"), 1, msg)
        else:
            self.assertNotIn("leader-elected", names, msg)
        if refreshed:
            # A refresh that reaches the agent before the unit's install hook was prepared
            # (a kill can hold up the charm download) makes install run the new revision,
            # as Juju's uniter deploys the charm current at install: no upgrade-charm then.
            self.assertLessEqual(names.count("upgrade-charm"), 1, msg)
            if "upgrade-charm" in names:
                i = names.index("upgrade-charm")
                self.assertGreater(i, 0, msg)  # after install (it may precede start)
                self.assertEqual(names[i + 1], "config-changed", msg)
        if removed:
            self.assertEqual(names[-2:], ["stop", "remove"], msg)
            self.assertEqual(names.count("stop"), 1, msg)
        else:
            self.assertNotIn("stop", names, msg)
            last_cc = [e for e in ev if e[0] == "config-changed"][-1]
            self.assertEqual(last_cc[1], final_thing, msg)

    def test_kill_loop(self):
        for it in range(ITERATIONS):
            rng = random.Random(1000 + it)
            ctl = cairnh.Controller().start()
            try:
                self.removed_logs = {}
                self.op(ctl, rng, lambda: ctl.call("deploy", charm=self.charm, num_units=3)
                        if "crashy" not in ctl.call("status")["applications"] else None)
                self.op(ctl, rng, lambda: ctl.call("config-set", app="crashy", config=[{"set": {"thing": "a"}}]))
                self.op(ctl, rng, lambda: ctl.call("refresh", app="crashy", charm=self.charm2)
                        if ctl.call("status")["applications"]["crashy"]["charm-rev"] == 0 else None)
                self.op(ctl, rng, lambda: ctl.call("config-set", app="crashy", config=[{"set": {"thing": "b"}}]))
                ctl.wait_idle(timeout=60)
                self.keep_log(ctl, "crashy/2")
                self.op(ctl, rng, lambda: ctl.call("remove-unit", units=["crashy/2"])
                        if "crashy/2" in ctl.call("status")["applications"]["crashy"]["units"] else None)
                ctl.call("wait-for", kind="unit", name="crashy/2", gone=True, timeout_ms=30000)
                self.op(ctl, rng, lambda: ctl.call("add-unit", app="crashy", num_units=1)
                        if "crashy/3" not in ctl.call("status")["applications"]["crashy"]["units"] else None)
                ctl.wait_idle(timeout=60)
                st = ctl.call("status")["applications"]["crashy"]
                self.assertEqual(sorted(st["units"]), ["crashy/0", "crashy/1", "crashy/3"], it)
                self.assertEqual(st["charm-rev"], 1)
                self.assertEqual(ctl.call("config-get", app="crashy")["settings"]["thing"]["value"], "b")
                for u in ("crashy/0", "crashy/1"):
                    self.check_unit(ctl, u, u == "crashy/0", True, False, "b")
                    self.assertEqual(st["units"][u]["workload-status"]["message"], "thing=b")
                self.check_unit(ctl, "crashy/2", False, True, True, None)
                self.check_unit(ctl, "crashy/3", False, False, False, "b")
            finally:
                ctl.cleanup()


if __name__ == "__main__":
    unittest.main()
