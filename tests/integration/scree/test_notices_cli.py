"""The notices verbs of the scree CLI as a user runs them: notify, notices (table, filters,
--timeout), notice (YAML, by id or type and key), warnings and okay, with the client state
upstream keeps in $XDG_CONFIG_HOME/pebble/cli.json."""

import json
import os
import re
import shutil
import tempfile
import threading
import time
import unittest
from datetime import datetime, timezone

from screeh import Daemon, DaemonTest

ABS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


class NoticesCliTest(DaemonTest):
    def setUp(self):
        self.cfg = tempfile.mkdtemp(prefix="scree-cfg-")
        self.addCleanup(shutil.rmtree, self.cfg, True)
        self.d = self.start_daemon(env={"XDG_CONFIG_HOME": self.cfg})

    def cli(self, *args, **kw):
        return self.d.cli(*args, **kw)

    def state(self):
        with open(os.path.join(self.cfg, "pebble", "cli.json")) as f:
            return json.load(f)["pebble"][self.d.socket]

    def test_notify_notices_notice(self):
        r = self.cli("notify", "example.com/one", "a=b", "c=d=e", check=True)
        self.assertEqual(r.stdout, "Recorded notice 1\n")
        r = self.cli("notify", "--repeat-after=1h", "example.com/a-very-long-key/that-goes/on-and-on", check=True)
        self.assertEqual(r.stdout, "Recorded notice 2\n")
        for args, err in ((("notify",), "the required argument `<key>` was not provided"),
                          (("notify", "example.com/x", "novalue"), 'data args must be in "name=value" format, not "novalue"'),
                          (("notify", "--repeat-after=soon", "example.com/x"),
                           "invalid argument for flag `--repeat-after' (expected time.Duration): time: invalid duration \"soon\""),
                          (("notify", "bad"), 'invalid key "bad" (must be in "domain.com/key" format)')):
            r = self.cli(*args)
            self.assertEqual((r.returncode, r.stderr), (1, "error: %s\n" % err), args)

        r = self.cli("notices", "--abs-time", check=True)
        lines = r.stdout.splitlines()
        self.assertEqual(re.sub(r"\s+", " ", lines[0]), "ID User Type Key First Repeated Occurrences")
        self.assertRegex(lines[1], r"^1 +0 +custom +example.com/one +%s +%s +1$" % (ABS, ABS))
        # Keys beyond 32 bytes keep their start and end.
        self.assertRegex(lines[2], r"^2 +0 +custom +example.com/a-...-goes/on-and-on +%s" % ABS)
        self.assertEqual(len("example.com/a-...-goes/on-and-on"), 32)
        st = self.state()
        self.assertEqual(st["notices-last-okayed"], "0001-01-01T00:00:00Z")
        self.assertEqual(st["notices-last-listed"], self.d.get("/v1/notices/2")[1]["result"]["last-repeated"])
        r = self.cli("notices", check=True)
        self.assertIn(" today at ", r.stdout)

        r = self.cli("notice", "1", check=True)
        n = self.d.get("/v1/notices/1")[1]["result"]
        self.assertEqual(r.stdout,
                         'id: "1"\nuser-id: 0\ntype: custom\nkey: example.com/one\n'
                         "first-occurred: %s\nlast-occurred: %s\nlast-repeated: %s\noccurrences: 1\n"
                         "last-data:\n    a: b\n    c: d=e\nexpire-after: 168h0m0s\n"
                         % (n["first-occurred"], n["last-occurred"], n["last-repeated"]))
        r = self.cli("notice", "custom", "example.com/a-very-long-key/that-goes/on-and-on", check=True)
        self.assertIn('id: "2"\n', r.stdout)
        self.assertIn("repeat-after: 1h0m0s\n", r.stdout)
        r = self.cli("notice", "custom", "example.com/none")
        self.assertEqual(r.stderr, 'error: cannot find custom notice with key "example.com/none"\n')
        r = self.cli("notice", "99")
        self.assertEqual(r.stderr, 'error: cannot find notice with ID "99"\n')
        r = self.cli("notice", "--uid=0", "1")
        self.assertEqual(r.stderr, "error: cannot use --uid option when looking up notice by key\n")
        r = self.cli("notice", "custom", "example.com/one", "--uid", "0", check=True)
        self.assertIn('id: "1"\n', r.stdout)

        # okay: later listings show only what repeated after the last one listed.
        self.cli("okay", check=True)
        self.assertEqual(self.state()["notices-last-okayed"], self.state()["notices-last-listed"])
        r = self.cli("notices")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", "No matching notices.\n"))
        self.cli("notify", "example.com/one", check=True)
        r = self.cli("notices", check=True)
        self.assertEqual([l.split()[0] for l in r.stdout.splitlines()[1:]], ["1"])

    def test_filters_and_timeout(self):
        self.cli("notify", "example.com/x", check=True)
        self.d.add_layer("s", "services:\n    s:\n        override: replace\n        command: sleep 1\n")
        self.d.run_action("stop", ["s"])
        r = self.cli("notices", "--type=change-update", check=True)
        self.assertEqual([l.split()[2] for l in r.stdout.splitlines()[1:]], ["change-update"])
        r = self.cli("notices", "--type", "custom", "--key", "example.com/x", "--users=all", check=True)
        self.assertEqual(len(r.stdout.splitlines()), 2)
        r = self.cli("notices", "--uid=0", "--type=custom", check=True)
        self.assertEqual(len(r.stdout.splitlines()), 2)
        r = self.cli("notices", "--users=some")
        self.assertEqual(r.stderr, 'error: invalid "users" filter: must be "all"\n')
        r = self.cli("notices", "--key=example.com/later", "--timeout=200ms")
        self.assertEqual((r.returncode, r.stderr), (0, "No matching notices after waiting 200ms.\n"))

        def later():
            time.sleep(0.3)
            self.cli("notify", "example.com/later", check=True)

        th = threading.Thread(target=later)
        th.start()
        t0 = time.monotonic()
        r = self.cli("notices", "--key=example.com/later", "--timeout=10s", check=True)
        th.join()
        self.assertLess(time.monotonic() - t0, 8)  # woken by the notice, not the 10 s timeout
        self.assertIn("example.com/later", r.stdout)
        r = self.cli("notices", "extra")
        self.assertEqual(r.stderr, "error: too many arguments for command\n")

    def test_warnings_and_okay(self):
        r = self.cli("warnings")
        self.assertEqual((r.returncode, r.stderr), (0, "No warnings.\n"))
        r = self.cli("okay")
        self.assertEqual((r.returncode, r.stderr),
                         (1, "error: no notices or warnings have been listed; try 'pebble notices' or 'pebble warnings'\n"))
        r = self.cli("okay", "--warnings")
        self.assertEqual(r.stderr, "error: no warnings have been listed; try 'pebble warnings'\n")


