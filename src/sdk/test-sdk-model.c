/* test-sdk-model.c - each model call through the harness's fake agent: config typed getters,
 * statuses and leadership, workload version, ports, relations and their databags, actions,
 * storage, stored state, logging - including the argv each call sends (charm-runtime.md
 * §3) and the errors it reports. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/charm.h"
#include "lib/buf.h"
#include "lib/test.h"
#include "sdk/framework.h"
#include "sdk/tools.h"

static const char *const META =
	"name: model\n"
	"requires:\n  db: {interface: pgsql}\n"
	"provides:\n  website: {interface: http}\n"
	"peers:\n  cluster: {interface: model}\n"
	"storage:\n  data: {type: filesystem}\n";
static const char *const CONFIG =
	"options:\n"
	"  name: {type: string, default: alpha}\n"
	"  port: {type: int, default: 8080}\n"
	"  ratio: {type: float, default: 0.5}\n"
	"  debug: {type: boolean, default: false}\n"
	"  unset: {type: string}\n";
static const char *const ACTIONS =
	"backup:\n  params:\n    level: {type: integer, default: 3}\n    target: {type: string}\n"
	"    fast: {type: boolean, default: true}\n    ratio: {type: number, default: 1.5}\n"
	"    opts:\n      type: object\n      properties:\n"
	"        depth: {type: integer, default: 2}\n        mode: {type: string}\n";

/* A test body runs as the handler of one event. */
typedef void (*body_fn)(struct cairn_event *ev);
static body_fn current;
static enum cairn_event_kind current_kind;
static const char *current_name;

static int run_body(struct cairn_event *ev, void *data)
{
	(void)data;
	current(ev);
	return 0;
}

static int setup(struct cairn_charm *ch, void *data)
{
	(void)data;
	return cairn_observe(ch, current_kind, current_name, "run_body", run_body, NULL, NULL);
}

static struct cairn_harness *harness(void)
{
	struct cairn_harness_opts o = { .metadata_yaml = META, .config_yaml = CONFIG, .actions_yaml = ACTIONS };
	struct cairn_harness *h = NULL;

	cairn_harness_new(&o, setup, NULL, &h, NULL);
	return h;
}

/* Runs body for a static event and returns the dispatch result. */
static int run(struct cairn_harness *h, enum cairn_event_kind kind, body_fn body)
{
	current = body;
	current_kind = kind;
	current_name = NULL;
	return cairn_harness_emit(h, kind, NULL, NULL);
}

