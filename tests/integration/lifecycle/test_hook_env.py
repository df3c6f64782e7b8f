"""The hook environment and process setup (charm-runtime.md §1.1, §2): variables built from
scratch, cwd = charm dir, stdin from /dev/null, no arguments, dispatch preferred over
hooks/<name>, missing hooks skipped, and output captured into debug-log."""
import json
import os
import shutil
import tempfile
import unittest

import cairnh

ENV_DUMP = """#!/bin/sh
d="$JUJU_CHARM_DIR/../env-${JUJU_DISPATCH_PATH#hooks/}"
env > "$d.env"
pwd > "$d.cwd"
echo "$#" > "$d.argc"
if read -r line; then echo "got:$line" > "$d.stdin"; else echo eof > "$d.stdin"; fi
echo "to stdout from ${JUJU_DISPATCH_PATH#hooks/}"
echo "to stderr from ${JUJU_DISPATCH_PATH#hooks/}" >&2
exit 0
"""


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f.read().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


class HookEnv(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-charms-")
        os.environ["OPERATOR_DISPATCH"] = "1"      # must never leak into hooks
        os.environ["SOME_AGENT_SECRET"] = "nope"  # the agent's env is not inherited
        os.environ["KUBERNETES_SERVICE_HOST"] = "10.0.0.1"  # ... except KUBERNETES_*
        self.ctl = cairnh.Controller().start()
        for k in ("OPERATOR_DISPATCH", "SOME_AGENT_SECRET", "KUBERNETES_SERVICE_HOST"):
            del os.environ[k]

    def tearDown(self):
        self.ctl.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_dispatch_environment(self):
        charm = cairnh.make_charm(self.tmp, "envy", dispatch=ENV_DUMP)
        self.ctl.call("deploy", charm=charm, num_units=1)
        self.ctl.wait_idle()
        udir = self.ctl.unit_dir("envy/0")
        charm_dir = os.path.join(udir, "charm")
        env = read_env(os.path.join(udir, "env-install.env"))
        self.assertEqual(env["JUJU_DISPATCH_PATH"], "hooks/install")
        self.assertEqual(env["JUJU_HOOK_NAME"], "install")
        self.assertEqual(env["JUJU_UNIT_NAME"], "envy/0")
        self.assertEqual(env["JUJU_MODEL_NAME"], "default")
        self.assertRegex(env["JUJU_MODEL_UUID"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertEqual(env["JUJU_CHARM_DIR"], charm_dir)
        self.assertEqual(env["CHARM_DIR"], charm_dir)
        self.assertRegex(env["JUJU_VERSION"], r"^3\.6\.\d+$")
        self.assertTrue(env["JUJU_CONTEXT_ID"].startswith("envy/0-install-"))
        self.assertEqual(env["JUJU_AGENT_SOCKET_NETWORK"], "unix")
        self.assertTrue(os.path.exists(env["JUJU_AGENT_SOCKET_ADDRESS"]))
        tools = env["PATH"].split(":")[0]
        self.assertTrue(os.path.islink(os.path.join(tools, "status-set")))
        self.assertEqual(env["LANG"], "C.UTF-8")
        self.assertEqual(env["DEBIAN_FRONTEND"], "noninteractive")
        self.assertEqual(env["KUBERNETES_SERVICE_HOST"], "10.0.0.1")
        self.assertNotIn("OPERATOR_DISPATCH", env)
        self.assertNotIn("SOME_AGENT_SECRET", env)
        self.assertNotIn("CAIRN_HOME", env)
        # How long its hook tools wait for the agent (above the agent's slowest answer).
        self.assertEqual(env["CAIRN_TOOL_DEADLINE_MS"], "30000")
        with open(os.path.join(udir, "env-install.cwd")) as f:
            self.assertEqual(f.read().strip(), charm_dir)
        with open(os.path.join(udir, "env-install.argc")) as f:
            self.assertEqual(f.read().strip(), "0")
        with open(os.path.join(udir, "env-install.stdin")) as f:
            self.assertEqual(f.read().strip(), "eof")
        # Each hook has its own context id.
        env2 = read_env(os.path.join(udir, "env-start.env"))
        self.assertNotEqual(env["JUJU_CONTEXT_ID"], env2["JUJU_CONTEXT_ID"])
        # stdout at DEBUG, stderr at WARNING, in debug-log under unit.<unit>.<hook>.
        lines = self.debug_log()
        self.assertTrue(any("DEBUG unit.envy/0.install to stdout from install" in l for l in lines), lines)
        self.assertTrue(any("WARNING unit.envy/0.install to stderr from install" in l for l in lines), lines)
        self.assertTrue(all(l.startswith(("unit-envy-0: ", "controller: ", "machine-0: ")) for l in lines), lines)

    def debug_log(self):
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.ctl.sock_path)
        s.sendall(cairnh.frame({"op": "debug-log", "replay": True}))
        out = []
        while True:
            f = cairnh.read_frame(s)
            out += f.get("lines", [])
            if f.get("end"):
                break
        s.close()
        return out

    def test_hooks_dir_and_missing_hooks(self):
        # No dispatch: hooks/<name> runs; a missing hook counts as success.
        charm = cairnh.make_charm(self.tmp, "legacy", hooks={
            "install": "#!/bin/sh\necho \"$JUJU_DISPATCH_PATH\" > \"$JUJU_CHARM_DIR/../ran-install\"\n",
            "start": "#!/bin/sh\nstatus-set active legacy\n",
        })
        self.ctl.call("deploy", charm=charm, num_units=1)
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("legacy/0"), "ran-install")) as f:
            self.assertEqual(f.read().strip(), "hooks/install")
        st = self.ctl.call("status")["applications"]["legacy"]["units"]["legacy/0"]
        self.assertEqual(st["workload-status"]["current"], "active")
        lines = self.debug_log()
        self.assertTrue(any('skipped "config-changed" hook (missing)' in l for l in lines), lines)

    def test_dispatch_preferred_over_hooks(self):
        charm = cairnh.make_charm(self.tmp, "both",
                                  dispatch="#!/bin/sh\necho dispatch >> \"$JUJU_CHARM_DIR/../who\"\n",
                                  hooks={"install": "#!/bin/sh\necho hook >> \"$JUJU_CHARM_DIR/../who\"\n"})
        self.ctl.call("deploy", charm=charm, num_units=1)
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("both/0"), "who")) as f:
            self.assertEqual(set(f.read().split()), {"dispatch"})

    def test_status_defaults(self):
        # A charm that never sets a status: maintenance "installing charm software" during
        # install, unknown after start.
        charm = cairnh.make_charm(self.tmp, "quiet", dispatch=
            "#!/bin/sh\n[ \"$JUJU_HOOK_NAME\" = install ] && status-get --include-data --format=json > \"$JUJU_CHARM_DIR/../during-install\"\nexit 0\n")
        self.ctl.call("deploy", charm=charm, num_units=1)
        self.ctl.wait_idle()
        with open(os.path.join(self.ctl.unit_dir("quiet/0"), "during-install")) as f:
            st = json.load(f)
        self.assertEqual(st["status"], "maintenance")
        self.assertEqual(st["message"], "installing charm software")
        u = self.ctl.call("status")["applications"]["quiet"]["units"]["quiet/0"]
        self.assertEqual(u["workload-status"]["current"], "unknown")
        self.assertEqual(u["juju-status"]["current"], "idle")


if __name__ == "__main__":
    unittest.main()
