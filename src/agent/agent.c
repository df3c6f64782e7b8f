/* agent.c - the unit agents' runtime: run queue, hook runs, retries, timers; see agent.h.
 *
 * Each unit has a struct uniter.  A kick puts the uniter on the run queue (once); the pump
 * takes uniters off the queue while fewer than max_parallel hooks run, asks the resolver
 * (uniter.c) for the next hook *at that moment* - so config changes that arrived while the
 * unit waited coalesce into one config-changed - and starts it.  When a hook ends the unit is
 * kicked again, so a unit runs its hooks back to back until the resolver has nothing left. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/hookrun.h"
#include "agent/toolsrv.h"
#include "agent/uniter.h"
#include "agent/workload.h"
#include "charm/charm.h"
#include "lib/buf.h"
#include "lib/fsutil.h"

#define AGENT_CONTEXT_ID_MAX 160
#define AGENT_PEBBLE_READY_RETRY_MS 5000 /* a failed pebble-ready is queued again (§10) */

/* One workload container of a unit and the boot ids the agent has seen from it. */
struct container_rt {
	struct uniter *u;
	char *name;
	struct workload *w;
	char seen[WORKLOAD_BOOT_ID_MAX];    /* boot id whose pebble-ready succeeded */
	char pending[WORKLOAD_BOOT_ID_MAX]; /* newest boot id reported */
	char hook[UNITER_HOOK_MAX];         /* "<name>-pebble-ready" */
	struct loop_timer *retry;
};

struct uniter {
	struct agent *a;
	char *unit;
	char *app;
	char *dir;        /* home/agents/unit-<app>-<n> */
	char *charm_dir;  /* dir/charm */
	struct uniter_journal j;
	/* Hook error state (§10): the failed hook stays pending until retried or resolved. */
	bool in_error;
	unsigned retries;
	int64_t next_retry_ns;
	struct loop_timer *retry_timer;
	bool update_status_due;
	struct loop_timer *us_timer;
	struct loop_timer *hook_timer;   /* the running hook's timeout */
	bool timed_out;
	/* Run queue and the running hook. */
	bool queued;
	struct uniter *q_next;
	struct hookrun *run;
	bool running;
	struct hook_ctx ctx;
	char context_id[AGENT_CONTEXT_ID_MAX];
	char hook[UNITER_HOOK_MAX];
	uint64_t run_start_ns;
	uint64_t t_pop, t_exit, files_ns; /* monotonic ns, for agent_stats */
	struct container_rt *containers;
	size_t n_containers;
	char ready_boot[WORKLOAD_BOOT_ID_MAX]; /* boot id a running pebble-ready answers */
	struct container_rt *ready_container;
	struct uniter *next_all, *prev_all;
};

struct agent {
	struct loop *l;
	char *home;
	char *tools_dir;
	char *model_name;
	char *model_uuid;
	char *socket_path;
	char *scree_path;
	bool containers_mount_ok;
	struct agent_backend be;
	struct agent_model_config mc;
	struct toolsrv *tools;
	unsigned max_parallel;
	unsigned running;
	struct uniter *q_head, *q_tail;
	struct uniter *all;
	bool pump_scheduled;
	bool shutting_down;
	struct agent_stats stats;
};

static void stat_add(uint64_t *sum, uint64_t *max, uint64_t v)
{
	*sum += v;
	if (max && v > *max)
		*max = v;
}

void agent_get_stats(struct agent *a, struct agent_stats *ret)
{
	*ret = a->stats;
}

static void agent_pump(void *data);

/* Unpredictable bits for context ids (getrandom(2): no file to open on every hook). */
static uint64_t rand_u64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v) || !v)
		v = loop_wall_ns() ^ ((uint64_t)getpid() << 32);
	return v;
}

/* A cheap PRNG for jitter, seeded once from the kernel. */
static uint64_t jitter_state;

