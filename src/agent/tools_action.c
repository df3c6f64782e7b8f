/* tools_action.c - action-get, action-set, action-log, action-fail (charm-runtime.md §3.4,
 * §9), as Juju's jujuc commands behave.
 *
 * They work on ctx->action (hookctx.h); outside an action they fail with Juju's
 * "not running an action".  action-get prints the parameters (schema defaults included) or
 * the value at a dotted key; action-set adds results under dotted keys (action/actionargs.h
 * checks and nests them); action-log goes out at once through ops->action_log; action-fail
 * marks the action failed with its message ("action failed without reason given" when none
 * is given). */
#include <stdlib.h>
#include <string.h>

#include "action/actionargs.h"
#include "agent/tools_internal.h"

static const struct tool_info action_get_info = { "action-get", "[<key>[.<key>.<key>...]]",
						  "Get action parameters." };
static const struct tool_info action_set_info = { "action-set", "<key>=<value> [<key>=<value> ...]",
						  "Set action results." };
static const struct tool_info action_log_info = { "action-log", "<message>",
						  "Record a progress message for the current action." };
static const struct tool_info action_fail_info = { "action-fail", "[\"<failure message>\"]",
						   "Set action fail status with message." };

int tool_action_get(struct tool_call *c, int argc, char **argv)
{
	struct tool_output o;
	struct targ_opt opts[] = { TOOL_OUTPUT_OPTS(&o) };
	struct errbuf eb;
	char **pos = NULL;
	json_t *params, *v = NULL;
	int npos, code;

	if (!tool_parse(c, &action_get_info, opts, 2, &o, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	if (!c->ctx->action) {
		code = tool_fail(c, "not running an action");
		goto out;
	}
	params = c->ctx->action->params;
	if (npos == 0)
		v = json_is_object(params) ? json_incref(params) : json_object();
	else
		v = json_incref(actionargs_lookup(params, pos[0]));
	code = tool_emit(c, &o, v);
out:
	json_decref(v);
	free(pos);
	return code;
}

int tool_action_set(struct tool_call *c, int argc, char **argv)
{
	struct actionarg *args = NULL;
	struct errbuf eb;
	char **pos = NULL;
	int npos, code, parsed = 0;

	if (!tool_parse(c, &action_set_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		return code;
	args = xcalloc((size_t)npos + 1, sizeof(*args));
	for (; parsed < npos; parsed++) {
		if (actionargs_parse(pos[parsed], ACTIONARGS_SET, &args[parsed], &eb) < 0) {
			code = tool_usage(c, "%s", eb.msg);
			goto out;
		}
	}
	if (!c->ctx->action) {
		code = tool_fail(c, "not running an action");
		goto out;
	}
	if (!c->ctx->action->results)
		c->ctx->action->results = json_object();
	for (int i = 0; i < npos; i++) {
		char *clean = tfmt_utf8_clean(args[i].value);
		json_t *v = json_string(clean);

		actionargs_insert(c->ctx->action->results, args[i].keys, args[i].n_keys, v);
		json_decref(v);
		free(clean);
	}
	code = TOOLS_EXIT_OK;
out:
	for (int i = 0; i < parsed; i++)
		actionargs_done(&args[i]);
	free(args);
	free(pos);
	return code;
}

int tool_action_log(struct tool_call *c, int argc, char **argv)
{
	struct buf msg = BUF_INIT;
	char **pos = NULL, *clean;
	int npos, code;

	if (!tool_parse(c, &action_log_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos == 0) {
		code = tool_usage(c, "no message specified");
		goto out;
	}
	if (!c->ctx->action) {
		code = tool_fail(c, "not running an action");
		goto out;
	}
	buf_init(&msg);
	for (int i = 0; i < npos; i++)
		buf_addf(&msg, "%s%s", i ? " " : "", pos[i]);
	clean = tfmt_utf8_clean(buf_str(&msg));
	if (c->ctx->ops->action_log)
		c->ctx->ops->action_log(c->ctx, clean);
	free(clean);
	buf_done(&msg);
	code = TOOLS_EXIT_OK;
out:
	free(pos);
	return code;
}

int tool_action_fail(struct tool_call *c, int argc, char **argv)
{
	struct errbuf eb;
	char **pos = NULL;
	int npos, code;

	if (!tool_parse(c, &action_fail_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		code = tool_usage(c, "%s", eb.msg);
		goto out;
	}
	if (!c->ctx->action) {
		code = tool_fail(c, "not running an action");
		goto out;
	}
	free(c->ctx->action->fail_message);
	c->ctx->action->fail_message =
		tfmt_utf8_clean(npos ? pos[0] : "action failed without reason given");
	c->ctx->action->failed = true;
	code = TOOLS_EXIT_OK;
out:
	free(pos);
	return code;
}
