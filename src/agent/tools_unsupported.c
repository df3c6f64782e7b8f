/* tools_unsupported.c - the Juju 3.6 hook tools cairn does not implement yet (secrets,
 * storage, payloads, metrics, credentials, reboot, podspec/k8s).
 *
 * Each has a name on the hook PATH (tools_names.c), so a charm calling one gets what the
 * ops library expects of a failing tool - "ERROR <tool> is not supported by this
 * controller" on stderr and exit 1, which ops raises as ModelError - instead of a shell's
 * "not found" (exit 127).  --help still works, as for every tool. */
#include <stdlib.h>
#include <string.h>

#include "agent/tools_internal.h"

int tool_unsupported(struct tool_call *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			buf_addf(c->out, "Usage: %s [options]\n\nSummary:\nnot supported by this "
					 "controller\n", c->name);
			return TOOLS_EXIT_OK;
		}
	}
	return tool_fail(c, "%s is not supported by this controller", c->name);
}
