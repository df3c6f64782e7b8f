/* api_notices.c - GET/POST /v1/notices and GET /v1/notices/{id} (§19).  GET with a timeout
 * is a long-poll: the request is parked with its filter and answered as soon as a matching
 * notice occurs (api_notices_notify), with [] at the timeout, or dropped when the client
 * goes away.  At most API_MAX_NOTICE_WAITERS requests are parked at once. */
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"

struct api_notice_waiter {
	struct api_notice_waiter *next, *prev;
	struct api_call call;
	struct notice_filter filter;
	char **keys;              /* owned copies behind filter.nf_keys */
	struct loop_timer *timer;
};

static bool request_uid(struct api_call *c, uint32_t *ret)
{
	/* The caller's uid comes from SO_PEERCRED on the UNIX socket. */
	if (!c->req->is_unix || !c->req->peer_cred_ok)
		return false;
	*ret = (uint32_t)c->req->peer_uid;
	return true;
}

static bool is_admin(struct api_call *c, uint32_t uid)
{
	return uid == 0 || uid == (uint32_t)c->d->uid;
}

/* Answers with the notices f selects, written straight into the answer (no tree). */
static void reply_list(struct api_call *c, const struct notice_filter *f)
{
	size_t n;
	struct notice **v = notices_list(&c->d->notices, f, &n);
	struct buf out = BUF_INIT;

	buf_init(&out);
	buf_addc(&out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&out, ',');
		notice_write_json(&out, v[i]);
	}
	buf_addc(&out, ']');
	free(v);
	api_reply_sync_text(c, out.data, out.len);
	buf_done(&out);
}

static void waiter_free(struct scree *d, struct api_notice_waiter *w)
{
	loop_timer_free(w->timer);
	if (w->prev)
		w->prev->next = w->next;
	else
		d->notice_waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	d->n_notice_waiters--;
	for (size_t i = 0; i < w->filter.nf_nkeys; i++)
		free(w->keys[i]);
	free(w->keys);
	free(w);
}

/* Answers a parked request with what its filter selects now ([] at its timeout). */
static void waiter_answer(struct api_notice_waiter *w)
{
	struct scree *d = w->call.d;

	w->call.req->cancel_cb = NULL;
	reply_list(&w->call, &w->filter);
	waiter_free(d, w);
}

static void waiter_timeout(struct loop_timer *t, void *data)
{
	struct api_notice_waiter *w = data;

	(void)t;
	waiter_answer(w);
}

static void waiter_cancel(struct http_req *req, void *data)
{
	struct api_notice_waiter *w = data;

	(void)req;
	/* The client is gone: nobody to answer. */
	w->call.req = NULL;
	waiter_free(w->call.d, w);
}

void api_notices_notify(struct scree *d, const struct notice *n)
{
	uint64_t now = d->notices.ns_clock();

	for (struct api_notice_waiter *w = d->notice_waiters, *next; w; w = next) {
		next = w->next;
		if (notice_matches(&w->filter, n, now))
			waiter_answer(w);
	}
}

/* Parses the user-id filter (admins only).  false after answering. */
static bool parse_user_id(struct api_call *c, struct notice_filter *f)
{
	const char *ids[4];
	size_t n = api_param_list(c, "user-id", ids, 4);
	int64_t v;
	int rv;

	if (n != 1) {
		api_reply_error(c, 400, NULL, "invalid \"user-id\" filter: must only include one \"user-id\"");
		return false;
	}
	rv = strnum_i64(ids[0], INT64_MIN, INT64_MAX, &v);
	if (rv == -ERANGE) {
		api_reply_error(c, 400, NULL, "invalid \"user-id\" filter: strconv.ParseInt: parsing \"%s\": value out of range",
				ids[0]);
		return false;
	}
	if (rv < 0) {
		api_reply_error(c, 400, NULL, "invalid \"user-id\" filter: strconv.ParseInt: parsing \"%s\": invalid syntax",
				ids[0]);
		return false;
	}
	if (v < 0 || v > UINT32_MAX) {
		api_reply_error(c, 400, NULL, "invalid \"user-id\" filter: user ID is not a valid uint32: %" PRId64, v);
		return false;
	}
	f->nf_has_uid = true;
	f->nf_uid = (uint32_t)v;
	return true;
}

