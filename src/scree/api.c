/* api.c - routing, access control, envelope and access log; see api.h. */
#include "api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/strnum.h"

#define JSON_CT "application/json"

typedef void (*api_fn)(struct api_call *c);

struct api_route {
	const char *pattern;      /* "{}" matches one non-empty segment */
	api_fn get, post;
	enum api_access get_access, post_access;
	bool quiet_get;           /* no access line for GET (§1) */
};

/* The endpoint table (§10).  Files and exec come with their own files. */
static const struct api_route routes[] = {
	{ "/v1/system-info", api_get_system_info, NULL, API_OPEN, API_ADMIN, true },
	{ "/v1/health", api_get_health, NULL, API_OPEN, API_ADMIN, true },
	{ "/v1/checks", api_get_checks, api_post_checks, API_USER, API_ADMIN, false },
	{ "/v1/checks/refresh", NULL, api_post_checks_refresh, API_ADMIN, API_ADMIN, false },
	{ "/v1/notices", api_get_notices, api_post_notices, API_USER, API_USER, false },
	{ "/v1/notices/{}", api_get_notice, NULL, API_USER, API_USER, false },
	{ "/v1/services", api_get_services, api_post_services, API_USER, API_ADMIN, false },
	{ "/v1/services/{}", api_service_not_implemented, api_service_not_implemented, API_USER, API_ADMIN, false },
	{ "/v1/plan", api_get_plan, NULL, API_ADMIN, API_ADMIN, false },
	{ "/v1/layers", NULL, api_post_layers, API_ADMIN, API_ADMIN, false },
	{ "/v1/changes", api_get_changes, NULL, API_USER, API_ADMIN, false },
	{ "/v1/changes/{}", api_get_change, api_post_change, API_USER, API_ADMIN, true },
	{ "/v1/changes/{}/wait", api_get_change_wait, NULL, API_USER, API_ADMIN, false },
	{ "/v1/tasks/{}", api_get_task, NULL, API_USER, API_ADMIN, false },
	{ "/v1/signals", NULL, api_post_signals, API_ADMIN, API_ADMIN, false },
	{ "/v1/logs", api_get_logs, NULL, API_USER, API_ADMIN, false },
	{ "/v1/identities", api_get_identities, api_post_identities, API_USER, API_ADMIN, false },
	{ "/v1/metrics", api_get_metrics, NULL, API_METRICS, API_ADMIN, false },
	{ "/v1/exec", NULL, api_post_exec, API_ADMIN, API_ADMIN, false },
	{ "/v1/tasks/{}/websocket/{}", api_get_task_websocket, NULL, API_ADMIN, API_ADMIN, false },
	{ "/v1/files", api_get_files, api_post_files, API_ADMIN, API_ADMIN, false },
};

/* Routes whose POST bodies may stream: their handler sees the request once its headers
 * are in, before the body is read (api_dispatch_head), with the route's POST access. */
static const struct api_head_route {
	const char *pattern;
	api_fn post_head;
} head_routes[] = {
	{ "/v1/files", api_post_files_head },
};

