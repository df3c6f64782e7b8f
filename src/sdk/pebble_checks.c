/* pebble_checks.c - health checks and notices of a container (pebble-api.md §14, §19); see
 * cairn/charm.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/container.h"
#include "sdk/error.h"
#include "sdk/value.h"

static const char *const check_status_names[_CAIRN_CHECK_STATUS_MAX] = {
	[CAIRN_CHECK_UP] = "up", [CAIRN_CHECK_DOWN] = "down", [CAIRN_CHECK_INACTIVE] = "inactive",
	[CAIRN_CHECK_UNKNOWN] = "unknown",
};

const char *cairn_check_status_name(enum cairn_check_status st)
{
	return (unsigned)st < _CAIRN_CHECK_STATUS_MAX ? check_status_names[st] : "unknown";
}

static enum cairn_check_status check_status_from(const char *s)
{
	for (int i = 0; i < CAIRN_CHECK_UNKNOWN; i++)
		if (s && !strcmp(s, check_status_names[i]))
			return (enum cairn_check_status)i;
	return CAIRN_CHECK_UNKNOWN;
}

void cairn_check_infos_free(struct cairn_check_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].level);
		free(v[i].change_id);
	}
	free(v);
}

void cairn_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int cairn_pebble_get_checks(struct cairn_container *c, const char *level, const char *const *names,
			    struct cairn_check_info **ret, size_t *ret_n, struct cairn_error *err)
{
	struct buf q = BUF_INIT;
	struct cairn_check_info *v;
	json_t *res = NULL, *e;
	size_t i, n = 0;
	int r;

	if (level && strcmp(level, "alive") && strcmp(level, "ready"))
		return sdk_err(err, CAIRN_ERR_INVALID, "level must be \"alive\" or \"ready\"");
	buf_init(&q);
	if (level)
		query_add(&q, "level", level);
	query_add_list(&q, "names", names);
	r = container_get_list(c, "/v1/checks", q.len ? q.data : NULL, "checks", &res, err);
	buf_done(&q);
	if (r < 0)
		return r;
	v = xcalloc(json_array_size(res) + 1, sizeof(*v));
	json_array_foreach(res, i, e) {
		const char *startup = json_string_value(json_object_get(e, "startup"));
		const char *cid = json_string_value(json_object_get(e, "change-id"));

		if (!json_is_string(json_object_get(e, "name"))) {
			cairn_check_infos_free(v, n);
			json_decref(res);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "checks: an entry has no name");
		}
		v[n].name = json_dup_str(e, "name");
		v[n].level = json_dup_str(e, "level");
		v[n].startup_enabled = !startup || strcmp(startup, "disabled");
		v[n].status = check_status_from(json_string_value(json_object_get(e, "status")));
		/* ops reports a check with a startup but no change id as inactive (§14). */
		if (startup && (!cid || !*cid))
			v[n].status = CAIRN_CHECK_INACTIVE;
		v[n].successes = json_int_or(e, "successes", 0);
		v[n].failures = json_int_or(e, "failures", 0);
		v[n].threshold = json_int_or(e, "threshold", 0);
		v[n].change_id = cid && *cid ? xstrdup(cid) : NULL;
		n++;
	}
	json_decref(res);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int checks_action(struct cairn_container *c, const char *action, const char *const *names, char ***ret,
			 struct cairn_error *err)
{
	json_t *list = names ? names_json(names) : NULL, *body, *res = NULL, *changed, *e;
	char **v;
	size_t i, n = 0;
	int r;

	if (!list || !json_array_size(list)) {
		json_decref(list);
		return sdk_err(err, CAIRN_ERR_INVALID, "%s_checks needs at least one check", action);
	}
	body = json_pack("{s:s, s:o}", "action", action, "checks", list);
	r = container_post(c, "/v1/checks", body, &res, err);
	json_decref(body);
	if (r < 0)
		return r;
	changed = json_object_get(res, "changed");
	if (!json_is_array(changed) && !json_is_null(changed)) {
		json_decref(res);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "checks: no \"changed\" list in the answer");
	}
	if (ret) {
		v = xcalloc(json_array_size(changed) + 1, sizeof(char *));
		json_array_foreach(changed, i, e)
			if (json_is_string(e))
				v[n++] = xstrdup(json_string_value(e));
		*ret = v;
	}
	json_decref(res);
	return 0;
}

int cairn_pebble_start_checks(struct cairn_container *c, const char *const *names, char ***ret, struct cairn_error *err)
{
	return checks_action(c, "start", names, ret, err);
}

int cairn_pebble_stop_checks(struct cairn_container *c, const char *const *names, char ***ret, struct cairn_error *err)
{
	return checks_action(c, "stop", names, ret, err);
}

/* ---- notices ---- */

