/* ctl_actions.c - operations and tasks (actions, exec) in the controller; see ctl_rel.h.
 *
 * run/exec validate and enqueue (opstore_enqueue: one operation, a task per unit; a unit
 * whose task cannot run gets an error task and an "error" entry in the answer, as Juju
 * reports per-receiver errors).  The queued and running tasks of a unit are part of its goal
 * (ctl_task_goal), so they reach the agent after any restart of either side; what the agent
 * reports (action-started, -log, -result) is applied with its sequence number in one
 * transaction.  task-wait streams a task's log and answers once it finished (or the wait ran
 * out); it is woken by each change of the task, never polled. */
#include "cairnd/ctl_rel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action/actionspec.h"
#include "cairnd/agents.h"
#include "cairnd/operations.h"
#include "charm/charm.h"
#include "lib/buf.h"

#define CTL_TASK_WAIT_DEFAULT_MS (10LL * 365 * 24 * 3600 * 1000) /* "forever" */
#define CTL_OPERATIONS_LIMIT 50                                   /* `operations` default */

static void reload(struct controller *c)
{
	struct errbuf eb;

	if (opstore_reload(c->ops, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.operations", "cannot reload operations: %s",
			eb.msg);
}

static bool task_active(const struct optask *t)
{
	return t->status == TASK_PENDING || t->status == TASK_RUNNING || t->status == TASK_ABORTING;
}

static void touch_unit(struct controller *c, const char *unit)
{
	struct model_unit *u = model_find_unit(c->m, unit);

	if (u)
		agents_unit_changed(c->agents, u);
}

/* ---- task-wait ---- */

struct task_waiter {
	struct controller *c;
	struct msgsrv_conn *conn;
	int id;
	bool logs;
	size_t log_sent;           /* log entries already streamed */
	struct loop_timer *timer;
	struct task_waiter *next;
};

static struct task_waiter *waiters;

static void waiter_unlink(struct task_waiter *w)
{
	struct task_waiter **pp = &waiters;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
}

static void waiter_free(struct task_waiter *w)
{
	loop_timer_free(w->timer);
	free(w);
}

/* Sends the log entries not sent yet; false when the client was cut off. */
static bool waiter_logs(struct task_waiter *w, const struct optask *t)
{
	json_t *batch, *msg;
	int r;

	if (!w->logs || json_array_size(t->log) <= w->log_sent)
		return true;
	batch = json_array();
	for (size_t i = w->log_sent; i < json_array_size(t->log); i++)
		json_array_append(batch, json_array_get(t->log, i));
	w->log_sent = json_array_size(t->log);
	msg = json_pack("{s:b, s:o}", "ok", 1, "log", batch);
	r = msgsrv_send(w->conn, msg);
	json_decref(msg);
	return r != -ENOBUFS;
}

/* The last frame; w is freed. */
static void waiter_end(struct task_waiter *w, const struct optask *t, bool timed_out)
{
	json_t *msg = json_pack("{s:b, s:b, s:o, s:b}", "ok", 1, "end", 1, "task",
				t ? opstore_task_json(t) : json_null(), "timed-out", timed_out);

	msgsrv_on_close(w->conn, NULL, NULL);
	msgsrv_send(w->conn, msg);
	msgsrv_finish(w->conn);
	json_decref(msg);
	waiter_unlink(w);
	waiter_free(w);
}

/* Task id changed: its waiters get the news. */
static void wake(struct controller *c, int id)
{
	struct optask *t = opstore_task(c->ops, id);

	for (struct task_waiter *w = waiters, *n; w; w = n) {
		n = w->next;
		if (w->c != c || w->id != id)
			continue;
		if (!t) {
			waiter_end(w, NULL, false);
			continue;
		}
		if (!waiter_logs(w, t)) {
			waiter_unlink(w);
			msgsrv_on_close(w->conn, NULL, NULL);
			msgsrv_abort(w->conn, NULL);
			waiter_free(w);
			continue;
		}
		if (task_status_final(t->status))
			waiter_end(w, t, false);
	}
}

static void on_wait_timeout(struct loop_timer *tm, void *data)
{
	struct task_waiter *w = data;

	(void)tm;
	waiter_end(w, opstore_task(w->c->ops, w->id), true);
}

static void on_wait_close(struct msgsrv_conn *conn, void *data)
{
	struct task_waiter *w = data;

	(void)conn;
	waiter_unlink(w);
	waiter_free(w);
}

int ctl_op_task_wait(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	json_t *jid = json_object_get(req, "id"), *tmo = json_object_get(req, "timeout-ms");
	struct optask *t;
	struct task_waiter *w;
	int64_t ms = json_is_integer(tmo) ? json_integer_value(tmo) : -1;

	(void)ret;
	if (!json_is_integer(jid)) {
		errbuf_set(eb, "task-wait: no task id given");
		return -EINVAL;
	}
	t = opstore_task(c->ops, (int)json_integer_value(jid));
	if (!t) {
		errbuf_set(eb, "task %lld not found", (long long)json_integer_value(jid));
		return -ENOENT;
	}
	w = xcalloc(1, sizeof(*w));
	w->c = c;
	w->conn = conn;
	w->id = t->id;
	w->logs = json_is_true(json_object_get(req, "logs"));
	w->timer = loop_timer_new(c->l, on_wait_timeout, w);
	w->next = waiters;
	waiters = w;
	msgsrv_on_close(conn, on_wait_close, w);
	if (!waiter_logs(w, t)) {
		waiter_unlink(w);
		msgsrv_on_close(conn, NULL, NULL);
		waiter_free(w);
		return 1;
	}
	if (task_status_final(t->status) || ms == 0) {
		waiter_end(w, t, !task_status_final(t->status));
		return 1;
	}
	loop_timer_arm_in(w->timer, (uint64_t)(ms > 0 ? ms : CTL_TASK_WAIT_DEFAULT_MS));
	return 1;
}

/* ---- the agent's reports ---- */

json_t *ctl_task_goal(struct controller *c, struct model_unit *u)
{
	json_t *out = json_array();

	for (size_t i = 0; i < c->ops->n_tasks && json_array_size(out) < PROTO_ACTIONS_MAX; i++) {
		const struct optask *t = c->ops->tasks[i];
		const struct opop *op;

		if (!task_active(t) || strcmp(t->unit, u->name))
			continue;
		op = opstore_op(c->ops, t->op);
		json_array_append_new(out, json_pack("{s:i, s:s, s:O, s:s, s:s}", "id", t->id, "name",
						     t->name, "params", t->params, "status",
						     task_status_name(t->status), "kind",
						     op && op->kind == OP_EXEC ? "exec" : "action"));
	}
	return out;
}

struct report_req {
	struct controller *c;
	struct model_unit *u;
	const struct proto_msg *m;
	int task;
	bool changed;
	struct ctl_rel_commit *rel;  /* a completed task's relation changes, or NULL */
};

static int report_fn(void *data, struct errbuf *eb)
{
	struct report_req *q = data;
	struct opstore *s = q->c->ops;
	uint64_t now = loop_wall_ns();
	const struct proto_msg *m = q->m;
	struct optask *t;
	enum task_status to;

	q->task = (int)(m->type == PROTO_ACTION_STARTED ? m->u.action_started.task :
			m->type == PROTO_ACTION_LOG ? m->u.action_log.task : m->u.action_result.task);
	t = opstore_task(s, q->task);
	/* Not this unit's task, or one already over: nothing to change (the ack still goes). */
	if (!t || strcmp(t->unit, q->u->name))
		return 0;
	switch (m->type) {
	case PROTO_ACTION_STARTED:
		if (t->status != TASK_PENDING)
			return 0;
		q->changed = true;
		return opstore_task_set(s, t, TASK_RUNNING, NULL, NULL, now, eb);
	case PROTO_ACTION_LOG:
		if (t->status != TASK_RUNNING && t->status != TASK_ABORTING)
			return 0;
		q->changed = true;
		return opstore_task_log(s, t, m->u.action_log.message,
					m->u.action_log.time_ns > 0 ? (uint64_t)m->u.action_log.time_ns : now,
					eb);
	case PROTO_ACTION_RESULT:
		to = task_status_from_name(m->u.action_result.status);
		if (!task_status_can(t->status, to)) {
			/* A cancelled task the agent ended first, or a repeated report. */
			if (task_status_final(t->status))
				return 0;
			to = TASK_FAILED;
			if (!task_status_can(t->status, to))
				to = TASK_ERROR;
		}
		q->changed = true;
		if (q->rel && to == TASK_COMPLETED) {
			int r = ctl_rel_commit_apply(q->rel, eb);

			if (r < 0)
				return r;
		}
		return opstore_task_set(s, t, to, m->u.action_result.message, m->u.action_result.results,
					now, eb);
	default:
		return 0;
	}
}

int ctl_task_report(struct controller *c, struct model_unit *u, const struct proto_msg *m,
		    int64_t seq, struct errbuf *eb)
{
	struct report_req q = { c, u, m, 0, false, NULL };
	const struct proto_action_result *res = &m->u.action_result;
	int r;

	if (m->type == PROTO_ACTION_RESULT && !strcmp(res->status, "completed") &&
	    (res->relations || res->state || res->ports || res->leader_settings)) {
		/* A completed task commits what its hook context changed, with its result. */
		struct ctl_rel_commit rc;
		json_t *journal = json_incref(u->journal);

		ctl_rel_commit_init(&rc, c, u, res->relations, res->leader_settings);
		q.rel = &rc;
		r = model_commit_hook_with(c->m, u, journal, res->state, res->ports, NULL, seq, report_fn,
					   &q, eb);
		json_decref(journal);
		ctl_rel_commit_done(&rc, r == 0);
		if (r == 0 && (res->state || res->ports))
			agents_unit_changed(c->agents, u);
	} else {
		r = model_txn(c->m, u, seq, report_fn, &q, eb);
	}
	if (r < 0) {
		reload(c);
		return r;
	}
	if (q.changed) {
		if (m->type != PROTO_ACTION_LOG)
			agents_unit_changed(c->agents, u);
		wake(c, q.task);
	}
	return 0;
}

struct unit_gone_req {
	struct controller *c;
	const char *unit;
	int *ids;
	size_t n;
};

static int unit_gone_fn(void *data, struct errbuf *eb)
{
	struct unit_gone_req *q = data;
	struct opstore *s = q->c->ops;
	uint64_t now = loop_wall_ns();

	for (size_t i = 0; i < s->n_tasks; i++) {
		struct optask *t = s->tasks[i];
		int r;

		if (!task_active(t) || strcmp(t->unit, q->unit))
			continue;
		r = opstore_task_set(s, t, t->status == TASK_ABORTING ? TASK_ABORTED : TASK_ERROR,
				     "unit removed", NULL, now, eb);
		if (r < 0)
			return r;
		q->ids = xrealloc(q->ids, (q->n + 1) * sizeof(int));
		q->ids[q->n++] = t->id;
	}
	return 0;
}

void ctl_tasks_unit_gone(struct controller *c, const char *unit)
{
	struct unit_gone_req q = { c, unit, NULL, 0 };
	struct errbuf eb;

	if (model_txn(c->m, NULL, 0, unit_gone_fn, &q, &eb) < 0) {
		ctl_log(c, "controller", "ERROR", "cairn.operations",
			"cannot end the tasks of %s: %s", unit, eb.msg);
		reload(c);
	} else {
		for (size_t i = 0; i < q.n; i++)
			wake(c, q.ids[i]);
	}
	free(q.ids);
}

/* ---- enqueueing ---- */

/* A receiver name as the operator gave it ("app/3" or "app/leader") to a unit, or NULL with
 * Juju's error in eb. */
static struct model_unit *receiver(struct controller *c, const char *name, struct errbuf *eb)
{
	const char *slash = name ? strchr(name, '/') : NULL;

	if (slash && !strcmp(slash, "/leader")) {
		char app[256];
		struct model_app *a;

		snprintf(app, sizeof(app), "%.*s", (int)(slash - name), name);
		a = model_find_app(c->m, app);
		if (!a) {
			errbuf_set(eb, "application \"%s\" not found", app);
			return NULL;
		}
		if (!a->leader || !model_find_unit(c->m, a->leader)) {
			errbuf_set(eb, "could not determine leader for \"%s\"", app);
			return NULL;
		}
		return model_find_unit(c->m, a->leader);
	}
	struct model_unit *u = name ? model_find_unit(c->m, name) : NULL;

	if (!u)
		errbuf_set(eb, "unit \"%s\" not found", name ? name : "");
	return u;
}

struct enqueue_req {
	struct controller *c;
	enum op_kind kind;
	const char *name;
	json_t *params;
	const char **units;
	const char **errors;
	size_t n;
	struct opop *op;
};

static int enqueue_fn(void *data, struct errbuf *eb)
{
	struct enqueue_req *q = data;

	return opstore_enqueue(q->c->ops, q->kind, q->name, q->params, q->units, q->errors, q->n,
			       loop_wall_ns(), &q->op, eb);
}

/* The answer of run/exec: {"operation", "tasks": [{"id", "unit"} | {"error"}]}. */
static json_t *enqueued_answer(struct controller *c, const struct opop *op)
{
	json_t *tasks = json_array();

	for (size_t i = 0; i < op->n_tasks; i++) {
		struct optask *t = opstore_task(c->ops, op->tasks[i]);

		if (!t)
			continue;
		if (t->status == TASK_ERROR)
			json_array_append_new(tasks, json_pack("{s:s}", "error", t->message));
		else
			json_array_append_new(tasks, json_pack("{s:i, s:s}", "id", t->id, "unit", t->unit));
	}
	return json_pack("{s:i, s:o}", "operation", op->id, "tasks", tasks);
}

static int enqueue(struct controller *c, struct enqueue_req *q, json_t **ret, struct errbuf *eb)
{
	int r = model_txn(c->m, NULL, 0, enqueue_fn, q, eb);

	if (r < 0) {
		reload(c);
		return r;
	}
	for (size_t i = 0; i < q->op->n_tasks; i++) {
		struct optask *t = opstore_task(c->ops, q->op->tasks[i]);

		if (t && t->status == TASK_PENDING)
			touch_unit(c, t->unit);
	}
	ctl_log(c, "controller", "INFO", "cairn.operations", "operation %d (%s) queued with %zu task(s)",
		q->op->id, q->name, q->op->n_tasks);
	*ret = enqueued_answer(c, q->op);
	return 0;
}

int ctl_op_actions(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		   struct errbuf *eb)
{
	const char *name = json_string_value(json_object_get(req, "app"));
	struct model_app *a = name ? model_find_app(c->m, name) : NULL;
	struct action_specs *specs;
	json_t *list;
	int r;

	(void)conn;
	if (!a) {
		errbuf_set(eb, "application \"%s\" not found", name ? name : "");
		return -ENOENT;
	}
	if ((r = actionspec_parse(a->charm->actions, &specs, eb)) < 0)
		return r;
	list = json_array();
	for (size_t i = 0; i < specs->n; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:O}", "name", specs->v[i].name,
						      "description", specs->v[i].description, "params",
						      specs->v[i].schema));
	actionspec_free(specs);
	*ret = json_pack("{s:o}", "actions", list);
	return 0;
}