/* Matches path against pattern, collecting {} segments into call->args. */
static bool route_match(const char *pattern, const char *path, struct api_call *call)
{
	size_t nargs = 0, used = 0;

	while (*pattern && *path) {
		if (pattern[0] == '{' && pattern[1] == '}') {
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);

			if (len == 0 || nargs >= 4 || used + len + 1 > sizeof(call->segs))
				return false;
			memcpy(call->segs + used, path, len);
			call->segs[used + len] = '\0';
			call->args[nargs++] = call->segs + used;
			used += len + 1;
			path += len;
			pattern += 2;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

/* The caller's level (access_caller) against the endpoint's class (access_allowed). */
static bool access_ok(const struct api_call *call, enum api_access need)
{
	const struct http_req *req = call->req;
	struct access_peer p;
	char *user = NULL, *password = NULL;
	bool ok;

	/* Open endpoints skip identity matching: clients poll them, and a basic-auth header
	 * would otherwise cost a sha512-crypt each time. */
	if (need == API_OPEN)
		return true;
	memset(&p, 0, sizeof(p));
	p.transport = req->is_unix ? ACCESS_UNIX : ACCESS_HTTP;
	p.has_uid = req->is_unix && req->peer_cred_ok;
	p.uid = (uint32_t)req->peer_uid;
	if (access_parse_basic(http_req_header(req, "Authorization"), &user, &password) == 0) {
		p.basic = true;
		p.basic_user = user;
		p.basic_password = password;
	}
	ok = access_allowed(p.transport, need, access_caller(&call->d->idents, &p, (uint32_t)call->d->uid));
	free(user);
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ok;
}

void api_access_log(struct api_call *call, int status)
{
	char dur[32];

	if (!call->log_access)
		return;
	strnum_fmt_duration((int64_t)(loop_wall_ns() - call->t0_ns), dur, sizeof(dur));
	log_info("%s %s %d (%s)", call->what, dur, status, call->is_unix ? "http+unix" : "http");
}

void api_reply_raw(struct api_call *call, int status, const char *ctype, const void *body, size_t len)
{
	api_access_log(call, status);
	http_reply(call->req, status, ctype, body, len, NULL);
	call->req = NULL;
}

static void reply_json(struct api_call *call, int status, json_t *env)
{
	char *s = json_dumps(env, JSON_COMPACT);

	json_decref(env);
	api_reply_raw(call, status, JSON_CT, s, strlen(s));
	free(s);
}

/* Envelope keys in upstream order: type, status-code, status, change, result (§9.3). */
static json_t *envelope(const char *type, int status)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "status-code", json_integer(status));
	json_object_set_new(o, "status", json_string(http_reason(status)));
	return o;
}

/* "latest-warning" follows the result when a warning notice exists (§9.3). */
static void add_latest_warning(struct api_call *call, json_t *o)
{
	uint64_t t = notices_latest_warning(&call->d->notices);
	char ts[64];

	if (!t)
		return;
	chg_fmt_time(t, ts, sizeof(ts));
	json_object_set_new(o, "latest-warning", json_string(ts));
}

void api_reply_sync_status(struct api_call *call, int status, json_t *result)
{
	json_t *o = envelope("sync", status);

	if (result && !json_is_null(result))
		json_object_set_new(o, "result", result);
	else
		json_decref(result);
	add_latest_warning(call, o);
	reply_json(call, status, o);
}

void api_reply_sync(struct api_call *call, json_t *result)
{
	api_reply_sync_status(call, 200, result);
}

