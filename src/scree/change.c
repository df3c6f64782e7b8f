/* change.c - changes, tasks, lanes and the task runner; see change.h. */
#include "change.h"

#include "lib/gofmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/jtext.h"
#include "lib/log.h"

static const char *const status_names[CHG_STATUS_MAX] = {
	[CHG_DEFAULT] = "Default",
	[CHG_DO] = "Do",
	[CHG_DOING] = "Doing",
	[CHG_DONE] = "Done",
	[CHG_ABORT] = "Abort",
	[CHG_UNDO] = "Undo",
	[CHG_UNDOING] = "Undoing",
	[CHG_UNDONE] = "Undone",
	[CHG_HOLD] = "Hold",
	[CHG_ERROR] = "Error",
	[CHG_WAIT] = "Wait",
};

/* Highest priority first (upstream Change.Status). */
static const enum chg_status status_priority[] = {
	CHG_ABORT, CHG_UNDOING, CHG_UNDO, CHG_DOING, CHG_DO, CHG_WAIT,
	CHG_ERROR, CHG_UNDONE, CHG_DONE, CHG_HOLD,
};

const char *chg_status_name(enum chg_status s)
{
	return (unsigned)s < CHG_STATUS_MAX ? status_names[s] : "Default";
}

enum chg_status chg_status_from_name(const char *s)
{
	for (int i = 0; i < CHG_STATUS_MAX; i++)
		if (s && strcmp(s, status_names[i]) == 0)
			return (enum chg_status)i;
	return CHG_STATUS_MAX;
}

bool chg_status_ready(enum chg_status s)
{
	return s == CHG_DONE || s == CHG_UNDONE || s == CHG_HOLD || s == CHG_ERROR;
}

static uint64_t default_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void chg_store_init(struct chg_store *s, const struct chg_ops *ops, void *data, uint64_t (*clock)(void))
{
	memset(s, 0, sizeof(*s));
	s->cs_list.c_next = s->cs_list.c_prev = &s->cs_list;
	s->cs_ops = ops;
	s->cs_data = data;
	s->cs_clock = clock ? clock : default_clock;
}

/* The kinds scree's managers use: records point into this table instead of copying. */
static const char *const known_kinds[] = {
	"exec", "start", "stop", "restart", "autostart", "replan", "perform-check", "recover-check",
};

static const char *kind_dup(const char *kind)
{
	for (size_t i = 0; i < sizeof(known_kinds) / sizeof(known_kinds[0]); i++)
		if (strcmp(kind, known_kinds[i]) == 0)
			return known_kinds[i];
	return xstrdup(kind);
}

static void kind_free(const char *kind)
{
	for (size_t i = 0; i < sizeof(known_kinds) / sizeof(known_kinds[0]); i++)
		if (kind == known_kinds[i])
			return;
	free((char *)kind);
}

static void task_free(struct task *t)
{
	if (!t)
		return;
	kind_free(t->t_kind);
	for (size_t i = 0; i < t->t_nlog; i++)
		free(t->t_log[i]);
	free(t->t_log);
	json_decref(t->t_priv);
	free(t->t_api_data);
	if (t->t_lanes != &t->t_lane1)
		free(t->t_lanes);
	free(t->t_wait);
	free(t);
}

static void change_free(struct change *c)
{
	if (!c)
		return;
	/* Pending watchers are unlinked; they must not outlive the change unnoticed. */
	while (c->c_watchers.w_next != &c->c_watchers)
		chg_watch_remove(c->c_watchers.w_next);
	for (size_t i = 0; i < c->c_ntasks; i++)
		task_free(c->c_tasks[i]);
	if (c->c_tasks != &c->c_task1)
		free(c->c_tasks);
	kind_free(c->c_kind);
	json_decref(c->c_priv);
	free(c->c_api_data);
	json_decref(c->c_notice_data);
	free(c);
}

static void change_unlink(struct change *c)
{
	c->c_prev->c_next = c->c_next;
	c->c_next->c_prev = c->c_prev;
	c->c_store->cs_count--;
}

void chg_store_done(struct chg_store *s)
{
	while (s->cs_list.c_next != &s->cs_list) {
		struct change *c = s->cs_list.c_next;

		change_unlink(c);
		change_free(c);
	}
}

