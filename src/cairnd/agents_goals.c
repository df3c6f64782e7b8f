/* agents_goals.c - the goals the controller pushes to machine agents (app-goal, unit-goal,
 * model-config), marked dirty as the model changes and sent once per loop iteration with
 * backpressure, followed by the acks of the reports that caused them; see agents.h. */
#include "cairnd/agents_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cairnd/idle.h"
#include "cairnd/ctl_rel.h"
#include "charm/charm.h"
#include "lib/log.h"
#include "lib/strnum.h"

static void schedule_flush_deferred(void *data)
{
	struct agents *s = data;

	s->flush_scheduled = false;
	agents_flush(s);
}

void agents_schedule_flush(struct agents *s)
{
	if (s->flush_scheduled)
		return;
	s->flush_scheduled = true;
	loop_defer(C(s)->l, schedule_flush_deferred, s);
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
	agents_conn_send(k, &m);
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

void agents_send_unit_goal(struct aconn *k, struct model_unit *u, bool sync)
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
	m.u.unit_goal.principal = ctl_rel_principal(C(k->s), u->name);
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
	agents_conn_send(k, &m);
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
		dirty_unlink(agents_mrt_get(s, u->machine), u);
}

void agents_unit_changed(struct agents *s, struct model_unit *u)
{
	struct mrt *mr = agents_mrt_get(s, u->machine);

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
	agents_schedule_flush(s);
	ctl_waiters_check(C(s));
}

void agents_app_changed(struct agents *s, struct model_app *a)
{
	a->gen = model_next_gen(C(s)->m);
	hmap_put(&s->dirty_apps, a->name, a);
	idle_update_app(C(s)->m, a);
	agents_schedule_flush(s);
	ctl_waiters_check(C(s));
}

/* The model is about to forget u (or a): drop every pointer to it. */
static void forget_unit(struct agents *s, struct model_unit *u)
{
	unlink_dirty(s, u);
	idle_forget(C(s)->m, u);
}

void agents_send_model_config(struct aconn *k)
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
	agents_conn_send(k, &m);
}

void agents_model_config_changed(struct agents *s)
{
	for (struct aconn *k = s->conns; k; k = k->next)
		if (k->m)
			agents_send_model_config(k);
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
		agents_conn_send(k, &m);
		hmap_iter_del(&it);
		free(a->unit);
		free(a);
	}
}

/* Once per loop iteration: the batch of what agents reported commits, then changed goals go
 * out, then the acks of what caused them - never an ack before its commit. */
void agents_flush(struct agents *s)
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
				agents_send_unit_goal(mr->conn, u, false);
		}
	}
	for (struct aconn *k = s->conns; k; k = k->next)
		flush_acks(k);
}

void agents_on_drained(struct proto_conn *pc, void *data)
{
	struct aconn *k = data;

	(void)pc;
	agents_schedule_flush(k->s);
}

void agents_queue_ack(struct aconn *k, const char *unit, int64_t seq)
{
	struct pending_ack *a = hmap_get(&k->acks, unit);

	if (!a) {
		a = xcalloc(1, sizeof(*a));
		a->unit = xstrdup(unit);
		hmap_put(&k->acks, a->unit, a);
	}
	if (seq > a->seq)
		a->seq = seq;
	agents_schedule_flush(k->s);
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
