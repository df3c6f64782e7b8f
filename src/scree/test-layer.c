/* test-layer.c - layer decoding and every per-layer validation message (§2, §5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/plan.h"

/* Parses text as layer "layer-0"; returns the error text or NULL on success. */
static const char *perr(const char *yaml)
{
	static struct errbuf eb; /* test-local scratch, read right after the call */
	struct plan_layer *l = NULL;

	if (plan_layer_parse("layer-0", 0, yaml, strlen(yaml), &l, &eb) == 0) {
		plan_layer_free(l);
		return NULL;
	}
	return eb.msg;
}

static struct plan_layer *parse_ok(const char *yaml)
{
	struct plan_layer *l = NULL;
	struct errbuf eb;

	if (plan_layer_parse("layer-0", 0, yaml, strlen(yaml), &l, &eb) < 0) {
		printf("unexpected error: %s\n", eb.msg);
		return NULL;
	}
	return l;
}

static void test_full_service(void)
{
	struct plan_layer *l = parse_ok(
		"summary: Simple layer\n"
		"description: A simple layer.\n"
		"services:\n"
		"    srv1:\n"
		"        override: replace\n"
		"        summary: Service summary\n"
		"        command: cmd arg1 \"arg2 arg3\"\n"
		"        kill-delay: 10s\n"
		"        startup: enabled\n"
		"        after: [srv2]\n"
		"        before:\n"
		"            - srv3\n"
		"        requires: [srv2, srv3]\n"
		"        environment:\n"
		"            var1: val1\n"
		"            var0: 1.50\n"
		"            nul:\n"
		"        user-id: 10\n"
		"        user: bob\n"
		"        group-id: 0x14\n"
		"        group: staff\n"
		"        working-dir: /w\n"
		"        on-success: ignore\n"
		"        on-failure: shutdown\n"
		"        on-check-failure: {chk1: restart}\n"
		"        backoff-delay: 1s\n"
		"        backoff-factor: 1.5\n"
		"        backoff-limit: 1m30s\n"
		"        workload: wl\n");
	const struct plan_service *s;

	ASSERT_TRUE(l != NULL);
	ASSERT_STREQ(l->summary, "Simple layer");
	ASSERT_EQ(l->s.n_services, 1);
	s = l->s.services[0];
	ASSERT_STREQ(s->name, "srv1");
	ASSERT_EQ(s->override, PLAN_OVERRIDE_REPLACE);
	ASSERT_STREQ(s->command, "cmd arg1 \"arg2 arg3\"");
	ASSERT_TRUE(s->kill_delay.set);
	ASSERT_EQ(s->kill_delay.ns, 10000000000LL);
	ASSERT_STREQ(s->startup, "enabled");
	ASSERT_EQ(s->after.n, 1);
	ASSERT_EQ(s->requires.n, 2);
	ASSERT_STREQ(s->requires.v[1], "srv3");
	/* Scalars keep their text: 1.50 stays "1.50"; null becomes "". */
	ASSERT_STREQ(plan_strmap_get(&s->environment, "var0"), "1.50");
	ASSERT_STREQ(plan_strmap_get(&s->environment, "nul"), "");
	ASSERT_TRUE(s->user_id.set);
	ASSERT_EQ(s->user_id.v, 10);
	ASSERT_EQ(s->group_id.v, 20);
	ASSERT_EQ(s->on_success, PLAN_ACTION_IGNORE);
	ASSERT_EQ(s->on_failure, PLAN_ACTION_SHUTDOWN);
	ASSERT_EQ(plan_service_on_check_failure(s, "chk1"), PLAN_ACTION_RESTART);
	ASSERT_TRUE(s->backoff_factor.set);
	ASSERT_TRUE(s->backoff_factor.v == 1.5);
	ASSERT_EQ(s->backoff_limit.ns, 90000000000LL);
	ASSERT_STREQ(s->workload, "wl");
	plan_layer_free(l);
}

