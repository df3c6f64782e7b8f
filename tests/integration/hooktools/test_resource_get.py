"""resource-get from real hooks against a real controller (charm-runtime.md §3.7): a shell
charm declaring `file` resources is deployed with --resource; its hooks record the path
resource-get prints and the checksum of what is there.  The file lands in the unit's own
directory (resources/<name>/<filename>, as Juju's unit agent keeps it), a new revision
(attach-resource) is what upgrade-charm sees at the same path, concurrent calls agree, a
resource never supplied and an unknown name fail with Juju's text, content that does not
match its fingerprint is refused without leaving anything partial, and the unit's resources
go with the unit.  With the controller killed, resource-get answers an error once its wait
is over and leaves nothing partial."""
import hashlib
import os
import shutil
import signal
import tempfile
import unittest

import cairnh

METADATA = """resources:
  software:
    type: file
    filename: software.tgz
    description: the payload
  extra:
    type: file
    filename: extra.bin
"""

# Every hook but the ones that matter only records itself; install, upgrade-charm and
# config-changed fetch `software` (upgrade-charm twice at once) unless the test holds them
# (a "hold" file in the unit dir), then run an optional per-hook script.
DISPATCH = """#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
d="$JUJU_CHARM_DIR/.."
log="$d/res.log"
case "$h" in
install|upgrade-charm|config-changed)
    if [ ! -f "$d/hold" ]; then
        if [ "$h" = upgrade-charm ]; then
            resource-get software > "$d/p1" 2> "$d/e1" & a=$!
            resource-get software > "$d/p2" 2> "$d/e2" & b=$!
            wait $a; r1=$?; wait $b; r2=$?
            p=$(cat "$d/p1"); q=$(cat "$d/p2")
            echo "$h rc=$r1,$r2 path=$p path2=$q sum=$(sha256sum < "$p" | cut -d' ' -f1) ino=$(stat -c %i "$p")" >> "$log"
        else
            p=$(resource-get software); rc=$?
            echo "$h rc=$rc path=$p sum=$(sha256sum < "$p" | cut -d' ' -f1) ino=$(stat -c %i "$p")" >> "$log"
        fi
    fi ;;
esac
s="$d/script-$h"
if [ -f "$s" ]; then . "$s"; fi
exit 0
"""


def sha(data):
    return hashlib.sha256(data).hexdigest()


