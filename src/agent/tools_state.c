/* tools_state.c - state-get, state-set, state-delete: the controller-side charm state
 * (charm-runtime.md §4.2).
 *
 * Values are opaque strings: ops stores YAML documents in them and reads them back with
 * state-get KEY, so they are printed raw and never re-serialised.  Changes go into
 * ctx->state (reads in the same hook see them) and the agent commits them only when the hook
 * succeeds.  Juju's quotas apply per key (256 bytes) and per value (64 KiB). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"
#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

#define STATE_MAX_KEY 256             /* quota.MaxCharmStateKeySize */
#define STATE_MAX_VALUE (64u * 1024u) /* quota.MaxCharmStateValueSize */

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

/* Stores one scalar of the --file mapping as yaml.v2 decodes it into a string. */
static int scalar_to_string(json_t *v, char **ret)
{
	struct buf b = BUF_INIT;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*ret = xstrdup(json_string_value(v));
		return 0;
	case JSON_INTEGER:
		*ret = xasprintf("%lld", (long long)json_integer_value(v));
		return 0;
	case JSON_REAL:
		buf_init(&b);
		gofmt_float(&b, json_real_value(v), GOFMT_FLOAT_JSON);
		*ret = buf_detach(&b);
		return 0;
	case JSON_TRUE:
		*ret = xstrdup("true");
		return 0;
	case JSON_FALSE:
		*ret = xstrdup("false");
		return 0;
	case JSON_NULL:
		*ret = xstrdup("");
		return 0;
	default:
		return -EINVAL;
	}
}

/* Reads --file (a path, or "-" for stdin) as a YAML/JSON mapping of strings into kvs.
 * Returns the exit code (0 on success). */
static int read_settings(struct tool_call *c, const char *file, json_t *kvs)
{
	struct buf data = BUF_INIT;
	struct errbuf eb;
	json_t *doc = NULL, *v;
	const char *k;
	char *path = NULL;
	int code = TOOLS_EXIT_OK, r;

	buf_init(&data);
	if (!strcmp(file, "-")) {
		if (!c->stdin_data) {
			code = tool_fail(c, "hook tool requires stdin, none supplied");
			goto out;
		}
		buf_adds(&data, c->stdin_data);
	} else {
		path = tool_abspath(c, file);
		r = fs_read_file(path, TOOLS_MAX_FILE, &data);
		if (r < 0) {
			code = tool_fail_path(c, "open", path, r == -EFBIG ? EFBIG : -r);
			goto out;
		}
	}
	errbuf_clear(&eb);
	if (yaml_to_json(data.data, data.len, &doc, &eb) < 0) {
		code = tool_fail(c, "%s", eb.msg);
		goto out;
	}
	if (json_is_null(doc))
		goto out;
	if (!json_is_object(doc)) {
		code = tool_fail(c, "yaml: unmarshal errors: cannot unmarshal !!%s into "
				    "map[string]string",
				 json_is_array(doc) ? "seq" : "str");
		goto out;
	}
	json_object_foreach(doc, k, v) {
		char *s;

		if (scalar_to_string(v, &s) < 0) {
			code = tool_fail(c, "yaml: unmarshal errors: cannot unmarshal !!%s into "
					    "string",
					 json_is_array(v) ? "seq" : "map");
			goto out;
		}
		json_object_set_new(kvs, k, json_string(s));
		free(s);
	}
out:
	json_decref(doc);
	free(path);
	buf_done(&data);
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
	for (int i = 0; i < npos; i++) {
		const char *eq = strchr(pos[i], '=');
		char *key, *val, *ck, *cv;
		size_t kl;

		if (!eq) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "expected \"key=value\", got ");
			targ_quote(&b, pos[i]);
			code = tool_usage(c, "%s", buf_str(&b));
			buf_done(&b);
			goto out;
		}
		/* Keys and values are trimmed of surrounding white space. */
		k = pos[i];
		while (*k == ' ' || *k == '\t' || *k == '\n' || *k == '\r')
			k++;
		kl = (size_t)(eq - k);
		while (kl && strchr(" \t\n\r", k[kl - 1]))
			kl--;
		key = xstrndup(k, kl);
		val = xstrdup(eq + 1);
		{
			char *s = val, *e;

			while (*s && strchr(" \t\n\r", *s))
				s++;
			e = s + strlen(s);
			while (e > s && strchr(" \t\n\r", e[-1]))
				e--;
			*e = '\0';
			memmove(val, s, (size_t)(e - s) + 1);
		}
		if (!*key) {
			code = tool_usage(c, "expected \"key=value\", got \"%s=%s\"", key, val);
			free(key);
			free(val);
			goto out;
		}
		ck = tfmt_utf8_clean(key);
		cv = tfmt_utf8_clean(val);
		free(key);
		free(val);
		if (json_object_get(overrides, ck)) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "key ");
			targ_quote(&b, ck);
			buf_adds(&b, " specified more than once");
			code = tool_usage(c, "%s", buf_str(&b));
			buf_done(&b);
			free(ck);
			free(cv);
			goto out;
		}
		json_object_set_new(overrides, ck, json_string(cv));
		free(ck);
		free(cv);
	}
	/* Run: the file first, then the arguments override it. */
	if (file && *file) {
		code = read_settings(c, file, kvs);
		if (code)
			goto out;
	}
	json_object_update(kvs, overrides);
	/* Check every quota before changing anything, so a refused call leaves the state as
	 * it was. */
	json_object_foreach(kvs, k, v) {
		if (strlen(k) > STATE_MAX_KEY) {
			code = tool_fail(c, "max allowed key length (%d) exceeded", STATE_MAX_KEY);
			goto out;
		}
		if (json_string_length(v) > STATE_MAX_VALUE) {
			code = tool_fail(c, "max allowed value length (%u) exceeded", STATE_MAX_VALUE);
			goto out;
		}
	}
	state = state_of(c->ctx);
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
