/* files_atomic.h - atomic file writes for the files API, committed off the loop.
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
 * The fsyncs of a large file can take a long time, so the commit runs in a forked child
 * (fork is cheap for this small daemon; the child makes only the system calls of the
 * commit and exits).  The loop hears of its end through the child's pidfd and calls the
 * commit's done callback.  If the caller loses interest first (its client went away), it
 * forgets the commit: the child still finishes (the upload was complete, so the new
 * content is whole) and the commit frees itself.  If the daemon itself is killed during
 * a commit, the child still renames a complete file or leaves the temporary file behind;
 * the target is never torn.
 *
 * Writes are coalesced in a FILES_ATOMIC_BUF_SIZE buffer (request bodies arrive in small
 * chunks), so memory per upload is constant whatever the file size. */
#ifndef SCREE_FILES_ATOMIC_H
#define SCREE_FILES_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "files.h"
#include "lib/loop.h"

#define FILES_ATOMIC_BUF_SIZE (256u * 1024u)

struct files_atomic;

/* Creates the temporary file for target (mode applied with fchmod; with chown, the
 * commit sets uid:gid).  Returns 0 with *ret, or -1 with e set (Go's texts; a base name
 * holding '*' is refused as os.CreateTemp's pattern would be:
 * "cannot create tempfile for filename containing '*': %q"). */
int files_atomic_open(const char *target, mode_t mode, bool chown, uid_t uid, gid_t gid, struct files_atomic **ret,
		      struct files_error *e);

/* Appends n bytes.  The first write error is kept and reported by files_atomic_commit;
 * later data is dropped. */
void files_atomic_write(struct files_atomic *a, const char *p, size_t n);

/* Called from the loop when a commit has ended: e->kind is FILES_OK on success, otherwise
 * e holds the failure (and the temporary file is gone unless the rename happened). */
typedef void (*files_atomic_done_fn)(void *data, const struct files_error *e);

/* Takes ownership of a: flushes it and starts the commit.  Returns 0 when the commit
 * runs (done follows from the loop), or -1 with e set when it failed at once (a latched
 * write error, fchown, fork); a is freed and its temporary file removed in that case. */
int files_atomic_commit(struct files_atomic *a, struct loop *l, files_atomic_done_fn done, void *data,
			struct files_error *e);

/* The caller of a running commit goes away: done will not be called; the commit
 * completes and frees itself. */
void files_atomic_forget(struct files_atomic *a);

/* Abandons a write that was not committed: closes and removes the temporary file, frees a.
 * Accepts NULL. */
void files_atomic_abort(struct files_atomic *a);

/* The temporary file's path (for tests and logs); valid until a is freed. */
const char *files_atomic_tmp_path(const struct files_atomic *a);

#endif
