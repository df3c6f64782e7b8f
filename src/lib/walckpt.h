/* walckpt.h - SQLite WAL checkpoints off a daemon's loop.
 *
 * A connection in WAL mode checkpoints by itself (wal_autocheckpoint) inside the commit that
 * crosses the threshold: it copies the log's pages into the database and syncs both files, two
 * fsyncs that can take a long time under others' I/O, and the loop that committed waits for
 * them.  walckpt takes that job from the loop's connection: it installs the connection's WAL
 * hook (which also turns its automatic checkpoints off), and when a commit leaves at least
 * `frames` frames in the log it wakes a thread of its own that runs a PASSIVE checkpoint on a
 * second connection to the same file - a checkpoint never blocks the writer, and the writer
 * never blocks it.  The log starts again from its beginning at the first commit after a
 * checkpoint that copied everything, as with automatic checkpoints.  The writer goes on while
 * the thread works, so the thread runs rounds (each copies what the last left) until one
 * copies the whole log.  When commits come so close together that none does (the log could
 * then never start again), the next commit copies the little rest itself, as SQLite's own
 * checkpoints would, and the log starts again at the one after: it stays bounded, and the
 * loop's share is the tail, not the bulk.  The end of a checkpoint
 * reaches the loop as an event (an eventfd), where a failure is reported with the number of
 * pages the log still holds.
 *
 * The thread blocks every signal (the loop's signalfd sees them all) and touches nothing but
 * its own connection and the request it was handed.  SQLite must be built thread-safe
 * (Debian's is); when it is not, walckpt_attach leaves the connection's automatic
 * checkpoints on and says so. */
#ifndef CAIRN_WALCKPT_H
#define CAIRN_WALCKPT_H

#include <sqlite3.h>
#include <stdint.h>

#include "errbuf.h"
#include "loop.h"

struct walckpt;

/* What walckpt did so far (for tests and stats). */
struct walckpt_stats {
	uint64_t started;        /* checkpoints asked of the thread */
	uint64_t done;           /* ... that ended (well or not) */
	uint64_t failed;         /* ... that failed */
	uint64_t busy;           /* ... that found the log busy every time and did not run */
	uint64_t inline_checkpoints; /* of a tail, made by a commit (see above) */
	int last_log_frames;     /* the log's size at the end of the last one (-1 unknown) */
	int last_copied_frames;  /* the frames it had copied into the database */
	int max_log_frames;      /* the largest log a commit left */
	uint64_t restarts;       /* times the log started again from its beginning */
};

/* Takes the checkpoints of db (open in WAL mode, used only from the loop's thread) at path
 * (NULL: db's own file).  frames: the log's size in pages that starts one (0: the threshold
 * db's wal_autocheckpoint had).  on_error is called from the loop with the reason when a
 * checkpoint fails (NULL: the reason is logged, with the path).  Returns 0 with *ret, or a
 * negative errno with eb set (nothing changed then: db checkpoints as it did). */
int walckpt_attach(struct loop *l, sqlite3 *db, const char *path, int frames,
		   void (*on_error)(void *data, const char *reason), void *data, struct walckpt **ret,
		   struct errbuf *eb);

/* Waits for a checkpoint in progress to end, stops the thread, closes its connection and
 * frees w; db gets its WAL hook back (none).  Call before closing db.  NULL is fine. */
void walckpt_free(struct walckpt *w);

void walckpt_get_stats(const struct walckpt *w, struct walckpt_stats *out);

#endif
