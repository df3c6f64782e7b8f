/* tools_relation.c - relation-ids, relation-list, relation-get, relation-set,
 * relation-model-get (charm-runtime.md §3.3), as Juju's jujuc commands behave.
 *
 * Everything reads the ctx's snapshot (hookctx.h): the relations the unit is in, what has
 * joined each, the remote bags, and the unit's and application's own bags - which
 * relation-set edits in place (committed by the agent only when the hook succeeds, and so
 * visible to the other side only after that).  A relation is named with -r N or -r name:N
 * (the integer after the last ':'); without it, the hook's own relation.  Errors are Juju's:
 * "no relation id specified", "invalid value \"x\" for option -r: invalid relation id",
 * "... relation not found", "cannot write relation settings" (relation-set --app by a
 * non-leader), "permission denied" (a non-leader reading its own application's bag). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"
#include "lib/names.h"
#include "lib/strnum.h"
#include "proto/agent_proto.h"

#define RELATION_OPTS(r, rel)                                                       \
	{ "r", TARG_STRING, NULL, &(r), "Specify a relation by id", "", true },      \
	{ "relation", TARG_STRING, NULL, &(rel), "", "", true }

static int bad_relation_value(struct tool_call *c, const char *opt, const char *v, const char *why)
{
	struct buf b = BUF_INIT;
	int code;

	buf_init(&b);
	buf_adds(&b, "invalid value ");
	targ_quote(&b, v);
	buf_addf(&b, " for option %s: %s", opt, why);
	code = tool_usage(c, "%s", buf_str(&b));
	buf_done(&b);
	return code;
}

int tool_relation_opt(struct tool_call *c, const char *r, const char *relation, int *ret_id)
{
	const char *v = r ? r : relation, *opt = r ? "-r" : "--relation", *colon;
	int64_t id;

	if (!v) {
		*ret_id = c->ctx->in_relation ? c->ctx->relation_id : -1;
		return TOOLS_EXIT_OK;
	}
	colon = strrchr(v, ':');
	if (strnum_i64(colon ? colon + 1 : v, -2147483647LL, 2147483647LL, &id) < 0)
		return bad_relation_value(c, opt, v, "invalid relation id");
	if (!hook_ctx_relation(c->ctx, (int)id))
		return bad_relation_value(c, opt, v, "relation not found");
	*ret_id = (int)id;
	return TOOLS_EXIT_OK;
}

/* -r/--relation, or the hook's own relation; a usage error when there is neither. */
static int required_relation(struct tool_call *c, const char *r, const char *relation, int *ret_id)
{
	int code = tool_relation_opt(c, r, relation, ret_id);

	if (code == TOOLS_EXIT_OK && *ret_id < 0)
		code = tool_usage(c, "no relation id specified");
	return code;
}

/* Leftover positionals: Juju's CheckEmpty. */
static int check_empty(struct tool_call *c, char **pos, int n)
{
	struct errbuf eb;

	if (n <= 0)
		return TOOLS_EXIT_OK;
	targ_unrecognized(&eb, pos, n);
	return tool_usage(c, "%s", eb.msg);
}

/* ---- relation-ids ---- */

static const struct tool_info relation_ids_info = {
	"relation-ids", "<name>", "List all relation IDs for the given endpoint."
};

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

int tool_relation_ids(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	struct targ_opt opts[] = { TOOL_OUTPUT_OPTS(&o) };
	struct hook_relation *hr;
	const char *name = NULL;
	json_t *res = NULL, **items = NULL;
	char **pos = NULL;
	int npos, code;
	size_t n = 0;

	if (!tool_parse(c, &relation_ids_info, opts, 2, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 0) {
		name = pos[0];
	} else if (c->ctx->in_relation && (hr = hook_ctx_relation(c->ctx, c->ctx->relation_id))) {
		name = hr->endpoint;
	} else {
		code = tool_usage(c, "no endpoint name specified");
		goto out;
	}
	if ((code = check_empty(c, pos + 1, npos - 1)))
		goto out;
	items = xcalloc(c->ctx->n_relations + 1, sizeof(*items));
	for (size_t i = 0; i < c->ctx->n_relations; i++) {
		struct hook_relation *r = &c->ctx->relations[i];

		if (!strcmp(r->endpoint, name))
			items[n++] = json_sprintf("%s:%d", r->endpoint, r->id);
	}
	/* Juju sorts the "name:id" strings as strings. */
	qsort(items, n, sizeof(*items), cmp_json_str);
	res = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(res, items[i]);
	code = tool_emit(c, &o, res);
out:
	free(items);
	json_decref(res);
	free(pos);
	return code;
}

/* ---- relation-list ---- */

static const struct tool_info relation_list_info = { "relation-list", "", "list relation units" };

int tool_relation_list(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	const char *r = NULL, *rel = NULL;
	bool app = false;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		RELATION_OPTS(r, rel),
		{ "app", TARG_BOOL, &app, NULL,
		  "List remote application instead of participating units", "false", false },
	};
	struct hook_relation *hr;
	char **pos = NULL;
	int npos, code, id;
	json_t *v = NULL;

	if (!tool_parse(c, &relation_list_info, opts, 5, &o, argc, argv, &pos, &npos, &code))
		return code;
	if ((code = required_relation(c, r, rel, &id)))
		goto out;
	if ((code = check_empty(c, pos, npos)))
		goto out;
	hr = hook_ctx_relation(c->ctx, id);
	if (!hr) {
		code = tool_fail(c, "relation not found");
		goto out;
	}
	if (app)
		v = json_string(hr->remote_app);
	else
		v = hr->members ? json_incref(hr->members) : json_array();
	code = tool_emit(c, &o, v);
out:
	json_decref(v);
	free(pos);
	return code;
}

