/* unit_task.c - the tasks (actions and `exec` commands) a unit runs for the controller
 * (operator-cli.md §11, charm-runtime.md §1.1, §2.2); see agent_internal.h.
 *
 * The controller lists a unit's queued and running tasks in its goal (oldest first).  The
 * unit runs one at a time and never beside a hook: a task starts only while the unit is idle
 * or in error (Juju runs actions on a unit in error), before the next hook, and no hook starts
 * while it runs.  Its life on the wire, every message sequenced and persisted with the unit's
 * journal like the hook messages:
 *   action-started (journal "task" = id) -> action-log ... -> action-result (journal
 *   "task" = 0, "task-done" = id).
 * An agent that dies while a task runs finds "task" set when it starts again and reports the
 * task failed ("action terminated"), as Juju's uniter does, rather than running it twice; a
 * task whose id is at or below "task-done" is never run again however late the controller's
 * goal catches up.  cancel-task of a running task makes the goal say "aborting": the process
 * group is killed and the task ends "aborted".
 *
 * An action runs ./dispatch (or actions/<name>) with JUJU_ACTION_* and
 * JUJU_DISPATCH_PATH=actions/<name>; an exec task runs its command with bash -c.  Both run
 * in a hook context (the tools work; action-get/-set/-log/-fail only in actions), and their
 * stdout, stderr (each kept up to TASK_OUTPUT_MAX bytes) and exit code become the results
 * "stdout", "stderr", "return-code" beside what action-set stored.  An action fails when it
 * exits non-zero ("exit status N") or called action-fail; an exec task completes whatever its
 * exit code (the code is its result), and fails only when it could not run or timed out. */
#include "agent/agent_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

#define TASK_OUTPUT_MAX (256u * 1024u)  /* stdout or stderr bytes kept in the results */

struct unit_task {
	struct unit *u;
	int64_t id;
	char id_str[24];
	char name[UNITER_HOOK_MAX];          /* action name, or "juju-exec" */
	bool exec;
	char *command;                       /* exec */
	int64_t timeout_ms;                  /* exec: 0 = none */
	struct hookrun *run;
	struct buf out, err;
	bool out_cut, err_cut;
	bool aborting, timed_out;
	struct agent_timer *timer;
};

