"""Many units on one machine agent (the scale paths: batched commits, counted idle units,
backpressured goals, batched charm installs, the rendered status): 200 units deployed, then a
config change; every unit's exact hook sequence holds, wait-for answers only when every unit
is idle, and `status --format json` is the status document as the controller holds it."""
import json
import os
import shutil
import tempfile
import unittest

import cairnh

N = 200

DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
echo "$h" >> "$JUJU_CHARM_DIR/../events.log"
[ "$h" = start ] && status-set active "$(config-get thing)"
[ "$h" = config-changed ] && [ -e "$JUJU_CHARM_DIR/../started" ] && status-set active "$(config-get thing)"
[ "$h" = start ] && touch "$JUJU_CHARM_DIR/../started"
exit 0
"""
CONFIG = "options:\n  thing: {type: string, default: one}\n"


class ManyUnits(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ctl = cairnh.Controller().start()
        self.addCleanup(self.ctl.cleanup)
        self.charm = cairnh.make_charm(self.tmp, "many", dispatch=DISPATCH, config=CONFIG)

    def events(self, unit):
        with open(os.path.join(self.ctl.unit_dir(unit), "events.log")) as f:
            return f.read().split()

    def test_hundreds_of_units(self):
        r = self.ctl.call("deploy", charm=self.charm, num_units=N)
        self.assertEqual(len(r["units"]), N)
        self.ctl.call("wait-for", kind="application", name="many", status="active", idle=True,
                      timeout_ms=240000)
        st = self.ctl.call("status")["applications"]["many"]
        self.assertEqual(st["scale"], N)
        self.assertEqual(sorted(st["units"]), sorted("many/%d" % i for i in range(N)))
        for name, u in st["units"].items():
            self.assertEqual(u["workload-status"]["current"], "active", name)
            self.assertEqual(u["workload-status"]["message"], "one", name)
            self.assertEqual(u["juju-status"]["current"], "idle", name)
        # Idle means done: every unit has run exactly its lifecycle, in order.
        for i in range(N):
            unit = "many/%d" % i
            want = ["install", "leader-elected", "config-changed", "start"] if i == 0 else \
                   ["install", "config-changed", "start"]
            self.assertEqual(self.events(unit), want, unit)
        self.ctl.call("config-set", app="many", config=[{"set": {"thing": "two"}}])
        self.ctl.call("wait-for", kind="model", idle=True, timeout_ms=240000)
        for i in range(N):
            unit = "many/%d" % i
            self.assertEqual(self.events(unit)[-2:], ["start", "config-changed"], unit)
        st = self.ctl.call("status")
        for name, u in st["applications"]["many"]["units"].items():
            self.assertEqual(u["workload-status"]["message"], "two", name)
        # The CLI prints the controller's rendering as it came.
        p = self.ctl.cli("status", "--format", "json", check=True)
        cli = json.loads(p.stdout)
        del cli["controller"]["timestamp"], st["controller"]["timestamp"]
        self.assertEqual(cli, st)
        self.assertEqual(p.stdout, json.dumps(json.loads(p.stdout), separators=(",", ":"),
                                              ensure_ascii=False) + "\n")


if __name__ == "__main__":
    unittest.main()