/* ---- relation-get ---- */

static const struct tool_info relation_get_info = { "relation-get", "<key> <unit id>",
						    "Get relation settings." };

static bool is_local_app(struct tool_call *c, const char *name)
{
	return c->ctx->app && !strcmp(name, c->ctx->app);
}

int tool_relation_get(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	const char *r = NULL, *rel = NULL, *key = "", *who = NULL;
	bool app = false;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		RELATION_OPTS(r, rel),
		{ "app", TARG_BOOL, &app, NULL,
		  "Get the relation data for the overall application, not just a unit", "false",
		  false },
	};
	struct hook_relation *hr;
	char **pos = NULL, *appname = NULL;
	json_t *bag = NULL;
	int npos, code, id, used = 0;

	if (!tool_parse(c, &relation_get_info, opts, 5, &o, argc, argv, &pos, &npos, &code))
		return code;
	if ((code = required_relation(c, r, rel, &id)))
		goto out;
	if (npos > 0) {
		key = strcmp(pos[0], "-") ? pos[0] : "";
		used = 1;
	}
	/* Whose bag (Juju's determineUnitOrAppName). */
	if (npos > used) {
		const char *given = pos[used++];

		if (app) {
			if (names_valid_application(given)) {
				who = given;
			} else if (names_valid_unit(given)) {
				appname = xstrndup(given, strcspn(given, "/"));
				who = appname;
			} else {
				struct buf b = BUF_INIT;

				buf_init(&b);
				buf_adds(&b, "invalid application name ");
				targ_quote(&b, given);
				code = tool_usage(c, "%s", buf_str(&b));
				buf_done(&b);
				goto out;
			}
		} else if (!names_valid_unit(given)) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, names_valid_application(given) ? "expected unit name, got "
								     "application name "
								   : "invalid unit name ");
			targ_quote(&b, given);
			code = tool_usage(c, "%s", buf_str(&b));
			buf_done(&b);
			goto out;
		} else {
			who = given;
		}
	} else if (app) {
		if (!c->ctx->remote_app || !*c->ctx->remote_app) {
			code = tool_usage(c, "no unit or application specified");
			goto out;
		}
		who = c->ctx->remote_app;
	} else if (c->ctx->remote_unit && *c->ctx->remote_unit) {
		who = c->ctx->remote_unit;
	} else if (c->ctx->remote_app && *c->ctx->remote_app) {
		who = c->ctx->remote_app;
		app = true;
	} else {
		code = tool_usage(c, "no unit or application specified");
		goto out;
	}
	if ((code = check_empty(c, pos + used, npos - used)))
		goto out;

	hr = hook_ctx_relation(c->ctx, id);
	if (!hr) {
		code = tool_fail(c, "relation not found");
		goto out;
	}
	if (!strcmp(who, c->ctx->unit)) {
		bag = hr->unit_bag;
	} else if (is_local_app(c, who)) {
		/* The leader reads (and writes) its application's bag; other units of the
		 * application may read it only in a peer relation. */
		if (c->ctx->ops->is_leader(c->ctx) || hr->peer)
			bag = hr->app_bag;
		else {
			code = tool_fail(c, "permission denied");
			goto out;
		}
	} else if (app) {
		if (strcmp(who, hr->remote_app)) {
			code = tool_fail(c, "permission denied");
			goto out;
		}
		bag = hr->remote_app_bag;
	} else {
		bag = json_object_get(hr->remote_units, who);
		if (!bag) {
			code = tool_fail(c, "cannot read settings for unit \"%s\" in relation %d: "
					    "settings not found", who, id);
			goto out;
		}
	}
	if (!*key) {
		json_t *all = bag ? json_incref(bag) : json_object();

		code = tool_emit(c, &o, all);
		json_decref(all);
	} else {
		code = tool_emit(c, &o, bag ? json_object_get(bag, key) : NULL);
	}
out:
	free(appname);
	free(pos);
	return code;
}

/* ---- relation-set ---- */

#if TOOLS_STATE_MAX_JSON + TOOLS_RELATION_MAX_JSON >= PROTO_FRAME_MAX
#error "a hook's charm state and relation data must fit one commit-hook frame"
#endif