static int failures;
#define CHECK(e)                                                                  \
	do {                                                                      \
		if (!(e)) {                                                       \
			printf("  check failed %s:%d: %s\n", __FILE__, __LINE__, #e); \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* ---- config ---- */

static void config_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_error err;
	const char *s = NULL;
	int64_t i = 0;
	double d = 0;
	bool b = true;

	CHECK(cairn_config_string(ch, "name", "def", &s, &err) == 0 && !strcmp(s, "beta"));
	CHECK(cairn_config_int(ch, "port", 0, &i, &err) == 0 && i == 8080);
	CHECK(cairn_config_double(ch, "ratio", 0, &d, &err) == 0 && d == 0.5);
	/* A double getter accepts an int. */
	CHECK(cairn_config_double(ch, "port", 0, &d, &err) == 0 && d == 8080.0);
	CHECK(cairn_config_bool(ch, "debug", true, &b, &err) == 0 && !b);
	/* Unset (no default) and unknown options give the default. */
	CHECK(cairn_config_string(ch, "unset", "dflt", &s, &err) == 0 && !strcmp(s, "dflt"));
	CHECK(cairn_config_int(ch, "nope", 7, &i, &err) == 0 && i == 7);
	/* Wrong types are errors. */
	CHECK(cairn_config_int(ch, "name", 0, &i, &err) == -EDOM && err.kind == CAIRN_ERR_TYPE &&
	      strstr(err.message, "config option: \"name\" is a string, not a int"));
	CHECK(cairn_config_bool(ch, "port", false, &b, &err) == -EDOM);
	CHECK(cairn_config_string(ch, "ratio", NULL, &s, &err) == -EDOM);
	/* The whole map, read once: the same borrowed map each time. */
	{
		const struct cairn_value *m = NULL, *m2 = NULL;

		CHECK(cairn_config(ch, &m, &err) == 0 && cairn_value_kind(m) == CAIRN_VALUE_MAP);
		CHECK(cairn_map_string(m, "name", NULL, &s, &err) == 0 && !strcmp(s, "beta"));
		CHECK(cairn_map_int(m, "port", 0, &i, &err) == 0 && i == 8080);
		CHECK(cairn_map_get(m, "unset") == NULL); /* config-get leaves out unset options */
		CHECK(cairn_config(ch, &m2, &err) == 0 && m2 == m);
	}
}

static void test_config(void)
{
	struct cairn_harness *h = harness();

	ASSERT_TRUE(h);
	failures = 0;
	cairn_harness_set_config(h, "name", cairn_value_string("beta"), NULL);
	ASSERT_EQ(cairn_harness_set_config(h, "nope", cairn_value_int(1), NULL), -ENOENT);
	ASSERT_EQ(run(h, CAIRN_EVENT_CONFIG_CHANGED, config_body), 0);
	ASSERT_EQ(failures, 0);
	/* config-get ran once for the whole dispatch, in the form ops uses. */
	ASSERT_STREQ(cairn_harness_tool_calls(h), "config-get --format=json\n");
	cairn_harness_free(h);
}

/* ---- status, leadership, version, logging ---- */

static void status_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;

	CHECK(cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, "ready", &err) == 0);
	CHECK(cairn_unit_get_status(ch, &st, &msg, &err) == 0 && st == CAIRN_STATUS_ACTIVE && !strcmp(msg, "ready"));
	CHECK(cairn_unit_set_status(ch, CAIRN_STATUS_ERROR, "x", &err) == -EINVAL && err.kind == CAIRN_ERR_INVALID);
	CHECK(cairn_unit_set_status(ch, CAIRN_STATUS_UNKNOWN, "x", &err) == -EINVAL);
	CHECK(cairn_is_leader(ch, &err) == 0);
	CHECK(cairn_app_set_status(ch, CAIRN_STATUS_BLOCKED, "no", &err) == -EIO && err.kind == CAIRN_ERR_MODEL &&
	      !strcmp(err.message, "unit is not the leader"));
	CHECK(cairn_app_get_status(ch, &st, &msg, &err) == -EIO);
	CHECK(cairn_set_workload_version(ch, "2.1.0", &err) == 0);
	CHECK(cairn_set_workload_version(ch, NULL, &err) == -EINVAL);
	cairn_log(ch, CAIRN_LOG_WARNING, "careful: %d", 42);
	cairn_log(ch, CAIRN_LOG_TRACE, "-- starts with dashes");
	CHECK(!strcmp(cairn_unit_name(ch), "model/0") && !strcmp(cairn_app_name(ch), "model") &&
	      !strcmp(cairn_charm_name(ch), "model") && !strcmp(cairn_model_name(ch), "harness") &&
	      !strcmp(cairn_juju_version(ch), "3.6.8") && !strcmp(cairn_dispatch_hook(ch), "start") &&
	      *cairn_model_uuid(ch) && *cairn_charm_dir(ch) == '/');
}

static void leader_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;

	CHECK(cairn_is_leader(ch, &err) == 1);
	CHECK(cairn_app_set_status(ch, CAIRN_STATUS_WAITING, "for peers", &err) == 0);
	CHECK(cairn_app_get_status(ch, &st, &msg, &err) == 0 && st == CAIRN_STATUS_WAITING &&
	      !strcmp(msg, "for peers"));
}

static void test_status_leadership_version_log(void)
{
	struct cairn_harness *h = harness();
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	failures = 0;
	ASSERT_EQ(run(h, CAIRN_EVENT_START, status_body), 0);
	ASSERT_EQ(failures, 0);
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "status-set --application=false active -- ready\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "status-get --include-data --format=json --application=false\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "is-leader --format=json\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "application-version-set -- 2.1.0\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "juju-log --log-level WARNING -- careful: 42\n");
	ASSERT_CONTAINS(cairn_harness_log(h), "TRACE -- starts with dashes\n");
	ASSERT_STREQ(cairn_harness_workload_version(h), "2.1.0");
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	cairn_harness_set_leader(h, true);
	ASSERT_EQ(run(h, CAIRN_EVENT_LEADER_ELECTED, leader_body), 0);
	ASSERT_EQ(failures, 0);
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "status-set --application=true waiting -- for peers\n");
	cairn_harness_app_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_WAITING);
	cairn_harness_free(h);
}

static void long_log_body(struct cairn_event *ev)
{
	size_t n = 131071 * 2 + 10;
	char *s = malloc(n + 1);

	memset(s, 'x', n);
	s[n] = '\0';
	cairn_log(cairn_event_charm(ev), CAIRN_LOG_INFO, "%s", s);
	free(s);
}

static void test_long_log_is_split(void)
{
	struct cairn_harness *h = harness();
	const char *calls;
	int n = 0;

	ASSERT_TRUE(h);
	ASSERT_EQ(run(h, CAIRN_EVENT_INSTALL, long_log_body), 0);
	for (calls = cairn_harness_tool_calls(h); (calls = strstr(calls, "juju-log")); calls++)
		n++;
	ASSERT_EQ(n, 3); /* 131071 + 131071 + 10 bytes */
	cairn_harness_free(h);
}

/* ---- ports ---- */

