/* Unit tests for the machine agent's runtime with fake effects (agent_io.h): a virtual clock,
 * hooks that end when the test says, an in-memory store that can fail, and a fake controller
 * that sees every message.  Covers the deploy order with acknowledged commits, a failed local
 * commit, the retry schedule, hook timeouts, update-status intervals, leases, pebble-ready,
 * resending after a reconnect, resuming after a restart, `resolved`, removal and teardown,
 * and Pebble notices turned into hooks (fake Pebble answers) - all without waiting for real
 * time. */
#include "agent/agent.h"
#include "agent/unit_resources.h"
#include "lib/fsutil.h"
#include "lib/buf.h"
#include "lib/hmap.h"
#include "lib/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the fake world ---- */

struct agent_timer {
	void (*cb)(void *);
	void *arg;
	bool armed;
	uint64_t deadline;
	struct agent_timer *next;
};

struct hookrun {
	char unit[64], hook[96], ctx[160], netns[128];
	int rel_id;
	char remote[64], departing[64], action[64], action_id[24], command[256];
	char workload[64], notice_id[32], notice_type[32], notice_key[300], check[160];
	struct hookrun_cbs cbs;
	bool done;
	int killed;
};

/* A request to a container's Pebble, answered by the test. */
struct agent_pebble_req {
	char socket[256], target[512];
	void (*done)(void *, int, const char *, size_t, const char *);
	void *arg;
	bool finished, cancelled;
};

struct workload {
	char name[64], dir[256];
	struct workload_opts o;
	bool settled, destroyed, detached;
	int restarts;
};

/* A unit's pod as the fake runs it: the test says when it is up and when containers answer. */
struct unitpod {
	char unit[64];
	struct unitpod_opts o;
	char names[8][32], images[8][80];
	size_t n;
	int updates;
	char restarted[256];     /* container names restart asked for, in order */
	bool settled[8];
	bool destroyed, detached, removing;
};

struct agent_install {
	void (*done)(void *, const char *);
	void *arg;
	char unit[64];
	bool cancelled;
};

/* A resource fetch, finished by the test (fetch_end). */
struct fetch {
	char fp[65], path[512];
	int64_t size;
	void (*done)(void *, const char *);
	void *arg;
	bool cancelled, ended;
};

struct defer {
	void (*cb)(void *);
	void *arg;
	struct defer *next;
};

#define MAXH 256

static struct world {
	uint64_t now;
	double rnd;
	struct agent_timer *timers;
	struct defer *defers, *defers_tail;
	struct hookrun *hooks[MAXH];
	int n_hooks;
	struct workload *wls[64];
	int n_wls;
	struct unitpod *pods[16];
	int n_pods;
	char forgotten[256];     /* pod_forget_unit calls */
	enum unitpod_state pod_update_state; /* what pod_update answers */
	void (*drain_done)(void *);
	void *drain_arg;
	struct agent_install *installs[MAXH];
	int n_installs;
	struct agent_pebble_req *pebble[MAXH];
	int n_pebble;
	bool auto_install;
	/* store */
	json_t *units;   /* name -> row object */
	json_t *outbox;  /* "unit seq" -> msg */
	json_t *goals;   /* "kind/name" -> goal */
	int store_fail;  /* fail the next N applies */
	int n_applies;   /* transactions applied */
	/* controller side */
	bool connected;
	json_t *sent;    /* every message sent, in order */
	struct fetch *fetches[16]; /* resource fetches, in order */
	int n_fetches;
	int reconnects;
	bool refused, torn_down;
} W;

static uint64_t f_now(void *d) { (void)d; return W.now; }
static uint64_t f_wall(void *d) { (void)d; return 1700000000000000000ull + W.now * 1000000ull; }
static uint64_t f_mono(void *d) { (void)d; return W.now * 1000000ull; }
static double f_random(void *d) { (void)d; return W.rnd; }

static struct agent_timer *f_timer_new(void *d, void (*cb)(void *), void *arg)
{
	struct agent_timer *t = xcalloc(1, sizeof(*t));

	(void)d;
	t->cb = cb;
	t->arg = arg;
	t->next = W.timers;
	W.timers = t;
	return t;
}
static void f_timer_arm(void *d, struct agent_timer *t, uint64_t ms) { (void)d; t->armed = true; t->deadline = W.now + ms; }
static void f_timer_disarm(void *d, struct agent_timer *t) { (void)d; t->armed = false; }
static bool f_timer_armed(void *d, struct agent_timer *t) { (void)d; return t->armed; }
static void f_timer_free(void *d, struct agent_timer *t)
{
	(void)d;
	if (!t)
		return;
	for (struct agent_timer **pp = &W.timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	free(t);
}
static void f_defer(void *d, void (*cb)(void *), void *arg)
{
	struct defer *x = xcalloc(1, sizeof(*x));

	(void)d;
	x->cb = cb;
	x->arg = arg;
	if (W.defers_tail)
		W.defers_tail->next = x;
	else
		W.defers = x;
	W.defers_tail = x;
}

static int f_hook_start(void *d, const struct hookrun_env *env, const struct hookrun_cbs *cbs,
			struct hookrun **ret, struct errbuf *eb)
{
	struct hookrun *h = xcalloc(1, sizeof(*h));

	(void)d;
	(void)eb;
	snprintf(h->unit, sizeof(h->unit), "%s", env->unit);
	snprintf(h->hook, sizeof(h->hook), "%s", env->hook);
	snprintf(h->ctx, sizeof(h->ctx), "%s", env->context_id);
	snprintf(h->workload, sizeof(h->workload), "%s", env->workload ? env->workload : "");
	snprintf(h->notice_id, sizeof(h->notice_id), "%s", env->notice_id ? env->notice_id : "");
	snprintf(h->notice_type, sizeof(h->notice_type), "%s", env->notice_type ? env->notice_type : "");
	snprintf(h->notice_key, sizeof(h->notice_key), "%s", env->notice_key ? env->notice_key : "");
	snprintf(h->check, sizeof(h->check), "%s", env->check_name ? env->check_name : "");
	snprintf(h->netns, sizeof(h->netns), "%s", env->netns ? env->netns : "");
	h->rel_id = env->relation_id;
	snprintf(h->remote, sizeof(h->remote), "%s", env->remote_unit ? env->remote_unit : "");
	snprintf(h->departing, sizeof(h->departing), "%s", env->departing_unit ? env->departing_unit : "");
	snprintf(h->action, sizeof(h->action), "%s", env->action ? env->action : "");
	snprintf(h->action_id, sizeof(h->action_id), "%s", env->action_id ? env->action_id : "");
	snprintf(h->command, sizeof(h->command), "%s", env->command ? env->command : "");
	h->cbs = *cbs;
	W.hooks[W.n_hooks++] = h;
	*ret = h;
	return 0;
}
static void f_hook_kill(void *d, struct hookrun *h, int sig) { (void)d; h->killed = sig; }
static void f_hook_free(void *d, struct hookrun *h) { (void)d; h->done = true; }

static int f_wl_start(void *d, const struct workload_opts *o, struct workload **ret)
{
	struct workload *w = xcalloc(1, sizeof(*w));

	(void)d;
	snprintf(w->name, sizeof(w->name), "%s", o->name);
	snprintf(w->dir, sizeof(w->dir), "%s", o->dir);
	w->o = *o;
	W.wls[W.n_wls++] = w;
	*ret = w;
	return 0;
}
static void f_wl_restart(void *d, struct workload *w) { (void)d; w->restarts++; w->settled = false; }
static void f_wl_destroy(void *d, struct workload *w) { (void)d; w->destroyed = true; }
static void f_wl_detach(void *d, struct workload *w) { (void)d; w->detached = true; }
static bool f_wl_settled(void *d, struct workload *w) { (void)d; return w->settled; }

static void fpod_take(struct unitpod *p, const struct unitpod_container *c, size_t n)
{
	p->n = n < 8 ? n : 8;
	for (size_t i = 0; i < p->n; i++) {
		snprintf(p->names[i], sizeof(p->names[i]), "%s", c[i].name);
		snprintf(p->images[i], sizeof(p->images[i]), "%s", c[i].image);
	}
}

static int f_pod_start(void *d, const struct unitpod_opts *o, struct unitpod **ret, struct errbuf *eb)
{
	struct unitpod *p = xcalloc(1, sizeof(*p));

	(void)d;
	(void)eb;
	snprintf(p->unit, sizeof(p->unit), "%s", o->unit);
	p->o = *o;
	fpod_take(p, o->containers, o->n_containers);
	W.pods[W.n_pods++] = p;
	*ret = p;
	return 0;
}
static enum unitpod_state f_pod_update(void *d, struct unitpod *p, const struct unitpod_container *c, size_t n)
{
	(void)d;
	p->updates++;
	fpod_take(p, c, n);
	return W.pod_update_state;
}
static void f_pod_restart(void *d, struct unitpod *p, const char *c)
{
	(void)d;
	strncat(p->restarted, c, sizeof(p->restarted) - strlen(p->restarted) - 2);
	strcat(p->restarted, " ");
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], c))
			p->settled[i] = false;
}
static bool f_pod_settled(void *d, struct unitpod *p, const char *c)
{
	(void)d;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], c))
			return p->settled[i];
	return false;
}
static void f_pod_remove(void *d, struct unitpod *p) { (void)d; p->removing = true; }
static void f_pod_destroy(void *d, struct unitpod *p) { (void)d; p->destroyed = true; }
static void f_pod_detach(void *d, struct unitpod *p) { (void)d; p->detached = true; }
static void f_pod_forget(void *d, const char *unit)
{
	(void)d;
	strncat(W.forgotten, unit, sizeof(W.forgotten) - strlen(W.forgotten) - 2);
	strcat(W.forgotten, " ");
}
static void f_pods_drain(void *d, void (*done)(void *), void *arg)
{
	(void)d;
	W.drain_done = done;
	W.drain_arg = arg;
}

/* The fake pod of unit reports state s (UP: at addr, in netns /run/netns/<unit>). */
static void fpod_state(struct unitpod *p, enum unitpod_state s, const char *addr, const char *msg)
{
	struct unitpod_info info = { .address = addr, .cidr = "10.9.8.0/24", .netns = "/run/netns/pod-app-0" };

	p->o.state(p->o.data, s, s == UNITPOD_UP ? &info : NULL, msg);
}

static void fpod_ready(struct unitpod *p, size_t i, const char *boot)
{
	p->settled[i] = true;
	p->o.ready(p->o.data, p->names[i], boot);
}

static int f_pebble_get(void *d, const char *socket_path, const char *target, uint64_t timeout_ms,
			void (*done)(void *, int, const char *, size_t, const char *), void *arg,
			struct agent_pebble_req **ret)
{
	struct agent_pebble_req *r = xcalloc(1, sizeof(*r));

	(void)d;
	(void)timeout_ms;
	snprintf(r->socket, sizeof(r->socket), "%s", socket_path);
	snprintf(r->target, sizeof(r->target), "%s", target);
	r->done = done;
	r->arg = arg;
	W.pebble[W.n_pebble++] = r;
	*ret = r;
	return 0;
}
static void f_pebble_cancel(void *d, struct agent_pebble_req *r) { (void)d; r->cancelled = true; }

