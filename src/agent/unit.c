/* unit.c - one unit's runtime on a machine agent: its state machine, timers, run queue,
 * deciding the next step, the controller's messages about it, and its life; see agent.h.
 *
 * Each unit is a state machine (enum unit_state, legal transitions below).  A kick puts an
 * idle unit on the machine's run queue (once); the pump takes units off it while fewer than
 * max_parallel hooks run and asks the resolver (uniter.c) for the next hook at that moment, so
 * changes that arrive while a unit waits coalesce.  A successful hook's commit-hook goes to
 * the controller (unit_hook.c); the unit runs nothing else until the controller acknowledges
 * it, and only then does the journal move on (memory and store together). */
#include "agent/agent_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/unit_resources.h"
#include "lib/buf.h"

static const char *const state_names[_UNIT_STATE_MAX] = {
	[UNIT_IDLE] = "idle",           [UNIT_ERROR] = "error",
	[UNIT_PREPARING] = "preparing", [UNIT_RUNNING] = "running",
	[UNIT_COMMITTING] = "committing", [UNIT_DEAD] = "dead",
};

/* legal[from][to] */
static const bool legal[_UNIT_STATE_MAX][_UNIT_STATE_MAX] = {
	[UNIT_IDLE] = { [UNIT_PREPARING] = true, [UNIT_RUNNING] = true, [UNIT_COMMITTING] = true,
			[UNIT_ERROR] = true, [UNIT_DEAD] = true },
	[UNIT_ERROR] = { [UNIT_IDLE] = true, [UNIT_COMMITTING] = true },
	[UNIT_PREPARING] = { [UNIT_RUNNING] = true, [UNIT_COMMITTING] = true, [UNIT_ERROR] = true,
			     [UNIT_IDLE] = true },
	[UNIT_RUNNING] = { [UNIT_COMMITTING] = true, [UNIT_ERROR] = true, [UNIT_IDLE] = true },
	[UNIT_COMMITTING] = { [UNIT_IDLE] = true, [UNIT_ERROR] = true },
	[UNIT_DEAD] = { [UNIT_DEAD] = false },
};

const char *unit_state_name(enum unit_state s)
{
	return (unsigned)s < _UNIT_STATE_MAX ? state_names[s] : "invalid";
}

void unit_set_state(struct unit *u, enum unit_state s)
{
	/* A hook's held messages go when it is over (committing, or it never started). */
	if (u->hold_out && s != UNIT_RUNNING) {
		u->hold_out = false;
		agent_outbox_flush(u);
	}
	if (u->state == s)
		return;
	if (!legal[u->state][s]) {
		agent_log(u->a, u, "ERROR", "juju.worker.uniter",
			  "internal error: illegal transition %s -> %s", state_names[u->state],
			  state_names[s]);
		abort();
	}
	u->state = s;
	unit_progress_dirty(u);
}

void ulog(struct unit *u, const char *level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	agent_log(u->a, u, level, "juju.worker.uniter", "%s", b.data);
	buf_done(&b);
}

/* ---- timers ---- */

void unit_arm_update_status(struct unit *u)
{
	struct agent *a = u->a;
	int64_t w = a->update_status_ms;

	if (!u->j.started || u->j.stopped || w <= 0 || a->io.timer_armed(a->io.data, u->us_timer))
		return;
	/* Each wait is drawn uniformly from [0.8, 1.2] x interval (charm-runtime.md §8). */
	double ms = (double)w * (0.8 + 0.4 * a->io.random(a->io.data));

	a->io.timer_arm(a->io.data, u->us_timer, (uint64_t)ms);
}

static void on_update_status(void *arg)
{
	struct unit *u = arg;

	u->update_status_due = true;
	unit_kick(u);
}

static void on_retry(void *arg)
{
	struct unit *u = arg;

	if (u->state != UNIT_ERROR)
		return;
	ulog(u, "INFO", "retrying hook \"%s\"", u->j.hook);
	unit_set_state(u, UNIT_IDLE);
	unit_kick(u);
}

/* Retries start after exactly the minimum, then double with +-3 % jitter, capped
 * (charm-runtime.md §10). */
