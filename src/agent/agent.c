/* agent.c - the machine agent: session with the controller, goals, outbox, logs, leases;
 * see agent.h.  One unit's hooks live in unit.c. */
#include "agent/agent_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/netinfo.h"
#include "agent/tools.h"
#include "lib/buf.h"
#include "lib/log.h"

/* A tool waiting for the slowest answer must not give up first. */
_Static_assert(TOOLS_DEADLINE_MS > AGENT_QUERY_TIMEOUT_MS, "hook-tool deadline below the agent's");

#define LOG_BATCH_SEND 256  /* records per log message */

static const char *jstr(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

/* ---- logging ---- */

static void log_flush(struct agent *a);

static void log_flush_deferred(void *arg)
{
	struct agent *a = arg;

	a->log_flush_scheduled = false;
	log_flush(a);
}

static void log_flush(struct agent *a)
{
	if (!a->session || !json_array_size(a->log_batch))
		return;
	if (a->logs_dropped) {
		char note[128];

		snprintf(note, sizeof(note), "%zu log records were dropped while the controller was unreachable",
			 a->logs_dropped);
		json_array_insert_new(a->log_batch, 0,
				      json_pack("{s:s, s:I, s:s, s:s, s:s}", "unit", "", "time",
						(json_int_t)a->io.wall_ns(a->io.data), "level", "WARNING",
						"module", "juju.worker.machine", "message", note));
		a->logs_dropped = 0;
	}
	size_t total = json_array_size(a->log_batch);

	for (size_t off = 0; off < total; off += LOG_BATCH_SEND) {
		size_t n = total - off < LOG_BATCH_SEND ? total - off : LOG_BATCH_SEND;
		json_t *records = n == total ? json_incref(a->log_batch) : json_array();
		struct proto_msg m;

		for (size_t i = 0; n != total && i < n; i++)
			json_array_append(records, json_array_get(a->log_batch, off + i));
		proto_msg_init(&m, PROTO_LOG);
		m.u.log.records = records;
		a->io.send(a->io.data, &m);
		json_decref(records);
	}
	json_decref(a->log_batch);
	a->log_batch = json_array();
}

/* Away from the controller the buffer keeps the newest records: when it is full the oldest
 * tenth goes at once (one copy per thousand records, not one per record). */
static void log_make_room(struct agent *a)
{
	size_t n = json_array_size(a->log_batch), drop = AGENT_LOG_BUFFER_MAX / 10;
	json_t *kept = json_array();

	for (size_t i = drop; i < n; i++)
		json_array_append(kept, json_array_get(a->log_batch, i));
	json_decref(a->log_batch);
	a->log_batch = kept;
	a->logs_dropped += drop;
}

void agent_log(struct agent *a, struct unit *u, const char *level, const char *module,
	       const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	json_t *msg, *r;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.len > PROTO_TEXT_MAX) {
		b.len = PROTO_TEXT_MAX;
		while (b.len && ((unsigned char)b.data[b.len] & 0xc0) == 0x80)
			b.len--; /* cut between characters: the message stays UTF-8 */
		b.data[b.len] = '\0';
	}
	if (!u || !strcmp(level, "ERROR"))
		logf_(!strcmp(level, "ERROR") ? LOG_ERROR : !strcmp(level, "WARNING") ? LOG_WARN : LOG_INFO,
		      "%s%s%s", u ? u->name : "", u ? ": " : "", b.data);
	msg = json_string(b.data);
	if (!msg)
		msg = json_string("(message not valid UTF-8)");
	r = json_pack("{s:s, s:I, s:s, s:s, s:o}", "unit", u ? u->name : "", "time",
		      (json_int_t)a->io.wall_ns(a->io.data), "level", level, "module", module,
		      "message", msg);
	buf_done(&b);
	if (!a->session && json_array_size(a->log_batch) >= AGENT_LOG_BUFFER_MAX)
		log_make_room(a);
	json_array_append_new(a->log_batch, r);
	if (!a->session)
		return;
	if (json_array_size(a->log_batch) >= LOG_BATCH_SEND) {
		log_flush(a);
	} else if (!a->log_flush_scheduled && !a->shutting_down) {
		a->log_flush_scheduled = true;
		a->io.defer(a->io.data, log_flush_deferred, a);
	}
}

void agent_send(struct agent *a, const struct proto_msg *m)
{
	if (a->session)
		a->io.send(a->io.data, m);
}

/* ---- outbox and store ---- */

