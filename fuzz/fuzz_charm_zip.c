/* fuzz_charm_zip.c - unpacking a `.charm` zip archive (charm_unzip_limited): whatever the
 * archive holds (../ entries, absolute paths, symlinks, device nodes, huge sizes), nothing
 * may be written outside the destination folder. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charm/charm.h"
#include "fuzz.h"
#include "lib/fsutil.h"

static const char *top;

/* The only entries allowed in top: the archive file and the destination folder. */
static void check_top(void)
{
	DIR *d = opendir(top);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "in.charm") && strcmp(e->d_name, "out")) {
			fprintf(stderr, "fuzz_charm_zip: %s/%s written outside the charm\n", top,
				e->d_name);
			abort();
		}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char zip[96], out[96];
	struct errbuf eb;
	FILE *f;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!top)
		top = fuzz_scratch_dir();
	snprintf(zip, sizeof(zip), "%s/in.charm", top);
	snprintf(out, sizeof(out), "%s/out", top);
	f = fopen(zip, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size))
		abort();
	fclose(f);
	charm_unzip_limited(zip, out, 64, 1u << 20, &eb);
	check_top();
	fs_rm_rf(out);
	return 0;
}