void unit_arm_retry(struct unit *u)
{
	struct agent *a = u->a;
	int64_t d;

	if (!a->retry_hooks)
		return;
	if (u->retries == 0) {
		d = a->retry_min_ms;
	} else {
		double x = (double)u->next_retry_ms * 2.0 * (0.97 + 0.06 * a->io.random(a->io.data));

		d = x > (double)a->retry_max_ms ? a->retry_max_ms : (int64_t)x;
	}
	u->next_retry_ms = d;
	u->retries++;
	a->io.timer_arm(a->io.data, u->retry_timer, (uint64_t)d);
}

/* A long hook: what it did so far goes to the controller now (the rest is held again). */
static void on_out_hold(void *arg)
{
	agent_outbox_flush(arg);
}

static void on_hook_timeout(void *arg)
{
	struct unit *u = arg;

	if (u->state != UNIT_RUNNING || !u->run)
		return;
	ulog(u, "ERROR", "hook \"%s\" timed out; killing it", u->hook);
	u->timed_out = true;
	u->a->io.hook_kill(u->a->io.data, u->run, SIGKILL);
}

/* ---- run queue ---- */

static void pump_deferred(void *arg)
{
	struct agent *a = arg;

	a->pump_scheduled = false;
	unit_pump(a);
}

static void schedule_pump(struct agent *a)
{
	if (a->pump_scheduled || a->shutting_down)
		return;
	a->pump_scheduled = true;
	a->io.defer(a->io.data, pump_deferred, a);
}

void unit_schedule_pump(struct agent *a)
{
	schedule_pump(a);
}

void unit_kick(struct unit *u)
{
	struct agent *a = u->a;

	unit_progress_dirty(u);
	if (u->queued || a->shutting_down || u->task)
		return;
	if (u->state != UNIT_IDLE && !(u->state == UNIT_ERROR && unit_task_due(u)))
		return;
	u->queued = true;
	u->q_next = NULL;
	if (a->q_tail)
		a->q_tail->q_next = u;
	else
		a->q_head = u;
	a->q_tail = u;
	schedule_pump(a);
}

static void queue_remove(struct unit *u)
{
	struct agent *a = u->a;
	struct unit **pp = &a->q_head, *prev = NULL;

	while (*pp && *pp != u) {
		prev = *pp;
		pp = &(*pp)->q_next;
	}
	if (*pp) {
		*pp = u->q_next;
		if (a->q_tail == u)
			a->q_tail = prev;
	}
	u->queued = false;
}

/* ---- deciding ---- */

void unit_goal_of(struct unit *u, struct uniter_goal *g)
{
	g->alive = u->alive;
	/* Juju's CharmModifiedVersion when the controller sends it: a new resource revision runs
	 * upgrade-charm too. */
	g->charm_rev = u->app->charm_modified > u->app->charm_rev ? (int)u->app->charm_modified : u->app->charm_rev;
	g->config_hash = u->app->config_hash;
	g->leader = !strcmp(u->app->leader, u->name);
	g->leader_gen = u->app->leader_gen;
}

static void report_dead(struct unit *u)
{
	struct proto_msg m;
	struct errbuf eb;
	struct batch b;

	/* A pod goes first, so a unit gone from the model has left nothing behind on its
	 * machine: its GONE state kicks the unit, which comes back here. */
	if (u->pod && u->pod_state != UNITPOD_GONE) {
		u->a->io.pod_remove(u->a->io.data, u->pod);
		return;
	}
	ulog(u, "INFO", "unit is dead");
	batch_init(&b, u);
	proto_msg_init(&m, PROTO_UNIT_DEAD);
	m.u.unit_dead.unit = u->name;
	u->dead_seq = batch_add(&b, &m);
	if (batch_commit(&b, NULL, &eb) < 0) {
		ulog(u, "ERROR", "cannot record the unit's death: %s", eb.msg);
		batch_done(&b);
		return;
	}
	batch_done(&b);
	unit_set_state(u, UNIT_DEAD);
	/* The unit's workloads and directory go before the controller hears of the death (the
	 * message only leaves when the loop turns), so a unit gone from the model has left
	 * nothing behind on its machine. */
	unit_containers_stop(u, true);
	u->a->io.remove_tree(u->a->io.data, u->dir);
}

