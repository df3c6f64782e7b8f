/* api_services.c - GET/POST /v1/services and /v1/services/{name} (§12). */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

void api_get_services(struct api_call *c)
{
	const char *names[API_MAX_LIST];
	size_t n = api_param_list(c, "names", names, API_MAX_LIST);

	api_reply_sync(c, servmgr_services_json(&c->d->sm, (char *const *)names, n));
}

void api_service_not_implemented(struct api_call *c)
{
	api_reply_error(c, 400, NULL, "not implemented");
}

void api_post_services(struct api_call *c)
{
	static const char prefix[] = "cannot decode data from request body";
	json_t *body = api_decode_body(c, prefix), *action, *services, *v;
	char **names = NULL;
	size_t n = 0, i;
	struct change *chg = NULL;
	enum servmgr_refusal ref = SERVMGR_BAD_REQUEST;
	struct errbuf eb;

	if (!body)
		return;
	errbuf_clear(&eb);
	action = json_object_get(body, "action");
	services = json_object_get(body, "services");
	if (action && !json_is_string(action) && !json_is_null(action)) {
		api_reply_error(c, 400, NULL, "%s: field \"action\" must be a string", prefix);
		goto out;
	}
	if (services && !json_is_array(services) && !json_is_null(services)) {
		api_reply_error(c, 400, NULL, "%s: field \"services\" must be a list of strings", prefix);
		goto out;
	}
	json_array_foreach(services, i, v) {
		if (!json_is_string(v)) {
			api_reply_error(c, 400, NULL, "%s: field \"services\" must be a list of strings", prefix);
			goto out;
		}
		names = xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = (char *)json_string_value(v);
	}
	if (servmgr_action(&c->d->sm, action ? json_string_value(action) ? json_string_value(action) : "" : "",
			   names, n, &chg, &ref, &eb) < 0) {
		api_reply_error(c, 400, ref == SERVMGR_NO_DEFAULT_SERVICES ? "no-default-services" : NULL, "%s",
				eb.msg);
		goto out;
	}
	/* replan also starts the enabled checks that are not running (§12). */
	if (strcmp(json_string_value(action) ? json_string_value(action) : "", "replan") == 0)
		checks_replan(&c->d->checks);
	api_reply_async(c, chg->c_id);
out:
	free(names);
	json_decref(body);
}
