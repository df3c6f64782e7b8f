/* pebble_http.c - the Pebble transport over HTTP/1.1 on the container's UNIX socket; see
 * pebble.h.  One kept-alive connection per container, opened on first use and reopened
 * after a failure.  Every answer must be Pebble's JSON envelope with Content-Type
 * application/json (pebble-api.md §9.3); anything else is CAIRN_ERR_PROTOCOL, an error
 * envelope is CAIRN_ERR_API with its status code and kind, and a socket that is missing,
 * refuses or breaks is CAIRN_ERR_CONNECTION. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_client.h"
#include "lib/errbuf.h"
#include "sdk/error.h"
#include "sdk/pebble.h"
#include "sdk/pebble_http.h"

/* Opens the connection when there is none. */
static int http_conn(struct pebble_http *p, int timeout_ms, struct cairn_error *err)
{
	struct errbuf eb;
	int r;

	if (p->hc) {
		http_client_set_timeout(p->hc, timeout_ms);
		return 0;
	}
	errbuf_clear(&eb);
	r = http_client_open_unix(p->path, timeout_ms, &p->hc, &eb);
	if (r < 0)
		return sdk_err(err, r == -ETIMEDOUT ? CAIRN_ERR_TIMEOUT : CAIRN_ERR_CONNECTION, "%s", eb.msg);
	return 0;
}

int pebble_http_exchange(struct pebble *pb, const struct http_client_req *rq, int timeout_ms,
			 struct http_response *resp, struct cairn_error *err)
{
	const char *method = rq->method, *target = rq->target;
	struct pebble_http *p = (struct pebble_http *)pb;
	struct errbuf eb;
	int r;

	r = http_conn(p, timeout_ms > 0 ? timeout_ms : PEBBLE_CONNECT_TIMEOUT_MS, err);
	if (r < 0)
		return r;
	errbuf_clear(&eb);
	r = http_client_request_ex(p->hc, rq, resp, &eb);
	if (r < 0) {
		/* The connection is in an unknown state: start afresh next time. */
		http_client_free(p->hc);
		p->hc = NULL;
		if (r == -EINVAL)
			return sdk_err(err, CAIRN_ERR_INVALID, "%s", eb.msg);
		if (r == -EPROTO)
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s %s: %s", method, target, eb.msg);
		return sdk_err(err, r == -ETIMEDOUT ? CAIRN_ERR_TIMEOUT : CAIRN_ERR_CONNECTION, "%s %s: %s", method,
			       target, eb.msg);
	}
	if (resp->body.len > PEBBLE_MAX_RESPONSE) {
		http_response_done(resp);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s %s: answer larger than %u bytes", method, target,
			       PEBBLE_MAX_RESPONSE);
	}
	return 0;
}

int pebble_envelope(const char *what, const struct http_response *resp, json_t **ret_result, char **ret_change,
		    struct cairn_error *err)
{
	const char *ct = buf_str(&resp->content_type);
	const char *type, *msg, *kind;
	json_error_t je;
	json_t *env, *res;
	int r;

	if (strncasecmp(ct, "application/json", 16) != 0)
		return sdk_err_code(err, CAIRN_ERR_PROTOCOL, resp->status, NULL,
				    "%s: expected a JSON answer, got content type \"%s\" (status %d)", what, ct,
				    resp->status);
	env = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &je);
	if (!json_is_object(env)) {
		json_decref(env);
		return sdk_err_code(err, CAIRN_ERR_PROTOCOL, resp->status, NULL, "%s: invalid JSON answer: %s", what,
				    json_is_object(env) ? "" : je.text);
	}
	type = json_string_value(json_object_get(env, "type"));
	res = json_object_get(env, "result");
	if (type && !strcmp(type, "error")) {
		msg = json_string_value(json_object_get(res, "message"));
		kind = json_string_value(json_object_get(res, "kind"));
		r = sdk_err_code(err, CAIRN_ERR_API, resp->status, kind, "%s", msg ? msg : "unknown error");
		json_decref(env);
		return r;
	}
	if (resp->status < 200 || resp->status > 299 || !type || (strcmp(type, "sync") && strcmp(type, "async"))) {
		r = sdk_err_code(err, CAIRN_ERR_PROTOCOL, resp->status, NULL, "%s: unexpected answer (status %d, type %s)",
				 what, resp->status, type ? type : "none");
		json_decref(env);
		return r;
	}
	if (!strcmp(type, "async")) {
		const char *change = json_string_value(json_object_get(env, "change"));

		if (!change || !ret_change) {
			json_decref(env);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s: unexpected async answer", what);
		}
		*ret_change = xstrdup(change);
		if (ret_result)
			*ret_result = res ? json_incref(res) : json_null();
		json_decref(env);
		return 0;
	}
	if (ret_change)
		*ret_change = NULL;
	if (ret_result)
		*ret_result = res ? json_incref(res) : json_null();
	json_decref(env);
	return 0;
}

static int http_request(struct pebble *pb, const char *method, const char *path, const char *query, json_t *body,
			int timeout_ms, json_t **ret_result, char **ret_change, struct cairn_error *err)
{
	struct http_response resp;
	char *target = query && *query ? xasprintf("%s?%s", path, query) : xstrdup(path);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	char what[128];
	int r;

	struct http_client_req rq = {
		.method = method,
		.target = target,
		.content_type = text ? "application/json" : NULL,
		.body = text,
		.len = text ? strlen(text) : 0,
	};

	snprintf(what, sizeof(what), "%s %s", method, path);
	r = pebble_http_exchange(pb, &rq, timeout_ms, &resp, err);
	if (r == 0) {
		r = pebble_envelope(what, &resp, ret_result, ret_change, err);
		http_response_done(&resp);
	}
	free(target);
	free(text);
	return r;
}

static void http_free(struct pebble *pb)
{
	struct pebble_http *p = (struct pebble_http *)pb;

	http_client_free(p->hc);
	free(p->path);
	free(p);
}

static const struct pebble_ops http_ops = {
	.request = http_request,
	.push = pebble_http_push,
	.pull = pebble_http_pull,
	.exec_io = pebble_http_exec_io,
	.free = http_free,
};

struct pebble *pebble_http_new(const char *socket_path)
{
	struct pebble_http *p = xcalloc(1, sizeof(*p));

	p->base.ops = &http_ops;
	p->path = xstrdup(socket_path);
	return &p->base;
}

void pebble_free(struct pebble *p)
{
	if (p)
		p->ops->free(p);
}
