/* api_checks.c - GET/POST /v1/checks, POST /v1/checks/refresh and GET /v1/health (§10,
 * §14).  A refresh is answered when the check's run ends: the request is parked on the
 * check and dropped when the client goes away. */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

/* The exact health bodies clients compare byte for byte (§14). */
static const char health_ok[] = "{\"result\":{\"healthy\":true},\"status\":\"OK\",\"status-code\":200,\"type\":\"sync\"}";
static const char health_down[] =
	"{\"result\":{\"healthy\":false},\"status\":\"Bad Gateway\",\"status-code\":502,\"type\":\"sync\"}";

struct api_refresh {
	struct api_call call;
	struct check_waiter w;
};

/* Reads ?level=; false after answering 400 when it is neither alive nor ready. */
static bool get_level(struct api_call *c, const char **ret)
{
	const char *level = http_req_param(c->req, "level");

	if (level && *level && strcmp(level, "alive") != 0 && strcmp(level, "ready") != 0) {
		api_reply_error(c, 400, NULL, "level must be \"alive\" or \"ready\"");
		return false;
	}
	*ret = level ? level : "";
	return true;
}

void api_get_checks(struct api_call *c)
{
	const char *names[API_MAX_LIST], *level;
	size_t n;

	if (!get_level(c, &level))
		return;
	n = api_param_list(c, "names", names, API_MAX_LIST);
	api_reply_sync(c, checks_info_json(&c->d->checks, level, (char *const *)names, n));
}

void api_get_health(struct api_call *c)
{
	const char *names[API_MAX_LIST], *level;
	size_t n;

	if (!get_level(c, &level))
		return;
	n = api_param_list(c, "names", names, API_MAX_LIST);
	if (checks_healthy(&c->d->checks, level, (char *const *)names, n))
		api_reply_raw(c, 200, "application/json", health_ok, sizeof(health_ok) - 1);
	else
		api_reply_raw(c, 502, "application/json", health_down, sizeof(health_down) - 1);
}

/* The security event upstream logs for each check a start or stop names. */
static void log_monitor_event(bool start, const char *name)
{
	char ts[64];

	log_fmt_rfc3339nano(loop_wall_ns(), ts, sizeof(ts));
	log_info("{\"type\":\"security\",\"datetime\":\"%s\",\"level\":\"WARN\",\"event\":\"sys_monitor_%s:<unknown>,%s\","
		 "\"description\":\"%s check %s\",\"appid\":\"pebble\"}",
		 ts, start ? "enabled" : "disabled", name, start ? "Starting" : "Stopping", name);
}

void api_post_checks(struct api_call *c)
{
	static const char prefix[] = "cannot decode data from request body";
	json_t *body = api_decode_body(c, prefix), *action, *list, *v, *changed = NULL;
	const char *act;
	char **names = NULL;
	size_t n = 0, i;
	struct errbuf eb;
	int rv;

	if (!body)
		return;
	errbuf_clear(&eb);
	action = json_object_get(body, "action");
	list = json_object_get(body, "checks");
	if (action && !json_is_string(action) && !json_is_null(action)) {
		api_reply_error(c, 400, NULL, "%s: field \"action\" must be a string", prefix);
		goto out;
	}
	if (list && !json_is_array(list) && !json_is_null(list)) {
		api_reply_error(c, 400, NULL, "%s: field \"checks\" must be a list of strings", prefix);
		goto out;
	}
	json_array_foreach(list, i, v) {
		if (!json_is_string(v)) {
			api_reply_error(c, 400, NULL, "%s: field \"checks\" must be a list of strings", prefix);
			goto out;
		}
		names = xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = (char *)json_string_value(v);
	}
	act = json_string_value(action) ? json_string_value(action) : "";
	/* Upstream checks the list before the action. */
	if (n == 0) {
		api_reply_error(c, 400, NULL, "must specify checks for %s action", act);
		goto out;
	}
	if (strcmp(act, "start") == 0) {
		rv = checks_start(&c->d->checks, names, n, &changed, &eb);
	} else if (strcmp(act, "stop") == 0) {
		rv = checks_stop(&c->d->checks, names, n, &changed, &eb);
	} else {
		api_reply_error(c, 400, NULL, "invalid action \"%s\"", act);
		goto out;
	}
	if (rv < 0) {
		api_reply_error(c, 400, NULL, "cannot %s checks: %s", act, eb.msg);
		goto out;
	}
	for (i = 0; i < n; i++)
		log_monitor_event(strcmp(act, "start") == 0, names[i]);
	api_reply_sync(c, json_pack("{s:o}", "changed", changed));
out:
	free(names);
	json_decref(body);
}

static void refresh_done(struct check_waiter *w, const struct check *ck, const char *err)
{
	struct api_refresh *r = w->w_data;
	json_t *res;

	if (r->call.req)
		r->call.req->cancel_cb = NULL;
	if (!ck) {
		api_reply_error(&r->call, 404, NULL, "cannot find check with name \"%s\"", r->call.args[0]);
		free(r);
		return;
	}
	res = json_pack("{s:o}", "info", check_info_json(ck));
	if (err)
		json_object_set_new(res, "error", json_string(err));
	api_reply_sync(&r->call, res);
	free(r);
}

static void refresh_cancel(struct http_req *req, void *data)
{
	struct api_refresh *r = data;

	(void)req;
	r->call.req = NULL;
	checks_refresh_cancel(&r->w);
	free(r);
}

void api_post_checks_refresh(struct api_call *c)
{
	json_t *body = api_decode_body(c, "cannot decode request body"), *name;
	struct api_refresh *r;
	int rv;

	if (!body)
		return;
	name = json_object_get(body, "name");
	if (name && !json_is_string(name) && !json_is_null(name)) {
		api_reply_error(c, 400, NULL, "cannot decode request body: field \"name\" must be a string");
		goto out;
	}
	if (!json_string_value(name) || !*json_string_value(name)) {
		api_reply_error(c, 400, NULL, "must specify check name");
		goto out;
	}
	if (json_string_length(name) >= sizeof(c->segs)) {
		api_reply_error(c, 404, NULL, "cannot find check with name \"%s\"", json_string_value(name));
		goto out;
	}
	r = xcalloc(1, sizeof(*r));
	r->call = *c;
	/* The check name lives in the call's own storage (args[0]) so the reply can use it. */
	memcpy(r->call.segs, json_string_value(name), json_string_length(name) + 1);
	r->call.args[0] = r->call.segs;
	r->w.w_cb = refresh_done;
	r->w.w_data = r;
	rv = checks_refresh(&c->d->checks, json_string_value(name), &r->w);
	if (rv == -ENOENT) {
		api_reply_error(c, 404, NULL, "cannot find check with name \"%s\"", json_string_value(name));
		free(r);
		goto out;
	}
	if (rv < 0) {
		api_reply_error(c, 503, NULL, "too many refreshes of check \"%s\" waiting", json_string_value(name));
		free(r);
		goto out;
	}
	c->req->cancel_cb = refresh_cancel;
	c->req->cancel_data = r;
out:
	json_decref(body);
}