void agent_unit_row(struct unit *u, struct store_unit_row *row)
{
	json_decref(u->row_journal);
	u->row_journal = unit_journal_json(&u->j, &u->rs, u->task_id, u->task_done_id);
	agent_unit_row_with(u, row, u->row_journal);
}

void agent_unit_row_with(struct unit *u, struct store_unit_row *row, json_t *journal)
{
	row->name = u->name;
	row->app = u->app ? u->app->name : "";
	row->journal = journal;
	row->next_seq = u->next_seq;
	row->resolved_gen = u->resolved_gen;
	row->wl_status = u->wl_status;
	row->charm_digest = u->charm_digest;
}

int64_t agent_next_seq(struct unit *u, size_t k)
{
	return u->next_seq + (int64_t)k;
}

/* Sends one outbox message (raw JSON) if the session is up. */
static void send_raw(struct agent *a, json_t *msg)
{
	struct proto_msg m;
	struct errbuf eb;

	if (!a->session)
		return;
	if (proto_decode(msg, PROTO_TO_CONTROLLER, &m, &eb) < 0) {
		agent_log(a, NULL, "ERROR", "juju.worker.machine", "internal error: %s", eb.msg);
		return;
	}
	a->io.send(a->io.data, &m);
	proto_msg_done(&m);
}

static void outbox_append(struct unit *u, int64_t seq, json_t *msg)
{
	struct outmsg *o = xcalloc(1, sizeof(*o));

	o->seq = seq;
	o->msg = msg;
	if (u->out_tail)
		u->out_tail->next = o;
	else
		u->out_head = o;
	u->out_tail = o;
}

int agent_commit_txn(struct agent *a, struct unit *u, const struct store_unit_row *row,
		     json_t **msgs, size_t n_msgs, int64_t ack_seq, struct errbuf *eb)
{
	struct store_unit_row r = *row;
	struct store_txn t;
	int rv;

	memset(&t, 0, sizeof(t));
	r.next_seq = u->next_seq + (int64_t)n_msgs;
	t.unit = &r;
	t.msgs = msgs;
	t.n_msgs = n_msgs;
	if (ack_seq > 0) {
		t.ack_unit = u->name;
		t.ack_seq = ack_seq;
	}
	rv = a->io.store_apply(a->io.data, &t, eb);
	/* agent_unit_row()'s copy of the journal has served: 10,000 units need not keep one. */
	json_decref(u->row_journal);
	u->row_journal = NULL;
	if (rv < 0)
		return rv;
	u->next_seq = r.next_seq;
	/* Logs written before these messages go first: debug-log keeps the order of events. */
	log_flush(a);
	for (size_t i = 0; i < n_msgs; i++) {
		outbox_append(u, json_integer_value(json_object_get(msgs[i], "seq")), msgs[i]);
		if (!u->hold_out) {
			u->out_tail->sent = true;
			send_raw(a, msgs[i]);
		}
	}
	if (u->hold_out && n_msgs && !a->io.timer_armed(a->io.data, u->out_timer))
		a->io.timer_arm(a->io.data, u->out_timer, AGENT_OUT_HOLD_MS);
	return 0;
}

void agent_outbox_flush(struct unit *u)
{
	struct agent *a = u->a;

	a->io.timer_disarm(a->io.data, u->out_timer);
	for (struct outmsg *o = u->out_head; o; o = o->next)
		if (!o->sent) {
			o->sent = true;
			send_raw(a, o->msg);
		}
}

/* Drops u's outbox messages up to seq (memory only). */
static void outbox_ack(struct unit *u, int64_t seq)
{
	while (u->out_head && u->out_head->seq <= seq) {
		struct outmsg *o = u->out_head;

		u->out_head = o->next;
		if (!u->out_head)
			u->out_tail = NULL;
		json_decref(o->msg);
		free(o);
	}
}

/* ---- leases ---- */

bool agent_lease_ok(struct agent *a)
{
	return a->lease_until_ms && a->io.now_ms(a->io.data) < a->lease_until_ms;
}

bool agent_lease_valid(struct agent *a)
{
	return agent_lease_ok(a);
}

bool agent_unit_is_leader(struct unit *u)
{
	return u->app && !strcmp(u->app->leader, u->name) && agent_lease_ok(u->a);
}

/* The controller saw us alive after sent_ms: the lease holds for half its duration from
 * then (charm-runtime.md §13.5: a ~30 s guarantee on a 60 s lease). */
