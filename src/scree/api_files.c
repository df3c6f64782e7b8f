/* api_files.c - GET and POST /v1/files (§17): which action a request asks for, listing,
 * make-dirs and remove; reads are api_files_read.c, multipart writes api_files_write.c.
 * Upstream: internals/daemon/api_files.go (v1GetFiles, v1PostFiles). */
#include "api_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files_job.h"
#include "http/mediatype.h"
#include "http/multipart.h"
#include "lib/gopath.h"

#define MIN_BOUNDARY_LENGTH 32 /* Pebble's minBoundaryLength */

/* ---- JSON fields as Go decodes them ---- */

static const char *go_value_kind(json_t *v, char *num, size_t n)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "number";
	case JSON_REAL:
		snprintf(num, n, "number %.17g", json_real_value(v));
		return num;
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_ARRAY:
		return "array";
	default:
		return "object";
	}
}

static int type_error(json_t *v, const char *where, const char *key, const char *gotype, struct buf *err)
{
	char num[64];

	buf_reset(err);
	buf_addf(err, "json: cannot unmarshal %s into Go struct field %s.%s of type %s", go_value_kind(v, num, sizeof(num)),
		 where, key, gotype);
	return -1;
}

enum jkind { J_STRING, J_BOOL, J_INT };

/* Looks key up in o: 1 with *ret when present and of the kind asked for, 0 when absent
 * or null (Go's zero value), -1 with Go's type error. */
static int jfield(json_t *o, const char *key, const char *where, enum jkind k, json_t **ret, struct buf *err)
{
	static const char *const gotypes[] = { [J_STRING] = "string", [J_BOOL] = "bool", [J_INT] = "int" };
	json_t *v = json_object_get(o, key);
	bool ok;

	if (!v || json_is_null(v))
		return 0;
	ok = k == J_STRING ? json_is_string(v) : k == J_BOOL ? json_is_boolean(v) : json_is_integer(v);
	if (!ok)
		return type_error(v, where, key, gotypes[k], err);
	*ret = v;
	return 1;
}

int files_jstr(json_t *o, const char *key, const char *where, const char **out, struct buf *err)
{
	json_t *v = NULL;
	int r = jfield(o, key, where, J_STRING, &v, err);

	*out = r == 1 ? json_string_value(v) : "";
	return r < 0 ? -1 : 0;
}

int files_jbool(json_t *o, const char *key, const char *where, bool *out, struct buf *err)
{
	json_t *v = NULL;
	int r = jfield(o, key, where, J_BOOL, &v, err);

	*out = r == 1 && json_is_true(v);
	return r < 0 ? -1 : 0;
}

int files_jint(json_t *o, const char *key, const char *where, bool *set, int64_t *out, struct buf *err)
{
	json_t *v = NULL;
	int r = jfield(o, key, where, J_INT, &v, err);

	*set = r == 1;
	*out = r == 1 ? (int64_t)json_integer_value(v) : 0;
	return r < 0 ? -1 : 0;
}

int files_jitems(json_t *o, const char *key, const char *where, const char *gotype, json_t **out, struct buf *err)
{
	json_t *v = json_object_get(o, key), *x;
	size_t i;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		char t[96];

		snprintf(t, sizeof(t), "[]%s", gotype);
		return type_error(v, where, key, t, err);
	}
	json_array_foreach(v, i, x) {
		if (!json_is_object(x) && !json_is_null(x))
			return type_error(x, where, key, gotype, err);
	}
	*out = v;
	return 0;
}

int files_jowner(json_t *o, const char *where, struct userids_req *r, struct buf *err)
{
	memset(r, 0, sizeof(*r));
	if (files_jint(o, "user-id", where, &r->uid_set, &r->uid, err) < 0 ||
	    files_jstr(o, "user", where, &r->user, err) < 0 ||
	    files_jint(o, "group-id", where, &r->gid_set, &r->gid, err) < 0 ||
	    files_jstr(o, "group", where, &r->group, err) < 0)
		return -1;
	return 0;
}

json_t *files_result_json(const char *path, const struct files_error *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", files_json_string(path));
	if (e && e->kind != FILES_OK)
		json_object_set_new(o, "error", files_error_json(e));
	return o;
}

