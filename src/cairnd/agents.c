/* agents.c - the controller end of the agent protocol; see agents.h. */
#include "cairnd/agents.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cairnd/idle.h"
#include "cairnd/resstore.h"
#include "cairnd/ctl_rel.h"
#include "charm/charm.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/hmap.h"
#include "lib/msg.h"
#include "lib/strnum.h"
#include "proto/proto_conn.h"
#include "proto/tls.h"

struct aconn;

/* What the controller knows of one machine's agent at run time. */
struct mrt {
	struct agents *s;
	int id;
	char name[16];
	struct aconn *conn;        /* the authenticated connection, or NULL */
	uint64_t last_seen_ms;
	uint64_t since_ns;         /* connected, or disconnected, at */
	bool lost;                 /* gone for longer than the lease */
	struct loop_timer *gone;
	struct model_unit *dirty;  /* units whose goal must be pushed */
	json_t *stats;
	struct hmap removing;      /* units removed by force, until their agent confirms */
};

struct sent_app {
	char *name;
	uint64_t gen;
};

struct pending_ack {
	char *unit;
	int64_t seq;
};

struct aconn {
	struct agents *s;
	struct proto_conn *pc;
	struct mrt *m;             /* NULL until hello was accepted */
	bool tcp;
	char peer[80];
	struct hmap apps;          /* app -> struct sent_app: app goals this agent has */
	struct hmap acks;          /* unit -> struct pending_ack */
	struct hmap digests;       /* charm digests this agent may fetch */
	bool flush_scheduled;
	bool torn_down;
	bool in_batch;             /* it has messages in the model's open batch */
	bool failed;               /* its batch did not commit: ignore it until it is closed */
	struct loop_timer *hello_timer; /* a connection that never says hello is closed */
	struct aconn *prev, *next;
};

struct agents {
	struct controller *c;
	int unix_fd, tcp_fd;
	struct loop_io *unix_io, *tcp_io;
	char *unix_path;
	SSL_CTX *tls;
	char *ca_pem;
	char ca_fp[TLS_FINGERPRINT_HEX];
	char tcp_address[128];
	char tcp_why[300];
	struct aconn *conns;
	size_t n_conns;
	struct hmap machines;      /* name -> struct mrt */
	struct hmap dirty_apps;    /* name -> struct model_app */
	bool flush_scheduled;
	void (*teardown_done)(void *);
	void *teardown_data;
	struct loop_timer *teardown_timer;
	bool local_torn_down;      /* machine 0's agent confirmed the teardown */
};

#define C(s) ((s)->c)

static void flush(struct agents *s);

static void schedule_flush_deferred(void *data)
{
	struct agents *s = data;

	s->flush_scheduled = false;
	flush(s);
}

static void schedule_flush(struct agents *s)
{
	if (s->flush_scheduled)
		return;
	s->flush_scheduled = true;
	loop_defer(C(s)->l, schedule_flush_deferred, s);
}

/* ---- machines ---- */

static void on_gone(struct loop_timer *t, void *data);

static struct mrt *mrt_get(struct agents *s, int id)
{
	char name[16];
	struct mrt *mr;

	snprintf(name, sizeof(name), "%d", id);
	mr = hmap_get(&s->machines, name);
	if (mr)
		return mr;
	mr = xcalloc(1, sizeof(*mr));
	mr->s = s;
	mr->id = id;
	snprintf(mr->name, sizeof(mr->name), "%s", name);
	mr->last_seen_ms = loop_now_ms();
	mr->since_ns = loop_wall_ns();
	mr->gone = loop_timer_new(C(s)->l, on_gone, mr);
	hmap_init(&mr->removing);
	/* A machine whose agent does not come (back) within a lease is lost. */
	loop_timer_arm_in(mr->gone, (uint64_t)C(s)->cfg.lease_ms);
	hmap_put(&s->machines, mr->name, mr);
	return mr;
}

bool agents_local_torn_down(struct agents *s)
{
	return s->local_torn_down;
}

bool agents_connected(struct agents *s, int machine)
{
	struct mrt *mr = mrt_get(s, machine);

	return mr->conn != NULL;
}

bool agents_lost(struct agents *s, int machine)
{
	return mrt_get(s, machine)->lost;
}

uint64_t agents_since_ns(struct agents *s, int machine)
{
	return mrt_get(s, machine)->since_ns;
}

json_t *agents_stats(struct agents *s, int machine)
{
	return mrt_get(s, machine)->stats;
}

/* ---- connections ---- */

/* The machine's agent came or went: its units' idle bits follow.  A new connection starts
 * from nothing known: progress reported over an earlier one (perhaps by an agent that has
 * since died) says nothing about what this agent does. */
static void machine_connected(struct agents *s, struct mrt *mr, bool up)
{
	struct model *m = C(s)->m;
	struct model_machine *mc = model_find_machine(m, mr->id);

	if (!mc)
		return;
	mc->connected = up;
	if (up)
		for (size_t i = 0; i < m->n_apps; i++)
			for (size_t k = 0; k < m->apps[i]->n_units; k++) {
				struct model_unit *u = m->apps[i]->units[k];

				if (u->machine == mr->id) {
					u->progress = PROGRESS_UNKNOWN;
					u->progress_gen = 0;
					u->settled = false;
				}
			}
	idle_update_machine(m, mc);
}

static void conn_send(struct aconn *k, const struct proto_msg *m)
{
	struct errbuf eb;

	if (proto_conn_send(k->pc, m, &eb) == -EMSGSIZE)
		ctl_log(C(k->s), "controller", "ERROR", "cairn.agents", "machine %s: %s",
			k->m ? k->m->name : "?", eb.msg);
}

static void conn_cleanup(struct aconn *k)
{
	struct agents *s = k->s;

	for (struct hmap_iter it = hmap_iter(&k->apps); hmap_next(&it);) {
		struct sent_app *a = it.value;

		free(a->name);
		free(a);
	}
	for (struct hmap_iter it = hmap_iter(&k->acks); hmap_next(&it);) {
		struct pending_ack *a = it.value;

		free(a->unit);
		free(a);
	}
	for (struct hmap_iter it = hmap_iter(&k->digests); hmap_next(&it);)
		free(it.value);
	hmap_done(&k->apps);
	hmap_done(&k->acks);
	hmap_done(&k->digests);
	loop_timer_free(k->hello_timer);
	if (k->prev)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	s->n_conns--;
	if (k->m && k->m->conn == k) {
		struct mrt *mr = k->m;
		uint64_t now = loop_now_ms(), seen = now - mr->last_seen_ms;
		uint64_t lease = (uint64_t)C(s)->cfg.lease_ms;

		mr->conn = NULL;
		mr->since_ns = loop_wall_ns();
		machine_connected(s, mr, false);
		/* Its units' leases run out one lease after the agent was last heard from. */
		loop_timer_arm_in(mr->gone, seen >= lease ? 0 : lease - seen);
		ctl_log(C(s), "controller", "INFO", "cairn.agents", "machine %s agent disconnected", mr->name);
		ctl_waiters_check(C(s));
	}
	/* The proto_conn is freed by itself (closed) or by whoever called this. */
	free(k);
}

