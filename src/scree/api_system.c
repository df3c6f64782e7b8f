/* api_system.c - GET /v1/system-info (§21). */
#include "api.h"

#include <string.h>

void api_get_system_info(struct api_call *c)
{
	/* Prebuilt at startup (scree_build_sysinfo): this is the endpoint clients poll. */
	api_reply_raw(c, 200, "application/json", c->d->sysinfo.data, c->d->sysinfo.len);
}