/* Answers a 400 whose message quotes s with %q after prefix. */
static void reply_quoted(struct api_call *c, const char *prefix, const char *s)
{
	struct buf q = BUF_INIT;

	buf_init(&q);
	files_quote(&q, s);
	api_reply_error(c, 400, NULL, "%s%s", prefix, q.data);
	buf_done(&q);
}

/* ---- GET ---- */

static void list_files(struct api_call *c)
{
	const char *path = http_req_param(c->req, "path"), *pattern = http_req_param(c->req, "pattern");
	const char *itself = http_req_param(c->req, "itself");
	struct files_error e;
	json_t *result = NULL;

	if (!path || !*path) {
		api_reply_error(c, 400, NULL, "must specify path");
		return;
	}
	if (itself && *itself && strcmp(itself, "true") != 0 && strcmp(itself, "false") != 0) {
		api_reply_error(c, 400, NULL, "itself parameter must be \"true\" or \"false\"");
		return;
	}
	if (!gopath_is_abs(path)) {
		reply_quoted(c, "path must be absolute, got ", path);
		return;
	}
	files_error_init(&e);
	if (files_list(path, pattern, itself && strcmp(itself, "true") == 0, &result, &e) < 0)
		api_reply_error(c, files_error_status(&e), files_kind_names[e.kind], "%s", buf_str(&e.msg));
	else
		api_reply_sync(c, result);
	files_error_done(&e);
}

void api_get_files(struct api_call *c)
{
	const char *action = http_req_param(c->req, "action");

	if (!action)
		action = "";
	if (strcmp(action, "read") == 0)
		api_files_read(c);
	else if (strcmp(action, "list") == 0)
		list_files(c);
	else
		reply_quoted(c, "invalid action ", action);
}

/* ---- POST: JSON actions ----
 * make-dirs and remove wait for the disk (a tree walk, directory syncs), so once the
 * request is decoded their items are carried out in a forked child (files_job.h) and the
 * request is answered when it ends.  The request's JSON is read by the child from its copy
 * of the daemon's memory.  A client that goes away meanwhile loses only the answer. */

enum files_op_kind { FILES_OP_MAKE_DIRS, FILES_OP_REMOVE };

struct api_files_op {
	struct api_files_op *next, **prevp; /* d->files_ops */
	struct api_call call;               /* call.req is NULL once the client is gone */
	enum files_op_kind kind;
	json_t *items;                      /* the request's decoded items (a reference) */
	struct files_job *job;
};

/* In the child: every item of a make-dirs request, in order. */
static json_t *make_dirs_items(json_t *dirs)
{
	json_t *out = json_array(), *item;
	struct buf err = BUF_INIT;
	size_t i;

	buf_init(&err);
	json_array_foreach(dirs, i, item) {
		const char *path, *perm;
		struct files_mkdir_opts o = { 0 };
		struct userids_req owner;
		struct files_error e;
		int k;

		files_jstr(item, "path", "", &path, &err);
		files_jbool(item, "make-parents", "", &o.make_parents, &err);
		files_jstr(item, "permissions", "", &perm, &err);
		files_jowner(item, "", &owner, &err);
		files_error_init(&e);
		if (files_check_abs(path, &e) && files_parse_permissions(perm, FILES_DEFAULT_DIR_MODE, &o.mode, &e) == 0 &&
		    (k = files_resolve_owner(&owner, &o.uid, &o.gid, &e)) >= 0) {
			o.chown = k == 1;
			o.exist_ok = o.make_parents;
			files_mkdir(path, &o, &e);
		}
		json_array_append_new(out, files_result_json(path, &e));
		files_error_done(&e);
	}
	buf_done(&err);
	return out;
}

/* In the child: every item of a remove request, in order. */
static json_t *remove_items(json_t *paths)
{
	json_t *out = json_array(), *item;
	struct buf err = BUF_INIT;
	size_t i;

	buf_init(&err);
	json_array_foreach(paths, i, item) {
		const char *path;
		bool recursive;
		struct files_error e;

		files_jstr(item, "path", "", &path, &err);
		files_jbool(item, "recursive", "", &recursive, &err);
		files_error_init(&e);
		if (files_check_abs(path, &e))
			files_remove(path, recursive, &e);
		json_array_append_new(out, files_result_json(path, &e));
		files_error_done(&e);
	}
	buf_done(&err);
	return out;
}