static void lease_confirmed(struct agent *a, uint64_t sent_ms)
{
	bool was = agent_lease_ok(a);
	uint64_t until = sent_ms + (uint64_t)a->lease_ms / 2;

	if (until > a->lease_until_ms)
		a->lease_until_ms = until;
	a->last_pong_ms = a->io.now_ms(a->io.data);
	if (!was && agent_lease_ok(a)) {
		/* Leaders waiting for their lease may run leader-elected now. */
		for (struct hmap_iter it = hmap_iter(&a->apps); hmap_next(&it);) {
			struct app *app = it.value;
			struct unit *u = app->leader[0] ? hmap_get(&a->units, app->leader) : NULL;

			if (u)
				unit_kick(u);
		}
	}
}

static void on_ping_timer(void *arg)
{
	struct agent *a = arg;
	uint64_t now = a->io.now_ms(a->io.data);
	struct proto_msg m;

	if (!a->session)
		return;
	if (now - a->last_pong_ms > (uint64_t)a->lease_ms) {
		/* No answer for a whole lease: the link is dead even if the socket is not. */
		agent_log(a, NULL, "WARNING", "juju.worker.machine",
			  "no answer from the controller for %lld ms: reconnecting", (long long)a->lease_ms);
		a->io.reconnect(a->io.data);
		return;
	}
	struct agent_stats *st = &a->stats;
	double n = st->hooks ? (double)st->hooks : 1.0;
	json_t *stats = json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "hooks",
				  (json_int_t)st->hooks, "prep-us", (double)st->prep_ns / n / 1e3, "spawn-us",
				  (double)st->spawn_ns / n / 1e3, "commit-us", (double)st->commit_ns / n / 1e3,
				  "prep-max-us", (double)st->prep_max_ns / 1e3, "spawn-max-us",
				  (double)st->spawn_max_ns / 1e3, "commit-max-us",
				  (double)st->commit_max_ns / 1e3, "spawn-min-us",
				  (double)st->spawn_min_ns / 1e3);

	proto_msg_init(&m, PROTO_PING);
	m.u.ping.stats = stats;
	m.u.ping.id = ++a->next_ping;
	a->pings[a->next_ping % 8].id = a->next_ping;
	a->pings[a->next_ping % 8].sent_ms = now;
	a->io.send(a->io.data, &m);
	json_decref(stats);
	a->io.timer_arm(a->io.data, a->ping_timer, (uint64_t)(a->lease_ms / 4 > 0 ? a->lease_ms / 4 : 1));
}

/* ---- charm digests ---- */

struct digest_ref {
	char digest[65];
	long n;
};

void agent_digest_ref(struct agent *a, const char *digest, int delta)
{
	struct digest_ref *r;

	if (!digest || !*digest)
		return;
	r = hmap_get(&a->digests, digest);
	if (!r) {
		if (delta < 0)
			return;
		r = xcalloc(1, sizeof(*r));
		snprintf(r->digest, sizeof(r->digest), "%s", digest);
		hmap_put(&a->digests, r->digest, r);
	}
	r->n += delta;
	if (r->n <= 0) {
		hmap_del(&a->digests, r->digest);
		if (!a->shutting_down)
			a->io.charm_forget(a->io.data, r->digest);
		free(r);
	}
}

/* ---- hook contexts ---- */

void agent_context_add(struct agent *a, struct unit *u)
{
	hmap_put(&a->contexts, u->context_id, u);
}

void agent_context_del(struct agent *a, struct unit *u)
{
	hmap_del(&a->contexts, u->context_id);
}

struct hook_ctx *agent_find_context(struct agent *a, const char *id)
{
	struct unit *u = id ? hmap_get(&a->contexts, id) : NULL;

	return u && u->ctx_live ? &u->ctx : NULL;
}

/* ---- queries ---- */

static void query_end(struct query *q, json_t *result, const char *error)
{
	struct agent *a = q->a;
	struct query **pp = &a->queries;

	while (*pp && *pp != q)
		pp = &(*pp)->next;
	if (*pp)
		*pp = q->next;
	a->io.timer_free(a->io.data, q->timer);
	q->done(q->arg, result, error);
	free(q);
}

static void on_query_timeout(void *arg)
{
	query_end(arg, NULL, "the controller did not answer");
}

