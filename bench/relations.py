#!/usr/bin/env python3
"""cairn relation and action benchmarks (printed figures, not timed tests).

* Relating N provider units to M requirer units (all on the controller's machine: one
  cairn-agent for every unit) until every unit is idle again: the full mesh of -joined and
  -changed, for 100 x 100 and 1,000 x 1.  Printed: wall time, hooks run (counted by the
  charm itself) against the minimum Juju's rules require (per unit: -relation-created, the
  config-changed after it, and -joined + -changed per remote unit; the charm writes no
  relation data, so nothing more is due), controller and agent RSS.
* `cairn run` of a trivial action, end to end (the CLI process: enqueue, the agent runs the
  action, results back, printed): median and worst of 30 runs, against the 20 ms target.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/integration/lib"))
os.environ.setdefault("BIN_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../build/bin"))
import cairnh  # noqa: E402

# One line per hook in <unit dir>/hooks (appending is cheap next to the hook's own spawn).
DISPATCH = """#!/bin/sh
echo "${JUJU_DISPATCH_PATH#*/}" >> "$JUJU_CHARM_DIR/../hooks"
case "$JUJU_DISPATCH_PATH" in
hooks/start) status-set active ready ;;
actions/ping) action-set pong=yes ;;
esac
exit 0
"""


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def hooks_run(ctl, units):
    """{hook kind: count} over units ("db-relation-joined" -> "joined")."""
    kinds = {}
    for u in units:
        try:
            with open(os.path.join(ctl.unit_dir(u), "hooks")) as f:
                for line in f:
                    k = line.strip().rsplit("-", 1)[-1] if "-relation-" in line else line.strip()
                    kinds[k] = kinds.get(k, 0) + 1
        except FileNotFoundError:
            pass
    return kinds


def minus(a, b):
    return {k: a.get(k, 0) - b.get(k, 0) for k in a if a.get(k, 0) != b.get(k, 0)}


def wait_idle_long(ctl, seconds):
    """wait-for idle in slices (one request may not outlive the harness's socket timeout)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return ctl.wait_idle(timeout=min(100, max(1, deadline - time.monotonic())))
        except cairnh.CairnError as e:
            if "timed out" not in str(e) or time.monotonic() >= deadline:
                raise


def mesh(tmp, nprov, nreq):
    prov = cairnh.make_charm(tmp, "prov", dispatch=DISPATCH,
                             metadata_extra="provides:\n  db:\n    interface: kv\n")
    req = cairnh.make_charm(tmp, "req", dispatch=DISPATCH,
                            metadata_extra="requires:\n  db:\n    interface: kv\n")
    ctl = cairnh.Controller().start()
    try:
        # Timer hooks are not what is measured: no update-status during the run.
        ctl.call("model-config", set={"update-status-hook-interval": "24h"})
        ctl.call("deploy", charm=prov, num_units=nprov)
        ctl.call("deploy", charm=req, num_units=nreq)
        wait_idle_long(ctl, 1800)
        units = ["prov/%d" % i for i in range(nprov)] + ["req/%d" % i for i in range(nreq)]
        before = hooks_run(ctl, units)
        t0 = time.monotonic()
        ctl.call("integrate", endpoints=["prov", "req"])
        wait_idle_long(ctl, 3600)
        dt = time.monotonic() - t0
        ran = minus(hooks_run(ctl, units), before)
        need = {"created": nprov + nreq, "config-changed": nprov + nreq,
                "joined": 2 * nprov * nreq, "changed": 2 * nprov * nreq}
        return dt, ran, need, rss_kib(ctl.proc.pid), rss_kib(ctl.agent_pid() or 0)
    finally:
        ctl.cleanup()


def run_latency(tmp):
    charm = cairnh.make_charm(tmp, "act", dispatch=DISPATCH,
                              actions="ping:\n  description: answers\n")
    ctl = cairnh.Controller().start()
    try:
        ctl.call("deploy", charm=charm, num_units=1)
        ctl.wait_idle()
        cli = os.path.join(cairnh.BIN, "cairn")
        env = dict(ctl.env)
        times = []
        for _ in range(30):
            t0 = time.monotonic()
            r = subprocess.run([cli, "run", "act/0", "ping"], env=env, capture_output=True, text=True)
            times.append(time.monotonic() - t0)
            if r.returncode != 0 or "pong: \"yes\"" not in r.stdout:
                raise RuntimeError("run failed: %s %s" % (r.stdout, r.stderr))
        return statistics.median(times), max(times)
    finally:
        ctl.cleanup()


def main():
    sizes = [(100, 100), (1, 1000)]
    if len(sys.argv) > 1:
        sizes = [tuple(int(x) for x in a.split("x")) for a in sys.argv[1:]]
    tmp = tempfile.mkdtemp(prefix="cairn-bench-rel-")
    try:
        print("cairn relations benchmark (shell charms, every unit on machine 0)")
        print("%12s %10s %8s %8s %7s %9s %9s" % ("prov x req", "to idle", "hooks", "minimum",
                                                "extra", "ctl MiB", "agent MiB"))
        for nprov, nreq in sizes:
            sub = os.path.join(tmp, "%dx%d" % (nprov, nreq))
            os.makedirs(sub)
            dt, ran, need, rss, arss = mesh(sub, nprov, nreq)
            total, minimum = sum(ran.values()), sum(need.values())
            print("%12s %9.1fs %8d %8d %7d %9.1f %9.1f" % ("%d x %d" % (nprov, nreq), dt, total,
                                                         minimum, total - minimum, rss / 1024,
                                                         arss / 1024))
            extra = minus(ran, need)
            if extra:
                print("%12s hooks beyond the minimum, by kind: %s" % ("", extra))
        med, worst = run_latency(tmp)
        print("cairn run (trivial action, end to end): median %.1f ms, worst %.1f ms (target <= 20 ms)" % (
            med * 1000, worst * 1000))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