static void conn_close(struct aconn *k)
{
	proto_conn_free(k->pc);
	conn_cleanup(k);
}

static void refuse(struct aconn *k, const char *why)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_REFUSED);
	m.u.refused.error = why;
	conn_send(k, &m);
	proto_conn_finish(k->pc);
	k->pc = NULL;
	conn_cleanup(k);
}

/* ---- goals ---- */

static void send_app_goal(struct aconn *k, struct model_app *a)
{
	struct sent_app *sa = hmap_get(&k->apps, a->name);
	struct proto_msg m;
	json_t *ctrs = json_array(), *res = ctl_resources_goal(a), *specs = ctl_container_specs(a->charm);

	for (size_t i = 0; i < a->charm->n_containers; i++)
		json_array_append_new(ctrs, json_string(a->charm->containers[i]));
	proto_msg_init(&m, PROTO_APP_GOAL);
	m.u.app_goal.app = a->name;
	m.u.app_goal.gen = (int64_t)a->gen;
	m.u.app_goal.charm_rev = a->charm_rev;
	m.u.app_goal.charm_digest = a->charm_digest;
	m.u.app_goal.charm_size = a->charm_size;
	m.u.app_goal.config = a->effective;
	m.u.app_goal.config_hash = a->config_hash;
	m.u.app_goal.leader = a->leader ? a->leader : "";
	m.u.app_goal.leader_gen = a->leader_gen;
	m.u.app_goal.containers = ctrs;
	m.u.app_goal.charm_modified = model_app_charm_modified(a);
	m.u.app_goal.resources = res;
	m.u.app_goal.container_specs = specs;
	m.u.app_goal.leader_settings = ctl_rel_leader_settings(C(k->s), a);
	m.u.app_goal.dying = a->dying;
	conn_send(k, &m);
	json_decref(ctrs);
	json_decref(res);
	json_decref(specs);
	if (!sa) {
		sa = xcalloc(1, sizeof(*sa));
		sa->name = xstrdup(a->name);
		hmap_put(&k->apps, sa->name, sa);
	}
	sa->gen = a->gen;
}

static void send_unit_goal(struct aconn *k, struct model_unit *u, bool sync)
{
	struct sent_app *sa = hmap_get(&k->apps, u->app->name);
	struct proto_msg m;
	json_t *wl = NULL, *rels, *tasks;

	if (!sa || sa->gen < u->app->gen)
		send_app_goal(k, u->app);
	rels = ctl_rel_unit_goal(C(k->s), u);
	tasks = ctl_task_goal(C(k->s), u);
	proto_msg_init(&m, PROTO_UNIT_GOAL);
	m.u.unit_goal.unit = u->name;
	m.u.unit_goal.gen = (int64_t)u->gen;
	m.u.unit_goal.alive = !u->dying;
	m.u.unit_goal.state = u->state;
	m.u.unit_goal.ports = u->ports;
	m.u.unit_goal.resolve_gen = u->resolve_gen;
	m.u.unit_goal.resolve_mode = u->resolve_mode;
	if (json_array_size(rels))
		m.u.unit_goal.relations = rels;
	if (json_array_size(tasks))
		m.u.unit_goal.actions = tasks;
	if (sync) {
		/* After a welcome: the controller's copies, for an agent that lost its own. */
		m.u.unit_goal.journal = u->journal;
		wl = json_pack("{s:s, s:s, s:o, s:b}", "status", u->wl.current ? u->wl.current : "unknown",
			       "message", u->wl.message ? u->wl.message : "", "data",
			       u->wl.data ? json_incref(u->wl.data) : json_object(), "charm-set", u->charm_set_status);
		m.u.unit_goal.workload_status = wl;
	}
	conn_send(k, &m);
	json_decref(wl);
	json_decref(rels);
	json_decref(tasks);
}

/* The machine's list of units whose goal waits to be pushed: doubly linked, so a unit
 * leaves it at once (a removal of 10,000 units must not scan it 10,000 times). */
static void dirty_unlink(struct mrt *mr, struct model_unit *u)
{
	if (!u->goal_dirty)
		return;
	if (u->dirty_prev)
		u->dirty_prev->dirty_next = u->dirty_next;
	else
		mr->dirty = u->dirty_next;
	if (u->dirty_next)
		u->dirty_next->dirty_prev = u->dirty_prev;
	u->goal_dirty = false;
	u->dirty_next = u->dirty_prev = NULL;
}

static void unlink_dirty(struct agents *s, struct model_unit *u)
{
	if (u->goal_dirty)
		dirty_unlink(mrt_get(s, u->machine), u);
}

void agents_unit_changed(struct agents *s, struct model_unit *u)
{
	struct mrt *mr = mrt_get(s, u->machine);

	u->gen = model_next_gen(C(s)->m);
	if (!u->goal_dirty) {
		u->goal_dirty = true;
		u->dirty_prev = NULL;
		u->dirty_next = mr->dirty;
		if (mr->dirty)
			mr->dirty->dirty_prev = u;
		mr->dirty = u;
	}
	idle_update(C(s)->m, u);
	schedule_flush(s);
	ctl_waiters_check(C(s));
}

void agents_app_changed(struct agents *s, struct model_app *a)
{
	a->gen = model_next_gen(C(s)->m);
	hmap_put(&s->dirty_apps, a->name, a);
	idle_update_app(C(s)->m, a);
	schedule_flush(s);
	ctl_waiters_check(C(s));
}

/* The model is about to forget u (or a): drop every pointer to it. */
static void forget_unit(struct agents *s, struct model_unit *u)
{
	unlink_dirty(s, u);
	idle_forget(C(s)->m, u);
}

static void removing_clear(struct mrt *mr, const char *unit)
{
	char *name = hmap_del(&mr->removing, unit);

	free(name);
}

static void removing_clear_all(struct mrt *mr)
{
	for (struct hmap_iter it = hmap_iter(&mr->removing); hmap_next(&it);)
		free(it.value);
	hmap_done(&mr->removing);
	hmap_init(&mr->removing);
}

