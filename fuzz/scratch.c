/* scratch.c - the one scratch folder of a fuzz target run; see fuzz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "lib/fsutil.h"

static char scratch[96];

static void scratch_remove(void)
{
	if (scratch[0])
		fs_rm_rf(scratch);
}

const char *fuzz_scratch_dir(void)
{
	if (!scratch[0]) {
		snprintf(scratch, sizeof(scratch), "/tmp/cairn-fuzz-XXXXXX");
		if (!mkdtemp(scratch))
			abort();
		atexit(scratch_remove);
	}
	return scratch;
}

const char *fuzz_scratch_put(const char *name, const void *p, size_t n)
{
	static char path[192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_scratch_dir(), name);
	if (!p) {
		unlink(path);
		return path;
	}
	f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		abort();
	return path;
}