static void query_send(struct query *q)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_STATUS_GET);
	m.u.status_get.id = q->id;
	m.u.status_get.unit = q->u->name;
	m.u.status_get.application = q->app;
	m.u.status_get.goal_state = q->goal_state;
	q->sent = q->a->session && q->a->io.send(q->a->io.data, &m) == 0;
}

void agent_query_app_status(struct agent *a, struct unit *u,
			    void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	agent_query(a, u, true, false, done, arg);
}

void agent_query(struct agent *a, struct unit *u, bool app, bool goal_state,
		 void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	struct query *q = xcalloc(1, sizeof(*q));

	q->a = a;
	q->id = ++a->next_query;
	q->u = u;
	q->app = app;
	q->goal_state = goal_state;
	q->done = done;
	q->arg = arg;
	q->timer = a->io.timer_new(a->io.data, on_query_timeout, q);
	a->io.timer_arm(a->io.data, q->timer, AGENT_QUERY_TIMEOUT_MS);
	q->next = a->queries;
	a->queries = q;
	/* The controller answers after it has applied what the unit's hook did so far. */
	if (u)
		agent_outbox_flush(u);
	if (a->session)
		query_send(q);
}

void agent_queries_cancel(struct agent *a, struct unit *u, const char *error)
{
	for (struct query *q = a->queries, *n; q; q = n) {
		n = q->next;
		if (q->u == u)
			query_end(q, NULL, error);
	}
}

/* ---- goals ---- */

void agent_app_free(struct app *app)
{
	json_decref(app->config);
	json_decref(app->leader_settings);
	json_decref(app->resources);
	json_decref(app->container_specs);
	for (size_t i = 0; i < app->n_containers; i++)
		free(app->containers[i]);
	free(app->containers);
	free(app->name);
	free(app);
}

static struct app *app_get(struct agent *a, const char *name)
{
	struct app *app = hmap_get(&a->apps, name);

	if (!app) {
		app = xcalloc(1, sizeof(*app));
		app->name = xstrdup(name);
		hmap_put(&a->apps, app->name, app);
	}
	return app;
}

static void app_apply(struct agent *a, struct app *app, const struct proto_app_goal *g)
{
	size_t i;
	json_t *v;

	if (app->have_goal && strcmp(app->digest, g->charm_digest))
		agent_digest_ref(a, app->digest, -1);
	if (!app->have_goal || strcmp(app->digest, g->charm_digest))
		agent_digest_ref(a, g->charm_digest, +1);
	app->have_goal = true;
	app->gen = g->gen;
	app->charm_rev = (int)g->charm_rev;
	snprintf(app->digest, sizeof(app->digest), "%s", g->charm_digest);
	app->charm_size = g->charm_size;
	json_decref(app->config);
	app->config = json_deep_copy(g->config);
	snprintf(app->config_hash, sizeof(app->config_hash), "%s", g->config_hash);
	snprintf(app->leader, sizeof(app->leader), "%s", g->leader);
	app->leader_gen = (int)g->leader_gen;
	app->dying = g->dying;
	json_decref(app->leader_settings);
	app->leader_settings = g->leader_settings ? json_deep_copy(g->leader_settings) : json_object();
	for (i = 0; i < app->n_containers; i++)
		free(app->containers[i]);
	free(app->containers);
	app->n_containers = json_array_size(g->containers);
	app->containers = xcalloc(app->n_containers + 1, sizeof(char *));
	json_array_foreach(g->containers, i, v)
		app->containers[i] = xstrdup(json_string_value(v));
	app->charm_modified = g->charm_modified;
	json_decref(app->resources);
	app->resources = g->resources ? json_deep_copy(g->resources) : json_object();
	json_decref(app->container_specs);
	app->container_specs = g->container_specs ? json_deep_copy(g->container_specs) : json_object();
}

static struct unit *unit_add(struct agent *a, const char *name, const char *app_name,
			     const struct store_unit_row *row)
{
	struct unit *u = unit_new(a, name, row);

	u->app = app_get(a, app_name);
	u->app->n_units++;
	hmap_put(&a->units, u->name, u);
	return u;
}

static void unit_apply(struct unit *u, const struct proto_unit_goal *g)
{
	u->have_goal = true;
	u->gen = g->gen;
	u->alive = g->alive;
	json_decref(u->state_goal);
	u->state_goal = json_deep_copy(g->state);
	json_decref(u->ports_goal);
	u->ports_goal = json_deep_copy(g->ports);
	u->resolve_gen = g->resolve_gen;
	snprintf(u->resolve_mode, sizeof(u->resolve_mode), "%s", g->resolve_mode);
	free(u->principal);
	u->principal = g->principal ? xstrdup(g->principal) : NULL;
	unit_set_relations(u, g->relations);
	json_decref(u->tasks_goal);
	u->tasks_goal = g->actions ? json_deep_copy(g->actions) : json_array();
	unit_task_goal(u);
}

