#!/usr/bin/python3
"""cairn CLI against a stand-in controller (fake_cairnd.py): auto-start over the ready pipe,
the requests each command sends, how results and errors are printed, and kill-controller.

The cairn binary is copied into a temporary directory with fake_cairnd.py installed beside
it as `cairnd`, so the CLI starts the fake exactly as it would start the real controller.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

BIN_DIR = os.environ.get("BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_cairnd.py")


class CliWithFakeController(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-cli-client-")
        self.bindir = os.path.join(self.tmp, "bin")
        os.mkdir(self.bindir)
        self.cairn = os.path.join(self.bindir, "cairn")
        shutil.copy2(os.path.join(BIN_DIR, "cairn"), self.cairn)
        shutil.copy2(FAKE, os.path.join(self.bindir, "cairnd"))
        os.chmod(os.path.join(self.bindir, "cairnd"), 0o755)
        self.home = os.path.join(self.tmp, "home")
        self.work = os.path.join(self.tmp, "work")
        os.mkdir(self.work)
        self.env = dict(os.environ, CAIRN_HOME=self.home, TZ="UTC")
        self.env.pop("FAKE_CAIRND_FAIL", None)

    def tearDown(self):
        pidfile = os.path.join(self.home, "cairnd.pid")
        if os.path.exists(os.path.join(self.home, "cairnd.sock")):
            self.run_cairn(["kill-controller", "-y"])
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                pid = int(f.read())
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cairn(self, args, env=None):
        return subprocess.run([self.cairn] + args, env=env or self.env, cwd=self.work,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=60)

    def requests(self, op=None):
        path = os.path.join(self.home, "requests.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            reqs = [json.loads(line) for line in f]
        return [r for r in reqs if op is None or r["op"] == op]

    def socket_answers(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(os.path.join(self.home, "cairnd.sock"))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def test_auto_start_then_reuse(self):
        self.assertFalse(os.path.exists(self.home))
        p = self.run_cairn(["status"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(self.socket_answers())
        with open(os.path.join(self.home, "cairnd.log")) as f:
            self.assertIn("fake cairnd listening", f.read())
        with open(os.path.join(self.home, "cairnd.pid")) as f:
            pid = f.read()
        p = self.run_cairn(["status"])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.home, "cairnd.pid")) as f:
            self.assertEqual(f.read(), pid)  # the same controller answered
        self.assertEqual(len(self.requests("status")), 2)

    def test_start_failure_is_reported(self):
        env = dict(self.env, FAKE_CAIRND_FAIL="3")
        p = self.run_cairn(["status"], env=env)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith("ERROR cannot start controller: "), p.stderr)
        self.assertIn("status 3", p.stderr)
        self.assertIn("cairnd.log", p.stderr)

    def test_status_tabular(self):
        p = self.run_cairn(["status"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout,
                         "Model    Controller  Cloud/Region         Version  SLA          Timestamp\n"
                         "default  cairn       localhost/localhost  3.6.8    unsupported  12:34:56Z\n"
                         "\n"
                         "App    Version  Status  Scale  Charm  Channel  Rev  Exposed  Message\n"
                         "hello           active      1  hello             1  no       ready\n"
                         "\n"
                         "Unit      Workload  Agent  Machine  Public address  Ports   Message\n"
                         "hello/0*  active    idle   0        127.0.0.1       80/tcp  ready\n"
                         "\n"
                         "Machine  State    Address    Inst id      Base       AZ  Message\n"
                         "0        started  127.0.0.1  localhost-0  debian@12      \n")

    def test_status_json_and_yaml_print_the_document(self):
        p = self.run_cairn(["status", "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["applications"]["hello"]["charm-rev"], 1)
        self.assertEqual(p.stdout.count("\n"), 1)
        p = self.run_cairn(["status", "--format=yaml"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("model:\n  name: default\n"), p.stdout)

    def test_empty_model_note(self):
        os.makedirs(self.home)
        with open(os.path.join(self.home, "status.json"), "w") as f:
            json.dump({"model": {"name": "default", "controller": "cairn", "cloud": "localhost",
                                 "version": "3.6.8"}, "machines": {}, "applications": {}}, f)
        p = self.run_cairn(["status"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, '\nModel "default" is empty.\n')

    def test_deploy_request(self):
        with open(os.path.join(self.work, "cfg.yaml"), "w") as f:
            f.write("web:\n  port: 9090\n  greeting: from file\n")
        with open(os.path.join(self.work, "motd.txt"), "w") as f:
            f.write("multi\nline\n")
        p = self.run_cairn(["deploy", "./charms/../charms/hello", "web", "-n", "2",
                            "--config", "greeting=hi", "--config", "cfg.yaml",
                            "--config", "motd=@motd.txt", "--config", "empty="])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('Deployed "web"', p.stderr)
        (req,) = self.requests("deploy")
        self.assertEqual(req["charm"], os.path.join(self.work, "charms/hello"))
        self.assertEqual(req["app"], "web")
        self.assertEqual(req["num-units"], 2)
        self.assertEqual(req["config"], [
            {"set": {"greeting": "hi"}},
            {"file": {"web": {"port": 9090, "greeting": "from file"}}, "path": "cfg.yaml"},
            {"set": {"motd": "multi\nline\n", "empty": ""}},
        ])

    def test_deploy_missing_config_file_fails_before_sending(self):
        p = self.run_cairn(["deploy", "./hello", "--config", "nope.yaml"])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, 'ERROR cannot read config file "nope.yaml": open %s: '
                         'no such file or directory\n' % os.path.join(self.work, "nope.yaml"))
        self.assertEqual(self.requests(), [])

    def test_controller_error_is_printed(self):
        p = self.run_cairn(["add-unit", "broken"])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, 'ERROR application "broken" not found\n')
        p = self.run_cairn(["add-unit", "hello", "-n", "3"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.requests("add-unit")[-1],
                         {"op": "add-unit", "app": "hello", "num-units": 3})

    def test_config_get_all_is_sorted_yaml(self):
        p = self.run_cairn(["config", "hello"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout,
                         "application: hello\n"
                         "charm: hello\n"
                         "settings:\n"
                         "  debug:\n"
                         "    default: false\n"
                         "    description: Debug.\n"
                         "    source: default\n"
                         "    type: boolean\n"
                         "    value: false\n"
                         "  greeting:\n"
                         "    default: hi\n"
                         "    description: What to say.\n"
                         "    source: user\n"
                         "    type: string\n"
                         "    value: hello world\n"
                         "  port:\n"
                         "    default: 8080\n"
                         "    description: Port.\n"
                         "    source: default\n"
                         "    type: int\n"
                         "    value: 8080\n")
        p = self.run_cairn(["config", "hello", "--format", "json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith('{"application":"hello","charm":"hello","settings":'
                                            '{"debug":{"default":false,'), p.stdout)

    def test_config_get_one_prints_the_raw_value(self):
        for key, want in (("greeting", "hello world\n"), ("port", "8080\n"), ("debug", "false\n")):
            p = self.run_cairn(["config", "hello", key, "--format", "json"])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, want)
        p = self.run_cairn(["config", "hello", "nope"])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, 'ERROR key "nope" not found in "hello" application config '
                         'or charm settings.\n')

    def test_config_set_file_and_reset(self):
        with open(os.path.join(self.work, "c.yaml"), "w") as f:
            f.write("hello:\n  port: 1\n")
        p = self.run_cairn(["config", "hello", "greeting=yo", "--file", "c.yaml",
                            "--reset", "debug,,x", "--reset", "y"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "")
        (req,) = self.requests("config-set")
        self.assertEqual(req, {"op": "config-set", "app": "hello", "config": [
            {"file": {"hello": {"port": 1}}, "path": "c.yaml"},
            {"set": {"greeting": "yo"}},
            {"reset": ["debug", "x", "y"]},
        ]})

    def test_model_config(self):
        p = self.run_cairn(["model-config"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout,
                         "Attribute                    From     Value\n"
                         "automatically-retry-hooks    default  true\n"
                         "logging-config               default  \"\"\n"
                         "update-status-hook-interval  model    10s\n")
        p = self.run_cairn(["model-config", "update-status-hook-interval"])
        self.assertEqual(p.stdout, "10s\n")
        p = self.run_cairn(["model-config", "update-status-hook-interval=1m", "--reset",
                            "logging-config"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.requests("model-config")[-1],
                         {"op": "model-config", "set": {"update-status-hook-interval": "1m"},
                          "reset": ["logging-config"]})
        p = self.run_cairn(["model-config", "nope"])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, 'ERROR key "nope" not found in "default" model.\n')

    def test_remove_and_refresh_and_resolved(self):
        p = self.run_cairn(["remove-unit", "hello/0", "hello/10", "--force", "--no-prompt"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "will remove unit hello/0\nwill remove unit hello/10\n")
        self.assertEqual(self.requests("remove-unit")[-1],
                         {"op": "remove-unit", "units": ["hello/0", "hello/10"], "force": True,
                          "destroy-storage": False})
        p = self.run_cairn(["remove-application", "hello"])
        self.assertEqual(p.stdout, "will remove application hello\n")
        p = self.run_cairn(["upgrade-charm", "hello", "--path", "new.charm"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.requests("refresh")[-1],
                         {"op": "refresh", "app": "hello",
                          "charm": os.path.join(self.work, "new.charm")})
        self.assertIn("revision 2", p.stderr)
        p = self.run_cairn(["resolve", "hello/0", "--no-retry"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.requests("resolved")[-1],
                         {"op": "resolved", "units": ["hello/0"], "all": False, "no-retry": True})

    def test_debug_log_stream(self):
        p = self.run_cairn(["debug-log", "--replay", "--no-tail"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            "unit-hello-0: 12:00:00 INFO juju.worker.uniter one",
            "unit-hello-0: 12:00:01 INFO juju.worker.uniter two",
            "machine-0: 12:00:02 INFO juju three"])
        self.assertEqual(self.requests("debug-log")[-1],
                         {"op": "debug-log", "replay": True, "lines": 10, "tail": False})
        p = self.run_cairn(["debug-log", "--limit", "1"])
        self.assertEqual(p.stdout, "unit-hello-0: 12:00:00 INFO juju.worker.uniter one\n")
        self.assertEqual(self.requests("debug-log")[-1]["limit"], 1)

    def test_wait_for(self):
        p = self.run_cairn(["wait-for", "application", "hello", "--query",
                            "status=='blocked' && idle", "--timeout", "90s"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.requests("wait-for")[-1],
                         {"op": "wait-for", "kind": "application", "name": "hello",
                          "timeout-ms": 90000, "status": "blocked", "idle": True})
        p = self.run_cairn(["wait-for", "unit", "hello/0", "--query", "gone", "--timeout", "0s"])
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, 'ERROR timed out waiting for unit "hello/0"\n')
        p = self.run_cairn(["wait-for", "model", "default"])
        self.assertEqual(self.requests("wait-for")[-1],
                         {"op": "wait-for", "kind": "model", "name": "default",
                          "timeout-ms": 600000, "idle": True})

    def test_show_status_log(self):
        p = self.run_cairn(["show-status-log", "hello/0", "-n", "5"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout,
                         "Time                   Type       Status       Message\n"
                         "01 May 2024 12:00:00Z  juju-unit  allocating   \n"
                         "01 May 2024 12:00:05Z  workload   maintenance  installing charm software\n")
        self.assertEqual(self.requests("show-status-log")[-1],
                         {"op": "show-status-log", "unit": "hello/0", "n": 5})

    def test_bootstrap_and_kill_controller(self):
        p = self.run_cairn(["bootstrap"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Bootstrap complete", p.stderr)
        p = self.run_cairn(["bootstrap"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("already running", p.stderr)
        p = self.run_cairn(["kill-controller", "--no-prompt"])
        self.assertEqual(p.returncode, 0, p.stderr)
        # kill-controller returns only once the controller closed the connection.
        self.assertFalse(self.socket_answers())
        self.assertEqual(len(self.requests("shutdown")), 1)
        p = self.run_cairn(["kill-controller", "-y"])
        self.assertEqual(p.stderr, "No controller is running.\n")


if __name__ == "__main__":
    unittest.main()
