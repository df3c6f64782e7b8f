/* store.c - what the stores share; see store.h. */
#include "sdk/store.h"

#include <stdlib.h>

#include "lib/buf.h"

void store_free(struct store *s)
{
	if (s)
		s->ops->free(s);
}

static bool queue_has_id(json_t *queue, json_int_t id)
{
	size_t i;
	json_t *e;

	json_array_foreach(queue, i, e) {
		json_t *v = json_object_get(e, "id");

		if (json_is_integer(v) && json_integer_value(v) == id)
			return true;
	}
	return false;
}

bool store_queue_diff(json_t *loaded, json_t *queue, json_t **ret_drop, json_t **ret_new)
{
	json_t *drop = json_array(), *add = json_array(), *e;
	size_t i;
	bool changed;

	json_array_foreach(loaded, i, e)
		if (!queue_has_id(queue, json_integer_value(json_object_get(e, "id"))))
			json_array_append(drop, e);
	json_array_foreach(queue, i, e)
		if (!json_is_integer(json_object_get(e, "id")))
			json_array_append(add, e);
	changed = json_array_size(drop) || json_array_size(add);
	*ret_drop = drop;
	*ret_new = add;
	return changed;
}

char *store_event_handle(const char *event, long long id)
{
	return xasprintf(STORE_EVENT_PREFIX "%s[%lld]", event ? event : "event", id);
}