void api_reply_sync_text(struct api_call *call, const char *result, size_t len)
{
	uint64_t t = notices_latest_warning(&call->d->notices);
	struct buf b = BUF_INIT;

	/* The envelope of api_reply_sync_status, key for key (§9.3). */
	buf_init(&b);
	buf_grow(&b, len + 128);
	buf_adds(&b, "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":");
	buf_add(&b, result, len);
	if (t) {
		char ts[64];

		chg_fmt_time(t, ts, sizeof(ts));
		buf_addf(&b, ",\"latest-warning\":\"%s\"", ts);
	}
	buf_addc(&b, '}');
	api_reply_raw(call, 200, JSON_CT, b.data, b.len);
	buf_done(&b);
}

void api_reply_async(struct api_call *call, int change_id)
{
	json_t *o = envelope("async", 202);

	json_object_set_new(o, "change", json_sprintf("%d", change_id));
	add_latest_warning(call, o);
	reply_json(call, 202, o);
}

void api_reply_async_result(struct api_call *call, int change_id, json_t *result)
{
	json_t *o = envelope("async", 202);

	json_object_set_new(o, "change", json_sprintf("%d", change_id));
	if (result)
		json_object_set_new(o, "result", result);
	reply_json(call, 202, o);
}

void api_reply_error(struct api_call *call, int status, const char *kind, const char *fmt, ...)
{
	json_t *o = envelope("error", status), *r = json_object();
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_object_set_new(r, "message", json_string(b.data));
	if (kind && *kind)
		json_object_set_new(r, "kind", json_string(kind));
	json_object_set_new(o, "result", r);
	buf_done(&b);
	reply_json(call, status, o);
}

json_t *api_decode_body(struct api_call *call, const char *prefix)
{
	json_error_t err;
	json_t *v;

	v = json_loadb(call->req->body.data ? call->req->body.data : "", call->req->body.len,
		       JSON_DECODE_ANY, &err);
	if (!v) {
		if (call->req->body.len == 0)
			api_reply_error(call, 400, NULL, "%s: EOF", prefix);
		else
			api_reply_error(call, 400, NULL, "%s: %s", prefix, err.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		api_reply_error(call, 400, NULL, "%s: cannot unmarshal %s into a request object", prefix,
				json_is_array(v) ? "array" : json_is_string(v) ? "string" :
				json_is_null(v) ? "null" : "value");
		json_decref(v);
		return NULL;
	}
	return v;
}

size_t api_param_list(struct api_call *call, const char *key, const char **out, size_t max)
{
	return http_req_param_all(call->req, key, out, max);
}

/* Fills call for req and finds its route (NULL: none). */
static const struct api_route *call_init(struct api_call *call, struct http_req *req, void *data)
{
	const struct api_route *r = NULL;

	memset(call, 0, sizeof(*call));
	call->d = data;
	call->req = req;
	call->t0_ns = loop_wall_ns();
	call->is_unix = req->is_unix;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (route_match(routes[i].pattern, req->path ? req->path : "", call)) {
			r = &routes[i];
			break;
		}
	}
	call->log_access = !(r && r->quiet_get && strcmp(req->method, "GET") == 0);
	if (call->log_access)
		snprintf(call->what, sizeof(call->what), "%s %s", req->method, req->path ? req->path : "");
	return r;
}

void api_dispatch_head(struct http_server *s, struct http_req *req, void *data)
{
	struct api_call call;
	const struct api_route *r;

	(void)s;
	r = call_init(&call, req, data);
	/* Only routes that stream their bodies look at heads; everything else (and every
	 * refusal: unknown path, wrong method) is decided once the body is in. */
	if (!r || strcmp(req->method, "POST") != 0)
		return;
	for (size_t i = 0; i < sizeof(head_routes) / sizeof(head_routes[0]); i++) {
		if (strcmp(head_routes[i].pattern, r->pattern) != 0)
			continue;
		if (!access_ok(&call, r->post_access)) {
			api_reply_error(&call, 401, "login-required", "access denied");
			return;
		}
		head_routes[i].post_head(&call);
		return;
	}
}

void api_dispatch(struct http_server *s, struct http_req *req, void *data)
{
	struct api_call call;
	const struct api_route *r;
	api_fn fn;
	enum api_access need;

	(void)s;
	r = call_init(&call, req, data);
	if (!r) {
		api_reply_error(&call, 404, NULL, "invalid API endpoint requested");
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		fn = r->get;
		need = r->get_access;
	} else if (strcmp(req->method, "POST") == 0) {
		fn = r->post;
		need = r->post_access;
	} else {
		fn = NULL;
		need = API_ADMIN;
	}
	if (!fn) {
		api_reply_error(&call, 405, NULL, "method \"%s\" not allowed", req->method);
		return;
	}
	if (!access_ok(&call, need)) {
		api_reply_error(&call, 401, "login-required", "access denied");
		return;
	}
	fn(&call);
}

void api_shutdown(struct scree *d)
{
	api_changes_shutdown(d);
	api_logs_shutdown(d);
	api_notices_shutdown(d);
	api_identities_shutdown(d);
	api_exec_shutdown(d);
	api_files_shutdown(d);
}