static json_t *op_run(void *arg)
{
	struct api_files_op *op = arg;

	return op->kind == FILES_OP_MAKE_DIRS ? make_dirs_items(op->items) : remove_items(op->items);
}

static void op_free(struct api_files_op *op)
{
	if (op->next)
		op->next->prevp = op->prevp;
	*op->prevp = op->next;
	if (op->call.req)
		op->call.req->cancel_cb = NULL;
	json_decref(op->items);
	free(op);
}

static void op_cancel(struct http_req *req, void *data)
{
	struct api_files_op *op = data;

	(void)req;
	op->call.req = NULL;
}

static void op_done(void *data, json_t *result, const char *error)
{
	struct api_files_op *op = data;

	op->job = NULL;
	if (op->call.req) {
		op->call.req->cancel_cb = NULL;
		if (result)
			api_reply_sync(&op->call, json_incref(result));
		else
			api_reply_error(&op->call, 500, NULL, "cannot %s: %s",
					op->kind == FILES_OP_MAKE_DIRS ? "make directories" : "remove paths", error);
		op->call.req = NULL;
	}
	op_free(op);
}

/* Starts the job for the decoded items; answers c itself when it cannot. */
static void op_start(struct api_call *c, enum files_op_kind kind, json_t *items)
{
	struct api_files_op *op = xcalloc(1, sizeof(*op));
	struct scree *d = c->d;
	struct errbuf eb;

	op->kind = kind;
	op->items = items ? json_incref(items) : json_array();
	op->next = d->files_ops;
	if (op->next)
		op->next->prevp = &op->next;
	op->prevp = &d->files_ops;
	d->files_ops = op;
	if (files_job_start(d->loop, op_run, op, op_done, op, &op->job, &eb) < 0) {
		api_reply_error(c, 500, NULL, "cannot %s: %s",
				kind == FILES_OP_MAKE_DIRS ? "make directories" : "remove paths", eb.msg);
		op_free(op);
		return;
	}
	op->call = *c;
	c->req = NULL;
	op->call.req->cancel_cb = op_cancel;
	op->call.req->cancel_data = op;
}

void api_files_shutdown(struct scree *d)
{
	/* Their clients get no answer (the server goes next); the children end first, so that
	 * nothing of this daemon still acts on the file system after it has gone. */
	while (d->files_ops) {
		struct api_files_op *op = d->files_ops;

		files_job_wait(op->job);
		op->job = NULL;
		op_free(op);
	}
	api_files_write_shutdown(d);
}

static void make_dirs(struct api_call *c, json_t *dirs)
{
	json_t *item;
	size_t i;
	struct buf err = BUF_INIT;

	buf_init(&err);
	/* All items are decoded before anything is done, as Go decodes the whole body. */
	json_array_foreach(dirs, i, item) {
		const char *path, *perm;
		bool parents;
		struct userids_req owner;

		if (files_jstr(item, "path", "makeDirsItem.dirs", &path, &err) < 0 ||
		    files_jbool(item, "make-parents", "makeDirsItem.dirs", &parents, &err) < 0 ||
		    files_jstr(item, "permissions", "makeDirsItem.dirs", &perm, &err) < 0 ||
		    files_jowner(item, "makeDirsItem.dirs", &owner, &err) < 0) {
			api_reply_error(c, 400, NULL, "cannot decode request body: %s", err.data);
			goto out;
		}
	}
	op_start(c, FILES_OP_MAKE_DIRS, dirs);
out:
	buf_done(&err);
}

static void remove_paths(struct api_call *c, json_t *paths)
{
	json_t *item;
	size_t i;
	struct buf err = BUF_INIT;

	buf_init(&err);
	json_array_foreach(paths, i, item) {
		const char *path;
		bool recursive;

		if (files_jstr(item, "path", "removePathsItem.paths", &path, &err) < 0 ||
		    files_jbool(item, "recursive", "removePathsItem.paths", &recursive, &err) < 0) {
			api_reply_error(c, 400, NULL, "cannot decode request body: %s", err.data);
			goto out;
		}
	}
	op_start(c, FILES_OP_REMOVE, paths);
out:
	buf_done(&err);
}

