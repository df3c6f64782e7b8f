/* test-sdk-layer.c - layers as values: building, reading, Pebble's YAML out and in, equality,
 * the field checks, and agreement with scree's own layer parser and plan renderer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/charm.h"
#include "lib/errbuf.h"
#include "lib/test.h"
#include "scree/plan.h"

static struct cairn_layer *pause_layer(void)
{
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_layer_entry *s = cairn_layer_service(l, "pause");

	cairn_layer_set_summary(l, "pause layer");
	cairn_layer_set_description(l, "pebble config layer for google/pause");
	cairn_layer_set(s, "override", "replace", NULL);
	cairn_layer_set(s, "summary", "pause service", NULL);
	cairn_layer_set(s, "command", "/pause", NULL);
	cairn_layer_set(s, "startup", "enabled", NULL);
	cairn_layer_put(s, "environment", "TIMEOUT", "60", NULL);
	cairn_layer_put(s, "environment", "A", "yes", NULL);
	return l;
}

static void test_render(void)
{
	struct cairn_layer *l = pause_layer();
	char *y = cairn_layer_to_yaml(l);

	ASSERT_STREQ(y, "summary: pause layer\n"
			"description: pebble config layer for google/pause\n"
			"services:\n"
			"    pause:\n"
			"        summary: pause service\n"
			"        startup: enabled\n"
			"        override: replace\n"
			"        command: /pause\n"
			"        environment:\n"
			"            A: \"yes\"\n"
			"            TIMEOUT: \"60\"\n");
	free(y);
	cairn_layer_free(l);
}

static void test_roundtrip_and_equality(void)
{
	struct cairn_layer *l = pause_layer(), *back = NULL, *c;
	struct cairn_layer_entry *chk = cairn_layer_check(l, "up");
	struct cairn_layer_entry *t = cairn_layer_add(l, CAIRN_LAYER_LOG_TARGETS, "loki");
	struct cairn_error err;
	char *y;

	ASSERT_EQ(cairn_layer_set(chk, "override", "merge", &err), 0);
	ASSERT_EQ(cairn_layer_set(chk, "level", "ready", &err), 0);
	ASSERT_EQ(cairn_layer_set(chk, "period", "30s", &err), 0);
	ASSERT_EQ(cairn_layer_set_int(chk, "threshold", 5, &err), 0);
	ASSERT_EQ(cairn_layer_set(chk, "http.url", "http://localhost:8080/health", &err), 0);
	ASSERT_EQ(cairn_layer_put(chk, "http.headers", "X-Probe", "1", &err), 0);
	ASSERT_EQ(cairn_layer_set(t, "override", "replace", &err), 0);
	ASSERT_EQ(cairn_layer_set(t, "type", "loki", &err), 0);
	ASSERT_EQ(cairn_layer_set(t, "location", "http://loki:3100", &err), 0);
	ASSERT_EQ(cairn_layer_append(t, "services", "all", &err), 0);
	ASSERT_EQ(cairn_layer_append(t, "services", "-pause", &err), 0);
	ASSERT_EQ(cairn_layer_set_double(cairn_layer_service(l, "pause"), "backoff-factor", 1.5, &err), 0);
	y = cairn_layer_to_yaml(l);
	ASSERT_CONTAINS(y, "checks:\n    up:\n        override: merge\n        level: ready\n        period: 30s\n"
			   "        threshold: 5\n        http:\n            url: http://localhost:8080/health\n"
			   "            headers:\n                X-Probe: \"1\"\n");
	ASSERT_CONTAINS(y, "log-targets:\n    loki:\n        type: loki\n");
	ASSERT_EQ(cairn_layer_from_yaml(y, &back, &err), 0);
	ASSERT_TRUE(cairn_layer_equal(l, back));
	ASSERT_STREQ(cairn_layer_get(cairn_layer_find(back, CAIRN_LAYER_CHECKS, "up"), "threshold"), "5");
	ASSERT_STREQ(cairn_layer_get(cairn_layer_find(back, CAIRN_LAYER_SERVICES, "pause"), "backoff-factor"), "1.5");
	ASSERT_STREQ(cairn_layer_get_key(cairn_layer_find(back, CAIRN_LAYER_SERVICES, "pause"), "environment", "TIMEOUT"),
		     "60");
	ASSERT_STREQ(cairn_layer_get_at(cairn_layer_find(back, CAIRN_LAYER_LOG_TARGETS, "loki"), "services", 1), "-pause");
	c = cairn_layer_copy(back);
	ASSERT_TRUE(cairn_layer_equal(c, back));
	cairn_layer_put(cairn_layer_service(c, "pause"), "environment", "TIMEOUT", "61", NULL);
	ASSERT_TRUE(!cairn_layer_equal(c, back));
	ASSERT_TRUE(!cairn_layer_entry_equal(cairn_layer_find(c, CAIRN_LAYER_SERVICES, "pause"),
					    cairn_layer_find(back, CAIRN_LAYER_SERVICES, "pause")));
	ASSERT_EQ(cairn_layer_unset(cairn_layer_service(c, "pause"), "environment", NULL), 0);
	ASSERT_EQ(cairn_layer_unset(cairn_layer_service(c, "pause"), "environment", NULL), -ENOENT);
	ASSERT_EQ(cairn_layer_count(c, CAIRN_LAYER_SERVICES), 1);
	ASSERT_STREQ(cairn_layer_entry_name(cairn_layer_at(c, CAIRN_LAYER_SERVICES, 0)), "pause");
	ASSERT_TRUE(cairn_layer_at(c, CAIRN_LAYER_SERVICES, 1) == NULL);
	ASSERT_EQ(cairn_layer_remove(c, CAIRN_LAYER_SERVICES, "pause"), 0);
	ASSERT_EQ(cairn_layer_remove(c, CAIRN_LAYER_SERVICES, "pause"), -ENOENT);
	ASSERT_EQ(cairn_layer_count(c, CAIRN_LAYER_SERVICES), 0);
	cairn_layer_free(c);
	cairn_layer_free(back);
	cairn_layer_free(l);
	free(y);
}

static void test_entries_sorted(void)
{
	struct cairn_layer *l = cairn_layer_new();

	cairn_layer_service(l, "zeta");
	cairn_layer_service(l, "alpha");
	cairn_layer_service(l, "mid");
	ASSERT_TRUE(cairn_layer_service(l, "mid") == cairn_layer_find(l, CAIRN_LAYER_SERVICES, "mid"));
	ASSERT_STREQ(cairn_layer_entry_name(cairn_layer_at(l, CAIRN_LAYER_SERVICES, 0)), "alpha");
	ASSERT_STREQ(cairn_layer_entry_name(cairn_layer_at(l, CAIRN_LAYER_SERVICES, 2)), "zeta");
	ASSERT_TRUE(cairn_layer_add(l, CAIRN_LAYER_SERVICES, "") == NULL);
	ASSERT_TRUE(cairn_layer_add(l, _CAIRN_LAYER_SECTION_MAX, "x") == NULL);
	cairn_layer_free(l);
}

static void test_field_errors(void)
{
	struct cairn_layer *l = cairn_layer_new();
	struct cairn_layer_entry *s = cairn_layer_service(l, "svc"), *c = cairn_layer_check(l, "c");
	struct cairn_error err;

	ASSERT_EQ(cairn_layer_set(s, "comand", "x", &err), -EINVAL);
	ASSERT_STREQ(err.message, "unknown service field \"comand\"");
	ASSERT_EQ(cairn_layer_set(s, "startup", "on", &err), -EINVAL);
	ASSERT_STREQ(err.message, "invalid service startup \"on\" (want enabled or disabled)");
	ASSERT_EQ(cairn_layer_set(s, "on-failure", "failure-shutdown", &err), -EINVAL);
	ASSERT_EQ(cairn_layer_set(s, "kill-delay", "5 seconds", &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "invalid duration");
	ASSERT_EQ(cairn_layer_set(s, "environment", "x", &err), -EINVAL);
	ASSERT_STREQ(err.message, "service field \"environment\" is set with cairn_layer_put");
	ASSERT_EQ(cairn_layer_set(s, "user-id", "1000", &err), -EINVAL);
	ASSERT_EQ(cairn_layer_set_int(s, "command", 3, &err), -EINVAL);
	ASSERT_EQ(cairn_layer_append(s, "after", "", &err), -EINVAL);
	ASSERT_EQ(cairn_layer_put(s, "on-check-failure", "c", "explode", &err), -EINVAL);
	ASSERT_EQ(cairn_layer_put(s, "on-check-failure", "c", "restart", &err), 0);
	ASSERT_EQ(cairn_layer_set(c, "command", "x", &err), -EINVAL); /* a service field */
	ASSERT_STREQ(err.message, "unknown check field \"command\"");
	ASSERT_EQ(cairn_layer_set(c, "exec.command", "true", &err), 0);
	ASSERT_EQ(cairn_layer_set_int(c, "tcp.port", 80, &err), 0);
	ASSERT_EQ(cairn_layer_set(NULL, "x", "y", &err), -EINVAL);
	cairn_layer_free(l);
}

