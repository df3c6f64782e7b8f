/* servmgr.c - service actions as changes, and the start/stop task handlers; see
 * servmgr.h. */
#include "servmgr.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "launch.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/userids.h"
#include "metrics.h"

/* ---- records ---- */

static int svc_cmp(const void *a, const void *b)
{
	return strcmp((*(struct service *const *)a)->sv_name, (*(struct service *const *)b)->sv_name);
}

struct service *servmgr_find(struct servmgr *sm, const char *name)
{
	size_t lo = 0, hi = sm->sm_nsvcs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(sm->sm_svcs[mid]->sv_name, name);

		if (c == 0)
			return sm->sm_svcs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void start_result(void *data, struct service *s, const char *err, bool attempt);
static void stop_result(void *data, struct service *s, const char *err);
static void svc_shutdown(void *data, struct service *s, int code);
static void svc_output(void *data, struct service *s, const char *fmt, size_t n);

static const struct svc_ops servmgr_svc_ops = {
	.start_result = start_result,
	.stop_result = stop_result,
	.shutdown = svc_shutdown,
	.output = svc_output,
};

static struct service *record_get(struct servmgr *sm, const char *name)
{
	struct service *s = servmgr_find(sm, name);

	if (s)
		return s;
	s = svc_new(sm->sm_loop, name, &servmgr_svc_ops, sm);
	sm->sm_svcs = xrealloc(sm->sm_svcs, (sm->sm_nsvcs + 1) * sizeof(*sm->sm_svcs));
	sm->sm_svcs[sm->sm_nsvcs++] = s;
	qsort(sm->sm_svcs, sm->sm_nsvcs, sizeof(*sm->sm_svcs), svc_cmp);
	return s;
}

void servmgr_init(struct servmgr *sm, struct loop *l, struct chg_store *chg,
		  const struct servmgr_hooks *hooks, void *data)
{
	memset(sm, 0, sizeof(*sm));
	sm->sm_loop = l;
	sm->sm_chg = chg;
	sm->sm_hooks = hooks;
	sm->sm_data = data;
}

void servmgr_done(struct servmgr *sm)
{
	for (size_t i = 0; i < sm->sm_nsvcs; i++)
		svc_free(sm->sm_svcs[i]);
	free(sm->sm_svcs);
	sm->sm_svcs = NULL;
	sm->sm_nsvcs = 0;
}

void servmgr_set_plan(struct servmgr *sm, const struct plan *p)
{
	sm->sm_plan = p;
}

static bool is_active(const struct service *s)
{
	return s && (s->sv_state == SVC_STARTING || s->sv_state == SVC_RUNNING || s->sv_state == SVC_BACKOFF);
}

/* ---- hooks from the state machines ---- */

static void svc_output(void *data, struct service *s, const char *fmt, size_t n)
{
	struct servmgr *sm = data;

	if (sm->sm_hooks && sm->sm_hooks->output)
		sm->sm_hooks->output(sm->sm_data, s, fmt, n);
}

static void svc_shutdown(void *data, struct service *s, int code)
{
	struct servmgr *sm = data;

	(void)s;
	if (sm->sm_hooks && sm->sm_hooks->shutdown)
		sm->sm_hooks->shutdown(sm->sm_data, code);
}

static void start_result(void *data, struct service *s, const char *err, bool attempt)
{
	struct task *t = s->sv_start_req;
	struct buf b = BUF_INIT;

	(void)data;
	if (!t)
		return;
	s->sv_start_req = NULL;
	if (!err) {
		chg_task_done(t);
		return;
	}
	if (!attempt) {
		chg_task_fail(t, err);
		return;
	}
	buf_init(&b);
	logring_last_lines(&s->sv_logs, SVC_LAST_LOG_LINES, "    ", &b);
	if (b.len)
		chg_task_logf(t, "Most recent service output:\n%s", b.data);
	buf_reset(&b);
	buf_addf(&b, "service start attempt: %s", err);
	chg_task_fail(t, b.data);
	buf_done(&b);
}

static void stop_result(void *data, struct service *s, const char *err)
{
	struct task *t = s->sv_stop_req;
	char msg[ERRBUF_SIZE + 32];

	(void)data;
	if (!t)
		return;
	s->sv_stop_req = NULL;
	if (!err) {
		chg_task_done(t);
		return;
	}
	snprintf(msg, sizeof(msg), "cannot stop service: %s", err);
	chg_task_fail(t, msg);
}

/* ---- launching ---- */

/* Resolves user/group as upstream's NormalizeUidGid (lib/userids.h). */
int servmgr_resolve_ids(const struct plan_exec_ctx *ctx, bool *has, uid_t *ret_uid, gid_t *ret_gid,
			struct errbuf *eb)
{
	struct userids_req r = {
		.uid_set = ctx->user_id && ctx->user_id->set,
		.uid = ctx->user_id && ctx->user_id->set ? ctx->user_id->v : 0,
		.gid_set = ctx->group_id && ctx->group_id->set,
		.gid = ctx->group_id && ctx->group_id->set ? ctx->group_id->v : 0,
		.user = ctx->user,
		.group = ctx->group,
	};
	int k = userids_normalize(&r, ret_uid, ret_gid, eb);