static void install_finish(void *arg)
{
	struct agent_install *op = arg;

	if (!op->cancelled)
		op->done(op->arg, NULL);
}

static int f_install(void *d, const struct agent_install_req *req, void (*done)(void *, const char *),
		     void *arg, struct agent_install **ret, struct errbuf *eb)
{
	struct agent_install *op = xcalloc(1, sizeof(*op));

	(void)d;
	(void)eb;
	op->done = done;
	op->arg = arg;
	snprintf(op->unit, sizeof(op->unit), "%s", req->unit);
	W.installs[W.n_installs++] = op;
	*ret = op;
	if (W.auto_install)
		f_defer(NULL, install_finish, op);
	return 0;
}
static void f_cancel(void *d, struct agent_install *op) { (void)d; op->cancelled = true; }
static void f_forget(void *d, const char *digest) { (void)d; (void)digest; }
static void f_chunk(void *d, const struct proto_charm_chunk *c) { (void)d; (void)c; }
static void f_link(void *d, bool up) { (void)d; (void)up; }
static void f_rm(void *d, const char *dir) { (void)d; (void)dir; }

static int f_res_fetch(void *d, const char *fp, int64_t size, const char *path, void (*done)(void *, const char *),
		       void *arg, struct fetch **ret, struct errbuf *eb)
{
	struct fetch *x;

	(void)d;
	(void)eb;
	x = xcalloc(1, sizeof(*x));
	snprintf(x->fp, sizeof(x->fp), "%s", fp);
	snprintf(x->path, sizeof(x->path), "%s", path);
	x->size = size;
	x->done = done;
	x->arg = arg;
	W.fetches[W.n_fetches++] = x;
	*ret = x;
	return 0;
}
static void f_res_cancel(void *d, struct fetch *x) { (void)d; x->cancelled = true; }

static int f_store_load(void *d, const struct store_visitor *v, void *arg, struct errbuf *eb)
{
	const char *k;
	json_t *row;

	(void)d;
	(void)eb;
	json_object_foreach(W.units, k, row) {
		struct store_unit_row r = {
			.name = k, .app = json_string_value(json_object_get(row, "app")),
			.journal = json_object_get(row, "journal"),
			.next_seq = json_integer_value(json_object_get(row, "next_seq")),
			.resolved_gen = json_integer_value(json_object_get(row, "resolved_gen")),
			.wl_status = json_object_get(row, "wl"),
			.charm_digest = json_string_value(json_object_get(row, "digest")),
		};
		v->unit(arg, &r);
	}
	for (int pass = 0; pass < 3; pass++) {
		static const char *const order[] = { "meta/", "app/", "unit/" };

		json_object_foreach(W.goals, k, row) {
			if (strncmp(k, order[pass], strlen(order[pass])))
				continue;
			char kind[16];

			snprintf(kind, sizeof(kind), "%.*s", (int)(strchr(k, '/') - k), k);
			v->goal(arg, kind, strchr(k, '/') + 1, row);
		}
	}
	/* Outbox rows in (unit, seq) order. */
	for (int seq = 1; seq < 1000; seq++) {
		json_object_foreach(W.outbox, k, row) {
			if (atoi(strchr(k, ' ') + 1) == seq) {
				char unit[64];

				snprintf(unit, sizeof(unit), "%.*s", (int)(strchr(k, ' ') - k), k);
				v->outbox(arg, unit, seq, row);
			}
		}
	}
	return 0;
}

static int f_store_apply(void *d, const struct store_txn *t, struct errbuf *eb)
{
	(void)d;
	if (W.store_fail > 0) {
		W.store_fail--;
		errbuf_set(eb, "disk full");
		return -EIO;
	}
	W.n_applies++;
	if (t->unit) {
		json_object_set_new(W.units, t->unit->name,
				    json_pack("{s:s, s:O, s:I, s:I, s:O, s:s}", "app", t->unit->app,
					      "journal", t->unit->journal ? t->unit->journal : json_null(),
					      "next_seq", (json_int_t)t->unit->next_seq, "resolved_gen",
					      (json_int_t)t->unit->resolved_gen, "wl",
					      t->unit->wl_status ? t->unit->wl_status : json_null(), "digest",
					      t->unit->charm_digest ? t->unit->charm_digest : ""));
	}
	if (t->delete_unit) {
		json_object_del(W.units, t->delete_unit);
		char key[200];
		void *tmp;
		const char *k;
		json_t *v;

		json_object_foreach_safe(W.outbox, tmp, k, v) {
			if (!strncmp(k, t->delete_unit, strlen(t->delete_unit)) && k[strlen(t->delete_unit)] == ' ')
				json_object_del(W.outbox, k);
		}
		snprintf(key, sizeof(key), "unit/%s", t->delete_unit);
		json_object_del(W.goals, key);
	}
	for (size_t i = 0; i < t->n_msgs; i++) {
		char key[200];

		snprintf(key, sizeof(key), "%s %lld", json_string_value(json_object_get(t->msgs[i], "unit")),
			 (long long)json_integer_value(json_object_get(t->msgs[i], "seq")));
		json_object_set(W.outbox, key, t->msgs[i]);
	}
	if (t->ack_unit) {
		void *tmp;
		const char *k;
		json_t *v;
		size_t ul = strlen(t->ack_unit);

		json_object_foreach_safe(W.outbox, tmp, k, v) {
			if (!strncmp(k, t->ack_unit, ul) && k[ul] == ' ' && atoll(k + ul + 1) <= t->ack_seq)
				json_object_del(W.outbox, k);
		}
	}
	return 0;
}

static void f_put_goal(void *d, const char *kind, const char *name, json_t *goal)
{
	char key[200];

	(void)d;
	snprintf(key, sizeof(key), "%s/%s", kind, name);
	if (goal)
		json_object_set(W.goals, key, goal);
	else
		json_object_del(W.goals, key);
}

/* Written at once here: the real store writes it behind, and losing it is harmless. */
static void f_drop_acked(void *d, const char *unit, int64_t seq)
{
	struct store_txn t = { .ack_unit = unit, .ack_seq = seq };
	struct errbuf eb;

	if (W.store_fail == 0)
		f_store_apply(d, &t, &eb);
}

static int f_send(void *d, const struct proto_msg *m)
{
	(void)d;
	if (!W.connected)
		return -ENOTCONN;
	json_array_append_new(W.sent, proto_encode(m));
	return 0;
}
static void f_reconnect(void *d) { (void)d; W.reconnects++; }

static const struct agent_io fake_io = {
	.now_ms = f_now, .wall_ns = f_wall, .mono_ns = f_mono, .random = f_random,
	.timer_new = f_timer_new, .timer_arm = f_timer_arm, .timer_disarm = f_timer_disarm,
	.timer_armed = f_timer_armed, .timer_free = f_timer_free, .defer = f_defer,
	.hook_start = f_hook_start, .hook_kill = f_hook_kill, .hook_free = f_hook_free,
	.workload_start = f_wl_start, .workload_restart = f_wl_restart,
	.workload_destroy = f_wl_destroy, .workload_detach = f_wl_detach,
	.workload_settled = f_wl_settled,
	.pebble_get = f_pebble_get, .pebble_cancel = f_pebble_cancel,
	.pod_start = f_pod_start, .pod_update = f_pod_update, .pod_restart = f_pod_restart,
	.pod_settled = f_pod_settled, .pod_remove = f_pod_remove, .pod_destroy = f_pod_destroy,
	.pod_detach = f_pod_detach,
	.pod_forget_unit = f_pod_forget, .pods_drain = f_pods_drain,
	.charm_install = f_install, .charm_cancel = f_cancel, .charm_forget = f_forget,
	.charm_chunk = f_chunk, .charm_link = f_link, .remove_tree = f_rm,
	.store_load = f_store_load, .store_apply = f_store_apply, .store_put_goal = f_put_goal,
	.store_drop_acked = f_drop_acked,
	.send = f_send, .reconnect = f_reconnect,
	.resource_fetch = f_res_fetch, .resource_cancel = f_res_cancel,
};

static void settle(void)
{
	while (W.defers) {
		struct defer *x = W.defers;

		W.defers = x->next;
		if (!W.defers)
			W.defers_tail = NULL;
		x->cb(x->arg);
		free(x);
	}
}

/* Moves the virtual clock forward, firing due timers in deadline order. */
static void advance(uint64_t ms)
{
	uint64_t end = W.now + ms;

	settle();
	for (;;) {
		struct agent_timer *best = NULL;

		for (struct agent_timer *t = W.timers; t; t = t->next)
			if (t->armed && t->deadline <= end && (!best || t->deadline < best->deadline))
				best = t;
		if (!best)
			break;
		W.now = best->deadline;
		best->armed = false;
		best->cb(best->arg);
		settle();
	}
	W.now = end;
	settle();
}

static void on_refused(void *d, const char *why) { (void)d; (void)why; W.refused = true; }
static void on_torn_down(void *d) { (void)d; W.torn_down = true; }

static struct agent *start_agent(void)
{
	struct agent_config cfg = {
		.home = "/tmp/fake-home", .machine = "0", .password = "pw", .tools_dir = "/tools",
		.scree_path = "/bin/scree", .socket_path = "/tmp/fake-home/agent.sock",
		.max_parallel = 4, .refused = on_refused, .torn_down = on_torn_down,
	};
	struct agent *a = NULL;
	struct errbuf eb;

	if (agent_new(&cfg, &fake_io, &a, &eb) < 0)
		return NULL;
	settle();
	return a;
}

static void world_init(void)
{
	memset(&W, 0, sizeof(W));
	W.rnd = 0.5;
	W.units = json_object();
	W.outbox = json_object();
	W.goals = json_object();
	W.sent = json_array();
	W.auto_install = true;
}

static void world_done(void)
{
	json_decref(W.units);
	json_decref(W.outbox);
	json_decref(W.goals);
	json_decref(W.sent);
	for (int i = 0; i < W.n_hooks; i++)
		free(W.hooks[i]);
	for (int i = 0; i < W.n_wls; i++)
		free(W.wls[i]);
	for (int i = 0; i < W.n_pods; i++)
		free(W.pods[i]);
	for (int i = 0; i < W.n_installs; i++)
		free(W.installs[i]);
	for (int i = 0; i < W.n_pebble; i++)
		free(W.pebble[i]);
	while (W.defers) {
		struct defer *x = W.defers;

		W.defers = x->next;
		free(x);
	}
	while (W.timers) {
		struct agent_timer *t = W.timers;

		W.timers = t->next;
		free(t);
	}
}

/* ---- the fake controller ---- */

static void deliver(struct agent *a, json_t *obj)
{
	struct proto_msg m;
	struct errbuf eb;

	if (proto_decode(obj, PROTO_TO_AGENT, &m, &eb) < 0) {
		fprintf(stderr, "bad test message: %s\n", eb.msg);
		abort();
	}
	agent_receive(a, &m);
	proto_msg_done(&m);
	json_decref(obj);
	settle();
}