static void dirty(struct chg_store *s)
{
	if (s->cs_ops && s->cs_ops->dirty)
		s->cs_ops->dirty(s->cs_data);
}

static struct change *change_alloc(struct chg_store *s, int id, const char *kind, const char *summary)
{
	size_t n = strlen(summary) + 1;
	struct change *c = xcalloc(1, sizeof(*c) + n);

	c->c_id = id;
	c->c_kind = kind_dup(kind);
	c->c_summary = memcpy(c + 1, summary, n);
	c->c_watchers.w_next = c->c_watchers.w_prev = &c->c_watchers;
	c->c_store = s;
	c->c_prev = s->cs_list.c_prev;
	c->c_next = &s->cs_list;
	s->cs_list.c_prev->c_next = c;
	s->cs_list.c_prev = c;
	s->cs_count++;
	return c;
}

struct change *chg_new_with_notice_data(struct chg_store *s, const char *kind, const char *summary,
					json_t *notice_data)
{
	struct change *c;

	chg_store_prune(s);
	c = change_alloc(s, ++s->cs_last_change_id, kind, summary);
	c->c_spawn_ns = s->cs_clock();
	c->c_last_status = CHG_HOLD; /* a change without tasks */
	c->c_notice_data = json_incref(notice_data);
	if (s->cs_ops && s->cs_ops->created)
		s->cs_ops->created(s->cs_data, c);
	dirty(s);
	return c;
}

struct change *chg_new(struct chg_store *s, const char *kind, const char *summary)
{
	return chg_new_with_notice_data(s, kind, summary, NULL);
}

static struct task *task_alloc(struct change *c, int id, const char *kind, const char *summary)
{
	size_t n = strlen(summary) + 1;
	struct task *t = xcalloc(1, sizeof(*t) + n);

	t->t_id = id;
	t->t_kind = kind_dup(kind);
	t->t_summary = memcpy(t + 1, summary, n);
	t->t_lanes = &t->t_lane1;
	t->t_chg = c;
	if (c->c_ntasks == 0) {
		c->c_tasks = &c->c_task1;
	} else if (c->c_tasks == &c->c_task1) {
		c->c_tasks = xmalloc(2 * sizeof(*c->c_tasks));
		c->c_tasks[0] = c->c_task1;
	} else {
		c->c_tasks = xrealloc(c->c_tasks, (c->c_ntasks + 1) * sizeof(*c->c_tasks));
	}
	c->c_tasks[c->c_ntasks++] = t;
	return t;
}

struct task *chg_task_new(struct change *c, const char *kind, const char *summary)
{
	struct task *t = task_alloc(c, ++c->c_store->cs_last_task_id, kind, summary);

	t->t_status = CHG_DO;
	t->t_spawn_ns = c->c_store->cs_clock();
	c->c_last_status = chg_status(c);
	dirty(c->c_store);
	return t;
}

int chg_new_lane(struct chg_store *s)
{
	return ++s->cs_last_lane_id;
}

void chg_task_join_lane(struct task *t, int lane)
{
	for (size_t i = 0; i < t->t_nlanes; i++)
		if (t->t_lanes[i] == lane)
			return;
	if (t->t_nlanes == 0) {
		t->t_lanes = &t->t_lane1;
	} else if (t->t_lanes == &t->t_lane1) {
		t->t_lanes = xmalloc(2 * sizeof(int));
		t->t_lanes[0] = t->t_lane1;
	} else {
		t->t_lanes = xrealloc(t->t_lanes, (t->t_nlanes + 1) * sizeof(int));
	}
	t->t_lanes[t->t_nlanes++] = lane;
}

void chg_task_wait_for(struct task *t, struct task *prereq)
{
	for (size_t i = 0; i < t->t_nwait; i++)
		if (t->t_wait[i] == prereq)
			return;
	t->t_wait = xrealloc(t->t_wait, (t->t_nwait + 1) * sizeof(*t->t_wait));
	t->t_wait[t->t_nwait++] = prereq;
}

enum chg_status chg_status(const struct change *c)
{
	size_t counts[CHG_STATUS_MAX] = { 0 };

