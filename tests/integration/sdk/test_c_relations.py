"""The C relation example pair (charms/c-keeper, charms/c-reader) on a real cairnd: integrate,
add-unit, remove-unit and remove-relation with the hooks each unit ran and the exact
databags each side reads; application data and leader settings written by the leader only;
the get-value and readers actions through `cairn run` (results, action-log in show-task and
--watch, a failing action); relation data committed only when the handler succeeds; a
deferred relation change re-emitted on the next dispatch.  The pair runs on the SDK's fast
path (the agent's socket) and, as c-keeper-exec/c-reader-exec, on the hook tools on PATH."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import sdkh  # noqa: E402

LIFE = ["install", "leader-elected", "config-changed", "start"]


def exec_out(ctl, unit, command):
    """Runs command in a hook context of unit (cairn exec); returns its stdout."""
    r = ctl.cli("exec", "--unit", unit, "--format", "json", "--", command)
    if r.returncode != 0:
        raise AssertionError("exec on %s failed: %s %s" % (unit, r.stdout, r.stderr))
    return json.loads(r.stdout)[unit]["results"].get("stdout", "")


def bag(ctl, unit, rid, who, app=False):
    cmd = "relation-get --format json -r %s %s- %s" % (rid, "--app " if app else "", who)
    return json.loads(exec_out(ctl, unit, cmd) or "{}")


def run_action(ctl, unit, action, *params):
    r = ctl.cli("run", unit, action, *params, "--format", "json")
    return r, (json.loads(r.stdout)[unit] if r.stdout.strip() else None)


class Pair(sdkh.ControllerTest):
    variant = ""  # "" = the fast path; "-exec" = the hook tools on PATH

    def deploy_pair(self, keepers=2, readers=1, reader_config=None):
        self.deploy(sdkh.charm("c-keeper" + self.variant), app="c-keeper", n=keepers)
        self.deploy(sdkh.charm("c-reader" + self.variant), app="c-reader", n=readers, config=reader_config)
        self.ctl.wait_idle()

    def hooks(self, unit):
        return [h["status"] for h in sdkh.hooks(self.ctl, unit)]

    def status(self, unit):
        return sdkh.statuses(self.ctl, unit.split("/")[0])[unit]

    def relation_id(self, unit, endpoint):
        return exec_out(self.ctl, unit, "relation-ids %s" % endpoint).split()[0]

    def test_pair(self):
        c = self.ctl
        self.deploy_pair()
        self.assertEqual(self.status("c-keeper/0"), ("active", "serving hello"))
        # The non-leader shows what the leader's settings say.
        self.assertEqual(self.status("c-keeper/1"), ("active", "serving hello (from the leader)"))
        self.assertEqual(self.status("c-reader/0"), ("blocked", "waiting for a source"))
        r = c.cli("integrate", "c-keeper", "c-reader")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        c.wait_idle()
        rid = self.relation_id("c-reader/0", "source")
        self.assertEqual(rid.split(":")[1], self.relation_id("c-keeper/1", "store").split(":")[1])
        # The hooks each side ran: created, then -joined/-changed per remote unit.
        rel = [h for h in self.hooks("c-reader/0") if "-relation-" in h]
        self.assertEqual(rel[0], "source-relation-created")
        self.assertEqual(rel.count("source-relation-joined"), 2)
        self.assertNotIn("source-relation-departed", rel)
        for u in ("c-keeper/0", "c-keeper/1"):
            krel = [h for h in self.hooks(u) if h.startswith("store-relation-")]
            self.assertEqual(krel[:2], ["store-relation-created", "store-relation-joined"], u)
            self.assertEqual(krel[-1], "store-relation-changed", u)
        # The exact data: the leader's application bag, each keeper unit's addresses.
        self.assertEqual(bag(c, "c-reader/0", rid, "c-keeper", app=True), {"value": "hello"})
        addr = exec_out(c, "c-keeper/1", "unit-get private-address").strip()
        ingress = exec_out(c, "c-keeper/1", "network-get store --ingress-address -r %s" % rid).strip()
        k1 = bag(c, "c-reader/0", rid, "c-keeper/1")
        self.assertEqual((k1["host"], k1["address"]), (ingress, addr))
        self.assertNotIn("value", k1)
        # The reader reported what it read back, and both keepers kept it.
        self.assertEqual(bag(c, "c-keeper/1", rid, "c-reader/0")["seen"], "hello")
        self.assertEqual(self.status("c-reader/0"), ("active", "read: hello from %s" % bag(
            c, "c-reader/0", rid, "c-keeper/0")["host"]))
        # A config change: only the leader republishes, every keeper's status follows.
        c.call("config-set", app="c-keeper", config=[{"set": {"value": "cairn"}}])
        c.wait_idle()
        self.assertEqual(bag(c, "c-reader/0", rid, "c-keeper", app=True), {"value": "cairn"})
        self.assertEqual(self.status("c-keeper/1"), ("active", "serving cairn (from the leader)"))
        self.assertEqual(json.loads(exec_out(c, "c-keeper/1", "leader-get --format json")), {"value": "cairn"})
        self.assertTrue(self.status("c-reader/0")[1].startswith("read: cairn from "))
        self.assertEqual(bag(c, "c-keeper/0", rid, "c-reader/0")["seen"], "cairn")

        # A new reader unit: joins both keepers and reports what it read.
        c.call("add-unit", app="c-reader", num_units=1)
        c.wait_idle()
        rel = [h for h in self.hooks("c-reader/1") if "-relation-" in h]
        self.assertEqual(rel[0], "source-relation-created")
        self.assertEqual(rel.count("source-relation-joined"), 2)
        self.assertEqual(bag(c, "c-keeper/0", rid, "c-reader/1")["seen"], "cairn")
        r, doc = run_action(c, "c-keeper/0", "readers")
        self.assertEqual(doc["results"]["readers"], {"c-reader-0": "cairn", "c-reader-1": "cairn"})

        # remove-unit: each keeper sees the reader depart (departing = that unit) and forgets it.
        c.call("remove-unit", units=["c-reader/1"])
        c.wait_idle()
        for u in ("c-keeper/0", "c-keeper/1"):
            self.assertEqual(self.hooks(u)[-1], "store-relation-departed")
        self.assertIn("c-reader/1 left relation store:%s" % rid.split(":")[1], self.debug_log())
        r, doc = run_action(c, "c-keeper/1", "readers")
        self.assertEqual((doc["results"]["count"], doc["results"]["readers"]), ("1", {"c-reader-0": "cairn"}))

        # remove-relation: -departed for each remote unit, then -broken, on both sides.
        r = c.cli("remove-relation", "c-keeper", "c-reader")
        self.assertEqual(r.returncode, 0, r.stderr)
        c.wait_idle()
        rel = [h for h in self.hooks("c-reader/0") if "-relation-" in h]
        self.assertEqual(rel[-3:], ["source-relation-departed", "source-relation-departed",
                                    "source-relation-broken"])
        self.assertEqual([h for h in self.hooks("c-keeper/0") if h.startswith("store-relation-")][-2:],
                         ["store-relation-departed", "store-relation-broken"])
        self.assertEqual(self.status("c-reader/0"), ("blocked", "waiting for a source"))
        r, doc = run_action(c, "c-keeper/0", "readers")
        self.assertEqual((doc["status"], doc["message"]), ("failed", "no readers related"))
        self.assertNotIn("ERROR", self.debug_log())

    def test_actions(self):
        c = self.ctl
        self.deploy_pair(keepers=2)
        # Defaults from actions.yaml, nested results, the unit's address and planned units.
        r, doc = run_action(c, "c-keeper/0", "get-value")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(doc["status"], "completed")
        res = doc["results"]
        self.assertEqual((res["value"], res["planned-units"], res["return-code"]), ("hello", "2", 0))
        self.assertEqual(res["address"]["ingress"],
                         exec_out(c, "c-keeper/0", "network-get store --ingress-address").strip())
        self.assertTrue(doc["log"][0].endswith(" reading the served value"), doc["log"])
        self.assertIn("reading the served value", r.stderr)
        # Typed parameters.
        r, doc = run_action(c, "c-keeper/1", "get-value", "prefix=x-", "repeat=3")
        self.assertEqual(doc["results"]["value"], "x-hellohellohello")
        # Validated before anything runs.
        r = c.cli("run", "c-keeper/1", "get-value", "repeat=0")
        self.assertIn("(root).repeat : must be greater than or equal to 1, given 0", r.stderr)
        # A failing action fails its task, not the unit.
        r, doc = run_action(c, "c-keeper/0", "readers")
        self.assertEqual((doc["status"], doc["message"]), ("failed", "no readers related"))
        self.assertEqual(self.status("c-keeper/0")[0], "active")
        # action-log through show-task, and a watching show-task of a queued run.
        r = c.cli("run", "c-keeper/0", "get-value", "--background")
        self.assertEqual(r.returncode, 0, r.stderr)
        tid = re.search(r"task (\d+)", r.stdout + r.stderr).group(1)
        w = c.cli("show-task", tid, "--watch")
        self.assertEqual(w.returncode, 0, w.stderr)
        self.assertIn("reading the served value", w.stdout + w.stderr)
        task = json.loads(c.cli("show-task", tid, "--format", "json").stdout)
        self.assertEqual(task["status"], "completed")
        self.assertTrue(task["log"][0].endswith("reading the served value"))
        self.assertEqual(task["results"]["value"], "hello")

    def test_commit_only_on_success(self):
        c = self.ctl
        c.call("model-config", set={"automatically-retry-hooks": "false"})
        self.deploy_pair(keepers=1, reader_config={"reject": "bad"})
        c.cli("integrate", "c-keeper", "c-reader")
        c.wait_idle()
        rid = self.relation_id("c-keeper/0", "store")
        self.assertEqual(bag(c, "c-keeper/0", rid, "c-reader/0")["seen"], "hello")
        before = [h for h in self.hooks("c-keeper/0") if "-relation-" in h]
        # The keeper serves the value the reader refuses: its handler writes seen=bad, then
        # fails; the hook fails and nothing of it is committed.
        c.call("config-set", app="c-keeper", config=[{"set": {"value": "bad"}}])
        c.wait_idle()
        st = c.call("status")["applications"]["c-reader"]["units"]["c-reader/0"]["workload-status"]
        self.assertEqual((st["current"], st["message"]), ("error", 'hook failed: "source-relation-changed"'))
        self.assertEqual(bag(c, "c-keeper/0", rid, "c-reader/0")["seen"], "hello")
        self.assertEqual([h for h in self.hooks("c-keeper/0") if "-relation-" in h], before)
        self.assertIn('refusing the value "bad"', self.debug_log())
        # Accepted now: the retried hook commits seen=bad, and the keeper sees it once.
        c.call("config-set", app="c-reader", config=[{"set": {"reject": ""}}])
        r = c.cli("resolved", "c-reader/0")
        self.assertEqual(r.returncode, 0, r.stderr)
        c.wait_idle()
        self.assertEqual(bag(c, "c-keeper/0", rid, "c-reader/0")["seen"], "bad")
        after = [h for h in self.hooks("c-keeper/0") if "-relation-" in h]
        self.assertEqual(after[len(before):], ["store-relation-changed"])
        r, doc = run_action(c, "c-keeper/0", "readers")
        self.assertEqual(doc["results"]["readers"], {"c-reader-0": "bad"})

    def test_defer_reemits_on_next_dispatch(self):
        c = self.ctl
        self.deploy_pair(keepers=1, reader_config={"paused": "true"})
        c.cli("integrate", "c-keeper", "c-reader")
        c.wait_idle()
        rid = self.relation_id("c-keeper/0", "store")
        # Every change was deferred: nothing read, nothing reported.
        self.assertEqual(self.status("c-reader/0"), ("waiting", "paused: source-relation-changed deferred"))
        self.assertNotIn("seen", bag(c, "c-keeper/0", rid, "c-reader/0"))
        # Unpaused: the next dispatch (config-changed) re-emits the deferred changes first,
        # each with the remote unit it came with; they read and report now.
        c.call("config-set", app="c-reader", config=[{"set": {"paused": "false"}}])
        c.wait_idle()
        log = self.debug_log()
        tail = log[log.rindex('running "config-changed" hook'):]
        self.assertIn("source-relation-changed from c-keeper/0 (re-emitted)", tail)
        self.assertTrue(self.status("c-reader/0")[1].startswith("read: hello from "))
        self.assertEqual(bag(c, "c-keeper/0", rid, "c-reader/0")["seen"], "hello")
        # Not re-emitted again: the queue emptied with that successful dispatch.
        c.call("config-set", app="c-reader", config=[{"set": {"reject": "x"}}])
        c.wait_idle()
        log = self.debug_log()
        self.assertNotIn("(re-emitted)", log[log.rindex('running "config-changed" hook'):])


class PairOnHookTools(Pair):
    """The same pair forced onto the hook tools on PATH (what any Juju agent offers)."""
    variant = "-exec"

    # The action and defer scenarios do not depend on the transport beyond what test_pair
    # covers; run the pair and commit-on-success there.
    test_actions = None
    test_defer_reemits_on_next_dispatch = None


if __name__ == "__main__":
    unittest.main()