static void ports_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_error err;
	struct cairn_port *p = NULL;
	size_t n = 0;

	CHECK(cairn_open_port(ch, "tcp", 8080, &err) == 0);
	CHECK(cairn_open_port_range(ch, "udp", 8000, 8999, &err) == 0);
	CHECK(cairn_open_port(ch, "icmp", 0, &err) == 0);
	CHECK(cairn_open_port(ch, "sctp", 1, &err) == -EINVAL);
	CHECK(cairn_open_port(ch, "tcp", 0, &err) == -EINVAL);
	CHECK(cairn_open_port(ch, "tcp", 70000, &err) == -EINVAL);
	CHECK(cairn_open_port_range(ch, "tcp", 9, 8, &err) == -EINVAL);
	CHECK(cairn_open_port(ch, "icmp", 5, &err) == -EINVAL);
	CHECK(cairn_close_port(ch, "tcp", 8080, &err) == 0);
	CHECK(cairn_opened_ports(ch, &p, &n, &err) == 0 && n == 2);
	if (n == 2) {
		CHECK(!strcmp(p[0].protocol, "udp") && p[0].from == 8000 && p[0].to == 8999);
		CHECK(!strcmp(p[1].protocol, "icmp") && p[1].from == 0);
	}
	free(p);
	CHECK(cairn_close_port_range(ch, "udp", 8000, 8999, &err) == 0);
}

static void test_ports(void)
{
	struct cairn_harness *h = harness();
	const char *const *ports;

	ASSERT_TRUE(h);
	failures = 0;
	ASSERT_EQ(run(h, CAIRN_EVENT_START, ports_body), 0);
	ASSERT_EQ(failures, 0);
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "open-port 8080/tcp\nopen-port 8000-8999/udp\nopen-port icmp\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "opened-ports --format=json\n");
	ports = cairn_harness_opened_ports(h);
	ASSERT_STREQ(ports[0], "icmp");
	ASSERT_TRUE(ports[1] == NULL);
	cairn_harness_free(h);
}

/* ---- relations ---- */

static int rel_db, rel_web, rel_peer;

static void relations_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_relation *const *rels;
	struct cairn_relation *r = cairn_event_relation(ev), *other;
	const struct cairn_value *bag;
	const char *const *units;
	struct cairn_error err;
	const char *app, *v;
	size_t n = 0;

	CHECK(r && cairn_relation_id(r) == rel_db && !strcmp(cairn_relation_endpoint(r), "db"));
	CHECK(!strcmp(cairn_event_unit(ev), "pg/0") && !strcmp(cairn_event_app(ev), "pg"));
	CHECK(cairn_relations(ch, "db", &rels, &n, &err) == 0 && n == 1 && rels[0] == r);
	CHECK(cairn_relations(ch, "nope", &rels, &n, &err) == -ENOENT);
	CHECK(cairn_relation_units(r, &units, &n, &err) == 0 && n == 2 && !strcmp(units[0], "pg/0") &&
	      !strcmp(units[1], "pg/1") && units[2] == NULL);
	CHECK(cairn_relation_app(r, &app, &err) == 0 && !strcmp(app, "pg"));
	/* The remote unit's and app's bags. */
	CHECK(cairn_relation_data(r, "pg/0", &bag, &err) == 0 && cairn_map_string(bag, "host", NULL, &v, NULL) == 0 &&
	      v && !strcmp(v, "10.0.0.5"));
	CHECK(cairn_relation_data(r, "pg", &bag, &err) == 0 && cairn_map_string(bag, "db", NULL, &v, NULL) == 0 && v &&
	      !strcmp(v, "main"));
	CHECK(cairn_relation_data(r, "stranger/0", &bag, &err) == -EIO && strstr(err.message, "settings not found"));
	/* Our own unit bag: write, then read our own write back in the same hook. */
	CHECK(cairn_relation_set(r, false, "user", "app", &err) == 0);
	CHECK(cairn_relation_data(r, "model/0", &bag, &err) == 0 && cairn_map_string(bag, "user", NULL, &v, NULL) == 0 &&
	      v && !strcmp(v, "app"));
	CHECK(cairn_relation_set(r, false, "user", NULL, &err) == 0); /* deletes */
	CHECK(cairn_map_get(bag, "user") == NULL);
	/* The app bag is the leader's. */
	CHECK(cairn_relation_set(r, true, "k", "v", &err) == -EIO && !strcmp(err.message, "unit is not the leader"));
	CHECK(cairn_relation_data(r, "model", &bag, &err) == -EIO && strstr(err.message, "permission denied"));
	/* Another endpoint: relation-list --app is asked, the event's relation is not. */
	CHECK(cairn_relation(ch, "website", -1, &other, &err) == 0 && cairn_relation_id(other) == rel_web);
	CHECK(cairn_relation_app(other, &app, &err) == 0 && !strcmp(app, "browser"));
	CHECK(cairn_relation(ch, "website", 999, &other, &err) == -ENOENT);
	CHECK(cairn_relation(ch, "cluster", -1, &other, &err) == 0 && cairn_relation_app(other, &app, &err) == 0 &&
	      !strcmp(app, "model"));
	{
		struct cairn_value *m = cairn_value_map();

		cairn_map_set_string(m, "a", "1");
		cairn_map_set_string(m, "b", "2");
		CHECK(cairn_relation_set_map(other, false, m, &err) == 0);
		cairn_map_set_int(m, "c", 3);
		CHECK(cairn_relation_set_map(other, false, m, &err) == -EINVAL);
		cairn_value_free(m);
	}
}

