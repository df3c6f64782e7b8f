"""scree run re-executes itself once with glibc's per-thread cache of freed blocks switched
off (memtrim.h): the daemon runs with that setting under its own name, and its services see
the caller's environment exactly, with neither the setting nor scree's own markers."""

import json
import os
import unittest

from screeh import SCREE, Daemon, DaemonTest

LAYER = """
services:
    envdump:
        override: replace
        command: /bin/sh -c 'env | grep -E "^(GLIBC_TUNABLES|SCREE_)" | sort | sed "s/^/ENV /"; echo END; sleep 100'
"""


def exec_environ(pid):
    """The environment a process was executed with (/proc/PID/environ)."""
    with open("/proc/%d/environ" % pid, "rb") as f:
        return dict(e.decode().split("=", 1) for e in f.read().split(b"\0") if b"=" in e)


def sanitized():
    """The sanitizer build: its allocator is not glibc's, so scree does not re-execute."""
    with open(SCREE, "rb") as f:
        return b"libasan.so" in f.read()


@unittest.skipIf(sanitized(), "the sanitizer build keeps its own allocator")
class DaemonEnvTest(DaemonTest):
    def daemon(self, tunables):
        d = Daemon()
        d.env.pop("GLIBC_TUNABLES", None)
        d.env.pop("SCREE_MALLOC_TUNED", None)
        if tunables is not None:
            d.env["GLIBC_TUNABLES"] = tunables
        self.addCleanup(d.cleanup)
        return d.start()

    def service_env(self, d):
        d.add_layer("env", LAYER)
        # The start is done once the service has run for a second: its output is in.
        self.assertEqual(d.run_action("start", ["envdump"])["status"], "Done")
        _, _, _, text = d.request("GET", "/v1/logs?services=envdump&n=-1")
        lines = [json.loads(line)["message"] for line in text.splitlines()]
        self.assertEqual(lines[-1], "END")
        return [m.split("ENV ", 1)[1] for m in lines if m.startswith("ENV ")]

    def test_without_caller_tunables(self):
        d = self.daemon(None)
        self.assertEqual(exec_environ(d.proc.pid).get("GLIBC_TUNABLES"), "glibc.malloc.tcache_count=0")
        # Re-executed as /proc/self/exe, it still goes by the name it was started with.
        with open("/proc/%d/comm" % d.proc.pid) as f:
            self.assertEqual(f.read().strip(), os.path.basename(SCREE))
        self.assertEqual(self.service_env(d), [])

    def test_caller_tunables_kept(self):
        d = self.daemon("glibc.malloc.check=0")
        # (glibc rewrites GLIBC_TUNABLES in place as it reads it: the daemon's own copy is
        # not checked here.)
        self.assertEqual(self.service_env(d), ["GLIBC_TUNABLES=glibc.malloc.check=0"])

    def test_caller_tcache_setting_wins(self):
        d = self.daemon("glibc.malloc.tcache_count=3")
        self.assertEqual(exec_environ(d.proc.pid).get("GLIBC_TUNABLES"), "glibc.malloc.tcache_count=3")
        self.assertEqual(self.service_env(d), ["GLIBC_TUNABLES=glibc.malloc.tcache_count=3"])


if __name__ == "__main__":
    unittest.main()
