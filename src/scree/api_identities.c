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
 * per identity of the request, with the access level it now has. */
static void log_changes(struct api_call *c, enum ident_action act, json_t *ids)
{
	char who[32] = "<unknown>";
	const char *name;
	json_t *v;

	if (c->req->is_unix && c->req->peer_cred_ok)
		snprintf(who, sizeof(who), "%u", (unsigned)c->req->peer_uid);
	json_object_foreach(ids, name, v) {
		const struct ident *id = json_is_null(v) ? NULL : ident_store_get(&c->d->idents, name);
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

void api_post_identities(struct api_call *c)
{
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
	if (scree_commit_identities(c->d, &nw, &eb) < 0) {
		api_reply_error(c, 500, NULL, "%s", eb.msg);
		goto out;
	}
	log_changes(c, (enum ident_action)act, ids);
	/* Success has no "result" key at all (§20). */
	api_reply_sync(c, NULL);
out:
	ident_store_done(&nw);
	buf_done(&q);
	json_decref(body);
}
