"""Bad charms and bad operator input get a clear error and change nothing: deploy of invalid
charms (naming the file and field), escaping .charm archives, config validation, unknown
applications and units, malformed protocol frames."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import unittest
import zipfile

import cairnh
from cairnh import CairnError, RECORDER_DISPATCH

CONFIG = """options:
  port: {type: int, default: 8080}
  name: {type: string, default: Wiki}
  debug: {type: boolean, default: false}
"""


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        self.ctl = cairnh.Controller().start()
        self.good = cairnh.make_charm(self.tmp, "good", dispatch=RECORDER_DISPATCH, config=CONFIG)

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assert_unchanged(self, before):
        self.assertEqual(self.ctl.call("status")["applications"], before)
        self.assertEqual(sorted(os.listdir(os.path.join(self.ctl.home, "charms"))) if
                         os.path.exists(os.path.join(self.ctl.home, "charms")) else [],
                         sorted(before))

    def deploy_error(self, charm, **kw):
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=charm, **kw)
        return str(cm.exception)

    def test_invalid_charms_refused(self):
        cases = [
            (dict(dispatch="#!/bin/sh\n", config="options:\n  port: {type: integer}\n"),
             'config.yaml', 'option "port" has unknown type "integer"'),
            (dict(dispatch="#!/bin/sh\n", config="options:\n  port: {type: int, default: abc}\n"),
             'config.yaml', 'option "port" expected int, got "abc"'),
            (dict(dispatch="#!/bin/sh\n", config="options: [1, 2\n"), 'config.yaml', 'yaml'),
            (dict(dispatch="#!/bin/sh\n", actions="backup: [x]\n"), 'actions.yaml', 'backup'),
            (dict(), None, 'dispatch'),
        ]
        for i, (kw, file, text) in enumerate(cases):
            charm = cairnh.make_charm(os.path.join(self.tmp, "bad%d" % i), "bad", **kw)
            err = self.deploy_error(charm)
            if file:
                self.assertIn(file, err)
            self.assertIn(text, err)
        # metadata problems name the field.
        charm = os.path.join(self.tmp, "badmeta")
        os.makedirs(charm)
        with open(os.path.join(charm, "metadata.yaml"), "w") as f:
            f.write("name: 42\n")
        err = self.deploy_error(charm)
        self.assertIn("metadata.yaml", err)
        self.assertIn("name", err)
        os.unlink(os.path.join(charm, "metadata.yaml"))
        err = self.deploy_error(charm)
        self.assertIn("metadata.yaml", err)
        self.assertIn("not found", self.deploy_error(os.path.join(self.tmp, "nope")))
        self.assert_unchanged({})

    def test_escaping_zip_refused(self):
        z = os.path.join(self.tmp, "evil.charm")
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("metadata.yaml", "name: evil\n")
            zf.writestr("dispatch", "#!/bin/sh\n")
            zf.writestr("../../escaped", "gotcha")
        err = self.deploy_error(z)
        self.assertIn("escapes the charm directory", err)
        self.assertFalse(os.path.exists(os.path.join(self.ctl.home, "escaped")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "escaped")))
        self.assert_unchanged({})
        # A good .charm zip deploys, keeping the exec bit of dispatch.
        good = os.path.join(self.tmp, "good.charm")
        subprocess.run(["zip", "-qr", good, "."], cwd=self.good, check=True)
        self.ctl.call("deploy", charm=good, app="zipped")
        self.ctl.wait_idle()
        st = self.ctl.call("status")["applications"]["zipped"]["units"]["zipped/0"]
        self.assertEqual(st["workload-status"]["current"], "active")

    def test_config_validation(self):
        self.ctl.call("deploy", charm=self.good, num_units=1)
        self.ctl.wait_idle()
        before = self.ctl.call("config-get", app="good")
        for src, msg in [
            ({"set": {"port": "abc"}}, 'option "port" expected int, got "abc"'),
            ({"set": {"debug": "yes"}}, 'option "debug" expected boolean, got "yes"'),
            ({"set": {"nope": "1"}}, 'unknown option "nope"'),
            ({"reset": ["nope"]}, 'unknown option "nope"'),
            ({"file": {"other": {"port": 1}}, "path": "x.yaml"}, 'no settings found for "good"'),
        ]:
            with self.assertRaises(CairnError) as cm:
                # A valid change in the same call must not be applied either.
                self.ctl.call("config-set", app="good", config=[{"set": {"name": "changed"}}, src])
            self.assertIn(msg, str(cm.exception))
        self.assertEqual(self.ctl.call("config-get", app="good"), before)
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=self.good, app="other", config=[{"set": {"port": "1.5"}}])
        self.assertIn('option "port" expected int, got "1.5"', str(cm.exception))
        self.assertNotIn("other", self.ctl.call("status")["applications"])

    def test_unknown_entities(self):
        for op, args, msg in [
            ("add-unit", {"app": "ghost"}, 'application "ghost" not found'),
            ("config-get", {"app": "ghost"}, 'application "ghost" not found'),
            ("remove-application", {"apps": ["ghost"]}, 'application "ghost" not found'),
            ("remove-unit", {"units": ["ghost/0"]}, 'unit "ghost/0" does not exist'),
            ("remove-unit", {"units": ["Bad/01"]}, 'invalid unit name "Bad/01"'),
            ("refresh", {"app": "ghost", "charm": self.good}, 'application "ghost" not found'),
            ("resolved", {"units": ["ghost/0"]}, 'not found'),
            ("nonsense", {}, 'unknown operation "nonsense"'),
        ]:
            with self.assertRaises(CairnError) as cm:
                self.ctl.call(op, **args)
            self.assertIn(msg, str(cm.exception), op)
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=self.good, app="Bad_Name")
        self.assertIn('invalid application name "Bad_Name"', str(cm.exception))
        self.ctl.call("deploy", charm=self.good)
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=self.good)
        self.assertIn("application already exists", str(cm.exception))
        self.ctl.wait_idle()
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("resolved", units=["good/0"])
        self.assertIn("unit is not in error state", str(cm.exception))
        other = cairnh.make_charm(os.path.join(self.tmp, "o"), "different", dispatch="#!/bin/sh\n")
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("refresh", app="good", charm=other)
        self.assertIn("charm name mismatch", str(cm.exception))
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("model-config", set={"update-status-hook-interval": "soon"})
        self.assertIn("invalid duration", str(cm.exception))

    def test_resources_recorded_and_checked(self):
        meta = ("resources:\n  img: {type: oci-image, description: an image}\n"
                "  conf: {type: file, filename: app.conf}\n")
        charm = cairnh.make_charm(os.path.join(self.tmp, "r"), "withres", dispatch="#!/bin/sh\n",
                                  metadata_extra=meta)
        img = os.path.join(self.tmp, "image.tar")
        with open(img, "w") as f:
            f.write("layers")
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=charm, resources={"nope": img})
        self.assertIn('unrecognized resource "nope"', str(cm.exception))
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=charm, resources={"img": img + ".missing"})
        self.assertIn('failed to upload resource "img": %s.missing: no such file or directory' % img,
                      str(cm.exception))
        # Not an image at all: refused by the same checks a machine's pod runtime makes.
        with self.assertRaises(CairnError) as cm:
            self.ctl.call("deploy", charm=charm, resources={"img": img})
        self.assertIn('failed to upload resource "img": %s: not an OCI image' % img, str(cm.exception))
        self.assertEqual(self.ctl.call("status")["applications"], {})
        # A file resource is kept by content, as revision 1, across a restart.
        self.ctl.call("deploy", charm=charm, resources={"conf": img})
        res = {r["name"]: r for r in self.ctl.call("resources", app="withres")["resources"]}
        self.assertEqual((res["conf"]["revision"], res["conf"]["used"], res["conf"]["path"]), ("1", True, "app.conf"))
        self.assertEqual((res["img"]["revision"], res["img"]["used"]), ("-", False))
        with open(os.path.join(self.ctl.home, "resources", res["conf"]["fingerprint"])) as f:
            self.assertEqual(f.read(), "layers")
        self.ctl.stop()
        self.ctl.start()
        self.assertEqual(self.ctl.call("resources", app="withres")["resources"], list(res.values()))

    def test_malformed_frames(self):
        def raw(data):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(self.ctl.sock_path)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            try:
                return cairnh.read_frame(s)
            except EOFError:
                return None
            finally:
                s.close()
        r = raw(struct.pack(">I", 5) + b"{nope")
        self.assertFalse(r["ok"])
        self.assertIn("malformed message", r["error"])
        r = raw(struct.pack(">I", 2) + b"[]")
        self.assertIn("not a JSON object", r["error"])
        r = raw(struct.pack(">I", 0xFFFFFFF0))
        self.assertIn("exceeds the limit", r["error"])
        r = raw(b"\x00\x00")  # truncated, then closed: no answer, no crash
        self.assertIsNone(r)
        self.assertEqual(self.ctl.call("ping")["model"], "default")


if __name__ == "__main__":
    unittest.main()