static void test_relations(void)
{
	struct cairn_harness *h = harness();
	const char *calls;

	ASSERT_TRUE(h);
	failures = 0;
	ASSERT_EQ(cairn_harness_add_relation(h, "db", "pg", &rel_db, NULL), 0);
	ASSERT_EQ(cairn_harness_add_relation(h, "website", "browser", &rel_web, NULL), 0);
	ASSERT_EQ(cairn_harness_add_relation(h, "cluster", NULL, &rel_peer, NULL), 0);
	ASSERT_EQ(cairn_harness_add_relation(h, "nope", "x", NULL, NULL), -ENOENT);
	cairn_harness_add_relation_unit(h, rel_db, "pg/0", NULL);
	cairn_harness_add_relation_unit(h, rel_db, "pg/1", NULL);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, rel_db, "other/1", NULL), -EINVAL);
	cairn_harness_set_relation_data(h, rel_db, "pg/0", "host", "10.0.0.5", NULL);
	cairn_harness_set_relation_data(h, rel_db, "pg", "db", "main", NULL);
	current = relations_body;
	current_kind = CAIRN_EVENT_RELATION_CHANGED;
	current_name = "db";
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, rel_db, "pg/0", NULL), 0);
	ASSERT_EQ(failures, 0);
	calls = cairn_harness_tool_calls(h);
	ASSERT_CONTAINS(calls, "relation-ids --format=json db\n");
	ASSERT_CONTAINS(calls, "relation-list --format=json -r db:0\n");
	ASSERT_CONTAINS(calls, "relation-get --format=json -r db:0 - pg/0\n");
	ASSERT_CONTAINS(calls, "relation-get --format=json -r db:0 --app - pg\n");
	ASSERT_CONTAINS(calls, "relation-set -r db:0 --file -\n");
	ASSERT_CONTAINS(calls, "relation-list --format=json --app -r website:1\n");
	ASSERT_TRUE(!strstr(calls, "relation-list --format=json --app -r db:0"));
	/* Buffered writes were applied when the hook succeeded. */
	ASSERT_STREQ(cairn_harness_relation_data(h, rel_peer, "model/0", "a"), "1");
	ASSERT_TRUE(cairn_harness_relation_data(h, rel_db, "model/0", "user") == NULL);
	cairn_harness_free(h);
}

static void broken_body(struct cairn_event *ev)
{
	struct cairn_relation *const *rels;
	size_t n = 9;

	CHECK(cairn_event_relation(ev) != NULL);
	/* The relation that is going away is not listed (ops). */
	CHECK(cairn_relations(cairn_event_charm(ev), "db", &rels, &n, NULL) == 0 && n == 0);
}

static void leader_relation_body(struct cairn_event *ev)
{
	struct cairn_relation *r = cairn_event_relation(ev);

	CHECK(cairn_relation_set(r, true, "dsn", "postgres://x", NULL) == 0);
}

static void failing_relation_body(struct cairn_event *ev)
{
	cairn_relation_set(cairn_event_relation(ev), false, "lost", "yes", NULL);
	failures += 1000; /* marks that it ran; the harness run below fails the hook */
}

static int fail_after(struct cairn_event *ev, void *data)
{
	(void)data;
	current(ev);
	return -EPERM;
}

static int fail_setup(struct cairn_charm *ch, void *data)
{
	(void)data;
	return cairn_observe(ch, CAIRN_EVENT_RELATION_CHANGED, "db", "fail_after", fail_after, NULL, NULL);
}

static void test_relation_broken_and_buffering(void)
{
	struct cairn_harness *h = harness();
	struct cairn_harness_opts o = { .metadata_yaml = META, .config_yaml = CONFIG };
	struct cairn_harness *h2 = NULL;
	int id;

	ASSERT_TRUE(h);
	failures = 0;
	cairn_harness_add_relation(h, "db", "pg", &id, NULL);
	cairn_harness_set_leader(h, true);
	current = leader_relation_body;
	current_kind = CAIRN_EVENT_RELATION_JOINED;
	current_name = "db";
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_JOINED, id, NULL, NULL), 0);
	ASSERT_STREQ(cairn_harness_relation_data(h, id, "model", "dsn"), "postgres://x");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "relation-set -r db:0 --app --file -\n");
	current = broken_body;
	current_kind = CAIRN_EVENT_RELATION_BROKEN;
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_BROKEN, id, NULL, NULL), 0);
	ASSERT_EQ(failures, 0);
	cairn_harness_free(h);
	/* A relation-set of a failed hook is discarded, as Juju does. */
	ASSERT_EQ(cairn_harness_new(&o, fail_setup, NULL, &h2, NULL), 0);
	cairn_harness_add_relation(h2, "db", "pg", &id, NULL);
	current = failing_relation_body;
	ASSERT_TRUE(cairn_harness_emit_relation(h2, CAIRN_EVENT_RELATION_CHANGED, id, NULL, NULL) < 0);
	ASSERT_EQ(failures, 1000);
	ASSERT_TRUE(cairn_harness_relation_data(h2, id, "model/0", "lost") == NULL);
	cairn_harness_free(h2);
}

