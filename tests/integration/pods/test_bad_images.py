"""Bad or missing images: deploy and attach-resource refuse a path that is missing, is not an
image (a charm, an empty directory, a file of another kind), is corrupt, or is for another
platform, with the pod module's message, and change nothing; a unit whose image cannot be
had on its machine waits ("waiting" / "waiting for resource") instead of failing, and goes on
once the resource is supplied again."""
import os
import signal
import subprocess
import unittest

import cairnh
import podh
import unitpodh


class BadImages(unitpodh.PodTestCase):
    def bad_paths(self):
        img = unitpodh.image(name="web", port=8080, text="good")
        arm = podh.build_image(os.path.join(self.tmp, "arm"), name="arm", arch="arm64")
        charm_zip = os.path.join(self.tmp, "a.charm")
        subprocess.run(["zip", "-qr", charm_zip, "."], cwd=os.path.join(cairnh.SRC, "charms", "web"), check=True)
        corrupt = os.path.join(self.tmp, "corrupt.tar")
        with open(img["oci_archive"], "rb") as f, open(corrupt, "wb") as g:
            g.write(f.read()[:50000])
        empty = os.path.join(self.tmp, "emptydir")
        os.mkdir(empty)
        text = os.path.join(self.tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("not an image\n")
        return img, [
            (os.path.join(self.tmp, "missing.tar"), "no such file or directory"),
            (charm_zip, "not an OCI image: a zip archive (a charm?)"),
            (empty, "not an OCI image: a directory without an oci-layout file"),
            (text, "not an OCI image"),
            (corrupt, "corrupt archive"),
            (arm["oci_archive"], "image is for linux/arm64, this machine is linux/amd64"),
        ]

    def test_refused_at_deploy_and_attach(self):
        img, bad = self.bad_paths()
        charm = os.path.join(cairnh.SRC, "charms", "web")
        for path, why in bad:
            r = self.ctl.cli("deploy", charm, "--resource", "web-image=" + path)
            self.assertEqual(r.returncode, 1, (path, r.stderr))
            self.assertIn('ERROR failed to upload resource "web-image": %s: %s' % (path, why), r.stderr)
        self.assertEqual(self.ctl.call("status")["applications"], {})
        r = self.ctl.cli("deploy", charm, "--resource", "nope=" + img["oci_archive"])
        self.assertIn('ERROR unrecognized resource "nope"', r.stderr)
        r = self.ctl.cli("deploy", charm, "--resource", "web-image")
        self.assertEqual(r.returncode, 2)
        self.assertIn('invalid --resource value "web-image": expected name=path format', r.stderr)

        # A deployed application keeps its image when an attach is refused.
        self.ctl.call("deploy", charm=charm, resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="unit", name="web/0", status="active", idle=True, timeout_ms=90000)
        hooks = unitpodh.hooks(self.ctl, "web/0")
        for path, why in bad:
            r = self.ctl.cli("attach-resource", "web", "web-image=" + path)
            self.assertEqual(r.returncode, 1, (path, r.stderr))
            self.assertIn('ERROR failed to upload resource "web-image": %s: %s' % (path, why), r.stderr)
        self.ctl.wait_idle()
        self.assertEqual(unitpodh.hooks(self.ctl, "web/0"), hooks)
        res = self.ctl.call("resources", app="web")["resources"]
        self.assertEqual([(r["name"], r["revision"]) for r in res], [("web-image", "1")])
        for args, code, err in ((["attach-resource"], 2, "missing application name"),
                                (["attach-resource", "web"], 2, "no resource specified"),
                                (["attach-resource", "web", "web-image"], 2,
                                 'bad resource arg "web-image": expected name=path format'),
                                (["attach-resource", "nosuch", "x=/y"], 1, 'application "nosuch" not found'),
                                (["attach-resource", "web", "x=/y"], 1,
                                 'failed to upload resource "x": unrecognized resource "x"')):
            r = self.ctl.cli(*args)
            self.assertEqual((r.returncode, r.stderr), (code, "ERROR %s\n" % err), args)

    def test_waiting_for_resource(self):
        img = unitpodh.image(name="web", port=8080, text="good")
        charm = os.path.join(cairnh.SRC, "charms", "web")
        self.ctl.call("wait-for", kind="machine", name="0", status="started", timeout_ms=30000)
        agent = self.ctl.agent_pid()
        # The agent is stopped while the controller loses the stored image, so its fetch
        # cannot succeed: the unit must wait, not fail.
        os.kill(agent, signal.SIGSTOP)
        try:
            self.ctl.call("deploy", charm=charm, resources={"web-image": img["oci_archive"]})
            fp = self.ctl.call("resources", app="web")["resources"][0]["fingerprint"]
            os.unlink(os.path.join(self.ctl.home, "resources", fp))
        finally:
            os.kill(agent, signal.SIGCONT)
        self.ctl.call("wait-for", kind="unit", name="web/0", status="waiting", timeout_ms=60000)
        self.assertEqual(unitpodh.workload(self.ctl, "web/0"), ("waiting", "waiting for resource"))
        self.assertEqual(unitpodh.hooks(self.ctl, "web/0"), [])  # not even install
        self.assertEqual(self.ctl.containers(), {})
        # Supplied again: the unit goes on by itself.
        self.ctl.call("attach-resource", app="web", resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="unit", name="web/0", status="active", idle=True, timeout_ms=90000)
        self.assertEqual(unitpodh.hooks(self.ctl, "web/0")[:5],
                         ["install", "leader-elected", "config-changed", "start", "web-pebble-ready"])
        self.assertEqual(list(self.ctl.containers()), ["web-0_web"])


if __name__ == "__main__":
    unittest.main()