	*has = k == 1;
	return k < 0 ? -EINVAL : 0;
}

/* Builds argv, environment, cwd and ids for cfg (§13 start task). */
static int build_launch(struct servmgr *sm, const struct plan_service *cfg, struct svc_launch *ret,
			struct errbuf *eb)
{
	struct plan_exec_ctx ctx;
	char **argv = NULL, **envp = NULL;
	size_t nargv = 0, nenv = 0;
	bool has_ids = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int rv;

	memset(&ctx, 0, sizeof(ctx));
	rv = command_argv(cfg->command, NULL, 0, false, &argv, &nargv, eb);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot parse service \"%s\" command", cfg->name);
		return rv;
	}
	plan_service_exec_ctx(sm->sm_plan, cfg, &ctx);
	rv = servmgr_resolve_ids(&ctx, &has_ids, &uid, &gid, eb);
	if (rv < 0)
		goto fail;
	envp = launch_env(&ctx.environment, &nenv);
	if (has_ids) {
		const char *home = plan_strmap_get(&ctx.environment, "HOME");
		const char *user = plan_strmap_get(&ctx.environment, "USER");

		if (!home || !*home || !user || !*user) {
			struct passwd *pw = getpwuid(uid);

			if (!pw) {
				log_info("Cannot look up user %u", (unsigned)uid);
			} else {
				if (!home || !*home)
					launch_env_set(&envp, &nenv, "HOME", pw->pw_dir);
				if (!user || !*user)
					launch_env_set(&envp, &nenv, "USER", pw->pw_name);
			}
		}
	}
	memset(ret, 0, sizeof(*ret));
	ret->argv = argv;
	ret->envp = envp;
	ret->cwd = ctx.working_dir;
	/* Ids are switched only when they differ from the daemon's own (§13). */
	ret->set_ids = has_ids && (uid != getuid() || gid != getgid());
	ret->uid = uid;
	ret->gid = gid;
	plan_strmap_done(&ctx.environment);
	return 0;
fail:
	plan_strmap_done(&ctx.environment);
	command_argv_free(argv);
	return rv;
}

/* ---- task handlers ---- */

static const char *task_service(const struct task *t)
{
	return json_string_value(json_object_get(t->t_priv, "service"));
}

static void do_start(struct servmgr *sm, struct task *t, const char *name)
{
	const struct plan_service *cfg = sm->sm_plan ? plan_find_service(&sm->sm_plan->s, name) : NULL;
	struct svc_launch launch;
	struct service *s;
	struct errbuf eb;
	char msg[ERRBUF_SIZE + 64];

	errbuf_clear(&eb);
	if (!cfg) {
		snprintf(msg, sizeof(msg), "cannot find service \"%s\" in plan", name);
		chg_task_fail(t, msg);
		return;
	}
	s = servmgr_find(sm, name);
	if (s && (s->sv_state == SVC_INITIAL || s->sv_state == SVC_STARTING || s->sv_state == SVC_RUNNING)) {
		chg_task_logf(t, "Service \"%s\" already started.", name);
		chg_task_done(t);
		return;
	}
	if (s && (s->sv_state == SVC_TERMINATING || s->sv_state == SVC_KILLING)) {
		snprintf(msg, sizeof(msg), "cannot start service while %s", svc_state_name(s->sv_state));
		chg_task_fail(t, msg);
		return;
	}
	if (build_launch(sm, cfg, &launch, &eb) < 0) {
		chg_task_fail(t, eb.msg);
		return;
	}
	s = record_get(sm, name);
	svc_set_config(s, cfg, &launch);
	launch_strv_free(launch.argv);
	launch_strv_free(launch.envp);
	s->sv_start_req = t;
	t->t_run = s;
	if (svc_handle(s, SVC_EV_START, 0, &eb) < 0) {
		s->sv_start_req = NULL;
		log_info("%s", eb.msg);
		chg_task_fail(t, eb.msg);
	}
}