	if (c->c_set_status != CHG_DEFAULT)
		return c->c_set_status;
	if (c->c_ntasks == 0)
		return CHG_HOLD;
	for (size_t i = 0; i < c->c_ntasks; i++)
		counts[c->c_tasks[i]->t_status]++;
	for (size_t i = 0; i < sizeof(status_priority) / sizeof(status_priority[0]); i++)
		if (counts[status_priority[i]])
			return status_priority[i];
	return CHG_HOLD;
}

bool chg_ready(const struct change *c)
{
	return chg_status_ready(chg_status(c));
}

/* Re-derives the status; reports a transition and wakes watchers when ready. */
static void change_update(struct change *c)
{
	struct chg_store *s = c->c_store;
	enum chg_status st = chg_status(c), old = c->c_last_status;

	if (st == old)
		return;
	c->c_last_status = st;
	if (chg_status_ready(st) && (!chg_status_ready(old) || !c->c_ready_ns))
		c->c_ready_ns = s->cs_clock();
	else if (!chg_status_ready(st))
		c->c_ready_ns = 0;
	if (s->cs_ops && s->cs_ops->status_changed)
		s->cs_ops->status_changed(s->cs_data, c, old, st);
	dirty(s);
	if (chg_status_ready(st)) {
		while (c->c_watchers.w_next != &c->c_watchers) {
			struct chg_watch *w = c->c_watchers.w_next;

			chg_watch_remove(w);
			w->w_cb(w, c);
		}
	}
}

void chg_set_status(struct change *c, enum chg_status st)
{
	c->c_set_status = st;
	change_update(c);
}

bool chg_err(const struct change *c, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	bool any = false;

	if (chg_status(c) != CHG_ERROR)
		return false;
	buf_init(&b);
	buf_adds(&b, "cannot perform the following tasks:");
	for (size_t i = 0; i < c->c_ntasks; i++) {
		const struct task *t = c->c_tasks[i];

		if (t->t_status != CHG_ERROR)
			continue;
		for (size_t j = 0; j < t->t_nlog; j++) {
			const char *m = strstr(t->t_log[j], " ERROR ");

			if (!m)
				continue;
			buf_addf(&b, "\n- %s (%s)", t->t_summary, m + 7);
			any = true;
		}
	}
	if (!any) {
		buf_reset(&b);
		buf_addf(&b, "internal inconsistency: change \"%s\" in ErrorStatus with no task errors logged",
			 c->c_kind);
	}
	snprintf(out, n, "%s", b.data);
	buf_done(&b);
	return true;
}

struct change *chg_find(struct chg_store *s, int id)
{
	for (struct change *c = s->cs_list.c_next; c != &s->cs_list; c = c->c_next)
		if (c->c_id == id)
			return c;
	return NULL;
}

struct task *chg_find_task(struct chg_store *s, int id)
{
	for (struct change *c = s->cs_list.c_next; c != &s->cs_list; c = c->c_next)
		for (size_t i = 0; i < c->c_ntasks; i++)
			if (c->c_tasks[i]->t_id == id)
				return c->c_tasks[i];
	return NULL;
}

static void task_add_log(struct task *t, const char *level, const char *msg)
{
	char ts[64];

	/* Task log time: RFC 3339 in local time with seconds, as Go's time.RFC3339. */
	gofmt_rfc3339_local((time_t)(t->t_chg->c_store->cs_clock() / 1000000000ull), ts, sizeof(ts));
	if (t->t_nlog == CHG_TASK_MAX_LOG) {
		free(t->t_log[0]);
		memmove(&t->t_log[0], &t->t_log[1], (CHG_TASK_MAX_LOG - 1) * sizeof(t->t_log[0]));
		t->t_nlog--;
	} else {
		/* Most tasks log nothing or a line: the array grows as needed. */
		t->t_log = xrealloc(t->t_log, (t->t_nlog + 1) * sizeof(*t->t_log));
	}
	t->t_log[t->t_nlog++] = xasprintf("%s %s %s", ts, level, msg);
	dirty(t->t_chg->c_store);
}

void chg_task_log_error(struct task *t, const char *msg)
{
	task_add_log(t, "ERROR", msg);
}

void chg_task_logf(struct task *t, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	task_add_log(t, "INFO", b.data);
	buf_done(&b);
}

