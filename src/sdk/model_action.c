/* model_action.c - action events: parameters, results, progress and failure (action-get,
 * action-set, action-log, action-fail; charm-runtime.md §3.4, §9). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action/actionargs.h"
#include "lib/errbuf.h"
#include "lib/gofmt.h"
#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"
#include "sdk/value.h"

#define ACTION_MAX_RESULTS 1024

static int need_action(const struct cairn_event *ev, struct cairn_error *err)
{
	if (ev->kind != CAIRN_EVENT_ACTION)
		return sdk_err(err, CAIRN_ERR_INVALID, "%s is not an action", ev->hook);
	return 0;
}

const char *cairn_action_id(const struct cairn_event *ev)
{
	return ev->kind == CAIRN_EVENT_ACTION ? event_var(ev, HOOKENV_ACTION_UUID) : NULL;
}

int cairn_action_params(struct cairn_event *ev, const struct cairn_value **ret, struct cairn_error *err)
{
	json_t *j = NULL;
	int r = need_action(ev, err);

	if (r < 0)
		return r;
	if (!ev->params) {
		r = model_run_map(ev->ch->tools, &j, err, "action-get", "--format=json", NULL);
		if (r < 0)
			return r;
		ev->params = j;
	}
	*ret = value_of(ev->params);
	return 0;
}

/* Reads parameter key (a dotted path, as `action-get a.b` reads it) as kind: 1 with *ret_j,
 * 0 when absent (or null, or under a value that is not a map), or the error, with "action
 * parameter" context on a type error. */
static int param(struct cairn_event *ev, const char *key, enum cairn_value_kind kind, json_t **ret_j,
		 struct cairn_error *err)
{
	const struct cairn_value *p;
	int r = cairn_action_params(ev, &p, err);

	if (r < 0)
		return r;
	if (!key)
		return sdk_err(err, CAIRN_ERR_INVALID, "action parameter: no key given");
	r = value_typed(value_json(cairn_map_get_path(p, key)), key, kind, ret_j, err);
	if (r < 0 && err)
		sdk_err_wrap(err, "action parameter");
	return r;
}

int cairn_action_param_string(struct cairn_event *ev, const char *key, const char *def, const char **ret,
			      struct cairn_error *err)
{
	json_t *v = NULL;
	int r = param(ev, key, CAIRN_VALUE_STRING, &v, err);

	if (r >= 0)
		*ret = r ? json_string_value(v) : def;
	return r < 0 ? r : 0;
}

int cairn_action_param_int(struct cairn_event *ev, const char *key, int64_t def, int64_t *ret,
			   struct cairn_error *err)
{
	json_t *v = NULL;
	int r = param(ev, key, CAIRN_VALUE_INT, &v, err);

	if (r >= 0)
		*ret = r ? (int64_t)json_integer_value(v) : def;
	return r < 0 ? r : 0;
}

int cairn_action_param_double(struct cairn_event *ev, const char *key, double def, double *ret,
			      struct cairn_error *err)
{
	json_t *v = NULL;
	int r = param(ev, key, CAIRN_VALUE_DOUBLE, &v, err);

	if (r >= 0)
		*ret = r ? json_number_value(v) : def;
	return r < 0 ? r : 0;
}

int cairn_action_param_bool(struct cairn_event *ev, const char *key, bool def, bool *ret,
			    struct cairn_error *err)
{
	json_t *v = NULL;
	int r = param(ev, key, CAIRN_VALUE_BOOL, &v, err);

	if (r >= 0)
		*ret = r ? json_is_true(v) : def;
	return r < 0 ? r : 0;
}

/* CAIRN_ERR_INVALID for a key action-set refuses, with action-set's own text (each dotted
 * part checked by Juju's rule, no part a reserved key: actionargs.h). */