/* The resolver's answer for u now (relations included). */
void unit_decide(struct unit *u, const struct uniter_flags *f, struct uniter_next *n)
{
	struct uniter_goal g;

	unit_goal_of(u, &g);
	u->rg.goals.unit = u->name;
	u->rg.goals.unit_alive = u->alive;
	u->rg.goals.app_alive = !u->app->dying;
	uniter_decide(&u->j, &u->rs, &g, &u->rg.goals, f, n);
}

/* Decides and starts the next step of u. */
static void unit_step(struct unit *u)
{
	struct agent *a = u->a;
	struct uniter_flags f = { .update_status_due = u->update_status_due,
				  .lease_valid = agent_lease_ok(a) };
	struct uniter_goal g;
	struct uniter_next n;

	if (!u->have_goal || !u->app || !u->app->have_goal || u->task)
		return;
	/* Actions run before the next hook, and also while the unit is in error (Juju). */
	if ((u->state == UNIT_IDLE || u->state == UNIT_ERROR) && unit_task_due(u)) {
		unit_task_start(u);
		return;
	}
	if (u->state != UNIT_IDLE)
		return;
	unit_goal_of(u, &g);
	if (g.alive)
		unit_containers_sync(u);
	/* A unit whose containers run as a pod runs its hooks in the pod's network namespace,
	 * once its images are there and the pod is up (as a Kubernetes pod's charm container
	 * starts with its workload containers). */
	if (g.alive && u->pod && u->pod_state != UNITPOD_UP) {
		unit_pod_wait_status(u);
		return;
	}
	unit_pod_wait_over(u);
	struct container_rt *due = unit_container_due(u);

	f.workload_hook = due ? due->hook : NULL;
	f.notice_hook = unit_notice_due(u);
	/* Losing the lease runs no hook (§7.1); the next lease runs leader-elected again. */
	if (!g.leader && u->j.leader) {
		struct uniter_journal j2;
		struct errbuf eb;
		struct batch b;

		uniter_journal_copy(&j2, &u->j);
		j2.leader = false;
		batch_init(&b, u);
		batch_journal(&b, &j2);
		if (batch_commit_journal(&b, &j2, NULL, &eb) < 0)
			ulog(u, "ERROR", "cannot record the loss of leadership: %s", eb.msg);
		batch_done(&b);
	}
	unit_decide(u, &f, &n);
	if (n.kind == UNITER_NEXT_DEAD) {
		report_dead(u);
		return;
	}
	if (n.kind != UNITER_NEXT_HOOK)
		return;
	if (!strcmp(n.hook, "update-status"))
		u->update_status_due = false;
	if ((!strcmp(n.hook, "install") || !strcmp(n.hook, "upgrade-charm")) &&
	    strcmp(u->charm_digest, u->app->digest)) {
		unit_prepare_files(u, n.hook);
		return;
	}
	unit_hook_start(u, n.hook, n.rel.kind != RELHOOK_NONE ? &n.rel : NULL);
}

void unit_pump(struct agent *a)
{
	while (a->running < a->max_parallel && a->q_head && !a->shutting_down) {
		struct unit *u = a->q_head;

		a->q_head = u->q_next;
		if (!a->q_head)
			a->q_tail = NULL;
		u->q_next = NULL;
		u->queued = false;
		u->t_pop = a->io.mono_ns(a->io.data);
		unit_step(u);
		unit_progress_dirty(u);
	}
}

/* ---- controller messages ---- */

static void finish_commit(void *arg);

static void on_commit_retry(void *arg)
{
	finish_commit(arg);
}