void api_get_notices(struct api_call *c)
{
	struct scree *d = c->d;
	struct notice_filter f;
	const char *types[API_MAX_LIST], *keys[API_MAX_LIST], *after, *ts;
	size_t ntypes, nkeys;
	int64_t timeout = 0;
	uint32_t uid;
	struct api_notice_waiter *w;

	if (!request_uid(c, &uid)) {
		api_reply_error(c, 403, NULL, "cannot determine UID of request, so cannot retrieve notices");
		return;
	}
	memset(&f, 0, sizeof(f));
	/* By default: the caller's notices and the public ones. */
	f.nf_has_uid = true;
	f.nf_uid = uid;
	if (http_req_has_param(c->req, "user-id")) {
		if (!is_admin(c, uid)) {
			api_reply_error(c, 403, NULL, "only admins may use the \"user-id\" filter");
			return;
		}
		if (!parse_user_id(c, &f))
			return;
	}
	if (http_req_has_param(c->req, "users")) {
		const char *users = http_req_param(c->req, "users");

		if (!is_admin(c, uid)) {
			api_reply_error(c, 403, NULL, "only admins may use the \"users\" filter");
			return;
		}
		if (http_req_has_param(c->req, "user-id")) {
			api_reply_error(c, 400, NULL, "cannot use both \"users\" and \"user-id\" parameters");
			return;
		}
		if (!users || strcmp(users, "all") != 0) {
			api_reply_error(c, 400, NULL, "invalid \"users\" filter: must be \"all\"");
			return;
		}
		f.nf_all_users = true;
	}
	ntypes = api_param_list(c, "types", types, API_MAX_LIST);
	for (size_t i = 0; i < ntypes; i++) {
		enum notice_type t = notice_type_from_name(types[i]);

		/* Unknown types are ignored, so requests from newer clients work. */
		if (t != NOTICE_TYPE_MAX)
			f.nf_types |= 1u << t;
	}
	if (ntypes && !f.nf_types) {
		/* Only unknown types asked for: nothing can match. */
		api_reply_sync(c, json_array());
		return;
	}
	nkeys = api_param_list(c, "keys", keys, API_MAX_LIST);
	f.nf_keys = keys;
	f.nf_nkeys = nkeys;
	after = http_req_param(c->req, "after");
	if (after && *after) {
		int64_t ns;

		if (strnum_rfc3339(after, &ns) < 0) {
			api_reply_error(c, 400, NULL,
					"invalid \"after\" timestamp: parsing time \"%s\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"%s\" as \"2006\"",
					after, after);
			return;
		}
		f.nf_after_ns = ns > 0 ? (uint64_t)ns : 0;
	}
	ts = http_req_param(c->req, "timeout");
	if (ts && *ts && strnum_duration(ts, &timeout) < 0) {
		api_reply_error(c, 400, NULL, "invalid timeout: time: invalid duration \"%s\"", ts);
		return;
	}
	if (timeout <= 0 || notices_any(&d->notices, &f)) {
		reply_list(c, &f);
		return;
	}
	if (d->n_notice_waiters >= API_MAX_NOTICE_WAITERS) {
		api_reply_error(c, 503, NULL, "too many requests waiting for notices");
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->call = *c;
	w->filter = f;
	w->keys = xcalloc(nkeys + 1, sizeof(char *));
	for (size_t i = 0; i < nkeys; i++)
		w->keys[i] = xstrdup(keys[i]);
	w->filter.nf_keys = (const char *const *)w->keys;
	w->timer = loop_timer_new(d->loop, waiter_timeout, w);
	loop_timer_arm_in(w->timer, (uint64_t)((timeout + 999999) / 1000000));
	c->req->cancel_cb = waiter_cancel;
	c->req->cancel_data = w;
	w->next = d->notice_waiters;
	if (d->notice_waiters)
		d->notice_waiters->prev = w;
	d->notice_waiters = w;
	d->n_notice_waiters++;
}

void api_get_notice(struct api_call *c)
{
	struct notice *n = NULL;
	uint32_t uid;
	int64_t id;

	if (!request_uid(c, &uid)) {
		api_reply_error(c, 403, NULL, "cannot determine UID of request, so cannot retrieve notice");
		return;
	}
	if (strnum_i64(c->args[0], 1, INT64_MAX, &id) == 0)
		n = notices_find(&c->d->notices, (uint64_t)id);
	if (!n) {
		api_reply_error(c, 404, NULL, "cannot find notice with ID \"%s\"", c->args[0]);
		return;
	}
	if (n->n_has_uid && !is_admin(c, uid) && n->n_uid != uid) {
		api_reply_error(c, 403, NULL, "not allowed to access notice with id \"%s\"", c->args[0]);
		return;
	}
	{
		struct buf out = BUF_INIT;

		buf_init(&out);
		notice_write_json(&out, n);
		api_reply_sync_text(c, out.data, out.len);
		buf_done(&out);
	}
}

static const char *json_kind(json_t *v)
{
	if (json_is_object(v))
		return "object";
	if (json_is_array(v))
		return "array";
	if (json_is_string(v))
		return "string";
	if (json_is_boolean(v))
		return "bool";
	return "number";
}

/* Reads a string field ("" when absent or null); false after answering 400. */
static bool str_field(struct api_call *c, json_t *body, const char *key, const char **ret)
{
	json_t *v = json_object_get(body, key);

	*ret = "";
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		api_reply_error(c, 400, NULL,
				"cannot decode request body: json: cannot unmarshal %s into Go struct field .%s of type string",
				json_kind(v), key);
		return false;
	}
	*ret = json_string_value(v);
	return true;
}

