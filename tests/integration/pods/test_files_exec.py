"""What a charm does to its container through Pebble acts inside the container: a file the
charm pushes (scree's CLI at /charm/bin/pebble, on /charm/containers/web/pebble.socket, as
ops does) appears in the container's root only, and a command the charm execs runs in the
container (its root filesystem, its hostname, its network).  The image's User (www) runs
the container's Pebble, so the charm writes where that user may."""
import os
import unittest

import unitpodh

DISPATCH = r"""#!/bin/sh
h="${JUJU_DISPATCH_PATH#hooks/}"
export PEBBLE_SOCKET=/charm/containers/web/pebble.socket
out="$JUJU_CHARM_DIR/.."
case "$h" in
web-pebble-ready)
  printf 'pushed by the charm\n' > "$out/app.conf"
  /charm/bin/pebble push -p "$out/app.conf" /tmp/app/app.conf 2> "$out/push.err" || exit 1
  /charm/bin/pebble exec -- cat /srv/www/index.html > "$out/exec-index.txt" 2> "$out/exec.err" || exit 1
  /charm/bin/pebble exec -- hostname > "$out/exec-hostname.txt" 2>> "$out/exec.err" || exit 1
  /charm/bin/pebble exec -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"' > "$out/exec-addr.txt" 2>> "$out/exec.err" || exit 1
  ip -4 -o addr show eth0 | awk '{print $4}' > "$out/hook-addr.txt"
  status-set active done ;;
esac
exit 0
"""


class FilesExec(unitpodh.PodTestCase):
    def test_push_and_exec_act_inside_the_container(self):
        img = unitpodh.image(name="web", port=8080, text="only in the image")
        charm = self.probe_charm("files", dispatch=DISPATCH)
        self.ctl.call("deploy", charm=charm, resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="unit", name="files/0", status="active", idle=True, timeout_ms=90000)
        udir = self.ctl.unit_dir("files/0")

        def read(name):
            with open(os.path.join(udir, name)) as f:
                return f.read()

        # The pushed file is in the container's root, not on the host.
        r = self.ctl.runc("exec", "files-0_web", "cat", "/tmp/app/app.conf")
        self.assertEqual((r.returncode, r.stdout), (0, "pushed by the charm\n"), r.stderr)
        self.assertFalse(os.path.exists("/tmp/app/app.conf"))
        # Exec ran in the container: its files, its hostname, its address (the pod's, which
        # the hook sees too).
        self.assertEqual(read("exec-index.txt"), "only in the image\n")
        self.assertFalse(os.path.exists("/srv/www/index.html") and
                         open("/srv/www/index.html").read() == "only in the image\n")
        self.assertEqual(read("exec-hostname.txt"), "files-0\n")
        self.assertEqual(read("exec-addr.txt"), read("hook-addr.txt"))
        self.assertRegex(read("hook-addr.txt"), r"^10\.\d+\.\d+\.\d+/24\n$")


if __name__ == "__main__":
    unittest.main()