static void connect_agent(struct agent *a, const char *units_json, int64_t lease_ms)
{
	W.connected = true;
	agent_link_up(a);
	deliver(a, json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", "type", "welcome", "machine", "0",
			     "lease-ms", (json_int_t)lease_ms, "model-name", "m", "model-uuid", "u",
			     "units", json_loads(units_json, 0, NULL)));
	deliver(a, json_pack("{s:s, s:I, s:b, s:I}", "type", "model-config", "update-status-ms",
			     (json_int_t)300000, "retry-hooks", 1, "hook-timeout-ms", (json_int_t)0));
}

#define DIGEST1 "1111111111111111111111111111111111111111111111111111111111111111"
#define DIGEST2 "2222222222222222222222222222222222222222222222222222222222222222"

static void app_goal(struct agent *a, const char *app, int gen, int rev, const char *digest,
		     const char *hash, const char *leader, int leader_gen, const char *containers)
{
	deliver(a, json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:{s:s}, s:s, s:s, s:i, s:o}", "type",
			     "app-goal", "app", app, "gen", gen, "charm-rev", rev, "charm-digest", digest,
			     "charm-size", 100, "config", "thing", hash, "config-hash", hash, "leader",
			     leader, "leader-gen", leader_gen, "containers",
			     json_loads(containers ? containers : "[]", 0, NULL)));
}

static void unit_goal(struct agent *a, const char *unit, int gen, bool alive, int resolve_gen,
		      const char *mode)
{
	deliver(a, json_pack("{s:s, s:s, s:i, s:b, s:{}, s:[], s:i, s:s}", "type", "unit-goal", "unit",
			     unit, "gen", gen, "alive", alive, "state", "ports", "resolve-gen",
			     resolve_gen, "resolve-mode", mode));
}

/* The last running (not finished) hook of unit, or NULL. */
static struct hookrun *running(const char *unit)
{
	for (int i = W.n_hooks - 1; i >= 0; i--)
		if (!strcmp(W.hooks[i]->unit, unit) && !W.hooks[i]->done)
			return W.hooks[i];
	return NULL;
}

static void hook_exit(struct hookrun *h, int code)
{
	h->cbs.done(h->cbs.data, code, code >= 128);
	settle();
}

/* Acknowledges everything sent so far, as the controller does after applying it. */
static void ack_all(struct agent *a)
{
	json_t *hi = json_object(), *m;
	const char *k;
	size_t i;

	json_array_foreach(W.sent, i, m) {
		json_t *seq = json_object_get(m, "seq");
		const char *unit = json_string_value(json_object_get(m, "unit"));

		if (seq && unit)
			json_object_set_new(hi, unit, json_integer(json_integer_value(seq)));
	}
	json_object_foreach(hi, k, m)
		deliver(a, json_pack("{s:s, s:s, s:I}", "type", "ack", "unit", k, "seq",
				     (json_int_t)json_integer_value(m)));
	json_decref(hi);
}

/* Runs hooks of unit to quiescence: each hook exits 0 and is acknowledged.  Returns the
 * sequence of hooks run. */
static void run_all(struct agent *a, const char *unit, char *out, size_t n)
{
	struct hookrun *h;

	out[0] = '\0';
	for (int i = 0; i < 30; i++) {
		settle();
		h = running(unit);
		if (!h) {
			ack_all(a);
			h = running(unit);
			if (!h)
				break;
		}
		if (out[0])
			strncat(out, " ", n - strlen(out) - 1);
		strncat(out, h->hook, n - strlen(out) - 1);
		hook_exit(h, 0);
		ack_all(a);
	}
}

static int count_sent(const char *type, const char *field, const char *value)
{
	size_t i;
	json_t *m;
	int n = 0;

	json_array_foreach(W.sent, i, m)
		if (!strcmp(json_string_value(json_object_get(m, "type")), type) &&
		    (!field || !strcmp(json_string_value(json_object_get(m, field)) ?: "", value)))
			n++;
	return n;
}

static json_t *last_sent(const char *type)
{
	for (size_t i = json_array_size(W.sent); i-- > 0;) {
		json_t *m = json_array_get(W.sent, i);

		if (!strcmp(json_string_value(json_object_get(m, "type")), type))
			return m;
	}
	return NULL;
}

/* ---- tests ---- */

static void test_deploy_waits_for_acks(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "app/0", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	ASSERT_TRUE(h != NULL);
	ASSERT_STREQ(h->hook, "install");
	/* The charm was installed first, once. */
	ASSERT_EQ(W.n_installs, 1);
	/* The hook changes the charm state; it commits only when the controller acks. */
	struct hook_ctx *ctx = agent_find_context(a, h->ctx);
	ASSERT_TRUE(ctx != NULL);
	json_object_set_new(ctx->state, "k", json_string("v"));
	hook_exit(h, 0);
	json_t *c = last_sent("commit-hook");
	ASSERT_TRUE(c != NULL);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(c, "state"), "k")), "v");
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "committing");
	ASSERT_TRUE(running("app/0") == NULL); /* nothing else runs before the ack */
	ASSERT_TRUE(agent_find_context(a, h->ctx) == NULL);
	ack_all(a);
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "leader-elected config-changed start");
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "idle");
	/* Statuses the agent set around the hooks. */
	ASSERT_TRUE(count_sent("status-set", "message", "installing charm software") == 1);
	ASSERT_TRUE(count_sent("status-set", "message", "running start hook") == 1);
	ASSERT_TRUE(count_sent("status-set", "status", "unknown") == 1);
	/* Progress reports idle at the last goal generation. */
	json_t *p = last_sent("progress");
	ASSERT_STREQ(json_string_value(json_object_get(p, "state")), "idle");
	ASSERT_EQ(json_integer_value(json_object_get(p, "gen")), 2);
	/* Every sequenced message is gone from the store's outbox once acknowledged. */
	ASSERT_EQ(json_object_size(W.outbox), 0);
	agent_free(a);
	world_done();
}

static void test_failed_commit_is_not_committed(void)
{
	struct agent *a;
	struct hookrun *h;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "install");
	int commits = count_sent("commit-hook", NULL, NULL);
	W.store_fail = 2; /* the hook-ran record and the commit both fail to be written */
	hook_exit(h, 0);
	ASSERT_EQ(count_sent("commit-hook", NULL, NULL), commits);
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "error");
	json_t *j = agent_unit_journal(a, "app/0");
	ASSERT_STREQ(json_string_value(json_object_get(j, "opstep")), "pending");
	ASSERT_TRUE(json_is_false(json_object_get(j, "installed")));
	json_decref(j);
	/* The retry runs install again (at-least-once), and then it commits. */
	advance(5000);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "install"));
	hook_exit(h, 0);
	ack_all(a);
	j = agent_unit_journal(a, "app/0");
	ASSERT_TRUE(json_is_true(json_object_get(j, "installed")));
	json_decref(j);
	agent_free(a);
	world_done();
}

static void test_retry_schedule(void)
{
	struct agent *a;
	struct hookrun *h;
	uint64_t last_end, gaps[8];

	world_init();
	W.rnd = 1.0; /* the largest jitter: +3 % */
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	for (int i = 0; i < 8; i++) {
		h = running("app/0");
		ASSERT_TRUE(h && !strcmp(h->hook, "install"));
		hook_exit(h, 1);
		ASSERT_STREQ(agent_unit_state(a, "app/0"), "error");
		last_end = W.now;
		/* Step one millisecond at a time past the expected point: the exact moment. */
		uint64_t waited = 0;

		while (!running("app/0") && waited < 400000) {
			advance(1);
			waited++;
		}
		gaps[i] = W.now - last_end;
	}
	/* 5 s, then x2 with +3 % jitter, capped at 300 s (charm-runtime.md §10). */
	ASSERT_EQ(gaps[0], 5000);
	ASSERT_EQ(gaps[1], 10300);
	ASSERT_EQ(gaps[2], 21218);
	ASSERT_EQ(gaps[6], 300000);
	ASSERT_EQ(gaps[7], 300000);
	/* A success resets the schedule. */
	h = running("app/0");
	hook_exit(h, 0);
	ack_all(a);
	struct hookrun *h2 = running("app/0");
	ASSERT_TRUE(h2 != NULL);
	hook_exit(h2, 1);
	last_end = W.now;
	advance(4999);
	ASSERT_TRUE(running("app/0") == NULL);
	advance(1);
	ASSERT_TRUE(running("app/0") != NULL);
	agent_free(a);
	world_done();
}

static void test_hook_timeout(void)
{
	struct agent *a;
	struct hookrun *h;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	deliver(a, json_pack("{s:s, s:I, s:b, s:I}", "type", "model-config", "update-status-ms",
			     (json_int_t)300000, "retry-hooks", 0, "hook-timeout-ms", (json_int_t)300));
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	advance(299);
	ASSERT_EQ(h->killed, 0);
	advance(1);
	ASSERT_EQ(h->killed, SIGKILL);
	hook_exit(h, 128 + SIGKILL);
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "error");
	ASSERT_TRUE(count_sent("status-set", "message", "hook failed: \"install\"") == 1);
	/* Retries are off: it stays in error. */
	advance(600000);
	ASSERT_TRUE(running("app/0") == NULL);
	agent_free(a);
	world_done();
}

static void test_update_status_interval(void)
{
	struct agent *a;
	char seq[512];

	world_init();
	W.rnd = 0.0; /* the shortest wait: 0.8 x interval */
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	deliver(a, json_pack("{s:s, s:I, s:b, s:I}", "type", "model-config", "update-status-ms",
			     (json_int_t)10000, "retry-hooks", 1, "hook-timeout-ms", (json_int_t)0));
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "install config-changed start");
	advance(7999);
	ASSERT_TRUE(running("app/0") == NULL);
	advance(1);
	ASSERT_TRUE(running("app/0") && !strcmp(running("app/0")->hook, "update-status"));
	/* update-status does not flip the agent to executing. */
	ASSERT_EQ(count_sent("status-set", "message", "running update-status hook"), 0);
	hook_exit(running("app/0"), 0);
	ack_all(a);
	W.rnd = 1.0; /* the longest: 1.2 x */
	advance(8000);
	hook_exit(running("app/0"), 0);
	ack_all(a);
	advance(11999);
	ASSERT_TRUE(running("app/0") == NULL);
	advance(1);
	ASSERT_TRUE(running("app/0") != NULL);
	agent_free(a);
	world_done();
}