void agents_unit_removed(struct agents *s, const char *unit, int machine)
{
	struct mrt *mr = mrt_get(s, machine);
	struct proto_msg m;
	char *name;

	if (!mr->conn)
		return; /* the welcome's unit list tells it when it is back */
	proto_msg_init(&m, PROTO_UNIT_REMOVED);
	m.u.unit_removed.unit = unit;
	conn_send(mr->conn, &m);
	/* Until the agent confirms, the unit is not quite gone (wait-for "gone"). */
	name = xstrdup(unit);
	free(hmap_put(&mr->removing, name, name));
}

bool agents_removing(struct agents *s, const char *unit_or_app)
{
	size_t n = strlen(unit_or_app);

	for (struct hmap_iter it = hmap_iter(&s->machines); hmap_next(&it);) {
		struct mrt *mr = it.value;

		if (hmap_get(&mr->removing, unit_or_app))
			return true;
		if (strchr(unit_or_app, '/'))
			continue;
		for (struct hmap_iter r = hmap_iter(&mr->removing); hmap_next(&r);)
			if (!strncmp(r.key, unit_or_app, n) && r.key[n] == '/')
				return true;
	}
	return false;
}

static void send_model_config(struct aconn *k)
{
	struct controller *c = C(k->s);
	struct proto_msg m;
	int64_t ns = 300LL * 1000000000LL;
	bool retry = true;

	strnum_duration(model_config_get(c->m, "update-status-hook-interval"), &ns);
	strnum_bool(model_config_get(c->m, "automatically-retry-hooks"), &retry);
	proto_msg_init(&m, PROTO_MODEL_CONFIG);
	m.u.model_config.update_status_ms = ns / 1000000 > 0 ? ns / 1000000 : 1;
	m.u.model_config.retry_hooks = retry;
	m.u.model_config.hook_timeout_ms = c->cfg.hook_timeout_ms;
	conn_send(k, &m);
}

void agents_model_config_changed(struct agents *s)
{
	for (struct aconn *k = s->conns; k; k = k->next)
		if (k->m)
			send_model_config(k);
}

static void flush_acks(struct aconn *k)
{
	for (struct hmap_iter it = hmap_iter(&k->acks); hmap_next(&it);) {
		struct pending_ack *a = it.value;
		struct model_unit *u = model_find_unit(C(k->s)->m, a->unit);
		struct proto_msg m;

		/* A goal the acked message caused goes first (it may be held back). */
		if (u && u->goal_dirty)
			continue;

		proto_msg_init(&m, PROTO_ACK);
		m.u.ack.unit = a->unit;
		m.u.ack.seq = a->seq;
		conn_send(k, &m);
		hmap_iter_del(&it);
		free(a->unit);
		free(a);
	}
}

/* Once per loop iteration: the batch of what agents reported commits, then changed goals go
 * out, then the acks of what caused them - never an ack before its commit. */
static void flush(struct agents *s)
{
	struct errbuf eb;

	if (model_batch_commit(C(s)->m, &eb) < 0) {
		/* Also on stderr: the model log may be what cannot be written. */
		log_error("cannot commit what the agents reported: %s", eb.msg);
		ctl_log(C(s), "controller", "ERROR", "cairn.model", "cannot commit what the agents reported: %s",
			eb.msg);
	}
	for (struct aconn *k = s->conns; k; k = k->next)
		k->in_batch = false;
	for (struct hmap_iter it = hmap_iter(&s->dirty_apps); hmap_next(&it);) {
		struct model_app *a = it.value;

		for (struct aconn *k = s->conns; k; k = k->next)
			if (k->m && hmap_get(&k->apps, a->name))
				send_app_goal(k, a);
		hmap_iter_del(&it);
	}
	for (struct hmap_iter it = hmap_iter(&s->machines); hmap_next(&it);) {
		struct mrt *mr = it.value;

		while (mr->dirty) {
			struct model_unit *u = mr->dirty;

			if (mr->conn && proto_conn_pending(mr->conn->pc) > AGENTS_GOAL_HIGH_WATER) {
				/* The rest goes once the agent has read what is queued. */
				proto_conn_want_drained(mr->conn->pc);
				break;
			}
			dirty_unlink(mr, u);
			if (mr->conn)
				send_unit_goal(mr->conn, u, false);
		}
	}
	for (struct aconn *k = s->conns; k; k = k->next)
		flush_acks(k);
}

static void on_drained(struct proto_conn *pc, void *data)
{
	struct aconn *k = data;

	(void)pc;
	schedule_flush(k->s);
}

static void queue_ack(struct aconn *k, const char *unit, int64_t seq)
{
	struct pending_ack *a = hmap_get(&k->acks, unit);

	if (!a) {
		a = xcalloc(1, sizeof(*a));
		a->unit = xstrdup(unit);
		hmap_put(&k->acks, a->unit, a);
	}
	if (seq > a->seq)
		a->seq = seq;
	schedule_flush(k->s);
}

/* ---- authentication ---- */

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void sha256_hex(const char *a, const char *b, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, a, strlen(a));
	if (b)
		EVP_DigestUpdate(ctx, b, strlen(b));
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	hex(md, 32, out);
	out[64] = '\0';
}

static bool random_hex(char *out, size_t bytes)
{
	unsigned char b[64];

	if (bytes > sizeof(b) || RAND_bytes(b, (int)bytes) != 1)
		return false;
	hex(b, bytes, out);
	out[2 * bytes] = '\0';
	return true;
}

static bool password_ok(const struct model_machine *mc, const char *password)
{
	char h[65];

	if (!mc->password_hash || !mc->salt)
		return false;
	sha256_hex(mc->salt, password, h);
	return strlen(mc->password_hash) == 64 && CRYPTO_memcmp(h, mc->password_hash, 64) == 0;
}

int agents_new_credential(struct controller *c, struct model_machine *mc, char password[65],
			  struct errbuf *eb)
{
	char salt[33], h[65];

	if (!random_hex(password, 32) || !random_hex(salt, 16)) {
		errbuf_set(eb, "cannot make a credential: no randomness");
		return -EIO;
	}
	sha256_hex(salt, password, h);
	return model_enlist_machine(c->m, mc, h, salt, eb);
}