static void do_stop(struct servmgr *sm, struct task *t, const char *name)
{
	struct service *s = servmgr_find(sm, name);
	struct errbuf eb;

	errbuf_clear(&eb);
	if (!s || !s->sv_ever_started) {
		chg_task_logf(t, "Service \"%s\" has never been started.", name);
		chg_task_done(t);
		return;
	}
	switch (s->sv_state) {
	case SVC_TERMINATING:
	case SVC_KILLING:
		chg_task_logf(t, "Service \"%s\" already stopping.", name);
		chg_task_done(t);
		return;
	case SVC_STOPPED:
	case SVC_INITIAL:
		chg_task_logf(t, "Service \"%s\" already stopped.", name);
		chg_task_done(t);
		return;
	case SVC_EXITED:
		svc_handle(s, SVC_EV_STOP, 0, &eb);
		chg_task_logf(t, "Service \"%s\" had already exited.", name);
		chg_task_done(t);
		return;
	default:
		break;
	}
	s->sv_stop_req = t;
	t->t_run = s;
	if (svc_handle(s, SVC_EV_STOP, 0, &eb) < 0) {
		s->sv_stop_req = NULL;
		chg_task_fail(t, eb.msg);
	}
}

void servmgr_do_task(struct servmgr *sm, struct task *t)
{
	const char *name = task_service(t);

	if (!name) {
		chg_task_fail(t, "internal error: task has no service");
		return;
	}
	if (strcmp(t->t_kind, "start") == 0)
		do_start(sm, t, name);
	else if (strcmp(t->t_kind, "stop") == 0)
		do_stop(sm, t, name);
	else
		chg_task_fail(t, "internal error: unknown task kind");
}

void servmgr_abort_task(struct servmgr *sm, struct task *t)
{
	struct service *s = t->t_run;

	(void)sm;
	if (!s)
		return;
	if (strcmp(t->t_kind, "start") == 0 && s->sv_start_req == t)
		svc_handle(s, SVC_EV_ABORT_START, 0, NULL);
	else if (strcmp(t->t_kind, "stop") == 0)
		log_info("Cannot abort stop for service \"%s\", signals already sent", s->sv_name);
}

void servmgr_fixup_task(struct task *t, void *data)
{
	(void)data;
	if (strcmp(t->t_kind, "start") == 0)
		chg_task_fail(t, "service already started, not retrying");
	else
		chg_task_fail(t, "daemon restarted while task was running, not retrying");
}

/* ---- changes ---- */

static const char *action_title(const char *action)
{
	static const char *const titles[][2] = {
		{ "start", "Start" }, { "stop", "Stop" }, { "restart", "Restart" },
		{ "autostart", "Autostart" }, { "replan", "Replan" },
	};

	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(titles[i][0], action) == 0)
			return titles[i][1];
	return action;
}

/* Adds one task per service, lane by lane; returns the tasks in *all. */
static void add_lane_tasks(struct change *c, const char *kind, const char *verb,
			   const struct plan_lanes *lanes, struct task ***all, size_t *nall)
{
	for (size_t i = 0; i < lanes->n; i++) {
		int lane = chg_new_lane(c->c_store);
		struct task *prev = NULL;

		for (size_t j = 0; j < lanes->v[i].n; j++) {
			const char *name = lanes->v[i].v[j];
			char *sum = xasprintf("%s service \"%s\"", verb, name);
			struct task *t = chg_task_new(c, kind, sum);

			free(sum);
			t->t_priv = json_pack("{s:s}", "service", name);
			chg_task_join_lane(t, lane);
			if (prev)
				chg_task_wait_for(t, prev);
			prev = t;
			*all = xrealloc(*all, (*nall + 1) * sizeof(**all));
			(*all)[(*nall)++] = t;
		}
	}
}