static void test_lease(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 2000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "app/0", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "install leader-elected config-changed start");
	ASSERT_TRUE(agent_lease_valid(a));
	/* Pings go every lease/4; no pong: after half the lease the agent stops claiming. */
	advance(999);
	ASSERT_TRUE(agent_lease_valid(a));
	ASSERT_EQ(count_sent("ping", NULL, NULL), 1);
	advance(1);
	ASSERT_TRUE(!agent_lease_valid(a));
	/* The answer to the first ping (sent at 500) extends it to 500 + 1000. */
	json_t *p = last_sent("ping");
	int64_t id = json_integer_value(json_object_get(p, "id"));

	p = NULL;
	json_t *pings = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(W.sent, i, m)
		if (!strcmp(json_string_value(json_object_get(m, "type")), "ping"))
			json_array_append(pings, m);
	id = json_integer_value(json_object_get(json_array_get(pings, json_array_size(pings) - 1), "id"));
	json_decref(pings);
	deliver(a, json_pack("{s:s, s:I}", "type", "pong", "id", (json_int_t)id));
	ASSERT_TRUE(agent_lease_valid(a));
	/* An agent cut off for a whole lease reconnects. */
	W.connected = false;
	advance(2600);
	ASSERT_TRUE(!agent_lease_valid(a));
	ASSERT_TRUE(W.reconnects >= 1);
	/* is-leader inside a hook follows the lease too. */
	W.connected = true;
	agent_link_down(a);
	connect_agent(a, "[\"app/0\"]", 2000);
	unit_goal(a, "app/0", 3, true, 0, "");
	deliver(a, json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:{s:s}, s:s, s:s, s:i, s:[]}", "type",
			     "app-goal", "app", "app", "gen", 4, "charm-rev", 0, "charm-digest", DIGEST1,
			     "charm-size", 100, "config", "thing", "a2", "config-hash", "a2", "leader",
			     "app/0", "leader-gen", 0, "containers"));
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "config-changed"));
	struct hook_ctx *ctx = agent_find_context(a, h->ctx);
	ASSERT_TRUE(ctx->ops->is_leader(ctx));
	advance(1001);
	ASSERT_TRUE(!ctx->ops->is_leader(ctx));
	agent_free(a);
	world_done();
}

static void test_pebble_ready(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, "[\"web\"]");
	unit_goal(a, "app/0", 2, true, 0, "");
	ASSERT_EQ(W.n_wls, 1);
	struct workload *w = W.wls[0];

	/* The container becomes ready during install: pebble-ready comes after start. */
	w->settled = true;
	w->o.ready(w->o.data, w, "boot-1");
	settle();
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "install config-changed start web-pebble-ready");
	/* The same boot id again: nothing. */
	w->o.ready(w->o.data, w, "boot-1");
	settle();
	ASSERT_TRUE(running("app/0") == NULL);
	/* A new boot id whose pebble-ready fails: it comes again 5 s later, not an error. */
	w->o.ready(w->o.data, w, "boot-2");
	settle();
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-ready"));
	hook_exit(h, 1);
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "idle");
	ack_all(a);
	advance(4999);
	ASSERT_TRUE(running("app/0") == NULL);
	advance(1);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-ready"));
	hook_exit(h, 0);
	ack_all(a);
	advance(10000);
	ASSERT_TRUE(running("app/0") == NULL);
	/* Refresh restarts the container after upgrade-charm is committed. */
	app_goal(a, "app", 5, 1, DIGEST2, "a1", "", 0, "[\"web\"]");
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "upgrade-charm"));
	ASSERT_EQ(w->restarts, 0);
	hook_exit(h, 0);
	ack_all(a);
	ASSERT_EQ(w->restarts, 1);
	agent_free(a);
	ASSERT_TRUE(w->detached && !w->destroyed); /* an orderly stop leaves it running */
	world_done();
}

static void test_resend_after_reconnect(void)
{
	struct agent *a;
	struct hookrun *h;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	/* The controller goes away while the hook runs; the hook finishes meanwhile. */
	W.connected = false;
	agent_link_down(a);
	hook_exit(h, 0);
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "committing");
	json_array_clear(W.sent);
	/* Back: everything unacknowledged goes again, in order, the commit included. */
	connect_agent(a, "[\"app/0\"]", 60000);
	json_t *c = last_sent("commit-hook");
	ASSERT_TRUE(c != NULL);
	int64_t seq1 = json_integer_value(json_object_get(c, "seq"));
	/* Another reconnect before the ack: the same message with the same seq. */
	agent_link_down(a);
	json_array_clear(W.sent);
	connect_agent(a, "[\"app/0\"]", 60000);
	c = last_sent("commit-hook");
	ASSERT_EQ(json_integer_value(json_object_get(c, "seq")), seq1);
	ASSERT_EQ(count_sent("commit-hook", NULL, NULL), 1);
	ack_all(a);
	ASSERT_TRUE(running("app/0") != NULL); /* config-changed */
	agent_free(a);
	world_done();
}

/* The index in W.sent of the first message of type with field = value, or -1. */
static int sent_index(const char *type, const char *field, const char *value)
{
	size_t i;
	json_t *m;

	json_array_foreach(W.sent, i, m)
		if (!strcmp(json_string_value(json_object_get(m, "type")), type) &&
		    (!field || !strcmp(json_string_value(json_object_get(m, field)) ?: "", value)))
			return (int)i;
	return -1;
}

static void noop_status(void *arg, json_t *result, const char *error)
{
	(void)arg;
	(void)result;
	(void)error;
}

/* What a running hook does reaches the controller when the hook ends, in order and in one
 * go, or after AGENT_OUT_HOLD_MS for a long hook; it is in the store's outbox from the
 * start; a query for the application's status goes after what the hook did so far. */
static void test_hook_messages_held(void)
{
	struct agent *a;
	struct hookrun *h;
	struct hook_ctx *ctx;
	struct errbuf eb;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "app/0", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "install");
	json_array_clear(W.sent);
	ctx = agent_find_context(a, h->ctx);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "step 1", NULL, &eb), 0);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "step 2", NULL, &eb), 0);
	/* Durable at once, sent later. */
	ASSERT_EQ(count_sent("status-set", NULL, NULL), 0);
	size_t outbox = json_object_size(W.outbox);
	ASSERT_TRUE(outbox >= 3); /* the hook's journal and "running install hook" too */
	advance(AGENT_OUT_HOLD_MS - 1);
	ASSERT_EQ(count_sent("status-set", NULL, NULL), 0);
	/* A long hook: what it did so far goes once the hold is over, in order. */
	advance(1);
	ASSERT_TRUE(sent_index("status-set", "message", "step 1") >= 0);
	ASSERT_TRUE(sent_index("status-set", "message", "step 1") < sent_index("status-set", "message", "step 2"));
	ASSERT_EQ(count_sent("status-set", "message", "running install hook"), 1);
	/* Held again: the next one waits for the end of the hook (or the next hold). */
	json_array_clear(W.sent);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "step 3", NULL, &eb), 0);
	ASSERT_EQ(count_sent("status-set", NULL, NULL), 0);
	/* The application's status is the controller's answer: it goes after step 3. */
	ctx->ops->status_get(ctx, true, noop_status, NULL);
	ASSERT_TRUE(sent_index("status-set", "message", "step 3") >= 0);
	ASSERT_TRUE(sent_index("status-set", "message", "step 3") < sent_index("status-get", NULL, NULL));
	json_array_clear(W.sent);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "done", NULL, &eb), 0);
	ASSERT_EQ(count_sent("status-set", NULL, NULL), 0);
	/* The end of the hook sends the held status before the hook's commit. */
	hook_exit(h, 0);
	ASSERT_TRUE(sent_index("status-set", "message", "done") >= 0);
	ASSERT_TRUE(sent_index("status-set", "message", "done") < sent_index("commit-hook", NULL, NULL));
	/* After the hook nothing is held: an agent status goes at once. */
	ack_all(a);
	h = running("app/0");
	ASSERT_STREQ(h->hook, "leader-elected");
	hook_exit(h, 0);
	ASSERT_TRUE(last_sent("commit-hook") != NULL);
	ack_all(a);
	agent_free(a);
	world_done();
}

/* A workload status the charm sets again, unchanged, costs nothing: no transaction, no
 * message.  The charm's first set of the agent's own status is recorded (it makes the status
 * the charm's), and so is any change of status, message or data. */
static void test_status_set_unchanged(void)
{
	struct agent *a;
	struct hookrun *h;
	struct hook_ctx *ctx;
	struct errbuf eb;
	int applies;
	size_t outbox;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "app/0", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "install");
	ctx = agent_find_context(a, h->ctx);
	/* The agent's "installing charm software", set by the charm: recorded. */
	applies = W.n_applies;
	outbox = json_object_size(W.outbox);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "installing charm software", NULL, &eb), 0);
	ASSERT_EQ(W.n_applies, applies + 1);
	ASSERT_EQ(json_object_size(W.outbox), outbox + 1);
	/* The same again: nothing. */
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "installing charm software", NULL, &eb), 0);
	ASSERT_EQ(W.n_applies, applies + 1);
	ASSERT_EQ(json_object_size(W.outbox), outbox + 1);
	/* Another message, another status, then data: each recorded. */
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "fetching", NULL, &eb), 0);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "fetching", NULL, &eb), 0);
	json_t *data = json_pack("{s:s}", "k", "v");

	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "fetching", data, &eb), 0);
	ASSERT_EQ(W.n_applies, applies + 4);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "fetching", data, &eb), 0);
	ASSERT_EQ(W.n_applies, applies + 4);
	json_decref(data);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "fetching", NULL, &eb), 0);
	ASSERT_EQ(W.n_applies, applies + 5);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "fetching", NULL, &eb), 0);
	ASSERT_EQ(W.n_applies, applies + 5);
	/* The application's status is the controller's: never skipped here. */
	outbox = json_object_size(W.outbox);
	ASSERT_EQ(ctx->ops->status_set(ctx, true, "active", "fetching", NULL, &eb), 0);
	ASSERT_EQ(ctx->ops->status_set(ctx, true, "active", "fetching", NULL, &eb), 0);
	ASSERT_EQ(json_object_size(W.outbox), outbox + 2);
	/* What reaches the controller when the hook ends: each change once (the agent's own
	 * "installing charm software" from the hook's start, then the charm's). */
	json_array_clear(W.sent);
	hook_exit(h, 0);
	ASSERT_EQ(count_sent("status-set", "message", "installing charm software"), 2);
	ASSERT_EQ(count_sent("status-set", "message", "fetching"), 6);
	ack_all(a);
	/* A later hook sees the charm's status as current: setting it again is free. */
	h = running("app/0");
	ASSERT_STREQ(h->hook, "leader-elected");
	ctx = agent_find_context(a, h->ctx);
	applies = W.n_applies;
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "active", "fetching", NULL, &eb), 0);
	ASSERT_EQ(W.n_applies, applies);
	hook_exit(h, 0);
	ack_all(a);
	agent_free(a);
	world_done();
}

/* A link that drops while a hook holds its messages: on reconnect everything unacknowledged
 * goes, the held ones included, each once; nothing is sent twice when the hook ends. */
static void test_held_messages_after_reconnect(void)
{
	struct agent *a;
	struct hookrun *h;
	struct hook_ctx *ctx;
	struct errbuf eb;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	ctx = agent_find_context(a, h->ctx);
	ASSERT_EQ(ctx->ops->status_set(ctx, false, "maintenance", "held", NULL, &eb), 0);
	W.connected = false;
	agent_link_down(a);
	json_array_clear(W.sent);
	connect_agent(a, "[\"app/0\"]", 60000);
	ASSERT_EQ(count_sent("status-set", "message", "held"), 1);
	hook_exit(h, 0);
	ASSERT_EQ(count_sent("status-set", "message", "held"), 1);
	ASSERT_TRUE(last_sent("commit-hook") != NULL);
	ack_all(a);
	ASSERT_TRUE(running("app/0") != NULL);
	agent_free(a);
	world_done();
}

