/* unit_hook.c - one hook of a unit: its charm files before install / upgrade-charm, start
 * (journal run-hook/pending, statuses, spawn), finish (success, failure, pebble-ready again)
 * and the commit-hook sent to the controller; the ack is unit.c's.  See agent_internal.h. */
#include "agent/agent_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void finish_hook(struct unit *u, int code, bool signaled);

static void on_hook_output(void *data, bool is_stderr, const char *line)
{
	struct unit *u = data;
	char module[UNITER_HOOK_MAX + PROTO_NAME_MAX + 32];

	snprintf(module, sizeof(module), "unit.%s.%s", u->name, u->hook);
	agent_log(u->a, u, is_stderr ? "WARNING" : "DEBUG", module, "%s", line);
}

static void on_hook_done(void *data, int code, bool signaled)
{
	struct unit *u = data;

	u->t_exit = u->a->io.mono_ns(u->a->io.data);
	finish_hook(u, code, signaled);
}

/* Prepares (journal: run-hook/pending, statuses) and spawns hook; the charm files are in
 * place. */
void unit_hook_start(struct unit *u, const char *hook, const struct relhook *rel)
{
	struct agent *a = u->a;
	struct uniter_journal j2;
	struct uniter_notice notice;
	const struct uniter_notice *nt;
	bool with_notice = false;
	struct uniter_goal g;
	struct errbuf eb;
	struct batch b;
	json_t *wl = NULL;
	char msg[UNITER_HOOK_MAX + 32];
	uint64_t t1;
	int r;

	if (hook != u->hook)
		snprintf(u->hook, sizeof(u->hook), "%s", hook);
	hook = u->hook;
	unit_goal_of(u, &g);
	/* A notice hook carries its notice: the one the journal has when it runs again, else the
	 * event of its container. */
	nt = uniter_hook_notice(&u->j);
	if (nt && u->j.step != UNITER_STEP_DONE && !strcmp(u->j.hook, hook)) {
		notice = *nt;
		with_notice = true;
	} else if ((nt = unit_notice_for_hook(u, hook))) {
		notice = *nt;
		with_notice = true;
	}
	uniter_journal_copy(&j2, &u->j);
	if (rel) {
		struct uniter_next n = { .kind = UNITER_NEXT_HOOK, .rel = *rel };

		snprintf(n.hook, sizeof(n.hook), "%s", u->hook);
		uniter_prepare_next(&j2, &n, &g, with_notice ? &notice : NULL);
	} else {
		uniter_prepare(&j2, u->hook, &g, with_notice ? &notice : NULL);
	}
	u->hold_out = true;
	batch_init(&b, u);
	batch_journal(&b, &j2);
	/* Statuses the agent sets around hooks (charm-runtime.md §7.3). */
	if (!strcmp(hook, "install") && !unit_charm_set_status(u))
		wl = unit_wl_with(u, "maintenance", "installing charm software", NULL, false);
	else if (!strcmp(hook, "stop"))
		wl = unit_wl_with(u, "maintenance", "stopping charm software", NULL, false);
	else if (!strcmp(hook, "remove"))
		wl = unit_wl_with(u, "maintenance", "cleaning up prior to charm deletion", NULL, false);
	if (wl)
		batch_status(&b, "workload", json_string_value(json_object_get(wl, "status")),
			     json_string_value(json_object_get(wl, "message")), NULL, false);
	if (strcmp(hook, "update-status") != 0) {
		snprintf(msg, sizeof(msg), "running %s hook", hook);
		batch_status(&b, "agent", "executing", msg, NULL, false);
	}
	r = batch_commit_journal(&b, &j2, wl, &eb);
	batch_done(&b);
	if (r < 0) {
		json_decref(wl);
		ulog(u, "ERROR", "cannot record hook \"%s\" as pending: %s", hook, eb.msg);
		unit_enter_error(u, NULL, NULL);
		return;
	}
	if (wl) {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}

	unit_ctx_fill(u, u->hook, &u->j.hook_rel);
	u->run_start_ns = a->io.wall_ns(a->io.data);

	struct container_rt *rc = unit_container_for_hook(u, hook);
	char *cdir = u->n_containers ? xasprintf("%s/containers", u->dir) : NULL;

	u->ready_container = rc;
	snprintf(u->ready_boot, sizeof(u->ready_boot), "%s", rc ? rc->pending : "");
	struct hookrun_env env = {
		.unit = u->name, .hook = u->hook, .charm_dir = u->charm_dir,
		.context_id = u->context_id, .socket_path = a->socket_path,
		.tools_dir = a->tools_dir, .model_name = a->model_name,
		.model_uuid = a->model_uuid, .machine = atoi(a->machine),
		.workload = rc ? rc->name : with_notice ? notice.container : NULL,
		.containers_dir = cdir, .api_addresses = a->api_addresses, .relation_id = -1,
		.netns = u->pod ? u->pod_netns : NULL, .principal = u->principal,
	};
	const struct relhook *hr = &u->j.hook_rel;

	if (hr->kind != RELHOOK_NONE) {
		env.relation_id = hr->relation_id;
		env.relation = hr->endpoint;
		env.remote_app = hr->remote_app;
		env.remote_unit = hr->remote_unit;
		env.departing_unit = hr->kind == RELHOOK_DEPARTED ? hr->departing_unit : NULL;
	}
	if (with_notice && notice.kind == UNITER_NOTICE_CUSTOM) {
		env.notice_id = notice.id;
		env.notice_type = "custom";
		env.notice_key = notice.key;
	} else if (with_notice) {
		env.check_name = notice.check;
	}
	struct hookrun_cbs cbs = { .output = on_hook_output, .done = on_hook_done, .data = u };

	unit_set_state(u, UNIT_RUNNING);
	a->running++;
	u->timed_out = false;
	t1 = a->io.mono_ns(a->io.data);
	r = a->io.hook_start(a->io.data, &env, &cbs, &u->run, &eb);
	free(cdir);
	if (r == 0) {
		uint64_t t2 = a->io.mono_ns(a->io.data);

		u->ctx.pid = a->io.hook_pid ? a->io.hook_pid(a->io.data, u->run) : 0;
		if (a->hook_timeout_ms > 0)
			a->io.timer_arm(a->io.data, u->hook_timer, (uint64_t)a->hook_timeout_ms);
		a->stats.hooks++;
		uint64_t prep = t1 - u->t_pop, spawn = t2 - t1;

		a->stats.prep_ns += prep;
		a->stats.spawn_ns += spawn;
		if (prep > a->stats.prep_max_ns)
			a->stats.prep_max_ns = prep;
		if (spawn > a->stats.spawn_max_ns)
			a->stats.spawn_max_ns = spawn;
		if (!a->stats.spawn_min_ns || spawn < a->stats.spawn_min_ns)
			a->stats.spawn_min_ns = spawn;
		ulog(u, "DEBUG", "running \"%s\" hook", hook);
	} else if (r == 1) {
		ulog(u, "INFO", "skipped \"%s\" hook (missing)", hook);
		finish_hook(u, 0, false);
	} else {
		ulog(u, "ERROR", "cannot run \"%s\" hook: %s", hook, eb.msg);
		finish_hook(u, 1, false);
	}
}

