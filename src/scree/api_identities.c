/* api_identities.c - GET and POST /v1/identities (§20). */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identities.h"
#include "lib/gofmt.h"

void api_get_identities(struct api_call *c)
{
	api_reply_sync(c, ident_store_to_json(&c->d->idents, true));
}

/* ---- request decoding ----
 * Upstream decodes the body into typed Go structs before looking at any identity, so a
 * value of the wrong JSON type is a decode error (with encoding/json's wording) even when
 * another identity is invalid too.  check_types() is that first pass. */

static void go_value_kind(json_t *v, struct buf *b)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_adds(b, "object");
		break;
	case JSON_ARRAY:
		buf_adds(b, "array");
		break;
	case JSON_STRING:
		buf_adds(b, "string");
		break;
	case JSON_INTEGER:
		buf_addf(b, "number %" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		buf_adds(b, "number ");
		gofmt_float(b, json_real_value(v), GOFMT_FLOAT_JSON);
		break;
	default:
		buf_adds(b, "bool");
		break;
	}
}

static int type_error(struct errbuf *eb, json_t *v, const char *st, const char *field, const char *gotype)
{
	struct buf kind = BUF_INIT;

	buf_init(&kind);
	go_value_kind(v, &kind);
	errbuf_set(eb, "json: cannot unmarshal %s into Go struct field %s.%s of type %s", kind.data, st, field,
		   gotype);
	buf_done(&kind);
	return -EINVAL;
}

/* v must be absent, null or satisfy ok. */
#define WANT(v, ok) (!(v) || json_is_null(v) || (ok))

static bool is_uint32(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= (json_int_t)UINT32_MAX;
}

static int check_types(json_t *body, struct errbuf *eb)
{
	json_t *action = json_object_get(body, "action"), *ids = json_object_get(body, "identities"), *v;
	const char *name;

	if (!WANT(action, json_is_string(action)))
		return type_error(eb, action, "", "action", "string");
	if (!WANT(ids, json_is_object(ids)))
		return type_error(eb, ids, "", "identities", "map[string]*daemon.apiIdentity");
	json_object_foreach(ids, name, v) {
		json_t *f, *local, *basic, *cert;

		if (!WANT(v, json_is_object(v)))
			return type_error(eb, v, "", "identities", "daemon.apiIdentity");
		f = json_object_get(v, "access");
		if (!WANT(f, json_is_string(f)))
			return type_error(eb, f, "apiIdentity", "identities.access", "identities.Access");
		local = json_object_get(v, "local");
		if (!WANT(local, json_is_object(local)))
			return type_error(eb, local, "apiIdentity", "identities.local", "daemon.apiLocalIdentity");
		f = json_object_get(local, "user-id");
		if (!WANT(f, is_uint32(f)))
			return type_error(eb, f, "apiLocalIdentity", "identities.local.user-id", "uint32");
		basic = json_object_get(v, "basic");
		if (!WANT(basic, json_is_object(basic)))
			return type_error(eb, basic, "apiIdentity", "identities.basic", "daemon.apiBasicIdentity");
		f = json_object_get(basic, "password");
		if (!WANT(f, json_is_string(f)))
			return type_error(eb, f, "apiBasicIdentity", "identities.basic.password", "string");
		cert = json_object_get(v, "cert");
		if (!WANT(cert, json_is_object(cert)))
			return type_error(eb, cert, "apiIdentity", "identities.cert", "daemon.apiCertIdentity");
		f = json_object_get(cert, "pem");
		if (!WANT(f, json_is_string(f)))
			return type_error(eb, f, "apiCertIdentity", "identities.cert.pem", "string");
	}
	return 0;
}

/* Security events as upstream logs them (user_created / user_updated / user_deleted), one
 * per identity of the request, with the access level it now has; who is the caller's uid
 * ("<unknown>" when not known). */
static void log_changes(struct scree *d, const char *who, enum ident_action act, json_t *ids)
{
	const char *name;
	json_t *v;

	json_object_foreach(ids, name, v) {
		const struct ident *id = json_is_null(v) ? NULL : ident_store_get(&d->idents, name);
		const char *access = id ? ident_access_name(id->id_access) : "";
		char event[IDENT_NAME_MAX + 64], desc[IDENT_NAME_MAX + 64];

		if (!id) {
			snprintf(event, sizeof(event), "user_deleted:%s,%s", who, name);
			snprintf(desc, sizeof(desc), "Deleting user %s", name);
		} else if (act == IDENT_ADD) {
			snprintf(event, sizeof(event), "user_created:%s,%s,%s", who, name, access);
			snprintf(desc, sizeof(desc), "Creating %s user %s", access, name);
		} else {
			snprintf(event, sizeof(event), "user_updated:%s,%s,%s", who, name, access);
			snprintf(desc, sizeof(desc), "Updating %s user %s", access, name);
		}
		scree_log_security(event, desc);
	}
}

/* ---- commits ----
 * A POST that changes identities is answered only once the state file holds the change
 * (scree_commit_identities).  Commits run one at a time, each computed from the identities
 * in effect, so a request that arrives while one runs waits in d->ident_commits (FIFO; the
 * head is the one committing) and is decoded when its turn comes. */

