/* fuzz_layer.c - a layer's YAML (plan_layer_parse) and everything a parsed layer goes
 * through in the daemon: combining it onto a plan (POST /v1/layers, with and without
 * combine), folding it with the on-disk layers and rendering the plan (GET /v1/plan). */
#include <stdlib.h>

#include "fuzz.h"
#include "lib/buf.h"
#include "scree/plan.h"

static const char base_yaml[] =
	"services:\n"
	"  web:\n"
	"    override: replace\n"
	"    command: /bin/web --port 80 [ --debug ]\n"
	"    requires: [db]\n"
	"    after: [db]\n"
	"  db:\n"
	"    override: replace\n"
	"    command: /bin/db\n"
	"checks:\n"
	"  up:\n"
	"    override: replace\n"
	"    http: {url: 'http://localhost/'}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_layer *base = NULL, *layer = NULL;
	struct plan *p0 = NULL, *p1 = NULL, *p2 = NULL, *folded = NULL;
	struct errbuf eb;
	struct buf out = BUF_INIT;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	buf_init(&out);
	if (plan_layer_parse("base", 1000, base_yaml, sizeof(base_yaml) - 1, &base, &eb) < 0)
		abort();
	if (plan_layer_parse("fuzz", 2000, (const char *)data, size, &layer, &eb) < 0)
		goto out;
	if (plan_from_layers(&base, 1, &p0, &eb) < 0)
		abort();
	struct plan_add_opts append = { .combine = false }, combine = { .combine = true };

	if (plan_add_layer(p0, layer, &append, &p1, &eb) == 0) {
		plan_render_yaml(p1, &out);
		if (plan_add_layer(p1, layer, &combine, &p2, &eb) == 0)
			plan_render_yaml(p2, &out);
	}
	struct plan_layer *both[2] = { base, layer };

	if (plan_from_layers(both, 2, &folded, &eb) == 0)
		plan_render_yaml(folded, &out);
out:
	plan_free(p0);
	plan_free(p1);
	plan_free(p2);
	plan_free(folded);
	plan_layer_free(base);
	plan_layer_free(layer);
	buf_done(&out);
	return 0;
}