/* Sends what the agent of k's machine must know: its units, the model config, every goal. */
static void sync_agent(struct aconn *k)
{
	struct agents *s = k->s;
	struct controller *c = C(s);
	struct proto_msg m;
	json_t *units = json_array(), *apis = json_array();
	const char *why;

	for (size_t i = 0; i < c->m->n_apps; i++)
		for (size_t j = 0; j < c->m->apps[i]->n_units; j++)
			if (c->m->apps[i]->units[j]->machine == k->m->id)
				json_array_append_new(units, json_string(c->m->apps[i]->units[j]->name));
	if (agents_tcp_address(s, &why))
		json_array_append_new(apis, json_string(agents_tcp_address(s, &why)));
	proto_msg_init(&m, PROTO_WELCOME);
	m.u.welcome.machine = k->m->name;
	m.u.welcome.lease_ms = c->cfg.lease_ms;
	m.u.welcome.model_name = c->m->name;
	m.u.welcome.model_uuid = c->m->uuid;
	m.u.welcome.units = units;
	m.u.welcome.api_addresses = apis;
	conn_send(k, &m);
	json_decref(units);
	json_decref(apis);
	send_model_config(k);
	for (size_t i = 0; i < c->m->n_apps; i++)
		for (size_t j = 0; j < c->m->apps[i]->n_units; j++)
			if (c->m->apps[i]->units[j]->machine == k->m->id)
				send_unit_goal(k, c->m->apps[i]->units[j], true);
}

static void on_hello(struct aconn *k, const struct proto_hello *h)
{
	struct agents *s = k->s;
	struct controller *c = C(s);
	struct model_machine *mc = model_find_machine(c->m, atoi(h->machine));
	struct errbuf eb;
	struct mrt *mr;

	if (!mc || !password_ok(mc, h->password)) {
		ctl_log(c, "controller", "WARNING", "cairn.agents",
			"refused an agent claiming to be machine %s from %s: invalid credential", h->machine,
			k->peer);
		refuse(k, "invalid entity name or password (unauthorized access)");
		return;
	}
	if (h->version < PROTO_VERSION) {
		/* It would ignore relations and tasks: it must be upgraded first. */
		char why[128];

		snprintf(why, sizeof(why), "agent protocol version %lld is too old (the controller needs %d)",
			 (long long)h->version, PROTO_VERSION);
		ctl_log(c, "controller", "WARNING", "cairn.agents", "refused machine %s: %s", h->machine, why);
		refuse(k, why);
		return;
	}
	mr = mrt_get(s, mc->id);
	if (mr->conn) {
		/* The agent restarted and the old connection has not noticed yet. */
		conn_close(mr->conn);
	}
	k->m = mr;
	mr->conn = k;
	mr->lost = false;
	machine_connected(s, mr, true);
	loop_timer_disarm(k->hello_timer);
	mr->last_seen_ms = loop_now_ms();
	mr->since_ns = loop_wall_ns();
	loop_timer_arm_in(mr->gone, (uint64_t)c->cfg.lease_ms);
	if (model_set_machine_host(c->m, mc, h->hostname, h->addresses, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
	ctl_log(c, "controller", "INFO", "cairn.agents", "machine %s agent connected (pid %lld, %s)",
		mr->name, (long long)h->pid, k->peer);
	/* A reconnected agent drops what it no longer has in the welcome's unit list. */
	removing_clear_all(mr);
	sync_agent(k);
	if (c->destroying) {
		/* kill-controller is under way: this agent goes too. */
		struct proto_msg t;

		proto_msg_init(&t, PROTO_TEARDOWN);
		conn_send(k, &t);
	}
	ctl_waiters_check(c);
}

static void on_join(struct aconn *k, const struct proto_join *j)
{
	struct agents *s = k->s;
	struct controller *c = C(s);
	struct model_machine *mc = NULL;
	struct proto_msg m;
	struct errbuf eb;
	char pw[65];
	char h[65];

	sha256_hex(j->token, NULL, h);
	for (size_t i = 0; i < c->m->n_machines; i++) {
		struct model_machine *x = c->m->machines[i];

		if (x->token_hash && strlen(x->token_hash) == 64 && CRYPTO_memcmp(x->token_hash, h, 64) == 0)
			mc = x;
	}
	if (!mc || mc->token_expiry_ns < loop_wall_ns()) {
		ctl_log(c, "controller", "WARNING", "cairn.agents", "refused a join from %s: %s", k->peer,
			mc ? "expired token" : "unknown token");
		refuse(k, mc ? "the join token has expired" : "invalid join token");
		return;
	}
	if (agents_new_credential(c, mc, pw, &eb) < 0) {
		refuse(k, eb.msg);
		return;
	}
	model_set_machine_host(c->m, mc, j->hostname, j->addresses, &eb);
	ctl_log(c, "controller", "INFO", "cairn.agents", "machine %d enlisted (%s, %s)", mc->id,
		j->hostname, k->peer);
	proto_msg_init(&m, PROTO_JOINED);
	m.u.joined.machine = mc->name;
	m.u.joined.password = pw;
	m.u.joined.ca_cert = s->ca_pem ? s->ca_pem : "";
	conn_send(k, &m);
	proto_conn_finish(k->pc);
	k->pc = NULL;
	conn_cleanup(k);
}

/* ---- messages of an authenticated agent ---- */

/* The unit a message names, when it is on k's machine.  *foreign tells whether it exists on
 * another machine (then the message is refused). */
static struct model_unit *own_unit(struct aconn *k, const char *name, bool *foreign)
{
	struct model_unit *u = model_find_unit(C(k->s)->m, name);

	*foreign = false;
	if (u && u->machine != k->m->id) {
		*foreign = true;
		ctl_log(C(k->s), "controller", "WARNING", "cairn.agents",
			"machine %s agent refused access to unit %s (on machine %d)", k->m->name, name,
			u->machine);
		return NULL;
	}
	return u;
}

static void nack(struct aconn *k, const char *unit, int64_t seq, const char *error)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_NACK);
	m.u.nack.unit = unit;
	m.u.nack.seq = seq;
	m.u.nack.error = error;
	conn_send(k, &m);
}

static bool is_leader(struct model_unit *u)
{
	return u->app->leader && !strcmp(u->app->leader, u->name);
}

static json_t *status_json(const struct status_rec *st)
{
	return json_pack("{s:s, s:s, s:o, s:s}", "status", st->current ? st->current : "unknown",
			 "message", st->message ? st->message : "", "status-data",
			 st->data ? json_incref(st->data) : json_object(), "since", "");
}

