/* ctl_streams.c - the API operations that answer over time: debug-log (a stream of log
 * frames) and wait-for (one answer once a condition holds, or a timeout).  Neither polls:
 * debug-log follows the log store, and wait-for is re-evaluated whenever the model or an
 * agent reports a change (ctl_waiters_check, coalesced to once per loop iteration). */
#include "controller.h"

#include "cairnd/agents.h"
#include "cairnd/idle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"

/* ---- debug-log ---- */

#define DEBUGLOG_BATCH 256

struct log_stream {
	struct controller *c;
	struct msgsrv_conn *conn;
	struct logstore_follower *f;
	json_t *batch;
	long limit;     /* records still allowed (-1 = no limit) */
	bool ended;
};

static void log_stream_free(struct log_stream *s);

/* A follower that stopped reading: it is cut off with a last frame saying so, rather than
 * growing the controller (msgsrv bounds what is queued for a client). */
static void stream_abort(struct log_stream *s)
{
	char msg[256];
	json_t *m;

	s->ended = true;
	if (s->f) {
		logstore_unfollow(s->c->logs, s->f);
		s->f = NULL;
	}
	snprintf(msg, sizeof(msg), "debug-log: the client is not reading; %zu lines dropped, disconnecting",
		 json_array_size(s->batch));
	/* Not into the model log: this runs while the log store notifies its followers. */
	log_warn("%s", msg);
	m = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	msgsrv_abort(s->conn, m);
	json_decref(m);
	json_array_clear(s->batch);
}

/* Returns false when the stream was cut off (s may then be freed by the caller only). */
static bool stream_flush(struct log_stream *s, bool end)
{
	json_t *msg;
	int r;

	if (!json_array_size(s->batch) && !end)
		return true;
	msg = json_pack("{s:b, s:O}", "ok", 1, "lines", s->batch);
	if (end)
		json_object_set_new(msg, "end", json_true());
	r = msgsrv_send(s->conn, msg);
	json_decref(msg);
	if (r == -ENOBUFS) {
		stream_abort(s);
		return false;
	}
	json_array_clear(s->batch);
	return true;
}

static void collect(const struct log_record *r, void *data)
{
	struct log_stream *s = data;
	struct buf b = BUF_INIT;

	if (s->ended || s->limit == 0)
		return;
	buf_init(&b);
	logstore_format(r, &b);
	json_t *line = json_string(b.data);

	json_array_append_new(s->batch, line ? line : json_string("(line not valid UTF-8)"));
	buf_done(&b);
	if (s->limit > 0)
		s->limit--;
	if (json_array_size(s->batch) >= DEBUGLOG_BATCH)
		stream_flush(s, false);
}

static void on_log_conn_close(struct msgsrv_conn *conn, void *data);

static void log_stream_free(struct log_stream *s)
{
	if (!s)
		return;
	if (s->f)
		logstore_unfollow(s->c->logs, s->f);
	json_decref(s->batch);
	free(s);
}

static void on_follow(const struct log_record *r, void *data)
{
	struct log_stream *s = data;

	if (s->ended)
		return;
	collect(r, data);
	if (s->ended || !stream_flush(s, false)) {
		/* Cut off: the connection is gone once flushed; nothing more to follow. */
		log_stream_free(s);
		return;
	}
	if (s->limit == 0 && !s->ended) {
		s->ended = true;
		stream_flush(s, true);
		logstore_unfollow(s->c->logs, s->f);
		s->f = NULL;
		msgsrv_on_close(s->conn, NULL, NULL);
		msgsrv_finish(s->conn);
		log_stream_free(s);
	}
}

static void on_log_conn_close(struct msgsrv_conn *conn, void *data)
{
	(void)conn;
	log_stream_free(data);
}

int ctl_op_debug_log(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	struct log_stream *s;
	bool replay = json_is_true(json_object_get(req, "replay"));
	bool tail = json_is_true(json_object_get(req, "tail"));
	json_t *lines = json_object_get(req, "lines"), *limit = json_object_get(req, "limit");

	(void)ret;
	(void)eb;
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->conn = conn;
	s->batch = json_array();
	s->limit = json_is_integer(limit) ? (long)json_integer_value(limit) : -1;
	logstore_tail(c->logs, replay ? -1 : (json_is_integer(lines) ? (long)json_integer_value(lines) : 10),
		      collect, s);
	if (!tail || s->limit == 0) {
		stream_flush(s, true);
		msgsrv_finish(conn);
		log_stream_free(s);
		return 1;
	}
	stream_flush(s, false);
	s->f = logstore_follow(c->logs, on_follow, s);
	msgsrv_on_close(conn, on_log_conn_close, s);
	return 1;
}

/* ---- wait-for ---- */

bool ctl_unit_idle(struct controller *c, const struct model_unit *u)
{
	(void)c;
	return u->idle; /* idle.h */
}

enum wait_kind { WAIT_APP, WAIT_UNIT, WAIT_MACHINE, WAIT_MODEL };

struct waiter {
	struct controller *c;
	struct msgsrv_conn *conn;
	enum wait_kind kind;
	char *name;
	char *status;     /* NULL = any */
	bool idle;
	bool gone;
	struct loop_timer *timer;
	struct waiter *next;
};

static bool unit_ok(struct controller *c, struct model_unit *u, struct waiter *w)
{
	if (w->status) {
		const char *msg;

		if (strcmp(model_unit_display(u, &msg), w->status) != 0)
			return false;
	}
	if (w->idle && !ctl_unit_idle(c, u))
		return false;
	return true;
}

