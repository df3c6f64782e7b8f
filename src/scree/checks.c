/* checks.c - the check manager; see checks.h. */
#include "checks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/strnum.h"

#define PERFORM_KIND "perform-check"
#define RECOVER_KIND "recover-check"

static const char *const state_names[CHECK_STATE_MAX] = {
	[CHECK_INACTIVE] = "inactive",
	[CHECK_PERFORMING] = "performing",
	[CHECK_RECOVERING] = "recovering",
};

static const char *const status_names[CHECK_STATUS_MAX] = {
	[CHECK_STATUS_UP] = "up",
	[CHECK_STATUS_DOWN] = "down",
	[CHECK_STATUS_INACTIVE] = "inactive",
};

const char *check_state_name(enum check_state s)
{
	return (unsigned)s < CHECK_STATE_MAX ? state_names[s] : "invalid";
}

const char *check_status_name(enum check_status s)
{
	return (unsigned)s < CHECK_STATUS_MAX ? status_names[s] : "inactive";
}

enum check_status check_status_of(const struct check *ck)
{
	if (ck->ck_state == CHECK_INACTIVE)
		return CHECK_STATUS_INACTIVE;
	return ck->ck_failures >= plan_check_threshold(ck->ck_config) ? CHECK_STATUS_DOWN : CHECK_STATUS_UP;
}

const char *check_kind_title(const struct plan_check *c)
{
	if (c->http)
		return "HTTP";
	if (c->tcp)
		return "TCP";
	if (c->exec)
		return "exec";
	return "<unknown>";
}

int64_t check_effective_timeout(const struct plan_check *c)
{
	return plan_check_timeout(c);
}

static uint64_t ns_to_ms(int64_t ns)
{
	uint64_t ms = (uint64_t)((ns + 999999) / 1000000);

	return ms ? ms : 1;
}

/* ---- records ---- */

