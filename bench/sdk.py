#!/usr/bin/env python3
"""C charm SDK benchmarks (printed figures, not timed tests).

* End-to-end cost of one event on cairnd, agent dequeue to commit: the agent's own
  overhead (agent-stats: prep before the spawn, commit after the exit) plus the hook's run
  as the agent timed it (show-status-log), for the C hello charm (build/charms/c-hello)
  and the same charm as a shell script (charms/hello), and for an ops charm when an ops
  tree is available on this machine.  Three events: install (status-set, juju-log,
  application-version-set), config-changed with `thing` changed each time (status-set,
  config-get, the greeting file rewritten, stored state read, status-set) and
  update-status (the greeting read, stored state read, status-set).
* The cost of one relation-changed event: a keeper/reader pair (charms/c-keeper and
  charms/c-reader in C, charms/keeper and charms/reader in shell) is related, then the
  keeper's `value` is changed RELATION_EVENTS times; each change makes the keeper's leader
  publish its application bag, and the reader run source-relation-changed (read the bag,
  show it in its status; the C reader also reads a keeper unit's bag, reports `seen` back
  with relation-set and keeps stored state).  The reader's runs as the agent timed them.
* The floor: the same events for a charm whose dispatch is a static C program that does
  nothing (bench-empty-dispatch): what the agent, the exec and the C run-time cost before any
  SDK code runs.  On this VM it is most of the C charm's cost (the glibc start-up alone probes
  the CPU with ~60 trapping cpuid instructions).
* Rounds (SDK_BENCH_ROUNDS, 3): the floor, the C charm and the shell charm are measured in
  turn, round after round, and the verdicts use the median of the rounds; each round's
  C - floor is printed too, since the VM's speed drifts by tens of percent within minutes.
* The C dispatch on its own, against a minimal agent on the socket: CPU time and peak
  memory (wait4's maxrss, measured by bench-charm-rusage) of one charm process per event.
"""
import json
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/integration/lib"))
os.environ.setdefault("BIN_DIR", os.path.join(HERE, "../build/bin"))
import cairnh  # noqa: E402

BUILD = os.path.abspath(os.path.join(os.environ["BIN_DIR"], ".."))
C_HELLO = os.path.join(BUILD, "charms", "c-hello")
SH_HELLO = os.path.join(HERE, "..", "charms", "hello")
EVENTS = int(os.environ.get("SDK_BENCH_EVENTS", "60"))
TARGET_MS = 1.4
C_KEEPER = os.path.join(BUILD, "charms", "c-keeper")
C_READER = os.path.join(BUILD, "charms", "c-reader")
SH_KEEPER = os.path.join(HERE, "..", "charms", "keeper")
SH_READER = os.path.join(HERE, "..", "charms", "reader")
RELATION_EVENTS = int(os.environ.get("SDK_BENCH_RELATION_EVENTS", "40"))


def stats_delta(s0, s1):
    """Per-hook agent figures (prep, spawn, commit; ms) over the hooks between two agent-stats."""
    n = s1["hooks"] - s0["hooks"]
    if n <= 0:
        return 0.0, 0.0, 0.0

    def d(k):
        return (s1.get(k, 0.0) * s1["hooks"] - s0.get(k, 0.0) * s0["hooks"]) / n / 1000.0

    return d("prep-us"), d("spawn-us"), d("commit-us")


def agent_stats(ctl):
    """The agent's figures once they cover every hook run so far: the agent reports them
    with its pings (every quarter lease), so read until two reports a ping apart agree."""
    prev = None
    while True:
        try:
            cur = ctl.call("agent-stats")
        except cairnh.CairnError:
            cur = {"hooks": 0, "prep-us": 0.0, "commit-us": 0.0}
        if prev is not None and cur["hooks"] == prev["hooks"]:
            return cur
        prev = cur
        time.sleep(0.3)


def runs_of(ctl, units, hook):
    """The agent's timing (ms) of every run of hook on the units, from show-status-log."""
    out = []
    for u in units:
        for e in ctl.call("show-status-log", unit=u, n=10000)["entries"]:
            m = re.match(r"exit 0, ([0-9.]+) ms", e.get("message", ""))
            if e["type"] == "hook" and e["status"] == hook and m:
                out.append(float(m.group(1)))
    return out


