/* fuzz_charm.c - a charm's metadata.yaml, config.yaml and actions.yaml as the controller
 * loads them (charm_load_dir), then its config options through the settings code (the
 * effective config and `cairn config APP` description).
 *
 * Input: the three files separated by a line "---8<---"; missing ones are absent. */
#include <stdlib.h>
#include <string.h>

#include "charm/charm.h"
#include "charm/settings.h"
#include "fuzz.h"

static const char sep[] = "---8<---\n";
static const char *dir;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "metadata.yaml", "config.yaml", "actions.yaml" };
	const char *p = (const char *)data, *end = p + size;
	struct charm *c = NULL;
	struct errbuf eb;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!dir)
		dir = fuzz_scratch_dir();
	for (size_t i = 0; i < 3; i++) {
		const char *cut = p ? memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1) : NULL;

		if (!p) {
			fuzz_scratch_put(names[i], NULL, 0);
			continue;
		}
		fuzz_scratch_put(names[i], p, cut ? (size_t)(cut - p) : (size_t)(end - p));
		p = cut ? cut + sizeof(sep) - 1 : NULL;
	}
	if (charm_load_dir(dir, &c, &eb) == 0) {
		json_t *eff = settings_effective(c, NULL), *desc = settings_describe(c, NULL);
		char hash[65];

		settings_hash(eff, hash);
		json_decref(eff);
		json_decref(desc);
		charm_free(c);
	}
	return 0;
}