static void exec_ctx_done(struct check_exec_ctx *x)
{
	plan_strmap_done(&x->environment);
	free(x->user);
	free(x->group);
	free(x->working_dir);
	memset(x, 0, sizeof(*x));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Resolves an exec check's context from the plan (service-context, §2.4). */
static void exec_ctx_from_plan(const struct plan *p, const struct plan_check *c, struct check_exec_ctx *ret)
{
	struct plan_exec_ctx ctx;

	memset(ret, 0, sizeof(*ret));
	if (!c->exec || !p)
		return;
	plan_check_exec_ctx(p, c, &ctx);
	ret->environment = ctx.environment; /* a new map: taken over */
	ret->user_id = *ctx.user_id;
	ret->group_id = *ctx.group_id;
	ret->user = dup_or_null(ctx.user);
	ret->group = dup_or_null(ctx.group);
	ret->working_dir = dup_or_null(ctx.working_dir);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool exec_ctx_equal(const struct check_exec_ctx *a, const struct check_exec_ctx *b)
{
	if (a->environment.n != b->environment.n)
		return false;
	for (size_t i = 0; i < a->environment.n; i++)
		if (strcmp(a->environment.v[i].key, b->environment.v[i].key) != 0 ||
		    strcmp(a->environment.v[i].val, b->environment.v[i].val) != 0)
			return false;
	return a->user_id.set == b->user_id.set && (!a->user_id.set || a->user_id.v == b->user_id.v) &&
	       a->group_id.set == b->group_id.set && (!a->group_id.set || a->group_id.v == b->group_id.v) &&
	       str_eq(a->user, b->user) && str_eq(a->group, b->group) && str_eq(a->working_dir, b->working_dir);
}

/* Whether cfg (in plan p) is what ck runs with, service context included. */
static bool config_equal(const struct check *ck, const struct plan_check *cfg, const struct plan *p)
{
	struct check_exec_ctx x;
	bool eq;

	if (!plan_check_equal(ck->ck_config, cfg))
		return false;
	exec_ctx_from_plan(p, cfg, &x);
	eq = exec_ctx_equal(&ck->ck_exec, &x);
	exec_ctx_done(&x);
	return eq;
}

static void set_config(struct check *ck, const struct plan_check *cfg, const struct plan *p)
{
	plan_check_free(ck->ck_config);
	ck->ck_config = plan_check_dup(cfg);
	exec_ctx_done(&ck->ck_exec);
	exec_ctx_from_plan(p, cfg, &ck->ck_exec);
}

static int rec_cmp(const void *a, const void *b)
{
	return strcmp((*(struct check *const *)a)->ck_name, (*(struct check *const *)b)->ck_name);
}

struct check *checks_find(struct checks *m, const char *name)
{
	size_t lo = 0, hi = m->cm_n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->cm_v[mid]->ck_name, name);

		if (c == 0)
			return m->cm_v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct check *record_new(struct checks *m, const struct plan_check *cfg, const struct plan *p)
{
	struct check *ck = xcalloc(1, sizeof(*ck));

	ck->ck_name = xstrdup(cfg->name);
	ck->ck_mgr = m;
	set_config(ck, cfg, p);
	m->cm_v = xrealloc(m->cm_v, (m->cm_n + 1) * sizeof(*m->cm_v));
	m->cm_v[m->cm_n++] = ck;
	qsort(m->cm_v, m->cm_n, sizeof(*m->cm_v), rec_cmp);
	return ck;
}

static void io_timer(struct check *ck, uint64_t deadline)
{
	struct checks *m = ck->ck_mgr;

	if (m->cm_io && m->cm_io->timer)
		m->cm_io->timer(m->cm_io_data, ck, deadline);
}

static uint64_t now_ms(struct checks *m)
{
	return m->cm_io && m->cm_io->now_ms ? m->cm_io->now_ms(m->cm_io_data) : 0;
}

/* Arms the check's one timer at its nearest deadline: the timeout of the run in flight,
 * else the next scheduled run (while its task is running). */
static void reschedule(struct check *ck)
{
	uint64_t deadline = 0;

	if (ck->ck_running)
		deadline = ck->ck_deadline_ms;
	else if (ck->ck_state != CHECK_INACTIVE && ck->ck_task)
		deadline = ck->ck_next_ms;
	io_timer(ck, deadline);
}

static void cancel_run(struct check *ck)
{
	struct checks *m = ck->ck_mgr;

	if (!ck->ck_running)
		return;
	ck->ck_running = false;
	ck->ck_oneshot = false;
	if (m->cm_io && m->cm_io->probe_cancel)
		m->cm_io->probe_cancel(m->cm_io_data, ck);
}

/* Answers (and unlinks) the waiters attached to the run that just ended, or all of them
 * when all is set.  ck NULL tells them the check is gone. */
static void finish_waiters(struct check *ck, bool all, const struct check *info, const char *err)
{
	struct check_waiter **pp = &ck->ck_waiters;

	while (*pp) {
		struct check_waiter *w = *pp;

		if (!all && !w->w_attached) {
			pp = &w->w_next;
			continue;
		}
		*pp = w->w_next;
		ck->ck_nwaiters--;
		w->w_next = NULL;
		w->w_check = NULL;
		w->w_cb(w, info, err);
	}
}

static void record_free(struct checks *m, struct check *ck)
{
	size_t i;

	cancel_run(ck);
	finish_waiters(ck, true, NULL, "check removed from plan");
	io_timer(ck, 0);
	if (m->cm_io && m->cm_io->forget)
		m->cm_io->forget(m->cm_io_data, ck);
	for (i = 0; i < m->cm_n && m->cm_v[i] != ck; i++)
		;
	if (i < m->cm_n) {
		memmove(&m->cm_v[i], &m->cm_v[i + 1], (m->cm_n - i - 1) * sizeof(*m->cm_v));
		m->cm_n--;
	}
	plan_check_free(ck->ck_config);
	exec_ctx_done(&ck->ck_exec);
	free(ck->ck_name);
	free(ck);
}

void checks_init(struct checks *m, struct chg_store *chg, const struct checks_io *io, void *io_data,
		 const struct checks_hooks *hooks, void *data)
{
	memset(m, 0, sizeof(*m));
	m->cm_chg = chg;
	m->cm_io = io;
	m->cm_io_data = io_data;
	m->cm_hooks = hooks;
	m->cm_data = data;
}

void checks_done(struct checks *m)
{
	while (m->cm_n)
		record_free(m, m->cm_v[m->cm_n - 1]);
	free(m->cm_v);
	m->cm_v = NULL;
}

/* ---- changes ---- */

/* Creates the perform-check or recover-check change for ck and makes it current. */
static void new_change(struct check *ck, const char *kind, const char *verb)
{
	struct checks *m = ck->ck_mgr;
	char *sum = xasprintf("%s %s check \"%s\"", verb, check_kind_title(ck->ck_config), ck->ck_name);
	json_t *nd = json_pack("{s:s}", "check-name", ck->ck_name);
	struct change *c = chg_new_with_notice_data(m->cm_chg, kind, sum, nd);
	struct task *t = chg_task_new(c, kind, sum);

	json_decref(nd);
	free(sum);
	t->t_priv = json_pack("{s:s}", "check-name", ck->ck_name);
	if (ck->ck_change_id)
		ck->ck_prev_change_id = ck->ck_change_id;
	ck->ck_change_id = c->c_id;
	ck->ck_task = NULL; /* set when the runner starts the task (checks_do_task) */
	ck->ck_started_ms = now_ms(m);
	/* Go's ticker: the first run one period after the start. */
	ck->ck_next_ms = ck->ck_started_ms + ns_to_ms(plan_check_period(ck->ck_config));
}

static void start_record(struct check *ck)
{
	ck->ck_successes = 0;
	ck->ck_failures = 0;
	ck->ck_state = CHECK_PERFORMING;
	new_change(ck, PERFORM_KIND, "Perform");
	reschedule(ck);
}

enum run_reason { RUN_SCHEDULED, RUN_REFRESH };

static void start_run(struct check *ck, enum run_reason why);

/* Stops ck: its run is cancelled and its change aborted.  The counters stay, so one can
 * still see how the check fared (§14). */
static void stop_record(struct check *ck, bool abort_change)
{
	struct checks *m = ck->ck_mgr;
	struct change *c = ck->ck_change_id ? chg_find(m->cm_chg, ck->ck_change_id) : NULL;

	if (ck->ck_running && !ck->ck_oneshot)
		cancel_run(ck);
	ck->ck_task = NULL;
	ck->ck_state = CHECK_INACTIVE;
	if (ck->ck_change_id)
		ck->ck_prev_change_id = ck->ck_change_id;
	ck->ck_change_id = 0;
	/* The record no longer owns the task, so checks_abort_task just finishes it. */
	if (abort_change && c && !chg_ready(c))
		chg_abort(c);
	/* Refreshes that waited for the cancelled run are served by a run of their own. */
	if (ck->ck_waiters && !ck->ck_running)
		start_run(ck, RUN_REFRESH);
	else
		reschedule(ck);
}

/* ---- runs ---- */

static void attach_waiters(struct check *ck)
{
	for (struct check_waiter *w = ck->ck_waiters; w; w = w->w_next)
		w->w_attached = true;
}

static void start_run(struct check *ck, enum run_reason why)
{
	struct checks *m = ck->ck_mgr;
	uint64_t now = now_ms(m), period = ns_to_ms(plan_check_period(ck->ck_config));

	ck->ck_running = true;
	ck->ck_oneshot = ck->ck_state == CHECK_INACTIVE || !ck->ck_task;
	ck->ck_deadline_ms = now + ns_to_ms(check_effective_timeout(ck->ck_config));
	if (!ck->ck_oneshot) {
		if (why == RUN_REFRESH) {
			/* A refresh resets the ticker (upstream ticker.Reset). */
			ck->ck_next_ms = now + period;
		} else {
			ck->ck_next_ms += period;
			if (ck->ck_next_ms < now)
				ck->ck_next_ms = now;
		}
	}
	attach_waiters(ck);
	reschedule(ck);
	if (m->cm_io && m->cm_io->probe_start)
		m->cm_io->probe_start(m->cm_io_data, ck);
}

static void log_error_line(struct task *t, const struct check_result *r)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, r->err);
	if (r->details[0])
		buf_addf(&b, "; %s", r->details);
	chg_task_log_error(t, b.data);
	buf_done(&b);
}