static double rand_unit(void)
{
	if (!jitter_state)
		jitter_state = rand_u64() | 1;
	jitter_state ^= jitter_state << 13;
	jitter_state ^= jitter_state >> 7;
	jitter_state ^= jitter_state << 17;
	return (double)(jitter_state >> 11) / (double)(1ull << 53);
}

/* ---- hook context ops (called by tools during a hook) ---- */

static int ctx_status_set(struct hook_ctx *ctx, bool app, const char *status, const char *message,
			  json_t *data, struct errbuf *eb)
{
	struct uniter *u = ctx->agent;

	return u->a->be.set_status(u->a->be.data, u->unit, app ? AGENT_STATUS_APP : AGENT_STATUS_WORKLOAD,
				   status, message, data, true, eb);
}

static int ctx_status_get(struct hook_ctx *ctx, bool app, json_t **ret, struct errbuf *eb)
{
	struct uniter *u = ctx->agent;

	return u->a->be.get_status(u->a->be.data, u->unit, app, ret, eb);
}

static void ctx_log(struct hook_ctx *ctx, const char *level, const char *message)
{
	struct uniter *u = ctx->agent;
	char module[UNITER_HOOK_MAX + 128];

	snprintf(module, sizeof(module), "unit.%s.juju-log", u->unit);
	u->a->be.log(u->a->be.data, u->unit, level, module, message);
}

static bool ctx_is_leader(struct hook_ctx *ctx)
{
	struct uniter *u = ctx->agent;
	struct agent_goal g;

	if (u->a->be.goal(u->a->be.data, u->unit, &g) < 0)
		return false;
	return g.leader;
}

static const struct hook_ctx_ops ctx_ops = {
	.status_set = ctx_status_set,
	.status_get = ctx_status_get,
	.log = ctx_log,
	.is_leader = ctx_is_leader,
};

static struct hook_ctx *lookup_ctx(void *data, const char *id)
{
	struct agent *a = data;

	for (struct uniter *u = a->all; u; u = u->next_all)
		if (u->running && u->context_id[0] && !strcmp(u->context_id, id))
			return &u->ctx;
	return NULL;
}

static void ctx_clear(struct uniter *u)
{
	json_decref(u->ctx.config);
	json_decref(u->ctx.state);
	json_decref(u->ctx.ports);
	json_decref(u->ctx.app_version);
	memset(&u->ctx, 0, sizeof(u->ctx));
	u->context_id[0] = '\0';
}

/* ---- logging helpers ---- */

