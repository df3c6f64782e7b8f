/* files_job.h - file-system work of one files API request (make-dirs, remove: §17) run in a
 * forked child, its JSON answer an event.
 *
 * A recursive remove walks a tree of any size, and a make-dirs syncs each new directory's
 * parent: work that waits for the disk, which the loop must never do.  files_job_start()
 * forks the child with forkjob.h (so it holds none of the daemon's sockets or pipes open and
 * a client sees EOF as soon as the daemon closes its connection); the child runs fn, which
 * builds the request's result, writes it as JSON text into a memfd the parent made before
 * the fork, and _exits.  Once the child is reaped, done gets the result, read back from the
 * memfd (memory, not disk: cheap on the loop).
 *
 * fn runs in a copy of the daemon: it may read anything the daemon held at the fork (the
 * request's decoded JSON, for instance) but must only act on the file system.  It is not
 * stopped early: a job a client gave up on (files_job_forget) still ends, its answer dropped,
 * as an upstream handler's os.RemoveAll carries on when its client goes.
 *
 * Handles: a job frees itself after done returns; files_job_forget() means done is never
 * called; files_job_wait() (end of the daemon, outside the loop) blocks until the child has
 * exited and frees the job. */
#ifndef SCREE_FILES_JOB_H
#define SCREE_FILES_JOB_H

#include <jansson.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define FILES_JOB_MAX_RESULT (64u * 1024u * 1024u) /* a larger answer is an error */

struct files_job;

/* Runs in the child: returns a new reference to the result (any JSON value), or NULL when
 * out of memory. */
typedef json_t *(*files_job_fn)(void *arg);
/* Runs in the parent, once: result (borrowed), or NULL and error (the child died or its
 * answer could not be read; error says how). */
typedef void (*files_job_done_fn)(void *data, json_t *result, const char *error);

/* Forks the child (named "scree-files").  Returns 0 (done follows from the loop, never
 * from inside this call) or a negative errno with eb set, nothing started. */
int files_job_start(struct loop *l, files_job_fn fn, void *arg, files_job_done_fn done, void *data,
		    struct files_job **ret, struct errbuf *eb);
/* done will not be called; the child runs to its end and the job frees itself when it has
 * been reaped.  NULL is fine. */
void files_job_forget(struct files_job *j);
/* Blocks until the child has exited, then frees j; done is not called.  NULL is fine. */
void files_job_wait(struct files_job *j);

#endif