/* ---- actions ---- */

static void action_body(struct cairn_event *ev)
{
	struct cairn_error err;
	const struct cairn_value *p;
	struct cairn_value *res;
	struct buf out = BUF_INIT;
	const char *s;
	int64_t i;
	double d;
	bool b;

	CHECK(cairn_event_kind(ev) == CAIRN_EVENT_ACTION && !strcmp(cairn_event_name(ev), "backup") &&
	      cairn_action_id(ev) != NULL);
	CHECK(cairn_action_params(ev, &p, &err) == 0 && cairn_value_size(p) == 5);
	CHECK(cairn_action_param_int(ev, "level", 0, &i, &err) == 0 && i == 3);
	CHECK(cairn_action_param_string(ev, "target", "none", &s, &err) == 0 && !strcmp(s, "/srv"));
	CHECK(cairn_action_param_bool(ev, "fast", false, &b, &err) == 0 && b);
	CHECK(cairn_action_param_double(ev, "ratio", 0, &d, &err) == 0 && d == 1.5);
	CHECK(cairn_action_param_int(ev, "target", 0, &i, &err) == -EDOM &&
	      !strcmp(err.message, "action parameter: \"target\" is a string, not a int"));
	/* Dotted keys reach into nested parameters, as `action-get opts.depth` does; a default
	 * of a nested property is filled in, a missing part or a non-map on the way is absent. */
	CHECK(cairn_action_param_int(ev, "opts.depth", 0, &i, &err) == 0 && i == 2);
	CHECK(cairn_action_param_string(ev, "opts.mode", "-", &s, &err) == 0 && !strcmp(s, "fast"));
	CHECK(cairn_action_param_string(ev, "opts.nope", "dflt", &s, &err) == 0 && !strcmp(s, "dflt"));
	CHECK(cairn_action_param_string(ev, "target.deeper", "dflt", &s, &err) == 0 && !strcmp(s, "dflt"));
	CHECK(cairn_action_param_string(ev, "nope.deeper", "dflt", &s, &err) == 0 && !strcmp(s, "dflt"));
	CHECK(cairn_action_param_bool(ev, "opts.mode", false, &b, &err) == -EDOM && err.kind == CAIRN_ERR_TYPE &&
	      !strcmp(err.message, "action parameter: \"opts.mode\" is a string, not a bool"));
	CHECK(cairn_action_param_int(ev, "opts", 0, &i, &err) == -EDOM &&
	      !strcmp(err.message, "action parameter: \"opts\" is a map, not a int"));
	CHECK(cairn_action_param_int(ev, NULL, 0, &i, &err) == -EINVAL);
	/* What the fake agent's action-get answers for a key: the value, the sub-map, or null. */
	CHECK(tools_run(ev->ch->tools, &out, NULL, &err, "action-get", "--format=json", "opts.depth", NULL) == 0 &&
	      !strcmp(buf_str(&out), "2\n"));
	buf_reset(&out);
	CHECK(tools_run(ev->ch->tools, &out, NULL, &err, "action-get", "--format=json", "opts", NULL) == 0 &&
	      !strcmp(buf_str(&out), "{\"depth\":2,\"mode\":\"fast\"}\n"));
	buf_reset(&out);
	CHECK(tools_run(ev->ch->tools, &out, NULL, &err, "action-get", "--format=json", "opts.nope", NULL) == 0 &&
	      !strcmp(buf_str(&out), "null\n"));
	CHECK(tools_run(ev->ch->tools, &out, NULL, &err, "action-get", "--format=json", "a", "b", NULL) == -EIO &&
	      err.code == 2 && !strcmp(err.message, "unrecognized args: [\"b\"]"));
	buf_done(&out);

	CHECK(cairn_action_set_result(ev, "out.path", "/srv/x.tar", &err) == 0);
	CHECK(cairn_action_set_result(ev, "out.size", "10G", &err) == 0);
	/* Refused before reaching the agent, with action-set's own texts. */
	CHECK(cairn_action_set_result(ev, "Bad_Key", "x", &err) == -EINVAL && err.kind == CAIRN_ERR_INVALID &&
	      !strcmp(err.message, "key \"Bad_Key\" must start and end with lowercase alphanumeric, and contain "
				   "only lowercase alphanumeric, hyphens and periods"));
	CHECK(cairn_action_set_result(ev, "-x", "x", &err) == -EINVAL && strstr(err.message, "key \"-x\" must"));
	CHECK(cairn_action_set_result(ev, "a..b", "x", &err) == -EINVAL && strstr(err.message, "key \"\" must"));
	CHECK(cairn_action_set_result(ev, "a.", "x", &err) == -EINVAL && strstr(err.message, "key \"\" must"));
	CHECK(cairn_action_set_result(ev, "", "x", &err) == -EINVAL && strstr(err.message, "key \"\" must"));
	CHECK(cairn_action_set_result(ev, "a=b", "x", &err) == -EINVAL && strstr(err.message, "key \"a=b\" must"));
	CHECK(cairn_action_set_result(ev, "stdout", "x", &err) == -EINVAL &&
	      !strcmp(err.message, "cannot set reserved action key \"stdout\""));
	CHECK(cairn_action_set_result(ev, "a.stderr-encoding", "x", &err) == -EINVAL &&
	      !strcmp(err.message, "cannot set reserved action key \"stderr-encoding\""));
	CHECK(cairn_action_set_result(ev, "bad", "\xff", &err) == -EINVAL);
	res = cairn_value_map();
	cairn_map_set_int(res, "size", 1024);
	cairn_map_set(res, "nested", cairn_value_map());
	cairn_map_set_bool(cairn_map_get(res, "nested"), "ok", true);
	cairn_map_set_double(cairn_map_get(res, "nested"), "ratio", 0.25);
	cairn_map_set_string(res, "deep.er", "dotted");
	CHECK(cairn_action_set_results(ev, res, &err) == 0);
	/* One result named twice, dotted and nested. */
	cairn_map_set(res, "deep", cairn_value_map());
	cairn_map_set_string(cairn_map_get(res, "deep"), "er", "again");
	CHECK(cairn_action_set_results(ev, res, &err) == -EINVAL &&
	      !strcmp(err.message, "duplicate action result key \"deep.er\""));
	cairn_map_delete(res, "deep");
	cairn_map_set(res, "list", cairn_value_list());
	CHECK(cairn_action_set_results(ev, res, &err) == -EINVAL);
	cairn_map_delete(res, "list");
	cairn_map_set(cairn_map_get(res, "nested"), "Bad", cairn_value_string("x"));
	CHECK(cairn_action_set_results(ev, res, &err) == -EINVAL && strstr(err.message, "key \"Bad\" must"));
	cairn_value_free(res);
	/* The fake agent checks every argument first and sets nothing when one is bad. */
	CHECK(tools_run(ev->ch->tools, NULL, NULL, &err, "action-set", "ok=1", "stdout.x=1", NULL) == -EIO &&
	      err.code == 2 && !strcmp(err.message, "cannot set reserved action key \"stdout\""));
	CHECK(tools_run(ev->ch->tools, NULL, NULL, &err, "action-set", "ok=1", "novalue", NULL) == -EIO &&
	      !strcmp(err.message, "argument \"novalue\" must be of the form key...=value"));
	/* A later dotted key replaces a scalar on its way, and a scalar replaces a map. */
	CHECK(tools_run(ev->ch->tools, NULL, NULL, &err, "action-set", "foo.bar=2", "foo.baz.val=3", NULL) == 0);
	CHECK(tools_run(ev->ch->tools, NULL, NULL, &err, "action-set", "foo.bar.zab=4", "foo.baz=1", NULL) == 0);
	CHECK(cairn_action_log(ev, "halfway", &err) == 0);
	CHECK(cairn_action_fail(ev, "disk full", &err) == 0);
}

