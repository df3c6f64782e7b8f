"""scree layers over the API and from $PEBBLE/layers: merging, validation messages (§5),
the plan YAML (§7), and startup with a broken layers directory."""

import unittest

import yaml

from screeh import Daemon, DaemonTest

BASE = """
summary: base
services:
    web:
        override: replace
        command: /bin/web --port 80
        environment:
            A: "1"
        after: [db]
    db:
        override: replace
        command: /bin/db
        startup: enabled
"""


class LayersApiTest(DaemonTest):
    def setUp(self):
        self.d = self.start_daemon()

    def plan(self):
        status, payload = self.d.get("/v1/plan?format=yaml")
        self.assertEqual(status, 200, payload)
        return payload["result"]

    def test_empty_plan(self):
        self.assertEqual(self.plan(), "{}\n")
        status, payload = self.d.get("/v1/plan")
        self.assertError(status, payload, 400, 'invalid format ""')

    def test_add_and_merge(self):
        status, payload = self.d.add_layer("base", BASE)
        self.assertEqual((status, payload["result"]), (200, True))
        status, payload = self.d.add_layer("over", """
services:
    web:
        override: merge
        environment:
            B: "2"
        after: [cache]
    cache:
        override: replace
        command: /bin/cache
""")
        self.assertEqual(status, 200, payload)
        plan = yaml.safe_load(self.plan())
        web = plan["services"]["web"]
        self.assertEqual(web["environment"], {"A": "1", "B": "2"})
        self.assertEqual(web["after"], ["db", "cache"])
        self.assertEqual(web["override"], "replace")
        self.assertEqual(sorted(plan["services"]), ["cache", "db", "web"])
        self.assertIn("    web:\n        override: replace\n        command: /bin/web --port 80\n", self.plan())
        services = self.d.get("/v1/services")[1]["result"]
        self.assertEqual([(s["name"], s["startup"], s["current"]) for s in services],
                         [("cache", "disabled", "inactive"), ("db", "enabled", "inactive"),
                          ("web", "disabled", "inactive")])

    def test_duplicate_label_and_combine(self):
        self.d.add_layer("base", BASE)
        status, payload = self.d.add_layer("base", BASE)
        self.assertError(status, payload, 400, 'layer "base" already exists')
        status, payload = self.d.add_layer("base", "services:\n    db:\n        override: merge\n        command: /bin/db2\n",
                                           combine=True)
        self.assertEqual(status, 200, payload)
        self.assertEqual(yaml.safe_load(self.plan())["services"]["db"]["command"], "/bin/db2")

    def test_request_errors(self):
        cases = [
            ({"action": "remove", "label": "x", "format": "yaml", "layer": ""}, 'invalid action "remove"'),
            ({"action": "add", "label": "", "format": "yaml", "layer": ""}, "label must be set"),
            ({"action": "add", "label": "x", "format": "xml", "layer": ""}, 'invalid format "xml"'),
        ]
        for body, msg in cases:
            status, payload = self.d.post("/v1/layers", body)
            self.assertError(status, payload, 400, msg)

    def test_validation_messages(self):
        cases = [
            ("services:\n    s:\n        command: x\n",
             'layer "l" must define "override" for service "s"'),
            ("services:\n    s:\n        override: bogus\n        command: x\n",
             'layer "l" has invalid "override" value for service "s"'),
            ("foo: {}\n", 'cannot parse layer YAML: cannot parse layer "l": unknown section "foo"'),
            ("services:\n    s:\n        override: replace\n",
             'plan must define "command" for service "s"'),
            ("services:\n    s:\n        override: replace\n        command: a [ b ] c\n",
             'cannot parse layer YAML: plan service "s" command invalid: cannot parse service "s" command: '
             'cannot have any arguments after [ ... ] group'),
            ("services:\n    s:\n        override: replace\n        command: x\n        on-failure: explode\n",
             'cannot parse layer YAML: plan service "s" on-failure action "explode" invalid'),
            ("services:\n    a:\n        override: replace\n        command: x\n        after: [b]\n"
             "    b:\n        override: replace\n        command: x\n        after: [a]\n",
             "services in before/after loop: a, b"),
        ]
        for text, msg in cases:
            status, payload = self.d.add_layer("l", text)
            self.assertError(status, payload, 400, msg)
        status, payload = self.d.add_layer("pebble-x", "{}")
        self.assertError(status, payload, 400, 'cannot use reserved label prefix "pebble-"')
        status, payload = self.d.add_layer("l", "services: [\n")
        self.assertEqual(status, 400)
        self.assertTrue(payload["result"]["message"].startswith('cannot parse layer YAML: cannot parse layer "l": yaml: '),
                        payload)
        # Nothing was applied.
        self.assertEqual(self.plan(), "{}\n")


class LayersDirTest(DaemonTest):
    def test_layers_dir_and_autostart(self):
        d = self.start_daemon(layers={
            "001-base.yaml": BASE.replace("/bin/db", "sleep 100").replace("/bin/web --port 80", "sleep 100"),
            "002-more.d/001-extra.yaml": "services:\n    web:\n        override: merge\n        startup: enabled\n",
        })
        d.wait_log(r"Started default services with change 1\.")
        chg = d.wait_change("1")
        self.assertEqual(chg["kind"], "autostart")
        self.assertEqual(chg["status"], "Done", chg)
        self.assertEqual(chg["summary"], 'Autostart service "db" and 1 more')
        # db starts before web (after: [db]).
        self.assertEqual([t["summary"] for t in chg["tasks"]], ['Start service "db"', 'Start service "web"'])

    def test_hold_skips_autostart(self):
        d = self.start_daemon(layers={"001-base.yaml": BASE}, args=["--hold"])
        self.assertEqual(d.get("/v1/changes?select=all")[1]["result"], [])
        self.assertNotIn("Started default services", d.log())

    def test_args_layer(self):
        d = self.start_daemon(layers={"001-base.yaml": "services:\n    echo:\n        override: replace\n"
                                                      "        command: /bin/echo [ default ]\n"},
                              args=["--hold", "--args", "echo", "hello", "world", ";"])
        plan = d.get("/v1/plan?format=yaml")[1]["result"]
        self.assertIn("command: /bin/echo [ hello world ]", plan)

    def test_bad_layer_fails_startup(self):
        d = Daemon(layers={"001-base.yaml": "services:\n    s:\n        command: x\n"})
        self.addCleanup(d.cleanup)
        d.start(wait=False)
        self.assertEqual(d.wait_exit(timeout=10), 1)
        self.assertIn('error: cannot run daemon: layer "base" must define "override" for service "s"', d.log())

    def test_bad_layer_filename(self):
        d = Daemon(layers={"1-x.yaml": "{}"})
        self.addCleanup(d.cleanup)
        d.start(wait=False)
        self.assertEqual(d.wait_exit(timeout=10), 1)
        self.assertIn('invalid layer filename: "1-x.yaml" (must look like "123-some-label.yaml")', d.log())


if __name__ == "__main__":
    unittest.main()