/* Applies a run's outcome to a performing or recovering check (the decisions of §14). */
static void apply_result(struct check *ck, const struct check_result *r)
{
	struct checks *m = ck->ck_mgr;
	int64_t threshold = plan_check_threshold(ck->ck_config);
	struct task *t = ck->ck_task;

	if (ck->ck_state == CHECK_PERFORMING) {
		if (r->ok) {
			ck->ck_successes++;
			if (ck->ck_failures > 0) {
				chg_task_logf(t, "succeeded after %lld %s", (long long)ck->ck_failures,
					      ck->ck_failures == 1 ? "failure" : "failures");
				ck->ck_failures = 0;
			}
			return;
		}
		ck->ck_failures++;
		log_info("Check \"%s\" failure %lld/%lld: %s", ck->ck_name, (long long)ck->ck_failures,
			 (long long)threshold, r->err);
		if (ck->ck_failures < threshold) {
			log_error_line(t, r);
			return;
		}
		log_info("Check \"%s\" threshold %lld hit, triggering action and recovering", ck->ck_name,
			 (long long)threshold);
		if (m->cm_hooks && m->cm_hooks->failed)
			m->cm_hooks->failed(m->cm_data, ck->ck_name);
		/* The action may have stopped the check (a shutdown does not). */
		if (ck->ck_state != CHECK_PERFORMING || ck->ck_task != t)
			return;
		ck->ck_task = NULL;
		chg_task_fail(t, r->err);
		ck->ck_state = CHECK_RECOVERING;
		ck->ck_successes = 0;
		new_change(ck, RECOVER_KIND, "Recover");
		return;
	}
	/* Recovering. */
	if (!r->ok) {
		ck->ck_failures++;
		log_info("Check \"%s\" failure %lld/%lld: %s", ck->ck_name, (long long)ck->ck_failures,
			 (long long)threshold, r->err);
		log_error_line(t, r);
		return;
	}
	ck->ck_task = NULL;
	chg_task_done(t);
	ck->ck_state = CHECK_PERFORMING;
	ck->ck_successes = 1;
	ck->ck_failures = 0;
	new_change(ck, PERFORM_KIND, "Perform");
}