static void task_set_status(struct task *t, enum chg_status st)
{
	t->t_status = st;
	if (chg_status_ready(st))
		t->t_ready_ns = t->t_chg->c_store->cs_clock();
}

static bool shares_lane(const struct task *a, const struct task *b)
{
	for (size_t i = 0; i < a->t_nlanes; i++)
		for (size_t j = 0; j < b->t_nlanes; j++)
			if (a->t_lanes[i] == b->t_lanes[j])
				return true;
	return false;
}

/* Holds every unstarted task that waits (directly or not) on a task that ended without
 * being Done, so the change can become ready. */
static void hold_blocked(struct change *c)
{
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < c->c_ntasks; i++) {
			struct task *t = c->c_tasks[i];

			if (t->t_status != CHG_DO)
				continue;
			for (size_t j = 0; j < t->t_nwait; j++) {
				enum chg_status ws = t->t_wait[j]->t_status;

				if (chg_status_ready(ws) && ws != CHG_DONE) {
					task_set_status(t, CHG_HOLD);
					again = true;
					break;
				}
			}
		}
	}
}

static void abort_task(struct task *t)
{
	struct chg_store *s = t->t_chg->c_store;

	if (t->t_status == CHG_DO) {
		task_set_status(t, CHG_HOLD);
	} else if (t->t_status == CHG_DOING) {
		task_set_status(t, CHG_ABORT);
		if (s->cs_ops && s->cs_ops->abort_task)
			s->cs_ops->abort_task(s->cs_data, t);
	}
}

void chg_task_done(struct task *t)
{
	if (t->t_status == CHG_ABORT)
		task_set_status(t, CHG_UNDONE);
	else
		task_set_status(t, CHG_DONE);
	t->t_run = NULL;
	hold_blocked(t->t_chg);
	change_update(t->t_chg);
	dirty(t->t_chg->c_store);
}

void chg_task_fail(struct task *t, const char *msg)
{
	struct change *c = t->t_chg;

	task_add_log(t, "ERROR", msg);
	task_set_status(t, CHG_ERROR);
	t->t_run = NULL;
	for (size_t i = 0; i < c->c_ntasks; i++) {
		struct task *o = c->c_tasks[i];

		if (o != t && shares_lane(o, t))
			abort_task(o);
	}
	hold_blocked(c);
	change_update(c);
	dirty(c->c_store);
}

int chg_abort(struct change *c)
{
	if (chg_ready(c))
		return -EBUSY;
	for (size_t i = 0; i < c->c_ntasks; i++)
		abort_task(c->c_tasks[i]);
	hold_blocked(c);
	change_update(c);
	dirty(c->c_store);
	return 0;
}

static bool task_runnable(const struct task *t)
{
	if (t->t_status != CHG_DO)
		return false;
	for (size_t i = 0; i < t->t_nwait; i++)
		if (t->t_wait[i]->t_status != CHG_DONE)
			return false;
	return true;
}

void chg_store_run(struct chg_store *s)
{
	for (struct change *c = s->cs_list.c_next; c != &s->cs_list; c = c->c_next) {
		if (chg_ready(c))
			continue;
		for (size_t i = 0; i < c->c_ntasks; i++) {
			struct task *t = c->c_tasks[i];

			if (!task_runnable(t))
				continue;
			task_set_status(t, CHG_DOING);
			change_update(c);
			dirty(s);
			if (s->cs_ops && s->cs_ops->do_task)
				s->cs_ops->do_task(s->cs_data, t);
			else
				chg_task_done(t);
		}
	}
}

void chg_watch_add(struct change *c, struct chg_watch *w)
{
	w->w_next = &c->c_watchers;
	w->w_prev = c->c_watchers.w_prev;
	c->c_watchers.w_prev->w_next = w;
	c->c_watchers.w_prev = w;
}

void chg_watch_remove(struct chg_watch *w)
{
	if (!w->w_next)
		return;
	w->w_prev->w_next = w->w_next;
	w->w_next->w_prev = w->w_prev;
	w->w_next = w->w_prev = NULL;
}

void chg_fmt_time(uint64_t wall_ns, char *out, size_t n)
{
	log_fmt_rfc3339nano(wall_ns, out, n);
}