static void test_restart_resumes(void)
{
	struct agent *a;
	struct hookrun *h;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\", \"app/1\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	unit_goal(a, "app/1", 3, true, 0, "");
	/* app/0's install finishes but is not acknowledged; app/1's install is running. */
	hook_exit(running("app/0"), 0);
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "committing");
	h = running("app/1");
	ASSERT_STREQ(h->hook, "install");
	/* The agent dies (no orderly stop: the store is all that is left). */
	W.connected = false;
	json_array_clear(W.sent);
	int hooks_before = W.n_hooks;
	struct agent *dead = a; /* a simulated SIGKILL: it does nothing more */
	a = start_agent();
	ASSERT_TRUE(a != NULL);
	/* The pending install of app/1 runs again at once, from the stored goals, even before
	 * the controller is back; app/0 waits for its commit's ack and runs nothing twice. */
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "committing");
	h = running("app/1");
	ASSERT_TRUE(h && !strcmp(h->hook, "install") && h != W.hooks[hooks_before - 1]);
	connect_agent(a, "[\"app/0\", \"app/1\"]", 60000);
	ASSERT_EQ(count_sent("commit-hook", "unit", "app/0"), 1);
	ack_all(a);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "config-changed"));
	agent_free(a);
	agent_free(dead); /* only to free its memory */
	world_done();
}

static void test_nack_and_resolved(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	deliver(a, json_pack("{s:s, s:I, s:b, s:I}", "type", "model-config", "update-status-ms",
			     (json_int_t)300000, "retry-hooks", 0, "hook-timeout-ms", (json_int_t)0));
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	hook_exit(h, 0);
	json_t *c = last_sent("commit-hook");
	deliver(a, json_pack("{s:s, s:s, s:I, s:s}", "type", "nack", "unit", "app/0", "seq",
			     (json_int_t)json_integer_value(json_object_get(c, "seq")), "error", "no"));
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "error");
	/* resolved (retry-hooks): the hook runs again now. */
	unit_goal(a, "app/0", 3, true, 1, "retry-hooks");
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "install"));
	hook_exit(h, 0);
	ack_all(a);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "config-changed"));
	hook_exit(h, 1);
	ASSERT_STREQ(agent_unit_state(a, "app/0"), "error");
	/* The same resolve generation again does nothing. */
	unit_goal(a, "app/0", 4, true, 1, "retry-hooks");
	ASSERT_TRUE(running("app/0") == NULL);
	/* resolved --no-retry: committed without running; its follow-up start runs. */
	unit_goal(a, "app/0", 5, true, 2, "no-hooks");
	ASSERT_TRUE(running("app/0") == NULL);
	ack_all(a);
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "start");
	agent_free(a);
	world_done();
}

static void test_removal_and_teardown(void)
{
	struct agent *a;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\", \"app/1\", \"app/2\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, "[\"web\"]");
	unit_goal(a, "app/0", 2, true, 0, "");
	unit_goal(a, "app/1", 3, true, 0, "");
	unit_goal(a, "app/2", 4, true, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	run_all(a, "app/1", seq, sizeof(seq));
	run_all(a, "app/2", seq, sizeof(seq));
	/* Dying: stop, remove, then unit-dead; acknowledged, the unit is gone. */
	unit_goal(a, "app/0", 5, false, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "stop remove");
	ASSERT_EQ(count_sent("unit-dead", "unit", "app/0"), 1);
	ASSERT_TRUE(agent_unit_state(a, "app/0") == NULL);
	ASSERT_TRUE(json_object_get(W.units, "app/0") == NULL);
	ASSERT_TRUE(W.wls[0]->destroyed);
	/* Forced removal: gone without hooks. */
	int hooks = W.n_hooks;
	deliver(a, json_pack("{s:s, s:s}", "type", "unit-removed", "unit", "app/1"));
	ASSERT_TRUE(agent_unit_state(a, "app/1") == NULL);
	ASSERT_EQ(W.n_hooks, hooks);
	ASSERT_TRUE(W.wls[1]->destroyed);
	/* A welcome that no longer lists app/2 (removed while we were away). */
	agent_link_down(a);
	connect_agent(a, "[]", 60000);
	ASSERT_TRUE(agent_unit_state(a, "app/2") == NULL);
	ASSERT_TRUE(W.wls[2]->destroyed);
	/* Teardown: everything goes and the agent says it is done. */
	unit_goal(a, "app/3", 6, true, 0, "");
	ASSERT_TRUE(agent_unit_state(a, "app/3") != NULL);
	deliver(a, json_pack("{s:s}", "type", "teardown"));
	ASSERT_TRUE(W.drain_done != NULL);
	W.drain_done(W.drain_arg);
	settle();
	ASSERT_TRUE(W.torn_down);
	ASSERT_TRUE(agent_unit_state(a, "app/3") == NULL);
	ASSERT_EQ(count_sent("teardown-done", NULL, NULL), 1);
	ASSERT_EQ(json_object_size(W.units), 0);
	agent_free(a);
	world_done();
}

#define IMG1 "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define IMG2 "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define FP1 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* An app goal for a charm with containers web (image resource web-image at revision
 * web_rev, when image is not NULL) and db (no image). */
static void pod_app_goal(struct agent *a, int gen, int charm_modified, const char *image, int web_rev)
{
	json_t *res = json_object();

	if (image)
		json_object_set_new(res, "web-image",
				    json_pack("{s:s, s:i, s:s, s:i, s:s}", "type", "oci-image", "revision", web_rev,
					      "fingerprint", FP1, "size", 4096, "image", image));
	deliver(a, json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:{s:s}, s:s, s:s, s:i, s:[s, s], s:i, s:o, s:{s:{s:s, s:[{s:s, s:s}]}, s:{}}}",
			     "type", "app-goal", "app", "app", "gen", gen, "charm-rev", 0, "charm-digest", DIGEST1,
			     "charm-size", 100, "config", "thing", "a1", "config-hash", "a1", "leader", "app/0",
			     "leader-gen", 0, "containers", "db", "web", "charm-modified", charm_modified, "resources",
			     res, "container-specs", "web", "resource", "web-image", "mounts", "storage", "data",
			     "location", "/srv/data", "db"));
}

/* Containers with an image run in the unit's pod (db, without one, as a host scree): the
 * unit's hooks wait for the pod ("waiting for resource") and then run in its network
 * namespace, network-get reports the pod's address, pebble-ready follows each boot id, a
 * new image revision runs upgrade-charm -> config-changed and restarts the container with
 * it, removal destroys the pod, and teardown waits until the pods are gone. */
static void test_pod(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	pod_app_goal(a, 1, 1, IMG1, 1);
	unit_goal(a, "app/0", 2, true, 0, "");
	ASSERT_EQ(W.n_pods, 1);
	struct unitpod *p = W.pods[0];

	ASSERT_EQ(p->n, 1);
	ASSERT_STREQ(p->names[0], "web");
	ASSERT_STREQ(p->images[0], IMG1);
	ASSERT_EQ(p->o.containers == NULL ? 0 : 1, 1);
	ASSERT_EQ(W.n_wls, 1); /* db: a host scree */
	ASSERT_STREQ(W.wls[0]->name, "db");
	/* The images are being fetched: no hook runs, the unit waits. */
	fpod_state(p, UNITPOD_WAITING, NULL, "waiting for resource");
	settle();
	ASSERT_TRUE(running("app/0") == NULL);
	json_t *st = last_sent("status-set");
	ASSERT_STREQ(json_string_value(json_object_get(st, "status")), "waiting");
	ASSERT_STREQ(json_string_value(json_object_get(st, "message")), "waiting for resource");
	ack_all(a);
	/* Up: install runs in the pod's network namespace, with its address. */
	fpod_state(p, UNITPOD_UP, "10.9.8.7", NULL);
	settle();
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "install"));
	ASSERT_STREQ(h->netns, "/run/netns/pod-app-0");
	struct hook_ctx *ctx = agent_find_context(a, h->ctx);
	ASSERT_STREQ(ctx->private_address, "10.9.8.7");
	ASSERT_STREQ(ctx->public_address, "10.9.8.7");
	json_t *bind = json_array_get(json_object_get(json_array_get(json_object_get(ctx->network, "bind-addresses"), 0),
						      "addresses"), 0);
	ASSERT_STREQ(json_string_value(json_object_get(bind, "value")), "10.9.8.7");
	ASSERT_STREQ(json_string_value(json_object_get(bind, "cidr")), "10.9.8.0/24");
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(ctx->network, "egress-subnets"), 0)),
		     "10.9.8.7/32");
	fpod_ready(p, 0, "boot-1");
	W.wls[0]->settled = true;
	W.wls[0]->o.ready(W.wls[0]->o.data, W.wls[0], "db-boot-1");
	settle();
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_TRUE(!strncmp(seq, "install leader-elected config-changed start ", 44));
	ASSERT_TRUE(strstr(seq, "web-pebble-ready") && strstr(seq, "db-pebble-ready"));
	/* The container restarts (it died, or its scree did): a new boot id, pebble-ready. */
	p->settled[0] = false;
	fpod_ready(p, 0, "boot-2");
	settle();
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "web-pebble-ready");
	/* A new image revision: the pod gets the image, then upgrade-charm -> config-changed,
	 * and the container restarts with it: pebble-ready for its new boot id. */
	W.pod_update_state = UNITPOD_WAITING;
	pod_app_goal(a, 3, 2, IMG2, 2);
	ASSERT_EQ(p->updates, 1);
	ASSERT_STREQ(p->images[0], IMG2);
	settle();
	ASSERT_TRUE(running("app/0") == NULL);
	ack_all(a);
	fpod_state(p, UNITPOD_UP, "10.9.8.7", NULL);
	settle();
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "upgrade-charm"));
	hook_exit(h, 0);
	ack_all(a);
	ASSERT_STREQ(p->restarted, "web ");
	ASSERT_EQ(W.wls[0]->restarts, 1); /* the host scree restarts too, as a new pod would */
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "config-changed"));
	hook_exit(h, 0);
	ack_all(a);
	fpod_ready(p, 0, "boot-3");
	settle();
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "web-pebble-ready");
	/* The charm's own status came back once the pod was up again. */
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(json_object_get(W.units, "app/0"), "wl"),
						       "status")), "unknown");
	/* Teardown: the pod is destroyed; teardown-done waits until the pods are gone. */
	deliver(a, json_pack("{s:s}", "type", "teardown"));
	ASSERT_TRUE(p->destroyed);
	ASSERT_TRUE(strstr(W.forgotten, "app/0 ") != NULL);
	ASSERT_TRUE(W.drain_done != NULL);
	ASSERT_EQ(count_sent("teardown-done", NULL, NULL), 0);
	ASSERT_TRUE(!W.torn_down);
	W.drain_done(W.drain_arg);
	settle();
	ASSERT_EQ(count_sent("teardown-done", NULL, NULL), 1);
	ASSERT_TRUE(W.torn_down);
	agent_free(a);
	world_done();
}

/* A container whose resource is attached later moves from a host scree into the pod; a dying
 * unit reports its death only once its pod is gone; an orderly stop leaves a pod running for
 * the next agent. */