static void run_finished(struct check *ck, const struct check_result *r)
{
	bool oneshot = ck->ck_oneshot;

	ck->ck_running = false;
	ck->ck_oneshot = false;
	if (!oneshot && ck->ck_state != CHECK_INACTIVE && ck->ck_task)
		apply_result(ck, r);
	finish_waiters(ck, false, ck, r->ok ? NULL : r->err);
	/* Refreshes that arrived during the run get a run of their own. */
	if (ck->ck_waiters)
		start_run(ck, RUN_REFRESH);
	else
		reschedule(ck);
}

void checks_probe_done(struct checks *m, struct check *ck, const struct check_result *r)
{
	(void)m;
	if (!ck->ck_running)
		return;
	run_finished(ck, r);
}

void checks_timer(struct checks *m, struct check *ck)
{
	uint64_t now = now_ms(m);

	if (ck->ck_running) {
		struct check_result r;
		bool oneshot = ck->ck_oneshot;
		char dur[32];

		if (now < ck->ck_deadline_ms) {
			reschedule(ck);
			return;
		}
		cancel_run(ck);
		ck->ck_running = true; /* so run_finished sees the run it ends */
		ck->ck_oneshot = oneshot;
		memset(&r, 0, sizeof(r));
		strnum_fmt_duration(check_effective_timeout(ck->ck_config), dur, sizeof(dur));
		snprintf(r.err, sizeof(r.err), "check timed out after %s", dur);
		run_finished(ck, &r);
		return;
	}
	if (ck->ck_state != CHECK_INACTIVE && ck->ck_task && now >= ck->ck_next_ms) {
		start_run(ck, RUN_SCHEDULED);
		return;
	}
	reschedule(ck);
}

/* ---- tasks ---- */

bool checks_is_check_task(const struct task *t)
{
	return strcmp(t->t_kind, PERFORM_KIND) == 0 || strcmp(t->t_kind, RECOVER_KIND) == 0;
}

static struct check *owner_of(struct checks *m, const struct task *t)
{
	for (size_t i = 0; i < m->cm_n; i++)
		if (m->cm_v[i]->ck_task == t)
			return m->cm_v[i];
	return NULL;
}

