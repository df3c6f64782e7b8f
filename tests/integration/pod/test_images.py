"""Image store: an oci-image resource imported from an OCI layout, an oci-archive and a
docker-archive (images built in the test from Debian packages), stored by manifest digest and
read back after a restart; bad, missing, corrupt and wrong-kind images refused with the error
deploy/attach-resource will print; nothing downloaded, nothing left in the store's staging."""

import gzip
import json
import os
import shutil
import subprocess
import tarfile
import unittest
import zipfile

from podh import PodTest, build_image, images


class ImportTest(PodTest):
    def setUp(self):
        super().setUp()
        self.img = images(self, name="web", port=8080, env=["GREETING=hello"])
        self.d = self.driver()

    def test_each_format(self):
        layout = self.d.import_image(self.img["layout"], "layout")
        oci = self.d.import_image(self.img["oci_archive"], "oci")
        docker = self.d.import_image(self.img["docker_archive"], "docker")
        for ev in (layout, oci, docker):
            self.assertEqual(ev["status"], 0, ev)
            self.assertRegex(ev["digest"], r"^sha256:[0-9a-f]{64}$")
            cfg = ev["config"]
            self.assertEqual((cfg["os"], cfg["architecture"]), ("linux", "amd64"))
            self.assertEqual(cfg["user"], "www")
            self.assertEqual(cfg["working_dir"], "/srv/www")
            self.assertIn("GREETING=hello", cfg["env"])
            self.assertIn("PATH=/bin", cfg["env"])
            self.assertEqual(cfg["entrypoint"], ["/bin/httpd"])
            self.assertEqual(cfg["cmd"], ["-f", "-p", "8080"])
        # The layout and its oci-archive are the same manifest: stored once.
        self.assertEqual(layout["digest"], oci["digest"])
        stored = os.listdir(os.path.join(self.env.store, "images"))
        self.assertEqual(sorted(stored), sorted({ev["digest"][7:] for ev in (layout, docker)}))
        for hexd in stored:
            with open(os.path.join(self.env.store, "images", hexd, "index.json")) as f:
                index = json.load(f)
            self.assertEqual(index["manifests"][0]["digest"], "sha256:" + hexd)
        # Importing again is a no-op that answers the same digest.
        again = self.d.import_image(self.img["docker_archive"], "again")
        self.assertEqual(again["digest"], docker["digest"])
        self.d.sync()
        self.assertEqual(os.listdir(os.path.join(self.env.store, "tmp")), [])
        # Nothing is unpacked until a container needs it.
        self.assertEqual(os.listdir(os.path.join(self.env.store, "rootfs")), [])

    def test_store_survives_restart(self):
        ev = self.d.import_image(self.img["layout"])
        self.d.exit()
        d2 = self.driver()
        d2.send(cmd="refs", digest=ev["digest"])
        self.assertTrue(d2.event("refs")["present"])

    def test_relative_path(self):
        here = os.getcwd()
        os.chdir(os.path.dirname(self.img["oci_archive"]))
        self.addCleanup(os.chdir, here)
        # podctl runs in the test's cwd; relative paths resolve there.
        d = self.driver()
        ev = d.import_image(os.path.basename(self.img["oci_archive"]))
        self.assertEqual(ev["status"], 0, ev)


class BadImageTest(PodTest):
    def setUp(self):
        super().setUp()
        self.img = images(self, name="web", port=8080, env=["GREETING=hello"])
        self.d = self.driver()
        self.bad = os.path.join(self.env.root, "bad")
        os.makedirs(self.bad)

    def refused(self, path, errno_name, *fragments):
        ev = self.d.import_image(path, os.path.basename(path))
        self.assertLess(ev["status"], 0, ev)
        self.assertEqual(ev["errno"], errno_name, ev)
        self.assertTrue(ev["msg"].startswith(os.path.abspath(path) + ": "), ev["msg"])
        for frag in fragments:
            self.assertIn(frag, ev["msg"])
        return ev

    def test_missing(self):
        self.refused(os.path.join(self.bad, "nope.tar"), "ENOENT", "no such file or directory")

    def test_wrong_kinds(self):
        d = os.path.join(self.bad, "plain-dir")
        os.makedirs(d)
        self.refused(d, "EMEDIUMTYPE", "not an OCI image", "without an oci-layout file")
        charm = os.path.join(self.bad, "app.charm")
        with zipfile.ZipFile(charm, "w") as z:
            z.writestr("metadata.yaml", "name: app\n")
        self.refused(charm, "EMEDIUMTYPE", "a zip archive (a charm?)")
        text = os.path.join(self.bad, "notes.txt")
        with open(text, "w") as f:
            f.write("not an image at all\n" * 40)
        self.refused(text, "EMEDIUMTYPE", "not a tar archive")
        empty = os.path.join(self.bad, "empty.tar")
        open(empty, "w").close()
        self.refused(empty, "EMEDIUMTYPE", "an empty file")
        gz = os.path.join(self.bad, "web.docker.tar.gz")
        with open(self.img["docker_archive"], "rb") as src, gzip.open(gz, "wb") as dst:
            shutil.copyfileobj(src, dst)
        self.refused(gz, "EMEDIUMTYPE", "gzip-compressed")
        other = os.path.join(self.bad, "other.tar")
        with tarfile.open(other, "w") as t:
            t.add(text, arcname="etc/notes.txt")
        self.refused(other, "EMEDIUMTYPE", "neither an oci-archive", "nor a docker-archive")
        self.refused("/dev/null", "EMEDIUMTYPE", "not a regular file or directory")

    def test_corrupt(self):
        # A truncated archive.
        trunc = os.path.join(self.bad, "trunc.tar")
        with open(self.img["oci_archive"], "rb") as f:
            data = f.read()
        with open(trunc, "wb") as f:
            f.write(data[:len(data) // 2])
        self.refused(trunc, "EBADMSG", "corrupt archive")
        # A layout whose layer does not match its digest.
        broken = os.path.join(self.bad, "broken.oci")
        shutil.copytree(self.img["layout"], broken)
        with open(os.path.join(broken, "index.json")) as f:
            manifest_digest = json.load(f)["manifests"][0]["digest"]
        with open(os.path.join(broken, "blobs", "sha256", manifest_digest[7:])) as f:
            layer = json.load(f)["layers"][0]["digest"]
        with open(os.path.join(broken, "blobs", "sha256", layer[7:]), "ab") as f:
            f.write(b"garbage")
        self.refused(broken, "EBADMSG", "cannot read oci-layout", "skopeo copy", "Digest did not match")
        # A layout with an unreadable index.
        noindex = os.path.join(self.bad, "noindex.oci")
        shutil.copytree(self.img["layout"], noindex)
        with open(os.path.join(noindex, "index.json"), "w") as f:
            f.write("{not json")
        self.refused(noindex, "EBADMSG", "cannot read oci-layout")
        self.d.sync()
        self.assertEqual(os.listdir(os.path.join(self.env.store, "tmp")), [])
        self.assertEqual(os.listdir(os.path.join(self.env.store, "images")), [])

    def test_other_architecture(self):
        arm = build_image(os.path.join(self.bad, "arm"), name="armweb", arch="arm64")
        self.refused(arm["oci_archive"], "ENOEXEC", "image is for linux/arm64, this machine is linux/amd64")

    def test_colon_in_path(self):
        odd = os.path.join(self.bad, "web:latest.tar")
        shutil.copy(self.img["oci_archive"], odd)
        ev = self.d.import_image(odd, "colon")
        self.assertLess(ev["status"], 0)
        self.assertIn("':'", ev["msg"])


if __name__ == "__main__":
    unittest.main()