int ctl_op_run(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
	       struct errbuf *eb)
{
	json_t *units = json_object_get(req, "units"), *params = json_object_get(req, "params"), *v;
	const char *action = json_string_value(json_object_get(req, "action"));
	size_t n = json_array_size(units), i;
	const char **names, **errors;
	char **owned;
	json_t *run_params = NULL, *none = NULL;
	struct enqueue_req q;
	int r;

	(void)conn;
	if (!n || !action || !*action) {
		errbuf_set(eb, !n ? "no unit specified" : "no action specified");
		return -EINVAL;
	}
	if (params && !json_is_object(params)) {
		errbuf_set(eb, "params must be a map");
		return -EINVAL;
	}
	names = xcalloc(n + 1, sizeof(*names));
	errors = xcalloc(n + 1, sizeof(*errors));
	owned = xcalloc(2 * n + 1, sizeof(*owned));
	json_array_foreach(units, i, v) {
		struct errbuf e;
		struct model_unit *u = receiver(c, json_string_value(v), &e);
		struct action_specs *specs = NULL;
		const struct action_spec *spec;

		names[i] = owned[2 * i] = xstrdup(u ? u->name : json_string_value(v) ? json_string_value(v) : "");
		if (!u) {
			errors[i] = owned[2 * i + 1] = xstrdup(e.msg);
			continue;
		}
		if (actionspec_parse(u->app->charm->actions, &specs, &e) < 0) {
			errors[i] = owned[2 * i + 1] = xstrdup(e.msg);
			continue;
		}
		spec = actionspec_find(specs, action);
		if (!spec) {
			errbuf_set(&e, "action \"%s\" not defined on unit \"%s\"", action, u->name);
			errors[i] = owned[2 * i + 1] = xstrdup(e.msg);
		} else if (actionspec_validate(spec, params ? params : (none = none ? none : json_object()),
					       &e) < 0) {
			errors[i] = owned[2 * i + 1] = xstrdup(e.msg);
		} else if (!run_params) {
			/* The units of one run are of one application (the CLI checks): one
			 * charm, one set of defaults. */
			run_params = actionspec_with_defaults(spec, params);
		}
		actionspec_free(specs);
	}
	memset(&q, 0, sizeof(q));
	q.c = c;
	q.kind = OP_ACTION;
	q.name = action;
	q.params = run_params ? run_params : params ? params : json_object();
	q.units = names;
	q.errors = errors;
	q.n = n;
	r = enqueue(c, &q, ret, eb);
	if (!run_params && !params)
		json_decref(q.params);
	json_decref(run_params);
	json_decref(none);
	for (i = 0; i < 2 * n; i++)
		free(owned[i]);
	free(owned);
	free(names);
	free(errors);
	return r;
}