static struct change *new_change(struct servmgr *sm, const char *action, char *const *names, size_t n,
				 json_t *all_names)
{
	char *sum;
	struct change *c;

	if (n == 0)
		sum = xasprintf("%s - no services", action_title(action));
	else if (n == 1)
		sum = xasprintf("%s service \"%s\"", action_title(action), names[0]);
	else
		sum = xasprintf("%s service \"%s\" and %zu more", action_title(action), names[0], n - 1);
	c = chg_new(sm->sm_chg, action, sum);
	free(sum);
	c->c_priv = json_pack("{s:O}", "service-names", all_names);
	if (n == 0)
		chg_set_status(c, CHG_DONE);
	return c;
}

/* Flattens lanes into a name list (in lane order). */
static void lanes_names(const struct plan_lanes *l, char ***v, size_t *n)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->v[i].n; j++) {
			*v = xrealloc(*v, (*n + 1) * sizeof(char *));
			(*v)[(*n)++] = l->v[i].v[j];
		}
}

static json_t *names_json(char *const *a, size_t na, char *const *b, size_t nb)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < na + nb; i++) {
		const char *nm = i < na ? a[i] : b[i - na];
		bool dup = false;
		size_t k;
		json_t *v;

		json_array_foreach(arr, k, v)
			if (strcmp(json_string_value(v), nm) == 0)
				dup = true;
		if (!dup)
			json_array_append_new(arr, json_string(nm));
	}
	return arr;
}

/* Filters lanes in place, keeping names for which keep() is true. */
static void lanes_filter(struct servmgr *sm, struct plan_lanes *l, bool (*keep)(struct servmgr *, const char *))
{
	for (size_t i = 0; i < l->n; i++) {
		size_t w = 0;

		for (size_t j = 0; j < l->v[i].n; j++) {
			if (keep(sm, l->v[i].v[j]))
				l->v[i].v[w++] = l->v[i].v[j];
			else
				free(l->v[i].v[j]);
		}
		l->v[i].n = w;
	}
}

static bool keep_active(struct servmgr *sm, const char *name)
{
	return is_active(servmgr_find(sm, name));
}

static int build_change(struct servmgr *sm, const char *action, struct plan_lanes *stop,
			struct plan_lanes *start, struct change **ret)
{
	char **sn = NULL, **tn = NULL;
	size_t nsn = 0, ntn = 0;
	struct task **stops = NULL, **starts = NULL;
	size_t nstops = 0, nstarts = 0;
	json_t *all;
	struct change *c;

	if (stop)
		lanes_names(stop, &sn, &nsn);
	if (start)
		lanes_names(start, &tn, &ntn);
	all = names_json(sn, nsn, tn, ntn);
	if (ntn)
		c = new_change(sm, action, tn, ntn, all);
	else
		c = new_change(sm, action, sn, nsn, all);
	json_decref(all);
	if (stop)
		add_lane_tasks(c, "stop", "Stop", stop, &stops, &nstops);
	if (start)
		add_lane_tasks(c, "start", "Start", start, &starts, &nstarts);
	/* Every start waits for every stop (restart, replan). */
	for (size_t i = 0; i < nstarts; i++)
		for (size_t j = 0; j < nstops; j++)
			chg_task_wait_for(starts[i], stops[j]);
	free(sn);
	free(tn);
	free(stops);
	free(starts);
	*ret = c;
	return 0;
}

static int order_error(const char *action, enum servmgr_refusal *ref, struct errbuf *eb)
{
	errbuf_wrap(eb, "cannot %s services", action);
	*ref = SERVMGR_BAD_REQUEST;
	return -EINVAL;
}

int servmgr_action(struct servmgr *sm, const char *action, char *const *names, size_t n,
		   struct change **ret, enum servmgr_refusal *ret_refusal, struct errbuf *eb)
{
	struct plan_lanes stop = { 0 }, start = { 0 };
	const struct plan *p = sm->sm_plan;
	char **list = NULL;
	size_t nlist = 0;
	int rv = 0;

