#!/usr/bin/env python3
"""cairn lifecycle benchmarks (printed figures, not timed tests).

* The machine agent's own overhead per hook: dequeue -> exec (resolver, journal and outbox
  writes, statuses, hook context) and exit -> commit-hook queued, next to the fork/exec
  itself (figures the agent reports with its pings).
* Deploying N units of a trivial shell charm, all on the controller's machine (one
  cairn-agent process for all of them), until every unit is active and idle, for
  N = 10, 100, 1000: wall time, controller and agent RSS, and how they grow with N.
* `status` latency (and `status --format json` through the CLI) at each size.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/integration/lib"))
os.environ.setdefault("BIN_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../build/bin"))
import cairnh  # noqa: E402

TRIVIAL = """#!/bin/sh
[ "${JUJU_DISPATCH_PATH#hooks/}" = start ] && status-set active ready
exit 0
"""


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def deploy(charm, n):
    # A short lease makes the agent ping (and report its figures) every 250 ms.
    ctl = cairnh.Controller(config={"leadership-lease-duration": "1s"}).start()
    try:
        t0 = time.monotonic()
        ctl.call("deploy", charm=charm, num_units=n)
        ctl.call("wait-for", kind="application", name="triv", status="active", idle=True,
                 timeout_ms=600000)
        dt = time.monotonic() - t0
        rss = rss_kib(ctl.proc.pid)
        agent_rss = rss_kib(ctl.agent_pid())
        t0 = time.monotonic()
        for _ in range(5):
            ctl.call("status")
        st = (time.monotonic() - t0) / 5
        t0 = time.monotonic()
        ctl.cli("status", "--format", "json", check=True)
        st_json = time.monotonic() - t0
        time.sleep(0.6)  # one more ping: the figures of the last hooks
        stats = ctl.call("agent-stats")
        return dt, rss, agent_rss, st, st_json, stats
    finally:
        ctl.cleanup()


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10, 100, 1000]
    tmp = tempfile.mkdtemp(prefix="cairn-bench-")
    charm = cairnh.make_charm(tmp, "triv", dispatch=TRIVIAL)
    print("cairn lifecycle benchmark (trivial shell charm; 4 hooks on the leader, 3 on the others)")
    print("%7s %10s %11s %9s %9s %10s %10s %9s %9s %10s" % (
        "units", "to active", "per unit", "ctl MiB", "agent MiB", "status ms", "json ms",
        "prep us", "spawn us", "commit us"))
    try:
        prev = None
        for n in sizes:
            dt, rss, arss, st, stj, s = deploy(charm, n)
            print("%7d %9.2fs %9.2fms %9.1f %9.1f %10.2f %10.2f %9.1f %9.1f %10.1f" % (
                n, dt, dt / n * 1000, rss / 1024, arss / 1024, st * 1000, stj * 1000, s["prep-us"],
                s["spawn-us"], s["commit-us"]))
            if prev:
                pn, pdt, prss = prev
                print("%7s time x%.1f, RSS x%.2f for units x%.0f" % ("", dt / pdt, rss / prss, n / pn))
            prev = (n, dt, rss)
    finally:
        shutil.rmtree(tmp, True)
    print("agent overhead per hook = prep + commit (the spawn column is the fork/exec itself);"
          " target <= 1 ms above fork/exec")
    print("targets: 100 units <= 3 s, 1000 units <= 30 s, controller RSS at 1000 units <= 30 MiB")


if __name__ == "__main__":
    main()