static void not_action_body(struct cairn_event *ev)
{
	const struct cairn_value *p;

	CHECK(cairn_action_params(ev, &p, NULL) == -EINVAL);
	CHECK(cairn_action_set_result(ev, "a", "b", NULL) == -EINVAL);
	CHECK(cairn_action_log(ev, "x", NULL) == -EINVAL);
	CHECK(cairn_action_fail(ev, "x", NULL) == -EINVAL);
	CHECK(cairn_action_id(ev) == NULL);
}

static void test_actions(void)
{
	struct cairn_harness *h = harness();
	struct cairn_harness_action_output out;
	struct cairn_value *params = cairn_value_map();
	const char *s;

	ASSERT_TRUE(h);
	failures = 0;
	cairn_map_set_string(params, "target", "/srv");
	cairn_map_set(params, "opts", cairn_value_map());
	cairn_map_set_string(cairn_map_get(params, "opts"), "mode", "fast");
	current = action_body;
	current_kind = CAIRN_EVENT_ACTION;
	current_name = "backup";
	ASSERT_EQ(cairn_harness_run_action(h, "backup", params, &out, NULL), 0);
	cairn_value_free(params);
	ASSERT_EQ(failures, 0);
	/* Results nest as action-set builds them under Juju. */
	{
		char *json = cairn_value_to_json(out.results);

		ASSERT_STREQ(json, "{\"out\":{\"path\":\"/srv/x.tar\",\"size\":\"10G\"},\"size\":\"1024\","
				   "\"nested\":{\"ok\":\"true\",\"ratio\":\"0.25\"},\"deep\":{\"er\":\"dotted\"},"
				   "\"foo\":{\"bar\":{\"zab\":\"4\"},\"baz\":\"1\"}}");
		free(json);
	}
	ASSERT_TRUE(cairn_map_get(out.results, "out.path") == NULL);
	ASSERT_EQ(cairn_value_get_string(cairn_map_get_path(out.results, "out.path"), &s), 0);
	ASSERT_STREQ(s, "/srv/x.tar");
	ASSERT_TRUE(cairn_map_get(out.results, "ok") == NULL); /* from the refused action-set */
	ASSERT_STREQ(out.logs[0], "halfway");
	ASSERT_TRUE(out.failed);
	ASSERT_STREQ(out.fail_message, "disk full");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "action-get --format=json\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "action-set out.path=/srv/x.tar\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "action-log -- halfway\naction-fail -- disk full\n");
	ASSERT_EQ(cairn_harness_run_action(h, "restore", NULL, &out, NULL), -ENOENT);
	/* Parameters are checked against the schema before anything runs, as Juju does. */
	{
		struct cairn_value *bad = cairn_value_map();
		struct cairn_error err;

		cairn_map_set_string(bad, "level", "high");
		current = NULL; /* the handler must not run */
		ASSERT_EQ(cairn_harness_run_action(h, "backup", bad, &out, &err), -EINVAL);
		ASSERT_EQ(err.kind, CAIRN_ERR_INVALID);
		ASSERT_STREQ(err.message, "validation failed: (root).level : must be of type integer, given \"high\"");
		cairn_map_delete(bad, "level");
		cairn_map_set_string(bad, "extra", "x");
		ASSERT_EQ(cairn_harness_run_action(h, "backup", bad, &out, &err), -EINVAL);
		ASSERT_CONTAINS(err.message, "additional property \"extra\" is not allowed");
		cairn_value_free(bad);
	}
	ASSERT_EQ(run(h, CAIRN_EVENT_INSTALL, not_action_body), 0);
	ASSERT_EQ(failures, 0);
	cairn_harness_free(h);
}