static void ulog(struct uniter *u, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ulog(struct uniter *u, const char *level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	u->a->be.log(u->a->be.data, u->unit, level, "juju.worker.uniter", b.data);
	buf_done(&b);
}

static void set_status(struct uniter *u, enum agent_status_kind kind, const char *status,
		       const char *message)
{
	struct errbuf eb;

	u->a->be.set_status(u->a->be.data, u->unit, kind, status, message, NULL, false, &eb);
}

static void save_journal(struct uniter *u)
{
	json_t *j = uniter_journal_to_json(&u->j);

	u->a->be.save_journal(u->a->be.data, u->unit, j);
	json_decref(j);
}

/* ---- run queue ---- */

static void schedule_pump(struct agent *a)
{
	if (a->pump_scheduled || a->shutting_down)
		return;
	a->pump_scheduled = true;
	loop_defer(a->l, agent_pump, a);
}

void agent_kick(struct agent *a, struct uniter *u)
{
	if (!u || u->queued || u->running)
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


static struct uniter *queue_pop(struct agent *a)
{
	struct uniter *u = a->q_head;

	if (!u)
		return NULL;
	a->q_head = u->q_next;
	if (!a->q_head)
		a->q_tail = NULL;
	u->q_next = NULL;
	u->queued = false;
	return u;
}

static void queue_remove(struct agent *a, struct uniter *u)
{
	struct uniter **pp = &a->q_head, *prev = NULL;

	while (*pp && *pp != u) {
		prev = *pp;
		pp = &(*pp)->q_next;
	}
	if (!*pp)
		return;
	*pp = u->q_next;
	if (a->q_tail == u)
		a->q_tail = prev;
	u->queued = false;
}

/* ---- timers ---- */

static void on_update_status_timer(struct loop_timer *t, void *data)
{
	struct uniter *u = data;

	(void)t;
	u->update_status_due = true;
	agent_kick(u->a, u);
}

static void arm_update_status(struct uniter *u)
{
	int64_t w = u->a->mc.update_status_ns;

	if (!u->j.started || u->j.stopped || loop_timer_armed(u->us_timer) || w <= 0)
		return;
	/* Each wait is drawn uniformly from [0.8, 1.2] x interval (charm-runtime.md §8). */
	double ms = (double)w / 1e6 * (0.8 + 0.4 * rand_unit());
	loop_timer_arm_in(u->us_timer, (uint64_t)ms);
}

static void on_retry_timer(struct loop_timer *t, void *data)
{
	struct uniter *u = data;

	(void)t;
	if (!u->in_error)
		return;
	ulog(u, "INFO", "retrying hook \"%s\"", u->j.hook);
	u->in_error = false;
	agent_kick(u->a, u);
}

static void arm_retry(struct uniter *u)
{
	struct agent *a = u->a;
	int64_t d;

	if (!a->mc.retry_hooks)
		return;
	/* First retry after exactly the minimum, then doubling with +-3 % jitter, capped
	 * (charm-runtime.md §10). */
	if (u->retries == 0) {
		d = a->mc.retry_min_ns;
	} else {
		double x = (double)u->next_retry_ns * 2.0 * (0.97 + 0.06 * rand_unit());

		d = x > (double)a->mc.retry_max_ns ? a->mc.retry_max_ns : (int64_t)x;
	}
	u->next_retry_ns = d;
	u->retries++;
	loop_timer_arm_in(u->retry_timer, (uint64_t)(d / 1000000));
}

/* ---- hook runs ---- */

static void on_hook_timeout(struct loop_timer *t, void *data)
{
	struct uniter *u = data;

	(void)t;
	if (!u->running || !u->run)
		return;
	ulog(u, "ERROR", "hook \"%s\" timed out; killing it", u->hook);
	u->timed_out = true;
	hookrun_kill(u->run, SIGKILL);
}

static void finish_hook(struct uniter *u, int code, bool signaled);

/* ---- workload containers ---- */

static void on_workload_ready(void *data, struct workload *w, const char *boot_id)
{
	struct container_rt *c = data;

	(void)w;
	if (strcmp(boot_id, c->seen) && strcmp(boot_id, c->pending)) {
		ulog(c->u, "DEBUG", "container %s: pebble boot id %s", c->name, boot_id);
		snprintf(c->pending, sizeof(c->pending), "%s", boot_id);
	}
	/* Even a known boot id changes what "idle" means (the container settled). */
	agent_kick(c->u->a, c->u);
}

static void on_workload_log(void *data, struct workload *w, const char *level, const char *msg)
{
	struct container_rt *c = data;

	(void)w;
	ulog(c->u, level, "%s", msg);
}

static void on_pebble_ready_retry(struct loop_timer *t, void *data)
{
	struct container_rt *c = data;

	(void)t;
	agent_kick(c->u->a, c->u);
}

/* Starts (or adopts) a scree for every container the charm declares. */
static void start_containers(struct uniter *u, const struct charm *ch)
{
	struct agent *a = u->a;

	if (!ch || !ch->n_containers || u->n_containers || !a->scree_path)
		return;
	if (!a->containers_mount_ok) {
		/* The mount point the hooks' namespaces bind over. */
		a->containers_mount_ok = fs_mkdir_p(HOOKRUN_CONTAINERS_MOUNT, 0755) == 0;
		if (!a->containers_mount_ok)
			ulog(u, "WARNING", "cannot create %s: charms will not reach their containers",
			     HOOKRUN_CONTAINERS_MOUNT);
	}
	u->containers = xcalloc(ch->n_containers, sizeof(*u->containers));
	u->n_containers = ch->n_containers;
	for (size_t i = 0; i < ch->n_containers; i++) {
		struct container_rt *c = &u->containers[i];
		char *dir = xasprintf("%s/containers/%s", u->dir, ch->containers[i]);
		struct workload_opts o = {
			.name = ch->containers[i], .dir = dir, .scree_path = a->scree_path,
			.ready = on_workload_ready, .log = on_workload_log, .data = c,
		};

		c->u = u;
		c->name = xstrdup(ch->containers[i]);
		snprintf(c->hook, sizeof(c->hook), "%s-pebble-ready", c->name);
		c->retry = loop_timer_new(a->l, on_pebble_ready_retry, c);
		if (workload_start(a->l, &o, &c->w) < 0)
			ulog(u, "ERROR", "container %s: cannot start pebble", c->name);
		free(dir);
	}
}

static void stop_containers(struct uniter *u, bool destroy)
{
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (destroy)
			workload_destroy(c->w);
		else
			workload_detach(c->w);
		loop_timer_free(c->retry);
		free(c->name);
	}
	free(u->containers);
	u->containers = NULL;
	u->n_containers = 0;
	u->ready_container = NULL;
}

/* The pebble-ready hook due for a new boot id, or NULL. */
static struct container_rt *container_due(struct uniter *u)
{
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (c->pending[0] && strcmp(c->pending, c->seen) && !loop_timer_armed(c->retry))
			return c;
	}
	return NULL;
}