/* The commit was acknowledged: the journal moves on, in memory and in the store together. */
static void finish_commit(void *arg)
{
	struct unit *u = arg;
	struct agent *a = u->a;
	struct uniter_journal j2;
	struct store_unit_row row;
	struct errbuf eb;
	struct container_rt *rc;
	bool was_update_status;

	if (u->state != UNIT_COMMITTING)
		return;
	struct relstate rs2;
	int64_t task, task_done;

	uniter_journal_init(&j2);
	if (uniter_journal_from_json(u->commit_journal, &j2, &eb) < 0 ||
	    unit_journal_extras(u->commit_journal, &rs2, &task, &task_done, &eb) < 0) {
		ulog(u, "ERROR", "internal error: %s", eb.msg);
		uniter_journal_done(&j2);
		return;
	}
	char hook[UNITER_HOOK_MAX];
	bool was_error = u->retries > 0;
	struct batch b;

	snprintf(hook, sizeof(hook), "%s", u->j.hook);
	was_update_status = !strcmp(hook, "update-status");
	/* One transaction: the journal moves on, the acknowledged rows go, the agent status
	 * returns to idle. */
	batch_init(&b, u);
	if (!was_update_status || was_error)
		batch_status(&b, "agent", "idle", "", NULL, false);
	agent_unit_row(u, &row);
	row.journal = u->commit_journal;
	if (batch_commit_ack(&b, &row, u->commit_seq, &eb) < 0) {
		batch_done(&b);
		ulog(u, "ERROR", "cannot record the acknowledged commit of \"%s\": %s (trying again)",
		     u->j.hook, eb.msg);
		relstate_done(&rs2);
		uniter_journal_done(&j2);
		a->io.timer_arm(a->io.data, u->commit_timer, AGENT_COMMIT_RETRY_MS);
		return;
	}
	batch_done(&b);
	if (u->j.hook_rel.kind != RELHOOK_NONE)
		unit_rel_forget(u, &u->j.hook_rel);
	/* A notice hook: its container's watch goes on past the notice. */
	const struct uniter_notice *hn = uniter_hook_notice(&u->j);
	struct uniter_notice done_notice;
	bool notice_done = hn != NULL;

	if (hn)
		done_notice = *hn;
	uniter_journal_move(&u->j, &j2);
	relstate_done(&u->rs);
	u->rs = rs2;
	json_decref(u->commit_journal);
	u->commit_journal = NULL;
	rc = unit_container_for_hook(u, hook);
	if (rc && u->ready_boot[0])
		snprintf(rc->seen, sizeof(rc->seen), "%s", u->ready_boot);
	/* A refresh replaces the workload containers, as a new pod would: new boot ids, so
	 * pebble-ready follows upgrade-charm -> config-changed. */
	if (!strcmp(hook, "upgrade-charm"))
		for (size_t i = 0; i < u->n_containers; i++) {
			struct container_rt *c = &u->containers[i];

			if (c->in_pod && u->pod)
				a->io.pod_restart(a->io.data, u->pod, c->name);
			else if (c->w)
				a->io.workload_restart(a->io.data, c->w);
		}
	u->retries = 0;
	ulog(u, "INFO", "committed \"%s\" hook", hook);
	unit_set_state(u, UNIT_IDLE);
	unit_arm_update_status(u);
	if (notice_done)
		for (size_t i = 0; i < u->n_containers; i++)
			if (u->containers[i].nw && !strcmp(u->containers[i].name, done_notice.container))
				notice_watch_committed(u->containers[i].nw, &done_notice);
	unit_kick(u);
}

void unit_on_ack(struct unit *u, int64_t seq)
{
	if (u->state == UNIT_COMMITTING && seq >= u->commit_seq) {
		finish_commit(u);
	} else if (u->state == UNIT_DEAD && seq >= u->dead_seq) {
		ulog(u, "INFO", "unit removed");
		unit_free(u, true);
	}
}

void unit_on_nack(struct unit *u, int64_t seq, const char *error)
{
	if (u->state == UNIT_COMMITTING && seq == u->commit_seq) {
		ulog(u, "ERROR", "the controller refused the commit of hook \"%s\": %s", u->j.hook, error);
		json_decref(u->commit_journal);
		u->commit_journal = NULL;
		unit_enter_error(u, NULL, NULL);
		return;
	}
	ulog(u, "WARNING", "the controller refused message %lld: %s", (long long)seq, error);
}