static void on_status_get(struct aconn *k, const struct proto_status_get *q)
{
	struct proto_msg m;
	bool foreign;
	struct model_unit *u;
	json_t *doc = NULL;
	struct errbuf eb;

	/* Answer from committed state only. */
	model_batch_commit(C(k->s)->m, &eb);
	u = own_unit(k, q->unit, &foreign);

	proto_msg_init(&m, PROTO_STATUS_RESULT);
	m.u.status_result.id = q->id;
	if (!u) {
		m.u.status_result.error = foreign ? "permission denied" : "unit not found";
	} else if (q->goal_state) {
		doc = ctl_rel_goal_state(C(k->s), u);
	} else if (!q->application) {
		doc = status_json(&u->wl);
	} else if (!is_leader(u)) {
		m.u.status_result.error = "unit is not the leader";
	} else {
		const char *msg;
		uint64_t since;
		const char *st = model_app_display(u->app, &msg, &since);
		json_t *units = json_object();

		doc = json_pack("{s:s, s:s, s:o, s:s}", "status", st, "message", msg ? msg : "",
				"status-data", u->app->status_set && u->app->status.data ?
				json_deep_copy(u->app->status.data) : json_object(), "since", "");
		for (size_t i = 0; i < u->app->n_units; i++)
			json_object_set_new(units, u->app->units[i]->name, status_json(&u->app->units[i]->wl));
		json_object_set_new(doc, "units", units);
	}
	m.u.status_result.result = doc;
	conn_send(k, &m);
	json_decref(doc);
}

static bool may_fetch(struct aconn *k, const char *digest)
{
	struct controller *c = C(k->s);

	if (hmap_get(&k->digests, digest))
		return true;
	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *a = c->m->apps[i];

		if (!model_app_has_digest(a, digest))
			continue;
		for (size_t j = 0; j < a->n_units; j++) {
			if (a->units[j]->machine == k->m->id) {
				char *d = xstrdup(digest);

				hmap_put(&k->digests, d, d);
				return true;
			}
		}
	}
	return false;
}

/* Answers one chunk request with at most g->length bytes of the file at path (a page-cache
 * read; no more is buffered), or with error when path is NULL. */
static void send_chunk(struct aconn *k, enum proto_type t, const struct proto_charm_get *g, const char *path,
		       const char *error, const char *what)
{
	struct proto_msg m;
	struct proto_charm_chunk *ch = t == PROTO_CHARM_CHUNK ? &m.u.charm_chunk : &m.u.resource_chunk;
	struct buf data = BUF_INIT, b64 = BUF_INIT;
	char msg[128];
	int fd = -1;
	off_t size;

	proto_msg_init(&m, t);
	ch->digest = g->digest;
	ch->offset = g->offset;
	ch->data = "";
	if (!path) {
		ch->error = error;
		conn_send(k, &m);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	if (fd < 0 || size < 0) {
		snprintf(msg, sizeof(msg), "the %s is missing", what);
		ch->error = msg;
	} else if (g->offset > size) {
		ch->error = "offset past the end of the content";
		ch->size = size;
	} else {
		size_t n = (size_t)(size - g->offset) < (size_t)g->length ? (size_t)(size - g->offset)
									    : (size_t)g->length;
		ssize_t got;

		buf_init(&data);
		buf_grow(&data, n);
		got = pread(fd, data.data, n, g->offset);
		if (got != (ssize_t)n) {
			snprintf(msg, sizeof(msg), "cannot read the %s", what);
			ch->error = msg;
		} else {
			data.len = n;
			buf_init(&b64);
			proto_b64_encode(data.data, data.len, &b64);
			ch->data = b64.data;
		}
		ch->size = size;
	}
	if (fd >= 0)
		close(fd);
	conn_send(k, &m);
	buf_done(&data);
	buf_done(&b64);
}

static void on_charm_get(struct aconn *k, const struct proto_charm_get *g)
{
	struct controller *c = C(k->s);
	char *path = may_fetch(k, g->digest) ? model_charm_path(c->m, g->digest) : NULL;

	send_chunk(k, PROTO_CHARM_CHUNK, g, path, "no such charm on this machine", "charm archive");
	free(path);
}

/* Whether a resource's content (by fingerprint) belongs to an application with units on the
 * agent's machine. */
static bool may_fetch_resource(struct aconn *k, const char *fingerprint)
{
	struct controller *c = C(k->s);

	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *a = c->m->apps[i];
		bool has = false, here = false;
		const char *name;
		json_t *r;

		json_object_foreach(a->resources, name, r) {
			const char *fp = json_string_value(json_object_get(r, "fingerprint"));

			has = has || (fp && !strcmp(fp, fingerprint));
		}
		for (size_t j = 0; has && !here && j < a->n_units; j++)
			here = a->units[j]->machine == k->m->id;
		if (here)
			return true;
	}
	return false;
}

static void on_resource_get(struct aconn *k, const struct proto_charm_get *g)
{
	struct controller *c = C(k->s);
	char *path = may_fetch_resource(k, g->digest) ? resstore_path(c->res, g->digest) : NULL;

	send_chunk(k, PROTO_RESOURCE_CHUNK, g, path, "no such resource on this machine", "resource");
	free(path);
}

static void on_log(struct aconn *k, json_t *records)
{
	struct controller *c = C(k->s);
	size_t i;
	json_t *r;

	json_array_foreach(records, i, r) {
		const char *unit = json_string_value(json_object_get(r, "unit"));
		char tag[256];
		bool foreign;

		if (*unit) {
			if (!own_unit(k, unit, &foreign))
				continue; /* another machine's, or a unit already gone */
			ctl_unit_tag(unit, tag, sizeof(tag));
		} else {
			snprintf(tag, sizeof(tag), "machine-%s", k->m->name);
		}
		struct log_record rec = { tag, (uint64_t)json_integer_value(json_object_get(r, "time")),
					  json_string_value(json_object_get(r, "level")),
					  json_string_value(json_object_get(r, "module")),
					  json_string_value(json_object_get(r, "message")) };
		logstore_append(c->logs, &rec);
	}
}

/* Closes the connections whose reports were in a batch that did not commit: their agents
 * send everything unacknowledged again after reconnecting (the model is as before the
 * batch, so nothing is applied twice or skipped). */
static void close_failed(void *data)
{
	struct agents *s = data;

	for (struct aconn *k = s->conns, *n; k; k = n) {
		n = k->next;
		if (k->failed)
			conn_close(k);
	}
}

static void on_batch_failed(void *data)
{
	struct agents *s = data;

	for (struct aconn *k = s->conns; k; k = k->next) {
		if (!k->in_batch)
			continue;
		k->in_batch = false;
		k->failed = true;
		/* None of its acks may go: some are for what was just undone. */
		for (struct hmap_iter it = hmap_iter(&k->acks); hmap_next(&it);) {
			struct pending_ack *a = it.value;

			hmap_iter_del(&it);
			free(a->unit);
			free(a);
		}
	}
	/* Not here: this may run deep inside one of those connections' message handlers. */
	loop_defer(C(s)->l, close_failed, s);
}