def measure(charm, units, active=True):
    """{event: (prep, spawn, run p50, run mean, commit, n)} for install (one per unit of a deploy),
    config-changed (the config changed EVENTS times) and update-status (EVENTS timer runs).
    active: each unit reaches active status (the floor charm sets none: idle is enough)."""
    until = {"status": "active"} if active else {}
    # A short lease makes the agent ping (and report its figures) every 250 ms.
    ctl = cairnh.Controller(config={"leadership-lease-duration": "1s"}).start()
    res = {}
    try:
        # One unit at a time, so that installs do not compete for the CPUs.
        s0 = agent_stats(ctl)
        ctl.call("deploy", charm=os.path.abspath(charm), app="hello", num_units=1)
        ctl.call("wait-for", kind="application", name="hello", idle=True, timeout_ms=300000, **until)
        for _ in range(units - 1):
            ctl.call("add-unit", app="hello", num_units=1)
            ctl.call("wait-for", kind="application", name="hello", idle=True, timeout_ms=300000, **until)
        s1 = agent_stats(ctl)
        names = ["hello/%d" % i for i in range(units)]
        runs = runs_of(ctl, names, "install")
        prep, spawn, commit = stats_delta(s0, s1)
        res["install"] = (prep, spawn, statistics.median(runs), statistics.mean(runs), commit, len(runs))
        ctl.call("remove-unit", units=names[1:])
        ctl.call("wait-for", kind="model", name="", idle=True, timeout_ms=300000)
        s0 = agent_stats(ctl)
        for i in range(EVENTS):
            ctl.call("config-set", app="hello", config=[{"set": {"thing": "bench-%d" % i}}])
            ctl.call("wait-for", kind="application", name="hello", idle=True, timeout_ms=60000)
        s1 = agent_stats(ctl)
        runs = runs_of(ctl, ["hello/0"], "config-changed")[-EVENTS:]
        prep, spawn, commit = stats_delta(s0, s1)
        res["config-changed"] = (prep, spawn, statistics.median(runs), statistics.mean(runs), commit, len(runs))
        before = len(runs_of(ctl, ["hello/0"], "update-status"))
        s0 = agent_stats(ctl)
        ctl.call("model-config", set={"update-status-hook-interval": "50ms"})
        while len(runs_of(ctl, ["hello/0"], "update-status")) < before + EVENTS:
            time.sleep(0.2)
        ctl.call("model-config", set={"update-status-hook-interval": "1h"})
        ctl.call("wait-for", kind="model", name="", idle=True, timeout_ms=60000)
        s1 = agent_stats(ctl)
        runs = runs_of(ctl, ["hello/0"], "update-status")[before:]
        prep, spawn, commit = stats_delta(s0, s1)
        res["update-status"] = (prep, spawn, statistics.median(runs), statistics.mean(runs), commit, len(runs))
        return res
    finally:
        ctl.cleanup()


def measure_relation(keeper, reader):
    """(prep, run p50, run mean, commit, n) of the reader's source-relation-changed runs when
    the keeper's value changes RELATION_EVENTS times (prep and commit: the agent's averages
    over every hook of that window, the keeper's config-changed included)."""
    ctl = cairnh.Controller(config={"leadership-lease-duration": "1s"}).start()
    try:
        ctl.call("deploy", charm=os.path.abspath(keeper), app="keeper", num_units=1)
        ctl.call("deploy", charm=os.path.abspath(reader), app="reader", num_units=1)
        ctl.call("wait-for", kind="model", name="", idle=True, timeout_ms=300000)
        ctl.call("integrate", endpoints=["keeper", "reader"])
        ctl.call("wait-for", kind="model", name="", idle=True, timeout_ms=300000)
        before = len(runs_of(ctl, ["reader/0"], "source-relation-changed"))
        s0 = agent_stats(ctl)
        for i in range(RELATION_EVENTS):
            ctl.call("config-set", app="keeper", config=[{"set": {"value": "bench-%d" % i}}])
            ctl.call("wait-for", kind="model", name="", idle=True, timeout_ms=60000)
        s1 = agent_stats(ctl)
        runs = runs_of(ctl, ["reader/0"], "source-relation-changed")[before:]
        st = ctl.call("status")["applications"]["reader"]["units"]["reader/0"]["workload-status"]
        if "bench-%d" % (RELATION_EVENTS - 1) not in st.get("message", ""):
            raise RuntimeError("the reader did not read the last value: %s" % st)
        prep, _, commit = stats_delta(s0, s1)
        return prep, statistics.median(runs), statistics.mean(runs), commit, len(runs)
    finally:
        ctl.cleanup()