/* Constant time (counts, idle.h): waiters are evaluated after every change. */
static bool app_ok(struct controller *c, struct model_app *a, struct waiter *w)
{
	(void)c;
	if (w->idle && !idle_app_all(a))
		return false;
	if (w->status && strcmp(model_app_current(a), w->status) != 0)
		return false;
	return true;
}

static bool waiter_satisfied(struct controller *c, struct waiter *w)
{
	switch (w->kind) {
	case WAIT_APP: {
		struct model_app *a = model_find_app(c->m, w->name);

		if (w->gone)
			return !a && !agents_removing(c->agents, w->name);
		return a && app_ok(c, a, w);
	}
	case WAIT_UNIT: {
		struct model_unit *u = model_find_unit(c->m, w->name);

		if (w->gone)
			return !u && !agents_removing(c->agents, w->name);
		return u && unit_ok(c, u, w);
	}
	case WAIT_MACHINE: {
		struct model_machine *mc = model_find_machine(c->m, atoi(w->name));

		if (w->gone)
			return !mc;
		if (!mc)
			return false;
		/* "started": its agent is connected now. */
		if (w->status && strcmp(w->status, agents_connected(c->agents, mc->id) ? "started" :
					mc->password_hash ? "down" : "pending"))
			return false;
		return !w->idle || idle_machine_all(mc);
	}
	case WAIT_MODEL:
		for (size_t i = 0; i < c->m->n_apps; i++)
			if (!app_ok(c, c->m->apps[i], w))
				return false;
		return true;
	}
	return false;
}

static void waiter_unlink(struct controller *c, struct waiter *w)
{
	struct waiter **pp = &c->waiters;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
}

static void waiter_free(struct waiter *w)
{
	loop_timer_free(w->timer);
	free(w->name);
	free(w->status);
	free(w);
}

static void waiter_answer(struct waiter *w, json_t *msg)
{
	msgsrv_on_close(w->conn, NULL, NULL);
	msgsrv_send(w->conn, msg);
	msgsrv_finish(w->conn);
	waiter_unlink(w->c, w);
	waiter_free(w);
}

static void check_waiters(void *data)
{
	struct controller *c = data;
	struct errbuf eb;

	c->waiters_dirty = false;
	/* An answer tells only what is committed. */
	model_batch_commit(c->m, &eb);
	for (struct waiter *w = c->waiters, *n; w; w = n) {
		n = w->next;
		if (waiter_satisfied(c, w)) {
			json_t *msg = json_pack("{s:b, s:{}}", "ok", 1, "result");

			waiter_answer(w, msg);
			json_decref(msg);
		}
	}
}

void ctl_waiters_check(struct controller *c)
{
	if (c->waiters_dirty || !c->waiters)
		return;
	c->waiters_dirty = true;
	loop_defer(c->l, check_waiters, c);
}

static void on_wait_timeout(struct loop_timer *t, void *data)
{
	struct waiter *w = data;
	char msg[512];
	json_t *m;

	(void)t;
	snprintf(msg, sizeof(msg), "timed out waiting for %s%s", w->kind == WAIT_APP ? "application " :
		 w->kind == WAIT_UNIT ? "unit " : w->kind == WAIT_MACHINE ? "machine " : "model",
		 w->kind == WAIT_MODEL ? "" : w->name);
	m = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
	waiter_answer(w, m);
	json_decref(m);
}

static void on_wait_conn_close(struct msgsrv_conn *conn, void *data)
{
	struct waiter *w = data;

	(void)conn;
	waiter_unlink(w->c, w);
	waiter_free(w);
}

int ctl_op_wait_for(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		    struct errbuf *eb)
{
	const char *kind = json_string_value(json_object_get(req, "kind"));
	const char *name = json_string_value(json_object_get(req, "name"));
	const char *status = json_string_value(json_object_get(req, "status"));
	json_t *tmo = json_object_get(req, "timeout-ms");
	struct waiter *w;

	(void)ret;
	if (!kind || (strcmp(kind, "application") && strcmp(kind, "unit") && strcmp(kind, "machine") &&
		      strcmp(kind, "model"))) {
		errbuf_set(eb, "wait-for: kind must be application, unit, machine or model");
		return -EINVAL;
	}
	if (strcmp(kind, "model") && (!name || !*name)) {
		errbuf_set(eb, "wait-for: no %s name given", kind);
		return -EINVAL;
	}
	w = xcalloc(1, sizeof(*w));
	w->c = c;
	w->conn = conn;
	w->kind = !strcmp(kind, "application") ? WAIT_APP : !strcmp(kind, "unit") ? WAIT_UNIT :
		  !strcmp(kind, "machine") ? WAIT_MACHINE : WAIT_MODEL;
	w->name = xstrdup(name ? name : "");
	w->status = status ? xstrdup(status) : NULL;
	w->idle = json_is_true(json_object_get(req, "idle"));
	w->gone = json_is_true(json_object_get(req, "gone"));
	w->timer = loop_timer_new(c->l, on_wait_timeout, w);
	loop_timer_arm_in(w->timer, json_is_integer(tmo) ? (uint64_t)json_integer_value(tmo) : 600000);
	w->next = c->waiters;
	c->waiters = w;
	msgsrv_on_close(conn, on_wait_conn_close, w);
	ctl_waiters_check(c);
	return 1;
}

