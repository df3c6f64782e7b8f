/* logring.h - the bounded output buffer of one service (Pebble §15, §13).
 *
 * Every byte a service writes to stdout/stderr is stored in the line form Pebble uses on
 * disk and on the verbose console, `2006-01-02T15:04:05.000Z [svc] text\n`; a write that
 * does not end a line is continued by the next write without a new prefix.  A stored line
 * holds at most LOGRING_MAX_LINE bytes with its prefix: a longer one is cut there and goes on
 * as a new line with the same prefix (Pebble's log reader hands out long lines in pieces of
 * that size), so a service that never writes a newline is kept as its newest pieces rather
 * than lost, and no line outgrows the ring.  The buffer holds
 * at most LOGRING_MAX bytes: older lines are dropped whole, so the oldest byte kept always
 * starts a line.  Memory grows on demand (idle services cost almost nothing).
 *
 * Readers address bytes by absolute offset (bytes ever written), so a follower can resume
 * where it stopped and notice when the data it wanted has already been dropped. */
#ifndef SCREE_LOGRING_H
#define SCREE_LOGRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define LOGRING_MAX (100u * 1024u) /* bytes kept per service (upstream maxLogBytes) */
#define LOGRING_MIN_ALLOC 1024u     /* first allocation; doubled up to LOGRING_MAX */
#define LOGRING_MAX_LINE 4096u      /* bytes of one stored line with its prefix (upstream logReaderSize) */

struct logring {
	char *lr_data;          /* cap bytes, circular */
	size_t lr_cap;
	size_t lr_head;         /* index of the oldest byte */
	size_t lr_len;          /* bytes held */
	uint64_t lr_start;      /* absolute offset of the oldest byte */
	bool lr_midline;        /* the last write did not end a line */
	size_t lr_linelen;      /* bytes of the current line so far, prefix included */
	char *lr_name;          /* service name used in the prefix (owned) */
};

/* Initialises an empty ring for service name (copied). */
void logring_init(struct logring *r, const char *name);
void logring_done(struct logring *r);

/* Absolute offset one past the newest byte. */
static inline uint64_t logring_end(const struct logring *r) { return r->lr_start + r->lr_len; }

/* Appends service output p[0..n) received at wall_ns, adding the line prefix where a line
 * starts.  If fmt_out is not NULL the formatted bytes are also appended to it (for the
 * verbose copy to the daemon's stdout). */
void logring_write(struct logring *r, const char *p, size_t n, uint64_t wall_ns, struct buf *fmt_out);

/* Copies the next stored line at *off (clamped up to the oldest byte kept) into line,
 * without its newline, and advances *off.  Returns 1 if a line was copied, 0 if no complete
 * line is available (with partial=true an unterminated tail counts as a line). */
int logring_next_line(const struct logring *r, uint64_t *off, bool partial, struct buf *line);

/* Offset of the start of the last n stored lines (n == 0: logring_end). */
uint64_t logring_tail_offset(const struct logring *r, size_t n);

/* Splits a stored line "TS [svc] message" into its parts.  Returns 0 with *ret_wall_ns
 * (time, ms resolution) and *ret_msg pointing into line, or -EINVAL for a line without a
 * valid prefix. */
int logring_parse_line(const char *line, uint64_t *ret_wall_ns, const char **ret_msg);

/* Appends the messages (prefixes removed) of the last n lines, each preceded by indent and
 * followed by "\n" except the last (Pebble's "Most recent service output"). */
void logring_last_lines(const struct logring *r, size_t n, const char *indent, struct buf *out);

#endif