void cairn_notice_done(struct cairn_notice *n)
{
	if (!n)
		return;
	free(n->id);
	free(n->type);
	free(n->key);
	free(n->first_occurred);
	free(n->last_occurred);
	free(n->last_repeated);
	cairn_value_free(n->last_data);
	free(n->repeat_after);
	free(n->expire_after);
	memset(n, 0, sizeof(*n));
}

void cairn_notices_free(struct cairn_notice *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cairn_notice_done(&v[i]);
	free(v);
}

static int notice_from(json_t *e, struct cairn_notice *n, struct cairn_error *err)
{
	json_t *data = json_object_get(e, "last-data");

	if (!json_is_object(e) || !json_is_string(json_object_get(e, "id")) || !json_is_string(json_object_get(e, "type")))
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "notices: an entry has no id or type");
	memset(n, 0, sizeof(*n));
	n->id = json_dup_str(e, "id");
	n->user_id = json_is_integer(json_object_get(e, "user-id")) ? json_integer_value(json_object_get(e, "user-id")) : -1;
	n->type = json_dup_str(e, "type");
	n->key = json_dup_str(e, "key");
	n->first_occurred = json_dup_str(e, "first-occurred");
	n->last_occurred = json_dup_str(e, "last-occurred");
	n->last_repeated = json_dup_str(e, "last-repeated");
	n->occurrences = json_is_integer(json_object_get(e, "occurrences"))
				 ? json_integer_value(json_object_get(e, "occurrences"))
				 : 0;
	n->last_data = value_of(json_is_object(data) ? json_deep_copy(data) : json_object());
	n->repeat_after = json_dup_str(e, "repeat-after");
	n->expire_after = json_dup_str(e, "expire-after");
	return 0;
}

int cairn_pebble_get_notices(struct cairn_container *c, const struct cairn_notice_query *q,
			     struct cairn_notice **ret, size_t *ret_n, struct cairn_error *err)
{
	struct buf qs = BUF_INIT;
	struct cairn_notice *v;
	json_t *res = NULL, *e;
	size_t i, n = 0;
	int r;

	buf_init(&qs);
	if (q) {
		query_add_list(&qs, "types", q->types);
		query_add_list(&qs, "keys", q->keys);
		if (q->after)
			query_add(&qs, "after", q->after);
		if (q->all_users)
			query_add(&qs, "users", "all");
	}
	r = container_get_list(c, "/v1/notices", qs.len ? qs.data : NULL, "notices", &res, err);
	buf_done(&qs);
	if (r < 0)
		return r;
	v = xcalloc(json_array_size(res) + 1, sizeof(*v));
	json_array_foreach(res, i, e) {
		r = notice_from(e, &v[n], err);
		if (r < 0) {
			cairn_notices_free(v, n);
			json_decref(res);
			return r;
		}
		n++;
	}
	json_decref(res);
	*ret = v;
	*ret_n = n;
	return 0;
}

int cairn_pebble_get_notice(struct cairn_container *c, const char *id, struct cairn_notice *ret,
			    struct cairn_error *err)
{
	char path[96];
	json_t *res = NULL;
	int r;

	if (!id || !*id || strlen(id) > 32 || strpbrk(id, "/?&%# "))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid notice id \"%s\"", id ? id : "");
	snprintf(path, sizeof(path), "/v1/notices/%s", id);
	r = container_get(c, path, NULL, &res, err);
	if (r < 0)
		return r;
	r = notice_from(res, ret, err);
	json_decref(res);
	return r;
}

int cairn_pebble_notify(struct cairn_container *c, const char *key, const struct cairn_value *data, char **ret_id,
			struct cairn_error *err)
{
	json_t *body, *res = NULL, *d = value_json(data), *v;
	const char *k;
	int r;

	if (!key || !*key)
		return sdk_err(err, CAIRN_ERR_INVALID, "a notice needs a key");
	if (d && !json_is_object(d))
		return sdk_err(err, CAIRN_ERR_INVALID, "notice data must be a map of strings");
	json_object_foreach(d, k, v)
		if (!json_is_string(v))
			return sdk_err(err, CAIRN_ERR_INVALID, "notice data \"%s\" must be a string", k);
	body = json_pack("{s:s, s:s, s:s?}", "action", "add", "type", "custom", "key", key);
	if (!body || !json_is_string(json_object_get(body, "key"))) {
		json_decref(body);
		return sdk_err(err, CAIRN_ERR_INVALID, "notice key must be valid UTF-8");
	}
	if (d)
		json_object_set(body, "data", d);
	r = container_post(c, "/v1/notices", body, &res, err);
	json_decref(body);
	if (r < 0)
		return r;
	if (!json_is_string(json_object_get(res, "id"))) {
		json_decref(res);
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "notices: no id in the answer");
	}
	if (ret_id)
		*ret_id = json_dup_str(res, "id");
	json_decref(res);
	return 0;
}
