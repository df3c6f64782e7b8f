/* test-tools-rel.c - unit tests for the relation, network, goal-state, leadership, action and
 * unsupported hook tools against a fake hook context: both argv styles of charm-runtime.md
 * §3 (ops <=3.4 and >=3.5, -r N and -r name:N), exact output bytes, Juju's errors and exit
 * codes, and what is buffered for the agent to commit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools.h"
#include "lib/test.h"

struct fake {
	struct hook_ctx ctx;
	bool leader;
	json_t *leader_writes;
	struct buf alog;
	struct buf out, err;
};

static int f_status_set(struct hook_ctx *c, bool app, const char *s, const char *m, json_t *d,
			struct errbuf *eb)
{
	(void)c, (void)app, (void)s, (void)m, (void)d, (void)eb;
	return 0;
}

static void f_status_get(struct hook_ctx *c, bool app,
			 void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	json_t *v = json_object();

	(void)c, (void)app;
	done(arg, v, NULL);
	json_decref(v);
}

static void f_log(struct hook_ctx *c, const char *level, const char *m)
{
	(void)c, (void)level, (void)m;
}

static bool f_is_leader(struct hook_ctx *c)
{
	return ((struct fake *)c->agent)->leader;
}

static int f_leader_set(struct hook_ctx *c, json_t *changes, struct errbuf *eb)
{
	struct fake *f = c->agent;

	(void)eb;
	json_object_update(f->leader_writes, changes);
	return 0;
}

static void f_action_log(struct hook_ctx *c, const char *m)
{
	buf_addf(&((struct fake *)c->agent)->alog, "%s\n", m);
}

static const struct hook_ctx_ops ops = { f_status_set, f_status_get, f_log, f_is_leader,
					 f_leader_set, f_action_log, NULL, NULL };

static json_t *js(const char *s)
{
	return json_loads(s, 0, NULL);
}

/* web/0 in relation db:1 (to mysql, with mysql/0 and mysql/1 joined and mysql/2 departed
 * earlier), db:4 (to pg, nothing joined) and the peer relation cluster:0. */
static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->ctx.ops = &ops;
	f->ctx.agent = f;
	f->ctx.unit = "web/0";
	f->ctx.app = "web";
	f->ctx.hook = "db-relation-changed";
	f->ctx.model_uuid = "b0e5c1d2-0000-4000-8000-000000000000";
	f->ctx.config = json_object();
	f->ctx.state = json_object();
	f->ctx.ports = json_array();
	f->ctx.relations = calloc(3, sizeof(*f->ctx.relations));
	f->ctx.n_relations = 3;
	f->ctx.relations[0] = (struct hook_relation){
		.id = 0, .endpoint = strdup("cluster"), .remote_app = strdup("web"), .peer = true,
		.members = js("[\"web/1\"]"), .remote_units = js("{\"web/1\": {\"k\": \"peer\"}}"),
		.remote_app_bag = js("{}"), .unit_bag = js("{\"private-address\": \"10.0.0.7\"}"),
		.app_bag = js("{\"secret\": \"s\"}"),
	};
	f->ctx.relations[1] = (struct hook_relation){
		.id = 1, .endpoint = strdup("db"), .remote_app = strdup("mysql"),
		.members = js("[\"mysql/0\", \"mysql/1\"]"),
		.remote_units = js("{\"mysql/0\": {\"host\": \"10.0.0.9\", \"port\": \"3306\"},"
				   " \"mysql/1\": {}, \"mysql/2\": {\"host\": \"gone\"}}"),
		.remote_app_bag = js("{\"database\": \"wp\"}"),
		.unit_bag = js("{\"private-address\": \"10.0.0.7\"}"), .app_bag = js("{}"),
	};
	f->ctx.relations[2] = (struct hook_relation){
		.id = 4, .endpoint = strdup("db"), .remote_app = strdup("pg"), .members = js("[]"),
		.remote_units = js("{}"), .remote_app_bag = js("{}"), .unit_bag = js("{}"),
		.app_bag = js("{}"),
	};
	f->ctx.in_relation = true;
	f->ctx.relation_id = 1;
	f->ctx.remote_unit = "mysql/0";
	f->ctx.remote_app = "mysql";
	f->ctx.network = js("{\"bind-addresses\": [{\"mac-address\": \"\", \"interface-name\": \"eth0\","
			    " \"addresses\": [{\"hostname\": \"\", \"value\": \"10.0.0.7\", \"cidr\": "
			    "\"10.0.0.0/24\"}]}], \"egress-subnets\": [\"10.0.0.7/32\"],"
			    " \"ingress-addresses\": [\"10.0.0.7\"]}");
	f->ctx.private_address = "10.0.0.7";
	f->ctx.public_address = "10.0.0.7";
	f->ctx.leader_settings = js("{\"a\": \"1\"}");
	f->leader = true;
	f->leader_writes = json_object();
	buf_init(&f->alog);
	buf_init(&f->out);
	buf_init(&f->err);
}

