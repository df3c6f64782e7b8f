"""scree /v1/identities (§20): GET/POST add, update, replace, remove with exact bodies and
upstream's error texts; masking; persistence across a restart; `run --identities FILE`."""

import json
import os
import tempfile
import unittest

from screeh import Daemon, DaemonTest, sha512_crypt

OK = {"type": "sync", "status-code": 200, "status": "OK"}
CERT = """-----BEGIN CERTIFICATE-----
MIIBQDCB86ADAgECAhQ1m80b+AAFeqAQEHijS8NsR+JvaTAFBgMrZXAwFTETMBEG
A1UEAwwKY2Fpcm4tdGVzdDAgFw0yNjEyMDEyMDIxMzBaGA8yMTI2MTEwNzIwMjEz
MFowFTETMBEGA1UEAwwKY2Fpcm4tdGVzdDAqMAUGAytlcAMhAH7mU/SpoUL3mtfA
ylVurXVaekuJmR/7y1sWrHeYaInQo1MwUTAdBgNVHQ4EFgQUxtVvYuDoBNFPwv8p
fmnCCf/INJEwHwYDVR0jBBgwFoAUxtVvYuDoBNFPwv8pfmnCCf/INJEwDwYDVR0T
AQH/BAUwAwEB/zAFBgMrZXADQQBByu6HN5N89g/7R9kOPA/nvqjS509bX/w3rbPm
vH7UVpqZWQSQ4k3vC76CTJ+++/wr/YwfWpL4x4UWEBIIou0E
-----END CERTIFICATE-----
"""


class IdentitiesApiTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()
        self.hash = sha512_crypt("test")

    def post(self, action, identities):
        return self.d.post("/v1/identities", {"action": action, "identities": identities})

    def assertOk(self, status, payload):
        self.assertEqual((status, payload), (200, OK))

    def test_empty_and_exact_bodies(self):
        status, _, resp, raw = self.d.request("GET", "/v1/identities")
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        self.assertEqual((status, raw), (200, {"type": "sync", "status-code": 200, "status": "OK", "result": {}}))
        status, payload = self.post("add", {
            "bob": {"access": "read", "local": {"user-id": 42}},
            "mary": {"access": "admin", "local": {"user-id": 1000}},
            "nancy": {"access": "metrics", "basic": {"password": self.hash}},
            "olivia": {"access": "read", "cert": {"pem": CERT}},
            "zed": {"access": "untrusted", "local": {"user-id": 7}, "basic": {"password": self.hash}},
        })
        # Success: sync, no "result" key at all.
        self.assertOk(status, payload)
        status, payload = self.d.get("/v1/identities")
        self.assertEqual(payload["result"], {
            "bob": {"access": "read", "local": {"user-id": 42}},
            "mary": {"access": "admin", "local": {"user-id": 1000}},
            "nancy": {"access": "metrics", "basic": {"password": "*****"}},
            "olivia": {"access": "read", "cert": {"pem": "*****"}},
            "zed": {"access": "untrusted", "local": {"user-id": 7}, "basic": {"password": "*****"}},
        })
        # Byte for byte: names in order, fields in upstream's order.
        c = self.d.conn()
        c.request("GET", "/v1/identities")
        body = c.getresponse().read().decode()
        c.close()
        self.assertTrue(body.startswith('{"type":"sync","status-code":200,"status":"OK","result":{"bob":'
                                        '{"access":"read","local":{"user-id":42}},"mary":'), body)
        self.assertIn('"zed":{"access":"untrusted","local":{"user-id":7},"basic":{"password":"*****"}}}}', body)
        self.d.wait_log(r'"event":"user_created:0,nancy,metrics","description":"Creating metrics user nancy"')

    def test_update_replace_remove(self):
        self.assertOk(*self.post("add", {"bob": {"access": "read", "local": {"user-id": 42}},
                                         "mary": {"access": "admin", "local": {"user-id": 1000}}}))
        self.assertOk(*self.post("update", {"bob": {"access": "admin", "local": {"user-id": 1000}},
                                            "mary": {"access": "read", "local": {"user-id": 42}}}))
        self.assertEqual(self.d.get("/v1/identities")[1]["result"],
                         {"bob": {"access": "admin", "local": {"user-id": 1000}},
                          "mary": {"access": "read", "local": {"user-id": 42}}})
        self.assertOk(*self.post("replace", {"bob": None, "mary": {"access": "read", "local": {"user-id": 43}},
                                             "newguy": {"access": "admin", "local": {"user-id": 44}}}))
        self.assertEqual(self.d.get("/v1/identities")[1]["result"],
                         {"mary": {"access": "read", "local": {"user-id": 43}},
                          "newguy": {"access": "admin", "local": {"user-id": 44}}})
        self.assertOk(*self.post("remove", {"mary": None}))
        self.assertEqual(self.d.get("/v1/identities")[1]["result"],
                         {"newguy": {"access": "admin", "local": {"user-id": 44}}})
        self.d.wait_log(r'"event":"user_deleted:0,mary","description":"Deleting user mary"')
        self.d.wait_log(r'"event":"user_updated:0,bob,admin","description":"Updating admin user bob"')

    def test_errors(self):
        self.assertOk(*self.post("add", {"bob": {"access": "read", "local": {"user-id": 42}}}))
        cases = [
            ("foobar", {}, 'invalid action "foobar", must be "add", "update", "replace", or "remove"'),
            (None, {}, 'invalid action "", must be "add", "update", "replace", or "remove"'),
            ("add", {"mary": None}, 'identity value for "mary" must not be null for add operation'),
            ("update", {"bob": None}, 'identity value for "bob" must not be null for update operation'),
            ("remove", {"bob": {"access": "read", "local": {"user-id": 43}}},
             'identity value for "bob" must be null for remove operation'),
            ("add", {"bob": {"access": "read", "local": {"user-id": 7}}}, "identities already exist: bob"),
            ("update", {"x": {"access": "read", "local": {"user-id": 7}}, "a": {"access": "read", "local": {"user-id": 8}}},
             "identities do not exist: a, x"),
            ("remove", {"nope": None}, "identities do not exist: nope"),
            ("add", {"dup": {"access": "read", "local": {"user-id": 42}}},
             "cannot have multiple identities with user ID 42 (bob, dup)"),
            # Identity validation comes before the action check, as upstream.
            ("foobar", {"no-type": {"access": "admin"}},
             'invalid identity for "no-type": identity must have at least one type ("local", "basic", or "cert")'),
            ("add", {"x": {"access": "admin", "local": {}}}, 'invalid identity for "x": local identity must specify user-id'),
            ("add", {"x": {"access": "metrics", "basic": {}}},
             'invalid identity for "x": basic identity must specify password (hashed)'),
            ("add", {"x": {"access": "read", "cert": {}}},
             'invalid identity for "x": cert identity must include a PEM-encoded certificate'),
            ("add", {"x": {"access": "read", "cert": {"pem": CERT + "42"}}},
             'invalid identity for "x": cert identity cannot have extra data after the PEM block'),
            ("add", {"x": {"access": "foo", "local": {"user-id": 42}}},
             'invalid identity for "x": invalid access value "foo", must be "admin", "read", "metrics", or "untrusted"'),
            ("add", {"x": {"local": {"user-id": 42}}},
             'invalid identity for "x": access value must be specified ("admin", "read", "metrics", or "untrusted")'),
            ("add", {"9lives": {"access": "read", "local": {"user-id": 9}}},
             'invalid identity for "9lives": identity name "9lives" invalid: must start with an alphabetic '
             'character and only contain alphanumeric characters, underscore, and hyphen'),
            ("add", {"x": {"access": 5}},
             "cannot decode request body: json: cannot unmarshal number 5 into Go struct field "
             "apiIdentity.identities.access of type identities.Access"),
            ("add", {"x": {"access": "read", "local": {"user-id": -1}}},
             "cannot decode request body: json: cannot unmarshal number -1 into Go struct field "
             "apiLocalIdentity.identities.local.user-id of type uint32"),
        ]
        for action, ids, message in cases:
            body = {"identities": ids}
            if action is not None:
                body["action"] = action
            status, payload = self.d.post("/v1/identities", body)
            self.assertError(status, payload, 400, message)
        status, _, _, payload = self.d.request("POST", "/v1/identities", body=b"{bad")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith("cannot decode request body: "), payload)
        # A CSR is valid PEM but not a certificate.
        csr = ("-----BEGIN CERTIFICATE REQUEST-----\nMIGUMEgCAQAwFTETMBEGA1UEAwwKY2Fpcm4tdGVzdDAqMAUGAytlcAMhAKQNNe7b\n"
               "H0M+A2hLn+PzzdWhvZiXXyl4/0mgXh7/P/q9oAAwBQYDK2VwA0EAR2fT+KZ4rUri\n"
               "fU9WdWqxjVzUlI1HLNd6L8h+V/lMfTqlT0+/syPPhiF4D0lasuQc5XmCiV33BWDo\n"
               "iNKD0sZpBA==\n-----END CERTIFICATE REQUEST-----\n")
        status, payload = self.post("add", {"x": {"access": "read", "cert": {"pem": csr}}})
        self.assertEqual(status, 400)
        self.assertRegex(payload["result"]["message"],
                         r'^invalid identity for "x": cannot parse certificate from cert identity: x509: .+')
        # Nothing of the refused requests was applied.
        self.assertEqual(self.d.get("/v1/identities")[1]["result"],
                         {"bob": {"access": "read", "local": {"user-id": 42}}})

    def test_masked_password_round_trip(self):
        self.assertOk(*self.post("add", {"nancy": {"access": "metrics", "basic": {"password": self.hash}}}))
        got = self.d.get("/v1/identities")[1]["result"]
        got["nancy"]["access"] = "read"
        # The client sends back what it read, "*****" included: the hash is kept.
        self.assertOk(*self.post("update", got))
        with open(os.path.join(self.d.dir, ".pebble.state")) as f:
            state = json.load(f)
        self.assertEqual(state["identities"]["nancy"], {"access": "read", "basic": {"password": self.hash}})

    def test_method_not_allowed(self):
        status, _, _, payload = self.d.request("PUT", "/v1/identities", body=b"{}")
        self.assertError(status, payload, 405, 'method "PUT" not allowed')


