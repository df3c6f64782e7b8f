"""An OCI image whose layer tries every escape a tar archive allows cannot write outside the
root filesystem it is unpacked into: `..` and absolute member names, members written
through a symlink pointing out of the tree (relative and absolute), hard links to files
outside it (their writes would land there), and device nodes - which the container's
overlay root is mounted without (nodev), so one that was kept opens nothing.  The image
is built here, byte by byte, and goes through the real image store (skopeo import, umoci
unpack) and a real container start."""
import hashlib
import io
import json
import os
import tarfile
import tempfile
import shutil
import stat
import unittest

from podh import PodTest


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    d = os.path.join(layout, "blobs", "sha256")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


# The escapes, one image each (an unpacker that refuses the first would hide the others).
def escapes(victim):
    return {
        "dotdot": [("../../../../../../escape-dotdot", tarfile.REGTYPE, {})],
        "absolute": [("/escape-absolute", tarfile.REGTYPE, {})],
        "symlink-relative": [("up", tarfile.SYMTYPE, {"linkname": "../../../../../../.."}),
                             ("up" + victim + "/through-relative-symlink", tarfile.REGTYPE, {})],
        "symlink-absolute": [("abs", tarfile.SYMTYPE, {"linkname": victim}),
                             ("abs/through-absolute-symlink", tarfile.REGTYPE, {})],
        "hardlink-absolute": [("hard-outside", tarfile.LNKTYPE, {"linkname": victim + "/secret"})],
        "hardlink-dotdot": [("hard-dotdot", tarfile.LNKTYPE,
                             {"linkname": "../../../../../../.." + victim + "/secret"})],
        "devices": [("dev-mem", tarfile.CHRTYPE, {"devmajor": 1, "devminor": 1, "mode": 0o666}),
                    ("dev-null", tarfile.CHRTYPE, {"devmajor": 1, "devminor": 3, "mode": 0o666})],
    }


def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, kw in [("etc", tarfile.DIRTYPE, {"mode": 0o755}),
                               ("etc/hostname", tarfile.REGTYPE, {})] + entries:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.mode = kw.get("mode", 0o644)
            for k, v in kw.items():
                if k != "mode":
                    setattr(ti, k, v)
            data = b"escaped\n" if kind == tarfile.REGTYPE else b""
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


def build_layout(path, layer):
    os.makedirs(path)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layer_desc = blob(path, layer)
    config = {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]}}
    cfg_desc = blob(path, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(cfg_desc, mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(layer_desc, mediaType="application/vnd.oci.image.layer.v1.tar")]}
    man_desc = blob(path, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [dict(man_desc, mediaType="application/vnd.oci.image.manifest.v1+json",
                                                    annotations={"org.opencontainers.image.ref.name": "hostile"})]}
    with open(os.path.join(path, "index.json"), "w") as f:
        json.dump(index, f)


class ImageLayerEscapes(PodTest):
    def setUp(self):
        super().setUp()
        self.victim = tempfile.mkdtemp(prefix="pod-victim-")
        self.addCleanup(shutil.rmtree, self.victim, True)
        self.secret = os.path.join(self.victim, "secret")
        with open(self.secret, "w") as f:
            f.write("secret\n")
        os.chmod(self.secret, 0o600)

    def outside_untouched(self):
        self.assertEqual(sorted(os.listdir(self.victim)), ["secret"])
        st = os.stat(self.secret)
        self.assertEqual((st.st_nlink, stat.S_IMODE(st.st_mode)), (1, 0o600))
        with open(self.secret) as f:
            self.assertEqual(f.read(), "secret\n")
        for p in ("/escape-dotdot", "/escape-absolute"):
            self.assertFalse(os.path.lexists(p), p)
        for top in (self.env.root, os.path.dirname(self.env.root), self.env.store):
            self.assertEqual([n for n in os.listdir(top) if n.startswith("escape-")], [], top)

    def test_each_escape(self):
        d = self.driver()
        outcomes = {}
        for i, (name, entries) in enumerate(sorted(escapes(self.victim).items())):
            path = os.path.join(self.env.root, name + ".oci")
            build_layout(path, layer(entries))
            ev = d.import_image(path, name)
            self.assertEqual(ev["status"], 0, ev)
            pod = "e%d" % i
            vol = os.path.join(self.env.volumes, pod)
            d.send(cmd="start", pod=pod, dir=vol, restart=False,
                   containers=[{"name": "c", "image": ev["digest"]}])
            res = d.wait(lambda e: e["event"] in ("ready", "failed", "error") and e.get("pod") == pod,
                         timeout=60, what="container of " + name)
            outcomes[name] = res["event"]
            self.outside_untouched()
            rootfs = os.path.join(self.env.store, "rootfs", ev["digest"][7:])
            if res["event"] == "ready":
                for root, dirs, files in os.walk(rootfs):
                    for n in dirs + files:
                        p = os.path.join(root, n)
                        if os.path.islink(p):
                            # A kept link may point anywhere: it is only ever followed inside
                            # the container, whose root is this tree.
                            continue
                        st = os.lstat(p)
                        if stat.S_ISREG(st.st_mode):
                            self.assertNotEqual(st.st_ino, os.stat(self.secret).st_ino, p)
                if name == "devices":
                    # The nodes are in the tree, but inside the container they open nothing:
                    # its root (the overlay over this tree) is mounted nodev.
                    self.assertTrue(stat.S_ISCHR(os.lstat(os.path.join(rootfs, "dev-mem")).st_mode))
                    pid = d.info(pod, "c")["pid"]
                    with open("/proc/%d/mountinfo" % pid) as f:
                        root = [l.split() for l in f if l.split()[4] == "/"]
                    self.assertTrue(root, "no root mount")
                    self.assertIn("nodev", root[-1][5].split(","), root[-1])
            else:
                self.assertIn("cannot unpack image", res.get("error", ""), res)
            d.remove_pod(pod)
            self.outside_untouched()
        d.sync()
        # Nothing half-unpacked stays behind in the store's staging.
        self.assertEqual(os.listdir(os.path.join(self.env.store, "tmp")), [])
        print("image layer escapes: %s" % ", ".join("%s %s" % kv for kv in sorted(outcomes.items())))


if __name__ == "__main__":
    unittest.main()