static void test_scalars_into_strings(void)
{
	struct plan_layer *l = parse_ok("services:\n"
					"  a:\n"
					"    override: replace\n"
					"    command: 123\n"
					"    summary: true\n"
					"    description: ''\n");

	ASSERT_TRUE(l != NULL);
	ASSERT_STREQ(l->s.services[0]->command, "123");
	ASSERT_STREQ(l->s.services[0]->summary, "true");
	ASSERT_TRUE(l->s.services[0]->description == NULL); /* "" means unset */
	plan_layer_free(l);
}

static void test_checks_and_targets(void)
{
	struct plan_layer *l = parse_ok("checks:\n"
					"  chk-http:\n"
					"    override: replace\n"
					"    level: alive\n"
					"    period: 20s\n"
					"    timeout: 500ms\n"
					"    threshold: 7\n"
					"    http:\n"
					"      url: https://example.com/foo\n"
					"      headers: {Foo: bar}\n"
					"  chk-tcp:\n"
					"    override: merge\n"
					"    level: ready\n"
					"    startup: disabled\n"
					"    tcp: {port: 7777, host: somehost}\n"
					"  chk-exec:\n"
					"    override: replace\n"
					"    exec:\n"
					"      command: sleep 1\n"
					"      service-context: svc\n"
					"      environment: {FOO: bar}\n"
					"      working-dir: /root\n"
					"log-targets:\n"
					"  lt:\n"
					"    override: merge\n"
					"    type: loki\n"
					"    location: http://x\n"
					"    services: [all, -b]\n"
					"    labels: {env: prod}\n");
	const struct plan_check *c;

	ASSERT_TRUE(l != NULL);
	ASSERT_EQ(l->s.n_checks, 3);
	c = plan_find_check(&l->s, "chk-http");
	ASSERT_EQ(c->level, PLAN_LEVEL_ALIVE);
	ASSERT_EQ(c->threshold, 7);
	ASSERT_STREQ(c->http->url, "https://example.com/foo");
	ASSERT_STREQ(plan_strmap_get(&c->http->headers, "Foo"), "bar");
	c = plan_find_check(&l->s, "chk-tcp");
	ASSERT_EQ(c->tcp->port, 7777);
	ASSERT_EQ(c->startup, PLAN_CHECK_STARTUP_DISABLED);
	ASSERT_TRUE(!plan_check_startup_enabled(c));
	c = plan_find_check(&l->s, "chk-exec");
	ASSERT_STREQ(c->exec->service_context, "svc");
	ASSERT_EQ(l->s.n_log_targets, 1);
	ASSERT_EQ(l->s.log_targets[0]->services.n, 2);
	plan_layer_free(l);
}

static void test_extensions(void)
{
	struct plan_layer *l = parse_ok("workloads:\n"
					"  wl:\n"
					"    override: replace\n"
					"    environment: {A: b}\n"
					"    user-id: 0\n"
					"pairing:\n"
					"  mode: single\n");

	ASSERT_TRUE(l != NULL);
	ASSERT_EQ(l->s.n_workloads, 1);
	ASSERT_TRUE(l->s.workloads[0]->user_id.set);
	ASSERT_STREQ(l->s.pairing->mode, "single");
	plan_layer_free(l);
	ASSERT_STREQ(perr("workloads:\n  wl:\n"), "workload \"wl\": cannot have a null value");
	ASSERT_STREQ(perr("workloads:\n  wl:\n    bogus: 1\n"),
		     "cannot parse the \"workloads\" section: yaml: unmarshal errors:\n"
		     "  line 2: field bogus not found in type workloads.Workload");
	ASSERT_STREQ(perr("pairing:\n  mode: sometimes\n"),
		     "invalid pairing mode \"sometimes\": should be \"disabled\", \"single\" or \"multiple\"");
	ASSERT_STREQ(perr("pairing:\n  modes: x\n"),
		     "cannot parse the pairing section: yaml: unmarshal errors:\n"
		     "  line 1: field modes not found in type pairingstate.PairingConfig");
}

