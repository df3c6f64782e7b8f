/* metrics.c - OpenMetrics text; see metrics.h. */
#include "metrics.h"

#include <inttypes.h>
#include <string.h>

#include "lib/gofmt.h"

static const char *const type_names[METRICS_TYPE_MAX] = {
	[METRICS_COUNTER] = "counter",
	[METRICS_GAUGE] = "gauge",
};

void metrics_write(struct buf *out, const char *name, enum metrics_type type, const char *help,
		   const struct metrics_label *labels, size_t n, int64_t value)
{
	if (help && *help)
		buf_addf(out, "# HELP %s %s\n", name, help);
	buf_addf(out, "# TYPE %s %s\n", name, type < METRICS_TYPE_MAX ? type_names[type] : "gauge");
	buf_adds(out, name);
	for (size_t i = 0; i < n; i++) {
		buf_addf(out, "%s%s=", i ? "," : "{", labels[i].key);
		gofmt_quote(out, labels[i].value, strlen(labels[i].value), GOFMT_QUOTE_GO);
	}
	if (n)
		buf_addc(out, '}');
	buf_addf(out, " %" PRId64 "\n\n", value);
}