static struct container_rt *container_for_hook(struct uniter *u, const char *hook)
{
	for (size_t i = 0; i < u->n_containers; i++)
		if (!strcmp(u->containers[i].hook, hook))
			return &u->containers[i];
	return NULL;
}

static void on_hook_output(void *data, bool is_stderr, const char *line)
{
	struct uniter *u = data;
	char module[UNITER_HOOK_MAX + 128];

	snprintf(module, sizeof(module), "unit.%s.%s", u->unit, u->hook);
	u->a->be.log(u->a->be.data, u->unit, is_stderr ? "WARNING" : "DEBUG", module, line);
}

static void on_hook_done(void *data, int code, bool signaled)
{
	struct uniter *u = data;

	u->t_exit = loop_now_ns();
	finish_hook(u, code, signaled);
}

static void start_hook(struct uniter *u, const char *hook, const struct agent_goal *g)
{
	struct agent *a = u->a;
	struct errbuf eb;
	int r;

	snprintf(u->hook, sizeof(u->hook), "%s", hook);
	u->files_ns = 0;
	/* New charm files go in place before install and upgrade-charm run. */
	if (!strcmp(hook, "install") || !strcmp(hook, "upgrade-charm")) {
		const char *old = NULL;
		uint64_t t = loop_now_ns();

		if (!strcmp(hook, "upgrade-charm") && a->be.charm_dir)
			old = a->be.charm_dir(a->be.data, u->app, u->j.charm_rev);
		if (charm_install_files(g->charm_dir, u->charm_dir, old, &eb) < 0)
			ulog(u, "ERROR", "cannot install charm files: %s", eb.msg);
		u->files_ns = loop_now_ns() - t;
	}
	uniter_prepare(&u->j, hook, g);
	save_journal(u);

	/* Statuses the agent sets around hooks (charm-runtime.md §7.3). */
	if (!strcmp(hook, "install") && !a->be.charm_set_status(a->be.data, u->unit))
		set_status(u, AGENT_STATUS_WORKLOAD, "maintenance", "installing charm software");
	else if (!strcmp(hook, "stop"))
		set_status(u, AGENT_STATUS_WORKLOAD, "maintenance", "stopping charm software");
	else if (!strcmp(hook, "remove"))
		set_status(u, AGENT_STATUS_WORKLOAD, "maintenance", "cleaning up prior to charm deletion");
	if (strcmp(hook, "update-status") != 0) {
		char msg[UNITER_HOOK_MAX + 32];

		snprintf(msg, sizeof(msg), "running %s hook", hook);
		set_status(u, AGENT_STATUS_AGENT, "executing", msg);
	}

	memset(&u->ctx, 0, sizeof(u->ctx));
	u->ctx.ops = &ctx_ops;
	u->ctx.agent = u;
	u->ctx.unit = u->unit;
	u->ctx.app = u->app;
	u->ctx.hook = u->hook;
	u->ctx.model_uuid = a->model_uuid;
	u->ctx.config = json_deep_copy(g->config ? g->config : json_object());
	u->ctx.state = g->state ? json_deep_copy(g->state) : json_object();
	u->ctx.ports = g->ports ? json_deep_copy(g->ports) : json_array();
	u->ctx.app_version = NULL;
	snprintf(u->context_id, sizeof(u->context_id), "%s-%s-%llu", u->unit, hook,
		 (unsigned long long)(rand_u64() >> 1));
	u->running = true;
	u->run_start_ns = loop_wall_ns();
	a->running++;

	struct container_rt *rc = container_for_hook(u, hook);
	char *cdir = u->n_containers && a->containers_mount_ok ? xasprintf("%s/containers", u->dir) : NULL;

	u->ready_container = rc;
	if (rc)
		snprintf(u->ready_boot, sizeof(u->ready_boot), "%s", rc->pending);
	struct hookrun_env env = {
		.unit = u->unit, .hook = hook, .charm_dir = u->charm_dir,
		.context_id = u->context_id, .socket_path = a->socket_path,
		.tools_dir = a->tools_dir, .model_name = a->model_name,
		.model_uuid = a->model_uuid, .machine = g->machine,
		.workload = rc ? rc->name : NULL, .containers_dir = cdir,
	};
	struct hookrun_cbs cbs = { .output = on_hook_output, .done = on_hook_done, .data = u };

	uint64_t t1 = loop_now_ns();

	u->timed_out = false;
	r = hookrun_start(a->l, &env, &cbs, &u->run, &eb);
	free(cdir);
	if (r == 0) {
		uint64_t t2 = loop_now_ns();

		if (a->mc.hook_timeout_ns > 0)
			loop_timer_arm_in(u->hook_timer, (uint64_t)(a->mc.hook_timeout_ns / 1000000));
		a->stats.hooks++;
		stat_add(&a->stats.prep_ns, &a->stats.prep_max_ns, t1 - u->t_pop - u->files_ns);
		stat_add(&a->stats.spawn_ns, &a->stats.spawn_max_ns, t2 - t1);
		stat_add(&a->stats.files_ns, NULL, u->files_ns);
	}
	if (r == 1) {
		ulog(u, "INFO", "skipped \"%s\" hook (missing)", hook);
		finish_hook(u, 0, false);
	} else if (r < 0) {
		ulog(u, "ERROR", "cannot run \"%s\" hook: %s", hook, eb.msg);
		finish_hook(u, 1, false);
	} else {
		ulog(u, "DEBUG", "running \"%s\" hook", hook);
	}
}

