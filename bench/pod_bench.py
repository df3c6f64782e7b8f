#!/usr/bin/env python3
"""Pod benchmarks (printed figures, not timed tests), next to the targets of issue 11 and to
their floors, measured in the same run:

* time from "create pod" to the container's scree answering with its boot id, for a pod of
  one container whose image is already imported and unpacked (target <= 300 ms), next to a
  host scree without an image (fork/exec to its readiness byte) and to the first pod of the
  image, which also unpacks it;
* memory per pod beyond the workload (target <= 2 MiB): the container's scree (runc has no
  shim: it exits once the container runs, so the runtime's resident share is the
  supervisor's own bookkeeping, measured as its RSS growth per pod), next to a host scree;
* 50 pods x 2 containers from "create" to every scree ready (the issue's 50 units x 2).

Needs root (runc, mounts, namespaces) and a static build/bin/scree; prints why when not.
Uses the pod module through the tests' podctl driver and tools/mkimage.sh images, with
unique host names, and removes everything it created."""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration", "lib"))
os.environ.setdefault("SRC_DIR", os.path.join(HERE, ".."))
os.environ.setdefault("BIN_DIR", os.path.join(HERE, "..", "build", "bin"))

import podh  # noqa: E402
from scree_bench import rss_kib  # noqa: E402

PODS = int(os.environ.get("POD_BENCH_PODS", "50"))
SAMPLES = int(os.environ.get("POD_BENCH_SAMPLES", "15"))


def smaps(pid):
    """Pss and Uss (private clean + dirty) in KiB from smaps_rollup."""
    vals = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":"):
                    try:
                        vals[parts[0][:-1]] = int(parts[1])
                    except ValueError:
                        pass
    except OSError:
        pass
    return vals.get("Pss", 0), vals.get("Private_Clean", 0) + vals.get("Private_Dirty", 0)


def cgroup_kib(prefix, runc_id):
    try:
        with open("/sys/fs/cgroup/memory/%s%s/memory.usage_in_bytes" % (prefix, runc_id)) as f:
            return int(f.read()) / 1024
    except OSError:
        return 0


def host_scree_start(scree, tmp):
    """fork/exec to the readiness byte of a scree on the host (no image, no namespace)."""
    d = os.path.join(tmp, "host-scree")
    r, w = os.pipe()
    env = dict(os.environ, PEBBLE=d, PEBBLE_PERSIST="never", SCREE_READY_FD=str(w))
    t0 = time.perf_counter()
    p = subprocess.Popen([scree, "run", "--create-dirs", "--hold"], env=env, pass_fds=(w,),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    ok = os.read(r, 1)
    dt = time.perf_counter() - t0
    os.close(r)
    if ok != b"R":
        raise RuntimeError("host scree did not start")
    return p, dt


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def main():
    print("pod benchmark")
    if os.geteuid() != 0:
        print("  skipped: needs root (runc, mounts, network namespaces)")
        return 0
    if not podh.static_scree():
        print("  skipped: build/bin/scree is not statically linked")
        return 0
    env = podh.PodEnv()
    try:
        img = podh.build_image(os.path.join(env.root, "img"), name="web", port=8080)
        d = env.driver(subreaper=True)
        digest = d.import_image(img["layout"])["digest"]
        spec = [{"name": "web", "image": digest}]

        # First pod of the image: includes the unpack.
        t0 = time.perf_counter()
        d.start_pod("warm", spec)
        d.event("ready", "warm", "web")
        cold = time.perf_counter() - t0

        # Cached image: the warm pod holds the unpacked tree.
        times = []
        for i in range(SAMPLES):
            name = "t%d" % i
            t0 = time.perf_counter()
            d.start_pod(name, spec)
            d.event("ready", name, "web")
            times.append(time.perf_counter() - t0)
            d.remove_pod(name)
        d.sync()
        hosts = []
        for i in range(SAMPLES):
            p, dt = host_scree_start(env.scree, env.root)
            hosts.append(dt)
            host_rss, (host_pss, host_uss) = rss_kib(p.pid), smaps(p.pid)
            p.terminate()
            p.wait()
        med = statistics.median(times)
        print("  create pod -> scree ready:     %6.1f ms  p90 %.1f ms (cached image, %d runs; target <= 300)"
              % (med * 1e3, pct(times, 0.9) * 1e3, SAMPLES))
        print("      floor, host scree start:    %6.1f ms  (no image, no namespace)" % (statistics.median(hosts) * 1e3))
        print("      first pod of the image:     %6.1f ms  (includes the umoci unpack)" % (cold * 1e3))

        # Memory: N pods, each one scree; the supervisor's growth per pod.
        sup0 = rss_kib(d.proc.pid)
        t0 = time.perf_counter()
        for i in range(PODS):
            d.start_pod("m%d" % i, [{"name": "web", "image": digest}, {"name": "api", "image": digest}])
        pids = []
        for i in range(PODS):
            for c in ("web", "api"):
                pids.append(d.event("ready", "m%d" % i, c, timeout=300)["pid"])
        many = time.perf_counter() - t0
        sup1 = rss_kib(d.proc.pid)
        rss = [rss_kib(p) for p in pids]
        pss, uss = zip(*[smaps(p) for p in pids])
        cg = [cgroup_kib(env.prefix, "m%d_%s" % (i, c)) for i in range(PODS) for c in ("web", "api")]
        per_scree_uss = statistics.mean(uss) / 1024
        per_pod_sup = (sup1 - sup0) / PODS / 1024
        # Per container: everything charged to its cgroup (the scree's pages, the page cache
        # of what it wrote, kernel objects charged to it) plus the supervisor's bookkeeping.
        # The scree binary's pages are one file's page cache, shared by every container, so
        # RSS overstates the cost of one more pod; its private memory is listed beside.
        print("  memory per pod beyond the workload: %5.2f MiB (target <= 2): cgroup charge %.2f MiB + supervisor "
              "%.3f MiB; runc resident: 0 (no shim); scree private %.2f MiB, RSS %.2f (mostly shared text), PSS %.2f"
              % (statistics.mean(cg) / 1024 + per_pod_sup, statistics.mean(cg) / 1024, per_pod_sup, per_scree_uss,
                 statistics.mean(rss) / 1024, statistics.mean(pss) / 1024))
        print("      floor, host scree:          %5.2f MiB private (RSS %.2f, PSS %.2f)"
              % (host_uss / 1024, host_rss / 1024, host_pss / 1024))
        print("  %d pods x 2 containers ready:  %6.2f s   (%.0f ms per pod, two cores)" % (PODS, many, many / PODS * 1e3))
        for i in range(PODS):
            d.send(cmd="remove", pod="m%d" % i)
        for i in range(PODS):
            d.event("removed", "m%d" % i, timeout=300)
        d.remove_pod("warm")
        d.sync()
        d.exit()
    finally:
        env.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