static void test_yaml_errors(void)
{
	struct cairn_layer *l = NULL;
	struct cairn_error err;

	ASSERT_EQ(cairn_layer_from_yaml("services:\n  a: [\n", &l, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "cannot parse layer: yaml: line");
	ASSERT_EQ(cairn_layer_from_yaml("servics: {}\n", &l, &err), -EINVAL);
	ASSERT_STREQ(err.message, "cannot parse layer: unknown section \"servics\"");
	ASSERT_EQ(cairn_layer_from_yaml("services:\n  a:\n    nope: 1\n", &l, &err), -EINVAL);
	ASSERT_STREQ(err.message, "service \"a\": unknown field \"nope\"");
	ASSERT_EQ(cairn_layer_from_yaml("services:\n  a:\n    after: x\n", &l, &err), -EINVAL);
	ASSERT_STREQ(err.message, "service \"a\": field \"after\" has the wrong type");
	ASSERT_EQ(cairn_layer_from_yaml("services:\n  a:\n    user-id: one\n", &l, &err), -EINVAL);
	ASSERT_EQ(cairn_layer_from_yaml("services:\n  a:\n", &l, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "service object cannot be null for service \"a\"");
	ASSERT_EQ(cairn_layer_from_yaml("checks:\n  c:\n    http: 3\n", &l, &err), -EINVAL);
	ASSERT_EQ(cairn_layer_from_yaml("- a\n", &l, &err), -EINVAL);
	/* Sections Pebble renders that the value does not model are skipped; an empty plan is fine. */
	ASSERT_EQ(cairn_layer_from_yaml("workloads:\n  w: {override: merge}\n", &l, &err), 0);
	cairn_layer_free(l);
	ASSERT_EQ(cairn_layer_from_yaml("{}\n", &l, &err), 0);
	ASSERT_EQ(cairn_layer_count(l, CAIRN_LAYER_SERVICES), 0);
	cairn_layer_free(l);
}

/* What we render, scree parses; what scree renders as a plan, we read back. */
static void test_agrees_with_scree(void)
{
	struct cairn_layer *l = pause_layer(), *back = NULL;
	struct cairn_layer_entry *c = cairn_layer_check(l, "alive");
	struct plan_layer *pl = NULL;
	struct plan *p = NULL;
	struct errbuf eb;
	struct buf out = BUF_INIT;
	struct cairn_error err;
	char *y;

	cairn_layer_set(c, "override", "replace", NULL);
	cairn_layer_set(c, "exec.command", "true", NULL);
	cairn_layer_put(c, "exec.environment", "X", "1", NULL);
	cairn_layer_set(cairn_layer_service(l, "pause"), "command", "/pause --x=\"a b\" [ --port 80 ]", NULL);
	cairn_layer_put(cairn_layer_service(l, "pause"), "environment", "EMPTY", "", NULL);
	cairn_layer_put(cairn_layer_service(l, "pause"), "environment", "BOOLISH", "true", NULL);
	y = cairn_layer_to_yaml(l);
	errbuf_clear(&eb);
	ASSERT_EQ(plan_layer_parse("pause", 1000, y, strlen(y), &pl, &eb), 0);
	ASSERT_EQ(plan_from_layers(&pl, 1, &p, &eb), 0);
	buf_init(&out);
	plan_render_yaml(p, &out);
	ASSERT_EQ(cairn_layer_from_yaml(out.data, &back, &err), 0);
	/* The plan carries the service as given, and the check with its threshold default. */
	ASSERT_TRUE(cairn_layer_entry_equal(cairn_layer_find(back, CAIRN_LAYER_SERVICES, "pause"),
					    cairn_layer_find(l, CAIRN_LAYER_SERVICES, "pause")));
	ASSERT_STREQ(cairn_layer_get(cairn_layer_find(back, CAIRN_LAYER_CHECKS, "alive"), "threshold"), "3");
	ASSERT_STREQ(cairn_layer_get_key(cairn_layer_find(back, CAIRN_LAYER_SERVICES, "pause"), "environment", "BOOLISH"),
		     "true");
	cairn_layer_free(back);
	buf_done(&out);
	plan_free(p);
	plan_layer_free(pl);
	cairn_layer_free(l);
	free(y);
}

static void test_summary_description_and_names(void)
{
	struct cairn_layer *l = cairn_layer_new(), *back = NULL;
	struct cairn_error err;
	char *y;

	ASSERT_TRUE(cairn_layer_summary(l) == NULL);
	ASSERT_TRUE(cairn_layer_description(l) == NULL);
	ASSERT_EQ(cairn_layer_set_summary(l, "web layer"), 0);
	ASSERT_EQ(cairn_layer_set_description(l, "what the charm runs"), 0);
	ASSERT_STREQ(cairn_layer_summary(l), "web layer");
	ASSERT_STREQ(cairn_layer_description(l), "what the charm runs");
	y = cairn_layer_to_yaml(l);
	ASSERT_EQ(cairn_layer_from_yaml(y, &back, &err), 0);
	ASSERT_STREQ(cairn_layer_summary(back), "web layer");
	ASSERT_STREQ(cairn_layer_description(back), "what the charm runs");
	ASSERT_TRUE(cairn_layer_equal(l, back));
	ASSERT_EQ(cairn_layer_set_summary(back, "other"), 0);
	ASSERT_TRUE(!cairn_layer_equal(l, back));
	free(y);
	cairn_layer_free(back);
	cairn_layer_free(l);
	/* The names of the Pebble enums, as Pebble spells them. */
	ASSERT_STREQ(cairn_service_status_name(CAIRN_SERVICE_INACTIVE), "inactive");
	ASSERT_STREQ(cairn_service_status_name(CAIRN_SERVICE_ACTIVE), "active");
	ASSERT_STREQ(cairn_service_status_name(CAIRN_SERVICE_BACKOFF), "backoff");
	ASSERT_STREQ(cairn_service_status_name(CAIRN_SERVICE_ERROR), "error");
	ASSERT_STREQ(cairn_service_status_name(CAIRN_SERVICE_UNKNOWN), "unknown");
	ASSERT_STREQ(cairn_check_status_name(CAIRN_CHECK_UP), "up");
	ASSERT_STREQ(cairn_check_status_name(CAIRN_CHECK_DOWN), "down");
	ASSERT_STREQ(cairn_check_status_name(CAIRN_CHECK_INACTIVE), "inactive");
	ASSERT_STREQ(cairn_check_status_name(CAIRN_CHECK_UNKNOWN), "unknown");
	ASSERT_TRUE(cairn_service_status_name(_CAIRN_SERVICE_STATUS_MAX) != NULL);
	ASSERT_TRUE(cairn_check_status_name(_CAIRN_CHECK_STATUS_MAX) != NULL);
}

int main(void)
{
	RUN(test_render);
	RUN(test_roundtrip_and_equality);
	RUN(test_entries_sorted);
	RUN(test_field_errors);
	RUN(test_yaml_errors);
	RUN(test_agrees_with_scree);
	RUN(test_summary_description_and_names);
	return test_summary();
}
