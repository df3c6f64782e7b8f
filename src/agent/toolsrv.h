/* toolsrv.h - the hook-tool server: the agent end of docs/protocol.md §2.
 *
 * Listens on one UNIX socket.  Each connection carries one request frame from the hook-tool
 * binary; the server finds the live hook context named by its context id (a lookup the
 * caller provides), runs the tool through tools_run() and answers with one frame
 * {"code","stdout","stderr"}.  Requests naming no live context are refused with exit code 1.
 * Limits: TOOLSRV_MAX_CONNS connections at once (more are closed at once). */
#ifndef CAIRN_TOOLSRV_H
#define CAIRN_TOOLSRV_H

#include "agent/hookctx.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define TOOLSRV_MAX_CONNS 512

struct toolsrv;

/* Returns the live context for id, or NULL. */
typedef struct hook_ctx *(*toolsrv_lookup_fn)(void *data, const char *context_id);

int toolsrv_new(struct loop *l, const char *path, toolsrv_lookup_fn lookup, void *data,
		struct toolsrv **ret, struct errbuf *eb);
void toolsrv_free(struct toolsrv *s);

#endif
