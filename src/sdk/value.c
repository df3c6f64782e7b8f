/* value.c - typed values (cairn/charm.h "Values") on top of jansson; see value.h. */
#include "sdk/value.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"

static const char *const kind_names[_CAIRN_VALUE_MAX] = {
	[CAIRN_VALUE_NULL] = "null",   [CAIRN_VALUE_BOOL] = "bool",     [CAIRN_VALUE_INT] = "int",
	[CAIRN_VALUE_DOUBLE] = "double", [CAIRN_VALUE_STRING] = "string", [CAIRN_VALUE_LIST] = "list",
	[CAIRN_VALUE_MAP] = "map",
};

struct cairn_value *cairn_value_null(void)
{
	return value_of(json_null());
}

struct cairn_value *cairn_value_bool(bool b)
{
	return value_of(json_boolean(b));
}

struct cairn_value *cairn_value_int(int64_t i)
{
	return value_of(json_integer((json_int_t)i));
}

struct cairn_value *cairn_value_double(double d)
{
	if (!isfinite(d))
		return NULL;
	return value_of(json_real(d));
}

struct cairn_value *cairn_value_string(const char *s)
{
	return s ? value_of(json_string(s)) : NULL;
}

struct cairn_value *cairn_value_list(void)
{
	return value_of(json_array());
}

struct cairn_value *cairn_value_map(void)
{
	return value_of(json_object());
}

struct cairn_value *cairn_value_copy(const struct cairn_value *v)
{
	return v ? value_of(json_deep_copy(value_json(v))) : NULL;
}

void cairn_value_free(struct cairn_value *v)
{
	json_decref(value_json(v));
}

enum cairn_value_kind cairn_value_kind(const struct cairn_value *v)
{
	if (!v)
		return CAIRN_VALUE_NULL;
	switch (json_typeof(value_json(v))) {
	case JSON_TRUE:
	case JSON_FALSE:
		return CAIRN_VALUE_BOOL;
	case JSON_INTEGER:
		return CAIRN_VALUE_INT;
	case JSON_REAL:
		return CAIRN_VALUE_DOUBLE;
	case JSON_STRING:
		return CAIRN_VALUE_STRING;
	case JSON_ARRAY:
		return CAIRN_VALUE_LIST;
	case JSON_OBJECT:
		return CAIRN_VALUE_MAP;
	default:
		return CAIRN_VALUE_NULL;
	}
}

/* json_typeof() of NULL is undefined in jansson: guard it. */
const char *value_json_kind_name(const json_t *j)
{
	return j ? cairn_value_kind_name(cairn_value_kind(value_of((json_t *)j))) : "null";
}

const char *cairn_value_kind_name(enum cairn_value_kind kind)
{
	if ((unsigned)kind >= _CAIRN_VALUE_MAX)
		return "unknown";
	return kind_names[kind];
}

bool cairn_value_equal(const struct cairn_value *a, const struct cairn_value *b)
{
	if (!a || !b)
		return a == b;
	return json_equal(value_json(a), value_json(b));
}

int cairn_value_get_bool(const struct cairn_value *v, bool *ret)
{
	if (!v || !json_is_boolean(value_json(v)))
		return -EDOM;
	*ret = json_is_true(value_json(v));
	return 0;
}

int cairn_value_get_int(const struct cairn_value *v, int64_t *ret)
{
	if (!v || !json_is_integer(value_json(v)))
		return -EDOM;
	*ret = (int64_t)json_integer_value(value_json(v));
	return 0;
}

int cairn_value_get_double(const struct cairn_value *v, double *ret)
{
	if (!v || !json_is_number(value_json(v)))
		return -EDOM;
	*ret = json_number_value(value_json(v));
	return 0;
}

int cairn_value_get_string(const struct cairn_value *v, const char **ret)
{
	if (!v || !json_is_string(value_json(v)))
		return -EDOM;
	*ret = json_string_value(value_json(v));
	return 0;
}

size_t cairn_value_size(const struct cairn_value *v)
{
	json_t *j = value_json(v);

	if (json_is_array(j))
		return json_array_size(j);
	if (json_is_object(j))
		return json_object_size(j);
	return 0;
}

struct cairn_value *cairn_list_at(const struct cairn_value *list, size_t i)
{
	return value_of(json_array_get(value_json(list), i));
}

int cairn_list_append(struct cairn_value *list, struct cairn_value *item)
{
	if (!json_is_array(value_json(list)) || !item) {
		json_decref(value_json(item));
		return -EINVAL;
	}
	return json_array_append_new(value_json(list), value_json(item)) < 0 ? -EINVAL : 0;
}

struct cairn_value *cairn_map_get(const struct cairn_value *map, const char *key)
{
	if (!key)
		return NULL;
	return value_of(json_object_get(value_json(map), key));
}

struct cairn_value *cairn_map_get_path(const struct cairn_value *map, const char *path)
{
	const json_t *cur = value_json(map);
	const char *p = path;

	if (!path)
		return NULL;
	for (;;) {
		size_t n = strcspn(p, ".");

		if (!json_is_object(cur) || !(cur = json_object_getn(cur, p, n)))
			return NULL;
		if (!p[n])
			return value_of((json_t *)cur);
		p += n + 1;
	}
}