/* A hook failed (or could not be prepared): error state, agent status error, retry.  The
 * status goes in the same transaction as what with already holds (the hook's record), or
 * alone. */
void unit_enter_error(struct unit *u, const char *status_msg, struct batch *with)
{
	struct errbuf eb;
	struct batch own, *b = with ? with : &own;
	char msg[UNITER_HOOK_MAX + 32];

	snprintf(msg, sizeof(msg), "hook failed: \"%s\"", u->j.hook[0] ? u->j.hook : u->hook);
	if (!with)
		batch_init(&own, u);
	/* Only the agent status records the error; `status` shows it in the workload column,
	 * and the charm's own workload status returns once the hook succeeds. */
	batch_status(b, "agent", "error", status_msg ? status_msg : msg, NULL, false);
	if (batch_commit(b, NULL, &eb) < 0)
		ulog(u, "ERROR", "cannot record the error state: %s", eb.msg);
	if (!with)
		batch_done(&own);
	unit_set_state(u, UNIT_ERROR);
	unit_arm_retry(u);
}

/* Hook succeeded, or `resolved --no-retry` skips it: queues commit-hook (with the hook's
 * buffered changes when with_changes) and waits for the ack.  The commit goes in the same
 * transaction as what with already holds (the hook's record), or alone. */