	if (strcmp(action, "start") == 0 || strcmp(action, "stop") == 0 || strcmp(action, "restart") == 0) {
		if (n == 0) {
			errbuf_set(eb, "must specify services for %s action", action);
			*ret_refusal = SERVMGR_BAD_REQUEST;
			return -EINVAL;
		}
	} else if (strcmp(action, "autostart") == 0 || strcmp(action, "replan") == 0) {
		if (n > 0) {
			errbuf_set(eb, "%s accepts no service names", action);
			*ret_refusal = SERVMGR_BAD_REQUEST;
			return -EINVAL;
		}
	} else {
		errbuf_set(eb, "invalid action \"%s\"", action);
		*ret_refusal = SERVMGR_BAD_REQUEST;
		return -EINVAL;
	}

	if (strcmp(action, "start") == 0) {
		if (plan_start_order(p, names, n, &start, eb) < 0)
			return order_error(action, ret_refusal, eb);
		rv = build_change(sm, action, NULL, &start, ret);
	} else if (strcmp(action, "stop") == 0) {
		if (plan_stop_order(p, names, n, &stop, eb) < 0)
			return order_error(action, ret_refusal, eb);
		rv = build_change(sm, action, &stop, NULL, ret);
	} else if (strcmp(action, "restart") == 0) {
		struct plan_lanes probe = { 0 };

		if (plan_stop_order(p, names, n, &stop, eb) < 0)
			return order_error(action, ret_refusal, eb);
		lanes_filter(sm, &stop, keep_active);
		/* Start what was asked for plus the dependents this restart stops. */
		for (size_t i = 0; i < n; i++) {
			list = xrealloc(list, (nlist + 1) * sizeof(char *));
			list[nlist++] = names[i];
		}
		lanes_names(&stop, &list, &nlist);
		if (plan_start_order(p, list, nlist, &start, eb) < 0) {
			plan_lanes_done(&stop);
			free(list);
			return order_error(action, ret_refusal, eb);
		}
		(void)probe;
		rv = build_change(sm, action, &stop, &start, ret);
	} else if (strcmp(action, "autostart") == 0) {
		for (size_t i = 0; p && i < p->s.n_services; i++) {
			if (!plan_service_startup_enabled(p->s.services[i]))
				continue;
			list = xrealloc(list, (nlist + 1) * sizeof(char *));
			list[nlist++] = p->s.services[i]->name;
		}
		if (nlist == 0) {
			errbuf_set(eb, "no default services");
			*ret_refusal = SERVMGR_NO_DEFAULT_SERVICES;
			return -ENOENT;
		}
		if (plan_start_order(p, list, nlist, &start, eb) < 0) {
			free(list);
			return order_error("start", ret_refusal, eb);
		}
		rv = build_change(sm, action, NULL, &start, ret);
	} else { /* replan */
		char **stopn = NULL, **gone = NULL;
		size_t nstopn = 0, ngone = 0;

		for (size_t i = 0; i < sm->sm_nsvcs; i++) {
			struct service *s = sm->sm_svcs[i];
			const struct plan_service *cfg = p ? plan_find_service(&p->s, s->sv_name) : NULL;

			if (!is_active(s) || (cfg && plan_service_equal(cfg, s->sv_config)))
				continue;
			if (cfg) {
				stopn = xrealloc(stopn, (nstopn + 1) * sizeof(char *));
				stopn[nstopn++] = s->sv_name;
			} else {
				gone = xrealloc(gone, (ngone + 1) * sizeof(char *));
				gone[ngone++] = s->sv_name;
			}
		}
		for (size_t i = 0; p && i < p->s.n_services; i++) {
			const char *nm = p->s.services[i]->name;
			bool restart = false;

			for (size_t k = 0; k < nstopn; k++)
				if (strcmp(stopn[k], nm) == 0)
					restart = true;
			if (!restart && !plan_service_startup_enabled(p->s.services[i]))
				continue;
			list = xrealloc(list, (nlist + 1) * sizeof(char *));
			list[nlist++] = p->s.services[i]->name;
		}
		if (plan_stop_order(p, stopn, nstopn, &stop, eb) < 0 ||
		    plan_start_order(p, list, nlist, &start, eb) < 0) {
			plan_lanes_done(&stop);
			free(stopn);
			free(gone);
			free(list);
			return order_error(action, ret_refusal, eb);
		}
		/* Services that left the plan cannot be ordered by it: one lane each. */
		for (size_t i = 0; i < ngone; i++) {
			stop.v = xrealloc(stop.v, (stop.n + 1) * sizeof(*stop.v));
			stop.v[stop.n].v = xcalloc(1, sizeof(char *));
			stop.v[stop.n].v[0] = xstrdup(gone[i]);
			stop.v[stop.n].n = 1;
			stop.n++;
		}
		rv = build_change(sm, action, &stop, &start, ret);
		free(stopn);
		free(gone);
	}
	plan_lanes_done(&stop);
	plan_lanes_done(&start);
	free(list);
	return rv;
}