void chg_task_set_api_data(struct task *t, json_t *v)
{
	free(t->t_api_data);
	t->t_api_data = jtext_dump(v);
	json_decref(v);
}

static void put_str(struct buf *b, const char *key, const char *v)
{
	buf_addf(b, "\"%s\":", key);
	gofmt_json_string(b, v, strlen(v));
}

static void put_time(struct buf *b, const char *key, uint64_t ns)
{
	char ts[64];

	chg_fmt_time(ns, ts, sizeof(ts));
	buf_addf(b, ",\"%s\":\"%s\"", key, ts);
}

/* Field order as upstream's (§11). */
void chg_task_write_api_json(struct buf *b, const struct task *t)
{
	buf_addf(b, "{\"id\":\"%d\",", t->t_id);
	put_str(b, "kind", t->t_kind);
	buf_addc(b, ',');
	put_str(b, "summary", t->t_summary);
	buf_addf(b, ",\"status\":\"%s\"", chg_status_name(t->t_status));
	if (t->t_nlog) {
		buf_adds(b, ",\"log\":[");
		for (size_t i = 0; i < t->t_nlog; i++) {
			if (i)
				buf_addc(b, ',');
			gofmt_json_string(b, t->t_log[i], strlen(t->t_log[i]));
		}
		buf_addc(b, ']');
	}
	buf_addf(b, ",\"progress\":{\"label\":\"\",\"done\":%d,\"total\":1}", t->t_status == CHG_DO ? 0 : 1);
	put_time(b, "spawn-time", t->t_spawn_ns);
	if (t->t_ready_ns && chg_status_ready(t->t_status))
		put_time(b, "ready-time", t->t_ready_ns);
	if (t->t_api_data)
		buf_addf(b, ",\"data\":%s", t->t_api_data);
	buf_addc(b, '}');
}

void chg_write_api_json(struct buf *b, const struct change *c)
{
	enum chg_status st = chg_status(c);
	char err[4096];

	buf_addf(b, "{\"id\":\"%d\",", c->c_id);
	put_str(b, "kind", c->c_kind);
	buf_addc(b, ',');
	put_str(b, "summary", c->c_summary);
	buf_addf(b, ",\"status\":\"%s\"", chg_status_name(st));
	if (c->c_ntasks) {
		buf_adds(b, ",\"tasks\":[");
		for (size_t i = 0; i < c->c_ntasks; i++) {
			if (i)
				buf_addc(b, ',');
			chg_task_write_api_json(b, c->c_tasks[i]);
		}
		buf_addc(b, ']');
	}
	buf_addf(b, ",\"ready\":%s", chg_status_ready(st) ? "true" : "false");
	if (chg_err(c, err, sizeof(err))) {
		buf_addc(b, ',');
		put_str(b, "err", err);
	}
	put_time(b, "spawn-time", c->c_spawn_ns);
	if (chg_status_ready(st) && c->c_ready_ns)
		put_time(b, "ready-time", c->c_ready_ns);
	if (c->c_api_data)
		buf_addf(b, ",\"data\":%s", c->c_api_data);
	buf_addc(b, '}');
}

static json_t *parse_buf(struct buf *b)
{
	json_t *v = json_loadb(b->data, b->len, 0, NULL);

	buf_done(b);
	return v;
}

json_t *chg_task_to_api_json(const struct task *t)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	chg_task_write_api_json(&b, t);
	return parse_buf(&b);
}

json_t *chg_to_api_json(const struct change *c)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	chg_write_api_json(&b, c);
	return parse_buf(&b);
}

/* ---- persistence ---- */