int cairn_map_set(struct cairn_value *map, const char *key, struct cairn_value *val)
{
	if (!json_is_object(value_json(map)) || !key || !val) {
		json_decref(value_json(val));
		return -EINVAL;
	}
	/* json_object_set_new steals val even when it fails (invalid UTF-8 key). */
	return json_object_set_new(value_json(map), key, value_json(val)) < 0 ? -EINVAL : 0;
}

int cairn_map_set_default(struct cairn_value *map, const char *key, struct cairn_value *val)
{
	int r;

	if (json_is_object(value_json(map)) && key && json_object_get(value_json(map), key)) {
		json_decref(value_json(val));
		return 0;
	}
	r = cairn_map_set(map, key, val);
	return r < 0 ? r : 1;
}

int cairn_map_delete(struct cairn_value *map, const char *key)
{
	if (!json_is_object(value_json(map)) || !key)
		return -EINVAL;
	return json_object_del(value_json(map), key) < 0 ? -ENOENT : 0;
}

const char *cairn_map_next(const struct cairn_value *map, void **iter, struct cairn_value **ret_val)
{
	json_t *j = value_json(map);
	void *it;

	if (!json_is_object(j) || !iter)
		return NULL;
	it = *iter ? json_object_iter_next(j, *iter) : json_object_iter(j);
	*iter = it;
	if (!it)
		return NULL;
	if (ret_val)
		*ret_val = value_of(json_object_iter_value(it));
	return json_object_iter_key(it);
}

/* Whether j can be read as kind (a double read accepts an int). */
static bool kind_ok(const json_t *j, enum cairn_value_kind kind)
{
	enum cairn_value_kind have = cairn_value_kind(value_of((json_t *)j));

	return have == kind || (kind == CAIRN_VALUE_DOUBLE && have == CAIRN_VALUE_INT);
}

int value_typed(const json_t *v, const char *name, enum cairn_value_kind kind, json_t **ret_j,
		struct cairn_error *err)
{
	if (!v || json_is_null(v))
		return 0;
	if (!kind_ok(v, kind))
		return sdk_err(err, CAIRN_ERR_TYPE, "\"%s\" is a %s, not a %s", name, value_json_kind_name(v),
			       cairn_value_kind_name(kind));
	*ret_j = (json_t *)v;
	return 1;
}

/* Looks key up for a typed read, as value_typed(); negative for a non-map. */
static int typed_lookup(const struct cairn_value *map, const char *key, enum cairn_value_kind kind, json_t **ret_j,
			struct cairn_error *err)
{
	if (!json_is_object(value_json(map)) || !key)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot read \"%s\": not a map", key ? key : "");
	return value_typed(json_object_get(value_json(map), key), key, kind, ret_j, err);
}

int cairn_map_string(const struct cairn_value *map, const char *key, const char *def, const char **ret,
		     struct cairn_error *err)
{
	json_t *v = NULL;
	int r = typed_lookup(map, key, CAIRN_VALUE_STRING, &v, err);

	if (r >= 0)
		*ret = r ? json_string_value(v) : def;
	return r < 0 ? r : 0;
}

int cairn_map_int(const struct cairn_value *map, const char *key, int64_t def, int64_t *ret,
		  struct cairn_error *err)
{
	json_t *v = NULL;
	int r = typed_lookup(map, key, CAIRN_VALUE_INT, &v, err);

	if (r >= 0)
		*ret = r ? (int64_t)json_integer_value(v) : def;
	return r < 0 ? r : 0;
}

int cairn_map_double(const struct cairn_value *map, const char *key, double def, double *ret,
		     struct cairn_error *err)
{
	json_t *v = NULL;
	int r = typed_lookup(map, key, CAIRN_VALUE_DOUBLE, &v, err);

	if (r >= 0)
		*ret = r ? json_number_value(v) : def;
	return r < 0 ? r : 0;
}

int cairn_map_bool(const struct cairn_value *map, const char *key, bool def, bool *ret,
		   struct cairn_error *err)
{
	json_t *v = NULL;
	int r = typed_lookup(map, key, CAIRN_VALUE_BOOL, &v, err);

	if (r >= 0)
		*ret = r ? json_is_true(v) : def;
	return r < 0 ? r : 0;
}

int cairn_map_set_string(struct cairn_value *map, const char *key, const char *s)
{
	struct cairn_value *v = cairn_value_string(s);

	return v ? cairn_map_set(map, key, v) : -EINVAL;
}

int cairn_map_set_int(struct cairn_value *map, const char *key, int64_t i)
{
	return cairn_map_set(map, key, cairn_value_int(i));
}

int cairn_map_set_double(struct cairn_value *map, const char *key, double d)
{
	struct cairn_value *v = cairn_value_double(d);

	return v ? cairn_map_set(map, key, v) : -EINVAL;
}

int cairn_map_set_bool(struct cairn_value *map, const char *key, bool b)
{
	return cairn_map_set(map, key, cairn_value_bool(b));
}

char *cairn_value_to_json(const struct cairn_value *v)
{
	if (!v)
		return strdup("null");
	return json_dumps(value_json(v), JSON_COMPACT | JSON_ENCODE_ANY);
}

int cairn_value_from_json(const char *text, struct cairn_value **ret, struct cairn_error *err)
{
	json_error_t je;
	json_t *j;

	if (!text)
		return sdk_err(err, CAIRN_ERR_INVALID, "no JSON text");
	j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j)
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid JSON at line %d, column %d: %s", je.line,
			       je.column, je.text);
	*ret = value_of(j);
	return 0;
}
