/* container.c - containers and the JSON side of the Pebble client: system-info, layers and
 * plan, services, changes, signals (pebble-api.md §10-§12, §18, §21); see cairn/charm.h.
 * Files, exec, checks and notices are in the other pebble_*.c files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/loop.h"
#include "sdk/container.h"
#include "sdk/error.h"
#include "sdk/value.h"

/* Changes are waited for in slices no longer than this, as ops does (§11). */
#define WAIT_SLICE_MS 4000

int cairn_container(struct cairn_charm *ch, const char *name, struct cairn_container **ret, struct cairn_error *err)
{
	const char *declared = meta_has(&ch->meta, META_CONTAINER, name);
	struct cairn_container *c;

	if (!declared)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no container \"%s\" in metadata.yaml", name ? name : "");
	for (size_t i = 0; i < ch->n_containers; i++)
		if (!strcmp(ch->containers[i]->name, declared)) {
			*ret = ch->containers[i];
			return 0;
		}
	c = xcalloc(1, sizeof(*c));
	c->ch = ch;
	c->name = xstrdup(declared);
	c->timeout_ms = PEBBLE_DEFAULT_TIMEOUT_MS;
	ch->containers = xrealloc(ch->containers, (ch->n_containers + 1) * sizeof(*ch->containers));
	ch->containers[ch->n_containers++] = c;
	*ret = c;
	return 0;
}

const char *cairn_container_name(const struct cairn_container *c)
{
	return c->name;
}

void cairn_pebble_set_timeout(struct cairn_container *c, int timeout_ms)
{
	if (timeout_ms > 0)
		c->timeout_ms = timeout_ms;
}

struct pebble *container_pebble(struct cairn_container *c, struct cairn_error *err)
{
	if (!c->pb)
		c->pb = c->ch->pebble_factory(c->ch->pebble_data, c->name);
	if (!c->pb)
		sdk_err(err, CAIRN_ERR_CONNECTION, "no Pebble client for container \"%s\"", c->name);
	return c->pb;
}

static int request(struct cairn_container *c, const char *method, const char *path, const char *query, json_t *body,
		   int timeout_ms, json_t **ret, char **ret_change, struct cairn_error *err)
{
	struct pebble *pb = container_pebble(c, err);
	json_t *res = NULL;
	char *change = NULL;
	int r;

	if (!pb)
		return sdk_errno(CAIRN_ERR_CONNECTION);
	r = pb->ops->request(pb, method, path, query, body, timeout_ms, &res, ret_change ? &change : NULL, err);
	if (r < 0)
		return r;
	if (ret_change) {
		if (!change) {
			json_decref(res);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s %s: expected an async answer", method, path);
		}
		*ret_change = change;
		if (ret)
			*ret = res;
		else
			json_decref(res);
		return 0;
	}
	if (ret)
		*ret = res;
	else
		json_decref(res);
	return 0;
}

/* A plain request is bounded by the connect timeout, or by the container's timeout when
 * that is shorter. */
static int plain_timeout(const struct cairn_container *c)
{
	return c->timeout_ms < PEBBLE_CONNECT_TIMEOUT_MS ? c->timeout_ms : PEBBLE_CONNECT_TIMEOUT_MS;
}

int container_get(struct cairn_container *c, const char *path, const char *query, json_t **ret,
		  struct cairn_error *err)
{
	return request(c, "GET", path, query, NULL, plain_timeout(c), ret, NULL, err);
}

int container_post(struct cairn_container *c, const char *path, json_t *body, json_t **ret, struct cairn_error *err)
{
	return request(c, "POST", path, NULL, body, plain_timeout(c), ret, NULL, err);
}

int container_get_list(struct cairn_container *c, const char *path, const char *query, const char *what,
		       json_t **ret, struct cairn_error *err)
{
	json_t *res = NULL;
	int r = container_get(c, path, query, &res, err);

	if (r < 0)
		return r;
	if (json_is_null(res)) {
		json_decref(res);
		res = json_array();
	}
	if (!json_is_array(res)) {
		json_decref(res);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s: the answer is not a list", what);
	}
	*ret = res;
	return 0;
}

int container_post_async(struct cairn_container *c, const char *path, json_t *body, json_t **ret_result,
			 char **ret_change, struct cairn_error *err)
{
	return request(c, "POST", path, NULL, body, plain_timeout(c), ret_result, ret_change, err);
}

