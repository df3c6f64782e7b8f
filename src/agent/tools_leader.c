/* tools_leader.c - leader-get and leader-set, the application's leader settings (Juju 3.x
 * keeps them, deprecated in favour of peer relation data).
 *
 * leader-get reads the ctx's snapshot; leader-set, for the leader only, writes at once
 * through ops->leader_set (Juju writes leader settings directly, not at the hook's end) and
 * updates the snapshot, so a later leader-get in the same hook sees the change. */
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"

static const struct tool_info leader_get_info = { "leader-get", "[<key>]", "print application leadership settings" };
static const struct tool_info leader_set_info = { "leader-set", "<key>=<value> [...]",
						  "write application leadership settings" };

int tool_leader_get(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	struct targ_opt opts[] = { TOOL_OUTPUT_OPTS(&o) };
	struct errbuf eb;
	char **pos = NULL;
	const char *key = "";
	json_t *all;
	int npos, code;

	if (!tool_parse(c, &leader_get_info, opts, 2, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 0)
		key = strcmp(pos[0], "-") ? pos[0] : "";
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	all = c->ctx->leader_settings ? json_incref(c->ctx->leader_settings) : json_object();
	code = tool_emit(c, &o, *key ? json_object_get(all, key) : all);
	json_decref(all);
out:
	free(pos);
	return code;
}

int tool_leader_set(struct tool_call *c, int argc, char **argv)
{
	json_t *kvs = json_object(), *v;
	struct errbuf eb;
	char **pos = NULL;
	const char *k;
	int npos, code;

	if (!tool_parse(c, &leader_set_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		goto out_nopos;
	if ((code = tool_parse_kv_args(c, pos, npos, kvs)))
		goto out;
	if (!c->ctx->ops->is_leader(c->ctx)) {
		code = tool_fail(c, "cannot write leadership settings: cannot write settings: not the leader");
		goto out;
	}
	errbuf_clear(&eb);
	if (!c->ctx->ops->leader_set || c->ctx->ops->leader_set(c->ctx, kvs, &eb) < 0) {
		code = tool_fail(c, "cannot write leadership settings: %s",
				 eb.msg[0] ? eb.msg : "not supported");
		goto out;
	}
	if (!c->ctx->leader_settings)
		c->ctx->leader_settings = json_object();
	json_object_foreach(kvs, k, v) {
		if (json_string_length(v))
			json_object_set(c->ctx->leader_settings, k, v);
		else
			json_object_del(c->ctx->leader_settings, k);
	}
	code = TOOLS_EXIT_OK;
out:
	free(pos);
out_nopos:
	json_decref(kvs);
	return code;
}