/* ---- storage and stored state ---- */

static char *storage_id;

static void storage_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	const char *const *ids;
	const char *loc;
	size_t n = 0;

	CHECK(!strcmp(cairn_event_storage_id(ev), storage_id));
	CHECK(cairn_storage_list(ch, "data", &ids, &n, NULL) == 0 && n == 1 && !strcmp(ids[0], "data/0"));
	CHECK(cairn_storage_list(ch, "nope", &ids, &n, NULL) == -ENOENT);
	CHECK(cairn_storage_location(ch, "data/0", &loc, NULL) == 0 && !strcmp(loc, "/srv/data"));
	CHECK(cairn_storage_location(ch, "data/7", &loc, NULL) == -EIO);
}

static void stored_body(struct cairn_event *ev)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *st, *again;
	const char *s;

	CHECK(cairn_stored(ch, "ns", &st, NULL) == 0);
	CHECK(cairn_map_set_default(st, "token", cairn_value_null()) == 1);
	CHECK(cairn_map_set_default(st, "installed", cairn_value_bool(false)) == 1);
	CHECK(cairn_map_set_default(st, "installed", cairn_value_bool(true)) == 0);
	cairn_map_set(st, "list", cairn_value_list());
	cairn_list_append(cairn_map_get(st, "list"), cairn_value_string("a"));
	cairn_map_set_string(st, "name", "n1");
	CHECK(cairn_stored(ch, "ns", &again, NULL) == 0 && again == st);
	CHECK(cairn_stored(ch, "", &again, NULL) == -EINVAL);
	CHECK(cairn_stored(ch, "bad[ns]", &again, NULL) == -EINVAL);
	CHECK(cairn_map_string(st, "name", NULL, &s, NULL) == 0 && !strcmp(s, "n1"));
}

static void test_storage_and_stored_state(void)
{
	struct cairn_harness *h = harness();
	const struct cairn_value *st;
	bool b = true;

	ASSERT_TRUE(h);
	failures = 0;
	ASSERT_EQ(cairn_harness_add_storage(h, "data", "/srv/data", &storage_id, NULL), 0);
	ASSERT_STREQ(storage_id, "data/0");
	current = storage_body;
	current_kind = CAIRN_EVENT_STORAGE_ATTACHED;
	current_name = "data";
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_STORAGE_ATTACHED, storage_id, NULL), 0);
	ASSERT_EQ(failures, 0);
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "storage-list --format=json data\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "storage-get --format=json -s data/0\n");
	free(storage_id);
	ASSERT_EQ(run(h, CAIRN_EVENT_INSTALL, stored_body), 0);
	ASSERT_EQ(failures, 0);
	st = cairn_harness_stored(h, "ns");
	ASSERT_TRUE(st);
	ASSERT_EQ(cairn_value_kind(cairn_map_get(st, "token")), CAIRN_VALUE_NULL);
	ASSERT_EQ(cairn_map_bool(st, "installed", true, &b, NULL), 0);
	ASSERT_TRUE(!b);
	ASSERT_EQ(cairn_value_size(cairn_map_get(st, "list")), 1);
	cairn_harness_free(h);
}

