/* value.h - struct cairn_value is a jansson json_t.
 *
 * The public header keeps the type opaque so that charms do not depend on jansson; inside the
 * SDK a value is a json_t, and these two casts are the only place that says so.  Ownership
 * follows jansson's reference counts: "taking" a value steals its reference. */
#ifndef CAIRN_SDK_VALUE_H
#define CAIRN_SDK_VALUE_H

#include <jansson.h>

#include "cairn/charm.h"

static inline json_t *value_json(const struct cairn_value *v)
{
	return (json_t *)v;
}

static inline struct cairn_value *value_of(json_t *j)
{
	return (struct cairn_value *)j;
}

/* The public kind name of j's type ("string", "int", "map", ...). */
const char *value_json_kind_name(const json_t *j);

/* A typed read of v (a map's value, or NULL when absent) named name in messages: 1 with
 * *ret_j (borrowed) when v has kind (a double read accepts an int), 0 when v is NULL or
 * null, -EDOM (CAIRN_ERR_TYPE, "\"name\" is a string, not a int") for another kind. */
int value_typed(const json_t *v, const char *name, enum cairn_value_kind kind, json_t **ret_j,
		struct cairn_error *err);

#endif
