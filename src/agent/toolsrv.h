/* toolsrv.h - the hook-tool server: the agent end of docs/protocol.md §2.
 *
 * Listens on one UNIX socket.  Each connection carries one request frame from the hook-tool
 * binary; the server finds the live hook context named by its context id (a lookup the
 * caller provides), runs the tool through tools_run() and answers with one frame
 * {"code","stdout","stderr"}.  Requests naming no live context are refused with exit code 1,
 * and so are requests from a process outside the hook's own tree (its process group or its
 * descendants, by the peer's SO_PEERCRED pid): a context id read from another unit's hook
 * environment, or kept by a process the hook left behind, is worth nothing.  Both get the
 * same answer, "ERROR bad request: unknown context id".
 * Limits: TOOLSRV_MAX_CONNS connections at once (a client beyond them is answered "ERROR too
 * many connections (limit N)" with exit code 1), TOOLSRV_MAX_ARGS arguments, MSG_MAX bytes
 * a request. */
#ifndef CAIRN_TOOLSRV_H
#define CAIRN_TOOLSRV_H

#include "agent/hookctx.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define TOOLSRV_MAX_CONNS 512
#define TOOLSRV_MAX_ARGS 4096

struct toolsrv;

/* Returns the live context for id, or NULL. */
typedef struct hook_ctx *(*toolsrv_lookup_fn)(void *data, const char *context_id);

int toolsrv_new(struct loop *l, const char *path, toolsrv_lookup_fn lookup, void *data,
		struct toolsrv **ret, struct errbuf *eb);
void toolsrv_free(struct toolsrv *s);

#endif