static void test_pod_attach_later(void)
{
	struct agent *a;
	char seq[512];

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	pod_app_goal(a, 1, 0, NULL, 0);
	unit_goal(a, "app/0", 2, true, 0, "");
	ASSERT_EQ(W.n_pods, 0);
	ASSERT_EQ(W.n_wls, 2);
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "install leader-elected config-changed start");
	pod_app_goal(a, 3, 1, IMG1, 1);
	ASSERT_EQ(W.n_pods, 1);
	ASSERT_TRUE(W.wls[1]->destroyed && !W.wls[0]->destroyed); /* web left the host */
	ASSERT_TRUE(running("app/0") == NULL);
	fpod_state(W.pods[0], UNITPOD_UP, "10.9.8.7", NULL);
	settle();
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "upgrade-charm config-changed");
	/* Dying: stop and remove run, then the pod goes, and only then is the unit dead. */
	unit_goal(a, "app/0", 4, false, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "stop remove");
	ASSERT_TRUE(W.pods[0]->removing && !W.pods[0]->destroyed);
	ASSERT_EQ(count_sent("unit-dead", "unit", "app/0"), 0);
	fpod_state(W.pods[0], UNITPOD_GONE, NULL, NULL);
	settle();
	ASSERT_EQ(count_sent("unit-dead", "unit", "app/0"), 1);
	ASSERT_TRUE(W.pods[0]->destroyed);
	ack_all(a);
	ASSERT_TRUE(agent_unit_state(a, "app/0") == NULL);
	/* A new unit whose pod exists: an orderly stop leaves it running for the next agent. */
	unit_goal(a, "app/1", 5, true, 0, "");
	pod_app_goal(a, 6, 1, IMG1, 1);
	ASSERT_EQ(W.n_pods, 2);
	agent_free(a);
	ASSERT_TRUE(W.pods[1]->detached && !W.pods[1]->destroyed);
	world_done();
}

/* A unit goal with a relations and an actions document (JSON text, "" = none). */
static void unit_goal_with(struct agent *a, const char *unit, int gen, bool alive, const char *rels,
			   const char *tasks)
{
	json_t *g = json_pack("{s:s, s:s, s:i, s:b, s:{}, s:[], s:i, s:s}", "type", "unit-goal", "unit",
			      unit, "gen", gen, "alive", alive, "state", "ports", "resolve-gen", 0,
			      "resolve-mode", "");

	if (*rels)
		json_object_set_new(g, "relations", json_loads(rels, 0, NULL));
	if (*tasks)
		json_object_set_new(g, "actions", json_loads(tasks, 0, NULL));
	deliver(a, g);
}

#define REL0(units) \
	"[{\"id\": 0, \"endpoint\": \"db\", \"interface\": \"kv\", \"remote-app\": \"b\"," \
	" \"peer\": false, \"alive\": true, \"units\": {" units "}, \"app-version\": 0," \
	" \"app-bag\": {}}]"

static void test_relation_hooks(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];
	json_t *m, *ch;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "app/0", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "install leader-elected config-changed start");
	/* The relation appears: created (then config-changed); created enters the scope with
	 * the unit's addresses. */
	unit_goal_with(a, "app/0", 3, true, REL0(""), "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "db-relation-created");
	ASSERT_EQ(h->rel_id, 0);
	hook_exit(h, 0);
	m = last_sent("commit-hook");
	ch = json_array_get(json_object_get(m, "relations"), 0);
	ASSERT_STREQ(json_string_value(json_object_get(ch, "scope")), "enter");
	ASSERT_TRUE(json_is_object(json_object_get(ch, "unit-bag")));
	ASSERT_TRUE(json_object_get(json_object_get(m, "journal"), "relations") != NULL);
	ack_all(a);
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "config-changed");
	/* A remote unit in scope: joined then changed, JUJU_REMOTE_UNIT set. */
	unit_goal_with(a, "app/0", 4, true, REL0("\"b/0\": {\"version\": 1, \"bag\": {\"k\": \"v\"}}"), "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "db-relation-joined");
	ASSERT_STREQ(h->remote, "b/0");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "db-relation-joined db-relation-changed");
	/* A new version of its bag: one -changed; the same version again: nothing. */
	unit_goal_with(a, "app/0", 5, true, REL0("\"b/0\": {\"version\": 2, \"bag\": {\"k\": \"w\"}}"), "");
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "db-relation-changed");
	unit_goal_with(a, "app/0", 6, true, REL0("\"b/0\": {\"version\": 2, \"bag\": {\"k\": \"w\"}}"), "");
	ASSERT_TRUE(running("app/0") == NULL);
	/* It leaves: departed, with the departing unit. */
	unit_goal_with(a, "app/0", 7, true, REL0(""), "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "db-relation-departed");
	ASSERT_STREQ(h->departing, "b/0");
	hook_exit(h, 0);
	ack_all(a);
	/* The unit goes: broken (leaving the scope) before stop. */
	unit_goal_with(a, "app/0", 8, false, REL0(""), "");
	h = running("app/0");
	ASSERT_STREQ(h->hook, "db-relation-broken");
	hook_exit(h, 0);
	m = last_sent("commit-hook");
	ch = json_array_get(json_object_get(m, "relations"), 0);
	ASSERT_STREQ(json_string_value(json_object_get(ch, "scope")), "leave");
	ack_all(a);
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "stop remove");
	agent_free(a);
	world_done();
}

#define TASK(id, st) \
	"[{\"id\": " #id ", \"name\": \"backup\", \"params\": {\"x\": 1}, \"status\": \"" st "\"," \
	" \"kind\": \"action\"}]"

static void test_tasks(void)
{
	struct agent *a;
	struct hookrun *h;
	char seq[512];
	json_t *m;

	world_init();
	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "app/0", 0, NULL);
	unit_goal(a, "app/0", 2, true, 0, "");
	run_all(a, "app/0", seq, sizeof(seq));
	unit_goal_with(a, "app/0", 3, true, "", TASK(5, "pending"));
	h = running("app/0");
	ASSERT_TRUE(h != NULL);
	ASSERT_STREQ(h->action, "backup");
	ASSERT_STREQ(h->action_id, "5");
	ASSERT_EQ(count_sent("action-started", "unit", "app/0"), 1);
	/* While the task runs, a config change runs no hook. */
	app_goal(a, "app", 2, 0, DIGEST1, "a2", "app/0", 0, NULL);
	ASSERT_TRUE(running("app/0") == h);
	hook_exit(h, 3);
	m = last_sent("action-result");
	ASSERT_STREQ(json_string_value(json_object_get(m, "status")), "failed");
	ASSERT_STREQ(json_string_value(json_object_get(m, "message")), "exit status 3");
	ASSERT_EQ(json_integer_value(json_object_get(json_object_get(m, "results"), "return-code")), 3);
	/* Then the hook that waited; the controller's late goal (still "running") runs nothing
	 * twice. */
	h = running("app/0");
	ASSERT_STREQ(h->hook, "config-changed");
	unit_goal_with(a, "app/0", 4, true, "", TASK(5, "running"));
	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "config-changed");
	ASSERT_EQ(count_sent("action-started", "unit", "app/0"), 1);
	ASSERT_EQ(count_sent("action-result", "unit", "app/0"), 1);
	/* A task running when the agent dies is failed when it starts again. */
	unit_goal_with(a, "app/0", 5, true, "", TASK(6, "pending"));
	ASSERT_STREQ(running("app/0")->action_id, "6");
	W.connected = false;
	json_array_clear(W.sent);
	struct agent *dead = a;
	int before = W.n_hooks;

	a = start_agent();
	connect_agent(a, "[\"app/0\"]", 60000);
	m = last_sent("action-result");
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(json_integer_value(json_object_get(m, "task")), 6);
	ASSERT_STREQ(json_string_value(json_object_get(m, "message")), "action terminated");
	for (int i = before; i < W.n_hooks; i++)
		ASSERT_TRUE(strcmp(W.hooks[i]->action_id, "6") != 0);
	agent_free(a);
	agent_free(dead);
	world_done();
}

/* ---- Pebble notices ---- */

#define SOCK0 "/tmp/fake-home/agents/unit-app-0/containers/web/pebble.socket"
#define T1 "2024-05-01T10:00:00.000001Z"
#define T2 "2024-05-01T10:00:00.000002Z"
#define T3 "2024-05-01T10:00:00.00003Z"   /* Go trims zeros: compared as times, not text */

/* The open request whose target starts with prefix, or NULL. */
static struct agent_pebble_req *pebble_open(const char *prefix)
{
	for (int i = W.n_pebble - 1; i >= 0; i--) {
		struct agent_pebble_req *r = W.pebble[i];

		if (!r->finished && !r->cancelled && !strncmp(r->target, prefix, strlen(prefix)))
			return r;
	}
	return NULL;
}

static int pebble_open_count(void)
{
	int n = 0;

	for (int i = 0; i < W.n_pebble; i++)
		n += !W.pebble[i]->finished && !W.pebble[i]->cancelled;
	return n;
}

static void pebble_answer(struct agent_pebble_req *r, int status, const char *body, const char *error)
{
	r->finished = true;
	r->done(r->arg, status, body ? body : "", body ? strlen(body) : 0, error);
	settle();
}

static char *notice(const char *id, const char *type, const char *key, const char *lr, const char *data)
{
	return xasprintf("{\"id\":\"%s\",\"user-id\":null,\"type\":\"%s\",\"key\":\"%s\","
			 "\"first-occurred\":\"%s\",\"last-occurred\":\"%s\",\"last-repeated\":\"%s\","
			 "\"occurrences\":1%s%s%s,\"expire-after\":\"168h0m0s\"}",
			 id, type, key, lr, lr, lr, data ? ",\"last-data\":" : "", data ? data : "", "");
}

/* Answers the open notices poll with these notices (JSON texts, freed). */
static void answer_notices(int n, ...)
{
	struct agent_pebble_req *r = pebble_open("/v1/notices?");
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	buf_adds(&b, "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":[");
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		char *x = va_arg(ap, char *);

		buf_addf(&b, "%s%s", i ? "," : "", x);
		free(x);
	}
	va_end(ap);
	buf_adds(&b, "]}");
	if (r)
		pebble_answer(r, 200, b.data, NULL);
	buf_done(&b);
}

static void answer_change(const char *id, int status, const char *chg_status)
{
	char target[64], body[256];
	struct agent_pebble_req *r;

	snprintf(target, sizeof(target), "/v1/changes/%s", id);
	r = pebble_open(target);
	if (!r)
		return;
	if (status == 200)
		snprintf(body, sizeof(body), "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\","
			 "\"result\":{\"id\":\"%s\",\"kind\":\"perform-check\",\"status\":\"%s\"}}", id, chg_status);
	else
		snprintf(body, sizeof(body), "{\"type\":\"error\",\"status-code\":404,\"status\":\"Not Found\","
			 "\"result\":{\"message\":\"cannot find change with id \\\"%s\\\"\"}}", id);
	pebble_answer(r, status, body, NULL);
}

/* One hook of unit ran to its acknowledged commit. */
static void finish_hook_ok(struct agent *a, struct hookrun *h)
{
	hook_exit(h, 0);
	ack_all(a);
}

static struct agent *container_unit(void)
{
	struct agent *a = start_agent();

	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, "[\"web\"]");
	unit_goal(a, "app/0", 2, true, 0, "");
	if (W.n_wls)
		W.wls[W.n_wls - 1]->settled = true; /* no boot id reported: no pebble-ready */
	return a;
}