static int check_key(const char *key, struct cairn_error *err)
{
	struct actionarg a;
	struct errbuf eb;
	char *arg;
	int r;

	if (!key || strchr(key, '='))
		return sdk_err(err, CAIRN_ERR_INVALID,
			       "key \"%s\" must start and end with lowercase alphanumeric, and contain only "
			       "lowercase alphanumeric, hyphens and periods",
			       key ? key : "");
	arg = xasprintf("%s=", key);
	r = actionargs_parse(arg, ACTIONARGS_SET, &a, &eb);
	free(arg);
	if (r < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "%s", eb.msg);
	actionargs_done(&a);
	return 0;
}

/* Appends "prefix.key=value" arguments for v to args. */
static int flatten(const char *prefix, json_t *v, char ***args, size_t *n, struct cairn_error *err)
{
	struct buf b = BUF_INIT;
	const char *k;
	json_t *c;
	int r = 0;

	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			char *key = prefix ? xasprintf("%s.%s", prefix, k) : xstrdup(k);

			r = flatten(key, c, args, n, err);
			free(key);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if ((r = check_key(prefix, err)) < 0)
		return r;
	if (*n >= ACTION_MAX_RESULTS)
		return sdk_err(err, CAIRN_ERR_INVALID, "more than %d action results", ACTION_MAX_RESULTS);
	buf_init(&b);
	buf_addf(&b, "%s=", prefix);
	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(&b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(&b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		gofmt_float(&b, json_real_value(v), GOFMT_FLOAT_JSON);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		buf_adds(&b, json_is_true(v) ? "true" : "false");
		break;
	default:
		buf_done(&b);
		return sdk_err(err, CAIRN_ERR_INVALID, "action result \"%s\" must be a string, number, bool or map",
			       prefix);
	}
	*args = xrealloc(*args, (*n + 1) * sizeof(char *));
	(*args)[(*n)++] = buf_detach(&b);
	return r;
}

int cairn_action_set_results(struct cairn_event *ev, const struct cairn_value *results, struct cairn_error *err)
{
	char **args = NULL;
	size_t n = 0;
	int r = need_action(ev, err);

	if (r < 0)
		return r;
	if (!json_is_object(value_json(results)))
		return sdk_err(err, CAIRN_ERR_INVALID, "action results must be a map");
	r = flatten(NULL, value_json(results), &args, &n, err);
	/* {"a.b": x, "a": {"b": y}} names one result twice (ops refuses it too). */
	for (size_t i = 0; r == 0 && i < n; i++)
		for (size_t j = i + 1; r == 0 && j < n; j++) {
			size_t li = strcspn(args[i], "="), lj = strcspn(args[j], "=");

			if (li == lj && !memcmp(args[i], args[j], li))
				r = sdk_err(err, CAIRN_ERR_INVALID, "duplicate action result key \"%.*s\"", (int)li,
					    args[i]);
		}
	if (r == 0 && n > 0)
		r = tools_runv(ev->ch->tools, NULL, NULL, 0, err, "action-set", (const char *const *)args, n);
	for (size_t i = 0; i < n; i++)
		free(args[i]);
	free(args);
	return r;
}

int cairn_action_set_result(struct cairn_event *ev, const char *key, const char *value, struct cairn_error *err)
{
	json_t *m;
	char *arg;
	int r = need_action(ev, err);

	if (r < 0)
		return r;
	if ((r = check_key(key, err)) < 0)
		return r;
	m = json_string(value ? value : "");
	if (!m)
		return sdk_err(err, CAIRN_ERR_INVALID, "action result \"%s\" must be valid UTF-8", key);
	json_decref(m);
	arg = xasprintf("%s=%s", key, value ? value : "");
	r = tools_run(ev->ch->tools, NULL, NULL, err, "action-set", arg, NULL);
	free(arg);
	return r;
}

int cairn_action_log(struct cairn_event *ev, const char *message, struct cairn_error *err)
{
	int r = need_action(ev, err);

	return r < 0 ? r : tools_run(ev->ch->tools, NULL, NULL, err, "action-log", "--", message ? message : "", NULL);
}

int cairn_action_fail(struct cairn_event *ev, const char *message, struct cairn_error *err)
{
	int r = need_action(ev, err);

	return r < 0 ? r : tools_run(ev->ch->tools, NULL, NULL, err, "action-fail", "--", message ? message : "", NULL);
}