static void test_top_level_errors(void)
{
	ASSERT_STREQ(perr("foo: 1\n"), "cannot parse layer \"layer-0\": unknown section \"foo\"");
	ASSERT_STREQ(perr("- a\n"), "cannot parse layer \"layer-0\": yaml: unmarshal errors:\n"
				    "  line 1: cannot unmarshal !!seq into map[string]yaml.Node");
	ASSERT_STREQ(perr("just text\n"),
		     "cannot parse layer \"layer-0\": yaml: unmarshal errors:\n"
		     "  line 1: cannot unmarshal !!str `just text` into map[string]yaml.Node");
	ASSERT_STREQ(perr("summary: a\nsummary: b\n"),
		     "cannot parse layer \"layer-0\": yaml: unmarshal errors:\n"
		     "  line 2: mapping key \"summary\" already defined at line 1");
	ASSERT_STREQ(perr("summary: [a]\n"),
		     "cannot parse layer \"layer-0\" section \"summary\": yaml: unmarshal errors:\n"
		     "  line 1: cannot unmarshal !!seq into string");
	/* Empty documents are empty layers. */
	ASSERT_TRUE(perr("") == NULL);
	ASSERT_TRUE(perr("# only a comment\n") == NULL);
	ASSERT_TRUE(perr("~\n") == NULL);
}

static void test_yaml_errors(void)
{
	ASSERT_STREQ(perr("services:\n\ta: 1\n"),
		     "cannot parse layer \"layer-0\": yaml: line 2: found character that cannot start any token");
	ASSERT_STREQ(perr("services: {a: {command: 'x}}"),
		     "cannot parse layer \"layer-0\": yaml: found unexpected end of stream");
	ASSERT_STREQ(perr("a: b: c\n"),
		     "cannot parse layer \"layer-0\": yaml: mapping values are not allowed in this context");
	ASSERT_STREQ(perr("services:\n  a:\n    command: \"x\n"),
		     "cannot parse layer \"layer-0\": yaml: line 3: found unexpected end of stream");
	ASSERT_STREQ(perr("services: *nope\n"),
		     "cannot parse layer \"layer-0\": yaml: unknown anchor 'nope' referenced");
}

static void test_section_type_errors(void)
{
	ASSERT_STREQ(perr("services:\n"
			  "  a:\n"
			  "    override: replace\n"
			  "    command: x\n"
			  "    bogus: 1\n"
			  "    user-id: abc\n"
			  "    after: foo\n"
			  "    environment: [1]\n"),
		     "cannot parse layer \"layer-0\" section \"services\": yaml: unmarshal errors:\n"
		     "  line 4: field bogus not found in type plan.Service\n"
		     "  line 5: cannot unmarshal !!str `abc` into int\n"
		     "  line 6: cannot unmarshal !!str `foo` into []string\n"
		     "  line 7: cannot unmarshal !!seq into map[string]string");
	ASSERT_STREQ(perr("services: 3\n"),
		     "cannot parse layer \"layer-0\" section \"services\": yaml: unmarshal errors:\n"
		     "  line 1: cannot unmarshal !!int `3` into map[string]*plan.Service");
	ASSERT_STREQ(perr("services: [a, b]\n"),
		     "cannot parse layer \"layer-0\" section \"services\": yaml: unmarshal errors:\n"
		     "  line 1: cannot unmarshal !!seq into map[string]*plan.Service");
	ASSERT_STREQ(perr("services:\n  a: a-very-long-scalar\n"),
		     "cannot parse layer \"layer-0\" section \"services\": yaml: unmarshal errors:\n"
		     "  line 1: cannot unmarshal !!str `a-very-...` into plan.Service");
	ASSERT_STREQ(perr("checks:\n  c:\n    override: replace\n    http: {url: x, method: GET}\n"),
		     "cannot parse layer \"layer-0\" section \"checks\": yaml: unmarshal errors:\n"
		     "  line 3: field method not found in type plan.HTTPCheck");
	ASSERT_STREQ(perr("checks:\n  c:\n    threshold: \"3\"\n"),
		     "cannot parse layer \"layer-0\" section \"checks\": yaml: unmarshal errors:\n"
		     "  line 2: cannot unmarshal !!str `3` into int");
	ASSERT_STREQ(perr("log-targets:\n  t:\n    name: x\n"),
		     "cannot parse layer \"layer-0\" section \"log-targets\": yaml: unmarshal errors:\n"
		     "  line 2: field name not found in type plan.LogTarget");
	ASSERT_STREQ(perr("services:\n  a:\n    command: x\n    command: y\n"),
		     "cannot parse layer \"layer-0\" section \"services\": yaml: unmarshal errors:\n"
		     "  line 3: mapping key \"command\" already defined at line 2");
}

