/* fetch.c - resource content by fingerprint from the controller; see fetch.h. */
#include "agent/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/forkjob.h"

struct fetch {
	struct fetcher *f;
	struct fetch *next;
	char fingerprint[65];
	int64_t size, offset;
	char *path, *part;
	int fd;
	EVP_MD_CTX *md;
	bool requested;          /* a resource-get is outstanding */
	bool finished;           /* done is due (deferred) */
	bool queued;             /* waits for an earlier fetch of the same content */
	bool cancelled;          /* abandoned, kept only to take the answer still in flight */
	struct forkjob *sync;    /* the whole, checked content being flushed to disk */
	char error[512];
	void (*done)(void *arg, const char *error);
	void *arg;
};

struct fetcher {
	struct loop *l;
	int (*send)(void *data, const struct proto_msg *m);
	void *send_data;
	bool link_up;
	struct fetch *fetches;
};

struct fetcher *fetcher_new(struct loop *l, int (*send)(void *data, const struct proto_msg *m),
			    void *send_data)
{
	struct fetcher *f = xcalloc(1, sizeof(*f));

	f->l = l;
	f->send = send;
	f->send_data = send_data;
	return f;
}

/* Drops what x holds (an unfinished <path>.part goes), not x itself. */
static void fetch_release(struct fetch *x)
{
	forkjob_forget(x->sync);
	x->sync = NULL;
	if (x->fd >= 0) {
		close(x->fd);
		unlink(x->part);
		x->fd = -1;
	}
	EVP_MD_CTX_free(x->md);
	free(x->path);
	free(x->part);
	x->md = NULL;
	x->path = x->part = NULL;
}

static void fetch_free(struct fetch *x)
{
	struct fetcher *f = x->f;

	for (struct fetch **pp = &f->fetches; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	fetch_release(x);
	free(x);
}

void fetcher_free(struct fetcher *f)
{
	if (!f)
		return;
	while (f->fetches) {
		struct fetch *x = f->fetches;

		f->fetches = x->next;
		fetch_release(x);
		if (x->finished)
			x->f = NULL; /* its queued completion frees it and tells nobody */
		else
			free(x);
	}
	free(f);
}

static void on_finished(void *arg)
{
	struct fetch *x = arg;
	void (*done)(void *, const char *) = x->done;
	void *darg = x->arg;
	char error[sizeof(x->error)];
	bool failed = x->error[0] != '\0';

	if (!x->f) {
		/* The fetcher went away (or the fetch was cancelled) after this was queued. */
		free(x);
		return;
	}
	snprintf(error, sizeof(error), "%s", x->error);
	fetch_free(x);
	if (done)
		done(darg, failed ? error : NULL);
}

static void request(struct fetch *x);
static void complete(struct fetch *x);

/* x is the content's active fetch now: it asks for the first chunk (or has all of none). */
static void begin(struct fetch *x)
{
	x->queued = false;
	if (x->size == 0)
		complete(x);
	else
		request(x);
}

/* The content's active fetch ended (or went): the oldest one queued behind it starts. */
static void start_next(struct fetcher *f, const char *fingerprint)
{
	struct fetch *next = NULL;

	/* f->fetches is newest first: the last match is the oldest. */
	for (struct fetch *x = f->fetches; x; x = x->next)
		if (x->queued && !strcmp(x->fingerprint, fingerprint))
			next = x;
	if (next)
		begin(next);
}

/* Ends x: its callback runs from the loop, never from inside the call that caused it. */
static void finish(struct fetch *x, const char *error)
{
	if (x->finished)
		return;
	x->finished = true;
	snprintf(x->error, sizeof(x->error), "%s", error ? error : "");
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
		if (error)
			unlink(x->part);
	}
	loop_defer(x->f->l, on_finished, x);
	start_next(x->f, x->fingerprint);
}

static void request(struct fetch *x)
{
	struct fetcher *f = x->f;
	struct proto_msg m;
	int64_t left = x->size - x->offset;

	if (!f->link_up || x->requested || x->finished || x->queued || x->sync)
		return;
	proto_msg_init(&m, PROTO_RESOURCE_GET);
	m.u.resource_get.digest = x->fingerprint;
	m.u.resource_get.offset = x->offset;
	m.u.resource_get.length = left > PROTO_CHUNK_MAX ? PROTO_CHUNK_MAX : (left > 0 ? left : 1);
	if (f->send(f->send_data, &m) == 0)
		x->requested = true;
}

/* In a child: the flush of the content to disk, which the loop must not wait for. */
static struct forkjob_result sync_main(void *arg, int chan)
{
	struct fetch *x = arg;
	struct forkjob_result r = { 0, 0 };

	(void)chan;
	if (fsync(x->fd) < 0)
		r.err = errno;
	return r;
}

/* The content is on disk: into place under its name. */
static void on_synced(void *data, const struct forkjob_result *r, int wstatus)
{
	struct fetch *x = data;
	char msg[256];
	int err = !r ? EIO : r->err;

	(void)wstatus;
	x->sync = NULL;
	if (close(x->fd) < 0 && !err)
		err = errno;
	x->fd = -1;
	if (err) {
		snprintf(msg, sizeof(msg), "cannot write the fetched content: %s", strerror(err));
		unlink(x->part);
		finish(x, msg);
		return;
	}
	if (rename(x->part, x->path) < 0) {
		snprintf(msg, sizeof(msg), "cannot keep the fetched content: %s", strerror(errno));
		unlink(x->part);
		finish(x, msg);
		return;
	}
	finish(x, NULL);
}