static void on_app_goal(struct agent *a, const struct proto_msg *m)
{
	const struct proto_app_goal *g = &m->u.app_goal;
	struct app *app = app_get(a, g->app);

	app_apply(a, app, g);
	a->io.store_put_goal(a->io.data, "app", g->app, m->frame);
	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);) {
		struct unit *u = it.value;

		if (u->app == app)
			unit_on_goal(u);
	}
}

static void on_unit_goal(struct agent *a, const struct proto_msg *m)
{
	const struct proto_unit_goal *g = &m->u.unit_goal;
	struct unit *u = hmap_get(&a->units, g->unit);
	char app[PROTO_NAME_MAX + 1];

	if (a->tearing_down)
		return;
	if (!u) {
		/* A unit new to this machine, or one whose local record was lost: start from the
		 * controller's copy of its journal when it has one. */
		struct store_unit_row row = { .name = g->unit, .journal = g->journal,
					      .next_seq = 1, .wl_status = g->workload_status,
					      .charm_digest = "" };
		struct store_txn t = { .unit = &row };
		struct errbuf eb;

		snprintf(app, sizeof(app), "%.*s", (int)(strchr(g->unit, '/') - g->unit), g->unit);
		row.app = app;
		if (a->io.store_apply(a->io.data, &t, &eb) < 0) {
			agent_log(a, NULL, "ERROR", "juju.worker.machine", "cannot record unit %s: %s",
				  g->unit, eb.msg);
			return;
		}
		u = unit_add(a, g->unit, app, &row);
		agent_log(a, u, "INFO", "juju.worker.uniter", "unit assigned to machine %s", a->machine);
	}
	unit_apply(u, g);
	a->io.store_put_goal(a->io.data, "unit", g->unit, m->frame);
	unit_on_goal(u);
}

static void apply_model_config(struct agent *a, const struct proto_model_config *c)
{
	a->update_status_ms = c->update_status_ms;
	a->retry_hooks = c->retry_hooks;
	a->hook_timeout_ms = c->hook_timeout_ms;
}

static void on_model_config(struct agent *a, const struct proto_msg *m)
{
	bool changed = a->update_status_ms != m->u.model_config.update_status_ms;

	apply_model_config(a, &m->u.model_config);
	a->io.store_put_goal(a->io.data, "meta", "model-config", m->frame);
	if (!changed)
		return;
	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);)
		unit_on_model_config(it.value);
}

/* ---- the session ---- */

void agent_link_up(struct agent *a)
{
	struct proto_msg m;

	a->link_up = true;
	proto_msg_init(&m, PROTO_HELLO);
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.machine = a->machine;
	m.u.hello.password = a->password;
	m.u.hello.agent_version = AGENT_VERSION;
	m.u.hello.pid = getpid();
	m.u.hello.hostname = a->hostname;
	m.u.hello.addresses = a->addresses;
	a->hello_sent_ms = a->io.now_ms(a->io.data);
	a->io.send(a->io.data, &m);
}

void agent_link_down(struct agent *a)
{
	bool was = a->session;

	a->link_up = false;
	a->session = false;
	a->io.timer_disarm(a->io.data, a->ping_timer);
	for (struct query *q = a->queries; q; q = q->next)
		q->sent = false;
	if (was) {
		a->io.charm_link(a->io.data, false);
		agent_log(a, NULL, "WARNING", "juju.worker.machine", "lost the connection to the controller");
		for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);)
			((struct unit *)it.value)->sent_progress = false;
	}
}