void unit_begin_commit(struct unit *u, bool with_changes, struct batch *with)
{
	struct uniter_journal j2;
	struct relstate rs2;
	struct store_unit_row row;
	struct proto_msg m;
	struct errbuf eb;
	struct batch own, *b = with ? with : &own;
	json_t *jj, *wl = NULL, *rels;
	int r;

	uniter_journal_copy(&j2, &u->j);
	relstate_init(&rs2);
	relstate_copy(&rs2, &u->rs);
	uniter_commit_rel(&j2, &rs2);
	if (with_changes)
		unit_rel_own_writes(u, &rs2);
	rels = unit_rel_changes(u, with_changes, &rs2, &u->j.hook_rel);
	jj = unit_journal_json(&j2, &rs2, u->task_id, u->task_done_id);
	relstate_done(&rs2);
	uniter_journal_done(&j2);
	proto_msg_init(&m, PROTO_COMMIT_HOOK);
	m.u.commit_hook.unit = u->name;
	m.u.commit_hook.hook = u->j.hook;
	m.u.commit_hook.journal = jj;
	m.u.commit_hook.relations = rels;
	if (with_changes && u->ctx_live) {
		if (u->ctx.state && !json_equal(u->ctx.state, u->state_goal))
			m.u.commit_hook.state = u->ctx.state;
		if (u->ctx.ports && !json_equal(u->ctx.ports, u->ports_goal))
			m.u.commit_hook.ports = u->ctx.ports;
		if (json_is_string(u->ctx.app_version))
			m.u.commit_hook.app_version = json_string_value(u->ctx.app_version);
		if (u->leader_dirty && u->ctx.leader_settings)
			m.u.commit_hook.leader_settings = u->ctx.leader_settings;
	}
	if (!with)
		batch_init(&own, u);
	int64_t seq = batch_add(b, &m);

	json_decref(rels);
	if (!strcmp(u->j.hook, "start") && !unit_charm_set_status(u))
		wl = unit_wl_with(u, "unknown", "", NULL, false);
	if (!strcmp(u->j.hook, "remove"))
		wl = unit_wl_with(u, "terminated", "", NULL, false);
	if (wl)
		batch_status(b, "workload", json_string_value(json_object_get(wl, "status")), "", NULL,
			     false);
	agent_unit_row(u, &row);
	if (wl)
		row.wl_status = wl;
	r = batch_commit(b, &row, &eb);
	if (!with)
		batch_done(&own);
	if (r < 0) {
		/* The hook ran but its commit cannot be recorded: it counts as failed, and the
		 * retry runs it again (at-least-once), rather than pretending it committed. */
		json_decref(jj);
		json_decref(wl);
		ulog(u, "ERROR", "cannot record the commit of hook \"%s\": %s", u->j.hook, eb.msg);
		unit_enter_error(u, NULL, NULL);
		return;
	}
	if (wl) {
		json_decref(u->wl_status);
		u->wl_status = wl;
	}
	u->commit_seq = seq;
	json_decref(u->commit_journal);
	u->commit_journal = jj;
	unit_set_state(u, UNIT_COMMITTING);
}

