/* backend.c - the controller's end of the agent interface (agent.h): goals come from the
 * model, and everything an agent reports is written through to it. */
#include "controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/strnum.h"

void ctl_unit_tag(const char *unit, char *out, size_t n)
{
	snprintf(out, n, "unit-%s", unit);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '-';
}

void ctl_log(struct controller *c, const char *entity, const char *level, const char *module,
	     const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	struct log_record r = { entity, loop_wall_ns(), level, module, b.data };
	logstore_append(c->logs, &r);
	buf_done(&b);
}

static int be_goal(void *data, const char *unit, struct agent_goal *g)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);

	if (!u)
		return -ENOENT;
	g->unit = u->name;
	g->app = u->app->name;
	g->machine = u->machine;
	g->alive = !u->dying;
	g->charm_rev = u->app->charm_rev;
	g->charm_dir = u->app->charm_dir;
	g->charm = u->app->charm;
	g->config = u->app->effective;
	g->config_hash = u->app->config_hash;
	g->leader = u->app->leader && !strcmp(u->app->leader, u->name);
	g->leader_gen = u->app->leader_gen;
	g->state = u->state;
	g->ports = u->ports;
	return 0;
}

static int be_save_journal(void *data, const char *unit, json_t *journal)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);
	struct errbuf eb;

	if (!u)
		return -ENOENT;
	if (model_save_journal(c->m, u, journal, &eb) < 0) {
		ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
		return -EIO;
	}
	return 0;
}

static int be_commit_hook(void *data, const char *unit, json_t *journal, const struct hook_ctx *ctx)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);
	struct errbuf eb;

	if (!u)
		return -ENOENT;
	if (model_commit_hook(c->m, u, journal, ctx->state, ctx->ports,
			      ctx->app_version ? json_string_value(ctx->app_version) : NULL, &eb) < 0) {
		ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
		return -EIO;
	}
	return 0;
}

static int be_set_status(void *data, const char *unit, enum agent_status_kind kind,
			 const char *status, const char *message, json_t *sdata, bool by_charm,
			 struct errbuf *eb)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);
	enum model_status_kind mk = kind == AGENT_STATUS_WORKLOAD ? MODEL_STATUS_WORKLOAD :
				    kind == AGENT_STATUS_AGENT ? MODEL_STATUS_AGENT : MODEL_STATUS_APP;
	int r;

	if (!u) {
		errbuf_set(eb, "unit \"%s\" not found", unit);
		return -ENOENT;
	}
	if (mk == MODEL_STATUS_APP && !(u->app->leader && !strcmp(u->app->leader, u->name))) {
		errbuf_set(eb, "setting application status: unit is not the leader");
		return -EPERM;
	}
	r = model_set_status(c->m, u, mk, status, message, sdata, by_charm, eb);
	if (r == 0)
		ctl_waiters_check(c);
	return r;
}

static json_t *status_json(const struct status_rec *s)
{
	return json_pack("{s:s, s:s, s:O, s:s}", "status", s->current ? s->current : "unknown",
			 "message", s->message ? s->message : "", "status-data",
			 s->data ? s->data : json_object(), "since", "");
}

static int be_get_status(void *data, const char *unit, bool app, json_t **ret, struct errbuf *eb)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);

	if (!u) {
		errbuf_set(eb, "unit \"%s\" not found", unit);
		return -ENOENT;
	}
	if (!app) {
		*ret = status_json(&u->wl);
		return 0;
	}
	if (!(u->app->leader && !strcmp(u->app->leader, u->name))) {
		errbuf_set(eb, "finding application status: unit is not the leader");
		return -EPERM;
	}
	const char *msg;
	uint64_t since;
	const char *st = status_app_display(u->app, &msg, &since);
	json_t *o = json_pack("{s:s, s:s, s:o, s:s}", "status", st, "message", msg ? msg : "",
			      "status-data", u->app->status_set && u->app->status.data
						     ? json_deep_copy(u->app->status.data)
						     : json_object(),
			      "since", "");
	json_t *units = json_object();

	for (size_t i = 0; i < u->app->n_units; i++)
		json_object_set_new(units, u->app->units[i]->name, status_json(&u->app->units[i]->wl));
	json_object_set_new(o, "units", units);
	*ret = o;
	return 0;
}

static bool be_charm_set_status(void *data, const char *unit)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);

	return u && u->charm_set_status;
}

static void be_log(void *data, const char *unit, const char *level, const char *module,
		   const char *message)
{
	struct controller *c = data;
	char tag[256];

	ctl_unit_tag(unit, tag, sizeof(tag));
	struct log_record r = { tag, loop_wall_ns(), level, module, message };
	logstore_append(c->logs, &r);
}

