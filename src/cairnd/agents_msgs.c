/* agents_msgs.c - the messages of an authenticated machine agent: sequenced reports (journal,
 * commit-hook, statuses, hook runs, tasks, unit death) applied once each in the model's batch,
 * status-get and goal-state, charm and resource chunks, logs, progress, pings; see agents.h. */
#include "cairnd/agents_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairnd/idle.h"
#include "cairnd/resstore.h"
#include "cairnd/ctl_rel.h"
#include "lib/buf.h"
#include "lib/log.h"

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
	agents_conn_send(k, &m);
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
	agents_conn_send(k, &m);
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
		agents_conn_send(k, &m);
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
	agents_conn_send(k, &m);
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
			agents_conn_close(k);
	}
}

void agents_on_batch_failed(void *data)
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
 * batch, committed once per loop iteration before any ack goes out (agents_flush). */
static void on_sequenced(struct aconn *k, const struct proto_msg *m, const char *unit, int64_t seq)
{
	struct controller *c = C(k->s);
	struct errbuf eb;
	bool foreign;
	struct model_unit *u = own_unit(k, unit, &foreign);
	int r = 0;

	model_batch_begin(c->m);
	k->in_batch = true;
	agents_schedule_flush(k->s);

	if (foreign) {
		nack(k, unit, seq, "permission denied: the unit is on another machine");
		return;
	}
	if (!u || seq <= u->last_seq) {
		/* Gone, or already applied before a reconnect: acknowledge, change nothing.  The
		 * death of a unit removed by force is its agent's confirmation. */
		if (!u && m->type == PROTO_UNIT_DEAD && hmap_get(&k->m->removing, unit)) {
			agents_removing_clear(k->m, unit);
			ctl_waiters_check(c);
		}
		agents_queue_ack(k, unit, seq);
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

		snprintf(msg, sizeof(msg), "exit %lld, %.2f ms", (long long)h->code,
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
		agents_conn_close(k);
		return;
	}
	agents_queue_ack(k, unit, seq);
	ctl_waiters_check(c);
}

void agents_on_message(struct proto_conn *pc, struct proto_msg *m, void *data)
{
	struct aconn *k = data;
	struct controller *c = C(k->s);
	bool foreign;

	(void)pc;
	if (k->failed)
		return; /* closed at the end of the iteration (agents_on_batch_failed) */
	if (!k->m) {
		if (m->type == PROTO_HELLO)
			agents_on_hello(k, &m->u.hello);
		else if (m->type == PROTO_JOIN)
			agents_on_join(k, &m->u.join);
		else
			agents_refuse(k, "say hello first");
		return;
	}
	/* Anything from the agent proves it alive: its leases hold for another lease. */
	k->m->last_seen_ms = loop_now_ms();
	loop_timer_arm_in(k->m->gone, (uint64_t)c->cfg.lease_ms);
	const char *seq_unit;
	int64_t *seq = proto_sequenced(m, &seq_unit);

	if (seq) {
		on_sequenced(k, m, seq_unit, *seq);
		return;
	}
	switch (m->type) {
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
		snprintf(u->address, sizeof(u->address), "%s", m->u.progress.address ? m->u.progress.address : "");
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
		agents_conn_send(k, &r);
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
		agents_check_teardown(k->s);
		break;
	case PROTO_HELLO:
	case PROTO_JOIN:
	default:
		ctl_log(c, "controller", "WARNING", "cairn.agents", "machine %s: unexpected %s", k->m->name,
			proto_type_name(m->type));
		break;
	}
}
