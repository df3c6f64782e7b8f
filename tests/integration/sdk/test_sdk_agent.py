"""The C charm SDK on a real cairn agent: the same probe charm reaches the agent through its
socket (the fast path), through the hook tools on PATH (what any Juju-compatible agent
offers), and choosing by itself; stored state lives in a real .unit-state.db (ops' tables,
mode 0600) or in the controller; deferred events are re-emitted before the next event; a
failed hook rolls back what it stored and is retried by `resolved`."""
import json
import os
import sqlite3
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import sdkh  # noqa: E402


class Agent(sdkh.ControllerTest):
    def message(self, app, unit=None):
        return sdkh.statuses(self.ctl, app)[unit or app + "/0"][1]

    def test_every_transport_reaches_active(self):
        for v in ("auto", "exec", "socket", "ctl"):
            self.deploy(sdkh.charm("probe-" + v))
        for v in ("auto", "exec", "socket", "ctl"):
            self.wait("probe-" + v)
            self.assertEqual(self.message("probe-" + v),
                             "%s: install leader-elected config-changed start" % v)
        log = self.debug_log()
        # Nothing failed, on any path.
        self.assertNotIn("ERROR", log)

    def test_local_store_is_ops_kind(self):
        self.deploy(sdkh.charm("probe-auto"))
        self.wait("probe-auto")
        db = os.path.join(self.ctl.unit_dir("probe-auto/0"), "charm", ".unit-state.db")
        self.assertEqual(stat.S_IMODE(os.stat(db).st_mode), 0o600)
        con = sqlite3.connect(db)
        tables = sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'"))
        self.assertIn("snapshot", tables)
        self.assertIn("notice", tables)
        (data,) = con.execute("SELECT data FROM snapshot WHERE handle = 'cairn/StoredState[probe]'").fetchone()
        self.assertEqual(json.loads(data)["events"], ["install", "leader-elected", "config-changed", "start"])
        con.close()

    def defer_and_reemit(self, app):
        self.deploy(sdkh.charm(app))
        self.wait(app)
        mode = app.split("-")[1]
        # config-changed defers itself: it stays queued and comes back first next time.
        self.configure(app, defer_config="true")
        self.assertEqual(self.message(app), "%s: install leader-elected config-changed start config-changed" % mode)
        self.configure(app, defer_config="false")
        # The deferred one is re-emitted before the new config-changed; neither defers now.
        self.assertEqual(self.message(app).split(": ")[1].split()[-2:],
                         ["config-changed[r]", "config-changed"])
        self.ctl.call("model-config", set={"update-status-hook-interval": "1s"})
        self.ctl.call("wait-for", kind="unit", name=app + "/0", status="active", timeout_ms=30000)
        # update-status comes on its timer; nothing is re-emitted before it any more.
        self.ctl.call("wait-for", kind="unit", name=app + "/0", idle=True, timeout_ms=30000)
        unit = app + "/0"
        n = len([h for h in sdkh.hooks(self.ctl, unit) if h["status"] == "update-status"])
        while n < 1:
            self.ctl.wait_idle()
            n = len([h for h in sdkh.hooks(self.ctl, unit) if h["status"] == "update-status"])
        self.assertEqual(self.message(app).split()[-1], "update-status")
        self.assertNotIn("[r] update-status", self.message(app))
        self.ctl.call("model-config", reset=["update-status-hook-interval"])

    def test_defer_local(self):
        self.defer_and_reemit("probe-auto")

    def test_defer_controller_storage(self):
        self.defer_and_reemit("probe-ctl")

    def rollback(self, app):
        mode = app.split("-")[1]
        self.deploy(sdkh.charm(app))
        self.wait(app)
        self.ctl.call("config-set", app=app, config=[{"set": {"fail-hook": "config-changed"}}])
        # The hook fails: the unit is in error, and what the hook stored is gone.
        self.ctl.call("wait-for", kind="unit", name=app + "/0", status="error", timeout_ms=30000)
        st = self.ctl.call("status")["applications"][app]["units"][app + "/0"]
        self.assertEqual(st["workload-status"]["message"], 'hook failed: "config-changed"')
        self.ctl.call("config-set", app=app, config=[{"set": {"fail-hook": ""}}])
        self.ctl.call("resolved", units=[app + "/0"])
        self.ctl.wait_idle()
        # The failed run left nothing; the retried one (and the coalesced change) recorded once.
        events = self.message(app).split(": ")[1].split()
        self.assertEqual(events[:4], ["install", "leader-elected", "config-changed", "start"])
        self.assertEqual(events[4:], ["config-changed"])
        self.assertIn("failing config-changed as configured", self.debug_log())
        self.assertTrue(self.message(app).startswith(mode + ":"))

    def test_rollback_local(self):
        self.rollback("probe-auto")

    def test_rollback_controller_storage(self):
        self.rollback("probe-ctl")


if __name__ == "__main__":
    unittest.main()
