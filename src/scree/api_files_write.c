/* api_files_write.c - POST /v1/files with a multipart/form-data body (§17): a "request"
 * part with the metadata, then one "files" part per file, each written atomically
 * (files_atomic.h) as its bytes arrive.  Upstream: writeFiles/writeFile in
 * internals/daemon/api_files.go, whose order of checks and texts this follows.
 *
 * The body is parsed incrementally (http/multipart.h) from the server's body sink, so a
 * file of any size passes through a few fixed buffers on its way to disk.  Each file part
 * ends in a commit that runs off the loop; commits of one request run one after the
 * other, in part order (so two parts for one path end with the later content), while the
 * next parts keep streaming to their own temporary files.  The answer is given once the
 * body is complete and every commit has ended, or at once for a protocol error (400; the
 * server then drops the rest of the body).
 *
 * Request states (enum fw_state, legal moves in fw_next[], one fw_set_state()):
 *
 *   EXPECT_METADATA --"request" part--> IN_METADATA --part end, metadata valid--> EXPECT_FILE
 *   EXPECT_FILE --"files" part for a listed path--> IN_FILE --part end--> EXPECT_FILE
 *   EXPECT_FILE --body complete--> FINISHING --last commit ended--> ANSWERED
 *   any but ANSWERED --protocol error (400)--> ANSWERED
 *
 * A client that goes away, or an early answer, detaches the request: parsing stops, the
 * file part in progress is abandoned (its temporary file removed), and the commits of the
 * parts that were complete still run; the request frees itself after the last of them. */
#include "api_files.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files_atomic.h"
#include "http/mediatype.h"
#include "http/multipart.h"
#include "lib/gopath.h"

enum fw_state {
	FW_EXPECT_METADATA, /* before the first part */
	FW_IN_METADATA,     /* collecting the request part */
	FW_EXPECT_FILE,     /* between file parts */
	FW_IN_FILE,         /* a file part's body goes to its temporary file (or nowhere) */
	FW_FINISHING,       /* the body is complete; commits are still running */
	FW_ANSWERED,        /* answered (or the client is gone): only commits may run */
	_FW_STATE_MAX,
};

#define B(s) (1u << (s))
static const unsigned fw_next[_FW_STATE_MAX] = {
	[FW_EXPECT_METADATA] = B(FW_IN_METADATA) | B(FW_ANSWERED),
	[FW_IN_METADATA] = B(FW_EXPECT_FILE) | B(FW_ANSWERED),
	[FW_EXPECT_FILE] = B(FW_IN_FILE) | B(FW_FINISHING) | B(FW_ANSWERED),
	[FW_IN_FILE] = B(FW_EXPECT_FILE) | B(FW_ANSWERED),
	[FW_FINISHING] = B(FW_ANSWERED),
	[FW_ANSWERED] = 0,
};
#undef B

/* One entry of the metadata's "files" list (writeFilesItem). */
struct fw_item {
	char *path;
	bool make_dirs;
	char *permissions;
	struct userids_req owner; /* user and group strings owned here */
	size_t canon;             /* the last item with the same path (Pebble keys by path) */
	unsigned gen;             /* parts begun for this path: only the latest one's result counts */
	bool written;             /* a part for this path was processed (errors[path] set) */
	struct files_error err;
};

/* A complete file part waiting for (or in) its commit. */
struct fw_commit {
	struct fw_commit *next;
	struct files_atomic *a;
	size_t item;
	unsigned gen;
};

struct files_write {
	struct files_write *next, **prevp; /* d->files_writes */
	struct api_call call;     /* call.req is NULL once answered or cancelled */
	enum fw_state state;
	struct multipart *mp;
	struct buf meta;
	struct fw_item *items;
	size_t n_items;
	size_t *by_path;          /* item indices sorted by (path, index) */
	size_t file_parts;        /* "files" parts begun (Go's part counter) */
	size_t cur;               /* IN_FILE: the canonical item */
	struct files_atomic *writer; /* IN_FILE: NULL when the part is dropped */
	struct fw_commit *queue, **queue_tail;
	struct fw_commit *running;
	size_t n_full;            /* writers whose buffers are full: the body is held meanwhile */
};

static void fw_set_state(struct files_write *w, enum fw_state to)
{
	if (!(fw_next[w->state] & (1u << to)))
		abort(); /* a transition the table does not allow is a bug here */
	w->state = to;
}