static void fake_done(struct fake *f)
{
	hook_ctx_done_extras(&f->ctx);
	json_decref(f->ctx.config);
	json_decref(f->ctx.state);
	json_decref(f->ctx.ports);
	json_decref(f->leader_writes);
	buf_done(&f->alog);
	buf_done(&f->out);
	buf_done(&f->err);
}

static int vrun(struct fake *f, const char *in, const char *tool, va_list ap)
{
	char *argv[32];
	int argc = 0;
	const char *a;

	while ((a = va_arg(ap, const char *)) && argc < 32)
		argv[argc++] = (char *)a;
	buf_reset(&f->out);
	buf_reset(&f->err);
	return tools_run(&f->ctx, tool, argc, argv, in, &f->out, &f->err);
}

static int run(struct fake *f, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = vrun(f, NULL, tool, ap);
	va_end(ap);
	return r;
}

static int run_in(struct fake *f, const char *in, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = vrun(f, in, tool, ap);
	va_end(ap);
	return r;
}

#define OUT(f) buf_str(&(f)->out)
#define ERR(f) buf_str(&(f)->err)

static void test_relation_ids(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "relation-ids", "db", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[\"db:1\",\"db:4\"]\n");
	ASSERT_EQ(run(&f, "relation-ids", "--format=json", "cluster", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[\"cluster:0\"]\n");
	/* In a relation hook the name defaults to the hook's endpoint. */
	ASSERT_EQ(run(&f, "relation-ids", NULL), 0);
	ASSERT_STREQ(OUT(&f), "db:1\ndb:4\n");
	ASSERT_EQ(run(&f, "relation-ids", "nothing", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[]\n");
	f.ctx.in_relation = false;
	ASSERT_EQ(run(&f, "relation-ids", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no endpoint name specified\n");
	ASSERT_EQ(run(&f, "relation-ids", "db", "extra", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"extra\"]\n");
	fake_done(&f);
}

static void test_relation_list(void)
{
	struct fake f;

	fake_init(&f);
	/* ops <= 3.4 */
	ASSERT_EQ(run(&f, "relation-list", "-r", "1", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[\"mysql/0\",\"mysql/1\"]\n");
	/* ops >= 3.5 / 3.8 */
	ASSERT_EQ(run(&f, "relation-list", "--format=json", "-r", "db:1", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[\"mysql/0\",\"mysql/1\"]\n");
	ASSERT_EQ(run(&f, "relation-list", "--format=json", "--app", "-r", "db:1", NULL), 0);
	ASSERT_STREQ(OUT(&f), "\"mysql\"\n");
	ASSERT_EQ(run(&f, "relation-list", "-r", "4", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[]\n");
	ASSERT_EQ(run(&f, "relation-list", NULL), 0); /* the hook's relation */
	ASSERT_STREQ(OUT(&f), "mysql/0\nmysql/1\n");
	ASSERT_EQ(run(&f, "relation-list", "--relation=cluster:0", NULL), 0);
	ASSERT_STREQ(OUT(&f), "web/1\n");
	ASSERT_EQ(run(&f, "relation-list", "-r", "x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"x\" for option -r: invalid relation id\n");
	ASSERT_EQ(run(&f, "relation-list", "-r", "db:9", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"db:9\" for option -r: relation not found\n");
	ASSERT_EQ(run(&f, "relation-list", "--relation", "7", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"7\" for option --relation: relation not found\n");
	f.ctx.in_relation = false;
	ASSERT_EQ(run(&f, "relation-list", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no relation id specified\n");
	fake_done(&f);
}

static void test_relation_get(void)
{
	struct fake f;

	fake_init(&f);
	/* ops <= 3.4 and >= 3.5 */
	ASSERT_EQ(run(&f, "relation-get", "-r", "1", "-", "mysql/0", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"host\":\"10.0.0.9\",\"port\":\"3306\"}\n");
	ASSERT_EQ(run(&f, "relation-get", "--format=json", "-r", "db:1", "-", "mysql/0", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"host\":\"10.0.0.9\",\"port\":\"3306\"}\n");
	ASSERT_EQ(run(&f, "relation-get", "--format=json", "-r", "db:1", "--app", "-", "mysql", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"database\":\"wp\"}\n");
	/* Defaults: the hook's remote unit; one key printed raw; yaml for all. */
	ASSERT_EQ(run(&f, "relation-get", "port", NULL), 0);
	ASSERT_STREQ(OUT(&f), "3306\n");
	ASSERT_EQ(run(&f, "relation-get", NULL), 0);
	ASSERT_STREQ(OUT(&f), "host: 10.0.0.9\nport: \"3306\"\n");
	ASSERT_EQ(run(&f, "relation-get", "--format=yaml", "-", "mysql/1", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{}\n");
	ASSERT_EQ(run(&f, "relation-get", "missing", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_EQ(run(&f, "relation-get", "--format=json", "missing", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	/* A departed unit's bag stays readable for the life of the relation. */
	ASSERT_EQ(run(&f, "relation-get", "host", "mysql/2", NULL), 0);
	ASSERT_STREQ(OUT(&f), "gone\n");
	/* The unit's own bag. */
	ASSERT_EQ(run(&f, "relation-get", "--format=json", "-", "web/0", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"private-address\":\"10.0.0.7\"}\n");
	/* --app with a unit name means its application. */
	ASSERT_EQ(run(&f, "relation-get", "--app", "database", "mysql/3", NULL), 0);
	ASSERT_STREQ(OUT(&f), "wp\n");
	/* The own application's bag: the leader may, others may not (except for peers). */
	ASSERT_EQ(run(&f, "relation-get", "--format=json", "--app", "-", "web", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{}\n");
	f.leader = false;
	ASSERT_EQ(run(&f, "relation-get", "--app", "-", "web", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR permission denied\n");
	ASSERT_EQ(run(&f, "relation-get", "-r", "cluster:0", "--app", "secret", "web", NULL), 0);
	ASSERT_STREQ(OUT(&f), "s\n");
	/* Usage errors. */
	ASSERT_EQ(run(&f, "relation-get", "-", "mysql", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR expected unit name, got application name \"mysql\"\n");
	ASSERT_EQ(run(&f, "relation-get", "-", "Bad!", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid unit name \"Bad!\"\n");
	ASSERT_EQ(run(&f, "relation-get", "-", "mysql/0", "x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"x\"]\n");
	ASSERT_EQ(run(&f, "relation-get", "-", "mysql/9", NULL), 1);
	ASSERT_CONTAINS(ERR(&f), "settings not found");
	f.ctx.remote_unit = NULL;
	f.ctx.remote_app = NULL;
	ASSERT_EQ(run(&f, "relation-get", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no unit or application specified\n");
	/* With only a remote application (relation-created, -broken): its bag. */
	f.ctx.remote_app = "mysql";
	ASSERT_EQ(run(&f, "relation-get", "database", NULL), 0);
	ASSERT_STREQ(OUT(&f), "wp\n");
	fake_done(&f);
}

static void test_relation_set(void)
{
	struct fake f;
	struct hook_relation *r;

	fake_init(&f);
	r = hook_ctx_relation(&f.ctx, 1);
	/* ops <= 3.4: YAML on stdin. */
	ASSERT_EQ(run_in(&f, "a: one\nb: \"2\"\nn: 7\nt: true\n", "relation-set", "-r", "1", "--file", "-", NULL), 0);
	ASSERT_STREQ(ERR(&f), "");
	ASSERT_STREQ(json_string_value(json_object_get(r->unit_bag, "a")), "one");
	ASSERT_STREQ(json_string_value(json_object_get(r->unit_bag, "n")), "7");
	ASSERT_STREQ(json_string_value(json_object_get(r->unit_bag, "t")), "true");
	ASSERT_TRUE(r->unit_dirty && f.ctx.dirty && !r->app_dirty);
	/* ops >= 3.5: JSON on stdin; "" deletes. */
	ASSERT_EQ(run_in(&f, "{\"a\": \"\", \"c\": \"three\"}", "relation-set", "-r", "db:1", "--file", "-", NULL), 0);
	ASSERT_TRUE(json_object_get(r->unit_bag, "a") == NULL);
	ASSERT_STREQ(json_string_value(json_object_get(r->unit_bag, "c")), "three");
	/* key=value, key= deletes, arguments override the file. */
	ASSERT_EQ(run_in(&f, "c: file\n", "relation-set", "--file", "-", "c=arg", "b=", NULL), 0);
	ASSERT_STREQ(json_string_value(json_object_get(r->unit_bag, "c")), "arg");
	ASSERT_TRUE(json_object_get(r->unit_bag, "b") == NULL);
	/* The relation-get of the own unit sees the buffered change. */
	ASSERT_EQ(run(&f, "relation-get", "c", "web/0", NULL), 0);
	ASSERT_STREQ(OUT(&f), "arg\n");
	/* --app for the leader only. */
	ASSERT_EQ(run(&f, "relation-set", "--app", "x=1", NULL), 0);
	ASSERT_TRUE(r->app_dirty);
	ASSERT_STREQ(json_string_value(json_object_get(r->app_bag, "x")), "1");
	f.leader = false;
	ASSERT_EQ(run(&f, "relation-set", "--app=true", "x=2", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR cannot write relation settings\n");
	ASSERT_STREQ(json_string_value(json_object_get(r->app_bag, "x")), "1");
	/* Bad input changes nothing. */
	ASSERT_EQ(run(&f, "relation-set", "novalue", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR expected \"key=value\", got \"novalue\"\n");
	ASSERT_EQ(run(&f, "relation-set", "a=1", "a=2", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR key \"a\" specified more than once\n");
	ASSERT_EQ(run_in(&f, "a: [1, 2]\n", "relation-set", "--file", "-", NULL), 1);
	ASSERT_CONTAINS(ERR(&f), "cannot unmarshal !!seq into string");
	ASSERT_EQ(run(&f, "relation-set", "--file", "-", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR hook tool requires stdin, none supplied\n");
	ASSERT_EQ(run(&f, "relation-set", "--file", "/nonexistent/x.yaml", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR open /nonexistent/x.yaml: no such file or directory\n");
	ASSERT_EQ(run(&f, "relation-set", "-r", "99", "a=b", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"99\" for option -r: relation not found\n");
	/* The deprecated --format is accepted with a warning. */
	ASSERT_EQ(run(&f, "relation-set", "--format", "json", "z=1", NULL), 0);
	ASSERT_STREQ(ERR(&f), "--format flag deprecated for command \"relation-set\"");
	/* Setting a value to what it is already is not a change. */
	r = hook_ctx_relation(&f.ctx, 4);
	ASSERT_EQ(run(&f, "relation-set", "-r", "4", "k=", NULL), 0);
	ASSERT_TRUE(!r->unit_dirty);
	/* The quota counts every bag the hook changed: a change past it is refused whole. */
	size_t big_n = TOOLS_RELATION_MAX_JSON / 2;
	char *big = malloc(big_n + 8);

	memcpy(big, "v=", 2);
	memset(big + 2, 'x', big_n - 2);
	big[big_n] = '\0';
	ASSERT_EQ(run(&f, "relation-set", "-r", "4", big, NULL), 0);
	ASSERT_TRUE(r->unit_dirty);
	big[0] = 'w';
	ASSERT_EQ(run(&f, "relation-set", "-r", "1", "small=1", big, NULL), 1);
	ASSERT_CONTAINS(ERR(&f), "ERROR relation settings too large: ");
	ASSERT_CONTAINS(ERR(&f), "(max 524288)");
	r = hook_ctx_relation(&f.ctx, 1);
	ASSERT_TRUE(json_object_get(r->unit_bag, "small") == NULL);
	ASSERT_TRUE(json_object_get(r->unit_bag, "w") == NULL);
	/* Replacing the big value in its own bag is measured once, not twice. */
	big[0] = 'v';
	big[3] = 'y';
	ASSERT_EQ(run(&f, "relation-set", "-r", "4", big, NULL), 0);
	free(big);
	fake_done(&f);
}

static void test_relation_model_get(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "relation-model-get", "-r", "1", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"uuid\":\"b0e5c1d2-0000-4000-8000-000000000000\"}\n");
	ASSERT_EQ(run(&f, "relation-model-get", NULL), 0);
	ASSERT_STREQ(OUT(&f), "uuid: b0e5c1d2-0000-4000-8000-000000000000\n");
	fake_done(&f);
}

static void test_network_get(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "network-get", "db", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"bind-addresses\":[{\"addresses\":[{\"cidr\":\"10.0.0.0/24\","
			      "\"hostname\":\"\",\"value\":\"10.0.0.7\"}],\"interface-name\":\"eth0\","
			      "\"mac-address\":\"\"}],\"egress-subnets\":[\"10.0.0.7/32\"],"
			      "\"ingress-addresses\":[\"10.0.0.7\"]}\n");
	ASSERT_EQ(run(&f, "network-get", "--format=json", "-r", "db:1", "db", NULL), 0);
	ASSERT_CONTAINS(OUT(&f), "\"ingress-addresses\":[\"10.0.0.7\"]");
	ASSERT_EQ(run(&f, "network-get", "db", "--ingress-address", NULL), 0);
	ASSERT_STREQ(OUT(&f), "10.0.0.7\n");
	ASSERT_EQ(run(&f, "network-get", "db", "--bind-address", "--egress-subnets", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"bind-address\":\"10.0.0.7\",\"egress-subnets\":[\"10.0.0.7/32\"]}\n");
	ASSERT_EQ(run(&f, "network-get", "db", "--primary-address", NULL), 0);
	ASSERT_STREQ(OUT(&f), "10.0.0.7\n");
	ASSERT_EQ(run(&f, "network-get", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no arguments specified\n");
	ASSERT_EQ(run(&f, "network-get", "db", "-r", "zz", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"zz\" for option -r: invalid relation id\n");
	ASSERT_EQ(run(&f, "unit-get", "private-address", NULL), 0);
	ASSERT_STREQ(OUT(&f), "10.0.0.7\n");
	ASSERT_EQ(run(&f, "unit-get", "--format=json", "public-address", NULL), 0);
	ASSERT_STREQ(OUT(&f), "\"10.0.0.7\"\n");
	ASSERT_EQ(run(&f, "unit-get", "hostname", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unknown setting \"hostname\"\n");
	ASSERT_EQ(run(&f, "unit-get", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no setting specified\n");
	json_decref(f.ctx.network);
	f.ctx.network = NULL;
	ASSERT_EQ(run(&f, "network-get", "db", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR no network config found for binding \"db\"\n");
	fake_done(&f);
}

static void test_goal_state(void)
{
	struct fake f;

	fake_init(&f);
	f.ctx.goal_state = js("{\"units\": {\"web/0\": {\"status\": \"active\", \"since\": "
			      "\"2024-01-02 03:04:05Z\"}}, \"relations\": {\"db\": {\"mysql\": "
			      "{\"status\": \"joined\", \"since\": \"2024-01-02 03:04:05Z\"}}}}");
	ASSERT_EQ(run(&f, "goal-state", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"relations\":{\"db\":{\"mysql\":{\"since\":\"2024-01-02 03:04:05Z\","
			      "\"status\":\"joined\"}}},\"units\":{\"web/0\":{\"since\":\"2024-01-02 "
			      "03:04:05Z\",\"status\":\"active\"}}}\n");
	ASSERT_EQ(run(&f, "goal-state", NULL), 0);
	ASSERT_CONTAINS(OUT(&f), "units:\n  web/0:\n    since: 2024-01-02 03:04:05Z\n    status: active\n");
	ASSERT_EQ(run(&f, "goal-state", "--format", "smart", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"smart\" for option --format: unknown format \"smart\"\n");
	fake_done(&f);
}

static void test_leader_settings(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "leader-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"a\":\"1\"}\n");
	ASSERT_EQ(run(&f, "leader-set", "b=2", "a=", NULL), 0);
	ASSERT_STREQ(json_string_value(json_object_get(f.leader_writes, "b")), "2");
	ASSERT_STREQ(json_string_value(json_object_get(f.leader_writes, "a")), "");
	ASSERT_EQ(run(&f, "leader-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"b\":\"2\"}\n");
	ASSERT_EQ(run(&f, "leader-get", "b", NULL), 0);
	ASSERT_STREQ(OUT(&f), "2\n");
	f.leader = false;
	ASSERT_EQ(run(&f, "leader-set", "c=3", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR cannot write leadership settings: cannot write settings: not the leader\n");
	fake_done(&f);
}

static void test_actions(void)
{
	struct fake f;
	struct hook_action *a;

	fake_init(&f);
	ASSERT_EQ(run(&f, "action-get", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR not running an action\n");
	ASSERT_EQ(run(&f, "action-set", "a=b", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR not running an action\n");
	a = calloc(1, sizeof(*a));
	a->name = strdup("backup");
	a->id = strdup("2");
	a->params = js("{\"file\": {\"kind\": \"xz\"}, \"level\": 5}");
	f.ctx.action = a;
	ASSERT_EQ(run(&f, "action-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"file\":{\"kind\":\"xz\"},\"level\":5}\n");
	ASSERT_EQ(run(&f, "action-get", "file.kind", NULL), 0);
	ASSERT_STREQ(OUT(&f), "xz\n");
	ASSERT_EQ(run(&f, "action-get", "level", NULL), 0);
	ASSERT_STREQ(OUT(&f), "5\n");
	ASSERT_EQ(run(&f, "action-get", "file.nope", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	/* Juju's recurseMapOnKeys: a missing key is nil, which JSON prints as null; a path
	 * through a scalar has no answer either; a sub-map is printed whole. */
	ASSERT_EQ(run(&f, "action-get", "--format=json", "file.nope", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	ASSERT_EQ(run(&f, "action-get", "--format=json", "level.deeper", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	ASSERT_EQ(run(&f, "action-get", "--format=json", "file", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"kind\":\"xz\"}\n");
	ASSERT_EQ(run(&f, "action-get", "file", NULL), 0);
	ASSERT_STREQ(OUT(&f), "kind: xz\n");
	ASSERT_EQ(run(&f, "action-get", "file", "level", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"level\"]\n");
	ASSERT_EQ(run(&f, "action-set", "outfile.size=10G", "foo.bar=2", "foo.baz.val=3", NULL), 0);
	ASSERT_EQ(run(&f, "action-set", "foo.baz=1", NULL), 0);
	{
		char *s = json_dumps(a->results, JSON_SORT_KEYS | JSON_COMPACT);

		ASSERT_STREQ(s, "{\"foo\":{\"bar\":\"2\",\"baz\":\"1\"},\"outfile\":{\"size\":\"10G\"}}");
		free(s);
	}
	/* A later key through a scalar replaces it with a map (Juju's action-set help). */
	ASSERT_EQ(run(&f, "action-set", "foo.bar.zab=4", NULL), 0);
	{
		char *s = json_dumps(a->results, JSON_SORT_KEYS | JSON_COMPACT);

		ASSERT_STREQ(s, "{\"foo\":{\"bar\":{\"zab\":\"4\"},\"baz\":\"1\"},\"outfile\":{\"size\":\"10G\"}}");
		free(s);
	}
	ASSERT_EQ(run(&f, "action-set", "stdout=x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR cannot set reserved action key \"stdout\"\n");
	/* Every dotted part is checked, and nothing is set when one argument is bad. */
	ASSERT_EQ(run(&f, "action-set", "early=1", "a.stderr=x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR cannot set reserved action key \"stderr\"\n");
	ASSERT_TRUE(json_object_get(a->results, "early") == NULL);
	ASSERT_EQ(run(&f, "action-set", "a..b=x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR key \"\" must start and end with lowercase alphanumeric, and contain only "
			      "lowercase alphanumeric, hyphens and periods\n");
	ASSERT_EQ(run(&f, "action-set", "a-=x", NULL), 2);
	ASSERT_CONTAINS(ERR(&f), "key \"a-\" must start");
	ASSERT_EQ(run(&f, "action-set", "=x", NULL), 2);
	ASSERT_CONTAINS(ERR(&f), "key \"\" must start");
	ASSERT_EQ(run(&f, "action-set", "empty=", NULL), 0);
	ASSERT_STREQ(json_string_value(json_object_get(a->results, "empty")), "");
	ASSERT_EQ(run(&f, "action-set", "Bad=x", NULL), 2);
	ASSERT_CONTAINS(ERR(&f), "key \"Bad\" must start and end with lowercase alphanumeric");
	ASSERT_EQ(run(&f, "action-set", "novalue", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR argument \"novalue\" must be of the form key...=value\n");
	/* ops <= 3.4 and >= 3.5 forms. */
	ASSERT_EQ(run(&f, "action-log", "starting", "now", NULL), 0);
	ASSERT_EQ(run(&f, "action-log", "--", "-dashes-", NULL), 0);
	ASSERT_STREQ(buf_str(&f.alog), "starting now\n-dashes-\n");
	ASSERT_EQ(run(&f, "action-log", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no message specified\n");
	ASSERT_EQ(run(&f, "action-fail", NULL), 0);
	ASSERT_TRUE(a->failed);
	ASSERT_STREQ(a->fail_message, "action failed without reason given");
	ASSERT_EQ(run(&f, "action-fail", "--", "disk full", NULL), 0);
	ASSERT_STREQ(a->fail_message, "disk full");
	ASSERT_EQ(run(&f, "action-fail", "a", "b", NULL), 2);
	fake_done(&f);
}

static void test_unsupported(void)
{
	struct fake f;
	static const char *const names[] = { "secret-get", "storage-list",
					     "payload-register", "credential-get", "juju-reboot",
					     "pod-spec-set", "k8s-raw-set", "add-metric", NULL };

	fake_init(&f);
	for (int i = 0; names[i]; i++) {
		char want[128];

		ASSERT_EQ(run(&f, names[i], "--format=json", "x", NULL), 1);
		snprintf(want, sizeof(want), "ERROR %s is not supported by this controller\n", names[i]);
		ASSERT_STREQ(ERR(&f), want);
		ASSERT_STREQ(OUT(&f), "");
	}
	/* Every name on the PATH answers (never a shell's "not found"). */
	for (int i = 0; tools_names[i]; i++) {
		int code = run(&f, tools_names[i], "--help", NULL);

		ASSERT_EQ(code, 0);
	}
	fake_done(&f);
}

int main(void)
{
	RUN(test_relation_ids);
	RUN(test_relation_list);
	RUN(test_relation_get);
	RUN(test_relation_set);
	RUN(test_relation_model_get);
	RUN(test_network_get);
	RUN(test_goal_state);
	RUN(test_leader_settings);
	RUN(test_actions);
	RUN(test_unsupported);
	return test_summary();
}
