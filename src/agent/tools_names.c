/* tools_names.c - the names of the hook tools the agent serves.
 *
 * Kept apart from the implementations so that the hook-tool client (src/hooktools), which
 * creates one link per name, can carry the list without linking the tools themselves.
 * tools.c maps each name to its function; test-tools checks the two agree. */
#include "agent/tools.h"

const char *const tools_names[] = {
	"application-version-set",
	"close-port",
	"config-get",
	"is-leader",
	"juju-log",
	"open-port",
	"opened-ports",
	"state-delete",
	"state-get",
	"state-set",
	"status-get",
	"status-set",
	NULL,
};