static void finish_hook(struct uniter *u, int code, bool signaled)
{
	struct agent *a = u->a;
	uint64_t dur = loop_wall_ns() - u->run_start_ns;

	if (u->run) {
		hookrun_free(u->run);
		u->run = NULL;
	}
	loop_timer_disarm(u->hook_timer);
	u->running = false;
	a->running--;
	if (a->be.hook_ran)
		a->be.hook_ran(a->be.data, u->unit, u->hook, u->run_start_ns, dur, code);

	struct container_rt *rc = u->ready_container;

	/* Hooks killed by an orderly shutdown never get here: agent_free() re-queues them. */
	u->ready_container = NULL;
	if (rc && code != 0) {
		/* A failed pebble-ready is not an error: the boot id stays unrecorded and the
		 * event comes again a little later (charm-runtime.md §10). */
		ulog(u, "WARNING", "hook \"%s\" failed (exit %d); it will run again", u->hook, code);
		uniter_commit(&u->j);
		save_journal(u);
		loop_timer_arm_in(rc->retry, AGENT_PEBBLE_READY_RETRY_MS);
		set_status(u, AGENT_STATUS_AGENT, "idle", "");
	} else if (code == 0) {
		bool was_update_status = !strcmp(u->hook, "update-status");

		uniter_commit(&u->j);
		json_t *jj = uniter_journal_to_json(&u->j);
		a->be.commit_hook(a->be.data, u->unit, jj, &u->ctx);
		json_decref(jj);
		if (!strcmp(u->hook, "start") && !a->be.charm_set_status(a->be.data, u->unit))
			set_status(u, AGENT_STATUS_WORKLOAD, "unknown", "");
		if (!strcmp(u->hook, "remove"))
			set_status(u, AGENT_STATUS_WORKLOAD, "terminated", "");
		if (rc)
			snprintf(rc->seen, sizeof(rc->seen), "%s", u->ready_boot);
		/* A refresh replaces the workload containers, as a new pod would: new boot
		 * ids, so pebble-ready follows upgrade-charm -> config-changed. */
		if (!strcmp(u->hook, "upgrade-charm"))
			for (size_t i = 0; i < u->n_containers; i++)
				workload_restart(u->containers[i].w);
		if (!was_update_status || u->in_error)
			set_status(u, AGENT_STATUS_AGENT, "idle", "");
		u->in_error = false;
		u->retries = 0;
		if (u->t_exit) {
			stat_add(&a->stats.commit_ns, &a->stats.commit_max_ns, loop_now_ns() - u->t_exit);
			u->t_exit = 0;
		}
		ulog(u, "INFO", "committed \"%s\" hook", u->hook);
	} else {
		char msg[UNITER_HOOK_MAX + 32];

		snprintf(msg, sizeof(msg), "hook failed: \"%s\"", u->hook);
		if (u->timed_out)
			ulog(u, "ERROR", "hook \"%s\" failed: timed out", u->hook);
		else if (signaled)
			ulog(u, "ERROR", "hook \"%s\" failed: killed by signal %d", u->hook, code - 128);
		else
			ulog(u, "ERROR", "hook \"%s\" failed: exit status %d", u->hook, code);
		u->in_error = true;
		/* Only the agent status records the error; `status` shows it in the workload
		 * column, and the charm's own workload status returns once the hook succeeds. */
		set_status(u, AGENT_STATUS_AGENT, "error", msg);
		arm_retry(u);
	}
	ctx_clear(u);
	arm_update_status(u);
	if (a->be.changed)
		a->be.changed(a->be.data, u->unit);
	if (!a->shutting_down)
		agent_kick(a, u);
	schedule_pump(a);
}

