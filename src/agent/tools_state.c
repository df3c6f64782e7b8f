/* tools_state.c - state-get, state-set, state-delete: the controller-side charm state
 * (charm-runtime.md §4.2).
 *
 * Values are opaque strings: ops stores YAML documents in them and reads them back with
 * state-get KEY, so they are printed raw and never re-serialised.  Changes go into
 * ctx->state (reads in the same hook see them) and the agent commits them only when the hook
 * succeeds.  Juju's quotas apply per key (256 bytes), per value (64 KiB) and to the whole
 * state (2 MiB), with the protocol's own (tools.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"
#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

#include "proto/agent_proto.h"

#if TOOLS_STATE_MAX_KEY > PROTO_STATE_KEY_MAX || TOOLS_STATE_MAX_VALUE > PROTO_STATE_VALUE_MAX || \
	TOOLS_STATE_MAX_KEYS > PROTO_STATE_KEYS_MAX || TOOLS_STATE_MAX_JSON >= PROTO_FRAME_MAX
#error "the charm state quotas must fit the agent protocol's limits"
#endif

static const struct tool_info state_get_info = {
	"state-get", "[<key>]", "print server-side-state value"
};
static const struct tool_info state_set_info = {
	"state-set", "key=value [key=value ...]", "set server-side-state values"
};
static const struct tool_info state_delete_info = {
	"state-delete", "<key>", "delete server-side-state key value pair"
};

/* The ctx's state object, created empty if the agent gave none. */
static json_t *state_of(struct hook_ctx *ctx)
{
	if (!json_is_object(ctx->state)) {
		json_decref(ctx->state);
		ctx->state = json_object();
	}
	return ctx->state;
}

int tool_state_get(struct tool_call *c, int argc, char **argv)
{
	bool strict = false;
	struct tool_output o;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		{ "strict", TARG_BOOL, &strict, NULL,
		  "Return an error if the requested key does not exist", "false", false },
	};
	struct errbuf eb;
	const char *key = "";
	json_t *state = state_of(c->ctx), *v;
	char **pos = NULL;
	int npos, code;

	if (!tool_parse(c, &state_get_info, opts, 3, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 0) {
		key = strcmp(pos[0], "-") ? pos[0] : "";
		if (npos > 1) {
			targ_unrecognized(&eb, pos + 1, npos - 1);
			code = tool_usage(c, "%s", eb.msg);
			goto out;
		}
	}
	if (!*key) {
		/* Juju hands out a nil map when the state is empty: JSON prints null, the
		 * smart and YAML formatters print "{}". */
		if (json_object_size(state) == 0 && o.fmt == TFMT_JSON) {
			code = tool_emit(c, &o, NULL);
		} else {
			code = tool_emit(c, &o, state);
		}
		goto out;
	}
	v = json_object_get(state, key);
	if (!v && strict) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		targ_quote(&b, key);
		buf_adds(&b, " not found");
		code = tool_fail(c, "%s", buf_str(&b));
		buf_done(&b);
		goto out;
	}
	if (!v) {
		/* A missing key reads as the empty string (printed as nothing, or "" in JSON). */
		v = json_string("");
		code = tool_emit(c, &o, v);
		json_decref(v);
		goto out;
	}
	code = tool_emit(c, &o, v);
out:
	free(pos);
	return code;
}

/* The whole state as it would be with kvs applied, against the quotas of tools.h.  Returns
 * the exit code (0 when within them). */
static int check_total(struct tool_call *c, json_t *state, json_t *kvs)
{
	size_t total = 0, keys = 0;
	const char *k;
	json_t *v, *next;
	int code = TOOLS_EXIT_OK;

	json_object_foreach(state, k, v) {
		if (json_object_get(kvs, k))
			continue;
		total += strlen(k) + json_string_length(v);
		keys++;
	}
	json_object_foreach(kvs, k, v) {
		total += strlen(k) + json_string_length(v);
		keys++;
	}
	if (total > TOOLS_STATE_MAX_TOTAL)
		return tool_fail(c, "max allowed size (%u) exceeded", TOOLS_STATE_MAX_TOTAL);
	if (keys > TOOLS_STATE_MAX_KEYS)
		return tool_fail(c, "max allowed number of keys (%d) exceeded", TOOLS_STATE_MAX_KEYS);
	/* JSON escapes a byte into at most six: only a large state can be too large as JSON. */
	if (total * 6 + keys * 6 <= TOOLS_STATE_MAX_JSON)
		return TOOLS_EXIT_OK;
	next = json_copy(state);
	json_object_update(next, kvs);
	{
		char *text = json_dumps(next, JSON_COMPACT);

		if (!text || strlen(text) > TOOLS_STATE_MAX_JSON)
			code = tool_fail(c, "charm state too large to commit: %zu bytes as JSON (limit %u)",
					 text ? strlen(text) : total, TOOLS_STATE_MAX_JSON);
		free(text);
	}
	json_decref(next);
	return code;
}

int tool_state_set(struct tool_call *c, int argc, char **argv)
{
	const char *file = NULL, *k;
	struct targ_opt opts[] = {
		{ "file", TARG_STRING, NULL, &file, "file containing key-value pairs", "", true },
	};
	json_t *overrides = json_object(), *kvs = json_object(), *v, *state;
	char **pos = NULL;
	int npos, code;

	if (!tool_parse(c, &state_set_info, opts, 1, NULL, argc, argv, &pos, &npos, &code))
		goto out_nopos;
	/* Init: key=value arguments (juju/utils keyvalues.Parse, empty values allowed). */
	code = tool_parse_kv_args(c, pos, npos, overrides);
	if (code)
		goto out;
	/* Run: the file first, then the arguments override it. */
	if (file && *file) {
		code = tool_read_kv_file(c, file, kvs);
		if (code)
			goto out;
	}
	json_object_update(kvs, overrides);
	/* Check every quota before changing anything, so a refused call leaves the state as
	 * it was. */
	json_object_foreach(kvs, k, v) {
		if (strlen(k) > TOOLS_STATE_MAX_KEY) {
			code = tool_fail(c, "max allowed key length (%d) exceeded", TOOLS_STATE_MAX_KEY);
			goto out;
		}
		if (json_string_length(v) > TOOLS_STATE_MAX_VALUE) {
			code = tool_fail(c, "max allowed value length (%u) exceeded", TOOLS_STATE_MAX_VALUE);
			goto out;
		}
	}
	state = state_of(c->ctx);
	code = check_total(c, state, kvs);
	if (code)
		goto out;
	json_object_foreach(kvs, k, v) {
		json_t *cur = json_object_get(state, k);

		if (cur && json_equal(cur, v))
			continue;
		json_object_set(state, k, v);
		c->ctx->dirty = true;
	}
	code = TOOLS_EXIT_OK;
out:
	free(pos);
out_nopos:
	json_decref(overrides);
	json_decref(kvs);
	return code;
}

int tool_state_delete(struct tool_call *c, int argc, char **argv)
{
	struct errbuf eb;
	json_t *state = state_of(c->ctx);
	char **pos = NULL;
	int npos, code;

	if (!tool_parse(c, &state_delete_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	/* Juju accepts a missing or empty key and does nothing. */
	if (npos == 1 && *pos[0] && json_object_get(state, pos[0])) {
		json_object_del(state, pos[0]);
		c->ctx->dirty = true;
	}
	code = TOOLS_EXIT_OK;
out:
	free(pos);
	return code;
}
