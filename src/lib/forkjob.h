/* forkjob.h - a short blocking job (fsync, file writes) in a forked child, its end an event.
 *
 * The loop must never wait for the disk, so work that does (writing and syncing a state
 * file, streaming an upload into its file) runs in a child forked from the daemon.  The
 * fork is also a free, consistent snapshot: the child sees the daemon's memory as it was at
 * forkjob_start(), so it may serialise the daemon's state while the daemon goes on.
 *
 * The child closes every descriptor but 0-2, its end of the job's channel and the ones the
 * caller asks to keep, so it holds no socket or pipe of the daemon open (a client or a
 * service sees EOF as soon as the daemon closes its side, however long the child runs).  It
 * keeps the daemon's blocked signal mask, so only SIGKILL stops it early, and it ignores
 * SIGPIPE as the daemon does.  It runs fn, writes fn's struct forkjob_result to the channel
 * and _exits (no atexit handlers, no stdio flush).
 *
 * The channel is a socket pair: the parent may send the child a few bytes (forkjob_send:
 * a verdict the child waits for with forkjob_chan_read()), and the child reads EOF when the
 * parent has gone away or given up on the job (forkjob_forget, or the daemon was killed).  A
 * job must therefore leave the file system consistent at every point where it may stop
 * early, and treat EOF as "abandon".  If the daemon dies, its children carry on to their end
 * (they are then reparented; nobody reads their result).
 *
 * worker.h is the other fork helper: long work (archives, tree copies) whose result is a
 * JSON object of any size.  forkjob is for short jobs whose point is the snapshot or the
 * descriptors: a small fixed result, a verdict channel, nothing of the daemon's held open.
 *
 * Handles: a job frees itself once the loop has reaped the child and done has returned;
 * forkjob_forget() (before that) frees it at once and means done is never called, and forkjob_wait() blocks until
 * the child has exited and frees the job (for the end of a daemon, outside the loop). */
#ifndef CAIRN_FORKJOB_H
#define CAIRN_FORKJOB_H

#include <stddef.h>
#include <sys/types.h>

#include "errbuf.h"
#include "loop.h"

#define FORKJOB_MAX_KEEP 4

/* What a job reports: a step of the job (the caller's enum) and an errno (0 = none). */
struct forkjob_result {
	int step;
	int err;
};

struct forkjob;

/* Runs in the child; chan is the child's end of the channel (for forkjob_chan_read). */
typedef struct forkjob_result (*forkjob_fn)(void *arg, int chan);
/* Runs in the parent, once, after the child was reaped: r is NULL when the child ended
 * without a result (killed); wstatus has waitpid(2) form. */
typedef void (*forkjob_done_fn)(void *data, const struct forkjob_result *r, int wstatus);

/* Forks the child, named name (prctl PR_SET_NAME: /proc/PID/comm, what ps and tests see;
 * at most 15 bytes are kept).  keep[0..n_keep) (n_keep <= FORKJOB_MAX_KEEP) stay open in the child; the
 * parent's copies are untouched (close them after the call if only the child needs them).
 * Returns 0 with *ret (done follows from the loop, never from inside this call), or a
 * negative errno with eb set ("cannot fork: ..."), nothing started. */
int forkjob_start(struct loop *l, const char *name, forkjob_fn fn, void *arg, const int *keep, size_t n_keep,
		  forkjob_done_fn done, void *data, struct forkjob **ret, struct errbuf *eb);

/* Sends n bytes to the child (they fit in the socket buffer: keep n small).  Returns 0 or a
 * negative errno (the child is gone). */
int forkjob_send(struct forkjob *j, const void *p, size_t n);

/* The parent gives up on the job: done will not be called, the channel is closed (the child
 * reads EOF), j is freed at once and the loop reaps the child as an orphan (loop.h).  Not
 * from inside j's own done callback.  NULL is fine. */
void forkjob_forget(struct forkjob *j);

/* Blocks until the child has exited, reaps it and frees j; done is not called.  For the
 * end of a daemon (outside loop callbacks).  NULL is fine. */
void forkjob_wait(struct forkjob *j);

/* The child's pid (for logs and tests). */
pid_t forkjob_pid(const struct forkjob *j);

/* In the child: reads up to n bytes from the channel, blocking.  Returns the count, 0 at EOF
 * (the parent gave up or died) or a negative errno. */
ssize_t forkjob_chan_read(int chan, void *p, size_t n);

#endif
