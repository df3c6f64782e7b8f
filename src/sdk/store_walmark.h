/* store_walmark.h - a fingerprint of the last commit in a WAL-mode SQLite database, read from
 * its two files without SQLite (the SQLite store's "nothing queued" hint, store_sqlite.c).
 *
 * A WAL-mode database (file format: docs at sqlite.org/fileformat2.html, "the write-ahead
 * log") is its main file plus "<db>-wal": a 32-byte header carrying a checkpoint sequence
 * number and two salts, then frames of a 24-byte header and one page each.  Every commit
 * appends frames, the last one marked as a commit frame, each frame header repeating the
 * salts and carrying a checksum chained over every frame before it.  When the log restarts
 * after a checkpoint, the sequence number changes and the salts too (salt-1 is incremented,
 * salt-2 drawn at random), so frames left over from an earlier cycle never carry the current
 * salts.
 *
 * A mark records the header's salts and sequence, the number of frames the last commit
 * left (SQLite reports it to the WAL hook) and that frame's checksums, plus the main file's
 * change counter.  It still matches only while the log's current cycle ends with that very
 * frame: a later commit by anyone either appends a frame with the current salts right after
 * it, or restarts the log (new salts), or removes it (a connection that closes last in
 * normal locking mode checkpoints and deletes the log), or takes the file out of WAL mode
 * (a main-file header change).  Uncommitted frames after the mark make it stale too (never
 * wrongly current).  Nothing here writes. */
#ifndef CAIRN_SDK_STORE_WALMARK_H
#define CAIRN_SDK_STORE_WALMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct walmark {
	uint32_t db_counter; /* the main file's change counter (header offset 24) */
	uint32_t ckpt_seq;   /* the log header's checkpoint sequence number */
	uint32_t salt1, salt2;
	uint32_t frames;     /* frames in the log's current cycle, the last a commit frame */
	uint32_t cksum1, cksum2; /* the checksums of frame number `frames` */
};

#define WALMARK_TEXT_MAX 96 /* bytes of walmark_format's text, with its NUL */

/* Reads the mark of the database at db_path whose log holds `frames` frames in its current
 * cycle (as the WAL hook reported them for the last commit).  Returns 0 and fills *ret, or
 * -1 when the files do not describe such a commit (not in WAL mode, no log, a log shorter
 * than `frames`, the last frame not a commit frame of this cycle). */
int walmark_read(const char *db_path, uint32_t frames, struct walmark *ret);

/* Whether the database at db_path still ends with the commit that mark describes: nothing
 * was written to it since (see the top comment).  Any doubt answers false. */
bool walmark_current(const char *db_path, const struct walmark *mark);

/* The mark as text (buf of WALMARK_TEXT_MAX bytes), and back: walmark_parse reads a mark
 * from the start of text, returns the number of characters it used, or -1. */
void walmark_format(const struct walmark *mark, char *buf);
int walmark_parse(const char *text, struct walmark *ret);

#endif
