/* notices.c - a container's Pebble notices as workload events; see notices.h. */
#include "agent/notices.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strnum.h"

enum nw_state {
	NW_POLLING,   /* the long-poll is out */
	NW_CHANGE,    /* reading the change of the notice at the head of the queue */
	NW_READY,     /* the head's event waits for its hook */
	NW_WAITING,   /* after a failure, until the retry timer */
};

/* A notice as the list gave it. */
struct nitem {
	char type[32];
	char kind[32];                        /* last-data.kind (change-update) */
	struct uniter_notice n;               /* kind NONE until decided */
	int64_t lr_ns;
	struct nitem *next;
};

struct notice_watch {
	const struct agent_io *io;
	char container[UNITER_CONTAINER_MAX];
	char *socket;
	struct notice_watch_cbs cbs;
	enum nw_state state;
	char after[UNITER_TIME_MAX];          /* done with every notice up to this one */
	int64_t after_ns;
	struct nitem *head, *tail;
	struct agent_pebble_req *req;
	struct agent_timer *retry;
	bool was_busy;
};

static void process(struct notice_watch *w);
static void poll_notices(struct notice_watch *w);

static void wlog(struct notice_watch *w, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void wlog(struct notice_watch *w, const char *level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	buf_addf(&b, "container %s: ", w->container);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (w->cbs.log)
		w->cbs.log(w->cbs.data, level, b.data);
	buf_done(&b);
}

bool notice_watch_busy(const struct notice_watch *w)
{
	return w->state == NW_CHANGE || w->state == NW_READY || w->head;
}

/* Tells the unit when an event appeared or the busy state changed. */
static void changed(struct notice_watch *w)
{
	bool busy = notice_watch_busy(w);

	if (busy != w->was_busy || w->state == NW_READY) {
		w->was_busy = busy;
		if (w->cbs.changed)
			w->cbs.changed(w->cbs.data);
	}
}

static void set_after(struct notice_watch *w, const char *lr, int64_t ns)
{
	if (ns <= w->after_ns)
		return;
	snprintf(w->after, sizeof(w->after), "%s", lr);
	w->after_ns = ns;
}

static void pop(struct notice_watch *w)
{
	struct nitem *it = w->head;

	if (!it)
		return;
	w->head = it->next;
	if (!w->head)
		w->tail = NULL;
	free(it);
}

static void clear_queue(struct notice_watch *w)
{
	while (w->head)
		pop(w);
}

static void on_retry(void *arg)
{
	struct notice_watch *w = arg;

	if (w->head)
		process(w);
	else
		poll_notices(w);
}

static void fail(struct notice_watch *w, const char *what, int status, const char *error,
		 const char *body)
{
	/* A missing socket is Pebble still starting (or a container not there yet): normal. */
	bool quiet = error && (strstr(error, "no such file or directory") ||
			       strstr(error, "connection refused"));

	if (error)
		wlog(w, quiet ? "DEBUG" : "WARNING", "%s: %s; trying again in %d ms", what, error,
		     NOTICES_RETRY_MS);
	else
		wlog(w, "WARNING", "%s: status %d (%.200s); trying again in %d ms", what, status, body,
		     NOTICES_RETRY_MS);
	w->state = NW_WAITING;
	w->io->timer_arm(w->io->data, w->retry, NOTICES_RETRY_MS);
	changed(w);
}

static const char *jstr(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

static bool copy_field(char *out, size_t n, const char *s)
{
	return (size_t)snprintf(out, n, "%s", s) < n;
}

/* Appends the notices of a list answer newer than what is done; false if malformed. */
static bool take_list(struct notice_watch *w, const char *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *res = json_object_get(doc, "result"), *v;
	size_t i;

	if (!json_is_array(res)) {
		json_decref(doc);
		return false;
	}
	json_array_foreach(res, i, v) {
		struct nitem *it = xcalloc(1, sizeof(*it));
		const char *lr = jstr(json_object_get(v, "last-repeated"));
		json_t *data = json_object_get(v, "last-data");

		if (strnum_rfc3339(lr, &it->lr_ns) < 0 ||
		    !copy_field(it->n.last_repeated, sizeof(it->n.last_repeated), lr) ||
		    !copy_field(it->n.id, sizeof(it->n.id), jstr(json_object_get(v, "id"))) ||
		    !copy_field(it->n.key, sizeof(it->n.key), jstr(json_object_get(v, "key")))) {
			wlog(w, "WARNING", "ignored a malformed notice (id \"%.32s\")",
			     jstr(json_object_get(v, "id")));
			free(it);
			continue;
		}
		if (it->lr_ns <= w->after_ns) {
			free(it); /* done with already (Pebble's after is ours, or older) */
			continue;
		}
		snprintf(it->type, sizeof(it->type), "%s", jstr(json_object_get(v, "type")));
		snprintf(it->kind, sizeof(it->kind), "%s", jstr(json_object_get(data, "kind")));
		snprintf(it->n.container, sizeof(it->n.container), "%s", w->container);
		if (!copy_field(it->n.check, sizeof(it->n.check), jstr(json_object_get(data, "check-name"))))
			it->n.check[0] = '\0';
		if (w->tail)
			w->tail->next = it;
		else
			w->head = it;
		w->tail = it;
	}
	json_decref(doc);
	return true;
}

static void on_list(void *arg, int status, const char *body, size_t len, const char *error)
{
	struct notice_watch *w = arg;

	w->req = NULL;
	if (error || status != 200) {
		fail(w, "cannot wait for notices", status, error, body);
		return;
	}
	if (!take_list(w, body, len)) {
		fail(w, "cannot wait for notices", 0, "malformed answer", body);
		return;
	}
	process(w);
}

/* Query values: RFC 3339 times carry ':' and '+' (kept safe by escaping all but
 * unreserved characters). */
static void add_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addc(b, (char)*p);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

static void get(struct notice_watch *w, const char *target, uint64_t timeout_ms,
		void (*done)(void *, int, const char *, size_t, const char *))
{
	if (w->io->pebble_get(w->io->data, w->socket, target, timeout_ms, done, w, &w->req) < 0) {
		w->req = NULL;
		fail(w, "cannot ask pebble", 0, "cannot start the request", "");
	}
}

static void poll_notices(struct notice_watch *w)
{
	struct buf t = BUF_INIT;

	buf_init(&t);
	buf_adds(&t, "/v1/notices?users=all");
	if (w->after[0]) {
		buf_adds(&t, "&after=");
		add_escaped(&t, w->after);
	}
	buf_adds(&t, "&timeout=" NOTICES_WAIT_TIMEOUT);
	w->state = NW_POLLING;
	changed(w);
	get(w, t.data, NOTICES_POLL_TIMEOUT_MS, on_list);
	buf_done(&t);
}

/* The head is done with, without a hook. */
static void pass_over(struct notice_watch *w, const char *why)
{
	struct nitem *it = w->head;

	wlog(w, "DEBUG", "ignoring %s notice %s (key %.64s): %s", it->type, it->n.id, it->n.key, why);
	set_after(w, it->n.last_repeated, it->lr_ns);
	pop(w);
}

static void on_change(void *arg, int status, const char *body, size_t len, const char *error)
{
	struct notice_watch *w = arg;
	struct nitem *it = w->head;
	const char *chg = "";
	json_t *doc = NULL;

	w->req = NULL;
	if (!it)
		return;
	if (error || (status != 200 && status != 404)) {
		fail(w, "cannot read a check's change", status, error, body);
		return;
	}
	if (status == 200) {
		doc = json_loadb(body, len, 0, NULL);
		chg = jstr(json_object_get(json_object_get(doc, "result"), "status"));
	}
	/* Pruned (404): the check has been in this state for long; take the change as
	 * finished (Juju: Error for perform-check, Done for recover-check). */
	if (!strcmp(it->kind, "perform-check") && (status == 404 || !strcmp(chg, "Error")))
		it->n.kind = UNITER_NOTICE_CHECK_FAILED;
	else if (!strcmp(it->kind, "recover-check") && (status == 404 || !strcmp(chg, "Done")))
		it->n.kind = UNITER_NOTICE_CHECK_RECOVERED;
	if (it->n.kind == UNITER_NOTICE_NONE) {
		char why[64];

		snprintf(why, sizeof(why), "%s change is %s", it->kind, *chg ? chg : "unknown");
		pass_over(w, why);
		json_decref(doc);
		process(w);
		return;
	}
	json_decref(doc);
	w->state = NW_READY;
	changed(w);
}

/* Looks at the head of the queue (or polls for more when it is empty). */
static void process(struct notice_watch *w)
{
	while (w->head) {
		struct nitem *it = w->head;

		if (!strcmp(it->type, "custom")) {
			it->n.kind = UNITER_NOTICE_CUSTOM;
			w->state = NW_READY;
			changed(w);
			return;
		}
		if (!strcmp(it->type, "change-update") &&
		    (!strcmp(it->kind, "perform-check") || !strcmp(it->kind, "recover-check"))) {
			char target[64];

			if (!it->n.check[0]) {
				pass_over(w, "no check name");
				continue;
			}
			if (strspn(it->n.key, "0123456789") != strlen(it->n.key) || !it->n.key[0] ||
			    strlen(it->n.key) > 20) {
				pass_over(w, "not a change id");
				continue;
			}
			snprintf(target, sizeof(target), "/v1/changes/%s", it->n.key);
			w->state = NW_CHANGE;
			changed(w);
			get(w, target, NOTICES_CHANGE_TIMEOUT_MS, on_change);
			return;
		}
		pass_over(w, "not an event for the charm");
	}
	poll_notices(w);
}

struct notice_watch *notice_watch_new(const struct agent_io *io, const char *container,
				      const char *socket_path, const struct uniter_cursor *committed,
				      const struct notice_watch_cbs *cbs)
{
	struct notice_watch *w = xcalloc(1, sizeof(*w));

	w->io = io;
	snprintf(w->container, sizeof(w->container), "%s", container);
	w->socket = xstrdup(socket_path);
	w->cbs = *cbs;
	w->retry = io->timer_new(io->data, on_retry, w);
	if (committed && committed->last_repeated[0] &&
	    strnum_rfc3339(committed->last_repeated, &w->after_ns) == 0)
		snprintf(w->after, sizeof(w->after), "%s", committed->last_repeated);
	/* Not from inside this call: the first poll goes out once the loop turns. */
	w->state = NW_WAITING;
	io->timer_arm(io->data, w->retry, 0);
	return w;
}

void notice_watch_free(struct notice_watch *w)
{
	if (!w)
		return;
	if (w->req)
		w->io->pebble_cancel(w->io->data, w->req);
	w->io->timer_free(w->io->data, w->retry);
	clear_queue(w);
	free(w->socket);
	free(w);
}

const struct uniter_notice *notice_watch_event(const struct notice_watch *w)
{
	return w->state == NW_READY && w->head ? &w->head->n : NULL;
}

void notice_watch_committed(struct notice_watch *w, const struct uniter_notice *n)
{
	struct nitem *head = w->head;
	int64_t ns;

	if (strnum_rfc3339(n->last_repeated, &ns) < 0)
		return;

	set_after(w, n->last_repeated, ns);
	/* Drop what is not newer: the event this hook was for, and anything a restart
	 * fetched again. */
	while (w->head && w->head->lr_ns <= w->after_ns)
		pop(w);
	if (w->state == NW_READY || (w->state == NW_CHANGE && w->head != head)) {
		/* On to the next notice (a change being read for a notice now dropped is of no
		 * interest any more). */
		if (w->req) {
			w->io->pebble_cancel(w->io->data, w->req);
			w->req = NULL;
		}
		process(w);
		changed(w);
	}
}