void checks_do_task(struct checks *m, struct task *t)
{
	const char *name = json_string_value(json_object_get(t->t_priv, "check-name"));
	struct check *ck = name ? checks_find(m, name) : NULL;

	if (!ck || ck->ck_change_id != t->t_chg->c_id || ck->ck_state == CHECK_INACTIVE) {
		/* A change the check has moved on from (it cannot normally start). */
		chg_abort(t->t_chg);
		return;
	}
	ck->ck_task = t;
	t->t_run = ck;
	log_debug("Check \"%s\": %s task %d running with period %lld ms", ck->ck_name, t->t_kind, t->t_id,
		  (long long)ns_to_ms(plan_check_period(ck->ck_config)));
	reschedule(ck);
}

void checks_abort_task(struct checks *m, struct task *t)
{
	struct check *ck = owner_of(m, t);

	/* An abort from outside (POST /v1/changes/{id} abort) stops the check. */
	if (ck)
		stop_record(ck, false);
	if (t->t_status == CHG_ABORT || t->t_status == CHG_DOING)
		chg_task_done(t);
}

void checks_fixup_task(struct task *t)
{
	/* The daemon restarted: the check starts afresh from the plan with a new change. */
	chg_abort(t->t_chg);
}

/* ---- plans ---- */

static void apply_plan(struct checks *m)
{
	const struct plan *p = m->cm_plan;
	size_t n = m->cm_n;
	struct check **old = xcalloc(n + 1, sizeof(*old));

	/* A copy: records are dropped while walking. */
	if (n)
		memcpy(old, m->cm_v, n * sizeof(*old));
	for (size_t i = 0; i < n; i++) {
		struct check *ck = old[i];
		const struct plan_check *cfg = p ? plan_find_check(&p->s, ck->ck_name) : NULL;

		if (!cfg) {
			stop_record(ck, true);
			log_debug("Check \"%s\" removed from the plan", ck->ck_name);
			record_free(m, ck);
			continue;
		}
		if (ck->ck_state != CHECK_INACTIVE) {
			if (config_equal(ck, cfg, p))
				continue;
			/* Upstream leaves a running check alone when only its startup went from
			 * enabled to disabled: startup matters at start, not while running. */
			if (!plan_check_startup_enabled(cfg) && plan_check_startup_enabled(ck->ck_config))
				continue;
			stop_record(ck, true);
		}
		set_config(ck, cfg, p);
		ck->ck_successes = 0;
		ck->ck_failures = 0;
		if (plan_check_startup_enabled(cfg))
			start_record(ck);
	}
	free(old);
	for (size_t i = 0; p && i < p->s.n_checks; i++) {
		const struct plan_check *cfg = p->s.checks[i];
		struct check *ck;

		if (checks_find(m, cfg->name))
			continue;
		ck = record_new(m, cfg, p);
		if (plan_check_startup_enabled(cfg))
			start_record(ck);
	}
}

void checks_set_plan(struct checks *m, const struct plan *p)
{
	m->cm_plan = p;
	if (m->cm_active)
		apply_plan(m);
}

void checks_activate(struct checks *m)
{
	m->cm_active = true;
	apply_plan(m);
}

/* ---- actions ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_names(struct checks *m, char *const *names, size_t n, struct errbuf *eb)
{
	char **missing = NULL;
	size_t nm = 0;
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (m->cm_plan && plan_find_check(&m->cm_plan->s, names[i]) && checks_find(m, names[i]))
			continue;
		missing = xrealloc(missing, (nm + 1) * sizeof(char *));
		missing[nm++] = names[i];
	}
	if (!nm)
		return 0;
	qsort(missing, nm, sizeof(char *), cmp_str);
	buf_init(&b);
	for (size_t i = 0; i < nm; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", missing[i]);
	errbuf_set(eb, "cannot find checks in plan: %s", b.data);
	buf_done(&b);
	free(missing);
	return -ENOENT;
}

static json_t *sorted_names(char **v, size_t n)
{
	json_t *arr = json_array();

	if (n)
		qsort(v, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

/* start or stop: the checks named whose state this changes, sorted. */
static int start_stop(struct checks *m, bool start, char *const *names, size_t n, json_t **ret_changed,
		      struct errbuf *eb)
{
	char **changed = NULL;
	size_t nc = 0;

	if (check_names(m, names, n, eb) < 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		struct check *ck = checks_find(m, names[i]);

		if ((ck->ck_state == CHECK_INACTIVE) != start)
			continue;
		if (start)
			start_record(ck);
		else
			stop_record(ck, true);
		changed = xrealloc(changed, (nc + 1) * sizeof(char *));
		changed[nc++] = ck->ck_name;
	}
	*ret_changed = sorted_names(changed, nc);
	free(changed);
	return 0;
}