static void fw_free(struct files_write *w)
{
	if (w->next)
		w->next->prevp = w->prevp;
	*w->prevp = w->next;
	multipart_free(w->mp);
	files_atomic_abort(w->writer);
	buf_done(&w->meta);
	for (size_t i = 0; i < w->n_items; i++) {
		free(w->items[i].path);
		free(w->items[i].permissions);
		free((char *)w->items[i].owner.user);
		free((char *)w->items[i].owner.group);
		files_error_done(&w->items[i].err);
	}
	free(w->items);
	free(w->by_path);
	free(w);
}

/* Frees w once nothing refers to it any more: answered or cancelled, no commit running
 * or waiting. */
static void fw_maybe_free(struct files_write *w)
{
	if (w->state == FW_ANSWERED && !w->call.req && !w->running && !w->queue)
		fw_free(w);
}

/* Stops parsing and drops the part in progress: after an answer or a cancel.  (The
 * parser itself may be running the callback that got here; it is freed with w.) */
static void fw_detach(struct files_write *w)
{
	files_atomic_abort(w->writer);
	w->writer = NULL;
	if (w->call.req) {
		w->call.req->cancel_cb = NULL;
		w->call.req->cancel_data = NULL;
	}
	if (w->state != FW_ANSWERED)
		fw_set_state(w, FW_ANSWERED);
}