/* A sequenced message: applied once (by seq), then acknowledged.  Reports join the model's
 * batch, committed once per loop iteration before any ack goes out (flush). */
static void on_sequenced(struct aconn *k, const struct proto_msg *m, const char *unit, int64_t seq)
{
	struct controller *c = C(k->s);
	struct errbuf eb;
	bool foreign;
	struct model_unit *u = own_unit(k, unit, &foreign);
	int r = 0;

	model_batch_begin(c->m);
	k->in_batch = true;
	schedule_flush(k->s);

	if (foreign) {
		nack(k, unit, seq, "permission denied: the unit is on another machine");
		return;
	}
	if (!u || seq <= u->last_seq) {
		/* Gone, or already applied before a reconnect: acknowledge, change nothing.  The
		 * death of a unit removed by force is its agent's confirmation. */
		if (!u && m->type == PROTO_UNIT_DEAD && hmap_get(&k->m->removing, unit)) {
			removing_clear(k->m, unit);
			ctl_waiters_check(c);
		}
		queue_ack(k, unit, seq);
		return;
	}
	errbuf_clear(&eb);
	switch (m->type) {
	case PROTO_SAVE_JOURNAL:
		r = model_save_journal(c->m, u, m->u.save_journal.journal, seq, &eb);
		break;
	case PROTO_COMMIT_HOOK: {
		const struct proto_commit_hook *h = &m->u.commit_hook;

		if (h->relations || h->leader_settings) {
			/* Relation data and leader settings commit with the journal, in one
			 * transaction, and reach the units that see them (ctl_rel.h). */
			r = ctl_rel_commit_hook(c, u, h, seq, &eb);
			break;
		}
		r = model_commit_hook(c->m, u, h->journal, h->state, h->ports, h->app_version, seq, &eb);
		/* New committed state or ports are part of the unit's goal. */
		if (r == 0 && (h->state || h->ports))
			agents_unit_changed(k->s, u);
		break;
	}
	case PROTO_ACTION_STARTED:
	case PROTO_ACTION_LOG:
	case PROTO_ACTION_RESULT:
		r = ctl_task_report(c, u, m, seq, &eb);
		break;
	case PROTO_STATUS_SET: {
		const struct proto_status_set *st = &m->u.status_set;
		enum model_status_kind kind = !strcmp(st->kind, "workload") ? MODEL_STATUS_WORKLOAD :
					      !strcmp(st->kind, "agent") ? MODEL_STATUS_AGENT :
					      MODEL_STATUS_APP;

		if (kind == MODEL_STATUS_APP && !is_leader(u)) {
			if (model_mark_seq(c->m, u, seq, &eb) == 0)
				nack(k, unit, seq, "setting application status: unit is not the leader");
			return;
		}
		r = model_set_status(c->m, u, kind, st->status, st->message, st->data, st->by_charm, seq,
				     &eb);
		break;
	}
	case PROTO_HOOK_RAN: {
		const struct proto_hook_ran *h = &m->u.hook_ran;
		char msg[128];

		snprintf(msg, sizeof(msg), "exit %lld, %.1f ms", (long long)h->code,
			 (double)h->duration_ns / 1e6);
		r = model_log_status(c->m, u, "hook", h->hook, msg, (uint64_t)h->start_ns, seq, &eb);
		break;
	}
	case PROTO_UNIT_DEAD:
		ctl_unit_gone(c, u);
		u = NULL;
		break;
	default:
		return;
	}
	if (r < 0) {
		/* Not applied: the agent sends it again after it reconnects (with a growing
		 * delay: link.h).  Also on stderr: the model log may be what cannot be written. */
		log_error("cannot apply %s of %s: %s", proto_type_name(m->type), unit, eb.msg);
		ctl_log(c, "controller", "ERROR", "cairn.model", "cannot apply %s of %s: %s",
			proto_type_name(m->type), unit, eb.msg);
		conn_close(k);
		return;
	}
	queue_ack(k, unit, seq);
	ctl_waiters_check(c);
}

static void check_teardown(struct agents *s);

static void on_message(struct proto_conn *pc, struct proto_msg *m, void *data)
{
	struct aconn *k = data;
	struct controller *c = C(k->s);
	bool foreign;

	(void)pc;
	if (k->failed)
		return; /* closed at the end of the iteration (on_batch_failed) */
	if (!k->m) {
		if (m->type == PROTO_HELLO)
			on_hello(k, &m->u.hello);
		else if (m->type == PROTO_JOIN)
			on_join(k, &m->u.join);
		else
			refuse(k, "say hello first");
		return;
	}
	/* Anything from the agent proves it alive: its leases hold for another lease. */
	k->m->last_seen_ms = loop_now_ms();
	loop_timer_arm_in(k->m->gone, (uint64_t)c->cfg.lease_ms);
	switch (m->type) {
	case PROTO_SAVE_JOURNAL:
		on_sequenced(k, m, m->u.save_journal.unit, m->u.save_journal.seq);
		break;
	case PROTO_COMMIT_HOOK:
		on_sequenced(k, m, m->u.commit_hook.unit, m->u.commit_hook.seq);
		break;
	case PROTO_STATUS_SET:
		on_sequenced(k, m, m->u.status_set.unit, m->u.status_set.seq);
		break;
	case PROTO_HOOK_RAN:
		on_sequenced(k, m, m->u.hook_ran.unit, m->u.hook_ran.seq);
		break;
	case PROTO_UNIT_DEAD:
		on_sequenced(k, m, m->u.unit_dead.unit, m->u.unit_dead.seq);
		break;
	case PROTO_ACTION_STARTED:
		on_sequenced(k, m, m->u.action_started.unit, m->u.action_started.seq);
		break;
	case PROTO_ACTION_LOG:
		on_sequenced(k, m, m->u.action_log.unit, m->u.action_log.seq);
		break;
	case PROTO_ACTION_RESULT:
		on_sequenced(k, m, m->u.action_result.unit, m->u.action_result.seq);
		break;
	case PROTO_STATUS_GET:
		on_status_get(k, &m->u.status_get);
		break;
	case PROTO_LOG:
		on_log(k, m->u.log.records);
		break;
	case PROTO_PROGRESS: {
		struct model_unit *u = own_unit(k, m->u.progress.unit, &foreign);

		if (!u)
			break;
		u->progress = !strcmp(m->u.progress.state, "idle") ? PROGRESS_IDLE :
			      !strcmp(m->u.progress.state, "error") ? PROGRESS_ERROR : PROGRESS_BUSY;
		u->progress_gen = (uint64_t)m->u.progress.gen;
		u->settled = m->u.progress.settled;
		idle_update(c->m, u);
		ctl_waiters_check(c);
		break;
	}
	case PROTO_PING: {
		struct proto_msg r;

		if (m->u.ping.stats) {
			json_decref(k->m->stats);
			k->m->stats = json_deep_copy(m->u.ping.stats);
		}
		proto_msg_init(&r, PROTO_PONG);
		r.u.pong.id = m->u.ping.id;
		conn_send(k, &r);
		break;
	}
	case PROTO_CHARM_GET:
		on_charm_get(k, &m->u.charm_get);
		break;
	case PROTO_RESOURCE_GET:
		on_resource_get(k, &m->u.resource_get);
		break;
	case PROTO_TEARDOWN_DONE:
		k->torn_down = true;
		if (k->m->id == 0)
			k->s->local_torn_down = true;
		check_teardown(k->s);
		break;
	case PROTO_HELLO:
	case PROTO_JOIN:
	default:
		ctl_log(c, "controller", "WARNING", "cairn.agents", "machine %s: unexpected %s", k->m->name,
			proto_type_name(m->type));
		break;
	}
}