struct change *servmgr_stop_all(struct servmgr *sm)
{
	char **in_plan = NULL, **gone = NULL;
	size_t nin = 0, ngone = 0;
	struct plan_lanes stop = { 0 };
	struct errbuf eb;
	struct change *c = NULL;

	for (size_t i = 0; i < sm->sm_nsvcs; i++) {
		struct service *s = sm->sm_svcs[i];

		if (!is_active(s))
			continue;
		if (sm->sm_plan && plan_find_service(&sm->sm_plan->s, s->sv_name)) {
			in_plan = xrealloc(in_plan, (nin + 1) * sizeof(char *));
			in_plan[nin++] = s->sv_name;
		} else {
			gone = xrealloc(gone, (ngone + 1) * sizeof(char *));
			gone[ngone++] = s->sv_name;
		}
	}
	if (nin + ngone == 0)
		goto out;
	if (nin && plan_stop_order(sm->sm_plan, in_plan, nin, &stop, &eb) < 0) {
		/* Cannot happen with a validated plan; stop everything in parallel then. */
		for (size_t i = 0; i < nin; i++) {
			gone = xrealloc(gone, (ngone + 1) * sizeof(char *));
			gone[ngone++] = in_plan[i];
		}
	}
	lanes_filter(sm, &stop, keep_active);
	for (size_t i = 0; i < ngone; i++) {
		stop.v = xrealloc(stop.v, (stop.n + 1) * sizeof(*stop.v));
		stop.v[stop.n].v = xcalloc(1, sizeof(char *));
		stop.v[stop.n].v[0] = xstrdup(gone[i]);
		stop.v[stop.n].n = 1;
		stop.n++;
	}
	{
		struct task **tasks = NULL;
		size_t nt = 0;
		char **names = NULL;
		size_t nn = 0;

		lanes_names(&stop, &names, &nn);
		c = chg_new(sm->sm_chg, "stop", "Stop all running services");
		c->c_priv = json_pack("{s:o}", "service-names", names_json(names, nn, NULL, 0));
		add_lane_tasks(c, "stop", "Stop", &stop, &tasks, &nt);
		free(tasks);
		free(names);
	}
out:
	plan_lanes_done(&stop);
	free(in_plan);
	free(gone);
	return c;
}

/* ---- checks ---- */

void servmgr_check_failed(struct servmgr *sm, const char *check)
{
	/* The actions come from the config each service runs with (upstream CheckFailed). */
	for (size_t i = 0; i < sm->sm_nsvcs; i++) {
		struct service *s = sm->sm_svcs[i];
		enum plan_action a = s->sv_config ? plan_service_on_check_failure(s->sv_config, check)
						  : PLAN_ACTION_UNSET;

		if (a != PLAN_ACTION_UNSET)
			svc_handle(s, SVC_EV_CHECK_FAILED, (int)a, NULL);
	}
}

/* ---- queries ---- */