static void on_welcome(struct agent *a, const struct proto_msg *m)
{
	const struct proto_welcome *w = &m->u.welcome;
	struct hmap assigned = HMAP_INIT;
	size_t i;
	json_t *v;

	if (strcmp(w->machine, a->machine)) {
		agent_log(a, NULL, "ERROR", "juju.worker.machine",
			  "the controller welcomed machine %s, but this is machine %s", w->machine, a->machine);
		a->io.reconnect(a->io.data);
		return;
	}
	a->session = true;
	a->lease_ms = w->lease_ms;
	a->last_pong_ms = a->io.now_ms(a->io.data);
	snprintf(a->model_name, sizeof(a->model_name), "%s", w->model_name);
	snprintf(a->model_uuid, sizeof(a->model_uuid), "%s", w->model_uuid);
	a->api_addresses[0] = '\0';
	json_array_foreach(w->api_addresses, i, v) {
		size_t len = strlen(a->api_addresses);

		snprintf(a->api_addresses + len, sizeof(a->api_addresses) - len, "%s%s", len ? " " : "",
			 json_string_value(v));
	}
	{
		json_t *meta = json_pack("{s:s, s:s, s:s}", "model-name", a->model_name, "model-uuid",
					 a->model_uuid, "api-addresses", a->api_addresses);

		a->io.store_put_goal(a->io.data, "meta", "model", meta);
		json_decref(meta);
	}
	/* Units the controller no longer assigns here were removed while we were away. */
	json_array_foreach(w->units, i, v)
		hmap_put(&assigned, json_string_value(v), v);
	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);) {
		struct unit *u = it.value;

		if (!hmap_get(&assigned, u->name)) {
			agent_log(a, u, "INFO", "juju.worker.uniter",
				  "unit is no longer assigned to this machine: removing it");
			unit_free(u, true);
		}
	}
	hmap_done(&assigned);
	agent_log(a, NULL, "INFO", "juju.worker.machine", "connected to the controller as machine %s",
		  a->machine);
	lease_confirmed(a, a->hello_sent_ms);
	log_flush(a);
	/* Everything not yet acknowledged goes again, in order; the controller applies each
	 * sequence number once. */
	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);) {
		struct unit *u = it.value;

		for (struct outmsg *o = u->out_head; o; o = o->next) {
			o->sent = true;
			send_raw(a, o->msg);
		}
		unit_progress_dirty(u);
	}
	for (struct query *q = a->queries; q; q = q->next)
		if (!q->sent)
			query_send(q);
	a->io.charm_link(a->io.data, true);
	a->io.timer_arm(a->io.data, a->ping_timer, (uint64_t)(a->lease_ms / 4 > 0 ? a->lease_ms / 4 : 1));
}

static void on_ack(struct agent *a, const char *unit, int64_t seq, bool nack, const char *error)
{
	struct unit *u = hmap_get(&a->units, unit);

	if (!u)
		return;
	outbox_ack(u, seq);
	if (nack) {
		unit_on_nack(u, seq, error);
	} else if ((u->state == UNIT_COMMITTING && seq >= u->commit_seq) ||
		   (u->state == UNIT_DEAD && seq >= u->dead_seq)) {
		unit_on_ack(u, seq);
		return;
	}
	/* Plain acknowledgements: the rows go later, with the goals (a lost delete only means a
	 * harmless resend, which the controller acknowledges without applying). */
	a->io.store_drop_acked(a->io.data, u->name, seq);
}

/* Frees every unit (taken out of the map first: restarting an iteration after each removal
 * would scan the emptied buckets again and again). */
static void free_units(struct agent *a, bool destroy)
{
	size_t n = 0, cap = a->units.n;
	struct unit **all = xcalloc(cap + 1, sizeof(*all));

	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);)
		if (n < cap)
			all[n++] = it.value;
	for (size_t i = 0; i < n; i++)
		unit_free(all[i], destroy);
	free(all);
}

static void teardown_drained(void *arg)
{
	struct agent *a = arg;
	struct proto_msg m;

	log_flush(a);
	proto_msg_init(&m, PROTO_TEARDOWN_DONE);
	agent_send(a, &m);
	if (a->torn_down_cb)
		a->torn_down_cb(a->cb_data);
}

static void teardown(struct agent *a)
{

	agent_log(a, NULL, "INFO", "juju.worker.machine",
		  "the controller is being destroyed: removing every unit and its workloads");
	a->tearing_down = true;
	free_units(a, true);
	log_flush(a);
	/* Pods go in the background: done once the last one, and the pod network, is gone. */
	if (a->io.pods_drain)
		a->io.pods_drain(a->io.data, teardown_drained, a);
	else
		teardown_drained(a);
}

