"""SIGKILL of the controller and of the machine agent, at random moments of relation churn
(integrate, add-unit on both sides, remove-unit): afterwards every unit's relation view is
exactly what the model says (members, bags), and the hooks it ran lose and duplicate
nothing - each remote unit joined once and changed right after, departed only after it
joined, relation-created once (a hook killed mid-run runs again: at-least-once, so the
same hook twice in a row counts once)."""
import os
import random
import signal
import shutil
import tempfile
import time
import unittest

import cairnh
import relh
from cairnh import CairnError, collapse

ITERATIONS = int(os.environ.get("CAIRN_REL_CRASH_ITERATIONS", "3"))

SLOW = relh.REL_DISPATCH.replace('echo "$line" >> "$d/events.log"',
                                 'echo "$line" >> "$d/events.log"\nsleep 0.02')


class CrashChurn(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.prov = cairnh.make_charm(self.tmp, "prov", dispatch=SLOW,
                                      metadata_extra="provides:\n  db:\n    interface: kv\n")
        self.req = cairnh.make_charm(self.tmp, "req", dispatch=SLOW,
                                     metadata_extra="requires:\n  db:\n    interface: kv\n")

    def crash(self, ctl, rng):
        time.sleep(rng.uniform(0, 0.3))
        if rng.random() < 0.5:
            ctl.kill(signal.SIGKILL)
            ctl.start()
        else:
            pid = ctl.agent_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)  # the controller starts it again

    def call(self, ctl, *args, **kw):
        for _ in range(20):
            try:
                return ctl.call(*args, **kw)
            except (OSError, EOFError):
                time.sleep(0.1)
        raise AssertionError("controller unreachable")

    def check(self, ctl, units):
        prov = [u for u in units if u.startswith("prov/")]
        req = [u for u in units if u.startswith("req/")]
        for u in units:
            others = req if u in prov else prov
            rid = relh.rel_id(ctl, u, "db")
            self.assertEqual(rid, "db:0")
            members = relh.hook_exec(ctl, u, "relation-list -r db:0").split()
            self.assertEqual(members, sorted(others), u)
            for o in others:
                self.assertEqual(relh.relation_get(ctl, u, rid, o).get("name"), o)
            ev = collapse(relh.rel_events(ctl, u))
            msg = "%s: %s" % (u, ev)
            self.assertEqual(ev.count("db-relation-created"), 1, msg)
            self.assertEqual(ev[0], "db-relation-created", msg)
            remotes = {e.split()[1] for e in ev if len(e.split()) > 1}
            for r in remotes:
                mine = [e for e in ev if len(e.split()) > 1 and e.split()[1] == r]
                self.assertEqual(mine[0], "db-relation-joined " + r, msg)
                self.assertEqual(mine.count("db-relation-joined " + r), 1, msg)
                i = ev.index("db-relation-joined " + r)
                self.assertEqual(ev[i + 1], "db-relation-changed " + r, msg)
                departed = [e for e in mine if e.startswith("db-relation-departed")]
                if r in others:
                    self.assertEqual(departed, [], msg)
                else:
                    self.assertEqual(departed, ["db-relation-departed %s departing=%s" % (r, r)], msg)
                    self.assertEqual(mine[-1], departed[0], msg)

    def test_churn(self):
        for it in range(ITERATIONS):
            rng = random.Random(4200 + it)
            ctl = cairnh.Controller().start()
            try:
                self.call(ctl, "deploy", charm=self.prov, num_units=2)
                self.call(ctl, "deploy", charm=self.req, num_units=2)
                ctl.wait_idle(timeout=120)
                steps = [
                    lambda: self.call(ctl, "integrate", endpoints=["prov", "req"]),
                    lambda: self.call(ctl, "add-unit", app="req", num_units=1),
                    lambda: self.call(ctl, "add-unit", app="prov", num_units=1),
                    lambda: self.call(ctl, "remove-unit", units=["req/0"]),
                ]
                for step in steps:
                    try:
                        step()
                    except CairnError as e:
                        # A kill may have hit after the change but before the answer.
                        if "already exists" not in str(e):
                            raise
                    self.crash(ctl, rng)
                ctl.wait_idle(timeout=120)
                ctl.wait_idle(kind="unit", name="req/0", gone=True, timeout=120)
                self.check(ctl, ["prov/0", "prov/1", "prov/2", "req/1", "req/2"])
            except Exception:
                print(ctl.daemon_log()[-3000:])
                raise
            finally:
                ctl.cleanup()


if __name__ == "__main__":
    unittest.main()