void api_post_notices(struct api_call *c)
{
	json_t *body, *data, *copy = NULL;
	const char *action, *type, *key, *repeat;
	int64_t repeat_ns = 0;
	uint64_t id;
	uint32_t uid;
	struct errbuf eb;
	int rv;

	if (!request_uid(c, &uid)) {
		api_reply_error(c, 403, NULL, "cannot determine UID of request, so cannot create notice");
		return;
	}
	body = api_decode_body(c, "cannot decode request body");
	if (!body)
		return;
	errbuf_clear(&eb);
	if (!str_field(c, body, "action", &action) || !str_field(c, body, "type", &type) ||
	    !str_field(c, body, "key", &key) || !str_field(c, body, "repeat-after", &repeat))
		goto out;
	if (strcmp(action, "add") != 0) {
		api_reply_error(c, 400, NULL, "invalid action \"%s\"", action);
		goto out;
	}
	if (strcmp(type, "custom") != 0) {
		api_reply_error(c, 400, NULL, "invalid type \"%s\" (can only add \"custom\" notices)", type);
		goto out;
	}
	rv = notice_check_custom_key(key);
	if (rv == -EINVAL) {
		api_reply_error(c, 400, NULL, "invalid key \"%s\" (must be in \"domain.com/key\" format)", key);
		goto out;
	}
	if (rv < 0) {
		api_reply_error(c, 400, NULL, "key must be %d bytes or less", NOTICE_KEY_MAX);
		goto out;
	}
	if (*repeat && strnum_duration(repeat, &repeat_ns) < 0) {
		api_reply_error(c, 400, NULL, "invalid repeat-after: time: invalid duration \"%s\"", repeat);
		goto out;
	}
	data = json_object_get(body, "data");
	if (data && !json_is_null(data)) {
		char *raw = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
		size_t len = raw ? strlen(raw) : 0;
		const char *k;
		json_t *v;

		free(raw);
		if (len > NOTICE_DATA_MAX) {
			api_reply_error(c, 400, NULL, "total size of data must be %d bytes or less", NOTICE_DATA_MAX);
			goto out;
		}
		if (!json_is_object(data)) {
			api_reply_error(c, 400, NULL,
					"cannot decode notice data: json: cannot unmarshal %s into Go value of type map[string]string",
					json_kind(data));
			goto out;
		}
		copy = json_object();
		json_object_foreach(data, k, v) {
			/* As Go decodes into map[string]string: null is "", anything else but a
			 * string is refused. */
			if (json_is_null(v)) {
				json_object_set_new(copy, k, json_string(""));
				continue;
			}
			if (!json_is_string(v)) {
				api_reply_error(c, 400, NULL,
						"cannot decode notice data: json: cannot unmarshal %s into Go value of type string",
						json_kind(v));
				goto out;
			}
			json_object_set(copy, k, v);
		}
	}
	if (notices_add(&c->d->notices, true, uid, NOTICE_CUSTOM, key, copy, repeat_ns, &id, &eb) < 0) {
		api_reply_error(c, 500, NULL, "%s", eb.msg);
		goto out;
	}
	api_reply_sync(c, json_pack("{s:o}", "id", json_sprintf("%" PRIu64, id)));
out:
	json_decref(copy);
	json_decref(body);
}

/* Called at daemon exit: answers nobody, frees every parked request's state. */
void api_notices_shutdown(struct scree *d)
{
	while (d->notice_waiters) {
		if (d->notice_waiters->call.req)
			d->notice_waiters->call.req->cancel_cb = NULL;
		waiter_free(d, d->notice_waiters);
	}
}