static void test_notices_custom(void)
{
	struct agent *a;
	struct hookrun *h;
	struct agent_pebble_req *r;

	world_init();
	a = container_unit();
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "install"));
	/* The watch long-polls the container's socket, from the start (nothing committed yet). */
	advance(0);
	r = pebble_open("/v1/notices?");
	ASSERT_TRUE(r != NULL);
	ASSERT_STREQ(r->socket, SOCK0);
	ASSERT_STREQ(r->target, "/v1/notices?users=all&timeout=30s");
	/* Two custom notices while install runs: they wait for it, then go before the
	 * lifecycle hooks still due (§7.1: workload events are not gated on install/start). */
	answer_notices(2, notice("1", "custom", "example.com/a", T1, "{\"x\":\"1\"}"),
		       notice("2", "custom", "example.com/b", T2, NULL));
	ASSERT_TRUE(running("app/0") == h);
	ASSERT_EQ(pebble_open_count(), 0); /* one at a time: no poll while they are handled */
	finish_hook_ok(a, h);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-custom-notice"));
	ASSERT_STREQ(h->workload, "web");
	ASSERT_STREQ(h->notice_id, "1");
	ASSERT_STREQ(h->notice_type, "custom");
	ASSERT_STREQ(h->notice_key, "example.com/a");
	ASSERT_STREQ(h->check, "");
	/* The commit carries the cursor; the next notice waits for its acknowledgement. */
	hook_exit(h, 0);
	json_t *c = last_sent("commit-hook");
	json_t *cur = json_object_get(json_object_get(json_object_get(c, "journal"), "notices"), "web");
	ASSERT_STREQ(json_string_value(json_object_get(cur, "last-repeated")), T1);
	ASSERT_STREQ(json_string_value(json_object_get(cur, "id")), "1");
	ASSERT_TRUE(running("app/0") == NULL);
	ack_all(a);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-custom-notice"));
	ASSERT_STREQ(h->notice_id, "2");
	ASSERT_STREQ(h->notice_key, "example.com/b");
	finish_hook_ok(a, h);
	/* Then the lifecycle goes on, and the watch polls after the last one it handled. */
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "config-changed"));
	ASSERT_STREQ(h->notice_id, "");
	r = pebble_open("/v1/notices?");
	ASSERT_TRUE(r != NULL);
	ASSERT_STREQ(r->target, "/v1/notices?users=all&after=2024-05-01T10%3A00%3A00.000002Z&timeout=30s");
	/* A long-poll that ends empty is simply made again; a repeat of notice 1 (same id, a
	 * later last-repeated) is one more occurrence, one more hook. */
	answer_notices(0);
	ASSERT_TRUE(pebble_open("/v1/notices?") != NULL);
	answer_notices(2, notice("2", "custom", "example.com/b", T2, NULL),
		       notice("1", "custom", "example.com/a", T3, NULL));
	/* A hook queued as a follow-up (start after config-changed) still goes first, as in
	 * Juju's resolver: workload events wait for an idle unit. */
	finish_hook_ok(a, h);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "start"));
	json_array_clear(W.sent);
	finish_hook_ok(a, h);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-custom-notice"));
	ASSERT_STREQ(h->notice_id, "1");
	/* While an event is handled the unit is busy (wait-for idle waits for it). */
	ASSERT_TRUE(count_sent("progress", "state", "idle") == 0);
	finish_hook_ok(a, h);
	ASSERT_TRUE(running("app/0") == NULL);
	ASSERT_TRUE(count_sent("progress", "state", "idle") > 0);
	agent_free(a);
	world_done();
}

static void test_notices_checks(void)
{
	struct agent *a;
	struct hookrun *h;

	world_init();
	a = container_unit();
	char seq[512];

	run_all(a, "app/0", seq, sizeof(seq));
	ASSERT_STREQ(seq, "install config-changed start");
	advance(0);
	answer_notices(5,
		       notice("5", "change-update", "12", T1,
			      "{\"kind\":\"perform-check\",\"check-name\":\"up\"}"),
		       notice("6", "change-update", "13", T2,
			      "{\"kind\":\"recover-check\",\"check-name\":\"up\"}"),
		       notice("7", "change-update", "14", "2024-05-01T10:00:01Z",
			      "{\"kind\":\"perform-check\",\"check-name\":\"other\"}"),
		       notice("8", "change-update", "15", "2024-05-01T10:00:02Z", "{\"kind\":\"exec\"}"),
		       notice("9", "warning", "something odd", "2024-05-01T10:00:03Z", NULL));
	/* perform-check: the change says Error -> check-failed. */
	ASSERT_TRUE(running("app/0") == NULL);
	answer_change("12", 200, "Error");
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-check-failed"));
	ASSERT_STREQ(h->check, "up");
	ASSERT_STREQ(h->workload, "web");
	ASSERT_STREQ(h->notice_id, "");
	finish_hook_ok(a, h);
	/* recover-check, its change pruned (404): counts as Done -> check-recovered. */
	answer_change("13", 404, NULL);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-check-recovered"));
	ASSERT_STREQ(h->check, "up");
	finish_hook_ok(a, h);
	/* perform-check still Doing: no hook; an exec change and a warning: not looked at. */
	answer_change("14", 200, "Doing");
	ASSERT_TRUE(running("app/0") == NULL);
	ASSERT_TRUE(pebble_open("/v1/changes/") == NULL);
	struct agent_pebble_req *r = pebble_open("/v1/notices?");
	ASSERT_TRUE(r != NULL);
	ASSERT_CONTAINS(r->target, "after=2024-05-01T10%3A00%3A03Z");
	agent_free(a);
	world_done();
}

static void test_notices_errors(void)
{
	struct agent *a;
	struct agent_pebble_req *r;

	world_init();
	a = container_unit();
	advance(0);
	/* Socket missing (Pebble still starting): again after 1 s, no sooner. */
	r = pebble_open("/v1/notices?");
	pebble_answer(r, 0, NULL, "dial unix " SOCK0 ": connect: no such file or directory");
	ASSERT_EQ(pebble_open_count(), 0);
	advance(999);
	ASSERT_EQ(pebble_open_count(), 0);
	advance(1);
	ASSERT_EQ(pebble_open_count(), 1);
	/* A bad answer and an error status: the same. */
	pebble_answer(pebble_open("/v1/notices?"), 200, "{\"result\":", NULL);
	advance(1000);
	pebble_answer(pebble_open("/v1/notices?"), 500, "{\"type\":\"error\"}", NULL);
	advance(999);
	ASSERT_EQ(pebble_open_count(), 0);
	advance(1);
	/* A change that cannot be read is asked again after 1 s, for the same notice. */
	answer_notices(1, notice("5", "change-update", "12", T1,
				 "{\"kind\":\"perform-check\",\"check-name\":\"up\"}"));
	pebble_answer(pebble_open("/v1/changes/12"), 0, NULL, "timed out");
	advance(1000);
	ASSERT_TRUE(pebble_open("/v1/changes/12") != NULL);
	agent_free(a);
	/* The agent's end cancels what is open. */
	ASSERT_EQ(pebble_open_count(), 0);
	world_done();
}

/* The cursor and a pending notice hook survive a restart: nothing repeated, nothing lost. */
static void test_notices_restart(void)
{
	struct agent *a, *dead;
	struct hookrun *h;
	char seq[512];

	world_init();
	a = container_unit();
	run_all(a, "app/0", seq, sizeof(seq));
	advance(0);
	answer_notices(2, notice("1", "custom", "example.com/a", T1, NULL),
		       notice("2", "custom", "example.com/b", T2, NULL));
	h = running("app/0");
	finish_hook_ok(a, h); /* notice 1 committed */
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->notice_id, "2"));
	/* SIGKILL while notice 2's hook runs. */
	dead = a;
	W.connected = false;
	h->done = true; /* it died with the agent */
	a = start_agent();
	/* Its pending hook runs again with the same notice... */
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-custom-notice"));
	ASSERT_STREQ(h->notice_id, "2");
	ASSERT_STREQ(h->notice_key, "example.com/b");
	connect_agent(a, "[\"app/0\"]", 60000);
	app_goal(a, "app", 1, 0, DIGEST1, "a1", "", 0, "[\"web\"]");
	unit_goal(a, "app/0", 2, true, 0, "");
	advance(0);
	/* ...and the watch starts after notice 1: Pebble gives 2 again (and a new 3). */
	struct agent_pebble_req *r = pebble_open("/v1/notices?");
	ASSERT_TRUE(r != NULL);
	ASSERT_CONTAINS(r->target, "after=2024-05-01T10%3A00%3A00.000001Z");
	answer_notices(2, notice("2", "custom", "example.com/b", T2, NULL),
		       notice("3", "custom", "example.com/c", T3, NULL));
	finish_hook_ok(a, h);
	h = running("app/0");
	ASSERT_TRUE(h && !strcmp(h->hook, "web-pebble-custom-notice"));
	ASSERT_STREQ(h->notice_id, "3"); /* 2 is not run twice */
	finish_hook_ok(a, h);
	ASSERT_TRUE(running("app/0") == NULL);
	agent_free(a);
	agent_free(dead);
	world_done();
}

/* ---- resources (unit_resources.c) ---- */

#define RFP1 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define RFP2 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define RFP3 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* An app goal whose resources are software (file software.tgz, fingerprint fp, 5 bytes),
 * other (file, no filename declared) and img (an oci-image). */
static void res_app_goal(struct agent *a, int gen, const char *fp)
{
	json_t *res = json_pack("{s:{s:s, s:i, s:s, s:i, s:s}, s:{s:s, s:i, s:s, s:i}, s:{s:s, s:i, s:s, s:i, s:s}}",
				"software", "type", "file", "revision", gen, "fingerprint", fp, "size", 5,
				"filename", "software.tgz", "other", "type", "file", "revision", 1, "fingerprint",
				RFP3, "size", 5, "img", "type", "oci-image", "revision", 1, "fingerprint", FP1,
				"size", 4096, "image", IMG1);

	deliver(a, json_pack("{s:s, s:s, s:i, s:i, s:s, s:i, s:{s:s}, s:s, s:s, s:i, s:[], s:i, s:o}",
			     "type", "app-goal", "app", "app", "gen", gen, "charm-rev", 0, "charm-digest", DIGEST1,
			     "charm-size", 100, "config", "thing", "a1", "config-hash", "a1", "leader", "app/0",
			     "leader-gen", 0, "containers", "charm-modified", gen, "resources", res));
}

struct res_answer {
	int calls;
	char path[512], error[512];
};

static void on_res(void *arg, const char *path, const char *error)
{
	struct res_answer *r = arg;

	r->calls++;
	snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
}

/* Ends fetch x as fetch.c does: the content lands at its path (renamed into place), or
 * nothing does and done gets the reason. */
static void fetch_end(struct fetch *x, const char *content, const char *error)
{
	ASSERT_TRUE(!x->cancelled && !x->ended);
	x->ended = true;
	if (content)
		ASSERT_EQ(fs_write_atomic(x->path, content, strlen(content), 0600), 0);
	x->done(x->arg, error);
	settle();
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char *s;

	buf_init(&b);
	if (fs_read_file(path, 1 << 20, &b) < 0) {
		buf_done(&b);
		return xstrdup("(missing)");
	}
	s = xstrdup(buf_str(&b));
	buf_done(&b);
	return s;
}