/* `resolved`: acts once per resolve generation, only in error. */
static void apply_resolve(struct unit *u)
{
	struct agent *a = u->a;
	struct store_unit_row row;
	struct errbuf eb;
	bool skip;

	if (u->resolve_gen <= u->resolved_gen)
		return;
	skip = !strcmp(u->resolve_mode, "no-hooks");
	agent_unit_row(u, &row);
	row.resolved_gen = u->resolve_gen;
	if (u->state == UNIT_ERROR) {
		struct batch b;

		batch_init(&b, u);
		batch_status(&b, "agent", "idle", "", NULL, false);
		if (batch_commit(&b, &row, &eb) < 0) {
			ulog(u, "ERROR", "cannot record `resolved`: %s", eb.msg);
			batch_done(&b);
			return;
		}
		batch_done(&b);
		u->resolved_gen = u->resolve_gen;
		a->io.timer_disarm(a->io.data, u->retry_timer);
		u->retries = 0;
		if (skip) {
			/* `resolved --no-retry`: commit the failed hook as if it had succeeded; its
			 * follow-ups still run (§10). */
			ulog(u, "INFO", "hook \"%s\" resolved without retry", u->j.hook);
			unit_begin_commit(u, false, NULL);
		} else {
			ulog(u, "INFO", "hook \"%s\" resolved: running it again", u->j.hook);
			unit_set_state(u, UNIT_IDLE);
		}
		return;
	}
	/* Not in error (any more): nothing to do, but remember it was seen. */
	struct store_txn t = { .unit = &row };

	if (a->io.store_apply(a->io.data, &t, &eb) == 0)
		u->resolved_gen = u->resolve_gen;
}

void unit_on_goal(struct unit *u)
{
	u->containers_dirty = true;
	apply_resolve(u);
	unit_kick(u);
}

void unit_on_model_config(struct unit *u)
{
	u->a->io.timer_disarm(u->a->io.data, u->us_timer);
	unit_arm_update_status(u);
}

/* ---- life ---- */

struct unit *unit_new(struct agent *a, const char *name, const struct store_unit_row *row)
{
	struct unit *u = xcalloc(1, sizeof(*u));
	const char *slash = strchr(name, '/');
	struct errbuf eb;

	u->a = a;
	u->name = xstrdup(name);
	u->dir = xasprintf("%s/agents/unit-%.*s-%s", a->home, (int)(slash - name), name, slash + 1);
	u->charm_dir = xasprintf("%s/charm", u->dir);
	u->state = UNIT_IDLE;
	uniter_journal_init(&u->j);
	u->next_seq = 1;
	u->charm_digest = xstrdup("");
	u->wl_status = json_pack("{s:s, s:s, s:{}, s:b}", "status", "maintenance", "message", "",
				 "data", "charm-set", 0);
	relstate_init(&u->rs);
	u->gone = json_array();
	if (row) {
		if (row->journal && (uniter_journal_from_json(row->journal, &u->j, &eb) < 0 ||
				     unit_journal_extras(row->journal, &u->rs, &u->task_id,
							 &u->task_done_id, &eb) < 0)) {
			agent_log(a, u, "ERROR", "juju.worker.uniter", "%s; starting afresh", eb.msg);
			uniter_journal_done(&u->j);
			relstate_done(&u->rs);
			relstate_init(&u->rs);
			u->task_id = 0;
		}
		u->next_seq = row->next_seq > 0 ? row->next_seq : 1;
		u->resolved_gen = row->resolved_gen;
		if (row->charm_digest && *row->charm_digest) {
			free(u->charm_digest);
			u->charm_digest = xstrdup(row->charm_digest);
			agent_digest_ref(a, u->charm_digest, +1);
		}
		if (json_is_object(row->wl_status)) {
			json_decref(u->wl_status);
			u->wl_status = json_deep_copy(row->wl_status);
		}
	}
	if (u->j.op == UNITER_OP_RUN_HOOK && u->j.step == UNITER_STEP_PENDING)
		agent_log(a, u, "INFO", "juju.worker.uniter",
			  "hook \"%s\" was interrupted; running it again", u->j.hook);
	u->containers_dirty = true;
	u->retry_timer = a->io.timer_new(a->io.data, on_retry, u);
	u->us_timer = a->io.timer_new(a->io.data, on_update_status, u);
	u->hook_timer = a->io.timer_new(a->io.data, on_hook_timeout, u);
	u->out_timer = a->io.timer_new(a->io.data, on_out_hold, u);
	u->commit_timer = a->io.timer_new(a->io.data, on_commit_retry, u);
	return u;
}