int container_post_wait(struct cairn_container *c, const char *path, json_t *body, struct cairn_error *err)
{
	char *change = NULL;
	int r = request(c, "POST", path, NULL, body, plain_timeout(c), NULL, &change, err);

	if (r < 0)
		return r;
	r = cairn_pebble_wait_change(c, change, 0, err);
	free(change);
	return r;
}

/* ---- query strings ---- */

void query_add(struct buf *q, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	if (q->len)
		buf_addc(q, '&');
	buf_adds(q, key);
	buf_addc(q, '=');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~/", *p)) {
			buf_addc(q, (char)*p);
		} else {
			buf_addc(q, '%');
			buf_addc(q, hex[*p >> 4]);
			buf_addc(q, hex[*p & 15]);
		}
	}
}

void query_add_list(struct buf *q, const char *key, const char *const *names)
{
	struct buf v = BUF_INIT;

	if (!names || !names[0])
		return;
	buf_init(&v);
	for (size_t i = 0; names[i]; i++)
		buf_addf(&v, "%s%s", i ? "," : "", names[i]);
	query_add(q, key, buf_str(&v));
	buf_done(&v);
}

json_t *names_json(const char *const *names)
{
	json_t *a = json_array();

	for (size_t i = 0; names && names[i]; i++) {
		json_t *s = json_string(names[i]);

		if (!s) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, s);
	}
	return a;
}

char *json_dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? xstrdup(s) : NULL;
}

int64_t json_int_or(json_t *o, const char *key, int64_t def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

int path_error(int r, struct cairn_error *err)
{
	static const char *const file_kinds[] = { "not-found", "permission-denied", "generic-file-error" };

	if (r >= 0 || !err || err->kind != CAIRN_ERR_API)
		return r;
	for (size_t i = 0; i < sizeof(file_kinds) / sizeof(file_kinds[0]); i++)
		if (!strcmp(err->pebble_kind, file_kinds[i])) {
			err->kind = CAIRN_ERR_PATH;
			return sdk_errno(CAIRN_ERR_PATH);
		}
	return r;
}

/* ---- system info ---- */

bool cairn_container_can_connect(struct cairn_container *c)
{
	struct cairn_system_info si;

	return cairn_pebble_system_info(c, &si, NULL) == 0;
}

int cairn_pebble_system_info(struct cairn_container *c, struct cairn_system_info *ret, struct cairn_error *err)
{
	json_t *res = NULL;
	int r = container_get(c, "/v1/system-info", NULL, &res, err);

	if (r < 0)
		return r;
	if (!json_is_object(res) || !json_is_string(json_object_get(res, "version"))) {
		json_decref(res);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "system-info: no version in the answer");
	}
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->version, sizeof(ret->version), "%s", json_string_value(json_object_get(res, "version")));
	if (json_is_string(json_object_get(res, "boot-id")))
		snprintf(ret->boot_id, sizeof(ret->boot_id), "%s", json_string_value(json_object_get(res, "boot-id")));
	json_decref(res);
	return 0;
}

/* ---- layers and plan ---- */

int cairn_pebble_add_layer(struct cairn_container *c, const char *label, const struct cairn_layer *l, bool combine,
			   struct cairn_error *err)
{
	json_t *body;
	char *yaml;
	int r;

	if (!label || !*label || !l)
		return sdk_err(err, CAIRN_ERR_INVALID, "add_layer needs a label and a layer");
	yaml = cairn_layer_to_yaml(l);
	body = json_pack("{s:s, s:b, s:s?, s:s, s:s?}", "action", "add", "combine", combine, "label", label, "format",
			 "yaml", "layer", yaml);
	free(yaml);
	if (!body || !json_is_string(json_object_get(body, "label")))
		r = sdk_err(err, CAIRN_ERR_INVALID, "layer label must be valid UTF-8");
	else
		r = container_post(c, "/v1/layers", body, NULL, err);
	json_decref(body);
	return r;
}

int cairn_pebble_get_plan(struct cairn_container *c, struct cairn_layer **ret, struct cairn_error *err)
{
	json_t *res = NULL;
	int r = container_get(c, "/v1/plan", "format=yaml", &res, err);

	if (r < 0)
		return r;
	if (!json_is_string(res)) {
		json_decref(res);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "plan: the answer is not YAML text");
	}
	r = cairn_layer_from_yaml(json_string_value(res), ret, err);
	json_decref(res);
	if (r < 0) {
		/* Pebble's own plan that we cannot read is the peer's problem, not the caller's. */
		if (err) {
			err->kind = CAIRN_ERR_PROTOCOL;
			sdk_err_wrap(err, "plan");
		}
		return sdk_errno(CAIRN_ERR_PROTOCOL);
	}
	return 0;
}