class ResourceGet(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-resget-")
        self.charm = cairnh.make_charm(self.tmp, "resy", dispatch=DISPATCH, metadata_extra=METADATA)
        self.ctl = cairnh.Controller().start()
        self.n = 0

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def supply(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def log(self, unit):
        try:
            with open(os.path.join(self.ctl.unit_dir(unit), "res.log")) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            hook, rest = line.split(" ", 1)
            out.append((hook, dict(kv.split("=", 1) for kv in rest.split(" "))))
        return out

    def run_in_hook(self, unit, script):
        """Runs script in a config-changed hook of unit; returns what it wrote to $out."""
        udir = self.ctl.unit_dir(unit)
        with open(os.path.join(udir, "script-config-changed"), "w") as f:
            f.write('out="$JUJU_CHARM_DIR/../out"\n: > "$out"\n' + script)
        self.n += 1
        self.ctl.call("config-set", app="resy", config=[{"set": {"x": "v%d" % self.n}}])
        self.ctl.wait_idle()
        os.unlink(os.path.join(udir, "script-config-changed"))
        with open(os.path.join(udir, "out")) as f:
            return f.read()

    def leftovers(self, unit):
        """Partial files anywhere under the unit's resources directory."""
        found = []
        for root, _, files in os.walk(os.path.join(self.ctl.unit_dir(unit), "resources")):
            found += [os.path.join(root, f) for f in files if f.endswith(".part")]
        return found

    def test_resource_get(self):
        # Over one chunk of the protocol (256 KiB), so the fetch takes several.
        v1 = os.urandom(700 * 1024)
        self.charm_cfg()
        r = self.ctl.cli("deploy", self.charm, "--resource", "software=" + self.supply("v1.tgz", v1))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.ctl.wait_idle()
        want = os.path.join(self.ctl.unit_dir("resy/0"), "resources", "software", "software.tgz")
        log = self.log("resy/0")
        self.assertEqual([h for h, _ in log], ["install", "config-changed"])
        for hook, e in log:
            self.assertEqual((hook, e["rc"], e["path"], e["sum"]), (hook, "0", want, sha(v1)))
        # The second call found the unit's copy current: the same file, not fetched again.
        self.assertEqual(log[0][1]["ino"], log[1][1]["ino"])
        with open(want, "rb") as f:
            self.assertEqual(f.read(), v1)
        self.assertEqual(self.leftovers("resy/0"), [])

        # A new revision: upgrade-charm sees it at the same path, both of its concurrent
        # calls agreeing; config-changed after it finds it current.
        v2 = b"second revision\n" * 40000
        r = self.ctl.cli("attach-resource", "resy", "software=" + self.supply("v2.tgz", v2))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.ctl.wait_idle()
        log = self.log("resy/0")[2:]
        self.assertEqual([h for h, _ in log], ["upgrade-charm", "config-changed"])
        up = log[0][1]
        self.assertEqual((up["rc"], up["path"], up["path2"], up["sum"]), ("0,0", want, want, sha(v2)))
        self.assertEqual((log[1][1]["path"], log[1][1]["sum"], log[1][1]["ino"]), (want, sha(v2), up["ino"]))
        self.assertEqual(self.leftovers("resy/0"), [])

        # Names without content: declared but never supplied, and not declared at all.
        out = self.run_in_hook("resy/0", """
resource-get extra >> "$out" 2>&1; echo "rc=$?" >> "$out"
resource-get nope >> "$out" 2>&1; echo "rc=$?" >> "$out"
resource-get >> "$out" 2>&1; echo "rc=$?" >> "$out"
resource-get software more >> "$out" 2>&1; echo "rc=$?" >> "$out"
""")
        self.assertEqual(out, 'ERROR could not download resource: resource "extra" not found\nrc=1\n'
                              'ERROR could not download resource: resource "nope" not found\nrc=1\n'
                              "ERROR missing required resource name\nrc=2\n"
                              'ERROR unrecognized args: ["more"]\nrc=2\n')
        self.assertFalse(os.path.exists(os.path.join(self.ctl.unit_dir("resy/0"), "resources", "extra")))

        # Content that does not match its fingerprint (the controller's copy corrupted after
        # it was stored): an error, nothing partial, the old revision still in place.
        open(os.path.join(self.ctl.unit_dir("resy/0"), "hold"), "w").close()
        v3 = b"third revision\n" * 1000
        r = self.ctl.cli("attach-resource", "resy", "software=" + self.supply("v3.tgz", v3))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.ctl.wait_idle()
        stored = os.path.join(self.ctl.home, "resources", sha(v3))
        self.assertTrue(os.path.isfile(stored), os.listdir(os.path.join(self.ctl.home, "resources")))
        with open(stored, "r+b") as f:
            f.write(b"X")
        out = self.run_in_hook("resy/0", 'resource-get software >> "$out" 2>&1; echo "rc=$?" >> "$out"\n')
        self.assertEqual(out, 'ERROR could not download resource: fetching resource "software": '
                              "the fetched content does not match its fingerprint\nrc=1\n")
        self.assertEqual(self.leftovers("resy/0"), [])
        with open(want, "rb") as f:
            self.assertEqual(f.read(), v2)
        # Repaired, the next call fetches it.
        with open(stored, "wb") as f:
            f.write(v3)
        out = self.run_in_hook("resy/0", 'resource-get software >> "$out"; echo " rc=$?" >> "$out"\n')
        self.assertEqual(out, want + " rc=0\n")
        with open(want, "rb") as f:
            self.assertEqual(f.read(), v3)

        # One fetch per revision the unit needed: the concurrent calls of upgrade-charm
        # shared theirs, and current copies were never fetched again.
        log = self.ctl.cli("debug-log", "--replay", "--no-tail", check=True).stdout
        fetched = [l for l in log.splitlines() if 'fetched resource "software"' in l]
        self.assertEqual(len(fetched), 3, fetched)

        # The unit's resources go with it.
        udir = self.ctl.unit_dir("resy/0")
        self.ctl.call("remove-unit", units=["resy/0"])
        self.ctl.wait_idle()
        self.assertFalse(os.path.exists(udir))

    def test_controller_away(self):
        self.charm_cfg()
        v1 = b"first\n" * 1000
        self.ctl.call("deploy", charm=self.charm, resources={"software": self.supply("v1.tgz", v1)})
        self.ctl.wait_idle()
        udir = self.ctl.unit_dir("resy/0")
        want = os.path.join(udir, "resources", "software", "software.tgz")
        self.assertEqual(self.log("resy/0")[0][1]["sum"], sha(v1))
        # A new revision the unit has not fetched yet (its hooks are held).
        open(os.path.join(udir, "hold"), "w").close()
        self.ctl.call("attach-resource", app="resy", resources={"software": self.supply("v2.tgz", b"second\n" * 1000)})
        self.ctl.wait_idle()
        gate = os.path.join(udir, "gate")
        os.mkfifo(gate)
        pipe = cairnh.EventPipe(os.path.join(udir, "notify"))
        self.addCleanup(pipe.close)
        with open(os.path.join(udir, "script-config-changed"), "w") as f:
            f.write('read x < "$d/gate"\n'
                    'resource-get software > "$d/out" 2>&1; echo "rc=$?" >> "$d/out"\n'
                    'echo done > "$d/notify"\n')
        self.ctl.call("config-set", app="resy", config=[{"set": {"x": "away"}}])
        # Opening the gate blocks until the hook reads it: the hook runs; the controller dies.
        with open(gate, "w") as g:
            self.ctl.kill(signal.SIGKILL)
            g.write("go\n")
        pipe.wait_for("done", timeout=60)
        with open(os.path.join(udir, "out")) as f:
            self.assertEqual(f.read(), 'ERROR could not download resource: fetching resource "software": '
                                       "the controller did not send it within 20 s\nrc=1\n")
        self.assertEqual(self.leftovers("resy/0"), [])
        with open(want, "rb") as f:
            self.assertEqual(f.read(), v1)

    def charm_cfg(self):
        with open(os.path.join(self.charm, "config.yaml"), "w") as f:
            f.write("options:\n  x: {type: string, default: a}\n")


if __name__ == "__main__":
    unittest.main()
