/* api_signals.c - POST /v1/signals (§18). */
#include "api.h"

#include <stdlib.h>

void api_post_signals(struct api_call *c)
{
	json_t *body = api_decode_body(c, "cannot decode request body"), *svcs, *v;
	const char *sig;
	char **names = NULL;
	size_t n = 0, i;
	struct errbuf eb;

	if (!body)
		return;
	errbuf_clear(&eb);
	sig = json_string_value(json_object_get(body, "signal"));
	svcs = json_object_get(body, "services");
	json_array_foreach(svcs, i, v) {
		if (!json_is_string(v)) {
			api_reply_error(c, 400, NULL, "cannot decode request body: field \"services\" must be a list of strings");
			goto out;
		}
		names = xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = (char *)json_string_value(v);
	}
	if (n == 0) {
		api_reply_error(c, 400, NULL, "must specify one or more services");
		goto out;
	}
	if (servmgr_signal(&c->d->sm, sig ? sig : "", names, n, &eb) < 0) {
		api_reply_error(c, 500, NULL, "%s", eb.msg);
		goto out;
	}
	api_reply_sync(c, json_true());
out:
	free(names);
	json_decref(body);
}
