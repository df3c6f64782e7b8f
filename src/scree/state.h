/* state.h - the daemon's persisted state file ($PEBBLE/.pebble.state, §1).
 *
 * The state is one JSON object whose sections belong to different managers ("changes",
 * "identities" (identities.h), "notices" (notices.h)), each built and read by its own module
 * (daemon.c joins them).  Writes are atomic (fs_write_atomic: .new, fsync,
 * rename) and coalesced: state_mark_dirty() only records that a write is needed and the
 * daemon calls state_flush() once per loop iteration.  With PEBBLE_PERSIST=never nothing is
 * ever read or written. */
#ifndef SCREE_STATE_H
#define SCREE_STATE_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/errbuf.h"

#define STATE_MAX_BYTES (64u * 1024u * 1024u) /* a larger state file is refused */

struct state {
	char *st_path;      /* owned; NULL when not persisting */
	bool st_dirty;
};

/* path is copied; persist=false keeps everything in memory. */
void state_init(struct state *st, const char *path, bool persist);
void state_done(struct state *st);

/* Reads the state file.  A missing file yields an empty object.  Returns 0 and a new
 * reference, or -errno with eb set ("cannot read state file: ..."). */
int state_load(struct state *st, json_t **ret, struct errbuf *eb);
/* Writes root atomically (no-op when not persisting).  Clears the dirty flag. */
int state_save(struct state *st, json_t *root, struct errbuf *eb);

static inline void state_mark_dirty(struct state *st) { st->st_dirty = true; }

#endif