static const char *jstr(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

/* The goal's entry for task id, or NULL. */
static json_t *goal_entry(struct unit *u, int64_t id)
{
	size_t i;
	json_t *e;

	json_array_foreach(u->tasks_goal, i, e)
		if (json_integer_value(json_object_get(e, "id")) == id)
			return e;
	return NULL;
}

/* The oldest task of the goal not yet run here, or NULL. */
static json_t *next_entry(struct unit *u)
{
	size_t i;
	json_t *e;

	json_array_foreach(u->tasks_goal, i, e) {
		int64_t id = json_integer_value(json_object_get(e, "id"));

		if (id > u->task_done_id && id != u->task_id)
			return e;
	}
	return NULL;
}

bool unit_task_due(struct unit *u)
{
	/* Actions need the charm's files: nothing runs before install has. */
	if (u->task || !u->j.installed || u->state == UNIT_DEAD)
		return false;
	return next_entry(u) != NULL;
}

/* Writes msg (sequenced) with the unit's row, task ids set as given, in one transaction.
 * On failure the ids are as they were and eb says why. */
static int send_task_msg(struct unit *u, struct proto_msg *m, int64_t task_id, int64_t done_id,
			 struct errbuf *eb)
{
	int64_t old_id = u->task_id, old_done = u->task_done_id;
	struct batch b;
	int r;

	u->task_id = task_id;
	u->task_done_id = done_id;
	batch_init(&b, u);
	batch_add(&b, m);
	r = batch_commit(&b, NULL, eb);
	batch_done(&b);
	if (r < 0) {
		u->task_id = old_id;
		u->task_done_id = old_done;
	}
	return r;
}

/* Reports task id finished; with changes, what its hook context changed goes with it (a
 * completed task commits like a successful hook). */
static void report_result(struct unit *u, int64_t id, const char *status, const char *message,
			  json_t *results, bool changes)
{
	struct proto_msg m;
	struct errbuf eb;
	json_t *res = results ? json_incref(results) : json_object();
	struct proto_action_result *r = &m.u.action_result;

	proto_msg_init(&m, PROTO_ACTION_RESULT);
	r->unit = u->name;
	r->task = id;
	r->status = status;
	r->message = message ? message : "";
	r->results = res;
	if (changes && u->ctx_live)
		unit_ctx_changes(u, r);
	if (send_task_msg(u, &m, 0, id > u->task_done_id ? id : u->task_done_id, &eb) < 0)
		ulog(u, "ERROR", "cannot record the end of task %lld: %s", (long long)id, eb.msg);
	json_decref(res);
	json_decref(r->relations);
	json_decref(r->state);
	json_decref(r->ports);
	json_decref(r->leader_settings);
}

void unit_task_recover(struct unit *u)
{
	if (u->task_id <= 0 || u->task)
		return;
	ulog(u, "WARNING", "task %lld was interrupted by the agent's restart", (long long)u->task_id);
	report_result(u, u->task_id, "failed", "action terminated", NULL, false);
}

static void task_free(struct unit_task *t)
{
	struct agent *a = t->u->a;

	if (t->run)
		a->io.hook_free(a->io.data, t->run);
	a->io.timer_free(a->io.data, t->timer);
	buf_done(&t->out);
	buf_done(&t->err);
	free(t->command);
	free(t);
}

void unit_task_free(struct unit *u)
{
	struct unit_task *t = u->task;

	if (!t)
		return;
	if (t->run)
		u->a->running--;
	u->task = NULL;
	task_free(t);
}

static void capture(struct buf *b, bool *cut, const char *line)
{
	size_t n = strlen(line);

	if (*cut)
		return;
	if (b->len + n + 1 > TASK_OUTPUT_MAX) {
		*cut = true;
		return;
	}
	buf_add(b, line, n);
	buf_addc(b, '\n');
}

static void on_task_output(void *data, bool is_stderr, const char *line)
{
	struct unit_task *t = data;
	struct unit *u = t->u;
	char module[UNITER_HOOK_MAX + PROTO_NAME_MAX + 32];

	capture(is_stderr ? &t->err : &t->out, is_stderr ? &t->err_cut : &t->out_cut, line);
	snprintf(module, sizeof(module), "unit.%s.%s", u->name, t->name);
	agent_log(u->a, u, is_stderr ? "WARNING" : "DEBUG", module, "%s", line);
}

/* The task's results: action-set's map, then return-code, stdout and stderr. */
static json_t *task_results(struct unit_task *t, int code)
{
	struct hook_action *act = t->u->ctx.action;
	json_t *res = act && json_is_object(act->results) ? json_deep_copy(act->results) : json_object();

	json_object_set_new(res, "return-code", json_integer(code));
	for (int i = 0; i < 2; i++) {
		struct buf *b = i ? &t->err : &t->out;
		json_t *v;

		if (!b->len)
			continue;
		/* Output that is not UTF-8 cannot travel as a JSON string: say so instead. */
		v = json_stringn(b->data, b->len);
		json_object_set_new(res, i ? "stderr" : "stdout",
				    v ? v : json_string("(output is not valid UTF-8)"));
	}
	return res;
}

static void finish_task(struct unit_task *t, int code, bool signaled)
{
	struct unit *u = t->u;
	struct agent *a = u->a;
	struct hook_action *act = u->ctx.action;
	const char *status = "completed";
	char msg[PROTO_TEXT_MAX < 1024 ? PROTO_TEXT_MAX : 1024] = "";
	json_t *results;

	if (t->run) {
		a->io.hook_free(a->io.data, t->run);
		t->run = NULL;
		a->running--;
	}
	a->io.timer_disarm(a->io.data, t->timer);
	if (t->aborting) {
		status = "aborted";
		snprintf(msg, sizeof(msg), "action aborted");
	} else if (t->timed_out) {
		status = "failed";
		snprintf(msg, sizeof(msg), "timed out");
	} else if (!t->exec && act && act->failed) {
		status = "failed";
		snprintf(msg, sizeof(msg), "%s", act->fail_message ? act->fail_message : "");
	} else if (!t->exec && code != 0) {
		status = "failed";
		if (signaled)
			snprintf(msg, sizeof(msg), "signal: killed");
		else
			snprintf(msg, sizeof(msg), "exit status %d", code);
	}
	results = task_results(t, code);
	ulog(u, "INFO", "task %lld (%s) %s%s%s", (long long)t->id, t->name, status, *msg ? ": " : "",
		 msg);
	report_result(u, t->id, status, msg, results, !strcmp(status, "completed"));
	json_decref(results);
	u->task = NULL;
	task_free(t);
	unit_ctx_clear(u);
	unit_kick(u);
	unit_schedule_pump(a);
}

static void on_task_done(void *data, int code, bool signaled)
{
	finish_task(data, code, signaled);
}

static void on_task_timeout(void *arg)
{
	struct unit_task *t = arg;

	if (!t->run)
		return;
	t->timed_out = true;
	t->u->a->io.hook_kill(t->u->a->io.data, t->run, SIGKILL);
}

void unit_task_start(struct unit *u)
{
	struct agent *a = u->a;
	json_t *e = next_entry(u);
	struct unit_task *t;
	struct proto_msg m;
	struct errbuf eb;
	int r;

	if (!e || u->task)
		return;
	int64_t id = json_integer_value(json_object_get(e, "id"));
	const char *st = jstr(json_object_get(e, "status"));

	if (!strcmp(st, "aborting")) {
		/* Cancelled after it was handed out but before it ran here. */
		report_result(u, id, "aborted", "action aborted", NULL, false);
		return;
	}
	if (!strcmp(st, "running")) {
		/* The controller thinks it runs, but this agent has no record of it (its store was
		 * lost): it cannot be finished, only failed. */
		report_result(u, id, "failed", "action terminated", NULL, false);
		return;
	}
	t = xcalloc(1, sizeof(*t));
	t->u = u;
	t->id = id;
	snprintf(t->id_str, sizeof(t->id_str), "%lld", (long long)id);
	t->exec = !strcmp(jstr(json_object_get(e, "kind")), "exec");
	snprintf(t->name, sizeof(t->name), "%s", jstr(json_object_get(e, "name")));
	if (t->exec) {
		json_t *p = json_object_get(e, "params");

		t->command = xstrdup(jstr(json_object_get(p, "command")));
		t->timeout_ms = json_integer_value(json_object_get(p, "timeout-ms"));
	}
	buf_init(&t->out);
	buf_init(&t->err);
	t->timer = a->io.timer_new(a->io.data, on_task_timeout, t);

	proto_msg_init(&m, PROTO_ACTION_STARTED);
	m.u.action_started.unit = u->name;
	m.u.action_started.task = id;
	if (send_task_msg(u, &m, id, u->task_done_id, &eb) < 0) {
		ulog(u, "ERROR", "cannot record the start of task %lld: %s", (long long)id, eb.msg);
		task_free(t);
		return;
	}
	u->task = t;
	unit_ctx_fill(u, t->exec ? "juju-exec" : t->name, NULL);
	if (!t->exec) {
		struct hook_action *act = xcalloc(1, sizeof(*act));

		act->name = xstrdup(t->name);
		act->id = xstrdup(t->id_str);
		act->params = json_deep_copy(json_object_get(e, "params"));
		act->results = json_object();
		u->ctx.action = act;
	}
	ulog(u, "INFO", "running task %lld (%s)", (long long)id, t->exec ? t->command : t->name);

	struct hookrun_env env = {
		.unit = u->name, .hook = t->name, .charm_dir = u->charm_dir,
		.context_id = u->context_id, .socket_path = a->socket_path,
		.tools_dir = a->tools_dir, .model_name = a->model_name,
		.model_uuid = a->model_uuid, .machine = atoi(a->machine),
		.api_addresses = a->api_addresses, .relation_id = -1,
		.netns = u->pod ? u->pod_netns : NULL, .principal = u->principal,
		.action = t->exec ? NULL : t->name, .action_id = t->id_str,
		.command = t->exec ? t->command : NULL,
	};
	struct hookrun_cbs cbs = { .output = on_task_output, .done = on_task_done, .data = t };
	char *cdir = u->n_containers ? xasprintf("%s/containers", u->dir) : NULL;

	env.containers_dir = cdir;
	a->running++;
	r = a->io.hook_start(a->io.data, &env, &cbs, &t->run, &eb);
	free(cdir);
	if (r == 0) {
		if (t->timeout_ms > 0)
			a->io.timer_arm(a->io.data, t->timer, (uint64_t)t->timeout_ms);
		unit_progress_dirty(u);
		return;
	}
	a->running--;
	t->run = NULL;
	if (r == 1) {
		/* No dispatch and no actions/<name>: nothing can run it. */
		char msg[UNITER_HOOK_MAX + 64];

		snprintf(msg, sizeof(msg), "action \"%s\" not implemented on unit \"%s\"", t->name, u->name);
		ulog(u, "ERROR", "%s", msg);
		report_result(u, id, "failed", msg, NULL, false);
	} else {
		ulog(u, "ERROR", "cannot run task %lld: %s", (long long)id, eb.msg);
		report_result(u, id, "failed", eb.msg, NULL, false);
	}
	u->task = NULL;
	task_free(t);
	unit_ctx_clear(u);
	unit_kick(u);
}

void unit_task_goal(struct unit *u)
{
	struct unit_task *t = u->task;
	json_t *e;

	if (!t || !t->run || t->aborting)
		return;
	e = goal_entry(u, t->id);
	/* cancel-task of a running task ("aborting"), or a task the controller dropped. */
	if (!e || !strcmp(jstr(json_object_get(e, "status")), "aborting")) {
		ulog(u, "INFO", "aborting task %lld", (long long)t->id);
		t->aborting = true;
		u->a->io.hook_kill(u->a->io.data, t->run, SIGKILL);
	}
}

void unit_task_log(struct hook_ctx *ctx, const char *message)
{
	struct unit *u = ctx->agent;
	struct proto_msg m;
	struct errbuf eb;
	struct batch b;

	char *cut = NULL;

	if (!u->task)
		return;
	if (strlen(message) > PROTO_TEXT_MAX) {
		/* Bounded like every text on the wire, cut at a character boundary. */
		size_t n = PROTO_TEXT_MAX;

		while (n > 0 && ((unsigned char)message[n] & 0xc0) == 0x80)
			n--;
		cut = xstrndup(message, n);
		message = cut;
	}
	proto_msg_init(&m, PROTO_ACTION_LOG);
	m.u.action_log.unit = u->name;
	m.u.action_log.task = u->task->id;
	m.u.action_log.time_ns = (int64_t)u->a->io.wall_ns(u->a->io.data);
	m.u.action_log.message = message;
	batch_init(&b, u);
	batch_add(&b, &m);
	if (batch_commit(&b, NULL, &eb) < 0)
		ulog(u, "WARNING", "cannot record an action-log message: %s", eb.msg);
	batch_done(&b);
	free(cut);
}
