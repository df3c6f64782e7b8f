"""The C ubuntu-advantage-style charm on cairn: it reaches active, attaches when given a
token, and a config-changed without a config change runs none of its commands."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import sdkh  # noqa: E402

COMMANDS = ("add-ppa-command", "remove-ppa-command", "install-command", "attach-command", "detach-command")


class UbuntuAdvantage(sdkh.ControllerTest):
    def test_reconciles_idempotently(self):
        config = {}
        for name in COMMANDS:
            config[name] = self.script(name)
        self.deploy(sdkh.charm("c-ubuntu-advantage"), config=config)
        self.wait("ubuntu-advantage")
        self.assertEqual(sdkh.statuses(self.ctl, "ubuntu-advantage")["ubuntu-advantage/0"], ("active", "Detached"))
        self.assertEqual(self.calls(), ["install-command "])
        self.configure("ubuntu-advantage", token="tok-1", ppa="ppa:ua/stable")
        self.wait("ubuntu-advantage")
        self.assertEqual(sdkh.statuses(self.ctl, "ubuntu-advantage")["ubuntu-advantage/0"], ("active", "Attached"))
        self.assertEqual(self.calls()[1:], ["add-ppa-command ppa:ua/stable", "install-command ", "attach-command tok-1"])
        n = len(self.calls())
        # The same values again: a config-changed may run, but no command does.
        self.configure("ubuntu-advantage", token="tok-1", ppa="ppa:ua/stable")
        self.ctl.call("refresh", app="ubuntu-advantage", charm=sdkh.charm("c-ubuntu-advantage"))
        self.ctl.wait_idle()
        self.assertEqual(len(self.calls()), n)
        hooks = [h["status"] for h in sdkh.hooks(self.ctl, "ubuntu-advantage/0")]
        self.assertEqual(hooks[-2:], ["upgrade-charm", "config-changed"])
        # The token itself is never stored, only its hash.
        db = os.path.join(self.ctl.unit_dir("ubuntu-advantage/0"), "charm", ".unit-state.db")
        for path in (db, db + "-wal"):  # the store is in WAL mode: the last commits are in the log
            with open(path, "rb") as f:
                self.assertNotIn(b"tok-1", f.read())


if __name__ == "__main__":
    unittest.main()
