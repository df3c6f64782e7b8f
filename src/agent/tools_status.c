/* tools_status.c - is-leader, status-set, status-get, application-version-set
 * (charm-runtime.md §3.2).
 *
 * status-set goes straight to the agent (ops->status_set): Juju applies it immediately and it
 * survives a failed hook.  application-version-set is buffered in the ctx like the other
 * hook changes (committed only on success). */
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"

static const struct tool_info is_leader_info = {
	"is-leader", "", "Print application leadership status."
};
static const struct tool_info status_set_info = {
	"status-set", "<maintenance | blocked | waiting | active> [message]",
	"set status information"
};
static const struct tool_info status_get_info = {
	"status-get", "[--include-data] [--application]", "Print status information."
};
static const struct tool_info version_set_info = {
	"application-version-set", "<new-version>",
	"specify which version of the application is deployed"
};

int tool_is_leader(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	struct targ_opt opts[] = { TOOL_OUTPUT_OPTS(&o) };
	char **pos = NULL;
	int npos, code;
	json_t *v;

	if (!tool_parse(c, &is_leader_info, opts, 2, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos) {
		struct errbuf eb;

		targ_unrecognized(&eb, pos, npos);
		free(pos);
		return tool_usage(c, "%s", eb.msg);
	}
	free(pos);
	v = json_boolean(c->ctx->ops->is_leader(c->ctx));
	code = tool_emit(c, &o, v);
	json_decref(v);
	return code;
}

/* The statuses a charm may set with status-set, in the order Juju lists them. */
static const char *const settable_status[] = { "maintenance", "blocked", "waiting", "active" };

int tool_status_set(struct tool_call *c, int argc, char **argv)
{
	bool app = false;
	struct targ_opt opts[] = {
		{ "application", TARG_BOOL, &app, NULL,
		  "set this status for the application to which the unit belongs if the unit is "
		  "the leader",
		  "false", false },
	};
	struct errbuf eb;
	char **pos = NULL, *msg = NULL;
	int npos, code;
	bool valid = false;

	if (!tool_parse(c, &status_set_info, opts, 1, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos < 1) {
		code = tool_usage(c, "invalid args, require <status> [message]");
		goto out;
	}
	for (size_t i = 0; i < sizeof(settable_status) / sizeof(settable_status[0]); i++)
		if (!strcmp(pos[0], settable_status[i]))
			valid = true;
	if (!valid) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "invalid status ");
		targ_quote(&b, pos[0]);
		buf_adds(&b, ", expected one of [maintenance blocked waiting active]");
		code = tool_usage(c, "%s", buf_str(&b));
		buf_done(&b);
		goto out;
	}
	if (npos > 2) {
		targ_unrecognized(&eb, pos + 2, npos - 2);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	msg = tfmt_utf8_clean(npos > 1 ? pos[1] : "");
	if (strlen(msg) > TOOLS_MAX_MESSAGE) {
		code = tool_fail(c, "status message too long: %zu bytes (limit %u)", strlen(msg),
				 TOOLS_MAX_MESSAGE);
		goto out;
	}
	errbuf_clear(&eb);
	if (c->ctx->ops->status_set(c->ctx, app, pos[0], msg, NULL, &eb) < 0) {
		code = tool_fail(c, "%s", eb.msg[0] ? eb.msg : "cannot set status");
		goto out;
	}
	code = TOOLS_EXIT_OK;
out:
	free(msg);
	free(pos);
	return code;
}

/* status-get's per-entity shape: {"status"} or, with --include-data,
 * {"message", "status", "status-data"} (juju toDetails). */
static json_t *status_details(json_t *info, bool include_data)
{
	json_t *d = json_object(), *v;

	v = json_object_get(info, "status");
	json_object_set_new(d, "status", json_is_string(v) ? json_copy(v) : json_string(""));
	if (include_data) {
		v = json_object_get(info, "status-data");
		json_object_set_new(d, "status-data",
				    json_is_object(v) ? json_deep_copy(v) : json_object());
		v = json_object_get(info, "message");
		json_object_set_new(d, "message", json_is_string(v) ? json_copy(v) : json_string(""));
	}
	return d;
}

/* What status-get still needs once the status arrives (the call lives on the heap until
 * tool_finish). */
struct status_get_req {
	struct tool_call *c;
	bool include_data, app;
	struct tool_output o;
	char *format, *path;
};

static void status_got(void *arg, json_t *st, const char *error)
{
	struct status_get_req *q = arg;
	struct tool_call *c = q->c;
	json_t *res = NULL;
	int code;

	if (!json_is_object(st)) {
		code = tool_fail(c, "finding %s status: %s", q->app ? "application" : "workload",
				 error && *error ? error : "no status");
		goto out;
	}
	if (!q->include_data && q->o.fmt == TFMT_SMART) {
		code = tool_emit(c, &q->o, json_object_get(st, "status"));
		goto out;
	}
	if (q->app) {
		json_t *details = status_details(st, q->include_data);
		json_t *units = json_object(), *u;
		const char *name;

		json_object_foreach(json_object_get(st, "units"), name, u)
			json_object_set_new(units, name, status_details(u, q->include_data));
		json_object_set_new(details, "units", units);
		res = json_object();
		json_object_set_new(res, "application-status", details);
	} else {
		res = status_details(st, q->include_data);
	}
	code = tool_emit(c, &q->o, res);
out:
	json_decref(res);
	free(q->format);
	free(q->path);
	free(q);
	tool_finish(c, code);
}

int tool_status_get(struct tool_call *c, int argc, char **argv)
{
	bool include_data = false, app = false;
	struct tool_output o;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		{ "include-data", TARG_BOOL, &include_data, NULL, "print all status data", "false",
		  false },
		{ "application", TARG_BOOL, &app, NULL,
		  "print status for all units of this application if this unit is the leader",
		  "false", false },
	};
	struct errbuf eb;
	struct status_get_req *q;
	char **pos = NULL;
	int npos, code;

	if (!tool_parse(c, &status_get_info, opts, 4, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos) {
		targ_unrecognized(&eb, pos, npos);
		free(pos);
		return tool_usage(c, "%s", eb.msg);
	}
	free(pos);
	/* argv (which the options point into) is gone once we return: keep copies. */
	q = xcalloc(1, sizeof(*q));
	q->c = c;
	q->include_data = include_data;
	q->app = app;
	q->o = o;
	q->format = o.format ? xstrdup(o.format) : NULL;
	q->path = o.path ? xstrdup(o.path) : NULL;
	q->o.format = q->format;
	q->o.path = q->path;
	c->ctx->ops->status_get(c->ctx, app, status_got, q);
	return TOOLS_EXIT_PENDING;
}

int tool_application_version_set(struct tool_call *c, int argc, char **argv)
{
	struct errbuf eb;
	char **pos = NULL, *clean;
	int npos, code;
	json_t *v;

	if (!tool_parse(c, &version_set_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos < 1) {
		code = tool_usage(c, "no version specified");
		goto out;
	}
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	clean = tfmt_utf8_clean(pos[0]);
	if (!json_is_string(c->ctx->app_version) ||
	    strcmp(json_string_value(c->ctx->app_version), clean) != 0) {
		v = json_string(clean);
		json_decref(c->ctx->app_version);
		c->ctx->app_version = v;
		c->ctx->dirty = true;
	}
	free(clean);
	code = TOOLS_EXIT_OK;
out:
	free(pos);
	return code;
}