static json_t *task_to_state(const struct task *t)
{
	json_t *o = json_object(), *a;

	json_object_set_new(o, "id", json_integer(t->t_id));
	json_object_set_new(o, "kind", json_string(t->t_kind));
	json_object_set_new(o, "summary", json_string(t->t_summary));
	json_object_set_new(o, "status", json_string(chg_status_name(t->t_status)));
	a = json_array();
	for (size_t i = 0; i < t->t_nlog; i++)
		json_array_append_new(a, json_string(t->t_log[i]));
	json_object_set_new(o, "log", a);
	json_object_set_new(o, "spawn-time", json_integer((json_int_t)t->t_spawn_ns));
	json_object_set_new(o, "ready-time", json_integer((json_int_t)t->t_ready_ns));
	if (t->t_priv)
		json_object_set(o, "priv", t->t_priv);
	if (t->t_api_data)
		json_object_set_new(o, "api-data", jtext_parse(t->t_api_data));
	a = json_array();
	for (size_t i = 0; i < t->t_nlanes; i++)
		json_array_append_new(a, json_integer(t->t_lanes[i]));
	json_object_set_new(o, "lanes", a);
	a = json_array();
	for (size_t i = 0; i < t->t_nwait; i++)
		json_array_append_new(a, json_integer(t->t_wait[i]->t_id));
	json_object_set_new(o, "wait-tasks", a);
	return o;
}

json_t *chg_store_to_json(const struct chg_store *s)
{
	json_t *root = json_object(), *arr = json_array();

	json_object_set_new(root, "last-change-id", json_integer(s->cs_last_change_id));
	json_object_set_new(root, "last-task-id", json_integer(s->cs_last_task_id));
	json_object_set_new(root, "last-lane-id", json_integer(s->cs_last_lane_id));
	for (const struct change *c = s->cs_list.c_next; c != &s->cs_list; c = c->c_next) {
		json_t *o = json_object(), *ta = json_array();

		json_object_set_new(o, "id", json_integer(c->c_id));
		json_object_set_new(o, "kind", json_string(c->c_kind));
		json_object_set_new(o, "summary", json_string(c->c_summary));
		json_object_set_new(o, "status", json_string(chg_status_name(c->c_set_status)));
		json_object_set_new(o, "spawn-time", json_integer((json_int_t)c->c_spawn_ns));
		json_object_set_new(o, "ready-time", json_integer((json_int_t)c->c_ready_ns));
		if (c->c_priv)
			json_object_set(o, "priv", c->c_priv);
		if (c->c_api_data)
			json_object_set_new(o, "api-data", jtext_parse(c->c_api_data));
		if (c->c_notice_data)
			json_object_set(o, "notice-data", c->c_notice_data);
		for (size_t i = 0; i < c->c_ntasks; i++)
			json_array_append_new(ta, task_to_state(c->c_tasks[i]));
		json_object_set_new(o, "tasks", ta);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "changes", arr);
	return root;
}

static int get_int(json_t *o, const char *key, json_int_t *ret)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return -EINVAL;
	*ret = json_integer_value(v);
	return 0;
}

static const char *get_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void default_fixup(struct task *t, void *data)
{
	(void)data;
	chg_task_fail(t, "daemon restarted while task was running, not retrying");
}

