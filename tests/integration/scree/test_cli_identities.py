"""The scree CLI as a user drives it: identities verbs (outputs and messages as upstream's
cmd_*identit*.go), `logs --format json`, and go-flags' option errors on every verb."""

import json
import subprocess
import unittest

from screeh import SCREE, DaemonTest, sha512_crypt

LAYER = """
services:
    svc1:
        override: replace
        command: /bin/sh -c 'echo "a <b> & \\"c\\" \\\\ d"; printf "caf\\303\\251\\n"; sleep 100'
"""


class CliIdentitiesTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def ok(self, *args):
        r = self.d.cli(*args)
        self.assertEqual((r.returncode, r.stderr), (0, ""), args)
        return r.stdout

    def fails(self, *args):
        r = self.d.cli(*args)
        self.assertEqual((r.returncode, r.stdout), (1, ""), args)
        return r.stderr

    def test_crud(self):
        r = self.d.cli("identities")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", "No identities.\n"))
        h = sha512_crypt("pw")
        path = self.temp_file("identities:\n    bob:\n        access: admin\n        local:\n            user-id: 42\n"
                         "    nancy:\n        access: metrics\n        basic:\n            password: %s\n" % h)
        self.assertEqual(self.ok("add-identities", "--from", path), "Added 2 new identities.\n")
        self.assertEqual(self.ok("add-identities", "--from=" + self.temp_file(
            "identities:\n  yes:\n    access: read\n    local: {user-id: 7}\n")), "Added 1 new identity.\n")
        self.assertEqual(self.ok("identities"),
                         "Name   Access   Types\n"
                         "bob    admin    local\n"
                         "nancy  metrics  basic\n"
                         "yes    read     local\n")
        self.assertEqual(self.ok("identities", "--format", "yaml"),
                         "identities:\n"
                         "    bob:\n        access: admin\n        local:\n            user-id: 42\n"
                         "    nancy:\n        access: metrics\n        basic:\n            password: '*****'\n"
                         '    "yes":\n        access: read\n        local:\n            user-id: 7\n')
        self.assertEqual(self.ok("identities", "--format=json"),
                         '{"identities":{"bob":{"access":"admin","local":{"user-id":42}},'
                         '"nancy":{"access":"metrics","basic":{"password":"*****"}},'
                         '"yes":{"access":"read","local":{"user-id":7}}}}\n')
        self.assertEqual(self.ok("identity", "bob"), "access: admin\nlocal:\n    user-id: 42\n")
        self.assertEqual(self.ok("identity", "nancy"), "access: metrics\nbasic:\n    password: '*****'\n")
        self.assertEqual(self.fails("identity", "nope"), 'error: cannot find identity "nope"\n')

        upd = self.temp_file("identities:\n    bob:\n        access: read\n        local:\n            user-id: 43\n")
        self.assertEqual(self.ok("update-identities", "--from", upd), "Updated 1 identity.\n")
        rep = self.temp_file("identities:\n    bob: null\n    carol:\n        access: admin\n        local:\n"
                        "            user-id: 44\n")
        self.assertEqual(self.ok("update-identities", "--replace", "--from", rep), "Replaced 2 identities.\n")
        self.assertEqual(self.ok("identities"),
                         "Name   Access   Types\n"
                         "carol  admin    local\n"
                         "nancy  metrics  basic\n"
                         "yes    read     local\n")
        self.assertEqual(self.fails("remove-identities", "--from", rep),
                         'error: value of identity "carol" must be null in YAML when removing\n')
        rm = self.temp_file("identities:\n    carol: null\n    yes:\n")
        self.assertEqual(self.ok("remove-identities", "--from", rm), "Removed 2 identities.\n")
        self.assertEqual(self.ok("identities"), "Name   Access   Types\nnancy  metrics  basic\n")

    def test_errors(self):
        path = self.temp_file("identities:\n    bob:\n        access: admin\n        local:\n            user-id: 42\n")
        self.ok("add-identities", "--from", path)
        self.assertEqual(self.fails("add-identities", "--from", path), "error: identities already exist: bob\n")
        self.assertEqual(self.fails("add-identities"), "error: the required flag `--from' was not specified\n")
        self.assertEqual(self.fails("update-identities", "--replace"),
                         "error: the required flag `--from' was not specified\n")
        self.assertEqual(self.fails("add-identities", "--from"), "error: expected argument for flag `--from'\n")
        self.assertEqual(self.fails("add-identities", "--from", "/nonexistent/x.yaml"),
                         "error: open /nonexistent/x.yaml: no such file or directory\n")
        self.assertEqual(self.fails("add-identities", "--from", self.temp_file("bob:\n  access: admin\n")),
                         'error: no identities to add; did you forget the top-level "identities" key?\n')
        self.assertEqual(self.fails("add-identities", "--from", self.temp_file("identities:\n  x:\n    access: admin\n")),
                         'error: invalid identity for "x": identity must have at least one type ("local", '
                         '"basic", or "cert")\n')
        self.assertEqual(self.fails("add-identities", "--from", self.temp_file("identities:\n  x: null\n")),
                         'error: identity value for "x" must not be null for add operation\n')
        self.assertEqual(self.fails("remove-identities", "--from", self.temp_file("identities:\n  nope: null\n")),
                         "error: identities do not exist: nope\n")
        self.assertEqual(self.fails("identities", "--format", "xml"),
                         'error: invalid output format (expected "text", "json", or "yaml", not "xml")\n')
        self.assertEqual(self.fails("identities", "extra"), "error: too many arguments for command\n")
        self.assertEqual(self.fails("identities", "--bogus"), "error: unknown flag `bogus'\n")
        self.assertEqual(self.fails("identity"), "error: the required argument `<name>` was not provided\n")
        self.assertEqual(self.fails("identity", "a", "b"), "error: too many arguments for command\n")
        self.assertEqual(self.fails("add-identities", "--from", path, "extra"),
                         "error: too many arguments for command\n")


