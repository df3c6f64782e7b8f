/* tools.h - the hook tools (juju-log, config-get, status-set, ...) as the agent runs them.
 *
 * The hook-tool binary is a thin client (docs/protocol.md §2): argv, cwd and stdin arrive
 * here, and all parsing, validation and output happen in tools_run().  Output is appended to
 * out/err; the return value is the process exit code the client must exit with: 0 success,
 * 1 failure ("ERROR <message>\n" on err), 2 usage error. */
#ifndef CAIRN_TOOLS_H
#define CAIRN_TOOLS_H

#include <stddef.h>

#include "agent/hookctx.h"
#include "lib/buf.h"

/* How long a tool waits for the agent's answer (connect, send, reply): the agent puts it in
 * every hook's environment (milliseconds), above its own slowest answer - status-get
 * --application waits up to AGENT_QUERY_TIMEOUT_MS for the controller.  A tool run without it
 * (by hand) waits TOOLS_DEADLINE_DEFAULT_MS. */
#define TOOLS_DEADLINE_ENV "CAIRN_TOOL_DEADLINE_MS"
#define TOOLS_DEADLINE_MS 30000
#define TOOLS_DEADLINE_DEFAULT_MS 30000
/* Charm state quotas (state-set refuses a change past any of them and stores nothing):
 * Juju's per key and per value (quota.MaxCharmStateKeySize/ValueSize), Juju's default
 * max-charm-state-size for the whole state (key and value bytes), and two of the agent
 * protocol's, so a state that passes always travels in one commit-hook frame: the number of
 * keys (PROTO_STATE_KEYS_MAX) and the state's size as JSON (escaping can grow text six
 * times; PROTO_FRAME_MAX must hold it with the journal). */
#define TOOLS_STATE_MAX_KEY 256
#define TOOLS_STATE_MAX_VALUE (64u * 1024u)
#define TOOLS_STATE_MAX_TOTAL (2u * 1024u * 1024u)
#define TOOLS_STATE_MAX_KEYS 4096
#define TOOLS_STATE_MAX_JSON (3u * 1024u * 1024u)
/* Relation data (relation-set refuses a change past it and stores nothing): the JSON size of
 * every bag a hook changed, together, so that they travel in the hook's commit-hook frame
 * beside the charm state (TOOLS_STATE_MAX_JSON + this < PROTO_FRAME_MAX, checked at compile
 * time in tools_relation.c). */
#define TOOLS_RELATION_MAX_JSON (512u * 1024u)
/* A status message (status-set) and a juju-log message: the protocol's text limit
 * (PROTO_TEXT_MAX).  A longer status message is refused; a longer log message is cut there
 * (at a character boundary), since juju-log must not fail. */
#define TOOLS_MAX_MESSAGE (128u * 1024u)

/* Names of every tool the agent serves (NULL-terminated); used to create the tool links. */
extern const char *const tools_names[];

/* The end of one tool run: code is the exit code. */
typedef void (*tools_done_fn)(void *data, int code);

/* Runs one tool and calls done exactly once with its exit code - before returning for most
 * tools, later for those that wait for the controller (status-get --application).  cwd is the
 * caller's working directory (relative paths given to a tool are resolved against it; NULL =
 * the agent's own); stdin_data may be NULL when the client sent none.  argv is only read
 * during this call; out, err and ctx must stay valid until done is called. */
void tools_start(struct hook_ctx *ctx, const char *tool, const char *cwd, int argc, char **argv,
		 const char *stdin_data, struct buf *out, struct buf *err, tools_done_fn done,
		 void *data);

/* Runs one tool synchronously (tests, and hook contexts whose ops answer at once).  Returns the
 * exit code, or 1 with an error on err if the tool did not finish within the call. */
int tools_run(struct hook_ctx *ctx, const char *tool, int argc, char **argv,
	      const char *stdin_data, struct buf *out, struct buf *err);

/* As tools_run(), with the caller's working directory (the request's "cwd"): relative paths
 * given to a tool (state-set --file F, -o/--output F) are resolved against it.  cwd NULL
 * means the agent's own working directory, which is what tools_run() uses. */
int tools_run_cwd(struct hook_ctx *ctx, const char *tool, const char *cwd, int argc,
		  char **argv, const char *stdin_data, struct buf *out, struct buf *err);

#endif