int chg_store_load_json(struct chg_store *s, json_t *root, void (*fixup)(struct task *t, void *data),
			void *data, struct errbuf *eb)
{
	json_int_t lc = 0, lt = 0, ll = 0;
	json_t *arr, *co;
	size_t ci;
	int rv = -EINVAL;

	if (!json_is_object(root))
		return errbuf_set(eb, "changes state is not an object"), -EINVAL;
	get_int(root, "last-change-id", &lc);
	get_int(root, "last-task-id", &lt);
	get_int(root, "last-lane-id", &ll);
	s->cs_last_change_id = (int)lc;
	s->cs_last_task_id = (int)lt;
	s->cs_last_lane_id = (int)ll;
	arr = json_object_get(root, "changes");
	if (arr && !json_is_array(arr))
		return errbuf_set(eb, "\"changes\" is not a list"), -EINVAL;
	json_array_foreach(arr, ci, co) {
		json_int_t id = 0, sp = 0, rd = 0;
		const char *kind = get_str(co, "kind"), *sum = get_str(co, "summary");
		json_t *tarr = json_object_get(co, "tasks"), *to;
		struct change *c;
		size_t ti;

		if (get_int(co, "id", &id) < 0 || !kind || !sum) {
			errbuf_set(eb, "change %zu: missing id, kind or summary", ci);
			goto out;
		}
		c = change_alloc(s, (int)id, kind, sum);
		get_int(co, "spawn-time", &sp);
		get_int(co, "ready-time", &rd);
		c->c_spawn_ns = (uint64_t)sp;
		c->c_ready_ns = (uint64_t)rd;
		c->c_set_status = chg_status_from_name(get_str(co, "status"));
		if (c->c_set_status == CHG_STATUS_MAX)
			c->c_set_status = CHG_DEFAULT;
		c->c_priv = json_incref(json_object_get(co, "priv"));
		c->c_api_data = jtext_dump(json_object_get(co, "api-data"));
		if (json_is_object(json_object_get(co, "notice-data")))
			c->c_notice_data = json_incref(json_object_get(co, "notice-data"));
		json_array_foreach(tarr, ti, to) {
			json_int_t tid = 0, tsp = 0, trd = 0;
			const char *tk = get_str(to, "kind"), *ts = get_str(to, "summary");
			struct task *t;
			json_t *la, *lv;
			size_t li;

			if (get_int(to, "id", &tid) < 0 || !tk || !ts) {
				errbuf_set(eb, "change %d task %zu: missing id, kind or summary", c->c_id, ti);
				goto out;
			}
			t = task_alloc(c, (int)tid, tk, ts);
			t->t_status = chg_status_from_name(get_str(to, "status"));
			if (t->t_status == CHG_STATUS_MAX || t->t_status == CHG_DEFAULT)
				t->t_status = CHG_HOLD;
			get_int(to, "spawn-time", &tsp);
			get_int(to, "ready-time", &trd);
			t->t_spawn_ns = (uint64_t)tsp;
			t->t_ready_ns = (uint64_t)trd;
			t->t_priv = json_incref(json_object_get(to, "priv"));
			t->t_api_data = jtext_dump(json_object_get(to, "api-data"));
			la = json_object_get(to, "log");
			json_array_foreach(la, li, lv) {
				if (json_is_string(lv) && t->t_nlog < CHG_TASK_MAX_LOG) {
					t->t_log = xrealloc(t->t_log, (t->t_nlog + 1) * sizeof(*t->t_log));
					t->t_log[t->t_nlog++] = xstrdup(json_string_value(lv));
				}
			}
			la = json_object_get(to, "lanes");
			json_array_foreach(la, li, lv) {
				if (json_is_integer(lv))
					chg_task_join_lane(t, (int)json_integer_value(lv));
			}
		}
		/* Second pass: prerequisites refer to tasks of the same change. */
		json_array_foreach(tarr, ti, to) {
			json_t *wa = json_object_get(to, "wait-tasks"), *wv;
			size_t wi;

			json_array_foreach(wa, wi, wv) {
				for (size_t k = 0; k < c->c_ntasks; k++)
					if (c->c_tasks[k]->t_id == json_integer_value(wv))
						chg_task_wait_for(c->c_tasks[ti], c->c_tasks[k]);
			}
		}
		c->c_last_status = chg_status(c);
	}
	/* Interrupted work is not resumed: a running task is handed to fixup. */
	for (struct change *c = s->cs_list.c_next; c != &s->cs_list; c = c->c_next) {
		for (size_t i = 0; i < c->c_ntasks; i++) {
			struct task *t = c->c_tasks[i];

			if (t->t_status == CHG_DOING || t->t_status == CHG_ABORT) {
				if (t->t_status == CHG_ABORT)
					t->t_status = CHG_DOING;
				(fixup ? fixup : default_fixup)(t, data);
			}
		}
	}
	rv = 0;
out:
	if (rv < 0) {
		chg_store_done(s);
		chg_store_init(s, s->cs_ops, s->cs_data, s->cs_clock);
	}
	return rv;
}

void chg_store_prune(struct chg_store *s)
{
	uint64_t now = s->cs_clock();
	size_t nready = 0;

	for (struct change *c = s->cs_list.c_next; c != &s->cs_list; c = c->c_next)
		if (chg_ready(c))
			nready++;
	for (struct change *c = s->cs_list.c_next; c != &s->cs_list;) {
		struct change *next = c->c_next;

		if (chg_ready(c) && (nready >= CHG_MAX_READY || (c->c_ready_ns && now > c->c_ready_ns &&
								  now - c->c_ready_ns > CHG_READY_PRUNE_NS))) {
			change_unlink(c);
			change_free(c);
			nready--;
		}
		c = next;
	}
}