struct api_ident_commit {
	struct api_ident_commit *next;
	struct api_call call;     /* call.req is NULL once the client is gone */
	bool committing;
	enum ident_action act;
	json_t *ids;              /* the request's identities, for the security log */
	char who[32];
};

static void process(struct api_ident_commit *ic);

static void commit_free(struct api_ident_commit *ic)
{
	if (ic->call.req)
		ic->call.req->cancel_cb = NULL;
	json_decref(ic->ids);
	free(ic);
}

/* Removes the head and starts the next waiting request, if any. */
static void commit_next(struct scree *d)
{
	struct api_ident_commit *ic = d->ident_commits;

	d->ident_commits = ic->next;
	commit_free(ic);
	while (d->ident_commits && !d->ident_commits->committing) {
		struct api_ident_commit *n = d->ident_commits;

		if (!n->call.req) {
			/* Its client went away while it waited: nothing was decided yet. */
			d->ident_commits = n->next;
			commit_free(n);
			continue;
		}
		process(n);
		if (n->committing)
			break;
		d->ident_commits = n->next;
		commit_free(n);
	}
}

static void commit_cancel(struct http_req *req, void *data)
{
	struct api_ident_commit *ic = data;

	(void)req;
	/* A running commit still completes (memory follows the disk); a waiting one is dropped
	 * when its turn comes. */
	ic->call.req = NULL;
}

static void committed(void *data, int err, const char *msg)
{
	struct api_ident_commit *ic = data;
	struct scree *d = ic->call.d;

	if (err == 0)
		log_changes(d, ic->who, ic->act, ic->ids);
	if (ic->call.req) {
		ic->call.req->cancel_cb = NULL;
		if (err < 0)
			api_reply_error(&ic->call, 500, NULL, "%s", msg ? msg : "cannot write state");
		else
			api_reply_sync(&ic->call, NULL); /* no "result" key at all (§20) */
	}
	commit_next(d);
}

/* Decodes, checks and applies ic's request; either answers it (an error, or success when
 * nothing needs writing) or starts its commit (ic->committing). */
static void process(struct api_ident_commit *ic)
{
	struct api_call *c = &ic->call;
	json_t *body, *ids;
	const char *action;
	struct ident_store nw;
	struct errbuf eb;
	struct buf q = BUF_INIT;
	int act, rv;

	errbuf_clear(&eb);
	ident_store_init(&nw);
	buf_init(&q);
	body = api_decode_body(c, "cannot decode request body");
	if (!body)
		goto out;
	if (check_types(body, &eb) < 0) {
		api_reply_error(c, 400, NULL, "cannot decode request body: %s", eb.msg);
		goto out;
	}
	ids = json_object_get(body, "identities");
	action = json_string_value(json_object_get(body, "action"));
	act = ident_action_parse(action);
	rv = ident_store_apply_json(&c->d->idents, act, ids, &nw, &eb);
	if (rv == -EOPNOTSUPP) {
		gofmt_quote(&q, action ? action : "", action ? strlen(action) : 0, GOFMT_QUOTE_GO);
		api_reply_error(c, 400, NULL, "invalid action %s, must be \"add\", \"update\", \"replace\", or \"remove\"",
				q.data);
		goto out;
	}
	if (rv < 0) {
		api_reply_error(c, 400, NULL, "%s", eb.msg);
		goto out;
	}
	ic->act = (enum ident_action)act;
	ic->ids = json_incref(ids);
	if (c->req->is_unix && c->req->peer_cred_ok)
		snprintf(ic->who, sizeof(ic->who), "%u", (unsigned)c->req->peer_uid);
	rv = scree_commit_identities(c->d, &nw, committed, ic);
	if (rv < 0) {
		api_reply_error(c, 500, NULL, "cannot commit identities: %s", strerror(-rv));
		goto out;
	}
	if (rv == 1) {
		ic->committing = true;
		c->req->cancel_cb = commit_cancel;
		c->req->cancel_data = ic;
		goto out;
	}
	/* In effect at once (not persisting). */
	log_changes(c->d, ic->who, ic->act, ic->ids);
	api_reply_sync(c, NULL); /* no "result" key at all (§20) */
out:
	ident_store_done(&nw);
	buf_done(&q);
	json_decref(body);
}

void api_post_identities(struct api_call *c)
{
	struct api_ident_commit *ic = xcalloc(1, sizeof(*ic)), **tail;
	struct scree *d = c->d;

	ic->call = *c;
	c->req = NULL;
	snprintf(ic->who, sizeof(ic->who), "<unknown>");
	if (d->ident_commits) {
		/* Another commit runs: wait for it. */
		for (tail = &d->ident_commits; *tail; tail = &(*tail)->next)
			;
		*tail = ic;
		ic->call.req->cancel_cb = commit_cancel;
		ic->call.req->cancel_data = ic;
		return;
	}
	process(ic);
	if (ic->committing)
		d->ident_commits = ic;
	else
		commit_free(ic);
}

void api_identities_shutdown(struct scree *d)
{
	/* Waiting requests are dropped; the running commit (the head) ends through its
	 * callback, at the daemon's final write. */
	struct api_ident_commit **pp = d->ident_commits ? &d->ident_commits->next : NULL;

	while (pp && *pp) {
		struct api_ident_commit *n = *pp;

		*pp = n->next;
		commit_free(n);
	}
}
