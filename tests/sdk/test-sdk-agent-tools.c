/* test-sdk-agent-tools.c - the SDK's relation, leadership, network, goal-state and action
 * calls against cairn's real hook tools (src/agent/tools_*.c), through both transports.
 *
 * The harness's fake agent answers in-process and can drift from the agent; this test
 * closes that gap.  The parent plays the unit agent: it fills a hook context (struct
 * hook_ctx, the snapshot the agent takes when a hook starts) and serves it on a UNIX socket
 * with the framing of docs/protocol.md §2 and the agent's own tools_run_cwd().  A forked
 * child runs one whole dispatch of a charm built on the public API (cairn_main_opts), either
 * talking to the socket directly (CAIRN_TOOLS_SOCKET) or running the hook-tool binaries on
 * PATH (CAIRN_TOOLS_EXEC, build/bin/tools), which connect to the same socket.  The charm's
 * handlers check what the SDK returns (a failed check fails the dispatch with the reason in
 * juju-log); the parent then checks what reached the context: the buffered relation writes,
 * leader settings, action results, log and failure. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairn/charm.h>

#include "agent/tools.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/msg.h"
#include "lib/test.h"

/* ---- the fake agent: a hook context and its effects ---- */

struct agent {
	struct hook_ctx ctx;
	bool leader;
	json_t *leader_writes;   /* what leader-set wrote */
	struct buf log;          /* juju-log lines "LEVEL message" */
	struct buf alog;         /* action-log lines */
};

static int a_status_set(struct hook_ctx *c, bool app, const char *s, const char *m, json_t *d, struct errbuf *eb)
{
	(void)c, (void)app, (void)s, (void)m, (void)d, (void)eb;
	return 0;
}

static void a_status_get(struct hook_ctx *c, bool app, void (*done)(void *, json_t *, const char *), void *arg)
{
	json_t *v = json_pack("{s:s, s:s}", "status", "active", "message", "");

	(void)c, (void)app;
	done(arg, v, NULL);
	json_decref(v);
}

static void a_log(struct hook_ctx *c, const char *level, const char *m)
{
	buf_addf(&((struct agent *)c->agent)->log, "%s %s\n", level, m);
}

static bool a_is_leader(struct hook_ctx *c)
{
	return ((struct agent *)c->agent)->leader;
}

static int a_leader_set(struct hook_ctx *c, json_t *changes, struct errbuf *eb)
{
	(void)eb;
	json_object_update(((struct agent *)c->agent)->leader_writes, changes);
	return 0;
}

static void a_action_log(struct hook_ctx *c, const char *m)
{
	buf_addf(&((struct agent *)c->agent)->alog, "%s\n", m);
}

static const struct hook_ctx_ops agent_ops = { a_status_set, a_status_get, a_log, a_is_leader,
					       a_leader_set, a_action_log, NULL, NULL };

static json_t *js(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	if (!j) {
		printf("bad JSON in test: %s\n", s);
		abort();
	}
	return j;
}

static struct hook_relation rel(int id, const char *ep, const char *app, bool peer, const char *members,
				const char *remote_units, const char *remote_app_bag, const char *unit_bag,
				const char *app_bag)
{
	return (struct hook_relation){
		.id = id, .endpoint = strdup(ep), .remote_app = strdup(app), .peer = peer,
		.members = js(members), .remote_units = js(remote_units), .remote_app_bag = js(remote_app_bag),
		.unit_bag = js(unit_bag), .app_bag = js(app_bag),
	};
}

/* keeper/1 in store:1 (to reader: reader/0 joined), store:4 (to other, nothing joined)
 * and the peer relation keepers:0 (keeper/0 joined). */
