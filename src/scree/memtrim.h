/* memtrim.h - the daemon's heap policy: freed memory goes back to the kernel.
 *
 * A long-running scree churns through short-lived buffers (request bodies, JSON answers of a
 * thousand changes) between long-lived records (changes, notices).  With glibc's defaults
 * the freed space stays in the heap, and its dynamic mmap threshold lets ever larger
 * transient buffers move into the heap too, so the resident size only ratchets up.
 * memtrim_init() fixes the thresholds (buffers of MEMTRIM_MMAP_THRESHOLD and more are
 * mapped and unmapped on their own; a free top of the heap beyond MEMTRIM_TRIM_THRESHOLD is
 * given back), and memtrim_activity() - called whenever the daemon's state changed - makes
 * sure malloc_trim(0), which also releases the free pages inside the heap, runs
 * MEMTRIM_DELAY_MS later: at most once per that period under load, once after a burst.
 *
 * glibc also keeps up to 7 freed blocks of each small size (up to 1 KiB) in a per-thread
 * cache (tcache) that neither free nor malloc_trim returns; in a daemon that serves many
 * kinds of requests that is some 150-200 KiB pinned, scattered over the heap.  Its only
 * switch is the GLIBC_TUNABLES variable, read when a process starts: memtrim_reexec() makes
 * `scree run` execute itself once more with glibc.malloc.tcache_count=0 added.  The
 * re-executed daemon puts the caller's GLIBC_TUNABLES back (its services inherit the
 * caller's environment, not this setting) and its process name (/proc/PID/comm).  A caller's own tcache setting wins, and
 * SCREE_MALLOC_TUNED=0 skips the re-execution. */
#ifndef SCREE_MEMTRIM_H
#define SCREE_MEMTRIM_H

#include "lib/loop.h"

#define MEMTRIM_MMAP_THRESHOLD (64u * 1024u)
#define MEMTRIM_TRIM_THRESHOLD (128u * 1024u)
#define MEMTRIM_DELAY_MS 1000u

struct memtrim {
	struct loop_timer *mt_timer;
	unsigned long mt_trims; /* malloc_trim calls so far */
};

/* Called first thing by `scree run` with its full argv: returns at once in the re-executed
 * daemon (after restoring the environment), when the caller set the tcache itself or
 * SCREE_MALLOC_TUNED=0, and under sanitizers (their allocator is not glibc's); otherwise
 * executes /proc/self/exe and returns only if that failed (the environment as it was). */
void memtrim_reexec(char **argv);

/* Sets the allocator's thresholds (process-wide: call once, before the daemon allocates
 * much) and creates the timer. */
void memtrim_init(struct memtrim *m, struct loop *l);
void memtrim_done(struct memtrim *m);
/* Something was allocated or freed for good: trim within MEMTRIM_DELAY_MS. */
void memtrim_activity(struct memtrim *m);

#endif