static void on_closed(struct proto_conn *pc, const char *why, void *data)
{
	struct aconn *k = data;

	struct agents *s = k->s;

	(void)pc;
	if (k->m)
		ctl_log(C(s), "controller", "INFO", "cairn.agents", "machine %s agent: %s", k->m->name, why);
	k->pc = NULL;
	conn_cleanup(k);
	check_teardown(s);
}

/* ---- listening ---- */

static void on_hello_timeout(struct loop_timer *t, void *data);

static void accept_on(struct agents *s, int lfd, bool tcp)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct proto_conn_cbs cbs = { NULL, on_message, on_closed, NULL, on_drained };
		struct proto_conn_opts o = { .in = PROTO_TO_CONTROLLER, .tls = tcp ? s->tls : NULL,
					     .tls_server = true };
		struct errbuf eb;
		struct aconn *k;

		if (fd < 0)
			return;
		if (s->n_conns >= AGENTS_MAX_CONNS) {
			close(fd);
			continue;
		}
		k = xcalloc(1, sizeof(*k));
		k->s = s;
		k->tcp = tcp;
		hmap_init(&k->apps);
		hmap_init(&k->acks);
		hmap_init(&k->digests);
		if (tcp) {
			char ip[INET6_ADDRSTRLEN] = "?";

			if (sa.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, ip, sizeof(ip));
			else if (sa.ss_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, ip, sizeof(ip));
			snprintf(k->peer, sizeof(k->peer), "%s", ip);
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		} else {
			snprintf(k->peer, sizeof(k->peer), "local socket");
		}
		cbs.data = k;
		k->hello_timer = loop_timer_new(C(s)->l, on_hello_timeout, k);
		/* controller config agent-hello-timeout */
		loop_timer_arm_in(k->hello_timer, (uint64_t)C(s)->cfg.hello_timeout_ms);
		k->next = s->conns;
		if (s->conns)
			s->conns->prev = k;
		s->conns = k;
		s->n_conns++;
		if (proto_conn_new(C(s)->l, fd, &o, &cbs, &k->pc, &eb) < 0) {
			k->pc = NULL;
			conn_cleanup(k);
		}
	}
}

static void on_hello_timeout(struct loop_timer *t, void *data)
{
	struct aconn *k = data;

	(void)t;
	ctl_log(C(k->s), "controller", "WARNING", "cairn.agents",
		"closed a connection from %s that did not say hello within %lld ms", k->peer,
		(long long)C(k->s)->cfg.hello_timeout_ms);
	conn_close(k);
}

static void on_unix_accept(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	(void)io;
	(void)ev;
	accept_on(data, fd, false);
}

static void on_tcp_accept(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	(void)io;
	(void)ev;
	accept_on(data, fd, true);
}

/* The host's first non-loopback IPv4 address, for what add-machine prints. */
static void host_address(char *out, size_t n)
{
	struct ifaddrs *ifs = NULL;

	snprintf(out, n, "127.0.0.1");
	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
		    (i->ifa_flags & IFF_UP)) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out, (socklen_t)n);
			break;
		}
	}
	freeifaddrs(ifs);
}