static void agent_init(struct agent *a, bool leader)
{
	memset(a, 0, sizeof(*a));
	a->ctx.ops = &agent_ops;
	a->ctx.agent = a;
	a->ctx.unit = "keeper/1";
	a->ctx.app = "keeper";
	a->ctx.model_uuid = "b0e5c1d2-0000-4000-8000-000000000000";
	a->ctx.config = json_object();
	a->ctx.state = json_object();
	a->ctx.ports = json_array();
	a->ctx.relations = calloc(3, sizeof(*a->ctx.relations));
	a->ctx.n_relations = 3;
	a->ctx.relations[0] = rel(0, "keepers", "keeper", true, "[\"keeper/0\"]", "{\"keeper/0\": {\"k\": \"peer\"}}",
				  "{}", "{}", "{\"shared\": \"s\"}");
	a->ctx.relations[1] = rel(1, "store", "reader", false, "[\"reader/0\"]",
				  "{\"reader/0\": {\"seen\": \"hello\"}, \"reader/1\": {\"seen\": \"old\"}}",
				  "{\"wants\": \"value\"}", "{\"host\": \"10.0.0.7\"}", "{\"value\": \"hello\"}");
	a->ctx.relations[2] = rel(4, "store", "other", false, "[]", "{}", "{}", "{}", "{}");
	a->ctx.network = js("{\"bind-addresses\": [{\"mac-address\": \"\", \"interface-name\": \"eth0\","
			    " \"addresses\": [{\"hostname\": \"\", \"value\": \"10.0.0.7\", \"cidr\": \"10.0.0.0/24\"}]}],"
			    " \"egress-subnets\": [\"10.0.0.7/32\"], \"ingress-addresses\": [\"192.0.2.7\"]}");
	a->ctx.private_address = "10.0.0.7";
	a->ctx.public_address = "203.0.113.7";
	a->ctx.goal_state = js("{\"units\": {\"keeper/0\": {\"status\": \"active\", \"since\": \"2025-01-01 00:00:00Z\"},"
			       " \"keeper/1\": {\"status\": \"active\", \"since\": \"2025-01-01 00:00:00Z\"},"
			       " \"keeper/2\": {\"status\": \"dying\", \"since\": \"2025-01-01 00:00:00Z\"}},"
			       " \"relations\": {\"store\": {\"reader\": {\"status\": \"joined\", \"since\": "
			       "\"2025-01-01 00:00:00Z\"}}}}");
	a->ctx.leader_settings = js("{\"value\": \"hello\"}");
	a->leader = leader;
	a->leader_writes = json_object();
	buf_init(&a->log);
	buf_init(&a->alog);
}

static void agent_done(struct agent *a)
{
	hook_ctx_done_extras(&a->ctx);
	json_decref(a->ctx.config);
	json_decref(a->ctx.state);
	json_decref(a->ctx.ports);
	json_decref(a->leader_writes);
	buf_done(&a->log);
	buf_done(&a->alog);
}

/* Answers one request on fd with the agent's own tools. */
static void serve_one(struct agent *a, int fd)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct errbuf eb;
	json_t *req = NULL, *args, *rep, *v;
	char *argv[64];
	int argc = 0, code;
	size_t i;

	errbuf_clear(&eb);
	if (msg_recv(fd, &req, &eb) < 0)
		return;
	args = json_object_get(req, "args");
	json_array_foreach(args, i, v)
		if (argc < 64)
			argv[argc++] = (char *)json_string_value(v);
	buf_init(&out);
	buf_init(&err);
	code = tools_run_cwd(&a->ctx, json_string_value(json_object_get(req, "tool")),
			     json_string_value(json_object_get(req, "cwd")), argc, argv,
			     json_string_value(json_object_get(req, "stdin")), &out, &err);
	rep = json_pack("{s:i, s:s, s:s}", "code", code, "stdout", buf_str(&out), "stderr", buf_str(&err));
	msg_send(fd, rep);
	json_decref(rep);
	json_decref(req);
	buf_done(&out);
	buf_done(&err);
}

/* ---- the charm the child runs ---- */

static char *charm_dir, *sock_path, *tools_path;
static enum cairn_tools transport;

#define METADATA                                                                    \
	"name: keeper\nprovides:\n  store:\n    interface: keyvalue\n"               \
	"peers:\n  keepers:\n    interface: keeper-peers\n"
