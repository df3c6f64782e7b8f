"""The C machine charm on cairn: the installer and the service manager are stand-in scripts
that record their arguments; a failing installer blocks the unit with "Failed to install
packages" and fixing the config recovers it to active."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import sdkh  # noqa: E402


class Machine(sdkh.ControllerTest):
    def test_install_start_active(self):
        self.deploy(sdkh.charm("c-machine"), config={
            "installer": self.script("installer", 0) + " -y", "packages": "openssh-server",
            "enable-command": self.script("enabler", 0) + " --now"})
        self.wait("machine")
        self.assertEqual(sdkh.statuses(self.ctl, "machine")["machine/0"], ("active", ""))
        self.assertEqual(self.calls(), ["installer -y openssh-server", "enabler --now openssh-server"])

    def test_failed_install_blocks_then_recovers(self):
        self.deploy(sdkh.charm("c-machine"), config={
            "installer": self.script("broken", 100), "enable-command": self.script("enabler", 0)})
        self.wait("machine", status="blocked")
        self.assertEqual(sdkh.statuses(self.ctl, "machine")["machine/0"], ("blocked", "Failed to install packages"))
        self.assertNotIn("enabler openssh-server", self.calls())
        self.configure("machine", installer=self.script("installer", 0))
        self.wait("machine")
        self.assertEqual(self.calls()[-2:], ["installer openssh-server", "enabler openssh-server"])


if __name__ == "__main__":
    unittest.main()
