/* files_atomic.h - atomic file writes for the files API, written and committed off the loop.
 *
 * A pushed file is written as Pebble's osutil.AtomicWriteChown writes it: a temporary file
 * "<dir>/<base>.<random>~" in the target's directory (so the rename stays on one
 * filesystem), created 0600 and then fchmod'ed to the requested mode (the umask plays no
 * part), written as the data arrives, then committed: fchown when an owner was given, the
 * directory opened, the file fsync'ed and closed, renamed over the target (which replaces a
 * symlink there rather than following it) and the directory fsync'ed.  Until the rename the
 * target keeps its old content; after it, the new content is complete.  A failed or
 * abandoned write removes its temporary file.  Texts are Go's: "open <tmp>: ...",
 * "write <tmp>: ...", "sync <tmp>: ...", "rename <tmp> <target>: ...".
 *
 * The loop never waits for the disk: the temporary file is created in the daemon (a
 * metadata operation), but its data is written, synced and renamed by a writer child forked
 * at open (forkjob.h).  The daemon puts the bytes into a pipe (non-blocking; what the pipe
 * cannot take yet waits in a buffer and goes out when the pipe drains) and the child splices
 * them into the file.  The buffer is the flow control: once it holds more than
 * FILES_ATOMIC_BUF_SIZE unsent bytes the pressure callback says "full" (the caller stops
 * reading its client), and "not full" once the pipe took everything, so memory per upload
 * stays bounded whatever the file size.  The commit is the child's verdict: once every byte
 * is in the pipe the daemon sends it "commit" and closes the pipe; the child syncs and
 * renames and reports, and the loop hears of it through the child's pidfd.
 *
 * Crash safety.  The child renames only after it has read the whole pipe and then the
 * verdict; the daemon sends the verdict only after the last byte.  If the daemon dies (or
 * abandons the write) first, the child reads EOF where the verdict should be and removes the
 * temporary file; if the daemon dies after the verdict, the child still renames a complete
 * file.  The target is never torn.  If the caller loses interest in a running commit (its
 * client went away), it forgets it: the commit completes (the upload was complete) and frees
 * itself. */
#ifndef SCREE_FILES_ATOMIC_H
#define SCREE_FILES_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "files.h"
#include "lib/loop.h"

#define FILES_ATOMIC_BUF_SIZE (256u * 1024u) /* unsent bytes beyond this: "full" */

struct files_atomic;

/* Flow control: full=true when the write holds more than FILES_ATOMIC_BUF_SIZE unsent
 * bytes, then false once it holds none.  Called from files_atomic_write (full) and from
 * the loop (not full). */
typedef void (*files_atomic_pressure_fn)(void *data, bool full);

/* Creates the temporary file for target (mode applied with fchmod; with chown, the
 * commit sets uid:gid) and starts its writer.  pressure (may be NULL) gets pdata.
 * Returns 0 with *ret, or -1 with e set (Go's texts; a base name holding '*' is refused
 * as os.CreateTemp's pattern would be: "cannot create tempfile for filename containing
 * '*': %q"). */
int files_atomic_open(const char *target, mode_t mode, bool chown, uid_t uid, gid_t gid, struct loop *l,
		      files_atomic_pressure_fn pressure, void *pdata, struct files_atomic **ret, struct files_error *e);

/* Appends n bytes (they are copied or written at once; see the flow control above).  The
 * first write error is kept and reported by the commit; later data is dropped. */
void files_atomic_write(struct files_atomic *a, const char *p, size_t n);

/* Called from the loop when a commit has ended: e->kind is FILES_OK on success, otherwise
 * e holds the failure (and the temporary file is gone unless the rename happened). */
typedef void (*files_atomic_done_fn)(void *data, const struct files_error *e);

/* Takes ownership of a and starts the commit (once the pipe has taken every byte; until
 * then the pressure callback still reports, and it says "not full" before done at the
 * latest).  Returns 0 when the commit runs (done follows from the loop, never from inside
 * this call), or -1 with e set when it failed at once (the writer is gone, the pipe broke);
 * a is freed and its temporary file removed in that case (after a last "not full"). */
int files_atomic_commit(struct files_atomic *a, files_atomic_done_fn done, void *data, struct files_error *e);

/* The caller of a running commit goes away: done will not be called; the commit
 * completes and frees itself. */
void files_atomic_forget(struct files_atomic *a);

/* Abandons a write that was not committed: removes the temporary file, tells the writer
 * to give up, frees a (the pressure callback is not called).  Accepts NULL. */
void files_atomic_abort(struct files_atomic *a);

/* The end of the daemon (outside the loop): a commit that was handed to the writer is
 * waited for (the writer completes it: the file is in place or not when this returns, never
 * later), anything else is abandoned as by files_atomic_abort.  done is not called; a is
 * freed.  Accepts NULL. */
void files_atomic_wait(struct files_atomic *a);

/* The temporary file's path (for tests and logs); valid until a is freed. */
const char *files_atomic_tmp_path(const struct files_atomic *a);

#endif