static bool listed(json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

int ctl_op_exec(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		struct errbuf *eb)
{
	const char *command = json_string_value(json_object_get(req, "command"));
	json_t *machines = json_object_get(req, "machines"), *apps = json_object_get(req, "applications");
	json_t *units = json_object_get(req, "units"), *v, *params;
	json_t *tmo = json_object_get(req, "timeout-ms");
	bool all = json_is_true(json_object_get(req, "all"));
	struct buf bad = BUF_INIT;
	struct enqueue_req q;
	const char **names = NULL, **errors = NULL;
	char **owned = NULL;
	size_t n = 0, i;
	int r;

	(void)conn;
	if (!command || !*command) {
		errbuf_set(eb, "no commands specified");
		return -EINVAL;
	}
	buf_init(&bad);
	json_array_foreach(apps, i, v)
		if (!json_is_string(v) || !model_find_app(c->m, json_string_value(v)))
			buf_addf(&bad, "%sapplication \"%s\" not found", bad.len ? "; " : "",
				 json_string_value(v) ? json_string_value(v) : "");
	if (bad.len) {
		errbuf_set(eb, "%s", bad.data);
		buf_done(&bad);
		return -ENOENT;
	}
	buf_done(&bad);
	/* Every unit the targets name, once, in model order; named units that cannot be
	 * resolved are per-receiver errors. */
	size_t cap = 16;

	names = xcalloc(cap, sizeof(*names));
	errors = xcalloc(cap, sizeof(*errors));
	owned = xcalloc(2 * cap, sizeof(*owned));
#define ADD(unit_name, err)                                                            \
	do {                                                                           \
		if (n + 1 >= cap) {                                                    \
			cap *= 2;                                                      \
			names = xrealloc(names, cap * sizeof(*names));                 \
			errors = xrealloc(errors, cap * sizeof(*errors));              \
			owned = xrealloc(owned, 2 * cap * sizeof(*owned));             \
		}                                                                      \
		names[n] = owned[2 * n] = xstrdup(unit_name);                          \
		errors[n] = owned[2 * n + 1] = (err) ? xstrdup(err) : NULL;            \
		n++;                                                                   \
	} while (0)
	for (size_t a = 0; a < c->m->n_apps; a++) {
		struct model_app *ap = c->m->apps[a];

		for (size_t k = 0; k < ap->n_units; k++) {
			struct model_unit *u = ap->units[k];
			char mach[16];

			snprintf(mach, sizeof(mach), "%d", u->machine);
			if (all || listed(apps, ap->name) || listed(machines, mach) || listed(units, u->name))
				ADD(u->name, (const char *)NULL);
		}
	}
	json_array_foreach(units, i, v) {
		struct errbuf e;
		struct model_unit *u;
		bool dup = false;

		if (!json_is_string(v))
			continue;
		u = receiver(c, json_string_value(v), &e);
		for (size_t k = 0; u && k < n; k++)
			dup |= !strcmp(names[k], u->name);
		if (!u)
			ADD(json_string_value(v), e.msg);
		else if (!dup)
			ADD(u->name, (const char *)NULL);
	}
#undef ADD
	json_array_foreach(machines, i, v) {
		bool any = false;

		for (size_t k = 0; k < n; k++) {
			struct model_unit *u = model_find_unit(c->m, names[k]);
			char mach[16];

			if (u) {
				snprintf(mach, sizeof(mach), "%d", u->machine);
				any |= json_is_string(v) && !strcmp(mach, json_string_value(v));
			}
		}
		if (!any && json_is_string(v) && !model_find_machine(c->m, atoi(json_string_value(v)))) {
			errbuf_set(eb, "machine %s not found", json_string_value(v));
			r = -ENOENT;
			goto out;
		}
	}
	if (!n) {
		errbuf_set(eb, "no units to run the command on");
		r = -ENOENT;
		goto out;
	}
	params = json_pack("{s:s}", "command", command);
	if (json_is_integer(tmo) && json_integer_value(tmo) > 0)
		json_object_set(params, "timeout-ms", tmo);
	memset(&q, 0, sizeof(q));
	q.c = c;
	q.kind = OP_EXEC;
	q.name = "juju-exec";
	q.params = params;
	q.units = names;
	q.errors = errors;
	q.n = n;
	r = enqueue(c, &q, ret, eb);
	json_decref(params);
out:
	for (i = 0; i < 2 * n; i++)
		free(owned[i]);
	free(owned);
	free(names);
	free(errors);
	return r;
}

/* ---- looking at operations and tasks ---- */

int ctl_op_task(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		struct errbuf *eb)
{
	json_t *jid = json_object_get(req, "id");
	struct optask *t = json_is_integer(jid) ? opstore_task(c->ops, (int)json_integer_value(jid)) : NULL;

	(void)conn;
	if (!t) {
		errbuf_set(eb, "task %lld not found", (long long)json_integer_value(jid));
		return -ENOENT;
	}
	*ret = opstore_task_json(t);
	return 0;
}

int ctl_op_operation(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	json_t *jid = json_object_get(req, "id");
	struct opop *op = json_is_integer(jid) ? opstore_op(c->ops, (int)json_integer_value(jid)) : NULL;

	(void)conn;
	if (!op) {
		errbuf_set(eb, "operation %lld not found", (long long)json_integer_value(jid));
		return -ENOENT;
	}
	*ret = opstore_op_json(c->ops, op);
	return 0;
}

/* Whether op matches the `operations` filters (each an array; empty = any). */
static bool op_matches(struct controller *c, const struct opop *op, json_t *apps, json_t *units,
		       json_t *machines, json_t *actions, json_t *statuses)
{
	bool any_task = !json_array_size(apps) && !json_array_size(units) && !json_array_size(machines);

	if (json_array_size(statuses) && !listed(statuses, task_status_name(opstore_op_status(c->ops, op))))
		return false;
	for (size_t i = 0; i < op->n_tasks && !any_task; i++) {
		struct optask *t = opstore_task(c->ops, op->tasks[i]);
		char app[256];
		const char *slash;

		if (!t)
			continue;
		slash = strchr(t->unit, '/');
		snprintf(app, sizeof(app), "%.*s", slash ? (int)(slash - t->unit) : (int)strlen(t->unit),
			 t->unit);
		if (listed(apps, app) || listed(units, t->unit))
			any_task = true;
		if (json_array_size(machines)) {
			struct model_unit *u = model_find_unit(c->m, t->unit);
			char mach[16];

			snprintf(mach, sizeof(mach), "%d", u ? u->machine : -1);
			if (u && listed(machines, mach))
				any_task = true;
		}
	}
	if (!any_task)
		return false;
	if (json_array_size(actions)) {
		struct optask *t = op->n_tasks ? opstore_task(c->ops, op->tasks[0]) : NULL;

		if (!t || !listed(actions, t->name))
			return false;
	}
	return true;
}

int ctl_op_operations(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		      struct errbuf *eb)
{
	json_t *apps = json_object_get(req, "applications"), *units = json_object_get(req, "units");
	json_t *machines = json_object_get(req, "machines"), *actions = json_object_get(req, "actions");
	json_t *statuses = json_object_get(req, "status"), *list = json_array();
	int64_t offset = json_integer_value(json_object_get(req, "offset"));
	int64_t limit = json_integer_value(json_object_get(req, "limit"));
	int64_t skipped = 0;
	bool truncated = false;

	(void)conn;
	(void)eb;
	if (limit <= 0)
		limit = CTL_OPERATIONS_LIMIT;
	for (size_t i = 0; i < c->ops->n_ops; i++) {
		const struct opop *op = c->ops->ops[i];

		if (!op_matches(c, op, apps, units, machines, actions, statuses))
			continue;
		if (skipped < offset) {
			skipped++;
			continue;
		}
		if ((int64_t)json_array_size(list) >= limit) {
			truncated = true;
			break;
		}
		json_array_append_new(list, opstore_op_json(c->ops, op));
	}
	*ret = json_pack("{s:o, s:b}", "operations", list, "truncated", truncated);
	return 0;
}

struct cancel_req {
	struct controller *c;
	json_t *ids;
};

static int cancel_fn(void *data, struct errbuf *eb)
{
	struct cancel_req *q = data;
	size_t i;
	json_t *v;

	json_array_foreach(q->ids, i, v) {
		struct optask *t = opstore_task(q->c->ops, (int)json_integer_value(v));
		int r;

		if (t && (r = opstore_cancel(q->c->ops, t, loop_wall_ns(), eb)) < 0)
			return r;
	}
	return 0;
}

int ctl_op_cancel_task(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb)
{
	json_t *ids = json_object_get(req, "ids"), *v, *out;
	struct cancel_req q = { c, ids };
	size_t i;
	int r;

	(void)conn;
	if (!json_array_size(ids)) {
		errbuf_set(eb, "no task IDs specified");
		return -EINVAL;
	}
	json_array_foreach(ids, i, v) {
		if (!json_is_integer(v) || !opstore_task(c->ops, (int)json_integer_value(v))) {
			errbuf_set(eb, "no tasks found matching prefix %lld, no tasks have been canceled",
				   (long long)json_integer_value(v));
			return -ENOENT;
		}
	}
	if ((r = model_txn(c->m, NULL, 0, cancel_fn, &q, eb)) < 0) {
		reload(c);
		return r;
	}
	out = json_array();
	json_array_foreach(ids, i, v) {
		struct optask *t = opstore_task(c->ops, (int)json_integer_value(v));

		if (!t)
			continue;
		json_array_append_new(out, opstore_task_json(t));
		touch_unit(c, t->unit);
		wake(c, t->id);
	}
	*ret = json_pack("{s:o}", "tasks", out);
	return 0;
}
