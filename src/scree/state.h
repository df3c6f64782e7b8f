/* state.h - the daemon's persisted state file ($PEBBLE/.pebble.state, §1), written off the
 * loop.
 *
 * The state is one JSON object whose sections belong to different managers ("changes",
 * "identities" (identities.h), "notices" (notices.h)), each built and read by its own module;
 * the daemon's build callback joins them.
 *
 * Writing.  A change to any section calls state_mark_dirty(), which only bumps a generation
 * counter and schedules a write for the next loop iteration (so the many marks of one
 * request, or of one burst of requests, make one write).  At most one write is in flight: it
 * runs in a forked child (forkjob.h), which serialises the daemon's memory as it was at the
 * fork (a consistent snapshot, taken in a fraction of a millisecond) and does the slow part
 * there: encode, write "<path>.new", fsync, rename over <path>, fsync the directory.  Marks
 * made while a write runs are folded into the next one, started as soon as the first ends.
 * Under load a write therefore covers every change since the previous fork: the cost is one
 * whole-file write per write duration, not per change, and the loop never waits for it.  A
 * failed write is logged and retried (at the next mark, or after STATE_RETRY_MS).
 *
 * Durability (what a SIGKILL at any moment can lose).  The file on disk is always a complete
 * old or new version, never torn (rename of a synced file; a leftover "<path>.new" is
 * ignored and overwritten).  Whatever a caller waited for with state_sync() (identities: the
 * API answers only after the write holding the change has completed) is never lost.  Change
 * and notice bookkeeping may lose what happened since the last completed write: at most one
 * or two write durations (a few milliseconds on an idle disk), as a crash of upstream Pebble
 * between its state changes and its next checkpoint would.  Changes that were running when
 * the daemon died are fixed up at the next start (change.h: chg_store_load_json).
 *
 * Writers of a daemon that was killed run on to their end.  So that one of them cannot
 * rename a stale snapshot over the state of a newer daemon, the daemon holds an exclusive
 * flock on $PEBBLE (its directory) from state_lock() on, and each writer child inherits it:
 * a new daemon's state_lock() waits until the old writers are gone before it reads the file.
 *
 * With PEBBLE_PERSIST=never nothing is read, written, locked or forked: marks only run the
 * before-write hook (pruning) once per loop iteration. */
#ifndef SCREE_STATE_H
#define SCREE_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define STATE_MAX_BYTES (64u * 1024u * 1024u) /* a larger state file is refused */
#define STATE_RETRY_MS 1000u                  /* a failed write is retried this much later */

struct forkjob;
struct state_waiter;

struct state_hooks {
	/* In the parent, just before a write is started (and once per iteration of marks when
	 * not persisting): drop what is not worth keeping.  May mark the state dirty. */
	void (*before_write)(void *data);
	/* Builds the whole state (a new reference).  Runs in the writer child, on its snapshot
	 * of the daemon, or in the daemon itself for state_write_now(). */
	json_t *(*build)(void *data);
};

struct state {
	char *st_path;      /* owned; NULL when not persisting */
	int st_dirfd;       /* the state file's directory, flocked by state_lock(); -1 */
	struct loop *st_loop;
	const struct state_hooks *st_hooks;
	void *st_data;
	uint64_t st_marked;  /* generation: bumped by every mark */
	uint64_t st_saved;   /* generation of the newest completed write */
	uint64_t st_writing; /* generation the write in flight covers */
	struct forkjob *st_job; /* the write in flight, or NULL */
	bool st_scheduled;   /* a start is due at the next iteration */
	bool st_failing;     /* the last write failed */
	struct loop_timer *st_kick; /* starts the next write (next iteration, or a retry) */
	struct state_waiter *st_waiters, **st_waiters_tail;
	uint64_t st_writes;  /* completed writes (for the debug log and tests) */
};

/* path is copied; persist=false keeps everything in memory.  hooks and data are borrowed. */
void state_init(struct state *st, struct loop *l, const char *path, bool persist, const struct state_hooks *hooks,
		void *data);
/* Waits for a write in flight, fails the remaining waiters with -ECANCELED, releases the
 * lock.  Does not write: call state_write_now() first for a final write. */
void state_done(struct state *st);

/* Takes the exclusive lock on the state file's directory, waiting for the writers of a
 * daemon that died (their writes end on their own) if need be.  A file system without
 * flock is not an error.  Returns 0, or -errno with eb set. */
int state_lock(struct state *st, struct errbuf *eb);

/* Reads the state file.  A missing file yields an empty object.  Returns 0 and a new
 * reference, or -errno with eb set ("cannot read state file: ..."). */
int state_load(struct state *st, json_t **ret, struct errbuf *eb);

/* Records that the state changed; the write follows off the loop (see above), started at
 * the next loop iteration. */
void state_mark_dirty(struct state *st);

/* Calls cb(data, 0) once everything marked so far is on disk, or cb(data, -errno, message)
 * if the write that was to hold it failed.  Always later, from the loop (never from inside
 * this call); with PEBBLE_PERSIST=never the caller need not wait at all and this must not be
 * used.  The waiter cannot be withdrawn: data must stay valid until cb. */
typedef void (*state_synced_fn)(void *data, int err, const char *msg);
void state_sync(struct state *st, state_synced_fn cb, void *data);

/* Writes the state now, in the daemon itself (startup and exit only: it blocks), after
 * waiting for a write in flight.  No-op when not persisting.  Returns 0 or -errno with eb. */
int state_write_now(struct state *st, struct errbuf *eb);

static inline bool state_persisting(const struct state *st) { return st->st_path != NULL; }

#endif
