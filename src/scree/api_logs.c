/* api_logs.c - GET /v1/logs (§15): the stored output of services as newline-delimited
 * JSON, merged by time, optionally followed.  A follower is a chunked stream fed from the
 * services' ring buffers whenever a service writes (api_logs_notify). */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"

#define LOGS_DEFAULT_N 30

struct api_follower {
	struct api_follower *next, *prev;
	struct api_call call;
	char **names;
	uint64_t *offs;   /* next offset per service */
	size_t n;
};

struct log_entry {
	uint64_t t;
	size_t svc;       /* index into the request's names */
	size_t seq;       /* order within the service */
	char *msg;
};

static void add_line_json(struct buf *out, uint64_t t, const char *svc, const char *msg)
{
	char ts[64];
	json_t *o;
	char *s;

	chg_fmt_time(t, ts, sizeof(ts));
	o = json_pack("{s:s, s:s, s:s}", "time", ts, "service", svc, "message", msg);
	if (!o) /* message not valid UTF-8: keep the line, lose the bytes */
		o = json_pack("{s:s, s:s, s:s}", "time", ts, "service", svc, "message", "");
	s = json_dumps(o, JSON_COMPACT);
	buf_adds(out, s);
	buf_addc(out, '\n');
	free(s);
	json_decref(o);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct log_entry *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->svc != y->svc)
		return x->svc < y->svc ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The last n lines (n < 0: all) over the named services, merged by time. */
static void collect(struct scree *d, char *const *names, size_t nn, long n, struct buf *out)
{
	struct log_entry *ents = NULL;
	size_t nents = 0, start = 0;
	struct buf line = BUF_INIT;

	if (n == 0)
		return;
	buf_init(&line);
	for (size_t i = 0; i < nn; i++) {
		struct service *s = servmgr_find(&d->sm, names[i]);
		uint64_t off, t;
		size_t seq = 0;

		if (!s)
			continue;
		off = n < 0 ? 0 : logring_tail_offset(&s->sv_logs, (size_t)n);
		while (logring_next_line(&s->sv_logs, &off, true, &line) == 1) {
			const char *msg;

			if (logring_parse_line(line.data, &t, &msg) < 0)
				continue;
			ents = xrealloc(ents, (nents + 1) * sizeof(*ents));
			ents[nents].t = t;
			ents[nents].svc = i;
			ents[nents].seq = seq++;
			ents[nents].msg = xstrdup(msg);
			nents++;
		}
	}
	if (nents > 0) /* qsort's array may not be NULL, even when empty */
		qsort(ents, nents, sizeof(*ents), entry_cmp);
	if (n > 0 && nents > (size_t)n)
		start = nents - (size_t)n;
	for (size_t i = start; i < nents; i++)
		add_line_json(out, ents[i].t, names[ents[i].svc], ents[i].msg);
	for (size_t i = 0; i < nents; i++)
		free(ents[i].msg);
	free(ents);
	buf_done(&line);
}

static void follower_free(struct scree *d, struct api_follower *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		d->followers = f->next;
	if (f->next)
		f->next->prev = f->prev;
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->offs);
	free(f);
}

static void follower_cancel(struct http_req *req, void *data)
{
	struct api_follower *f = data;

	(void)req;
	f->call.req = NULL;
	follower_free(f->call.d, f);
}

void api_get_logs(struct api_call *c)
{
	const char *names[API_MAX_LIST];
	size_t nn = api_param_list(c, "services", names, API_MAX_LIST);
	const char *ns = http_req_param(c->req, "n"), *fs = http_req_param(c->req, "follow");
	bool follow = false;
	int64_t n;
	struct buf out = BUF_INIT;
	struct scree *d = c->d;
	const char **all = NULL;

	if (fs && strcmp(fs, "true") == 0)
		follow = true;
	else if (fs && *fs && strcmp(fs, "false") != 0) {
		api_reply_error(c, 400, NULL, "follow parameter must be \"true\" or \"false\"");
		return;
	}
	n = follow ? 0 : LOGS_DEFAULT_N;
	if (ns && *ns && (strnum_i64(ns, -1, INT32_MAX, &n) < 0)) {
		api_reply_error(c, 400, NULL, "n must be -1, 0, or a positive integer");
		return;
	}
	if (nn == 0 && d->plan) {
		/* Default: every service in the plan. */
		all = xcalloc(d->plan->s.n_services + 1, sizeof(char *));
		for (size_t i = 0; i < d->plan->s.n_services && i < API_MAX_LIST; i++)
			all[nn++] = d->plan->s.services[i]->name;
	}
	buf_init(&out);
	collect(d, (char *const *)(all ? all : names), nn, (long)n, &out);
	if (!follow) {
		api_reply_raw(c, 200, "application/x-ndjson", out.data, out.len);
	} else {
		struct api_follower *f = xcalloc(1, sizeof(*f));

		f->call = *c;
		f->n = nn;
		f->names = xcalloc(nn + 1, sizeof(char *));
		f->offs = xcalloc(nn + 1, sizeof(uint64_t));
		for (size_t i = 0; i < nn; i++) {
			struct service *s;

			f->names[i] = xstrdup((all ? all : names)[i]);
			s = servmgr_find(&d->sm, f->names[i]);
			f->offs[i] = s ? logring_end(&s->sv_logs) : 0;
		}
		api_access_log(c, 200);
		f->call.log_access = false;
		http_reply_stream_begin(c->req, 200, "application/x-ndjson");
		if (out.len)
			http_reply_stream_write(c->req, out.data, out.len);
		c->req->cancel_cb = follower_cancel;
		c->req->cancel_data = f;
		f->next = d->followers;
		if (d->followers)
			d->followers->prev = f;
		d->followers = f;
	}
	free(all);
	buf_done(&out);
}

void api_logs_notify(struct scree *d, struct service *s)
{
	struct buf out = BUF_INIT, line = BUF_INIT;

	if (!d->followers)
		return;
	buf_init(&out);
	buf_init(&line);
	for (struct api_follower *f = d->followers, *next; f; f = next) {
		next = f->next;
		for (size_t i = 0; i < f->n; i++) {
			uint64_t t;
			const char *msg;

			if (strcmp(f->names[i], s->sv_name) != 0)
				continue;
			buf_reset(&out);
			while (logring_next_line(&s->sv_logs, &f->offs[i], false, &line) == 1)
				if (logring_parse_line(line.data, &t, &msg) == 0)
					add_line_json(&out, t, s->sv_name, msg);
			if (out.len && http_reply_stream_write(f->call.req, out.data, out.len) < 0) {
				http_reply_stream_end(f->call.req);
				follower_free(d, f);
				break;
			}
		}
	}
	buf_done(&out);
	buf_done(&line);
}

void api_logs_shutdown(struct scree *d)
{
	while (d->followers) {
		struct api_follower *f = d->followers;

		if (f->call.req)
			http_reply_stream_end(f->call.req);
		follower_free(d, f);
	}
}