void unit_free(struct unit *u, bool destroy)
{
	struct agent *a;

	if (!u)
		return;
	a = u->a;
	if (u->queued)
		queue_remove(u);
	if (u->progress_dirty) {
		struct unit **pp = &a->p_head;

		while (*pp && *pp != u)
			pp = &(*pp)->p_next;
		if (*pp)
			*pp = u->p_next;
	}
	if (u->install) {
		a->io.charm_cancel(a->io.data, u->install);
		u->install = NULL;
	}
	if (u->run) {
		if (!destroy) {
			/* An orderly stop: the hook runs again on the next start, not failed. */
			struct uniter_journal j2;
			struct store_unit_row row;
			struct store_txn t;
			struct errbuf eb;
			json_t *jj;

			uniter_journal_copy(&j2, &u->j);
			uniter_requeue(&j2);
			jj = unit_journal_of(u, &j2);
			uniter_journal_done(&j2);
			agent_unit_row_with(u, &row, jj);
			memset(&t, 0, sizeof(t));
			t.unit = &row;
			if (a->io.store_apply(a->io.data, &t, &eb) < 0)
				agent_log(a, u, "ERROR", "juju.worker.uniter",
					  "cannot queue hook \"%s\" again: %s", u->j.hook, eb.msg);
			json_decref(jj);
		}
		a->io.hook_free(a->io.data, u->run);
		u->run = NULL;
		a->running--;
	}
	unit_task_free(u);
	unit_ctx_clear(u);
	unit_resources_free(u);
	unit_containers_stop(u, destroy);
	if (destroy && a->io.pod_forget_unit)
		a->io.pod_forget_unit(a->io.data, u->name);
	json_decref(u->wait_saved);
	u->wait_saved = NULL;
	if (destroy) {
		struct store_txn t;
		struct errbuf eb;

		memset(&t, 0, sizeof(t));
		t.delete_unit = u->name;
		if (a->io.store_apply(a->io.data, &t, &eb) < 0)
			agent_log(a, NULL, "ERROR", "juju.worker.machine", "cannot forget unit %s: %s",
				  u->name, eb.msg);
		a->io.remove_tree(a->io.data, u->dir);
	}
	if (*u->charm_digest)
		agent_digest_ref(a, u->charm_digest, -1);
	hmap_del(&a->units, u->name);
	if (u->app) {
		u->app->n_units--;
		if (u->app->n_units == 0) {
			struct app *app = u->app;

			hmap_del(&a->apps, app->name);
			if (app->have_goal)
				agent_digest_ref(a, app->digest, -1);
			if (destroy)
				a->io.store_put_goal(a->io.data, "app", app->name, NULL);
			agent_app_free(app);
		}
	}
	a->io.timer_free(a->io.data, u->retry_timer);
	a->io.timer_free(a->io.data, u->us_timer);
	a->io.timer_free(a->io.data, u->hook_timer);
	a->io.timer_free(a->io.data, u->out_timer);
	a->io.timer_free(a->io.data, u->commit_timer);
	for (struct outmsg *m = u->out_head, *n; m; m = n) {
		n = m->next;
		json_decref(m->msg);
		free(m);
	}
	json_decref(u->state_goal);
	json_decref(u->ports_goal);
	json_decref(u->wl_status);
	json_decref(u->commit_journal);
	json_decref(u->row_journal);
	uniter_journal_done(&u->j);
	relstate_done(&u->rs);
	relgoal_done(&u->rg);
	json_decref(u->gone);
	json_decref(u->tasks_goal);
	free(u->charm_digest);
	free(u->principal);
	free(u->name);
	free(u->dir);
	free(u->charm_dir);
	free(u);
	schedule_pump(a);
}