static void be_hook_ran(void *data, const char *unit, const char *hook, uint64_t start_ns,
			uint64_t dur_ns, int code)
{
	struct controller *c = data;
	char msg[128];

	snprintf(msg, sizeof(msg), "exit %d, %.1f ms", code, (double)dur_ns / 1e6);
	struct model_unit *u = model_find_unit(c->m, unit);

	if (u)
		model_log_status(c->m, u, "hook", hook, msg, start_ns);
}

void ctl_ensure_leader(struct controller *c, struct model_app *a, bool failover)
{
	struct errbuf eb;

	if (a->leader && model_find_unit(c->m, a->leader))
		return;
	for (size_t i = 0; i < a->n_units; i++) {
		if (!a->units[i]->dying) {
			if (model_set_leader(c->m, a, a->units[i]->name, failover, &eb) == 0) {
				ctl_log(c, "controller", "INFO", "cairn.leadership",
					"%s is now the leader of %s", a->units[i]->name, a->name);
				/* The new leader runs leader-elected; after a failover the
				 * others run leader-settings-changed. */
				for (size_t k = 0; k < a->n_units; k++)
					agent_kick(c->agent, a->units[k]->uniter);
			}
			return;
		}
	}
	if (a->leader)
		model_set_leader(c->m, a, NULL, false, &eb);
}

static void be_unit_dead(void *data, const char *unit)
{
	struct controller *c = data;
	struct model_unit *u = model_find_unit(c->m, unit);
	struct errbuf eb;
	struct model_app *a;
	char *dir;

	if (!u)
		return;
	a = u->app;
	u->uniter = NULL; /* freed by the agent */
	dir = xasprintf("%s/agents/unit-%s-%d", c->home, a->name, u->num);
	if (model_delete_unit(c->m, u, &eb) < 0) {
		ctl_log(c, "controller", "ERROR", "cairn.model", "cannot remove %s: %s", unit, eb.msg);
		free(dir);
		return;
	}
	fs_rm_rf(dir);
	free(dir);
	ctl_log(c, "controller", "INFO", "cairn.model", "unit %s removed", unit);
	bool was_leader = a->leader && !strcmp(a->leader, unit);

	if (was_leader)
		model_set_leader(c->m, a, NULL, false, &eb);
	if (a->dying && a->n_units == 0) {
		char *store = xasprintf("%s/charms/%s", c->home, a->name);
		char *name = xstrdup(a->name);

		if (model_delete_app(c->m, a, &eb) == 0) {
			fs_rm_rf(store);
			ctl_log(c, "controller", "INFO", "cairn.model", "application %s removed", name);
		}
		free(store);
		free(name);
	} else {
		ctl_ensure_leader(c, a, was_leader);
	}
	ctl_waiters_check(c);
}

static void be_changed(void *data, const char *unit)
{
	(void)unit;
	ctl_waiters_check(data);
}

static const char *be_charm_dir(void *data, const char *app, int rev)
{
	struct controller *c = data;

	snprintf(c->charm_dir_buf, sizeof(c->charm_dir_buf), "%s/charms/%s/%d", c->home, app, rev);
	return c->charm_dir_buf;
}

const struct agent_backend ctl_backend_template = {
	.goal = be_goal,
	.save_journal = be_save_journal,
	.commit_hook = be_commit_hook,
	.set_status = be_set_status,
	.get_status = be_get_status,
	.charm_set_status = be_charm_set_status,
	.log = be_log,
	.hook_ran = be_hook_ran,
	.unit_dead = be_unit_dead,
	.changed = be_changed,
	.charm_dir = be_charm_dir,
};

void ctl_start_agents(struct controller *c)
{
	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *a = c->m->apps[i];

		ctl_ensure_leader(c, a, false);
		for (size_t k = 0; k < a->n_units; k++)
			a->units[k]->uniter = agent_add_unit(c->agent, a->units[k]->name, a->units[k]->journal);
	}
}

void ctl_apply_model_config(struct controller *c)
{
	struct agent_model_config mc;
	int64_t ns = 300LL * 1000000000LL;
	bool retry = true;

	strnum_duration(model_config_get(c->m, "update-status-hook-interval"), &ns);
	strnum_bool(model_config_get(c->m, "automatically-retry-hooks"), &retry);
	mc.update_status_ns = ns;
	mc.retry_hooks = retry;
	mc.retry_min_ns = (int64_t)(5e9 * c->time_scale);
	mc.retry_max_ns = (int64_t)(300e9 * c->time_scale);
	mc.hook_timeout_ns = (int64_t)(3600e9 * c->time_scale);
	if (getenv("CAIRN_HOOK_TIMEOUT")) {
		int64_t t;

		if (strnum_duration(getenv("CAIRN_HOOK_TIMEOUT"), &t) == 0 && t >= 0)
			mc.hook_timeout_ns = t;
	}
	agent_set_model_config(c->agent, &mc);
}