class IdentitiesPersistenceTest(DaemonTest):
    def test_survive_restart(self):
        d = self.start_daemon()
        h = sha512_crypt("pw")
        status, payload = d.post("/v1/identities", {"action": "add", "identities": {
            "bob": {"access": "admin", "local": {"user-id": 42}},
            "nancy": {"access": "metrics", "basic": {"password": h}},
            "olivia": {"access": "read", "cert": {"pem": CERT}}}})
        self.assertEqual(status, 200, payload)
        self.assertEqual(d.stop(), 0)
        with open(os.path.join(d.dir, ".pebble.state")) as f:
            state = json.load(f)
        # The state file keeps the secrets; the API never shows them.
        self.assertEqual(state["identities"]["nancy"], {"access": "metrics", "basic": {"password": h}})
        self.assertEqual(state["identities"]["olivia"], {"access": "read", "cert": {"pem": CERT}})
        self.assertEqual(oct(os.stat(os.path.join(d.dir, ".pebble.state")).st_mode & 0o777), "0o600")
        d2 = Daemon(pebble_dir=d.dir, keep_dir=True)
        self.addCleanup(d2.cleanup)
        d2.start()
        self.assertEqual(d2.get("/v1/identities")[1]["result"], {
            "bob": {"access": "admin", "local": {"user-id": 42}},
            "nancy": {"access": "metrics", "basic": {"password": "*****"}},
            "olivia": {"access": "read", "cert": {"pem": "*****"}}})

    def test_persist_never(self):
        d = self.start_daemon(env={"PEBBLE_PERSIST": "never"})
        status, payload = d.post("/v1/identities", {"action": "add", "identities": {
            "bob": {"access": "admin", "local": {"user-id": 42}}}})
        self.assertEqual(status, 200, payload)
        self.assertFalse(os.path.exists(os.path.join(d.dir, ".pebble.state")))
        self.assertEqual(list(d.get("/v1/identities")[1]["result"]), ["bob"])

    def test_bad_state_refused(self):
        dir = tempfile.mkdtemp(prefix="scree-test-")
        with open(os.path.join(dir, ".pebble.state"), "w") as f:
            json.dump({"identities": {"bob": {"access": "root", "local": {"user-id": 1}}}}, f)
        d = Daemon(pebble_dir=dir)
        self.addCleanup(d.cleanup)
        d.start(wait=False)
        self.assertEqual(d.wait_exit(), 1)
        self.assertIn('error: cannot run daemon: cannot read state file: identity "bob": invalid access value '
                      '"root", must be "admin", "read", "metrics", or "untrusted"', d.log())


