/* api_metrics.c - GET /v1/metrics (§10): OpenMetrics text for metrics and admin callers. */
#include "api.h"

#include "metrics.h"

void api_get_metrics(struct api_call *c)
{
	struct buf out = BUF_INIT;

	buf_init(&out);
	/* Services first, then checks, as upstream writes them.  The checks manager appends
	 * pebble_check_up / pebble_check_success_count / pebble_check_failure_count here. */
	servmgr_write_metrics(&c->d->sm, &out);
	api_reply_raw(c, 200, "text/plain; charset=utf-8", out.data, out.len);
	buf_done(&out);
}