static void complete(struct fetch *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[65] = "";
	char msg[sizeof(((struct fetch *)0)->error)];
	struct errbuf eb;

	EVP_DigestFinal_ex(x->md, md, &n);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, x->fingerprint)) {
		finish(x, "the fetched content does not match its fingerprint");
		return;
	}
	/* Whole and right: flushed to disk by a child (a large file's fsync can take seconds
	 * under others' I/O), then renamed into place when that ends. */
	if (forkjob_start(x->f->l, "cairn-fetch-sync", sync_main, x, &x->fd, 1, on_synced, x, &x->sync,
			  &eb) < 0) {
		snprintf(msg, sizeof(msg), "cannot write the fetched content: %.400s", eb.msg);
		finish(x, msg);
	}
}

void fetcher_chunk(struct fetcher *f, const struct proto_charm_chunk *c)
{
	struct fetch *x;
	struct buf data = BUF_INIT;

	for (x = f->fetches; x; x = x->next)
		if (!strcmp(x->fingerprint, c->digest) && !x->finished && !x->queued)
			break;
	if (!x || !x->requested)
		return;
	x->requested = false;
	if (x->cancelled) {
		finish(x, NULL);
		return;
	}
	if (c->error) {
		finish(x, c->error);
		return;
	}
	if (c->offset != x->offset || c->size != x->size) {
		finish(x, "the controller sent a chunk that does not fit");
		return;
	}
	buf_init(&data);
	if (proto_b64_decode(c->data, PROTO_CHUNK_MAX, &data) < 0 || (int64_t)data.len > x->size - x->offset ||
	    (!data.len && x->offset < x->size)) {
		buf_done(&data);
		finish(x, "the controller sent a malformed chunk");
		return;
	}
	for (size_t off = 0; off < data.len;) {
		ssize_t w = pwrite(x->fd, data.data + off, data.len - off, x->offset + (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "cannot write the fetched content: %s", strerror(errno));
			buf_done(&data);
			finish(x, msg);
			return;
		}
		off += (size_t)w;
	}
	EVP_DigestUpdate(x->md, data.data, data.len);
	x->offset += (int64_t)data.len;
	buf_done(&data);
	if (x->offset == x->size)
		complete(x);
	else
		request(x);
}

void fetcher_link(struct fetcher *f, bool up)
{
	f->link_up = up;
	for (struct fetch *x = f->fetches; x; x = x->next) {
		x->requested = false; /* an answer in flight is lost with the link */
		if (x->cancelled) {
			finish(x, NULL);
			continue;
		}
		if (up)
			request(x);
	}
}

int fetch_start(struct fetcher *f, const char *fingerprint, int64_t size, const char *path,
		void (*done)(void *arg, const char *error), void *arg, struct fetch **ret,
		struct errbuf *eb)
{
	struct fetch *x;
	bool busy = false;

	if (!fingerprint || strlen(fingerprint) != 64 || strspn(fingerprint, "0123456789abcdef") != 64)
		return errbuf_set(eb, "invalid fingerprint"), -EINVAL;
	if (size < 0)
		return errbuf_set(eb, "invalid size"), -EINVAL;
	for (x = f->fetches; x && !busy; x = x->next)
		busy = !strcmp(x->fingerprint, fingerprint) && !x->finished;
	x = xcalloc(1, sizeof(*x));
	x->f = f;
	snprintf(x->fingerprint, sizeof(x->fingerprint), "%s", fingerprint);
	x->size = size;
	x->path = xstrdup(path);
	x->part = xasprintf("%s.part", path);
	x->done = done;
	x->arg = arg;
	x->fd = open(x->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	x->md = EVP_MD_CTX_new();
	if (x->fd < 0 || !x->md || !EVP_DigestInit_ex(x->md, EVP_sha256(), NULL)) {
		int r = x->fd < 0 ? -errno : -ENOMEM;

		errbuf_set(eb, "cannot create %s: %s", x->part, strerror(-r));
		fetch_release(x);
		free(x);
		return r;
	}
	x->next = f->fetches;
	f->fetches = x;
	/* One fetch per content at a time (the controller's chunks name the content, not the
	 * fetch): a second one waits for the first to end. */
	x->queued = busy;
	if (!busy)
		begin(x);
	if (ret)
		*ret = x;
	return 0;
}

void fetch_cancel(struct fetch *x)
{
	struct fetcher *f;
	char fingerprint[65];
	bool was_active;

	if (!x)
		return;
	if (x->finished) {
		/* Its completion is queued: let it find nobody to tell. */
		x->done = NULL;
		return;
	}
	f = x->f;
	if (!x->queued && x->requested) {
		/* The controller's answer to its request is on its way: the fetch stays, without
		 * its part file and its callback, to take that answer, so the next fetch of this
		 * content does not mistake it for its own. */
		x->done = NULL;
		x->cancelled = true;
		close(x->fd);
		unlink(x->part);
		x->fd = -1;
		return;
	}
	was_active = !x->queued;
	snprintf(fingerprint, sizeof(fingerprint), "%s", x->fingerprint);
	fetch_free(x);
	if (was_active)
		start_next(f, fingerprint);
}