/* resource-get through the unit's hook context: a fetch per revision the unit lacks, shared
 * by concurrent calls, at once when current, Juju's "not found" for names without content,
 * errors for failed and overdue fetches (a link-down fetch abandoned), waiters answered when
 * the hook ends, a file that cannot be moved into place, the oci-image details file, and
 * fetches cancelled when the unit goes (fetch.c queues fetches of the same content:
 * test-fetch). */
/* test_resources' home, removed at the end even when the test failed half-way. */
static char res_home[64];

static void test_resources(void)
{
	char home[] = "/tmp/cairn-test-agent-res-XXXXXXXX";
	struct agent_config cfg = {
		.machine = "0", .password = "pw", .tools_dir = "/tools", .scree_path = "/bin/scree",
		.socket_path = "/tmp/fake-home/agent.sock", .max_parallel = 4, .refused = on_refused,
		.torn_down = on_torn_down,
	};
	struct res_answer r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct agent *a = NULL;
	struct hookrun *h;
	struct hook_ctx *ctx;
	struct errbuf eb;
	char want[600], *text;

	world_init();
	ASSERT_TRUE(mkdtemp(home) != NULL);
	snprintf(res_home, sizeof(res_home), "%s", home);
	cfg.home = home;
	ASSERT_EQ(agent_new(&cfg, &fake_io, &a, &eb), 0);
	settle();
	connect_agent(a, "[\"app/0\"]", 60000);
	res_app_goal(a, 1, RFP1);
	unit_goal(a, "app/0", 2, true, 0, "");
	h = running("app/0");
	ASSERT_TRUE(h != NULL);
	ASSERT_STREQ(h->hook, "install");
	ctx = agent_find_context(a, h->ctx);
	ASSERT_TRUE(ctx != NULL && ctx->ops->resource_get != NULL);
	snprintf(want, sizeof(want), "%s/agents/unit-app-0/resources/software/software.tgz", home);

	/* Two calls while the content is missing: one fetch, both answered when it ends. */
	ctx->ops->resource_get(ctx, "software", on_res, &r1);
	ctx->ops->resource_get(ctx, "software", on_res, &r2);
	ASSERT_EQ(W.n_fetches, 1);
	ASSERT_EQ(r1.calls + r2.calls, 0);
	ASSERT_STREQ(W.fetches[0]->fp, RFP1);
	/* Fetched outside the resource's directory, which shows nothing until the file is
	 * whole; then it is renamed into place. */
	char stage[600];

	snprintf(stage, sizeof(stage), "%s/agents/unit-app-0/resources/.incoming/software/software.tgz", home);
	ASSERT_STREQ(W.fetches[0]->path, stage);
	ASSERT_EQ(W.fetches[0]->size, 5);
	ASSERT_TRUE(access(want, F_OK) < 0 && errno == ENOENT);
	fetch_end(W.fetches[0], "one\n!", NULL);
	ASSERT_TRUE(access(stage, F_OK) < 0 && errno == ENOENT);
	text = slurp(want);
	ASSERT_STREQ(text, "one\n!");
	free(text);
	ASSERT_EQ(r1.calls, 1);
	ASSERT_EQ(r2.calls, 1);
	ASSERT_STREQ(r1.path, want);
	ASSERT_STREQ(r2.path, want);
	ASSERT_STREQ(r1.error, "");
	/* Current: answered at once, nothing fetched. */
	ctx->ops->resource_get(ctx, "software", on_res, &r3);
	ASSERT_EQ(r3.calls, 1);
	ASSERT_STREQ(r3.path, want);
	ASSERT_EQ(W.n_fetches, 1);
	/* The record survives the agent: resources.json names the content. */
	snprintf(want, sizeof(want), "%s/agents/unit-app-0/resources.json", home);
	text = slurp(want);
	ASSERT_CONTAINS(text, RFP1);
	free(text);
	/* A file the charm removed is fetched again. */
	snprintf(want, sizeof(want), "%s/agents/unit-app-0/resources/software/software.tgz", home);
	ASSERT_EQ(unlink(want), 0);
	memset(&r3, 0, sizeof(r3));
	ctx->ops->resource_get(ctx, "software", on_res, &r3);
	ASSERT_EQ(W.n_fetches, 2);
	fetch_end(W.fetches[1], "one\n!", NULL);
	ASSERT_STREQ(r3.path, want);

	/* A file the charm rewrote in place (same size, another modification time): fetched
	 * again. */
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };

	ASSERT_EQ(utimensat(AT_FDCWD, want, ts, 0), 0);
	memset(&r3, 0, sizeof(r3));
	ctx->ops->resource_get(ctx, "software", on_res, &r3);
	ASSERT_EQ(W.n_fetches, 3);
	fetch_end(W.fetches[2], "one\n!", NULL);
	ASSERT_STREQ(r3.path, want);
	memset(&r3, 0, sizeof(r3));
	ctx->ops->resource_get(ctx, "software", on_res, &r3);
	ASSERT_EQ(r3.calls, 1);
	ASSERT_EQ(W.n_fetches, 3);

	/* Names without content: Juju's text, nothing fetched. */
	memset(&r1, 0, sizeof(r1));
	ctx->ops->resource_get(ctx, "nope", on_res, &r1);
	ASSERT_EQ(r1.calls, 1);
	ASSERT_STREQ(r1.error, "resource \"nope\" not found");
	ctx->ops->resource_get(ctx, "..", on_res, &r1);
	ASSERT_STREQ(r1.error, "resource \"..\" not found");
	ASSERT_EQ(W.n_fetches, 3);

	/* The image resource: its details as YAML, at once. */
	memset(&r1, 0, sizeof(r1));
	ctx->ops->resource_get(ctx, "img", on_res, &r1);
	snprintf(want, sizeof(want), "%s/agents/unit-app-0/resources/img/content.yaml", home);
	ASSERT_EQ(r1.calls, 1);
	ASSERT_STREQ(r1.path, want);
	text = slurp(want);
	ASSERT_STREQ(text, "registrypath: '" IMG1 "'\n");
	free(text);
	ASSERT_EQ(W.n_fetches, 3);

	/* A new revision, with the controller away: the wait ends with an error and the fetch is
	 * abandoned. */
	res_app_goal(a, 2, RFP2);
	memset(&r1, 0, sizeof(r1));
	ctx->ops->resource_get(ctx, "software", on_res, &r1);
	ASSERT_EQ(W.n_fetches, 4);
	ASSERT_STREQ(W.fetches[3]->fp, RFP2);
	agent_link_down(a);
	advance(UNIT_RESOURCE_WAIT_MS - 1);
	ASSERT_EQ(r1.calls, 0);
	advance(1);
	ASSERT_EQ(r1.calls, 1);
	ASSERT_STREQ(r1.path, "");
	ASSERT_STREQ(r1.error, "fetching resource \"software\": the controller did not send it within 20 s");
	ASSERT_TRUE(W.fetches[3]->cancelled);
	W.fetches[3]->ended = true;
	/* The old revision is still in place. */
	snprintf(want, sizeof(want), "%s/agents/unit-app-0/resources/software/software.tgz", home);
	text = slurp(want);
	ASSERT_STREQ(text, "one\n!");
	free(text);

	/* Back, but the content is bad: the fetch's reason, named. */
	connect_agent(a, "[\"app/0\"]", 60000);
	memset(&r1, 0, sizeof(r1));
	ctx->ops->resource_get(ctx, "software", on_res, &r1);
	ASSERT_EQ(W.n_fetches, 5);
	fetch_end(W.fetches[4], NULL, "the fetched content does not match its fingerprint");
	ASSERT_STREQ(r1.error, "fetching resource \"software\": the fetched content does not match its fingerprint");

	/* The hook ends while a call waits: it is answered; the fetch goes on. */
	memset(&r1, 0, sizeof(r1));
	ctx->ops->resource_get(ctx, "software", on_res, &r1);
	ASSERT_EQ(W.n_fetches, 6);
	/* Meanwhile "other" has a fetch of its own (its file is named after it). */
	memset(&r2, 0, sizeof(r2));
	ctx->ops->resource_get(ctx, "other", on_res, &r2);
	ASSERT_EQ(r2.calls, 0);
	ASSERT_EQ(W.n_fetches, 7);
	fetch_end(W.fetches[5], "two\n!", NULL);
	ASSERT_STREQ(r1.path, want);
	text = slurp(want);
	ASSERT_STREQ(text, "two\n!");
	free(text);
	snprintf(stage, sizeof(stage), "%s/agents/unit-app-0/resources/.incoming/other/other", home);
	ASSERT_STREQ(W.fetches[6]->path, stage);
	ASSERT_EQ(r2.calls, 0);
	/* A whole file that cannot be moved into place (a directory holds its name): the error,
	 * and nothing left behind in .incoming. */
	snprintf(want, sizeof(want), "%s/agents/unit-app-0/resources/other/other", home);
	ASSERT_EQ(fs_mkdir_p(want, 0755), 0);
	fetch_end(W.fetches[6], "six\n!", NULL);
	ASSERT_EQ(r2.calls, 1);
	ASSERT_CONTAINS(r2.error, "fetching resource \"other\": cannot move it into place: rename ");
	ASSERT_CONTAINS(r2.error, ": Is a directory");
	ASSERT_TRUE(access(stage, F_OK) < 0 && errno == ENOENT);
	ASSERT_EQ(rmdir(want), 0);
	/* The next call fetches again. */
	memset(&r2, 0, sizeof(r2));
	ctx->ops->resource_get(ctx, "other", on_res, &r2);
	ASSERT_EQ(W.n_fetches, 8);
	ASSERT_STREQ(W.fetches[7]->path, stage);
	hook_exit(h, 0);
	ASSERT_EQ(r2.calls, 1);
	ASSERT_STREQ(r2.error, "the hook has finished");
	ASSERT_TRUE(!W.fetches[7]->cancelled);

	/* The unit goes: its fetch is cancelled. */
	agent_free(a);
	ASSERT_TRUE(W.fetches[7]->cancelled);
	for (int i = 0; i < W.n_fetches; i++)
		free(W.fetches[i]);
	ASSERT_EQ(fs_rm_rf(home), 0);
	world_done();
}

int main(void)
{
	RUN(test_deploy_waits_for_acks);
	RUN(test_failed_commit_is_not_committed);
	RUN(test_retry_schedule);
	RUN(test_hook_timeout);
	RUN(test_update_status_interval);
	RUN(test_lease);
	RUN(test_pebble_ready);
	RUN(test_resend_after_reconnect);
	RUN(test_hook_messages_held);
	RUN(test_status_set_unchanged);
	RUN(test_held_messages_after_reconnect);
	RUN(test_restart_resumes);
	RUN(test_nack_and_resolved);
	RUN(test_removal_and_teardown);
	RUN(test_pod);
	RUN(test_pod_attach_later);
	RUN(test_relation_hooks);
	RUN(test_tasks);
	RUN(test_notices_custom);
	RUN(test_notices_checks);
	RUN(test_notices_errors);
	RUN(test_notices_restart);
	RUN(test_resources);
	if (res_home[0])
		fs_rm_rf(res_home);
	return test_summary();
}