void agent_receive(struct agent *a, const struct proto_msg *m)
{
	struct unit *u;

	if (!a->session && m->type != PROTO_WELCOME && m->type != PROTO_REFUSED) {
		agent_log(a, NULL, "WARNING", "juju.worker.machine", "ignored %s before welcome",
			  proto_type_name(m->type));
		return;
	}
	switch (m->type) {
	case PROTO_WELCOME:
		on_welcome(a, m);
		break;
	case PROTO_REFUSED:
		agent_log(a, NULL, "ERROR", "juju.worker.machine", "the controller refused this agent: %s",
			  m->u.refused.error);
		if (a->refused_cb)
			a->refused_cb(a->cb_data, m->u.refused.error);
		break;
	case PROTO_MODEL_CONFIG:
		on_model_config(a, m);
		break;
	case PROTO_APP_GOAL:
		on_app_goal(a, m);
		break;
	case PROTO_UNIT_GOAL:
		on_unit_goal(a, m);
		break;
	case PROTO_UNIT_REMOVED:
		u = hmap_get(&a->units, m->u.unit_removed.unit);
		if (u) {
			struct proto_msg d;
			char *name = xstrdup(u->name);
			int64_t seq = u->next_seq;

			agent_log(a, u, "INFO", "juju.worker.uniter", "removal forced; no further hooks run");
			unit_free(u, true);
			/* Confirms that nothing of the unit is left here. */
			proto_msg_init(&d, PROTO_UNIT_DEAD);
			d.u.unit_dead.unit = name;
			d.u.unit_dead.seq = seq;
			agent_send(a, &d);
			free(name);
		}
		break;
	case PROTO_ACK:
		on_ack(a, m->u.ack.unit, m->u.ack.seq, false, NULL);
		break;
	case PROTO_NACK:
		on_ack(a, m->u.nack.unit, m->u.nack.seq, true, m->u.nack.error);
		break;
	case PROTO_STATUS_RESULT:
		for (struct query *q = a->queries; q; q = q->next) {
			if (q->id == m->u.status_result.id) {
				query_end(q, m->u.status_result.result,
					  m->u.status_result.result ? NULL :
					  m->u.status_result.error ? m->u.status_result.error : "no status");
				break;
			}
		}
		break;
	case PROTO_PONG:
		for (int i = 0; i < 8; i++)
			if (a->pings[i].id == m->u.pong.id && m->u.pong.id)
				lease_confirmed(a, a->pings[i].sent_ms);
		break;
	case PROTO_CHARM_CHUNK:
		a->io.charm_chunk(a->io.data, &m->u.charm_chunk);
		break;
	case PROTO_RESOURCE_CHUNK:
		if (a->io.resource_chunk)
			a->io.resource_chunk(a->io.data, &m->u.resource_chunk);
		break;
	case PROTO_TEARDOWN:
		teardown(a);
		break;
	case PROTO_JOINED:
	default:
		agent_log(a, NULL, "WARNING", "juju.worker.machine", "ignored unexpected %s",
			  proto_type_name(m->type));
		break;
	}
}

/* ---- start-up ---- */

struct loader {
	struct agent *a;
};

static void load_unit(void *arg, const struct store_unit_row *row)
{
	struct loader *l = arg;

	unit_add(l->a, row->name, row->app, row);
}

static void load_goal(void *arg, const char *kind, const char *name, json_t *goal)
{
	struct loader *l = arg;
	struct agent *a = l->a;
	struct proto_msg m;
	struct errbuf eb;

	if (!strcmp(kind, "meta") && !strcmp(name, "model")) {
		snprintf(a->model_name, sizeof(a->model_name), "%s",
			 jstr(json_object_get(goal, "model-name")));
		snprintf(a->model_uuid, sizeof(a->model_uuid), "%s",
			 jstr(json_object_get(goal, "model-uuid")));
		snprintf(a->api_addresses, sizeof(a->api_addresses), "%s",
			 jstr(json_object_get(goal, "api-addresses")));
		return;
	}
	if (proto_decode(goal, PROTO_TO_AGENT, &m, &eb) < 0) {
		agent_log(a, NULL, "WARNING", "juju.worker.machine", "ignored a stored %s goal: %s", kind,
			  eb.msg);
		return;
	}
	if (m.type == PROTO_MODEL_CONFIG) {
		apply_model_config(a, &m.u.model_config);
	} else if (m.type == PROTO_APP_GOAL) {
		app_apply(a, app_get(a, m.u.app_goal.app), &m.u.app_goal);
	} else if (m.type == PROTO_UNIT_GOAL) {
		struct unit *u = hmap_get(&a->units, m.u.unit_goal.unit);

		if (u)
			unit_apply(u, &m.u.unit_goal);
	}
	proto_msg_done(&m);
}