json_t *servmgr_services_json(struct servmgr *sm, char *const *names, size_t n)
{
	json_t *arr = json_array();
	const struct plan *p = sm->sm_plan;

	for (size_t i = 0; p && i < p->s.n_services; i++) {
		const struct plan_service *cfg = p->s.services[i];
		struct service *s;
		json_t *o;
		bool want = n == 0;

		for (size_t k = 0; k < n && !want; k++)
			want = strcmp(names[k], cfg->name) == 0;
		if (!want)
			continue;
		s = servmgr_find(sm, cfg->name);
		o = json_object();
		json_object_set_new(o, "name", json_string(cfg->name));
		json_object_set_new(o, "startup",
				    json_string(plan_service_startup_enabled(cfg) ? "enabled" : "disabled"));
		json_object_set_new(o, "current",
				    json_string(svc_status_name(s ? svc_status_of(s->sv_state) : SVC_STATUS_INACTIVE)));
		if (s && s->sv_current_since_ns) {
			char ts[64];

			chg_fmt_time(s->sv_current_since_ns, ts, sizeof(ts));
			json_object_set_new(o, "current-since", json_string(ts));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static const struct {
	const char *name;
	int num;
} signal_table[] = {
	{ "SIGABRT", SIGABRT }, { "SIGALRM", SIGALRM }, { "SIGBUS", SIGBUS }, { "SIGCHLD", SIGCHLD },
	{ "SIGCONT", SIGCONT }, { "SIGFPE", SIGFPE }, { "SIGHUP", SIGHUP }, { "SIGILL", SIGILL },
	{ "SIGINT", SIGINT }, { "SIGIO", SIGIO }, { "SIGKILL", SIGKILL }, { "SIGPIPE", SIGPIPE },
	{ "SIGPROF", SIGPROF }, { "SIGPWR", SIGPWR }, { "SIGQUIT", SIGQUIT }, { "SIGSEGV", SIGSEGV },
	{ "SIGSTKFLT", SIGSTKFLT }, { "SIGSTOP", SIGSTOP }, { "SIGSYS", SIGSYS }, { "SIGTERM", SIGTERM },
	{ "SIGTRAP", SIGTRAP }, { "SIGTSTP", SIGTSTP }, { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG }, { "SIGUSR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 }, { "SIGVTALRM", SIGVTALRM },
	{ "SIGWINCH", SIGWINCH }, { "SIGXCPU", SIGXCPU }, { "SIGXFSZ", SIGXFSZ },
};

int servmgr_signal_number(const char *name)
{
	for (size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		if (strcmp(signal_table[i].name, name) == 0)
			return signal_table[i].num;
	return 0;
}

int servmgr_signal(struct servmgr *sm, const char *signame, char *const *names, size_t n,
		   struct errbuf *eb)
{
	int signo = servmgr_signal_number(signame);
	struct buf errs = BUF_INIT;
	int rv = 0;

	buf_init(&errs);
	for (size_t i = 0; i < n; i++) {
		struct service *s = servmgr_find(sm, names[i]);
		struct errbuf e;

		errbuf_clear(&e);
		/* Upstream checks the state first, then the signal name. */
		if (!s || (s->sv_state != SVC_STARTING && s->sv_state != SVC_RUNNING)) {
			errbuf_set(&e, "service is not running");
		} else if (!signo) {
			errbuf_set(&e, "invalid signal name \"%s\"", signame);
		} else if (svc_signal(s, signo, &e) == 0) {
			log_info("Sending %s to service \"%s\"", signame, names[i]);
			continue;
		}
		if (errs.len)
			buf_adds(&errs, "; ");
		buf_addf(&errs, "cannot send signal to \"%s\": %s", names[i], e.msg);
		rv = -ESRCH;
	}
	if (rv < 0)
		errbuf_set(eb, "%s", errs.data);
	buf_done(&errs);
	return rv;
}

void servmgr_write_metrics(struct servmgr *sm, struct buf *out)
{
	for (size_t i = 0; i < sm->sm_nsvcs; i++) {
		const struct service *s = sm->sm_svcs[i];
		const struct metrics_label l = { "service", s->sv_name };

		metrics_write(out, "pebble_service_active", METRICS_GAUGE,
			      "Whether the service is currently active (1) or not (0)", &l, 1,
			      svc_status_of(s->sv_state) == SVC_STATUS_ACTIVE);
		metrics_write(out, "pebble_service_start_count", METRICS_COUNTER,
			      "Number of times the service has started", &l, 1, (int64_t)s->sv_start_count);
	}
}