def floor_charm(tmp):
    """The C hello charm's files with a dispatch that does nothing (bench-empty-dispatch)."""
    charm = os.path.join(tmp, "floor")
    subprocess.run(["cp", "-r", C_HELLO, charm], check=True)
    subprocess.run(["cp", os.path.join(os.path.abspath(os.environ["BIN_DIR"]), "bench-empty-dispatch"),
                    os.path.join(charm, "dispatch")], check=True)
    return charm


def have_ops():
    p = subprocess.run([sys.executable, "-c", "import ops"], capture_output=True)
    return p.returncode == 0


class FakeAgent:
    """The agent's side of docs/protocol.md §2, answering every tool with exit 0."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(64)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            c, _ = self.sock.accept()
            try:
                (n,) = struct.unpack(">I", c.recv(4, socket.MSG_WAITALL))
                req = json.loads(c.recv(n, socket.MSG_WAITALL))
                out = {"config-get": '{"thing": "world"}', "is-leader": "true"}.get(req["tool"], "")
                body = json.dumps({"code": 0, "stdout": out, "stderr": ""}).encode()
                c.sendall(struct.pack(">I", len(body)) + body)
            finally:
                c.close()


def standalone(runs=300):
    """CPU time and peak RSS of one C hello dispatch per event kind (bench-charm-rusage)."""
    tmp = tempfile.mkdtemp(prefix="cairn-sdk-bench-")
    charm = os.path.join(tmp, "charm")
    subprocess.run(["cp", "-r", C_HELLO, charm], check=True)
    agent = FakeAgent(os.path.join(tmp, "agent.sock"))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "JUJU_CHARM_DIR": charm, "JUJU_UNIT_NAME": "hello/0",
           "JUJU_MODEL_NAME": "bench", "JUJU_VERSION": "3.6.8", "JUJU_CONTEXT_ID": "bench",
           "JUJU_AGENT_SOCKET_NETWORK": "unix", "JUJU_AGENT_SOCKET_ADDRESS": agent.path}
    results = {}
    for hook, n in (("install", 1), ("config-changed", 1), ("start", 1), ("update-status", runs),
                    ("config-changed", runs)):
        env["JUJU_DISPATCH_PATH"] = "hooks/" + hook
        p = subprocess.run([os.path.join(os.path.abspath(os.environ["BIN_DIR"]), "bench-charm-rusage"), str(n),
                            os.path.join(charm, "dispatch")], env=env, cwd=charm, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("dispatch %s: %s" % (hook, p.stderr))
        results[hook] = json.loads(p.stdout)
    subprocess.run(["rm", "-rf", tmp])
    return results


def main():
    units = int(os.environ.get("SDK_BENCH_UNITS", "20"))
    rounds = int(os.environ.get("SDK_BENCH_ROUNDS", "3"))
    print("C charm SDK benchmark: end-to-end cost of one event, agent dequeue to commit")
    print("(prep + commit: the agent's work around the hook, from agent-stats; spawn: its fork/exec call alone;")
    print(" run: the agent's timing of the hook process, spawn to exit (spawn included), from show-status-log;")
    print(" install on %d units added one by one, config-changed and update-status %d times each on one unit;"
          % (units, EVENTS))
    print(" %d rounds, each measuring the floor, the C charm and the shell charm in turn: this VM's speed drifts"
          % rounds)
    print(" by tens of percent within minutes, so each round's C - floor is the figure that drift moves least)")
    print("%-5s %-14s %-16s %8s %8s %9s %9s %8s %11s %11s" % ("round", "charm", "event", "prep", "spawn", "run p50",
                                                               "run mean", "commit", "total p50", "total mean"))
    totals = {}
    tmp = tempfile.mkdtemp(prefix="cairn-sdk-bench-")
    charms = (("floor (empty)", floor_charm(tmp), False), ("C (SDK)", C_HELLO, True), ("shell", SH_HELLO, True))
    for rnd in range(1, rounds + 1):
        for name, charm, active in charms:
            for ev, (prep, spawn, med, mean, commit, n) in measure(charm, units, active).items():
                totals.setdefault((name, ev), []).append(prep + med + commit)
                print("%-5d %-14s %-16s %8.3f %8.3f %9.3f %9.3f %8.3f %8.3f ms %8.3f ms" % (
                    rnd, name, ev, prep, spawn, med, mean, commit, prep + med + commit, prep + mean + commit))
    subprocess.run(["rm", "-rf", tmp])
    if have_ops():
        print("ops: an ops tree is importable, but no ops hello charm is packed here: not measured")
    else:
        print("ops: not measured - no ops tree on this machine (python3 cannot import ops; PyPI is unreachable)")
    print("per event, total p50 of each round (ms) and the median of the rounds:")
    for ev in ("install", "config-changed", "update-status"):
        c_r, sh_r, fl_r = totals[("C (SDK)", ev)], totals[("shell", ev)], totals[("floor (empty)", ev)]
        c, sh, fl = statistics.median(c_r), statistics.median(sh_r), statistics.median(fl_r)
        over = statistics.median([a - b for a, b in zip(c_r, fl_r)])
        print("%-16s C %s -> %.3f; floor %s -> %.3f; C - floor per round %s -> %.3f" % (
            ev, " / ".join("%.3f" % v for v in c_r), c, " / ".join("%.3f" % v for v in fl_r), fl,
            " / ".join("%.3f" % (a - b) for a, b in zip(c_r, fl_r)), over))
        print("%-16s C %.3f ms: target <= %.1f ms %s (met in %d of %d rounds); <= shell %.3f ms %s (shell/C %.1fx)" % (
            ev, c, TARGET_MS, "met" if c <= TARGET_MS else "NOT met", sum(v <= TARGET_MS for v in c_r), len(c_r),
            sh, "met" if c <= sh else "NOT met", sh / c))
    print()
    print("relation-changed: the reader's run per change of the keeper's application bag (%d changes)"
          % RELATION_EVENTS)
    print("%-14s %6s %8s %9s %9s %8s %11s" % ("charm", "runs", "prep", "run p50", "run mean", "commit", "total p50"))
    rel = {}
    for name, k, r in (("C (SDK)", C_KEEPER, C_READER), ("shell", SH_KEEPER, SH_READER)):
        prep, med, mean, commit, n = measure_relation(k, r)
        rel[name] = prep + med + commit
        print("%-14s %6d %8.3f %9.3f %9.3f %8.3f %8.3f ms" % (name, n, prep, med, mean, commit, prep + med + commit))
    print("relation-changed C %.3f ms: target <= %.1f ms %s; <= shell %.3f ms %s (shell/C %.1fx)" % (
        rel["C (SDK)"], TARGET_MS, "met" if rel["C (SDK)"] <= TARGET_MS else "NOT met", rel["shell"],
        "met" if rel["C (SDK)"] <= rel["shell"] else "NOT met", rel["shell"] / rel["C (SDK)"]))
    print()
    print("C hello dispatch alone (one process per event, against a minimal agent on the socket):")
    print("%-16s %6s %12s %12s %13s %14s" % ("event", "runs", "CPU p50 ms", "CPU min ms", "wall p50 ms",
                                             "peak RSS KiB"))
    for hook, r in standalone().items():
        print("%-16s %6d %12.3f %12.3f %13.3f %14d" % (hook, r["runs"], r["cpu_us_p50"] / 1000, r["cpu_us_min"] / 1000,
                                                      r["wall_us_p50"] / 1000, r["maxrss_kib"]))


if __name__ == "__main__":
    main()