static void load_outbox(void *arg, const char *unit, int64_t seq, json_t *msg)
{
	struct loader *l = arg;
	struct unit *u = hmap_get(&l->a->units, unit);

	if (!u)
		return;
	outbox_append(u, seq, json_incref(msg));
	/* A commit the controller has not acknowledged yet: wait for its ack, then go on. */
	if (!strcmp(jstr(json_object_get(msg, "type")), "commit-hook") &&
	    u->state == UNIT_IDLE) {
		u->commit_seq = seq;
		u->commit_journal = json_incref(json_object_get(msg, "journal"));
		u->state = UNIT_COMMITTING;
	}
	if (!strcmp(jstr(json_object_get(msg, "type")), "unit-dead")) {
		u->dead_seq = seq;
		u->state = UNIT_DEAD;
	}
}

int agent_new(const struct agent_config *cfg, const struct agent_io *io, struct agent **ret,
	      struct errbuf *eb)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	struct store_visitor v = { load_unit, load_goal, load_outbox };
	struct loader l = { a };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	a->io = *io;
	a->home = xstrdup(cfg->home);
	a->machine = xstrdup(cfg->machine);
	a->password = xstrdup(cfg->password ? cfg->password : "");
	a->tools_dir = xstrdup(cfg->tools_dir ? cfg->tools_dir : "");
	a->scree_path = cfg->scree_path ? xstrdup(cfg->scree_path) : NULL;
	a->socket_path = xstrdup(cfg->socket_path ? cfg->socket_path : "");
	a->hostname = xstrdup(cfg->hostname ? cfg->hostname : "");
	a->addresses = cfg->addresses ? json_deep_copy(cfg->addresses) : json_array();
	a->network = cfg->network ? json_deep_copy(cfg->network) : netinfo_from_addresses(a->addresses);
	a->refused_cb = cfg->refused;
	a->torn_down_cb = cfg->torn_down;
	a->cb_data = cfg->cb_data;
	a->max_parallel = cfg->max_parallel ? cfg->max_parallel : (unsigned)(ncpu > 0 ? 2 * ncpu : 4);
	a->update_status_ms = 300000;
	a->retry_hooks = true;
	a->hook_timeout_ms = 3600000;
	a->retry_min_ms = 5000;
	a->retry_max_ms = 300000;
	a->lease_ms = 60000;
	a->log_batch = json_array();
	hmap_init(&a->units);
	hmap_init(&a->apps);
	hmap_init(&a->contexts);
	hmap_init(&a->digests);
	a->ping_timer = io->timer_new(io->data, on_ping_timer, a);
	r = io->store_load(io->data, &v, &l, eb);
	if (r < 0) {
		agent_free(a);
		return r;
	}
	/* Resume: a task cut short by the agent's death is reported, then every unit decides
	 * again from its journal and its last known goal. */
	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);)
		unit_task_recover(it.value);
	for (struct hmap_iter it = hmap_iter(&a->units); hmap_next(&it);)
		unit_kick(it.value);
	*ret = a;
	return 0;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	a->shutting_down = true;
	free_units(a, false);
	while (a->queries)
		query_end(a->queries, NULL, "the agent is stopping");
	for (struct hmap_iter it = hmap_iter(&a->apps); hmap_next(&it);)
		agent_app_free(it.value);
	for (struct hmap_iter it = hmap_iter(&a->digests); hmap_next(&it);)
		free(it.value);
	hmap_done(&a->units);
	hmap_done(&a->apps);
	hmap_done(&a->contexts);
	hmap_done(&a->digests);
	a->io.timer_free(a->io.data, a->ping_timer);
	json_decref(a->log_batch);
	json_decref(a->addresses);
	json_decref(a->network);
	free(a->home);
	free(a->machine);
	free(a->password);
	free(a->tools_dir);
	free(a->scree_path);
	free(a->socket_path);
	free(a->hostname);
	free(a);
}

void agent_get_stats(const struct agent *a, struct agent_stats *ret)
{
	*ret = a->stats;
}

const char *agent_unit_state(struct agent *a, const char *unit)
{
	struct unit *u = hmap_get(&a->units, unit);

	return u ? unit_state_name(u->state) : NULL;
}

json_t *agent_unit_journal(struct agent *a, const char *unit)
{
	struct unit *u = hmap_get(&a->units, unit);

	return u ? unit_journal_json(&u->j, &u->rs, u->task_id, u->task_done_id) : NULL;
}