static void uniter_free(struct uniter *u);

/* Decides and starts the next hook of u; returns true when a hook started. */
static bool uniter_step(struct agent *a, struct uniter *u)
{
	struct uniter_flags f = { .in_error = u->in_error, .update_status_due = u->update_status_due };
	struct agent_goal g;
	const char *hook;
	bool dead = false;

	if (a->be.goal(a->be.data, u->unit, &g) < 0)
		return false;
	if (g.alive)
		start_containers(u, g.charm);
	struct container_rt *due = container_due(u);

	f.workload_hook = due ? due->hook : NULL;
	/* Losing the lease runs no hook (§7.1); the next lease runs leader-elected again. */
	if (!g.leader && u->j.leader) {
		u->j.leader = false;
		save_journal(u);
	}
	hook = uniter_next_hook(&u->j, &g, &f, &dead);
	if (dead) {
		char *name = xstrdup(u->unit);

		ulog(u, "INFO", "unit is dead");
		uniter_free(u);
		a->be.unit_dead(a->be.data, name);
		free(name);
		return false;
	}
	if (!hook) {
		if (a->be.changed)
			a->be.changed(a->be.data, u->unit);
		return false;
	}
	if (!strcmp(hook, "update-status"))
		u->update_status_due = false;
	start_hook(u, hook, &g);
	return true;
}

