#!/usr/bin/env python3
"""scree-order.py - regenerates src/scree/scree.order, the symbol order of scree's static
binary (ld.lld --symbol-ordering-file, see src/scree/CMakeLists.txt).

Why: the kernel maps an executable's pages 64 KiB at a time around each page fault
(fault-around), so the idle RSS of scree is about 64 KiB per window of its 4.7 MB text and
rodata that startup and the idle loop touch.  Laid out by the linker's default order, the
few hundred functions that run are spread over most of the text; listed first, in the order
they first run, they fit in a few windows.  Requests come next: the functions that one round
of bench/mixedload.py's requests runs, so that a working daemon's RSS grows little too.

How: scree runs under valgrind's lackey (every instruction and data access), once to its
idle loop and once through one round of mixed requests; each address is mapped to the
symbol that holds it (nm), in the order of first touch.  glibc's string functions are
chosen at start by CPU (ifuncs): valgrind's CPU is not the one scree will run on, so each
touched family is listed with the variants of current CPUs (avx2, evex, avx512; not the
rtm ones; a CPU without AVX2 runs the sse2 ones from the rest of the text, which only costs
RSS).  Symbols that do not exist (an order file made on another glibc) are ignored by the
linker.

Usage: tools/scree-order.py [BUILD_DIR]   (needs valgrind and a GNU-ld or lld build of
scree; the result depends only on which functions run, not on where they are)."""

import os
import ctypes
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "bench"))
import mixedload  # noqa: E402

# Reached under load only (not in the short traced run): realloc of a mapped block.
EXTRA = ["mremap", "__mremap"]
FAMILY = re.compile(r"^(__(?:mem|str|stp|wcs|wmem|raw)[a-z0-9]*)_(?:avx2|avx|sse2|sse4_1|sse4_2|sse42|ssse3|evex|avx512)")
VARIANT = re.compile(r"_(?:avx2|avx|evex|avx512)(?:_unaligned)?(?:_erms)?(?:_movbe)?$")


def duplicated_foreign_locals(binary, build):
    """Local symbol names that occur more than once in the binary, not all of them in our
    own objects.  lld orders whole input sections, and a local name in the order file moves
    every section holding a symbol of that name: for glibc's and OpenSSL's objects (one
    section per object) a common static name (read_int, K_XX_XX) would drag several large
    unrelated objects into the hot region.  Our objects are compiled with one section per
    function, so a duplicated static of ours costs only that function."""
    count = {}
    for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "tdbr":
            count[p[2]] = count.get(p[2], 0) + 1
    ours = {}
    objs = []
    for sub in ("src/scree", "src/http", "src/lib"):
        for dirpath, _, files in os.walk(os.path.join(build, sub)):
            objs += [os.path.join(dirpath, f) for f in files if f.endswith(".o")]
    seen_obj = set()
    for o in objs:
        base = os.path.basename(o)
        if base in seen_obj or "test-" in base:
            continue  # the same source built into two targets counts once
        seen_obj.add(base)
        for line in subprocess.run(["nm", "--defined-only", o], capture_output=True, text=True).stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "tdbr":
                ours[p[2]] = ours.get(p[2], 0) + 1
    return {n for n, c in count.items() if c > 1 and ours.get(n, 0) < c}


def symbols(binary):
    out = []
    for line in subprocess.run(["nm", "-n", "--defined-only", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1].lower() in "tdbr":
            out.append((int(p[0], 16), p[2]))
    return out


def reap_orphans():
    """Kills and reaps what the killed daemon left (its services were re-parented here)."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.rindex(")") + 2:].split()[1] == me:
            try:
                os.kill(int(entry), signal.SIGKILL)
                os.waitpid(int(entry), 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def trace(binary, workload_rounds):
    """Runs scree under lackey; returns the path of its trace."""
    tmp = tempfile.mkdtemp(prefix="scree-order-")
    log = os.path.join(tmp, "trace.%p")
    # As the daemon runs once it re-executed itself (memtrim.h), without re-executing here.
    env = dict(os.environ, PEBBLE=os.path.join(tmp, "p"), SCREE_MALLOC_TUNED="1",
               GLIBC_TUNABLES="glibc.malloc.tcache_count=0")
    files = os.path.join(tmp, "files")
    os.makedirs(files)
    p = subprocess.Popen(["valgrind", "--tool=lackey", "--trace-mem=yes", "--log-file=" + log, binary, "run",
                          "--create-dirs"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = os.path.join(tmp, "p", ".pebble.socket")
    deadline = time.monotonic() + 120
    while not os.path.exists(sock):
        if time.monotonic() > deadline or p.poll() is not None:
            raise SystemExit("scree did not start under valgrind")
        time.sleep(0.2)
    time.sleep(3)  # the rest of the startup, then the loop waits (valgrind is slow)
    if workload_rounds:
        w = mixedload.Workload(sock, files)
        # A few hundred notices first: sorting that many takes another path in glibc.
        for i in range(300):
            w.c.json("POST", "/v1/notices", {"action": "add", "type": "custom", "key": "example.com/n%d" % i})
        for _ in range(workload_rounds):
            w.cycle()
        w.c.close()
        time.sleep(3)
    p.kill()  # SIGKILL: the shutdown path is not traced
    p.wait()
    reap_orphans()
    path = os.path.join(os.path.dirname(tmp), os.path.basename(tmp) + ".trace")
    shutil.move(log.replace("%p", str(p.pid)), path)
    shutil.rmtree(tmp, ignore_errors=True)
    return path


def first_touch(binary, path, syms):
    import bisect
    addrs = [a for a, _ in syms]
    lo, hi = addrs[0], addrs[-1] + 65536
    seen, order = set(), []
    with open(path) as f:
        for line in f:
            m = re.match(r"^\s*[ILSM]\s+([0-9a-f]+),", line)
            if not m:
                continue
            a = int(m.group(1), 16)
            if not lo <= a < hi:
                continue
            i = bisect.bisect_right(addrs, a) - 1
            name = syms[i][1]
            if name not in seen:
                seen.add(name)
                order.append(name)
    return order


def main():
    # Services of the SIGKILLed daemon come back here, to be killed (PR_SET_CHILD_SUBREAPER).
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    binary = os.path.join(build, "bin", "scree")
    syms = symbols(binary)
    names = sorted({n for _, n in syms})
    path = trace(binary, 0)
    idle = first_touch(binary, path, syms)
    path2 = trace(binary, 2)
    busy = first_touch(binary, path2, syms)
    os.unlink(path)
    os.unlink(path2)
    skip = duplicated_foreign_locals(binary, build)
    out, seen = [], set(skip)

    def add(n):
        if n not in seen:
            seen.add(n)
            out.append(n)

    for group in (idle, busy, EXTRA):
        for n in group:
            add(n)
            m = FAMILY.match(n)
            if m:
                for v in names:
                    if v.startswith(m.group(1) + "_") and VARIANT.search(v) and "rtm" not in v:
                        add(v)
    dest = os.path.join(ROOT, "src", "scree", "scree.order")
    with open(dest, "w") as f:
        f.write("# Symbol order of scree's static binary (ld.lld --symbol-ordering-file): startup and the\n"
                "# idle loop first, then one round of mixed requests.  Generated by tools/scree-order.py;\n"
                "# see there why.  %d symbols.\n" % len(out))
        f.write("\n".join(out) + "\n")
    print("wrote %s: %d symbols (%d at startup and idle)" % (dest, len(out), len(idle)))


if __name__ == "__main__":
    main()