/* A protocol error: 400 at once. */
static void fw_fail(struct files_write *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fw_fail(struct files_write *w, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	buf_init(&msg);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (w->call.req) {
		fw_detach(w);
		api_reply_error(&w->call, 400, NULL, "%s", msg.data);
	} else {
		fw_detach(w);
	}
	buf_done(&msg);
}

static void fw_fail_quoted(struct files_write *w, const char *prefix, const char *s)
{
	struct buf q = BUF_INIT;

	buf_init(&q);
	files_quote(&q, s);
	fw_fail(w, "%s%s", prefix, q.data);
	buf_done(&q);
}

/* The results, in metadata order (Go: errors[path], else "no file content"). */
static void fw_answer(struct files_write *w)
{
	json_t *out = json_array();

	for (size_t i = 0; i < w->n_items; i++) {
		const struct fw_item *c = &w->items[w->items[i].canon];

		if (c->written) {
			json_array_append_new(out, files_result_json(w->items[i].path, &c->err));
		} else {
			struct files_error e;
			struct buf q = BUF_INIT;

			files_error_init(&e);
			buf_init(&q);
			files_quote(&q, w->items[i].path);
			files_error_set(&e, FILES_GENERIC, "no file content for path %s", q.data);
			json_array_append_new(out, files_result_json(w->items[i].path, &e));
			buf_done(&q);
			files_error_done(&e);
		}
	}
	fw_detach(w);
	api_reply_sync(&w->call, out);
}

/* ---- commits ---- */

static void fw_start_commit(struct files_write *w);

static void fw_commit_done(void *data, const struct files_error *e)
{
	struct files_write *w = data;
	struct fw_commit *c = w->running;

	w->running = NULL;
	if (c->gen == w->items[c->item].gen) {
		files_error_copy(&w->items[c->item].err, e);
		w->items[c->item].written = true;
	}
	free(c);
	fw_start_commit(w);
	if (w->state == FW_FINISHING && !w->running && !w->queue && w->call.req)
		fw_answer(w);
	fw_maybe_free(w);
}

/* Starts the next waiting commit unless one runs. */
static void fw_start_commit(struct files_write *w)
{
	while (!w->running && w->queue) {
		struct fw_commit *c = w->queue;
		struct files_error e;

		w->queue = c->next;
		if (!w->queue)
			w->queue_tail = &w->queue;
		files_error_init(&e);
		w->running = c;
		if (files_atomic_commit(c->a, fw_commit_done, w, &e) < 0) {
			w->running = NULL;
			if (c->gen == w->items[c->item].gen) {
				files_error_copy(&w->items[c->item].err, &e);
				w->items[c->item].written = true;
			}
			free(c);
		}
		files_error_done(&e);
	}
}

static void fw_queue_commit(struct files_write *w, struct files_atomic *a, size_t item)
{
	struct fw_commit *c = xcalloc(1, sizeof(*c));

	c->a = a;
	c->item = item;
	c->gen = w->items[item].gen;
	*w->queue_tail = c;
	w->queue_tail = &c->next;
	fw_start_commit(w);
}

/* ---- metadata ---- */

static int path_cmp_ctx(const void *a, const void *b, void *ctx)
{
	const struct files_write *w = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int r = strcmp(w->items[x].path, w->items[y].path);

	return r ? r : (x < y ? -1 : x > y);
}

/* The last item with this path, or SIZE_MAX. */
static size_t fw_lookup(const struct files_write *w, const char *path)
{
	size_t lo = 0, hi = w->n_items;

	/* Upper bound of path in by_path: the last equal element precedes it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(w->items[w->by_path[mid]].path, path) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || strcmp(w->items[w->by_path[lo - 1]].path, path) != 0)
		return SIZE_MAX;
	return w->by_path[lo - 1];
}

/* Decodes the request part (Go: json.Decoder into {action, files}). */
static void fw_metadata(struct files_write *w, bool at_eof)
{
	json_error_t jerr;
	json_t *v, *files = NULL, *item;
	const char *action;
	struct buf err = BUF_INIT;
	size_t i;

	buf_init(&err);
	v = json_loadb(w->meta.data, w->meta.len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!v) {
		bool blank = true;

		for (i = 0; i < w->meta.len; i++)
			if (!strchr(" \t\r\n", w->meta.data[i]))
				blank = false;
		fw_fail(w, "cannot decode request metadata: %s",
			blank ? (at_eof ? "unexpected EOF" : "EOF") : at_eof ? "unexpected EOF" : jerr.text);
		goto out;
	}
	if (json_is_null(v)) {
		json_decref(v);
		v = json_object();
	}
	if (!json_is_object(v)) {
		char t[16];

		snprintf(t, sizeof(t), "%s", json_is_array(v) ? "array" : json_is_string(v) ? "string" :
			 json_is_boolean(v) ? "bool" : "number");
		fw_fail(w, "cannot decode request metadata: json: cannot unmarshal %s into Go value of type struct", t);
		goto out;
	}
	if (files_jstr(v, "action", "", &action, &err) < 0 ||
	    files_jitems(v, "files", "", "daemon.writeFilesItem", &files, &err) < 0)
		goto bad;
	json_array_foreach(files, i, item) {
		const char *s;
		bool b;
		struct userids_req o;

		if (files_jstr(item, "path", "writeFilesItem.files", &s, &err) < 0 ||
		    files_jbool(item, "make-dirs", "writeFilesItem.files", &b, &err) < 0 ||
		    files_jstr(item, "permissions", "writeFilesItem.files", &s, &err) < 0 ||
		    files_jowner(item, "writeFilesItem.files", &o, &err) < 0)
			goto bad;
	}
	if (strcmp(action, "write") != 0) {
		fw_fail_quoted(w, "multipart action must be \"write\", got ", action);
		goto out;
	}
	if (!files || json_array_size(files) == 0) {
		fw_fail(w, "must specify one or more files");
		goto out;
	}
	w->n_items = json_array_size(files);
	w->items = xcalloc(w->n_items, sizeof(*w->items));
	w->by_path = xcalloc(w->n_items, sizeof(size_t));
	json_array_foreach(files, i, item) {
		struct fw_item *it = &w->items[i];
		const char *s;

		files_jstr(item, "path", "", &s, &err);
		it->path = xstrdup(s);
		files_jbool(item, "make-dirs", "", &it->make_dirs, &err);
		files_jstr(item, "permissions", "", &s, &err);
		it->permissions = xstrdup(s);
		files_jowner(item, "", &it->owner, &err);
		it->owner.user = xstrdup(it->owner.user);
		it->owner.group = xstrdup(it->owner.group);
		files_error_init(&it->err);
		w->by_path[i] = i;
	}
	qsort_r(w->by_path, w->n_items, sizeof(size_t), path_cmp_ctx, w);
	for (i = 0; i < w->n_items; i++)
		w->items[i].canon = fw_lookup(w, w->items[i].path);
	fw_set_state(w, FW_EXPECT_FILE);
	goto out;
bad:
	fw_fail(w, "cannot decode request metadata: %s", err.data);
out:
	json_decref(v);
	buf_done(&err);
}

/* ---- file parts ---- */

/* Flow control (files_atomic.h): while any of the request's writers has a full buffer, the
 * server reads no more of the body. */
static void fw_pressure(void *data, bool full)
{
	struct files_write *w = data;
	bool was = w->n_full > 0;

	if (full)
		w->n_full++;
	else if (w->n_full > 0)
		w->n_full--;
	if (w->call.req && was != (w->n_full > 0))
		http_req_hold_body(w->call.req, w->n_full > 0);
}

/* Pebble's writeFile up to the temporary file: the checks in upstream's order, any of
 * which records the item's error and drops the part's content. */
static void fw_begin_file(struct files_write *w, size_t idx)
{
	struct fw_item *it = &w->items[idx];
	struct files_error *e = &it->err;
	struct files_mkdir_opts mk = { .mode = FILES_DEFAULT_DIR_MODE, .make_parents = true, .exist_ok = true };
	uid_t uid = 0;
	gid_t gid = 0;
	mode_t mode;
	int owner;

	files_error_set(e, FILES_OK, "%s", "");
	if (!files_check_abs(it->path, e))
		return;
	owner = files_resolve_owner(&it->owner, &uid, &gid, e);
	if (owner < 0)
		return;
	if (it->make_dirs) {
		char *dir = gopath_dir(it->path);

		mk.chown = owner == 1;
		mk.uid = uid;
		mk.gid = gid;
		if (files_mkdir(dir, &mk, e) < 0) {
			files_error_wrap(e, "cannot create directory");
			free(dir);
			return;
		}
		free(dir);
	}
	if (files_parse_permissions(it->permissions, FILES_DEFAULT_FILE_MODE, &mode, e) < 0)
		return;
	files_atomic_open(it->path, mode, owner == 1, uid, gid, w->call.d->loop, fw_pressure, w, &w->writer, e);
}

/* The form name and file name of a part from its Content-Disposition ("" when absent
 * or malformed, as Go's FormName and Pebble's multipartFilename give them). */
static void part_names(const struct multipart_part *part, char **ret_name, char **ret_file)
{
	const char *cd = multipart_part_header(part, "Content-Disposition");
	struct mediatype mt;
	const char *name = NULL, *file = NULL;
	int r = mediatype_parse(cd ? cd : "", &mt, NULL);

	if (r == 0 && strcmp(mt.type, "form-data") == 0)
		name = mediatype_param(&mt, "name");
	if (r == 0)
		file = mediatype_param(&mt, "filename");
	*ret_name = xstrdup(name ? name : "");
	*ret_file = xstrdup(file ? file : "");
	mediatype_done(&mt);
}

static int on_part_begin(void *data, const struct multipart_part *part)
{
	struct files_write *w = data;
	char *name, *file;
	size_t idx;

	part_names(part, &name, &file);
	if (w->state == FW_EXPECT_METADATA) {
		if (strcmp(name, "request") != 0)
			fw_fail_quoted(w, "metadata field name must be \"request\", got ", name);
		else
			fw_set_state(w, FW_IN_METADATA);
	} else if (w->state == FW_EXPECT_FILE) {
		if (strcmp(name, "files") != 0) {
			fw_fail_quoted(w, "field name must be \"files\", got ", name);
		} else if ((idx = fw_lookup(w, file)) == SIZE_MAX) {
			fw_fail_quoted(w, "no metadata for path ", file);
		} else {
			w->file_parts++;
			w->cur = idx;
			w->items[idx].gen++;
			fw_begin_file(w, idx);
			fw_set_state(w, FW_IN_FILE);
		}
	}
	free(name);
	free(file);
	return w->state == FW_ANSWERED;
}

static int on_part_data(void *data, const char *p, size_t n)
{
	struct files_write *w = data;

	if (w->state == FW_IN_METADATA) {
		if (w->meta.len + n > FILES_MAX_METADATA) {
			fw_fail(w, "cannot decode request metadata: metadata too large (limit %u bytes)", FILES_MAX_METADATA);
			return 1;
		}
		buf_add(&w->meta, p, n);
	} else if (w->state == FW_IN_FILE && w->writer) {
		files_atomic_write(w->writer, p, n);
	}
	return 0;
}

static int on_part_end(void *data)
{
	struct files_write *w = data;

	if (w->state == FW_IN_METADATA) {
		fw_metadata(w, false);
	} else if (w->state == FW_IN_FILE) {
		struct fw_item *it = &w->items[w->cur];

		if (w->writer) {
			fw_queue_commit(w, w->writer, w->cur); /* its result arrives with the commit */
			w->writer = NULL;
		} else {
			it->written = true; /* the check that failed is the result */
		}
		fw_set_state(w, FW_EXPECT_FILE);
	}
	return w->state == FW_ANSWERED;
}

static const struct multipart_callbacks mp_cbs = { on_part_begin, on_part_data, on_part_end };

/* A malformed body: Go reports it from the NextPart call that met it. */
static void fw_parse_error(struct files_write *w, const char *msg)
{
	if (w->state == FW_EXPECT_METADATA || w->state == FW_IN_METADATA)
		fw_fail(w, "cannot read request metadata: %s", msg);
	else
		fw_fail(w, "cannot read file part %zu: %s", w->file_parts, msg);
}

static void fw_feed(struct files_write *w, const char *p, size_t n)
{
	int r;

	if (w->state == FW_ANSWERED || w->state == FW_FINISHING || !w->mp)
		return;
	r = multipart_feed(w->mp, p, n);
	if (r == -EBADMSG && w->state != FW_ANSWERED)
		fw_parse_error(w, multipart_error(w->mp));
}

/* The body has ended: what the parser saw decides between the results and a 400. */
static void fw_end(struct files_write *w)
{
	int r;

	if (w->state == FW_ANSWERED || !w->mp)
		return;
	r = multipart_finish(w->mp);
	if (w->state == FW_ANSWERED)
		return; /* a part ended by the finish was refused */
	if (r < 0) {
		fw_parse_error(w, multipart_error(w->mp));
		return;
	}
	switch (w->state) {
	case FW_EXPECT_METADATA:
		/* No part at all (or a body cut inside the first headers). */
		fw_fail(w, "cannot read request metadata: %s",
			r == MULTIPART_END_OUTSIDE ? "multipart: NextPart: EOF" : "EOF");
		return;
	case FW_IN_METADATA:
		/* Cut short inside the metadata: a complete JSON value still counts. */
		fw_metadata(w, true);
		if (w->state == FW_ANSWERED)
			return;
		fw_fail(w, "cannot read file part 0: multipart: NextPart: EOF");
		return;
	case FW_IN_FILE:
		/* The part's copy fails ("unexpected EOF"): nothing of it is written. */
		fw_fail(w, "cannot read file part %zu: multipart: NextPart: EOF", w->file_parts);
		return;
	case FW_EXPECT_FILE:
		if (r == MULTIPART_END_OUTSIDE) {
			fw_fail(w, "cannot read file part %zu: multipart: NextPart: EOF", w->file_parts);
			return;
		}
		break; /* a clean end (Go also stops quietly at EOF inside a part's headers) */
	default:
		return;
	}
	w->mp = multipart_free(w->mp);
	fw_set_state(w, FW_FINISHING);
	if (!w->running && !w->queue)
		fw_answer(w);
}

/* ---- the HTTP side ---- */

static void sink_data(struct http_req *req, const char *p, size_t n, void *arg)
{
	(void)req;
	fw_feed(arg, p, n);
	fw_maybe_free(arg); /* answered early: nothing more comes */
}

static void sink_end(struct http_req *req, void *arg)
{
	struct files_write *w = arg;

	(void)req;
	fw_end(w);
	fw_maybe_free(w);
}

static const struct http_body_sink sink_ops = { sink_data, sink_end };

static void fw_cancel(struct http_req *req, void *data)
{
	struct files_write *w = data;

	(void)req;
	w->call.req = NULL;
	fw_detach(w);
	fw_maybe_free(w);
}

void api_files_write(struct api_call *c, const char *boundary, bool streamed)
{
	struct files_write *w = xcalloc(1, sizeof(*w));
	struct http_req *req = c->req;

	w->call = *c;
	w->state = FW_EXPECT_METADATA;
	w->queue_tail = &w->queue;
	w->next = c->d->files_writes;
	if (w->next)
		w->next->prevp = &w->next;
	w->prevp = &c->d->files_writes;
	c->d->files_writes = w;
	buf_init(&w->meta);
	if (multipart_new(boundary, &mp_cbs, w, &w->mp) < 0) {
		struct buf q = BUF_INIT;

		/* Only a boundary multipart_new cannot take (checked by the caller). */
		buf_init(&q);
		files_quote(&q, boundary);
		api_reply_error(c, 400, NULL, "invalid boundary %s", q.data);
		buf_done(&q);
		fw_free(w);
		return;
	}
	c->req = NULL; /* w answers it */
	req->cancel_cb = fw_cancel;
	req->cancel_data = w;
	if (streamed) {
		http_req_take_body(req, &sink_ops, w);
		return;
	}
	fw_feed(w, req->body.data, req->body.len);
	fw_end(w);
	fw_maybe_free(w);
}

void api_files_write_shutdown(struct scree *d)
{
	/* No answers any more (the server goes next).  The part being received is abandoned;
	 * a commit handed to its writer is waited for, so that the file is in place or not
	 * when the daemon has gone; commits still waiting for their turn are abandoned. */
	while (d->files_writes) {
		struct files_write *w = d->files_writes;

		if (w->call.req) {
			w->call.req->cancel_cb = NULL;
			w->call.req = NULL;
		}
		files_atomic_abort(w->writer);
		w->writer = NULL;
		if (w->running) {
			files_atomic_wait(w->running->a);
			free(w->running);
			w->running = NULL;
		}
		while (w->queue) {
			struct fw_commit *c = w->queue;

			w->queue = c->next;
			files_atomic_abort(c->a);
			free(c);
		}
		fw_free(w);
	}
}
