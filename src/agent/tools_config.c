/* tools_config.c - config-get: print the application's effective configuration
 * (charm-runtime.md §3.2).
 *
 * Without a key it prints every option that is set or has a non-null default (all of them,
 * nulls included, with --all); with a key just that value, and nothing (JSON null) for an
 * option that does not exist, which is not an error in Juju. */
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"

static const struct tool_info config_get_info = {
	"config-get", "[<key>]", "Print application configuration."
};

int tool_config_get(struct tool_call *c, int argc, char **argv)
{
	bool all = false;
	struct tool_output o;
	struct targ_opt opts[] = {
		TOOL_OUTPUT_OPTS(&o),
		{ "a|all", TARG_BOOL, &all, NULL, "print all keys", "false", false },
	};
	struct errbuf eb;
	const char *key = "", *k;
	json_t *res = NULL, *v;
	char **pos = NULL;
	int npos, code;

	if (!tool_parse(c, &config_get_info, opts, 3, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 0) {
		key = pos[0];
		if (*key && all) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "cannot use argument --all together with key ");
			targ_quote(&b, key);
			code = tool_usage(c, "%s", buf_str(&b));
			buf_done(&b);
			goto out;
		}
		if (npos > 1) {
			targ_unrecognized(&eb, pos + 1, npos - 1);
			code = tool_usage(c, "%s", eb.msg);
			goto out;
		}
	}
	if (*key) {
		code = tool_emit(c, &o, json_object_get(c->ctx->config, key));
		goto out;
	}
	res = json_object();
	json_object_foreach(c->ctx->config, k, v)
		if (all || !json_is_null(v))
			json_object_set(res, k, v);
	code = tool_emit(c, &o, res);
out:
	json_decref(res);
	free(pos);
	return code;
}
