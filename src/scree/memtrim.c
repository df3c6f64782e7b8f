/* memtrim.c - giving freed heap memory back; see memtrim.h. */
#include "memtrim.h"

#include <malloc.h>
#include <string.h>

static void trim_cb(struct loop_timer *t, void *data)
{
	struct memtrim *m = data;

	(void)t;
	malloc_trim(0);
	m->mt_trims++;
}

void memtrim_init(struct memtrim *m, struct loop *l)
{
	memset(m, 0, sizeof(*m));
	/* Setting them at all also switches off glibc's dynamic adjustment. */
	mallopt(M_MMAP_THRESHOLD, (int)MEMTRIM_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, (int)MEMTRIM_TRIM_THRESHOLD);
	m->mt_timer = loop_timer_new(l, trim_cb, m);
}

void memtrim_done(struct memtrim *m)
{
	loop_timer_free(m->mt_timer);
	m->mt_timer = NULL;
}

void memtrim_activity(struct memtrim *m)
{
	if (m->mt_timer && !loop_timer_armed(m->mt_timer))
		loop_timer_arm_in(m->mt_timer, MEMTRIM_DELAY_MS);
}