static void test_duration_and_float_errors(void)
{
	ASSERT_STREQ(perr("services:\n  a:\n    backoff-delay: foo\n"),
		     "cannot parse layer \"layer-0\" section \"services\": invalid duration \"foo\"");
	ASSERT_STREQ(perr("services:\n  a:\n    backoff-delay: 5\n"),
		     "cannot parse layer \"layer-0\" section \"services\": invalid duration \"5\"");
	ASSERT_STREQ(perr("services:\n  a:\n    kill-delay: [1s]\n"),
		     "cannot parse layer \"layer-0\" section \"services\": duration must be a YAML string");
	ASSERT_STREQ(perr("services:\n  a:\n    backoff-factor: foo\n"),
		     "cannot parse layer \"layer-0\" section \"services\": invalid floating-point number \"foo\"");
	ASSERT_STREQ(perr("services:\n  a:\n    backoff-factor: {a: 1}\n"),
		     "cannot parse layer \"layer-0\" section \"services\": value must be a YAML number");
	ASSERT_STREQ(perr("checks:\n  c:\n    period: 1x\n"),
		     "cannot parse layer \"layer-0\" section \"checks\": invalid duration \"1x\"");
}

static void test_service_validation(void)
{
	ASSERT_STREQ(perr("services:\n  '':\n    override: replace\n    command: cmd\n"),
		     "cannot use empty string as service name");
	ASSERT_STREQ(perr("services:\n  pebble:\n    command: cmd\n"),
		     "cannot use reserved service name \"pebble\"");
	ASSERT_STREQ(perr("services:\n  -x:\n    command: cmd\n"),
		     "cannot use service name \"-x\": starting with \"-\" not allowed");
	ASSERT_STREQ(perr("services:\n  svc1: ~\n"), "service object cannot be null for service \"svc1\"");
	ASSERT_STREQ(perr("services:\n  svc1:\n    override: replace\n    command: foo '\n"),
		     "plan service \"svc1\" command invalid: cannot parse service \"svc1\" command: "
		     "EOF found when expecting closing quote");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd -v [ --foo ] bar\n"),
		     "plan service \"svc1\" command invalid: cannot parse service \"svc1\" command: "
		     "cannot have any arguments after [ ... ] group");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd -v ] foo\n"),
		     "plan service \"svc1\" command invalid: cannot parse service \"svc1\" command: "
		     "cannot have ] outside of [ ... ] group");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd -v [ foo [ --bar ] ]\n"),
		     "plan service \"svc1\" command invalid: cannot parse service \"svc1\" command: "
		     "cannot nest [ ... ] groups");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: '[ x ]'\n"),
		     "plan service \"svc1\" command invalid: cannot parse service \"svc1\" command: "
		     "cannot start command with [ ... ] group");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd\n    on-success: foo\n"),
		     "plan service \"svc1\" on-success action \"foo\" invalid");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd\n    on-success: success-shutdown\n"),
		     "plan service \"svc1\" on-success action \"success-shutdown\" invalid");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd\n    on-failure: failure-shutdown\n"),
		     "plan service \"svc1\" on-failure action \"failure-shutdown\" invalid");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd\n    on-check-failure: {t: failure-shutdown}\n"),
		     "plan service \"svc1\" on-check-failure action \"failure-shutdown\" invalid");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd\n    backoff-factor: 0\n"),
		     "plan service \"svc1\" backoff-factor must be 1.0 or greater, not 0");
	ASSERT_STREQ(perr("services:\n  svc1:\n    command: cmd\n    backoff-factor: 0.5\n"),
		     "plan service \"svc1\" backoff-factor must be 1.0 or greater, not 0.5");
	/* Validation order inside one service: the command is checked before the actions. */
	ASSERT_STREQ(perr("services:\n  svc1:\n    on-success: foo\n    command: \"x\n"),
		     "cannot parse layer \"layer-0\": yaml: line 4: found unexpected end of stream");
	ASSERT_STREQ(perr("services:\n  svc1:\n    on-success: foo\n    command: cmd ]\n"),
		     "plan service \"svc1\" command invalid: cannot parse service \"svc1\" command: "
		     "cannot have ] outside of [ ... ] group");
	/* Deprecated names merely log. */
	ASSERT_TRUE(perr("services:\n  all:\n    command: x\n") == NULL);
}

