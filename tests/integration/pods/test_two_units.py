"""Two units of one application are two pods: separate root filesystems (a file written in one
container is not in the other), separate network namespaces with their own addresses, and each
unit's hooks reach their own workload on localhost."""
import unittest

import podh
import unitpodh


class TwoUnits(unitpodh.PodTestCase):
    def test_separate_pods(self):
        img = unitpodh.image(name="web", port=8080, text="hello")
        charm = self.probe_charm()
        self.ctl.call("deploy", charm=charm, num_units=2, resources={"web-image": img["oci_archive"]})
        self.ctl.call("wait-for", kind="application", name="probe", status="active", idle=True, timeout_ms=90000)
        conf = self.ctl.pods_conf()
        self.assertEqual(sorted(self.ctl.containers()), ["probe-0_web", "probe-1_web"])
        addrs = {}
        for u in ("probe/0", "probe/1"):
            log = unitpodh.probe_log(self.ctl, u)
            # Every hook ran in the unit's own pod network, with one address throughout.
            self.assertEqual(len({e["addr"] for e in log}), 1, log)
            addrs[u] = log[0]["addr"]
            # After autostart the hook's localhost is the unit's own workload.
            self.assertEqual(log[-1]["hook"], "web-pebble-ready")
            r = podh.netns_exec(conf["prefix"] + u.replace("/", "-"), "ip", "-4", "-o", "addr", "show", "eth0")
            self.assertIn(addrs[u], r.stdout)
            # unit-get (once an agent serves it) reports the pod's address.
            for e in log:
                if e["unit_get"]:
                    self.assertEqual(e["unit_get"], addrs[u].split("/")[0], e)
        self.assertNotEqual(addrs["probe/0"], addrs["probe/1"])
        # Status shows each unit at its pod's address (as Kubernetes units), in JSON and in
        # the table's Public address column.
        units = self.ctl.call("status")["applications"]["probe"]["units"]
        table = self.ctl.cli("status", check=True).stdout
        for u in ("probe/0", "probe/1"):
            ip = addrs[u].split("/")[0]
            self.assertEqual(units[u]["public-address"], ip, units[u])
            row = [l for l in table.splitlines() if l.startswith(u + "*") or l.startswith(u + " ")]
            self.assertEqual(len(row), 1, table)
            self.assertIn(" " + ip + " ", row[0] + " ", table)
        # Separate roots: what one container writes, the other does not see.
        r = self.ctl.runc("exec", "probe-0_web", "sh", "-c", "echo mine > /tmp/only-here")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.ctl.runc("exec", "probe-1_web", "cat", "/tmp/only-here")
        self.assertNotEqual(r.returncode, 0)
        # Each hook asks its own workload: update-status-like probe through a config change.
        self.ctl.call("config-set", app="probe", config=[])
        for u in ("probe/0", "probe/1"):
            ip = addrs[u].split("/")[0]
            self.assertEqual(podh.http_get(ip, 8080, "/index.html"), (200, "hello\n"))


if __name__ == "__main__":
    unittest.main()