class CliOptionsTest(DaemonTest):
    """go-flags' wording on every verb (unknown flags, missing values, arguments)."""

    def setUp(self):
        self.d = self.start_daemon()
        self.layer = self.temp_file(LAYER)

    def err(self, *args):
        r = self.d.cli(*args)
        self.assertEqual(r.returncode, 1, (args, r.stdout))
        return r.stderr

    def test_unknown_flags_everywhere(self):
        for verb in ("services", "start", "stop", "restart", "replan", "autostart", "plan", "add", "changes",
                     "tasks", "logs", "signal", "version", "identities", "identity", "add-identities",
                     "update-identities", "remove-identities", "checks", "check", "start-checks", "stop-checks",
                     "health", "notices", "notice", "notify", "warnings", "okay", "exec", "push", "pull", "ls",
                     "mkdir", "rm", "enter", "help"):
            self.assertEqual(self.err(verb, "--format-x"), "error: unknown flag `format-x'\n", verb)
            self.assertEqual(self.err(verb, "-Z"), "error: unknown flag `Z'\n", verb)
        self.assertEqual(self.err("services", "--format", "json"), "error: unknown flag `format'\n")
        r = subprocess.run([SCREE, "run", "--bogus"], env=self.d.env, capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (1, "error: unknown flag `bogus'\n"))
        r = subprocess.run([SCREE, "run", "--http"], env=self.d.env, capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (1, "error: expected argument for flag `--http'\n"))
        r = subprocess.run([SCREE, "run", "--args", ";"], env=self.d.env, capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (1, "error: --args requires a service name\n"))
        r = subprocess.run([SCREE, "run", "--args", "a", ";", "--args", "a"], env=self.d.env,
                           capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (1, 'error: --args provided more than once for "a" service\n'))

    def test_help(self):
        r = self.d.cli("help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Commands:", r.stdout)
        self.assertEqual(self.d.cli("help", "--all").stdout, r.stdout)
        # help <command> is that command's --help.
        for verb in ("logs", "exec", "run"):
            h = self.d.cli("help", verb)
            self.assertEqual((h.returncode, h.stdout), (0, self.d.cli(verb, "--help").stdout), verb)
            self.assertIn("pebble %s" % verb, h.stdout)
        self.assertEqual(self.err("help", "nope"), "error: unknown command \"nope\", see 'pebble help'\n")

    def test_arguments(self):
        self.assertEqual(self.err("logs", "-n"), "error: expected argument for flag `-n'\n")
        self.assertEqual(self.err("logs", "-n", "-f"), "error: expected argument for flag `-n', but got option `-f'\n")
        self.assertEqual(self.err("logs", "--follow=1"), "error: bool flag `-f, --follow' cannot have an argument\n")
        self.assertEqual(self.err("start"),
                         "error: the required argument `<service> (at least 1 argument)` was not provided\n")
        self.assertEqual(self.err("start", "--no-wait"),
                         "error: the required argument `<service> (at least 1 argument)` was not provided\n")
        self.assertEqual(self.err("replan", "x"), "error: too many arguments for command\n")
        self.assertEqual(self.err("plan", "x"), "error: too many arguments for command\n")
        self.assertEqual(self.err("add", "x"), "error: the required argument `<layer-path>` was not provided\n")
        self.assertEqual(self.err("add"),
                         "error: the required arguments `<label>` and `<layer-path>` were not provided\n")
        self.assertEqual(self.err("signal"), "error: the required arguments `<SIGNAL>` and `<service> "
                                             "(at least 1 argument)` were not provided\n")
        self.assertEqual(self.err("tasks"), "error: please provide change ID or type with --last=<type>\n")
        self.assertEqual(self.err("tasks", "1", "--last", "start"), "error: cannot use change ID and type together\n")
        self.assertEqual(self.err("changes", "12"),
                         "error: 'pebble changes' command expects a service name, try 'pebble tasks 12'\n")
        self.assertEqual(self.err("changes", "a", "b"), "error: too many arguments for command\n")
        self.assertEqual(self.err("frobnicate"), "error: unknown command \"frobnicate\", see 'pebble help'\n")

    def test_flags_that_work(self):
        r = self.d.cli("add", "--combine", "base", self.layer)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.d.cli("start", "svc1", "--no-wait")
        self.assertRegex(r.stdout, r"^\d+\n$")
        change = r.stdout.strip()
        self.d.wait_change(change)
        r = self.d.cli("tasks", "--last=start", "--abs-time")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^Status  Spawn +Ready +Summary\n"
                                   r"Done    \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)  \S+  "
                                   r'Start service "svc1"\n')
        r = self.d.cli("tasks", "--last=replan?")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(self.err("tasks", "--last=replan"), 'error: no changes of type "replan" found\n')
        r = self.d.cli("changes", "--abs-time", "svc1")
        self.assertRegex(r.stdout, r"\n%s +Done +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) " % change)
        r = self.d.cli("services", "--abs-time")
        self.assertRegex(r.stdout, r"\nsvc1 +disabled +active +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\n$")
        r = self.d.cli("version", "--client")
        self.assertEqual((r.returncode, r.stdout), (0, "client  v1.32.1\n"))
        r = self.d.cli("logs", "-h")
        self.assertEqual((r.returncode, r.stdout), (0, "Usage:\n  pebble logs [logs-OPTIONS] [<service>...]\n"))

    def test_logs_formats(self):
        self.d.cli("add", "base", self.layer)
        self.d.cli("start", "svc1")
        # Both lines are in before reading them back.
        self.d.wait_log("Service \"svc1\" starting")
        for _ in range(200):
            r = self.d.cli("logs", "--format", "json")
            if r.stdout.count("\n") == 2:
                break
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        first, second = json.loads(lines[0]), json.loads(lines[1])
        self.assertEqual(list(first), ["time", "service", "message"])
        self.assertEqual((first["service"], first["message"]), ("svc1", 'a <b> & "c" \\ d'))
        self.assertEqual(second["message"], "caf\u00e9")
        # Go's encoder without HTML escaping, UTF-8 as is; the server's time, unchanged.
        self.assertRegex(lines[0], r'^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z","service":"svc1",'
                                   r'"message":"a <b> & \\"c\\" \\\\ d"\}$')
        self.assertTrue(lines[1].endswith('"message":"caf\u00e9"}'))
        api = [json.loads(line) for line in
               self.d.request("GET", "/v1/logs?n=-1")[3].splitlines()]
        self.assertEqual([x["time"] for x in api], [first["time"], second["time"]])
        r = self.d.cli("logs", "--format=text", "-n", "1", "svc1")
        self.assertRegex(r.stdout, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[svc1\] caf\u00e9\n$")
        self.assertEqual(self.err("logs", "--format", "yaml"),
                         'error: invalid output format (expected "json" or "text", not "yaml")\n')
        r = self.d.cli("logs", "--format", "json", "-n", "0")
        self.assertEqual((r.returncode, r.stdout), (0, ""))


if __name__ == "__main__":
    unittest.main()