class RunIdentitiesTest(DaemonTest):
    def test_seed_like_replace(self):
        h = sha512_crypt("pw")
        path = self.temp_file("identities:\n    bob:\n        access: admin\n        local:\n            user-id: 42\n"
                          "    nancy:\n        access: metrics\n        basic:\n            password: '%s'\n" % h)
        d = self.start_daemon(args=["--identities", path])
        self.assertEqual(d.get("/v1/identities")[1]["result"], {
            "bob": {"access": "admin", "local": {"user-id": 42}},
            "nancy": {"access": "metrics", "basic": {"password": "*****"}}})
        # Restart with a file that removes one and changes another: applied like a replace,
        # on top of what the state file holds.
        d.post("/v1/identities", {"action": "add", "identities": {"keep": {"access": "read", "local": {"user-id": 5}}}})
        self.assertEqual(d.stop(), 0)
        path2 = self.temp_file("identities:\n    bob: null\n    nancy:\n        access: read\n"
                           "        basic:\n            password: '*****'\n")
        d2 = Daemon(pebble_dir=d.dir, keep_dir=True, args=["--identities=" + path2])
        self.addCleanup(d2.cleanup)
        d2.start()
        self.assertEqual(d2.get("/v1/identities")[1]["result"], {
            "keep": {"access": "read", "local": {"user-id": 5}},
            "nancy": {"access": "read", "basic": {"password": "*****"}}})
        with open(os.path.join(d.dir, ".pebble.state")) as f:
            self.assertEqual(json.load(f)["identities"]["nancy"]["basic"]["password"], h)

    def failing(self, args):
        d = Daemon(args=args)
        self.addCleanup(d.cleanup)
        d.start(wait=False)
        self.assertEqual(d.wait_exit(), 1)
        return d.log()

    def test_errors(self):
        log = self.failing(["--identities", "/nonexistent/ids.yaml"])
        self.assertIn("error: cannot run daemon: cannot read identities: open /nonexistent/ids.yaml: "
                      "no such file or directory\n", log)
        log = self.failing(["--identities", self.temp_file("bob:\n  access: admin\n")])
        self.assertIn('error: cannot run daemon: cannot read identities: no identities to add; did you forget '
                      'the top-level "identities" key?\n', log)
        log = self.failing(["--identities", self.temp_file("identities:\n  bob:\n    access: admin\n")])
        self.assertIn('error: cannot run daemon: cannot replace identities: invalid identity for "bob": identity '
                      'must have at least one type ("local", "basic", or "cert")\n', log)
        log = self.failing(["--identities", self.temp_file("identities: [\n")])
        self.assertIn("error: cannot run daemon: cannot read identities: cannot unmarshal identities: yaml: ", log)
        log = self.failing(["--identities"])
        self.assertEqual(log, "error: expected argument for flag `--identities'\n")


if __name__ == "__main__":
    unittest.main()