/* ---- event context ---- */

static void logv_wrapper(struct cairn_charm *ch, enum cairn_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_logv(ch, level, fmt, ap);
	va_end(ap);
}

static char seen[512];

static int ctx_handler(struct cairn_event *ev, void *data)
{
	struct cairn_container *w = cairn_event_workload(ev);
	const char *dep = cairn_event_departing_unit(ev), *sid = cairn_event_secret_id(ev),
		   *slabel = cairn_event_secret_label(ev);

	(void)data;
	snprintf(seen, sizeof(seen), "%s workload=%s departing=%s secret=%s label=%s rev=%lld", cairn_event_hook(ev),
		 w ? cairn_container_name(w) : "-", dep ? dep : "-", sid ? sid : "-", slabel ? slabel : "-",
		 (long long)cairn_event_secret_revision(ev));
	logv_wrapper(cairn_event_charm(ev), CAIRN_LOG_WARNING, "seen %s %d", cairn_event_hook(ev), 42);
	return 0;
}

static int ctx_setup(struct cairn_charm *ch, void *data)
{
	int r = 0;

	(void)data;
	r |= cairn_observe(ch, CAIRN_EVENT_SECRET_CHANGED, NULL, "ctx", ctx_handler, NULL, NULL);
	r |= cairn_observe(ch, CAIRN_EVENT_RELATION_DEPARTED, "db", "ctx", ctx_handler, NULL, NULL);
	r |= cairn_observe(ch, CAIRN_EVENT_PEBBLE_READY, "web", "ctx", ctx_handler, NULL, NULL);
	r |= cairn_observe(ch, CAIRN_EVENT_INSTALL, NULL, "ctx", ctx_handler, NULL, NULL);
	return r;
}

static void test_event_context(void)
{
	struct cairn_harness_opts o = {
		.metadata_yaml = "name: ctx\nrequires:\n  db: {interface: pgsql}\ncontainers:\n  web: {resource: img}\n"
	};
	static const char *const secret_env[] = { "JUJU_SECRET_ID=secret:cqj4s3itmqb1usq0vhkg",
						  "JUJU_SECRET_LABEL=db-password", "JUJU_SECRET_REVISION=3", NULL };
	struct cairn_harness *h = NULL;
	struct cairn_error err;
	int id;

	ASSERT_EQ(cairn_harness_new(&o, ctx_setup, NULL, &h, &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, &err), 0);
	ASSERT_STREQ(seen, "install workload=- departing=- secret=- label=- rev=-1");
	ASSERT_EQ(cairn_harness_emit_hook(h, "secret-changed", secret_env, &err), 0);
	ASSERT_STREQ(seen, "secret-changed workload=- departing=- secret=secret:cqj4s3itmqb1usq0vhkg "
			   "label=db-password rev=3");
	/* A revision that is not a number reads as absent. */
	ASSERT_EQ(cairn_harness_emit_hook(h, "secret-changed", (const char *[]){ "JUJU_SECRET_REVISION=x", NULL },
					  &err), 0);
	ASSERT_CONTAINS(seen, "rev=-1");
	ASSERT_EQ(cairn_harness_add_relation(h, "db", "pg", &id, &err), 0);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, id, "pg/1", &err), 0);
	ASSERT_EQ(cairn_harness_remove_relation_unit(h, id, "pg/1", &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_DEPARTED, id, "pg/1", &err), 0);
	ASSERT_STREQ(seen, "db-relation-departed workload=- departing=pg/1 secret=- label=- rev=-1");
	ASSERT_EQ(cairn_harness_pebble_ready(h, "web", &err), 0);
	ASSERT_STREQ(seen, "web-pebble-ready workload=web departing=- secret=- label=- rev=-1");
	ASSERT_CONTAINS(cairn_harness_log(h), "WARNING seen install 42\n");
	ASSERT_CONTAINS(cairn_harness_log(h), "WARNING seen web-pebble-ready 42\n");
	cairn_harness_free(h);
}

int main(void)
{
	RUN(test_config);
	RUN(test_status_leadership_version_log);
	RUN(test_long_log_is_split);
	RUN(test_ports);
	RUN(test_relations);
	RUN(test_relation_broken_and_buffering);
	RUN(test_actions);
	RUN(test_event_context);
	RUN(test_storage_and_stored_state);
	return test_summary();
}