static void post_json(struct api_call *c)
{
	const struct buf *body = &c->req->body;
	json_error_t jerr;
	json_t *v, *dirs = NULL, *paths = NULL;
	const char *action;
	struct buf err = BUF_INIT;

	buf_init(&err);
	/* Go's json.Decoder: one value, trailing data ignored; null is the zero value. */
	v = json_loadb(body->data ? body->data : "", body->len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!v) {
		bool blank = true;

		for (size_t i = 0; i < body->len; i++)
			if (!strchr(" \t\r\n", body->data[i]))
				blank = false;
		api_reply_error(c, 400, NULL, "cannot decode request body: %s", blank ? "EOF" : jerr.text);
		goto out;
	}
	if (json_is_null(v)) {
		json_decref(v);
		v = json_object();
	}
	if (!json_is_object(v)) {
		char num[64];

		api_reply_error(c, 400, NULL, "cannot decode request body: json: cannot unmarshal %s into Go value of type struct",
				go_value_kind(v, num, sizeof(num)));
		goto out;
	}
	if (files_jstr(v, "action", "", &action, &err) < 0 ||
	    files_jitems(v, "dirs", "", "daemon.makeDirsItem", &dirs, &err) < 0 ||
	    files_jitems(v, "paths", "", "daemon.removePathsItem", &paths, &err) < 0) {
		api_reply_error(c, 400, NULL, "cannot decode request body: %s", err.data);
		goto out;
	}
	if (strcmp(action, "make-dirs") == 0)
		make_dirs(c, dirs);
	else if (strcmp(action, "remove") == 0)
		remove_paths(c, paths);
	else if (strcmp(action, "write") == 0)
		api_reply_error(c, 400, NULL, "must use multipart with \"write\" action");
	else
		reply_quoted(c, "invalid action ", action);
out:
	json_decref(v);
	buf_done(&err);
}

/* ---- POST: which kind of body ---- */

enum post_kind { POST_ANSWERED, POST_JSON, POST_MULTIPART };

/* Decides from the Content-Type; answers the request itself when it is refused.  For
 * multipart, the boundary is copied to boundary (MULTIPART_MAX_BOUNDARY + 1 bytes). */
static enum post_kind post_kind(struct api_call *c, char *boundary, size_t n)
{
	const char *ct = http_req_header(c->req, "Content-Type");
	struct mediatype mt;
	enum post_kind k = POST_ANSWERED;

	if (!ct)
		ct = "";
	if (mediatype_parse(ct, &mt, NULL) < 0) {
		reply_quoted(c, "invalid Content-Type ", ct);
	} else if (strcmp(mt.type, "multipart/form-data") == 0) {
		const char *b = mediatype_param(&mt, "boundary");

		if (!b)
			b = "";
		if (strlen(b) < MIN_BOUNDARY_LENGTH || strlen(b) >= n) {
			reply_quoted(c, "invalid boundary ", b);
		} else {
			snprintf(boundary, n, "%s", b);
			k = POST_MULTIPART;
		}
	} else if (strcmp(mt.type, "application/json") == 0) {
		k = POST_JSON;
	} else {
		reply_quoted(c, "invalid media type ", mt.type);
	}
	mediatype_done(&mt);
	return k;
}

void api_post_files(struct api_call *c)
{
	char boundary[MULTIPART_MAX_BOUNDARY + 1];

	switch (post_kind(c, boundary, sizeof(boundary))) {
	case POST_JSON:
		post_json(c);
		break;
	case POST_MULTIPART:
		api_files_write(c, boundary, false);
		break;
	case POST_ANSWERED:
		break;
	}
}

void api_post_files_head(struct api_call *c)
{
	char boundary[MULTIPART_MAX_BOUNDARY + 1];

	/* JSON bodies are small and buffered (they come back to api_post_files); anything
	 * refused is answered before its body is read; multipart bodies stream. */
	switch (post_kind(c, boundary, sizeof(boundary))) {
	case POST_JSON:
		break;
	case POST_MULTIPART:
		api_files_write(c, boundary, true);
		break;
	case POST_ANSWERED:
		break;
	}
}