static void finish_hook(struct unit *u, int code, bool signaled)
{
	struct agent *a = u->a;
	uint64_t dur = a->io.wall_ns(a->io.data) - u->run_start_ns;
	struct container_rt *rc = u->ready_container;
	struct errbuf eb;
	struct batch b;

	if (u->run) {
		a->io.hook_free(a->io.data, u->run);
		u->run = NULL;
	}
	a->io.timer_disarm(a->io.data, u->hook_timer);
	a->running--;
	u->ready_container = NULL;
	batch_init(&b, u);
	batch_hook_ran(&b, u->hook, u->run_start_ns, dur, code);
	if (rc && code != 0) {
		/* A failed pebble-ready is not an error: the boot id stays unrecorded and the
		 * event comes again a little later (charm-runtime.md §10). */
		struct uniter_journal j2;

		ulog(u, "WARNING", "hook \"%s\" failed (exit %d); it will run again", u->hook, code);
		uniter_journal_copy(&j2, &u->j);
		uniter_commit(&j2);
		batch_journal(&b, &j2);
		batch_status(&b, "agent", "idle", "", NULL, false);
		if (batch_commit_journal(&b, &j2, NULL, &eb) < 0)
			ulog(u, "ERROR", "cannot record the skipped hook: %s", eb.msg);
		a->io.timer_arm(a->io.data, rc->retry, AGENT_PEBBLE_READY_RETRY_MS);
		unit_set_state(u, UNIT_IDLE);
	} else if (code == 0) {
		unit_begin_commit(u, true, &b);
		if (u->t_exit) {
			uint64_t c = a->io.mono_ns(a->io.data) - u->t_exit;

			a->stats.commit_ns += c;
			if (c > a->stats.commit_max_ns)
				a->stats.commit_max_ns = c;
			u->t_exit = 0;
		}
	} else {
		if (u->timed_out)
			ulog(u, "ERROR", "hook \"%s\" failed: timed out", u->hook);
		else if (signaled)
			ulog(u, "ERROR", "hook \"%s\" failed: killed by signal %d", u->hook, code - 128);
		else
			ulog(u, "ERROR", "hook \"%s\" failed: exit status %d", u->hook, code);
		unit_enter_error(u, NULL, &b);
	}
	batch_done(&b);
	unit_ctx_clear(u);
	unit_arm_update_status(u);
	unit_kick(u);
	unit_schedule_pump(a);
}

/* ---- charm files before install / upgrade-charm ---- */

static void on_installed(void *arg, const char *error)
{
	struct unit *u = arg;
	struct agent *a = u->a;

	u->install = NULL;
	if (u->state != UNIT_PREPARING)
		return;
	if (error) {
		char msg[512];

		ulog(u, "ERROR", "cannot install charm files: %s", error);
		snprintf(msg, sizeof(msg), "cannot install charm: %.400s", error);
		unit_enter_error(u, msg, NULL);
		return;
	}
	/* The files are those asked for, whatever the goal says by now (a refresh meanwhile
	 * installs again before the hook). */
	if (strcmp(u->charm_digest, u->install_digest)) {
		agent_digest_ref(a, u->install_digest, +1);
		if (*u->charm_digest)
			agent_digest_ref(a, u->charm_digest, -1);
		free(u->charm_digest);
		u->charm_digest = xstrdup(u->install_digest);
	}
	/* The files are in place: the hook waits for a slot like any other (the resolver names
	 * it again, now with nothing to install). */
	unit_set_state(u, UNIT_IDLE);
	unit_kick(u);
}

void unit_prepare_files(struct unit *u, const char *hook)
{
	struct agent *a = u->a;
	struct agent_install_req req = {
		.unit = u->name, .dir = u->charm_dir, .digest = u->app->digest,
		.size = u->app->charm_size,
		.old_digest = !strcmp(hook, "upgrade-charm") ? u->charm_digest : "",
	};
	struct errbuf eb;

	snprintf(u->hook, sizeof(u->hook), "%s", hook);
	snprintf(u->install_digest, sizeof(u->install_digest), "%s", u->app->digest);
	/* File work does not take a hook slot: the cache installs for many units in one worker
	 * (one fork for hundreds of units, not one per unit) while hooks run. */
	unit_set_state(u, UNIT_PREPARING);
	if (a->io.charm_install(a->io.data, &req, on_installed, u, &u->install, &eb) < 0)
		on_installed(u, eb.msg);
}
