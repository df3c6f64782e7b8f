"""scree service output: the stored line form, GET /v1/logs as ndjson (n, services,
follow), and --verbose copies to the daemon's stdout."""

import json
import re
import time
import unittest

from screeh import DaemonTest

LAYER = """
services:
    talker:
        override: replace
        command: /bin/sh -c 'for i in 1 2 3 4 5; do echo "line $i"; done; printf "part"; sleep 0.2; echo "ial"; sleep 100'
    ticker:
        override: replace
        command: /bin/sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'
"""

TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


class LogsTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon(args=["--verbose"])
        self.d.add_layer("base", LAYER)

    def logs(self, query):
        status, _, resp, text = self.d.request("GET", "/v1/logs" + query)
        return status, resp.getheader("Content-Type"), text

    def test_ndjson_and_n(self):
        self.d.run_action("start", ["talker"])
        status, ctype, text = self.logs("?services=talker&n=-1")
        self.assertEqual((status, ctype), (200, "application/x-ndjson"))
        entries = [json.loads(l) for l in text.splitlines()]
        self.assertEqual([e["message"] for e in entries],
                         ["line 1", "line 2", "line 3", "line 4", "line 5", "partial"])
        for e in entries:
            self.assertEqual(list(e.keys()), ["time", "service", "message"])
            self.assertEqual(e["service"], "talker")
            self.assertRegex(e["time"], TIME_RE)
        status, _, text = self.logs("?services=talker&n=2")
        self.assertEqual([json.loads(l)["message"] for l in text.splitlines()], ["line 5", "partial"])
        status, _, text = self.logs("?n=0")
        self.assertEqual(text, "")

    def test_default_all_services_merged(self):
        self.d.run_action("start", ["talker", "ticker"])
        status, _, text = self.logs("")
        entries = [json.loads(l) for l in text.splitlines()]
        self.assertLessEqual(len(entries), 30)
        self.assertEqual({e["service"] for e in entries}, {"talker", "ticker"})
        # RFC 3339 with trailing zeros trimmed does not sort as text: compare instants.
        def instant(t):
            base, frac = (t[:-1].split(".") + ["0"])[:2]
            return (base, int(frac.ljust(9, "0")))
        times = [instant(e["time"]) for e in entries]
        self.assertEqual(times, sorted(times))

    def test_bad_parameters(self):
        status, _, text = self.logs("?n=-2")
        self.assertEqual(status, 400)
        self.assertEqual(text["result"]["message"], "n must be -1, 0, or a positive integer")
        status, _, text = self.logs("?follow=maybe")
        self.assertEqual(status, 400)
        self.assertEqual(text["result"]["message"], 'follow parameter must be "true" or "false"')

    def test_follow(self):
        self.d.run_action("start", ["ticker"])
        c = self.d.conn(timeout=10)
        c.request("GET", "/v1/logs?services=ticker&follow=true&n=1")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "application/x-ndjson")
        got = []
        while len(got) < 4:
            line = r.fp.readline()  # chunked framing is handled below
            if not line:
                break
            line = line.strip()
            if not line or re.fullmatch(rb"[0-9a-fA-F]+", line):
                continue
            got.append(json.loads(line))
        c.close()
        nums = [int(e["message"].split()[1]) for e in got]
        self.assertEqual(nums, list(range(nums[0], nums[0] + 4)))
        # The daemon keeps working after the follower went away.
        self.assertEqual(self.d.get("/v1/system-info")[0], 200)

    def test_verbose_copies_output(self):
        self.d.run_action("start", ["talker"])
        self.assertRegex(self.d.output(), r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[talker\] line 1$")

    def test_ring_buffer_bounded(self):
        self.d.add_layer("big", """
services:
    big:
        override: replace
        command: /bin/sh -c 'i=0; while [ $i -lt 4000 ]; do echo "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx $i"; i=$((i+1)); done; sleep 100'
""")
        self.d.run_action("start", ["big"])
        status, _, text = self.logs("?services=big&n=-1")
        lines = [json.loads(l)["message"] for l in text.splitlines()]
        stored = sum(len("2006-01-02T15:04:05.000Z [big] ") + len(m) + 1 for m in lines)
        self.assertLessEqual(stored, 100 * 1024)
        self.assertGreater(stored, 90 * 1024)
        self.assertTrue(lines[-1].endswith(" 3999"))


if __name__ == "__main__":
    unittest.main()