/* ---- services ---- */

static const char *const service_status_names[_CAIRN_SERVICE_STATUS_MAX] = {
	[CAIRN_SERVICE_INACTIVE] = "inactive", [CAIRN_SERVICE_ACTIVE] = "active",
	[CAIRN_SERVICE_BACKOFF] = "backoff",   [CAIRN_SERVICE_ERROR] = "error",
	[CAIRN_SERVICE_UNKNOWN] = "unknown",
};

const char *cairn_service_status_name(enum cairn_service_status st)
{
	return (unsigned)st < _CAIRN_SERVICE_STATUS_MAX ? service_status_names[st] : "unknown";
}

static enum cairn_service_status service_status_from(const char *s)
{
	for (int i = 0; i < CAIRN_SERVICE_UNKNOWN; i++)
		if (s && !strcmp(s, service_status_names[i]))
			return (enum cairn_service_status)i;
	return CAIRN_SERVICE_UNKNOWN;
}

void cairn_service_info_done(struct cairn_service_info *info)
{
	if (!info)
		return;
	free(info->name);
	free(info->current_since);
	memset(info, 0, sizeof(*info));
}

void cairn_service_infos_free(struct cairn_service_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cairn_service_info_done(&v[i]);
	free(v);
}

int cairn_pebble_get_services(struct cairn_container *c, const char *const *names, struct cairn_service_info **ret,
			      size_t *ret_n, struct cairn_error *err)
{
	struct buf q = BUF_INIT;
	struct cairn_service_info *v;
	json_t *res = NULL, *e;
	size_t i, n = 0;
	int r;

	buf_init(&q);
	query_add_list(&q, "names", names);
	r = container_get_list(c, "/v1/services", q.len ? q.data : NULL, "services", &res, err);
	buf_done(&q);
	if (r < 0)
		return r;
	v = xcalloc(json_array_size(res) + 1, sizeof(*v));
	json_array_foreach(res, i, e) {
		if (!json_is_string(json_object_get(e, "name"))) {
			cairn_service_infos_free(v, n);
			json_decref(res);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "services: an entry has no name");
		}
		v[n].name = json_dup_str(e, "name");
		v[n].startup_enabled = json_string_value(json_object_get(e, "startup")) &&
				       !strcmp(json_string_value(json_object_get(e, "startup")), "enabled");
		v[n].current = service_status_from(json_string_value(json_object_get(e, "current")));
		v[n].current_since = json_dup_str(e, "current-since");
		n++;
	}
	json_decref(res);
	*ret = v;
	*ret_n = n;
	return 0;
}

int cairn_pebble_get_service(struct cairn_container *c, const char *name, struct cairn_service_info *ret,
			     struct cairn_error *err)
{
	const char *names[2] = { name, NULL };
	struct cairn_service_info *v = NULL;
	size_t n = 0;
	int r;

	if (!name || !*name)
		return sdk_err(err, CAIRN_ERR_INVALID, "no service name");
	r = cairn_pebble_get_services(c, names, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name)) {
			*ret = v[i];
			memset(&v[i], 0, sizeof(v[i]));
			cairn_service_infos_free(v, n);
			return 0;
		}
	cairn_service_infos_free(v, n);
	return sdk_err(err, CAIRN_ERR_NOT_FOUND, "service \"%s\" not found", name);
}

static int services_action(struct cairn_container *c, const char *action, const char *const *names,
			   struct cairn_error *err)
{
	json_t *body, *list = NULL;
	int r;

	if (names) {
		if (!names[0])
			return sdk_err(err, CAIRN_ERR_INVALID, "%s needs at least one service", action);
		list = names_json(names);
		if (!list)
			return sdk_err(err, CAIRN_ERR_INVALID, "service names must be valid UTF-8");
		body = json_pack("{s:s, s:o}", "action", action, "services", list);
	} else {
		body = json_pack("{s:s}", "action", action);
	}
	r = container_post_wait(c, "/v1/services", body, err);
	json_decref(body);
	return r;
}

int cairn_pebble_start(struct cairn_container *c, const char *const *names, struct cairn_error *err)
{
	return names ? services_action(c, "start", names, err) : sdk_err(err, CAIRN_ERR_INVALID, "no services");
}

int cairn_pebble_stop(struct cairn_container *c, const char *const *names, struct cairn_error *err)
{
	return names ? services_action(c, "stop", names, err) : sdk_err(err, CAIRN_ERR_INVALID, "no services");
}

