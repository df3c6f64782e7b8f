/* api_system.c - GET /v1/system-info, /v1/health and (until the checks manager lands)
 * GET /v1/checks (§10, §14, §21). */
#include "api.h"

#include <string.h>

void api_get_system_info(struct api_call *c)
{
	/* Prebuilt at startup (scree_build_sysinfo): this is the endpoint clients poll. */
	api_reply_raw(c, 200, "application/json", c->d->sysinfo.data, c->d->sysinfo.len);
}

static bool level_ok(struct api_call *c)
{
	const char *level = http_req_param(c->req, "level");

	if (level && *level && strcmp(level, "alive") != 0 && strcmp(level, "ready") != 0) {
		api_reply_error(c, 400, NULL, "level must be \"alive\" or \"ready\"");
		return false;
	}
	return true;
}

void api_get_health(struct api_call *c)
{
	if (!level_ok(c))
		return;
	/* No check runs yet, so nothing can be down (§14: inactive checks are ignored). */
	api_reply_sync(c, json_pack("{s:b}", "healthy", 1));
}

void api_get_checks(struct api_call *c)
{
	if (!level_ok(c))
		return;
	api_reply_sync(c, json_array());
}