int checks_start(struct checks *m, char *const *names, size_t n, json_t **ret_changed, struct errbuf *eb)
{
	return start_stop(m, true, names, n, ret_changed, eb);
}

int checks_stop(struct checks *m, char *const *names, size_t n, json_t **ret_changed, struct errbuf *eb)
{
	return start_stop(m, false, names, n, ret_changed, eb);
}

void checks_replan(struct checks *m)
{
	for (size_t i = 0; i < m->cm_n; i++) {
		struct check *ck = m->cm_v[i];

		if (ck->ck_state == CHECK_INACTIVE && plan_check_startup_enabled(ck->ck_config))
			start_record(ck);
	}
}

int checks_refresh(struct checks *m, const char *name, struct check_waiter *w)
{
	struct check *ck = m->cm_plan && plan_find_check(&m->cm_plan->s, name) ? checks_find(m, name) : NULL;
	struct check_waiter **pp;

	if (!ck)
		return -ENOENT;
	if (ck->ck_nwaiters >= CHECKS_MAX_REFRESH_WAITERS)
		return -EBUSY;
	w->w_check = ck;
	w->w_attached = false;
	w->w_next = NULL;
	for (pp = &ck->ck_waiters; *pp; pp = &(*pp)->w_next)
		;
	*pp = w;
	ck->ck_nwaiters++;
	if (!ck->ck_running)
		start_run(ck, RUN_REFRESH);
	return 0;
}

void checks_refresh_cancel(struct check_waiter *w)
{
	struct check *ck = w->w_check;

	if (!ck)
		return;
	for (struct check_waiter **pp = &ck->ck_waiters; *pp; pp = &(*pp)->w_next) {
		if (*pp == w) {
			*pp = w->w_next;
			ck->ck_nwaiters--;
			break;
		}
	}
	w->w_check = NULL;
	w->w_next = NULL;
}

/* ---- answers ---- */

json_t *check_info_json(const struct check *ck)
{
	json_t *o = json_object();
	const struct plan_check *c = ck->ck_config;

	json_object_set_new(o, "name", json_string(ck->ck_name));
	if (c->level != PLAN_LEVEL_UNSET)
		json_object_set_new(o, "level", json_string(plan_check_level_name(c->level)));
	json_object_set_new(o, "startup", json_string(plan_check_startup_enabled(c) ? "enabled" : "disabled"));
	json_object_set_new(o, "status", json_string(check_status_name(check_status_of(ck))));
	json_object_set_new(o, "successes", json_integer(ck->ck_successes));
	if (ck->ck_failures)
		json_object_set_new(o, "failures", json_integer(ck->ck_failures));
	json_object_set_new(o, "threshold", json_integer(plan_check_threshold(c)));
	if (ck->ck_change_id)
		json_object_set_new(o, "change-id", json_sprintf("%d", ck->ck_change_id));
	if (ck->ck_prev_change_id)
		json_object_set_new(o, "prev-change-id", json_sprintf("%d", ck->ck_prev_change_id));
	return o;
}

static bool name_wanted(const char *name, char *const *names, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

json_t *checks_info_json(struct checks *m, const char *level, char *const *names, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < m->cm_n; i++) {
		const struct check *ck = m->cm_v[i];

		if (level && *level && strcmp(plan_check_level_name(ck->ck_config->level), level) != 0)
			continue;
		if (!name_wanted(ck->ck_name, names, n))
			continue;
		json_array_append_new(arr, check_info_json(ck));
	}
	return arr;
}

bool checks_healthy(struct checks *m, const char *level, char *const *names, size_t n)
{
	for (size_t i = 0; i < m->cm_n; i++) {
		const struct check *ck = m->cm_v[i];
		const char *cl = plan_check_level_name(ck->ck_config->level);
		bool level_match = !level || !*level || strcmp(level, cl) == 0 ||
				   (strcmp(level, "ready") == 0 && ck->ck_config->level == PLAN_LEVEL_ALIVE);

		if (level_match && name_wanted(ck->ck_name, names, n) && check_status_of(ck) == CHECK_STATUS_DOWN)
			return false;
	}
	return true;
}
