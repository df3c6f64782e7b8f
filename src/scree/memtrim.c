/* memtrim.c - giving freed heap memory back; see memtrim.h. */
#include "memtrim.h"

#include <malloc.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"

#define TUNED_ENV "SCREE_MALLOC_TUNED"        /* 1: re-executed by us; 0: do not */
#define SAVED_ENV "SCREE_SAVED_GLIBC_TUNABLES" /* the caller's GLIBC_TUNABLES, if any */
#define COMM_ENV "SCREE_SAVED_COMM"            /* the process name before the re-execution */
#define TCACHE_OFF "glibc.malloc.tcache_count=0"

#if defined(__SANITIZE_ADDRESS__)
#define MEMTRIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMTRIM_SANITIZED 1
#endif
#endif

static void restore_env(void)
{
	const char *saved = getenv(SAVED_ENV), *comm = getenv(COMM_ENV);

	if (saved)
		setenv("GLIBC_TUNABLES", saved, 1);
	else
		unsetenv("GLIBC_TUNABLES");
	/* Executed as /proc/self/exe, the process is named "exe": it gets its name back (ps,
	 * pgrep and supervisors that look for "pebble" see what they started). */
	if (comm && *comm)
		prctl(PR_SET_NAME, comm, 0, 0, 0);
	unsetenv(SAVED_ENV);
	unsetenv(COMM_ENV);
}

void memtrim_reexec(char **argv)
{
	const char *tuned = getenv(TUNED_ENV), *cur = getenv("GLIBC_TUNABLES");
	char *want, comm[17] = "";

	if (tuned) {
		if (strcmp(tuned, "1") == 0)
			restore_env(); /* the re-executed daemon */
		unsetenv(TUNED_ENV);
		return;
	}
#ifdef MEMTRIM_SANITIZED
	(void)cur;
	(void)want;
	(void)comm;
	(void)argv;
	return;
#else
	if (cur && strstr(cur, "glibc.malloc.tcache"))
		return; /* the caller chose */
	if (cur)
		setenv(SAVED_ENV, cur, 1);
	want = cur && *cur ? xasprintf("%s:%s", cur, TCACHE_OFF) : xstrdup(TCACHE_OFF);
	setenv("GLIBC_TUNABLES", want, 1);
	free(want);
	setenv(TUNED_ENV, "1", 1);
	if (prctl(PR_GET_NAME, comm, 0, 0, 0) == 0)
		setenv(COMM_ENV, comm, 1);
	execv("/proc/self/exe", argv);
	/* No /proc, or no exec: go on with glibc's defaults. */
	restore_env();
	unsetenv(TUNED_ENV);
#endif
}

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