class WarningsCliTest(DaemonTest):
    """Warnings are notices of type warning; seeded here through the state file."""

    def test_warnings(self):
        cfg = tempfile.mkdtemp(prefix="scree-cfg-")
        self.addCleanup(shutil.rmtree, cfg, True)
        d = Daemon(env={"XDG_CONFIG_HOME": cfg})
        self.addCleanup(d.cleanup)
        now = datetime.now(timezone.utc)
        ts = now.strftime("%Y-%m-%dT%H:%M:%S.5Z")
        with open(os.path.join(d.dir, ".pebble.state"), "w") as f:
            json.dump({"notices": {"last-notice-id": 2, "notices": [
                {"id": "1", "user-id": None, "type": "warning", "key": "first warning\nsecond line  ",
                 "first-occurred": ts, "last-occurred": ts, "last-repeated": ts, "occurrences": 1,
                 "repeat-after": "24h0m0s", "expire-after": "168h0m0s"},
                {"id": "2", "user-id": None, "type": "warning", "key": "another one",
                 "first-occurred": ts, "last-occurred": ts, "last-repeated": ts.replace(".5Z", ".6Z"),
                 "occurrences": 2, "repeat-after": "24h0m0s", "expire-after": "672h0m0s"}]}}, f)
        d.start()
        abs_ts = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        r = d.cli("warnings", "--abs-time", "--unicode=never", check=True)
        self.assertEqual(r.stdout, "last-occurrence:  %s\nwarning: |\n  first warning\n  second line\n---\n"
                                   "last-occurrence:  %s\nwarning: |\n  another one\n" % (abs_ts, abs_ts))
        r = d.cli("warnings", "--abs-time", "--verbose", check=True)
        self.assertEqual(r.stdout.splitlines()[:5], [
            "first-occurrence:  " + abs_ts, "last-occurrence:   " + abs_ts, "last-repeated:     " + abs_ts,
            "repeats-after:     1d00h", "expires-after:     7d00h"])
        self.assertIn("expires-after:     28d0h", r.stdout)
        d.cli("okay", "--warnings", check=True)
        r = d.cli("warnings")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", "No further warnings.\n"))
        r = d.cli("warnings", "--all", check=True)
        self.assertEqual(r.stdout.count("warning: |"), 2)
        r = d.cli("warnings", "--unicode=maybe")
        self.assertIn("Allowed values are: auto, never or always", r.stderr)


if __name__ == "__main__":
    unittest.main()
