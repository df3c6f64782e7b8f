#!/usr/bin/env python3
"""Units as pods, end to end (issue 11's figures; printed, not timed tests), each beside its
floor measured in the same run: the same charm whose containers get no image (a scree on the
host per container).

* deploy -> <c>-pebble-ready for a unit with one container from a cached image (the machine
  agent holds the image, unpacked, for another application): from the `deploy` call to the
  start of the pebble-ready hook (show-status-log's record), target <= 300 ms; also the first
  deploy of an image (fetched from the controller, imported, unpacked);
* 50 units x 2 containers from `deploy` to every unit active and idle;
* memory per pod beyond the workload (target <= 2 MiB): the containers' screes (private
  memory: the static binary's text is one page cache shared by all) plus the agent's growth
  per unit, next to the same for host screes.

Needs root and a static build/bin/scree; prints why when not.  Removes everything it made."""
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration", "lib"))
os.environ.setdefault("SRC_DIR", os.path.join(HERE, ".."))
os.environ.setdefault("BIN_DIR", os.path.join(HERE, "..", "build", "bin"))

import cairnh  # noqa: E402
import pod_bench  # noqa: E402
import podh  # noqa: E402
import unitpodh  # noqa: E402
from scree_bench import rss_kib  # noqa: E402

UNITS = int(os.environ.get("PODS_BENCH_UNITS", "50"))
SAMPLES = int(os.environ.get("PODS_BENCH_SAMPLES", "7"))

DISPATCH = """#!/bin/sh
case "${JUJU_DISPATCH_PATH#hooks/}" in
*-pebble-ready) status-set active "" ;;
esac
exit 0
"""
ONE = """containers:
  web: {resource: web-image}
resources:
  web-image: {type: oci-image}
"""
TWO = """containers:
  web: {resource: web-image}
  api: {resource: api-image}
resources:
  web-image: {type: oci-image}
  api-image: {type: oci-image}
"""


def smaps_private_kib(pid):
    return pod_bench.smaps(pid)[1]


def ready_ns(ctl, unit, container):
    """When the unit's <container>-pebble-ready hook started (ns since the epoch)."""
    for e in ctl.call("show-status-log", unit=unit, n=100)["entries"]:
        if e["type"] == "hook" and e["status"] == container + "-pebble-ready":
            return e["time"]
    raise AssertionError("no pebble-ready for %s" % unit)


def deploy_to_ready(ctl, charm, app, resources):
    t0 = time.time_ns()
    ctl.call("deploy", charm=charm, app=app, resources=resources)
    ctl.call("wait-for", kind="unit", name=app + "/0", status="active", idle=True, timeout_ms=120000)
    dt = (ready_ns(ctl, app + "/0", "web") - t0) / 1e6
    ctl.call("remove-application", apps=[app])
    ctl.call("wait-for", kind="application", name=app, gone=True, timeout_ms=120000)
    return dt


def scree_pids(ctl, app, in_pods):
    """The screes of app's containers: container inits, or host screes."""
    if in_pods:
        return [pid for cid, (pid, _) in ctl.containers().items() if cid.startswith(app + "-")]
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read().split(b"\0")
            with open("/proc/%s/environ" % p, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"scree") and b"/agents/unit-%s-" % app.encode() in env:
            pids.append(int(p))
    return pids


def many(ctl, charm, app, resources):
    agent = ctl.agent_pid()
    a0 = rss_kib(agent)
    t0 = time.perf_counter()
    ctl.call("deploy", charm=charm, app=app, num_units=UNITS, resources=resources)
    ctl.call("wait-for", kind="application", name=app, status="active", idle=True, timeout_ms=900000)
    dt = time.perf_counter() - t0
    agent_kib = (rss_kib(agent) - a0) / UNITS
    pids = scree_pids(ctl, app, bool(resources))
    priv = statistics.mean(smaps_private_kib(p) for p in pids) if pids else 0
    charge = 0.0
    if resources:
        # Everything charged to the containers' memory cgroups (the screes' pages, the page
        # cache of what they wrote, kernel objects), per pod.
        prefix = ctl.pods_conf()["prefix"]
        total = 0
        for cid in ctl.containers():
            if cid.startswith(app + "-"):
                try:
                    with open("/sys/fs/cgroup/memory/%s%s/memory.usage_in_bytes" % (prefix, cid)) as f:
                        total += int(f.read())
                except OSError:
                    pass
        charge = total / UNITS / (1 << 20)
    ctl.call("remove-application", apps=[app])
    ctl.call("wait-for", kind="application", name=app, gone=True, timeout_ms=900000)
    return dt, 2 * priv / 1024 + agent_kib / 1024, 2 * priv / 1024, agent_kib / 1024, len(pids), charge


def main():
    print("units as pods (end to end)")
    if os.geteuid() != 0:
        print("  skipped: needs root (runc, mounts, network namespaces)")
        return 0
    if not podh.static_scree():
        print("  skipped: build/bin/scree is not statically linked")
        return 0
    tmp = tempfile.mkdtemp(prefix="cairn-pods-bench-")
    ctl = unitpodh.PodController().start()
    try:
        img = podh.build_image(os.path.join(tmp, "web"), name="web", port=8080)
        one = cairnh.make_charm(tmp, "one", dispatch=DISPATCH, metadata_extra=ONE)
        two = cairnh.make_charm(tmp, "two", dispatch=DISPATCH, metadata_extra=TWO)
        res1 = {"web-image": img["oci_archive"]}

        first = deploy_to_ready(ctl, one, "first", res1)
        # "warm" keeps the image stored and unpacked on the machine.
        ctl.call("deploy", charm=one, app="warm", resources=res1)
        ctl.call("wait-for", kind="unit", name="warm/0", status="active", idle=True, timeout_ms=120000)
        cached = [deploy_to_ready(ctl, one, "c%d" % i, res1) for i in range(SAMPLES)]
        host = [deploy_to_ready(ctl, one, "h%d" % i, {}) for i in range(SAMPLES)]
        print("  deploy -> web-pebble-ready:    %6.0f ms  median of %d, min %.0f (cached image; target <= 300)"
              % (statistics.median(cached), SAMPLES, min(cached)))
        print("      floor, no image (host scree): %4.0f ms  median of %d" % (statistics.median(host), SAMPLES))
        print("      first deploy of the image:  %6.0f ms  (fetch from the controller, import, unpack)" % first)

        res2 = {"web-image": img["oci_archive"], "api-image": img["oci_archive"]}
        p_dt, p_mem, p_scree, p_agent, p_n, p_charge = many(ctl, two, "pods", res2)
        h_dt, h_mem, h_scree, h_agent, h_n, _ = many(ctl, two, "hosts", {})
        print("  %d units x 2 containers -> active: %6.1f s as pods (%d containers)" % (UNITS, p_dt, p_n))
        print("      floor, no images:           %6.1f s  (%d host screes)" % (h_dt, h_n))
        print("  memory per pod beyond the workload: %4.2f MiB (target <= 2): 2 screes %.2f MiB private + agent %.3f MiB;"
              " runc resident: 0 (no shim); cgroup charge %.2f MiB per pod" % (p_mem, p_scree, p_agent, p_charge))
        print("      floor, 2 host screes:        %4.2f MiB (screes %.2f + agent %.3f)" % (h_mem, h_scree, h_agent))
    finally:
        ctl.cleanup()
        podh.cleanup_images()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
