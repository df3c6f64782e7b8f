/* worker.h - long work (unzip, tree copies, packing) in a forked child, its end an event.
 *
 * The loop must never block on file trees or archives (brief: "never block the loop"), so such
 * work runs in a child process forked from the daemon: worker_start() forks, the child runs
 * fn and writes its JSON result back over a pipe as one frame (lib/msg.h), then _exits.  The
 * parent reads the pipe through the loop and, once the child has been reaped, calls done with
 * the result, or with an error message when fn failed or the child died.
 *
 * fn runs in a copy of the daemon: it must only use its argument and the file system (no loop
 * calls, no sockets or databases the parent owns), and must not return for long without
 * making progress.  The child keeps the parent's blocked signal mask, so only SIGKILL (sent by
 * worker_cancel) stops it early.
 *
 * Handles: the worker is freed by the loop after done returns, or by worker_cancel(). */
#ifndef CAIRN_WORKER_H
#define CAIRN_WORKER_H

#include <jansson.h>

#include "errbuf.h"
#include "loop.h"

#define WORKER_RESULT_MAX (1u << 20) /* largest result frame a child may send */

struct worker;

/* Runs in the child.  Returns a new reference to the result object, or NULL with eb set. */
typedef json_t *(*worker_fn)(void *arg, struct errbuf *eb);
/* Runs in the parent, once: result (borrowed) or NULL and error. */
typedef void (*worker_done_fn)(void *data, json_t *result, const char *error);

/* Returns 0 (done will be called later, never from inside this call) or a negative errno
 * with eb set (nothing started, done never called). */
int worker_start(struct loop *l, worker_fn fn, void *arg, worker_done_fn done, void *data,
		 struct worker **ret, struct errbuf *eb);
/* Blocks until the child has finished (for the end of a daemon: no worker outlives it);
 * then frees w like worker_cancel (done is not called).  NULL is fine. */
void worker_wait(struct worker *w);
/* Kills the child and frees w; done is not called.  NULL is fine. */
void worker_cancel(struct worker *w);

#endif