static void agent_pump(void *data)
{
	struct agent *a = data;

	a->pump_scheduled = false;
	while (a->running < a->max_parallel && a->q_head && !a->shutting_down) {
		struct uniter *u = queue_pop(a);

		/* A kick that arrived while the unit was being stepped (e.g. a container
		 * reporting ready from inside that step) finds it running now: its hook's end
		 * kicks it again.  Exactly one hook runs at a time per unit. */
		if (u->running)
			continue;
		u->t_pop = loop_now_ns();
		uniter_step(a, u);
	}
}

/* ---- public API ---- */

int agent_new(struct loop *l, const struct agent_config *cfg, const struct agent_backend *be,
	      struct agent **ret, struct errbuf *eb)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	a->l = l;
	a->home = xstrdup(cfg->home);
	a->tools_dir = xstrdup(cfg->tools_dir);
	a->model_name = xstrdup(cfg->model_name);
	a->model_uuid = xstrdup(cfg->model_uuid);
	a->socket_path = xasprintf("%s/agent.sock", cfg->home);
	a->scree_path = cfg->scree_path ? xstrdup(cfg->scree_path) : NULL;
	a->be = *be;
	a->max_parallel = cfg->max_parallel ? cfg->max_parallel : (unsigned)(ncpu > 0 ? 2 * ncpu : 4);
	a->mc.update_status_ns = 300LL * 1000000000LL;
	a->mc.retry_hooks = true;
	a->mc.retry_min_ns = 5LL * 1000000000LL;
	a->mc.retry_max_ns = 300LL * 1000000000LL;
	a->mc.hook_timeout_ns = 3600LL * 1000000000LL;
	r = toolsrv_new(l, a->socket_path, lookup_ctx, a, &a->tools, eb);
	if (r < 0) {
		agent_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

void agent_set_model_config(struct agent *a, const struct agent_model_config *mc)
{
	bool interval_changed = mc->update_status_ns != a->mc.update_status_ns;

	a->mc = *mc;
	if (!interval_changed)
		return;
	for (struct uniter *u = a->all; u; u = u->next_all) {
		loop_timer_disarm(u->us_timer);
		arm_update_status(u);
	}
}

static void uniter_free_ex(struct uniter *u, bool dead)
{
	struct agent *a;

	if (!u)
		return;
	a = u->a;
	stop_containers(u, dead);
	if (u->queued)
		queue_remove(a, u);
	if (u->run) {
		hookrun_free(u->run);
		u->run = NULL;
		a->running--;
	}
	ctx_clear(u);
	loop_timer_free(u->retry_timer);
	loop_timer_free(u->us_timer);
	loop_timer_free(u->hook_timer);
	if (u->prev_all)
		u->prev_all->next_all = u->next_all;
	else
		a->all = u->next_all;
	if (u->next_all)
		u->next_all->prev_all = u->prev_all;
	free(u->unit);
	free(u->app);
	free(u->dir);
	free(u->charm_dir);
	free(u);
}

/* A dead unit's containers go with it; on shutdown they keep running for the next agent. */
static void uniter_free(struct uniter *u)
{
	uniter_free_ex(u, true);
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	a->shutting_down = true;
	/* Running hooks are killed and re-queued: they run again on the next start. */
	for (struct uniter *u = a->all; u; u = u->next_all) {
		if (u->running) {
			uniter_requeue(&u->j);
			save_journal(u);
		}
	}
	while (a->all)
		uniter_free_ex(a->all, false);
	toolsrv_free(a->tools);
	free(a->home);
	free(a->tools_dir);
	free(a->model_name);
	free(a->model_uuid);
	free(a->socket_path);
	free(a->scree_path);
	free(a);
}

struct uniter *agent_add_unit(struct agent *a, const char *unit, json_t *journal)
{
	struct uniter *u = xcalloc(1, sizeof(*u));
	const char *slash = strchr(unit, '/');
	struct errbuf eb;

	u->a = a;
	u->unit = xstrdup(unit);
	u->app = slash ? xstrndup(unit, (size_t)(slash - unit)) : xstrdup(unit);
	u->dir = xasprintf("%s/agents/unit-%s-%s", a->home, u->app, slash ? slash + 1 : "0");
	u->charm_dir = xasprintf("%s/charm", u->dir);
	fs_mkdir_p(u->dir, 0755);
	uniter_journal_init(&u->j);
	if (journal && uniter_journal_from_json(journal, &u->j, &eb) < 0) {
		ulog(u, "ERROR", "%s; starting afresh", eb.msg);
		uniter_journal_init(&u->j);
	}
	if (u->j.op == UNITER_OP_RUN_HOOK && u->j.step == UNITER_STEP_PENDING)
		ulog(u, "INFO", "hook \"%s\" was interrupted; running it again", u->j.hook);
	u->retry_timer = loop_timer_new(a->l, on_retry_timer, u);
	u->us_timer = loop_timer_new(a->l, on_update_status_timer, u);
	u->hook_timer = loop_timer_new(a->l, on_hook_timeout, u);
	u->next_all = a->all;
	if (a->all)
		a->all->prev_all = u;
	a->all = u;
	arm_update_status(u);
	agent_kick(a, u);
	return u;
}

bool agent_unit_idle(struct agent *a, struct uniter *u)
{
	struct uniter_flags f = { .in_error = u->in_error, .update_status_due = false };
	struct agent_goal g;
	bool dead = false;

	if (u->running || u->queued)
		return false;
	/* A container that is (re)starting, or whose new boot id still waits for its
	 * pebble-ready, is work in progress. */
	for (size_t i = 0; i < u->n_containers; i++) {
		struct container_rt *c = &u->containers[i];

		if (!c->w || !workload_settled(c->w) || (c->pending[0] && strcmp(c->pending, c->seen)))
			return false;
	}
	if (a->be.goal(a->be.data, u->unit, &g) < 0)
		return true;
	return uniter_next_hook(&u->j, &g, &f, &dead) == NULL && !dead;
}

bool agent_unit_in_error(struct uniter *u)
{
	return u->in_error;
}

int agent_resolve(struct agent *a, struct uniter *u, bool skip)
{
	if (!u->in_error)
		return -EINVAL;
	loop_timer_disarm(u->retry_timer);
	u->in_error = false;
	u->retries = 0;
	if (skip) {
		/* `resolved --no-retry`: commit the failed hook as if it had succeeded; its
		 * follow-ups still run (§10). */
		ulog(u, "INFO", "hook \"%s\" resolved without retry", u->j.hook);
		uniter_commit(&u->j);
		save_journal(u);
	}
	set_status(u, AGENT_STATUS_AGENT, "idle", "");
	agent_kick(a, u);
	return 0;
}

void agent_force_remove(struct agent *a, struct uniter *u)
{
	char *name = xstrdup(u->unit);

	ulog(u, "INFO", "removal forced; no further hooks run");
	uniter_free(u);
	a->be.unit_dead(a->be.data, name);
	free(name);
	schedule_pump(a);
}

