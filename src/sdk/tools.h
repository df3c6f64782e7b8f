/* tools.h - how the SDK calls hook tools: one transport interface, three transports.
 *
 * Every model call (config-get, status-set, relation-get, ...) is one hook-tool call: a tool
 * name, its arguments and optionally stdin, answered by an exit code, stdout and stderr, as
 * if the tool had run as a process (docs/protocol.md §2).  The transports:
 *   - socket (tools_socket.c): one framed request to the agent's socket per call, the fast
 *     path (no process per call);
 *   - exec (tools_exec.c): run the tool from PATH, as ops does; works under any agent;
 *   - auto (tools.c): the socket while the agent speaks its protocol, else exec;
 * and the harness's in-process fake agent (harness_tools.c).
 *
 * A transport call returns 0 whenever the tool ran (whatever its exit code) and a negative
 * errno with err filled when it could not be run at all.  The socket and exec transports
 * write to peers that may hang up: the process must ignore SIGPIPE (cairn_main does).  tools_run() then turns a non-zero
 * exit into a CAIRN_ERR_MODEL error carrying the tool's message. */
#ifndef CAIRN_SDK_TOOLS_H
#define CAIRN_SDK_TOOLS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "cairn/charm.h"
#include "lib/buf.h"

#define TOOLS_TIMEOUT_MS 30000  /* connect + reply deadline of one socket call */
#define TOOLS_MAX_OUTPUT (16u * 1024u * 1024u) /* bytes of stdout or stderr kept */
#define TOOLS_MAX_ARGS 4096

struct tools_result {
	int code;       /* the tool's exit code */
	struct buf out; /* stdout */
	struct buf err; /* stderr */
};

struct tools;

struct tools_ops {
	/* Runs tool with argv[0..argc-1] and, when in is not NULL, in_len bytes of stdin.
	 * res is initialised by the caller (tools_result_init) and filled on success. */
	int (*call)(struct tools *t, const char *tool, const char *const *argv, size_t argc,
		    const char *in, size_t in_len, struct tools_result *res, struct cairn_error *err);
	void (*free)(struct tools *t);
};

/* Every transport starts with this. */
struct tools {
	const struct tools_ops *ops;
};

void tools_result_init(struct tools_result *r);
void tools_result_done(struct tools_result *r);

/* The socket transport: address is JUJU_AGENT_SOCKET_ADDRESS ("@name" = abstract socket),
 * context_id JUJU_CONTEXT_ID, cwd the working directory sent along.  All are copied. */
struct tools *tools_socket_new(const char *address, const char *context_id, const char *cwd);
/* The exec transport: tools are found on the PATH of envp (copied, NULL-terminated), which is
 * also the tools' whole environment. */
struct tools *tools_exec_new(char *const *envp);
/* The auto transport: takes both.  A socket call that finds no agent protocol at the other
 * end (nothing listening, the connection closed without a reply, or a reply that is not a
 * cairn frame) switches this transport to exec for that call and every later one; once the
 * agent has answered one call, the socket stays in use and its failures are errors. */
struct tools *tools_auto_new(struct tools *socket, struct tools *exec);

/* The socket transport's "no agent protocol here" result, used by the auto transport. */
#define TOOLS_ENOPROTO (-EPROTONOSUPPORT)

void tools_free(struct tools *t);

/* Runs tool with the NULL-terminated variadic arguments.  On exit 0 returns 0 with stdout
 * appended to out (out may be NULL).  A non-zero exit is -EIO with err = CAIRN_ERR_MODEL,
 * code = the exit code and message = the tool's stderr without its "ERROR " prefix and final
 * newline (or "<tool> failed with exit status N" when it printed nothing). */
int tools_run(struct tools *t, struct buf *out, const char *in, struct cairn_error *err,
	      const char *tool, ...) __attribute__((sentinel));
/* Same with an argument vector. */
int tools_runv(struct tools *t, struct buf *out, const char *in, size_t in_len,
	       struct cairn_error *err, const char *tool, const char *const *argv, size_t argc);

#endif