/* A bag's size as compact JSON. */
static size_t json_size(const json_t *bag)
{
	return json_dumpb(bag, NULL, 0, JSON_COMPACT);
}

/* The JSON size of the bags this hook has changed, but for skip (the one being changed). */
static size_t written_size(const struct hook_ctx *ctx, const json_t *skip)
{
	size_t n = 0;

	for (size_t i = 0; i < ctx->n_relations; i++) {
		const struct hook_relation *hr = &ctx->relations[i];

		if (hr->unit_dirty && hr->unit_bag && hr->unit_bag != skip)
			n += json_size(hr->unit_bag);
		if (hr->app_dirty && hr->app_bag && hr->app_bag != skip)
			n += json_size(hr->app_bag);
	}
	return n;
}

static const struct tool_info relation_set_info = { "relation-set", "key=value [key=value ...]",
						    "set relation settings" };

int tool_relation_set(struct tool_call *c, int argc, char **argv)
{
	const char *r = NULL, *rel = NULL, *file = NULL, *format = NULL, *k;
	bool app = false;
	struct targ_opt opts[] = {
		RELATION_OPTS(r, rel),
		{ "file", TARG_STRING, NULL, &file, "file containing key-value pairs", "", true },
		{ "app", TARG_BOOL, &app, NULL,
		  "pick whether you are setting \"application\" settings or \"unit\" settings",
		  "false", false },
		{ "format", TARG_STRING, NULL, &format, "deprecated format flag", "", false },
	};
	json_t *overrides = json_object(), *kvs = json_object(), *v, *bag;
	struct hook_relation *hr;
	char **pos = NULL;
	int npos, code, id;
	bool *dirty;

	if (!tool_parse(c, &relation_set_info, opts, 5, NULL, argc, argv, &pos, &npos, &code))
		goto out_nopos;
	if ((code = required_relation(c, r, rel, &id)))
		goto out;
	if ((code = tool_parse_kv_args(c, pos, npos, overrides)))
		goto out;
	if (format && *format)
		buf_adds(c->err, "--format flag deprecated for command \"relation-set\"");
	/* The file first; the arguments override it. */
	if (file && *file && (code = tool_read_kv_file(c, file, kvs)))
		goto out;
	json_object_update(kvs, overrides);
	hr = hook_ctx_relation(c->ctx, id);
	if (!hr) {
		code = tool_fail(c, "relation not found");
		goto out;
	}
	if (app) {
		if (!c->ctx->ops->is_leader(c->ctx)) {
			code = tool_fail(c, "cannot write relation settings");
			goto out;
		}
		if (!hr->app_bag)
			hr->app_bag = json_object();
		bag = hr->app_bag;
		dirty = &hr->app_dirty;
	} else {
		if (!hr->unit_bag)
			hr->unit_bag = json_object();
		bag = hr->unit_bag;
		dirty = &hr->unit_dirty;
	}
	/* The change goes to a copy first: one past the quota changes nothing. */
	json_t *next = json_deep_copy(bag);
	bool changed = false;

	json_object_foreach(kvs, k, v) {
		json_t *cur = json_object_get(next, k);

		if (json_string_length(v) == 0) {
			if (cur) {
				json_object_del(next, k);
				changed = true;
			}
		} else if (!cur || !json_equal(cur, v)) {
			json_object_set(next, k, v);
			changed = true;
		}
	}
	if (changed) {
		size_t total = written_size(c->ctx, bag) + json_size(next);

		if (total > TOOLS_RELATION_MAX_JSON) {
			code = tool_fail(c, "relation settings too large: %zu bytes of changed relation data "
					 "in this hook (max %u)", total, TOOLS_RELATION_MAX_JSON);
			json_decref(next);
			goto out;
		}
		json_object_clear(bag);
		json_object_update(bag, next);
		*dirty = true;
		c->ctx->dirty = true;
	}
	json_decref(next);
	code = TOOLS_EXIT_OK;
out:
	free(pos);
out_nopos:
	json_decref(overrides);
	json_decref(kvs);
	return code;
}

/* ---- relation-model-get ---- */

static const struct tool_info relation_model_get_info = {
	"relation-model-get", "", "Get details about the model hosing a related application."
};

int tool_relation_model_get(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	const char *r = NULL, *rel = NULL;
	struct targ_opt opts[] = { TOOL_OUTPUT_OPTS(&o), RELATION_OPTS(r, rel) };
	char **pos = NULL;
	int npos, code, id;
	json_t *v = NULL;

	if (!tool_parse(c, &relation_model_get_info, opts, 4, &o, argc, argv, &pos, &npos, &code))
		return code;
	if ((code = required_relation(c, r, rel, &id)))
		goto out;
	if ((code = check_empty(c, pos, npos)))
		goto out;
	/* Cross-model relations do not exist in cairn: the related application is always in
	 * this model. */
	v = json_pack("{s:s}", "uuid", c->ctx->model_uuid ? c->ctx->model_uuid : "");
	code = tool_emit(c, &o, v);
out:
	json_decref(v);
	free(pos);
	return code;
}
