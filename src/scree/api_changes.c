/* api_changes.c - GET /v1/changes, GET/POST /v1/changes/{id}, GET /v1/changes/{id}/wait
 * and GET /v1/tasks/{id} (§11).  /wait is a long-poll: the request is parked on the
 * change's watch list and answered when it becomes ready, at the timeout (504), or dropped
 * when the client goes away; other requests keep being served meanwhile. */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"

struct api_waiter {
	struct api_waiter *next, *prev;
	struct api_call call;
	struct chg_watch watch;
	struct loop_timer *timer;
	int64_t timeout_ns;
};

static struct change *find_change(struct api_call *c, const char *id)
{
	int64_t v;

	if (strnum_i64(id, 1, INT32_MAX, &v) < 0)
		return NULL;
	return chg_find(&c->d->changes, (int)v);
}

static bool change_has_service(const struct change *chg, const char *svc)
{
	json_t *names = json_object_get(chg->c_priv, "service-names"), *v;
	size_t i;

	json_array_foreach(names, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), svc) == 0)
			return true;
	return false;
}

void api_get_changes(struct api_call *c)
{
	const char *sel = http_req_param(c->req, "select");
	const char *for_svc = http_req_param(c->req, "for");
	int mode; /* 0 in-progress, 1 ready, 2 all */
	struct buf out = BUF_INIT;
	struct chg_store *s = &c->d->changes;

	if (!sel || !*sel || strcmp(sel, "in-progress") == 0)
		mode = 0;
	else if (strcmp(sel, "ready") == 0)
		mode = 1;
	else if (strcmp(sel, "all") == 0)
		mode = 2;
	else {
		api_reply_error(c, 400, NULL, "select should be one of: all,in-progress,ready");
		return;
	}
	buf_init(&out);
	buf_addc(&out, '[');
	for (struct change *chg = s->cs_list.c_next; chg != &s->cs_list; chg = chg->c_next) {
		bool ready = chg_ready(chg);

		if ((mode == 0 && ready) || (mode == 1 && !ready))
			continue;
		if (for_svc && *for_svc && !change_has_service(chg, for_svc))
			continue;
		if (out.len > 1)
			buf_addc(&out, ',');
		chg_write_api_json(&out, chg);
	}
	buf_addc(&out, ']');
	api_reply_sync_text(c, out.data, out.len);
	buf_done(&out);
}

/* Answers with one change (no tree: see chg_write_api_json). */
static void reply_change(struct api_call *c, const struct change *chg)
{
	struct buf out = BUF_INIT;

	buf_init(&out);
	chg_write_api_json(&out, chg);
	api_reply_sync_text(c, out.data, out.len);
	buf_done(&out);
}

void api_get_change(struct api_call *c)
{
	struct change *chg = find_change(c, c->args[0]);

	if (!chg) {
		api_reply_error(c, 404, NULL, "cannot find change with id \"%s\"", c->args[0]);
		return;
	}
	reply_change(c, chg);
}

void api_post_change(struct api_call *c)
{
	struct change *chg = find_change(c, c->args[0]);
	json_t *body;
	const char *action;

	if (!chg) {
		api_reply_error(c, 404, NULL, "cannot find change with id \"%s\"", c->args[0]);
		return;
	}
	body = api_decode_body(c, "cannot decode data from request body");
	if (!body)
		return;
	action = json_string_value(json_object_get(body, "action"));
	if (!action || strcmp(action, "abort") != 0) {
		api_reply_error(c, 400, NULL, "invalid action \"%s\"", action ? action : "");
		goto out;
	}
	if (chg_abort(chg) < 0) {
		api_reply_error(c, 400, NULL, "cannot abort change %s with nothing pending", c->args[0]);
		goto out;
	}
	reply_change(c, chg);
out:
	json_decref(body);
}

static void waiter_free(struct scree *d, struct api_waiter *w)
{
	chg_watch_remove(&w->watch);
	loop_timer_free(w->timer);
	if (w->prev)
		w->prev->next = w->next;
	else
		d->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	free(w);
}

static void waiter_ready(struct chg_watch *watch, struct change *chg)
{
	struct api_waiter *w = watch->w_data;

	reply_change(&w->call, chg);
	waiter_free(w->call.d, w);
}

static void waiter_timeout(struct loop_timer *t, void *data)
{
	struct api_waiter *w = data;
	char dur[32];

	(void)t;
	strnum_fmt_duration(w->timeout_ns, dur, sizeof(dur));
	api_reply_error(&w->call, 504, NULL, "timed out waiting for change after %s", dur);
	waiter_free(w->call.d, w);
}

static void waiter_cancel(struct http_req *req, void *data)
{
	struct api_waiter *w = data;

	(void)req;
	/* The client is gone: nobody to tell "request cancelled" to. */
	w->call.req = NULL;
	waiter_free(w->call.d, w);
}

void api_get_change_wait(struct api_call *c)
{
	struct change *chg = find_change(c, c->args[0]);
	const char *ts = http_req_param(c->req, "timeout");
	int64_t timeout = 0;
	struct api_waiter *w;
	struct scree *d = c->d;

	if (!chg) {
		api_reply_error(c, 404, NULL, "cannot find change with id \"%s\"", c->args[0]);
		return;
	}
	if (ts && *ts && strnum_duration(ts, &timeout) < 0) {
		api_reply_error(c, 400, NULL, "invalid timeout: time: invalid duration \"%s\"", ts);
		return;
	}
	if (chg_ready(chg)) {
		reply_change(c, chg);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->call = *c;
	/* args point into the call's own storage; re-point them at the copy. */
	for (size_t i = 0; i < 4; i++)
		if (c->args[i])
			w->call.args[i] = w->call.segs + (c->args[i] - c->segs);
	w->watch.w_cb = waiter_ready;
	w->watch.w_data = w;
	w->timeout_ns = timeout;
	chg_watch_add(chg, &w->watch);
	if (timeout > 0) {
		w->timer = loop_timer_new(d->loop, waiter_timeout, w);
		loop_timer_arm_in(w->timer, (uint64_t)((timeout + 999999) / 1000000));
	}
	c->req->cancel_cb = waiter_cancel;
	c->req->cancel_data = w;
	w->next = d->waiters;
	if (d->waiters)
		d->waiters->prev = w;
	d->waiters = w;
}

void api_get_task(struct api_call *c)
{
	int64_t id;
	struct task *t = NULL;

	if (strnum_i64(c->args[0], 1, INT32_MAX, &id) == 0)
		t = chg_find_task(&c->d->changes, (int)id);
	if (!t) {
		api_reply_error(c, 404, NULL, "cannot find task with id \"%s\"", c->args[0]);
		return;
	}
	api_reply_sync(c, chg_task_to_api_json(t));
}

/* Called at daemon exit: answers nobody, frees every parked request's state. */
void api_changes_shutdown(struct scree *d)
{
	while (d->waiters) {
		if (d->waiters->call.req)
			d->waiters->call.req->cancel_cb = NULL;
		waiter_free(d, d->waiters);
	}
}
