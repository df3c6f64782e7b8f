"""scree killed with SIGKILL at random points (state.h, files_atomic.h): during a layer add, a
file push, a service start and an identities change, all in flight at once, many times.
After each kill the writers the daemon left run to their end; then the state file must
parse, the pushed file must hold its old or its new content (never a mix, never cut
short), and everything the API had reported as done for identities and pushes must still
be there when the daemon comes back.

The kill points are driven by events where there are events: the push's body is produced
by the test, which kills the daemon from inside the body at a random byte offset; the
other kills come at a random delay after the last request went out (or after the push's
last byte, to land in its commit).  The test is this process's child subreaper, so the
services and writer children of a killed daemon are re-parented here: services are
killed, writers are waited for (they end on their own), and nothing is left behind."""

import collections
import ctypes
import json
import os
import random
import signal
import threading
import time
import unittest

from filesh import OpsFiles
from screeh import Daemon

PR_SET_CHILD_SUBREAPER = 36
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "60"))
SIZE = 3 << 20  # the pushed file: large enough to be cut mid-transfer
PIECE = 64 * 1024
MARK = "%d" % os.getpid()  # in the service's command line, to tell our services apart

LAYER = """
services:
    svc:
        override: replace
        command: sleep 86400.%s
""" % MARK


def content(i):
    """The i-th version of the pushed file: every byte tells which version it is from."""
    return bytes([0x41 + (i % 26)]) * SIZE


class KillingSource:
    """A push body that kills the daemon once `at` bytes of the file were handed out, and
    sets `ended` when the last one was."""

    def __init__(self, data, at, kill):
        self.data, self.off, self.at, self.kill = data, 0, at, kill
        self.ended = threading.Event()

    def read(self, n):
        if self.at is not None and self.off >= self.at:
            self.kill()
            self.at = None
        piece = self.data[self.off:self.off + min(n, PIECE)]
        self.off += len(piece)
        if not piece:
            self.ended.set()
        return piece


def orphans():
    """Our children that are not subprocess.Popen's: what killed daemons left here."""
    out = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        if int(rest[1]) == me:
            out.append((int(entry), [c.decode("utf-8", "replace") for c in cmd if c]))
    return out


def reap_orphans(known):
    """Kills leftover services, waits for leftover writers; returns how many writers there
    were.  known: pids of our own Popen children (the daemons)."""
    writers = 0
    for pid, cmd in orphans():
        if pid in known:
            continue
        if cmd[:1] == ["sleep"]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            writers += 1
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return writers


class CrashSafetyTest(unittest.TestCase):
    def setUp(self):
        libc = ctypes.CDLL(None, use_errno=True)
        self.assertEqual(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0)
        self.addCleanup(libc.prctl, PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.addCleanup(lambda: reap_orphans(set()))
        self.target = os.path.join(self.d.dir, "pushed.bin")
        self.rng = random.Random(int(os.environ.get("CRASH_SEED", str(int(time.time())))))

    def kill_daemon(self):
        with self.kill_lock:
            if not self.killed:
                self.killed = True
                os.kill(self.d.proc.pid, signal.SIGKILL)

    def one_round(self, i, confirmed_ids):
        d = self.d
        d.start()
        self.killed = False
        self.kill_lock = threading.Lock()
        results = {}
        with open(self.target, "rb") as f:
            old = f.read()
        new = content(i)
        where = self.rng.choice(["push-body", "push-commit", "after-requests"])
        at = self.rng.randrange(0, SIZE) if where == "push-body" else None
        src = KillingSource(new, at, self.kill_daemon)

        def push():
            try:
                OpsFiles(d.socket, timeout=30).push(self.target, src)
                results["push"] = True
            except Exception as e:  # the daemon died under it
                results["push"] = e
            finally:
                src.ended.set()

        def identity():
            name = "u%d" % i
            try:
                status, _ = d.post("/v1/identities", {"action": "add", "identities": {
                    name: {"access": "read", "local": {"user-id": 20000 + i}}}})
                if status == 200:
                    confirmed_ids.add(name)
            except Exception:
                pass

        def layer_and_start():
            try:
                d.add_layer("crash%d" % i, LAYER, combine=True)
                d.services_action("start", ["svc"])
            except Exception:
                pass

        threads = [threading.Thread(target=f) for f in (push, identity, layer_and_start)]
        for t in threads:
            t.start()
        if where == "push-commit":
            # Once the last byte is out the commit (fsync, rename) runs.
            src.ended.wait(60)
            time.sleep(self.rng.uniform(0, 0.004))
        elif where == "after-requests":
            time.sleep(self.rng.uniform(0, 0.03))
        if where != "push-body":
            self.kill_daemon()
        for t in threads:
            t.join(60)
        if not self.killed:
            self.kill_daemon()
        d.stop(sig=signal.SIGKILL)
        # What the dead daemon left: its services are killed, its writers finish.
        reap_orphans(set())

        # The state file is whole (or was never written).
        state = os.path.join(d.dir, ".pebble.state")
        if os.path.exists(state):
            with open(state) as f:
                json.load(f)
        # The pushed file is the old or the new version, and the new one if the API said so.
        with open(self.target, "rb") as f:
            got = f.read()
        self.assertTrue(got in (old, new), "round %d (%s): torn file: %d bytes, first %r last %r"
                        % (i, where, len(got), got[:1], got[-1:]))
        if results.get("push") is True:
            self.assertEqual(got, new, "round %d: a push reported done was lost" % i)
        self.outcomes[(where, "new" if got == new and old != new else "old")] += 1
        return where

    def test_sigkill_anywhere(self):
        with open(self.target, "wb") as f:
            f.write(content(25))
        confirmed_ids = set()
        seen = set()
        self.outcomes = collections.Counter()
        for i in range(ROUNDS):
            seen.add(self.one_round(i, confirmed_ids))
            # Back up: everything reported done is there, and the daemon is usable.
            d = self.d
            d.start()
            status, payload = d.get("/v1/identities")
            self.assertEqual(status, 200, payload)
            missing = confirmed_ids - set(payload["result"])
            self.assertFalse(missing, "identities reported added but lost: %s" % sorted(missing))
            status, payload = d.get("/v1/changes?select=all")
            self.assertEqual(status, 200, payload)
            d.stop(sig=signal.SIGKILL)
            reap_orphans(set())
        print("kills (where, file after): %s; identities confirmed: %d"
              % (sorted(self.outcomes.items()), len(confirmed_ids)))
        self.assertEqual(seen, {"push-body", "push-commit", "after-requests"})
        self.assertGreater(len(confirmed_ids), 0)


if __name__ == "__main__":
    unittest.main()
