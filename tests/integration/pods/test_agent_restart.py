"""A machine agent restarted on a host with running pods adopts them: after a SIGKILL (the
controller restarts its machine's agent) and after an orderly stop of the controller and its
agent, the same container inits keep running with the same boot ids, no second container is
started, and the units go on working (a config change reaches them)."""
import os
import signal
import unittest

import cairnh
import podh
import unitpodh


class AgentRestart(unitpodh.PodTestCase):
    def boot_ids(self):
        ids = {}
        for u in ("probe/0", "probe/1"):
            status, info = unitpodh.pebble(self.ctl, u, "web", "GET", "/v1/system-info")
            self.assertEqual(status, 200)
            ids[u] = info["result"]["boot-id"]
        return ids

    def lasting(self):
        """The pods' processes without the ones that come and go (scree's own forks)."""
        conf = self.ctl.pods_conf()
        return cairnh.without_forks(podh.processes_in_cgroups(conf["prefix"])) if conf else []

    def test_adopts_running_pods(self):
        img = unitpodh.image(name="web", port=8080, text="hello")
        self.ctl.call("deploy", charm=self.probe_charm(), num_units=2, resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="application", name="probe", status="active", idle=True, timeout_ms=90000)
        conf = self.ctl.pods_conf()
        before = self.ctl.containers()
        boots = self.boot_ids()
        procs = self.lasting()
        self.assertEqual(sorted(before), ["probe-0_web", "probe-1_web"])

        # SIGKILL: the controller starts a new agent, which adopts both pods.
        agent = self.ctl.agent_pid()
        pipe = cairnh.EventPipe(os.path.join(self.ctl.unit_dir("probe/0"), "notify"))
        self.addCleanup(pipe.close)
        os.kill(agent, signal.SIGKILL)
        self.assertTrue(cairnh.wait_gone(agent, 30))
        # Boot ids live in the agent's memory (charm-runtime.md §11.2): the new agent runs
        # pebble-ready once more for the same boot id.
        pipe.wait_for("web-pebble-ready", timeout=60)
        self.ctl.wait_idle(timeout=60)
        self.assertNotEqual(self.ctl.agent_pid(), agent)
        self.assertEqual(self.ctl.containers(), before)
        self.assertEqual(self.boot_ids(), boots)
        now = self.lasting()
        self.assertEqual(now, procs, [(p, podh.proc_comm(p)) for p in now])
        self.assertEqual(self.ctl.leftovers()["netns"], [conf["prefix"] + "probe-0", conf["prefix"] + "probe-1"])
        self.assertEqual(len(self.ctl.leftovers()["mounts"]), 2)

        # An orderly stop of the controller (and its agent) leaves the pods running; the next
        # one adopts them too.
        self.ctl.stop()
        self.assertEqual(self.ctl.containers(), before)
        self.ctl.start()
        pipe.wait_for("web-pebble-ready", timeout=60)
        self.ctl.wait_idle(timeout=60)
        self.assertEqual(self.ctl.containers(), before)
        self.assertEqual(self.boot_ids(), boots)
        # Still working: a config change runs config-changed in each unit's pod.
        n = len(unitpodh.probe_log(self.ctl, "probe/1"))
        self.ctl.call("config-set", app="probe", config=[])
        self.ctl.call("refresh", app="probe", charm=self.probe_charm())
        self.ctl.wait_idle(timeout=60)
        log = unitpodh.probe_log(self.ctl, "probe/1")[n:]
        self.assertEqual([e["hook"] for e in log], ["upgrade-charm", "config-changed", "web-pebble-ready"])
        self.assertEqual(len({e["addr"] for e in unitpodh.probe_log(self.ctl, "probe/1")}), 1)
        # upgrade-charm ran before the restart that refresh brings: the adopted container's
        # service still answered the hook on localhost.
        self.assertEqual(log[0]["page"], "hello")


if __name__ == "__main__":
    unittest.main()
