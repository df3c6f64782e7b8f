/* tools_kv.c - the key=value arguments and the --file settings maps that several hook
 * tools share (state-set, relation-set, leader-set); see tools_internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"
#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

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
int tool_read_kv_file(struct tool_call *c, const char *file, json_t *kvs)
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

int tool_parse_kv_args(struct tool_call *c, char **pos, int npos, json_t *kvs)
{
	for (int i = 0; i < npos; i++) {
		const char *eq = strchr(pos[i], '='), *k;
		char *key, *val, *ck, *cv;
		size_t kl;
		int code;

		if (!eq) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "expected \"key=value\", got ");
			targ_quote(&b, pos[i]);
			code = tool_usage(c, "%s", buf_str(&b));
			buf_done(&b);
			return code;
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
			return code;
		}
		ck = tfmt_utf8_clean(key);
		cv = tfmt_utf8_clean(val);
		free(key);
		free(val);
		if (json_object_get(kvs, ck)) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "key ");
			targ_quote(&b, ck);
			buf_adds(&b, " specified more than once");
			code = tool_usage(c, "%s", buf_str(&b));
			buf_done(&b);
			free(ck);
			free(cv);
			return code;
		}
		json_object_set_new(kvs, ck, json_string(cv));
		free(ck);
		free(cv);
	}
	return TOOLS_EXIT_OK;
}
