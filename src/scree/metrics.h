/* metrics.h - the OpenMetrics text that GET /v1/metrics serves (upstream
 * internals/metrics): one block per metric,
 *     # HELP <name> <help>
 *     # TYPE <name> counter|gauge
 *     <name>{<key>="<value>",...} <integer>
 * followed by an empty line.  Label values are quoted as Go's %q quotes them.  Each manager
 * writes its own metrics (servmgr_write_metrics; the checks manager adds pebble_check_*). */
#ifndef SCREE_METRICS_H
#define SCREE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_TYPE_MAX,
};

struct metrics_label {
	const char *key;
	const char *value;
};

/* Appends one metric with n labels (n may be 0) to out.  help may be NULL (no HELP line). */
void metrics_write(struct buf *out, const char *name, enum metrics_type type, const char *help,
		   const struct metrics_label *labels, size_t n, int64_t value);

#endif