static void test_check_validation(void)
{
	ASSERT_STREQ(perr("checks:\n  '':\n    override: replace\n"), "cannot use empty string as check name");
	ASSERT_STREQ(perr("checks:\n  c: ~\n"), "check object cannot be null for check \"c\"");
	ASSERT_STREQ(perr("checks:\n  c:\n    level: high\n"),
		     "plan check \"c\" level must be \"alive\" or \"ready\"");
	ASSERT_STREQ(perr("checks:\n  c:\n    startup: maybe\n"),
		     "plan check \"c\" startup must be \"enabled\" or \"disabled\"");
	ASSERT_STREQ(perr("checks:\n  c:\n    period: 0s\n"), "plan check \"c\" period must not be zero");
	ASSERT_STREQ(perr("checks:\n  c:\n    timeout: '0'\n"), "plan check \"c\" timeout must not be zero");
	ASSERT_STREQ(perr("checks:\n  c:\n    exec:\n      command: echo 'x\n"),
		     "plan check \"c\" command invalid: EOF found when expecting closing quote");
	ASSERT_STREQ(perr("checks:\n  c:\n    exec:\n      command: x\n      user: no-such-user-cairn\n"),
		     "plan check \"c\" has invalid user/group: user: unknown user no-such-user-cairn");
	ASSERT_STREQ(perr("checks:\n  c:\n    exec:\n      command: x\n      group: no-such-group-cairn\n"),
		     "plan check \"c\" has invalid user/group: group: unknown group no-such-group-cairn");
	ASSERT_STREQ(perr("checks:\n  c:\n    exec:\n      command: x\n      group-id: 0\n"),
		     "plan check \"c\" has invalid user/group: must specify user, not just group");
	ASSERT_STREQ(perr("checks:\n  c:\n    exec:\n      command: x\n      user: root\n      user-id: 1\n"),
		     "plan check \"c\" has invalid user/group: user \"root\" UID (0) does not match user-id (1)");
	ASSERT_TRUE(perr("checks:\n  c:\n    exec:\n      command: x\n      user: root\n") == NULL);
}

static void test_log_target_validation(void)
{
	ASSERT_STREQ(perr("log-targets:\n  t: ~\n"), "log target object cannot be null for log target \"t\"");
	ASSERT_STREQ(perr("log-targets:\n  t:\n    labels: {pebble_x: y}\n"),
		     "log target \"t\": label \"pebble_x\" uses reserved prefix \"pebble_\"");
	ASSERT_STREQ(perr("log-targets:\n  t:\n    type: splunk\n"),
		     "log target \"t\" has unsupported type \"splunk\", must be \"loki\", \"opentelemetry\" or \"syslog\"");
	ASSERT_TRUE(perr("log-targets:\n  t:\n    type: opentelemetry\n") == NULL);
}

