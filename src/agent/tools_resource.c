/* tools_resource.c - resource-get (charm-runtime.md §3.7): the local path of a resource.
 *
 * Juju's jujuc ResourceGetCmd: one positional argument, the resource's name ("missing
 * required resource name" without it, cmd.CheckEmpty's "unrecognized args: [...]" past
 * it, both usage errors), no options.  Run asks the agent (ops->resource_get), which
 * answers at once when the unit's copy is current and otherwise once the content has been
 * fetched from the controller; a failure is "could not download resource: <reason>",
 * exit 1, as Juju annotates DownloadResource's error.  The path is printed without a
 * newline, as Juju's Fprintf(ctx.Stdout, "%s", filePath) does (ops strips it anyway). */
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"

static const struct tool_info resource_get_info = {
	"resource-get", "<resource name>", "Get the path to the locally cached resource file."
};

static void resource_got(void *arg, const char *path, const char *error)
{
	struct tool_call *c = arg;
	int code;

	if (!path) {
		code = tool_fail(c, "could not download resource: %s",
				 error && *error ? error : "unknown error");
	} else {
		buf_adds(c->out, path);
		code = TOOLS_EXIT_OK;
	}
	tool_finish(c, code);
}

int tool_resource_get(struct tool_call *c, int argc, char **argv)
{
	struct errbuf eb;
	char **pos = NULL, *name;
	int npos, code;

	if (!tool_parse(c, &resource_get_info, NULL, 0, NULL, argc, argv, &pos, &npos, &code))
		return code;
	if (npos < 1) {
		free(pos);
		return tool_usage(c, "missing required resource name");
	}
	if (npos > 1) {
		targ_unrecognized(&eb, pos + 1, npos - 1);
		free(pos);
		return tool_usage(c, "%s", eb.msg);
	}
	if (!c->ctx->ops->resource_get) {
		free(pos);
		return tool_fail(c, "could not download resource: resources are not available here");
	}
	/* argv is gone once we return; the agent copies what it keeps. */
	name = xstrdup(pos[0]);
	free(pos);
	/* resource_got may run (and free c) before this returns: c is not touched after. */
	c->ctx->ops->resource_get(c->ctx, name, resource_got, c);
	free(name);
	return TOOLS_EXIT_PENDING;
}