#define ACTIONS                                                                     \
	"get-value:\n  params:\n    prefix: {type: string, default: \"\"}\n"      \
	"    repeat: {type: integer, default: 1}\n"                                   \
	"    opts: {type: object}\n"

/* A check inside a handler: on failure the dispatch fails with the reason in juju-log. */
#define CHECK(ch, e)                                                                            \
	do {                                                                                    \
		if (!(e)) {                                                                     \
			cairn_log((ch), CAIRN_LOG_ERROR, "CHECK %s:%d: %s", __FILE__, __LINE__, #e); \
			return -1;                                                              \
		}                                                                               \
	} while (0)

static bool strv_eq(const char *const *v, const char *const *want)
{
	size_t i;

	for (i = 0; v[i] && want[i]; i++)
		if (strcmp(v[i], want[i]))
			return false;
	return !v[i] && !want[i];
}

/* store-relation-changed on a non-leader: every read, and the writes a non-leader may make. */
static int on_changed_non_leader(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_relation *r = cairn_event_relation(ev), *const *rels, *peer, *other;
	const struct cairn_value *bag, *ls, *gs;
	const struct cairn_network *net;
	const char *const *units, *s;
	const char *want_units[] = { "reader/0", NULL };
	struct cairn_error err;
	size_t n;

	(void)data;
	CHECK(ch, r && cairn_relation_id(r) == 1 && !strcmp(cairn_event_unit(ev), "reader/0"));
	CHECK(ch, cairn_is_leader(ch, &err) == 0);
	CHECK(ch, cairn_relations(ch, "store", &rels, &n, &err) == 0 && n == 2);
	CHECK(ch, cairn_relation_id(rels[0]) == 1 && cairn_relation_id(rels[1]) == 4);
	CHECK(ch, cairn_relation_units(r, &units, &n, &err) == 0 && strv_eq(units, want_units));
	CHECK(ch, cairn_relation_units(rels[1], &units, &n, &err) == 0 && n == 0);
	CHECK(ch, cairn_relation_app(r, &s, &err) == 0 && !strcmp(s, "reader"));
	CHECK(ch, cairn_relation_app(rels[1], &s, &err) == 0 && !strcmp(s, "other"));
	/* Remote unit and application bags; a unit that departed is still readable. */
	CHECK(ch, cairn_relation_data(r, "reader/0", &bag, &err) == 0);
	CHECK(ch, cairn_map_string(bag, "seen", NULL, &s, NULL) == 0 && s && !strcmp(s, "hello"));
	CHECK(ch, cairn_relation_data(r, "reader/1", &bag, &err) == 0);
	CHECK(ch, cairn_relation_data(r, "reader", &bag, &err) == 0);
	CHECK(ch, cairn_map_string(bag, "wants", NULL, &s, NULL) == 0 && s && !strcmp(s, "value"));
	/* A stranger's bag; our own application's bag on a non-leader (not a peer relation). */
	CHECK(ch, cairn_relation_data(r, "stranger/0", &bag, &err) == -EIO && err.kind == CAIRN_ERR_MODEL);
	CHECK(ch, !strcmp(err.message, "cannot read settings for unit \"stranger/0\" in relation 1: settings not found"));
	CHECK(ch, cairn_relation_data(r, "keeper", &bag, &err) == -EIO && !strcmp(err.message, "permission denied"));
	/* In the peer relation any unit reads the application's bag. */
	CHECK(ch, cairn_relation(ch, "keepers", -1, &peer, &err) == 0 && cairn_relation_id(peer) == 0);
	CHECK(ch, cairn_relation_app(peer, &s, &err) == 0 && !strcmp(s, "keeper"));
	CHECK(ch, cairn_relation_data(peer, "keeper", &bag, &err) == 0);
	CHECK(ch, cairn_map_string(bag, "shared", NULL, &s, NULL) == 0 && s && !strcmp(s, "s"));
	/* Our own unit bag, with our write on top; app writes are the leader's. */
	CHECK(ch, cairn_relation_set(r, false, "seen-by", "keeper/1", &err) == 0);
	CHECK(ch, cairn_relation_set(r, false, "host", NULL, &err) == 0);
	CHECK(ch, cairn_relation_data(r, "keeper/1", &bag, &err) == 0);
	CHECK(ch, cairn_map_string(bag, "seen-by", NULL, &s, NULL) == 0 && s && !strcmp(s, "keeper/1"));
	CHECK(ch, cairn_map_get(bag, "host") == NULL);
	CHECK(ch, cairn_relation_set(r, true, "value", "x", &err) == -EIO &&
		      !strcmp(err.message, "unit is not the leader"));
	/* Leader settings: readable, not writable. */
	CHECK(ch, cairn_leader_settings(ch, &ls, &err) == 0);
	CHECK(ch, cairn_map_string(ls, "value", NULL, &s, NULL) == 0 && s && !strcmp(s, "hello"));
	CHECK(ch, cairn_leader_set(ch, "value", "x", &err) == -EIO && !strcmp(err.message, "unit is not the leader"));
	/* Networking and goal state. */
	CHECK(ch, cairn_network_get(ch, "store", r, &net, &err) == 0);
	CHECK(ch, !strcmp(net->bind_address, "10.0.0.7") && !strcmp(net->ingress_address, "192.0.2.7"));
	CHECK(ch, net->egress_subnets[0] && !strcmp(net->egress_subnets[0], "10.0.0.7/32") && !net->egress_subnets[1]);
	CHECK(ch, cairn_network_get(ch, "store", NULL, &net, &err) == 0 && !strcmp(net->bind_address, "10.0.0.7"));
	CHECK(ch, cairn_unit_address(ch, false, &s, &err) == 0 && !strcmp(s, "10.0.0.7"));
	CHECK(ch, cairn_unit_address(ch, true, &s, &err) == 0 && !strcmp(s, "203.0.113.7"));
	CHECK(ch, cairn_goal_state(ch, &gs, &err) == 0 && cairn_map_get(cairn_map_get(gs, "relations"), "store"));
	CHECK(ch, cairn_planned_units(ch, &n, &err) == 0 && n == 2);
	/* A relation the agent does not have (a deferred event of a relation gone since). */
	other = rels[1];
	(void)other;
	return 0;
}

/* config-changed on the leader: application data and leader settings. */
static int on_config_leader(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_relation *r;
	const struct cairn_value *bag, *ls;
	struct cairn_value *m = cairn_value_map();
	struct cairn_error err;
	const char *s;
	int rv;

	(void)data;
	CHECK(ch, cairn_is_leader(ch, &err) == 1);
	CHECK(ch, cairn_relation(ch, "store", -1, &r, &err) == -EINVAL); /* two store relations */
	CHECK(ch, cairn_relation(ch, "store", 1, &r, &err) == 0);
	CHECK(ch, cairn_relation(ch, "store", 9, &r, &err) == -ENOENT && err.kind == CAIRN_ERR_NOT_FOUND);
	CHECK(ch, cairn_relation(ch, "store", 1, &r, &err) == 0);
	CHECK(ch, cairn_relation_data(r, "keeper", &bag, &err) == 0); /* the leader reads its app bag */
	CHECK(ch, cairn_map_string(bag, "value", NULL, &s, NULL) == 0 && s && !strcmp(s, "hello"));
	cairn_map_set_string(m, "value", "cairn");
	cairn_map_set_string(m, "note", "a: b\nc");
	rv = cairn_relation_set_map(r, true, m, &err);
	cairn_value_free(m);
	CHECK(ch, rv == 0);
	CHECK(ch, cairn_relation_data(r, "keeper", &bag, &err) == 0);
	CHECK(ch, cairn_map_string(bag, "value", NULL, &s, NULL) == 0 && s && !strcmp(s, "cairn"));
	CHECK(ch, cairn_leader_set(ch, "value", "cairn", &err) == 0);
	CHECK(ch, cairn_leader_set(ch, "old", NULL, &err) == 0);
	CHECK(ch, cairn_leader_set(ch, "a=b", "x", &err) == -EINVAL);
	CHECK(ch, cairn_leader_settings(ch, &ls, &err) == 0);
	CHECK(ch, cairn_map_string(ls, "value", NULL, &s, NULL) == 0 && s && !strcmp(s, "cairn"));
	return 0;
}

/* store-relation-changed of a relation the agent no longer has. */
static int on_changed_gone(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_relation *r = cairn_event_relation(ev);
	const struct cairn_network *net;
	const struct cairn_value *bag;
	const char *const *units;
	const char *s;
	struct cairn_error err;

	(void)data;
	CHECK(ch, r && cairn_relation_id(r) == 9);
	CHECK(ch, cairn_relation_units(r, &units, NULL, &err) == -ENOENT && err.kind == CAIRN_ERR_NOT_FOUND);
	CHECK(ch, strstr(err.message, "relation not found"));
	CHECK(ch, cairn_relation_data(r, "reader/0", &bag, &err) == -ENOENT);
	CHECK(ch, cairn_relation_set(r, false, "k", "v", &err) == -ENOENT);
	CHECK(ch, cairn_network_get(ch, "store", r, &net, &err) == -ENOENT);
	/* The event's own relation: the remote app is JUJU_REMOTE_APP, not asked for. */
	CHECK(ch, cairn_relation_app(r, &s, &err) == 0 && !strcmp(s, "reader"));
	return 0;
}

static int on_get_value(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	struct cairn_value *res = cairn_value_map(), *addr = cairn_value_map();
	const char *prefix;
	int64_t repeat;
	bool b;
	struct cairn_error err;
	int rv;

	(void)data;
	CHECK(ch, !strcmp(cairn_action_id(ev), "7"));
	CHECK(ch, cairn_action_param_string(ev, "prefix", "?", &prefix, &err) == 0 && !strcmp(prefix, "> "));
	CHECK(ch, cairn_action_param_int(ev, "repeat", 0, &repeat, &err) == 0 && repeat == 1);
	CHECK(ch, cairn_action_param_bool(ev, "prefix", false, &b, &err) == -EDOM && err.kind == CAIRN_ERR_TYPE);
	/* Dotted keys read nested parameters, as action-get opts.depth.max does. */
	CHECK(ch, cairn_action_param_int(ev, "opts.depth.max", 0, &repeat, &err) == 0 && repeat == 9);
	CHECK(ch, cairn_action_param_int(ev, "opts.depth.min", -1, &repeat, &err) == 0 && repeat == -1);
	CHECK(ch, cairn_action_param_string(ev, "opts.depth", "", &prefix, &err) == -EDOM &&
		  !strcmp(err.message, "action parameter: \"opts.depth\" is a map, not a string"));
	CHECK(ch, cairn_action_set_result(ev, "a.stdout", "x", &err) == -EINVAL &&
		  !strcmp(err.message, "cannot set reserved action key \"stdout\""));
	CHECK(ch, cairn_action_log(ev, "reading the served value", &err) == 0);
	CHECK(ch, cairn_action_log(ev, "-dash first", &err) == 0);
	cairn_map_set_string(res, "value", "> hello");
	cairn_map_set_int(res, "count", 2);
	cairn_map_set_bool(res, "ok", true);
	cairn_map_set_string(addr, "ingress", "192.0.2.7");
	cairn_map_set(res, "address", addr);
	rv = cairn_action_set_results(ev, res, &err);
	cairn_value_free(res);
	CHECK(ch, rv == 0);
	CHECK(ch, cairn_action_set_result(ev, "stdout", "x", &err) == -EINVAL);
	CHECK(ch, cairn_action_set_result(ev, "a..b", "x", &err) == -EINVAL);
	CHECK(ch, cairn_action_set_result(ev, "a.-b", "x", &err) == -EINVAL);
	CHECK(ch, cairn_action_set_result(ev, "with-dash.x1", "=y", &err) == 0);
	CHECK(ch, cairn_action_fail(ev, "-it went wrong", &err) == 0);
	return 0;
}

static int setup(struct cairn_charm *ch, void *data)
{
	int r = 0;

	(void)data;
	r |= cairn_observe(ch, CAIRN_EVENT_RELATION_CHANGED, "store", "changed", cairn_is_leader(ch, NULL) ? on_changed_gone : on_changed_non_leader, NULL, NULL);
	r |= cairn_observe(ch, CAIRN_EVENT_CONFIG_CHANGED, NULL, "config", on_config_leader, NULL, NULL);
	r |= cairn_observe(ch, CAIRN_EVENT_ACTION, "get-value", "get_value", on_get_value, NULL, NULL);
	return r;
}

/* Runs one dispatch of the charm in a child with env (NULL-terminated "K=V") against a's
 * context; returns the child's exit code. */
static int dispatch(struct agent *a, const char *const *env)
{
	struct errbuf eb;
	int lfd, status = -1;
	pid_t pid;

	unlink(sock_path);
	errbuf_clear(&eb);
	lfd = msg_listen_unix(sock_path, 0600, &eb);
	if (lfd < 0) {
		printf("listen: %s\n", eb.msg);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct cairn_charm_opts o = { .tools = transport, .charm_dir = charm_dir };
		char ctxid[64];

		close(lfd);
		clearenv();
		for (size_t i = 0; env[i]; i++)
			putenv((char *)env[i]);
		snprintf(ctxid, sizeof(ctxid), "ctx-%d", (int)getpid());
		setenv("JUJU_CONTEXT_ID", ctxid, 1);
		setenv("JUJU_AGENT_SOCKET_ADDRESS", sock_path, 1);
		setenv("JUJU_CHARM_DIR", charm_dir, 1);
		setenv("JUJU_MODEL_UUID", "b0e5c1d2-0000-4000-8000-000000000000", 1);
		setenv("JUJU_VERSION", "3.6.8", 1);
		setenv("PATH", tools_path, 1);
		_exit(cairn_main_opts(&o, setup, NULL));
	}
	/* Serve until the child is gone. */
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		int n = poll(&p, 1, 50);

		if (n > 0) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				serve_one(a, fd);
				close(fd);
			}
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	close(lfd);
	unlink(sock_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_dispatch(struct agent *a, const char *const *env)
{
	int code = dispatch(a, env);

	if (code != 0)
		printf("dispatch exited %d; juju-log:\n%s", code, buf_str(&a->log));
	return code;
}

static void test_relation_reads_non_leader(void)
{
	static const char *const env[] = { "JUJU_UNIT_NAME=keeper/1", "JUJU_DISPATCH_PATH=hooks/store-relation-changed",
					   "JUJU_HOOK_NAME=store-relation-changed", "JUJU_RELATION=store",
					   "JUJU_RELATION_ID=store:1", "JUJU_REMOTE_UNIT=reader/0",
					   "JUJU_REMOTE_APP=reader", NULL };
	struct agent a;
	struct hook_relation *r;

	agent_init(&a, false);
	a.ctx.hook = "store-relation-changed";
	a.ctx.in_relation = true;
	a.ctx.relation_id = 1;
	a.ctx.remote_unit = "reader/0";
	a.ctx.remote_app = "reader";
	ASSERT_EQ(run_dispatch(&a, env), 0);
	/* What the agent would commit: the unit bag, not the application's. */
	r = hook_ctx_relation(&a.ctx, 1);
	ASSERT_TRUE(r->unit_dirty && !r->app_dirty);
	ASSERT_STREQ(json_string_value(json_object_get(r->unit_bag, "seen-by")), "keeper/1");
	ASSERT_TRUE(!json_object_get(r->unit_bag, "host"));
	ASSERT_EQ(json_object_size(a.leader_writes), 0u);
	agent_done(&a);
}

static void test_leader_writes(void)
{
	static const char *const env[] = { "JUJU_UNIT_NAME=keeper/1", "JUJU_DISPATCH_PATH=hooks/config-changed",
					   "JUJU_HOOK_NAME=config-changed", NULL };
	struct agent a;
	struct hook_relation *r;

	agent_init(&a, true);
	a.ctx.hook = "config-changed";
	ASSERT_EQ(run_dispatch(&a, env), 0);
	r = hook_ctx_relation(&a.ctx, 1);
	ASSERT_TRUE(r->app_dirty && !r->unit_dirty);
	ASSERT_STREQ(json_string_value(json_object_get(r->app_bag, "value")), "cairn");
	ASSERT_STREQ(json_string_value(json_object_get(r->app_bag, "note")), "a: b\nc");
	ASSERT_STREQ(json_string_value(json_object_get(a.leader_writes, "value")), "cairn");
	ASSERT_STREQ(json_string_value(json_object_get(a.leader_writes, "old")), "");
	agent_done(&a);
}

static void test_gone_relation_is_not_found(void)
{
	static const char *const env[] = { "JUJU_UNIT_NAME=keeper/1", "JUJU_DISPATCH_PATH=hooks/store-relation-changed",
					   "JUJU_HOOK_NAME=store-relation-changed", "JUJU_RELATION=store",
					   "JUJU_RELATION_ID=store:9", "JUJU_REMOTE_UNIT=reader/0",
					   "JUJU_REMOTE_APP=reader", NULL };
	struct agent a;

	agent_init(&a, true);
	a.ctx.hook = "store-relation-changed";
	ASSERT_EQ(run_dispatch(&a, env), 0);
	agent_done(&a);
}

static void test_action(void)
{
	static const char *const env[] = { "JUJU_UNIT_NAME=keeper/1", "JUJU_DISPATCH_PATH=actions/get-value",
					   "JUJU_HOOK_NAME=", "JUJU_ACTION_NAME=get-value", "JUJU_ACTION_UUID=7", NULL };
	struct agent a;
	char *res;

	agent_init(&a, false);
	a.ctx.hook = "get-value";
	a.ctx.action = calloc(1, sizeof(*a.ctx.action));
	a.ctx.action->name = strdup("get-value");
	a.ctx.action->id = strdup("7");
	a.ctx.action->params = js("{\"prefix\": \"> \", \"repeat\": 1, \"opts\": {\"depth\": {\"max\": 9}}}");
	ASSERT_EQ(run_dispatch(&a, env), 0);
	/* Nested by dotted key, every value a string, as Juju keeps them. */
	res = json_dumps(a.ctx.action->results, JSON_SORT_KEYS | JSON_COMPACT);
	ASSERT_STREQ(res, "{\"address\":{\"ingress\":\"192.0.2.7\"},\"count\":\"2\",\"ok\":\"true\",\"value\":\"> hello\","
			  "\"with-dash\":{\"x1\":\"=y\"}}");
	free(res);
	ASSERT_TRUE(a.ctx.action->failed);
	ASSERT_STREQ(a.ctx.action->fail_message, "-it went wrong");
	ASSERT_STREQ(buf_str(&a.alog), "reading the served value\n-dash first\n");
	agent_done(&a);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char tmpl[] = "/tmp/sdk-agent-tools-XXXXXX";
	const char *bin = getenv("BIN_DIR");
	char *dir = mkdtemp(tmpl);

	signal(SIGPIPE, SIG_IGN);
	if (!dir || !bin) {
		printf("needs BIN_DIR and a temporary directory\n");
		return 1;
	}
	charm_dir = xasprintf("%s/charm", dir);
	sock_path = xasprintf("%s/agent.socket", dir);
	tools_path = xasprintf("%s/tools", bin);
	mkdir(charm_dir, 0755);
	write_file(charm_dir, "metadata.yaml", METADATA);
	write_file(charm_dir, "actions.yaml", ACTIONS);
	for (int t = 0; t < 2; t++) {
		transport = t == 0 ? CAIRN_TOOLS_SOCKET : CAIRN_TOOLS_EXEC;
		printf("# transport: %s\n", t == 0 ? "socket" : "exec (hook tools on PATH)");
		RUN(test_relation_reads_non_leader);
		RUN(test_leader_writes);
		RUN(test_gone_relation_is_not_found);
		RUN(test_action);
	}
	fs_rm_rf(dir);
	free(charm_dir);
	free(sock_path);
	free(tools_path);
	return test_summary();
}