static void test_reserved_label(void)
{
	struct plan_layer *l = NULL;
	struct errbuf eb;

	ASSERT_EQ(plan_layer_parse("pebble-foo", 0, "summary: x\n", 11, &l, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "cannot use reserved label prefix \"pebble-\"");
}

static void test_aliases(void)
{
	struct plan_layer *l;

	/* Unknown top-level keys are refused even if only used as anchors. */
	ASSERT_STREQ(perr("x-env: &env {A: '1'}\nservices: {}\n"),
		     "cannot parse layer \"layer-0\": unknown section \"x-env\"");
	l = parse_ok("services:\n"
		     "  a: &base\n"
		     "    override: replace\n"
		     "    command: x\n"
		     "    environment: &env {A: '1'}\n"
		     "  b:\n"
		     "    <<: *base\n"
		     "    command: y\n"
		     "    environment: *env\n");
	ASSERT_TRUE(l != NULL);
	ASSERT_STREQ(plan_find_service(&l->s, "b")->command, "y");
	ASSERT_EQ(plan_find_service(&l->s, "b")->override, PLAN_OVERRIDE_REPLACE);
	ASSERT_STREQ(plan_strmap_get(&plan_find_service(&l->s, "b")->environment, "A"), "1");
	plan_layer_free(l);
}

/* Malformed inputs must give clean errors, never crash. */
static void test_robustness(void)
{
	static const char *const bad[] = {
		"\t",
		"services:\n  a:\n\t command: x\n",
		"'unterminated",
		"\"unterminated",
		"services: {a: [}",
		"services:\n  a:\n    command: [x, {y: z}]\n",
		"services:\n  a: [1, 2]\n",
		"services:\n  a: 'str'\n",
		"checks: [1]\n",
		"checks:\n  c:\n    http: 5\n",
		"checks:\n  c:\n    tcp: [1]\n",
		"checks:\n  c:\n    exec: {environment: 5}\n",
		"log-targets: 7\n",
		"log-targets:\n  t:\n    services: {a: b}\n",
		"services:\n  ? [complex, key]\n  : {command: x}\n",
		"a: &a [*a]\n",
		"%YAML 9.9\n---\nx: 1\n",
		"services:\n  a:\n    environment: {? [k] : v}\n",
		"\xff\xfe garbage",
		"services:\n  a:\n    command: \"\\0\"\n",
	};
	size_t i;
	struct buf deep = BUF_INIT;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *e = perr(bad[i]);

		if (!e || !*e) {
			printf("no error for input %zu\n", i);
			test_cur_failed = 1;
		}
	}
	/* Deeply nested flow and block structures. */
	for (i = 0; i < 500; i++)
		buf_addc(&deep, '[');
	ASSERT_CONTAINS(perr(buf_str(&deep)), "cannot parse layer \"layer-0\": yaml:");
	buf_reset(&deep);
	buf_adds(&deep, "services:\n");
	for (i = 0; i < 100; i++) {
		int j;

		for (j = 0; j < (int)i + 1; j++)
			buf_adds(&deep, "  ");
		buf_addf(&deep, "k%zu:\n", i);
	}
	ASSERT_CONTAINS(perr(buf_str(&deep)), "exceeded max depth");
	/* Billion laughs: refused by the alias budget, quickly. */
	buf_reset(&deep);
	buf_adds(&deep, "services:\n  a:\n    override: replace\n    command: x\n    after: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (i = 1; i < 9; i++)
		buf_addf(&deep, "    x%zu: &l%zu [*l%zu, *l%zu, *l%zu, *l%zu, *l%zu, *l%zu, *l%zu, *l%zu, *l%zu, *l%zu]\n",
			 i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	ASSERT_TRUE(perr(buf_str(&deep)) != NULL);
	buf_done(&deep);
}

int main(void)
{
	RUN(test_full_service);
	RUN(test_scalars_into_strings);
	RUN(test_checks_and_targets);
	RUN(test_extensions);
	RUN(test_top_level_errors);
	RUN(test_yaml_errors);
	RUN(test_section_type_errors);
	RUN(test_duration_and_float_errors);
	RUN(test_service_validation);
	RUN(test_check_validation);
	RUN(test_log_target_validation);
	RUN(test_reserved_label);
	RUN(test_aliases);
	RUN(test_robustness);
	return test_summary();
}