static int listen_tcp(struct agents *s, const char *tls_dir, struct errbuf *eb)
{
	struct controller *c = C(s);
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1, af = AF_INET;
	char *chain = xasprintf("%s/server.pem", tls_dir), *key = xasprintf("%s/server.key", tls_dir);
	char *ca = xasprintf("%s/ca.crt", tls_dir);
	struct buf b = BUF_INIT;

	buf_init(&b);
	s->tls = tls_server_ctx(chain, key, eb);
	if (s->tls && fs_read_file(ca, 1 << 20, &b) == 0 && tls_fingerprint_pem(b.data, s->ca_fp, eb) == 0)
		s->ca_pem = buf_detach(&b);
	buf_done(&b);
	free(chain);
	free(key);
	free(ca);
	if (!s->tls || !s->ca_pem) {
		snprintf(s->tcp_why, sizeof(s->tcp_why), "no TLS certificate: %.200s", eb->msg);
		return -EIO;
	}
	memset(&sa, 0, sizeof(sa));
	if (c->cfg.api_address[0] && strchr(c->cfg.api_address, ':')) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;

		af = AF_INET6;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)c->cfg.api_port);
		inet_pton(AF_INET6, c->cfg.api_address, &v6->sin6_addr);
		len = sizeof(*v6);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;

		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)c->cfg.api_port);
		if (c->cfg.api_address[0])
			inet_pton(AF_INET, c->cfg.api_address, &v4->sin_addr);
		else
			v4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*v4);
	}
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 512) < 0) {
		snprintf(s->tcp_why, sizeof(s->tcp_why), "cannot listen on port %d: %s", c->cfg.api_port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	int port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port :
						    ((struct sockaddr_in *)&sa)->sin_port);
	if (c->cfg.api_port == 0) {
		/* The kernel picked the port: keep it, so agents find the controller again after
		 * a restart. */
		char p[16];

		snprintf(p, sizeof(p), "%d", port);
		if (model_ctlcfg_set(c->m, "api-port", p, eb) == 0)
			c->cfg.api_port = port;
	}
	char addr[64];

	if (c->cfg.api_address[0])
		snprintf(addr, sizeof(addr), "%s", c->cfg.api_address);
	else
		host_address(addr, sizeof(addr));
	snprintf(s->tcp_address, sizeof(s->tcp_address), strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
	s->tcp_fd = fd;
	s->tcp_io = loop_io_new(c->l, fd, EPOLLIN, on_tcp_accept, s);
	return 0;
}

int agents_new(struct controller *c, const char *unix_path, const char *tls_dir,
	       struct agents **ret, struct errbuf *eb)
{
	struct agents *s = xcalloc(1, sizeof(*s));
	struct errbuf teb;

	s->c = c;
	s->tcp_fd = -1;
	hmap_init(&s->machines);
	hmap_init(&s->dirty_apps);
	s->unix_path = xstrdup(unix_path);
	s->unix_fd = msg_listen_unix(unix_path, 0600, eb);
	if (s->unix_fd < 0) {
		int r = s->unix_fd;

		free(s->unix_path);
		free(s);
		return r;
	}
	s->unix_io = loop_io_new(c->l, s->unix_fd, EPOLLIN, on_unix_accept, s);
	model_set_batch_failed(c->m, on_batch_failed, s);
	errbuf_clear(&teb);
	if (listen_tcp(s, tls_dir, &teb) < 0)
		ctl_log(c, "controller", "WARNING", "cairn.agents",
			"remote machines cannot connect: %s", s->tcp_why);
	/* Every machine starts with a lease's grace: its agent connects, or it is lost. */
	for (size_t i = 0; i < c->m->n_machines; i++)
		mrt_get(s, c->m->machines[i]->id);
	*ret = s;
	return 0;
}

void agents_free(struct agents *s)
{
	if (!s)
		return;
	/* Say what is queued (acks, goals) before closing. */
	flush(s);
	for (struct aconn *k = s->conns; k; k = k->next)
		proto_conn_flush_sync(k->pc, 1000);
	while (s->conns)
		conn_close(s->conns);
	for (struct hmap_iter it = hmap_iter(&s->machines); hmap_next(&it);) {
		struct mrt *mr = it.value;

		loop_timer_free(mr->gone);
		json_decref(mr->stats);
		removing_clear_all(mr);
		hmap_done(&mr->removing);
		free(mr);
	}
	hmap_done(&s->machines);
	hmap_done(&s->dirty_apps);
	loop_io_free(s->unix_io);
	if (s->unix_fd >= 0)
		close(s->unix_fd);
	unlink(s->unix_path);
	loop_io_free(s->tcp_io);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	SSL_CTX_free(s->tls);
	loop_timer_free(s->teardown_timer);
	free(s->ca_pem);
	free(s->unix_path);
	free(s);
}

const char *agents_tcp_address(struct agents *s, const char **why)
{
	if (s->tcp_address[0])
		return s->tcp_address;
	*why = s->tcp_why[0] ? s->tcp_why : "remote machines are not supported";
	return NULL;
}

const char *agents_ca_fingerprint(struct agents *s)
{
	return s->ca_fp;
}

/* ---- leases ---- */

static void on_gone(struct loop_timer *t, void *data)
{
	struct mrt *mr = data;
	struct agents *s = mr->s;
	struct controller *c = C(s);

	(void)t;
	if (mr->conn) {
		/* Connected but silent for a whole lease (stopped, or a dead link the kernel has
		 * not noticed): it is gone. */
		ctl_log(c, "controller", "WARNING", "cairn.agents",
			"machine %s agent silent for %lld ms: disconnecting it", mr->name,
			(long long)c->cfg.lease_ms);
		conn_close(mr->conn);
	}
	if (mr->lost)
		return;
	mr->lost = true;
	ctl_log(c, "controller", "WARNING", "cairn.agents", "machine %s agent lost", mr->name);
	/* Leases of units on that machine lapse: leadership moves to a unit whose agent is here. */
	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *a = c->m->apps[i];
		struct model_unit *l = a->leader ? model_find_unit(c->m, a->leader) : NULL;

		if (l && l->machine == mr->id)
			ctl_move_leader(c, a);
	}
	ctl_waiters_check(c);
}

/* ---- removal of machines, teardown ---- */

void agents_machine_removed(struct agents *s, int machine)
{
	struct mrt *mr = mrt_get(s, machine);
	struct proto_msg m;

	if (mr->conn) {
		/* Its credential is gone: the agent destroys what it ran and stops. */
		proto_msg_init(&m, PROTO_TEARDOWN);
		conn_send(mr->conn, &m);
		proto_conn_finish(mr->conn->pc);
		mr->conn->pc = NULL;
		conn_cleanup(mr->conn);
	}
	hmap_del(&s->machines, mr->name);
	loop_timer_free(mr->gone);
	json_decref(mr->stats);
	removing_clear_all(mr);
	hmap_done(&mr->removing);
	free(mr);
}

static void teardown_finish(struct agents *s)
{
	void (*done)(void *) = s->teardown_done;

	if (!done)
		return;
	s->teardown_done = NULL;
	loop_timer_disarm(s->teardown_timer);
	done(s->teardown_data);
}

static void check_teardown(struct agents *s)
{
	if (!s || !s->teardown_done)
		return;
	/* Every connected agent, and always the controller's own machine's (it reconnects
	 * if it was restarting). */
	if (!s->local_torn_down)
		return;
	for (struct aconn *k = s->conns; k; k = k->next)
		if (k->m && !k->torn_down)
			return;
	teardown_finish(s);
}

static void on_teardown_timeout(struct loop_timer *t, void *data)
{
	struct agents *s = data;

	(void)t;
	ctl_log(C(s), "controller", "WARNING", "cairn.agents",
		"not every agent confirmed the teardown within %d s", CTL_DESTROY_TIMEOUT_MS / 1000);
	teardown_finish(s);
}

void agents_teardown(struct agents *s, void (*done)(void *data), void *data)
{
	struct proto_msg m;

	s->teardown_done = done;
	s->teardown_data = data;
	s->teardown_timer = loop_timer_new(C(s)->l, on_teardown_timeout, s);
	loop_timer_arm_in(s->teardown_timer, CTL_DESTROY_TIMEOUT_MS);
	proto_msg_init(&m, PROTO_TEARDOWN);
	for (struct aconn *k = s->conns; k; k = k->next)
		if (k->m)
			conn_send(k, &m);
	check_teardown(s);
}

void agents_unit_forget(struct agents *s, struct model_unit *u)
{
	forget_unit(s, u);
}

void agents_app_forget(struct agents *s, struct model_app *a)
{
	hmap_del(&s->dirty_apps, a->name);
	for (struct aconn *k = s->conns; k; k = k->next) {
		struct sent_app *sa = hmap_del(&k->apps, a->name);

		if (sa) {
			free(sa->name);
			free(sa);
		}
	}
}