int cairn_pebble_restart(struct cairn_container *c, const char *const *names, struct cairn_error *err)
{
	struct cairn_service_info *v = NULL;
	const char **running;
	size_t n = 0, k = 0;
	int r;

	if (!names)
		return sdk_err(err, CAIRN_ERR_INVALID, "no services");
	r = services_action(c, "restart", names, err);
	if (r >= 0 || !err || err->kind != CAIRN_ERR_API || err->code != 400)
		return r;
	/* A Pebble without the "restart" action (400): stop what runs, then start, as ops. */
	r = cairn_pebble_get_services(c, names, &v, &n, err);
	if (r < 0)
		return r;
	running = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (v[i].current == CAIRN_SERVICE_ACTIVE || v[i].current == CAIRN_SERVICE_BACKOFF)
			running[k++] = v[i].name;
	r = k ? services_action(c, "stop", running, err) : 0;
	if (r >= 0)
		r = services_action(c, "start", names, err);
	free(running);
	cairn_service_infos_free(v, n);
	return r;
}

int cairn_pebble_autostart(struct cairn_container *c, struct cairn_error *err)
{
	return services_action(c, "autostart", NULL, err);
}

int cairn_pebble_replan(struct cairn_container *c, struct cairn_error *err)
{
	return services_action(c, "replan", NULL, err);
}

/* ---- changes ---- */

int cairn_pebble_wait_change(struct cairn_container *c, const char *id, int timeout_ms, struct cairn_error *err)
{
	return container_wait_change(c, id, timeout_ms, NULL, err);
}

int container_wait_change(struct cairn_container *c, const char *id, int timeout_ms, json_t **ret_change,
			  struct cairn_error *err)
{
	int total = timeout_ms > 0 ? timeout_ms : c->timeout_ms;
	uint64_t deadline;
	char path[96];
	int r;

	if (!id || !*id || strlen(id) > 32 || strpbrk(id, "/?&%# "))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid change id \"%s\"", id ? id : "");
	snprintf(path, sizeof(path), "/v1/changes/%s/wait", id);
	deadline = loop_now_ms() + (uint64_t)total;
	for (;;) {
		uint64_t now = loop_now_ms();
		int left = now >= deadline ? 0 : (int)(deadline - now);
		int slice = left > WAIT_SLICE_MS ? WAIT_SLICE_MS : left;
		char q[48];
		json_t *ch = NULL;

		if (left <= 0) {
			r = sdk_err(err, CAIRN_ERR_TIMEOUT, "timed out waiting for change %s (%d ms)", id, total);
			if (err)
				snprintf(err->change_id, sizeof(err->change_id), "%s", id);
			return r;
		}
		snprintf(q, sizeof(q), "timeout=%d.%03ds", slice / 1000, slice % 1000);
		r = request(c, "GET", path, q, NULL, slice + plain_timeout(c), &ch, NULL, err);
		if (r < 0 && err && err->kind == CAIRN_ERR_API && err->code == 504)
			continue; /* this slice ran out; the change is still going */
		if (r < 0)
			return r;
		if (!json_is_object(ch) || !json_is_boolean(json_object_get(ch, "ready"))) {
			json_decref(ch);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "change %s: malformed answer", id);
		}
		if (!json_is_true(json_object_get(ch, "ready"))) {
			json_decref(ch);
			continue;
		}
		if (json_is_string(json_object_get(ch, "err"))) {
			r = sdk_err(err, CAIRN_ERR_CHANGE, "%s", json_string_value(json_object_get(ch, "err")));
			if (err)
				snprintf(err->change_id, sizeof(err->change_id), "%s", id);
			json_decref(ch);
			return r;
		}
		if (ret_change)
			*ret_change = ch;
		else
			json_decref(ch);
		return 0;
	}
}

/* ---- signals ---- */

int cairn_pebble_send_signal(struct cairn_container *c, const char *signal, const char *const *names,
			     struct cairn_error *err)
{
	json_t *body, *list = names ? names_json(names) : NULL;
	int r;

	if (!signal || !list || !json_array_size(list)) {
		json_decref(list);
		return sdk_err(err, CAIRN_ERR_INVALID, "send_signal needs a signal and at least one service");
	}
	body = json_pack("{s:s, s:o}", "signal", signal, "services", list);
	if (!body)
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid signal name");
	r = container_post(c, "/v1/signals", body, NULL, err);
	json_decref(body);
	return r;
}
