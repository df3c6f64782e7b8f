"""faulth - helpers for the fault tests (tests/integration/faults/): small tmpfs mounts to
fill up or make read-only under a daemon's state directory, and the process figures the
flood tests compare before and after (open descriptors, resident memory).

Every mount is undone even when the test fails (addCleanup): processes still using it are
killed first, then it is unmounted (lazily if need be) and its mount point removed."""
import errno
import os
import signal
import subprocess
import tempfile
import time
import unittest


def require_root(tc):
    if os.geteuid() != 0:
        raise unittest.SkipTest("fault tests mount file systems: they need root")


class Tmpfs:
    """A tmpfs of size bytes at a fresh directory (or at path, which must exist)."""

    def __init__(self, tc, size, path=None, mode=0o755):
        self.path = path or tempfile.mkdtemp(prefix="cairn-fault-")
        self.made_dir = path is None
        self.size = size
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d,mode=%o" % (size, mode), "tmpfs", self.path],
                       check=True, capture_output=True, timeout=30)
        self.filler = None
        self.ro_bind = False
        tc.addCleanup(self.cleanup)

    def fill(self, leave=0):
        """Fills the file system up (leaving about `leave` bytes); returns the bytes written."""
        self.filler = os.path.join(self.path, ".filler")
        written = 0
        with open(self.filler, "ab") as f:
            chunk = b"\0" * 65536
            while True:
                st = os.statvfs(self.path)
                room = st.f_bavail * st.f_frsize - leave
                if room <= 0:
                    break
                try:
                    written += f.write(chunk[:min(len(chunk), room)])
                    f.flush()
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
        return written

    def free(self):
        """Removes the filler: the space is back."""
        if self.filler and os.path.exists(self.filler):
            os.unlink(self.filler)
        self.filler = None

    def grow(self, size):
        """Remounts with a larger size (the operator adds space)."""
        subprocess.run(["mount", "-o", "remount,size=%d" % size, self.path], check=True,
                       capture_output=True, timeout=30)
        self.size = size

    def read_only(self, ro=True):
        """Makes the file system read-only (or writable again).  Files a process already has
        open for writing stay writable through that descriptor (the kernel checks at open),
        so this is what a daemon meets when it opens, creates or renames files."""
        if ro and not self.ro_bind:
            # A read-only bind of the mount over itself: allowed while files are open for
            # writing, which a remount of the tmpfs itself is not.
            subprocess.run(["mount", "--bind", self.path, self.path], check=True, capture_output=True, timeout=30)
            self.ro_bind = True
        if self.ro_bind:
            subprocess.run(["mount", "-o", "remount,bind,%s" % ("ro" if ro else "rw"), self.path], check=True,
                           capture_output=True, timeout=30)

    def used_by(self):
        """Pids with a cwd, root, open file or mapping under the mount."""
        pids = []
        prefix = self.path.rstrip("/") + "/"
        for p in os.listdir("/proc"):
            if not p.isdigit() or int(p) == os.getpid():
                continue
            base = "/proc/" + p
            try:
                links = [os.readlink(base + "/cwd")]
                links += [os.readlink(base + "/fd/" + fd) for fd in os.listdir(base + "/fd")]
            except OSError:
                continue
            if any(l == self.path or l.startswith(prefix) for l in links):
                pids.append(int(p))
        return pids

    def cleanup(self):
        for _ in range(3):
            pids = self.used_by()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.1)
        for _ in range(2 if self.ro_bind else 1):
            r = subprocess.run(["umount", self.path], capture_output=True, timeout=30)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.path], capture_output=True, timeout=30)
        if self.made_dir:
            try:
                os.rmdir(self.path)
            except OSError:
                pass


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_until(cond, timeout=10.0, what="condition"):
    """Polls cond() every 20 ms until it is true; fails the test after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("%s not reached within %.0f s" % (what, timeout))
