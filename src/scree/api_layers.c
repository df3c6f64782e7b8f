/* api_layers.c - POST /v1/layers and GET /v1/plan (§6, §7, §21). */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"

void api_get_plan(struct api_call *c)
{
	const char *fmt = http_req_param(c->req, "format");
	struct buf b = BUF_INIT;

	if (!fmt || strcmp(fmt, "yaml") != 0) {
		api_reply_error(c, 400, NULL, "invalid format \"%s\"", fmt ? fmt : "");
		return;
	}
	buf_init(&b);
	plan_render_yaml(c->d->plan, &b);
	api_reply_sync(c, json_stringn(b.data, b.len));
	buf_done(&b);
}

/* Reads an optional boolean field; false with a 400 answer when it has another type. */
static bool get_bool(struct api_call *c, json_t *body, const char *key, bool *ret)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v)) {
		*ret = false;
		return true;
	}
	if (!json_is_boolean(v)) {
		api_reply_error(c, 400, NULL, "cannot decode request body: field \"%s\" must be a boolean", key);
		return false;
	}
	*ret = json_is_true(v);
	return true;
}

static bool get_string(struct api_call *c, json_t *body, const char *key, const char **ret)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v)) {
		*ret = "";
		return true;
	}
	if (!json_is_string(v)) {
		api_reply_error(c, 400, NULL, "cannot decode request body: field \"%s\" must be a string", key);
		return false;
	}
	*ret = json_string_value(v);
	return true;
}

void api_post_layers(struct api_call *c)
{
	json_t *body = api_decode_body(c, "cannot decode request body");
	const char *action, *label, *format, *yaml;
	struct plan_add_opts opts = { 0 };
	struct plan_layer *layer = NULL;
	struct plan *np = NULL;
	struct errbuf eb;
	int rv;

	if (!body)
		return;
	errbuf_clear(&eb);
	if (!get_string(c, body, "action", &action) || !get_string(c, body, "label", &label) ||
	    !get_string(c, body, "format", &format) || !get_string(c, body, "layer", &yaml) ||
	    !get_bool(c, body, "combine", &opts.combine) || !get_bool(c, body, "inner", &opts.inner))
		goto out;
	if (strcmp(action, "add") != 0) {
		api_reply_error(c, 400, NULL, "invalid action \"%s\"", action);
		goto out;
	}
	if (!*label) {
		api_reply_error(c, 400, NULL, "label must be set");
		goto out;
	}
	if (strcmp(format, "yaml") != 0) {
		api_reply_error(c, 400, NULL, "invalid format \"%s\"", format);
		goto out;
	}
	/* Checked before parsing so the message is the bare one of §5 (the plan layer would
	 * also refuse it when adding). */
	if (strncmp(label, PLAN_RESERVED_LABEL_PREFIX, strlen(PLAN_RESERVED_LABEL_PREFIX)) == 0) {
		api_reply_error(c, 400, NULL, "cannot use reserved label prefix \"%s\"", PLAN_RESERVED_LABEL_PREFIX);
		goto out;
	}
	rv = plan_layer_parse(label, 0, yaml, json_string_length(json_object_get(body, "layer")), &layer, &eb);
	if (rv < 0) {
		api_reply_error(c, 400, NULL, "cannot parse layer YAML: %s", eb.msg);
		goto out;
	}
	rv = plan_add_layer(c->d->plan, layer, &opts, &np, &eb);
	if (rv < 0) {
		api_reply_error(c, rv == -EINVAL || rv == -EEXIST ? 400 : 500, NULL, "%s", eb.msg);
		goto out;
	}
	scree_set_plan(c->d, np);
	api_reply_sync(c, json_true());
out:
	plan_layer_free(layer);
	json_decref(body);
}
