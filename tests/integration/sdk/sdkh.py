"""Helpers for the C charm SDK's integration tests: where the built C charms are, and a
controller fixture that removes what a test deployed."""
import os
import shutil
import tempfile
import unittest

import cairnh

BUILD = os.path.abspath(os.path.join(cairnh.BIN, ".."))
CHARMS = os.path.join(BUILD, "charms")


def charm(name, packed=False):
    """The built charm directory (or its .charm zip) under build/charms."""
    path = os.path.join(CHARMS, name + (".charm" if packed else ""))
    if not os.path.exists(path):
        raise unittest.SkipTest("%s is not built" % path)
    return path


def statuses(ctl, app):
    units = ctl.call("status")["applications"][app]["units"]
    return {u: (d["workload-status"]["current"], d["workload-status"].get("message", "")) for u, d in units.items()}


def hooks(ctl, unit, n=200):
    entries = ctl.call("show-status-log", unit=unit, n=n)["entries"]
    return [e for e in entries if e["type"] == "hook"]


class ControllerTest(unittest.TestCase):
    """A fresh controller per test; deployed applications are removed and waited for."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-sdk-")
        self.ctl = cairnh.Controller().start()

    def tearDown(self):
        try:
            apps = list(self.ctl.call("status")["applications"])
            for app in apps:
                self.ctl.call("remove-application", apps=[app], force=True)
            for app in apps:
                self.ctl.call("wait-for", kind="application", name=app, gone=True, timeout_ms=60000)
        except Exception:
            pass
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deploy(self, path, app=None, n=1, config=None):
        args = {"charm": path, "num_units": n}
        if app:
            args["app"] = app
        if config:
            args["config"] = [{"set": config}]
        return self.ctl.call("deploy", **args)

    def wait(self, app, status="active", timeout=60):
        self.ctl.call("wait-for", kind="application", name=app, status=status, idle=True,
                      timeout_ms=int(timeout * 1000))

    def configure(self, app, **kv):
        self.ctl.call("config-set", app=app, config=[{"set": {k.replace("_", "-"): v for k, v in kv.items()}}])
        self.ctl.wait_idle()

    def script(self, name, code=0):
        """A stand-in command in self.tmp that appends "<name> <args>" to the calls file."""
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write('#!/bin/sh\necho "%s $*" >> %s/calls\nexit %d\n' % (name, self.tmp, code))
        os.chmod(path, 0o755)
        return path

    def calls(self):
        """The stand-in commands' calls so far, one "<name> <args>" each."""
        try:
            with open(os.path.join(self.tmp, "calls")) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def debug_log(self):
        return self.ctl.cli("debug-log", "--replay", "--no-tail", "--limit", "10000").stdout
