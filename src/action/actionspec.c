/* actionspec.c - actions.yaml specs and parameter validation; see actionspec.h. */
#include "action/actionspec.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/gofmt.h"

/* ---- names ---- */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool actionspec_valid_name(const char *s)
{
	size_t n;

	if (!s || !*s || !is_lower_alnum(s[0]))
		return false;
	n = strlen(s);
	if (!is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* ---- parsing actions.yaml ---- */

static int cmp_spec(const void *a, const void *b)
{
	return strcmp(((const struct action_spec *)a)->name, ((const struct action_spec *)b)->name);
}

void actionspec_free(struct action_specs *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].description);
		free(s->v[i].execution_group);
		json_decref(s->v[i].schema);
	}
	free(s->v);
	free(s);
}

/* Refuses "$ref" and "$schema" anywhere in v (Juju's cleanse). */
static int cleanse(json_t *v, int depth, struct errbuf *eb)
{
	const char *k;
	json_t *e;
	size_t i;

	if (depth > ACTIONSPEC_MAX_DEPTH) {
		errbuf_set(eb, "schema nested too deeply");
		return -EINVAL;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, e) {
			if (!strcmp(k, "$ref") || !strcmp(k, "$schema")) {
				errbuf_set(eb, "schema key \"%s\" not compatible with this version of juju", k);
				return -EINVAL;
			}
			if (cleanse(e, depth + 1, eb) < 0)
				return -EINVAL;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (cleanse(e, depth + 1, eb) < 0)
				return -EINVAL;
	}
	return 0;
}

static const char *const type_names[] = { "array", "boolean", "integer", "number",
					   "null",  "object",  "string" };

static bool known_type(const char *t)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(t, type_names[i]))
			return true;
	return false;
}

/* The checks gojsonschema's NewSchema makes that a charm can get wrong. */
static int check_schema(json_t *s, int depth, struct errbuf *eb)
{
	json_t *t, *v, *e;
	const char *k;
	size_t i;

	if (depth > ACTIONSPEC_MAX_DEPTH) {
		errbuf_set(eb, "schema nested too deeply");
		return -EINVAL;
	}
	if (!json_is_object(s)) {
		errbuf_set(eb, "Invalid type. Expected: object, given: %s",
			   json_is_array(s) ? "array" : json_is_string(s) ? "string" : "primitive");
		return -EINVAL;
	}
	t = json_object_get(s, "type");
	if (t) {
		if (json_is_string(t)) {
			if (!known_type(json_string_value(t))) {
				errbuf_set(eb, "type \"%s\" is not a valid type", json_string_value(t));
				return -EINVAL;
			}
		} else if (json_is_array(t)) {
			json_array_foreach(t, i, e)
				if (!json_is_string(e) || !known_type(json_string_value(e))) {
					errbuf_set(eb, "type must contain only valid type names");
					return -EINVAL;
				}
		} else {
			errbuf_set(eb, "type must be a string or an array of strings");
			return -EINVAL;
		}
	}
	static const char *const numeric[] = { "minimum", "maximum", "multipleOf" };
	for (i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
		v = json_object_get(s, numeric[i]);
		if (v && !json_is_number(v)) {
			errbuf_set(eb, "%s must be a number", numeric[i]);
			return -EINVAL;
		}
	}
	static const char *const counts[] = { "minLength", "maxLength", "minItems", "maxItems",
					      "minProperties", "maxProperties" };
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		v = json_object_get(s, counts[i]);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
			errbuf_set(eb, "%s must be a non-negative integer", counts[i]);
			return -EINVAL;
		}
	}
	v = json_object_get(s, "pattern");
	if (v) {
		regex_t re;

		if (!json_is_string(v) || regcomp(&re, json_string_value(v), REG_EXTENDED | REG_NOSUB)) {
			errbuf_set(eb, "pattern must be a valid regular expression");
			return -EINVAL;
		}
		regfree(&re);
	}
	v = json_object_get(s, "enum");
	if (v && (!json_is_array(v) || !json_array_size(v))) {
		errbuf_set(eb, "enum must be an array with at least one element");
		return -EINVAL;
	}
	v = json_object_get(s, "required");
	if (v) {
		if (!json_is_array(v)) {
			errbuf_set(eb, "required must be an array of strings");
			return -EINVAL;
		}
		json_array_foreach(v, i, e)
			if (!json_is_string(e)) {
				errbuf_set(eb, "required must be an array of strings");
				return -EINVAL;
			}
	}
	v = json_object_get(s, "properties");
	if (v) {
		if (!json_is_object(v)) {
			errbuf_set(eb, "properties must be an object");
			return -EINVAL;
		}
		json_object_foreach(v, k, e) {
			if (check_schema(e, depth + 1, eb) < 0) {
				errbuf_wrap(eb, "property \"%s\"", k);
				return -EINVAL;
			}
		}
	}
	v = json_object_get(s, "additionalProperties");
	if (v && !json_is_boolean(v) && check_schema(v, depth + 1, eb) < 0)
		return -EINVAL;
	v = json_object_get(s, "items");
	if (v) {
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
				if (check_schema(e, depth + 1, eb) < 0)
					return -EINVAL;
		} else if (check_schema(v, depth + 1, eb) < 0) {
			return -EINVAL;
		}
	}
	return 0;
}

/* Builds one action's schema as ReadActionsYaml does. */
static int parse_one(const char *name, json_t *entry, struct action_spec *ret, struct errbuf *eb)
{
	json_t *schema = json_pack("{s:s, s:s, s:s, s:{}, s:b}", "description", "No description",
				   "type", "object", "title", name, "properties",
				   "additionalProperties", 0);
	const char *desc = "No description", *group = "", *k;
	bool parallel = false;
	json_t *v;

	if (entry && !json_is_null(entry) && !json_is_object(entry)) {
		errbuf_set(eb, "action \"%s\": expected a map", name);
		goto fail;
	}
	json_object_foreach(entry, k, v) {
		if (!strcmp(k, "description") || !strcmp(k, "title")) {
			if (!json_is_string(v)) {
				errbuf_set(eb, "value for schema key \"%s\" must be a string", k);
				goto fail;
			}
			json_object_set(schema, k, v);
			if (!strcmp(k, "description"))
				desc = json_string_value(v);
		} else if (!strcmp(k, "required")) {
			if (!json_is_array(v)) {
				errbuf_set(eb, "value for schema key \"%s\" must be a YAML list", k);
				goto fail;
			}
			json_object_set(schema, k, v);
		} else if (!strcmp(k, "parallel")) {
			if (!json_is_boolean(v)) {
				errbuf_set(eb, "value for schema key \"%s\" must be a bool", k);
				goto fail;
			}
			parallel = json_is_true(v);
		} else if (!strcmp(k, "execution-group")) {
			if (!json_is_string(v)) {
				errbuf_set(eb, "value for schema key \"%s\" must be a string", k);
				goto fail;
			}
			group = json_string_value(v);
		} else if (!strcmp(k, "params")) {
			if (cleanse(v, 0, eb) < 0)
				goto fail;
			if (json_is_null(v))
				continue;
			if (!json_is_object(v)) {
				errbuf_set(eb, "params failed to parse as a map");
				goto fail;
			}
			json_object_set_new(schema, "properties", json_deep_copy(v));
		} else {
			if (cleanse(v, 0, eb) < 0)
				goto fail;
			json_object_set_new(schema, k, json_deep_copy(v));
		}
	}
	if (check_schema(schema, 0, eb) < 0) {
		errbuf_wrap(eb, "invalid params schema for action schema %s", name);
		goto fail;
	}
	ret->name = xstrdup(name);
	ret->description = xstrdup(desc);
	ret->parallel = parallel;
	ret->execution_group = xstrdup(group);
	ret->schema = schema;
	return 0;
fail:
	json_decref(schema);
	return -EINVAL;
}

int actionspec_parse(json_t *actions_yaml, struct action_specs **ret, struct errbuf *eb)
{
	struct action_specs *s = xcalloc(1, sizeof(*s));
	const char *name;
	json_t *v;

	if (actions_yaml && !json_is_null(actions_yaml)) {
		if (!json_is_object(actions_yaml)) {
			errbuf_set(eb, "actions.yaml: expected a map at the top level");
			goto fail;
		}
		if (json_object_size(actions_yaml) > ACTIONSPEC_MAX_ACTIONS) {
			errbuf_set(eb, "actions.yaml: more than %d actions", ACTIONSPEC_MAX_ACTIONS);
			goto fail;
		}
		s->v = xcalloc(json_object_size(actions_yaml) + 1, sizeof(*s->v));
		json_object_foreach(actions_yaml, name, v) {
			if (!actionspec_valid_name(name)) {
				errbuf_set(eb, "bad action name %s", name);
				goto fail;
			}
			if (!strncmp(name, "juju-", 5)) {
				errbuf_set(eb, "cannot use action name %s: juju- prefix is reserved", name);
				goto fail;
			}
			if (parse_one(name, v, &s->v[s->n], eb) < 0)
				goto fail;
			s->n++;
		}
		qsort(s->v, s->n, sizeof(*s->v), cmp_spec);
	}
	*ret = s;
	return 0;
fail:
	actionspec_free(s);
	return -EINVAL;
}

const struct action_spec *actionspec_find(const struct action_specs *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->n; i++)
		if (!strcmp(s->v[i].name, name))
			return &s->v[i];
	return NULL;
}

/* ---- validation ---- */

struct vctx {
	struct buf msg;  /* "; "-joined messages */
	int count;
};

/* Adds "<context> : <description>, given <json value>" (the juju/gojsonschema String()). */
static void verr(struct vctx *vc, const char *context, json_t *value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void verr(struct vctx *vc, const char *context, json_t *value, const char *fmt, ...)
{
	va_list ap;

	if (vc->count++)
		buf_adds(&vc->msg, "; ");
	buf_addf(&vc->msg, "%s : ", context);
	va_start(ap, fmt);
	buf_vaddf(&vc->msg, fmt, ap);
	va_end(ap);
	buf_adds(&vc->msg, ", given ");
	gofmt_json(&vc->msg, value);
}

static bool is_integral(json_t *v)
{
	if (json_is_integer(v))
		return true;
	if (json_is_real(v)) {
		double d = json_real_value(v);

		return isfinite(d) && d == floor(d);
	}
	return false;
}

static bool type_matches(const char *t, json_t *v)
{
	if (!strcmp(t, "string"))
		return json_is_string(v);
	if (!strcmp(t, "integer"))
		return is_integral(v);
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(v);
	if (!strcmp(t, "array"))
		return json_is_array(v);
	if (!strcmp(t, "object"))
		return json_is_object(v);
	if (!strcmp(t, "null"))
		return json_is_null(v);
	return false;
}

static double num(json_t *v)
{
	return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* Go's %v of a schema number ("0", "9", "2.5"). */
static void fmt_num(struct buf *b, json_t *v)
{
	if (json_is_integer(v))
		buf_addf(b, "%lld", (long long)json_integer_value(v));
	else
		gofmt_float(b, json_real_value(v), GOFMT_FLOAT_G);
}

/* Two JSON values equal as JSON schema compares them (1 and 1.0 are equal). */
static bool json_same(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return num(a) == num(b);
	return json_equal(a, b);
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void validate(struct vctx *vc, json_t *s, json_t *v, const char *context, int depth);

static void validate_object(struct vctx *vc, json_t *s, json_t *v, const char *context, int depth)
{
	json_t *props = json_object_get(s, "properties"), *req = json_object_get(s, "required");
	json_t *addl = json_object_get(s, "additionalProperties"), *e, *lim;
	const char **keys;
	const char *k;
	size_t i, n = 0;

	lim = json_object_get(s, "minProperties");
	if (lim && (json_int_t)json_object_size(v) < json_integer_value(lim))
		verr(vc, context, v, "must have at least %lld properties",
		     (long long)json_integer_value(lim));
	lim = json_object_get(s, "maxProperties");
	if (lim && (json_int_t)json_object_size(v) > json_integer_value(lim))
		verr(vc, context, v, "must have at the most %lld properties",
		     (long long)json_integer_value(lim));
	json_array_foreach(req, i, e)
		if (json_is_string(e) && !json_object_get(v, json_string_value(e)))
			verr(vc, context, v, "\"%s\" property is missing and required",
			     json_string_value(e));
	/* Properties in sorted order, so that messages come out the same every time. */
	keys = xcalloc(json_object_size(v) + 1, sizeof(*keys));
	json_object_foreach(v, k, e)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		if (json_object_get(props, keys[i]))
			continue;
		if (json_is_false(addl))
			verr(vc, context, v, "additional property \"%s\" is not allowed", keys[i]);
	}
	for (i = 0; i < n; i++) {
		json_t *ps = json_object_get(props, keys[i]);
		char *sub = xasprintf("%s.%s", context, keys[i]);

		if (ps)
			validate(vc, ps, json_object_get(v, keys[i]), sub, depth + 1);
		else if (json_is_object(addl))
			validate(vc, addl, json_object_get(v, keys[i]), sub, depth + 1);
		free(sub);
	}
	free(keys);
}

static void validate_array(struct vctx *vc, json_t *s, json_t *v, const char *context, int depth)
{
	json_t *items = json_object_get(s, "items"), *lim, *e;
	size_t i, n = json_array_size(v);

	lim = json_object_get(s, "minItems");
	if (lim && (json_int_t)n < json_integer_value(lim))
		verr(vc, context, v, "array must have at least %lld items",
		     (long long)json_integer_value(lim));
	lim = json_object_get(s, "maxItems");
	if (lim && (json_int_t)n > json_integer_value(lim))
		verr(vc, context, v, "array must have at the most %lld items",
		     (long long)json_integer_value(lim));
	if (json_is_true(json_object_get(s, "uniqueItems"))) {
		for (i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (json_same(json_array_get(v, i), json_array_get(v, j))) {
					verr(vc, context, v, "array items must be unique");
					i = j = n;
				}
	}
	json_array_foreach(v, i, e) {
		json_t *is = json_is_array(items) ? json_array_get(items, i) : items;
		char *sub;

		if (!json_is_object(is))
			continue;
		sub = xasprintf("%s.%zu", context, i);
		validate(vc, is, e, sub, depth + 1);
		free(sub);
	}
}

static void validate(struct vctx *vc, json_t *s, json_t *v, const char *context, int depth)
{
	json_t *t = json_object_get(s, "type"), *lim, *e;
	size_t i;

	if (depth > ACTIONSPEC_MAX_DEPTH) {
		verr(vc, context, v, "nested too deeply");
		return;
	}
	if (json_is_string(t) && !type_matches(json_string_value(t), v)) {
		verr(vc, context, v, "must be of type %s", json_string_value(t));
		return;
	}
	if (json_is_array(t)) {
		bool ok = false;
		struct buf names = BUF_INIT;

		buf_init(&names);
		json_array_foreach(t, i, e) {
			ok |= type_matches(json_string_value(e), v);
			buf_addf(&names, "%s%s", i ? "," : "", json_string_value(e));
		}
		if (!ok)
			verr(vc, context, v, "must be of type %s", buf_str(&names));
		buf_done(&names);
		if (!ok)
			return;
	}
	lim = json_object_get(s, "enum");
	if (json_is_array(lim)) {
		bool ok = false;

		json_array_foreach(lim, i, e)
			ok |= json_same(e, v);
		if (!ok) {
			struct buf all = BUF_INIT;

			buf_init(&all);
			json_array_foreach(lim, i, e) {
				if (i)
					buf_addc(&all, ',');
				gofmt_json(&all, e);
			}
			verr(vc, context, v, "must match one of the enum values [%s]", buf_str(&all));
			buf_done(&all);
		}
	}
	if (json_is_number(v)) {
		struct buf b = BUF_INIT;
		bool excl;

		buf_init(&b);
		lim = json_object_get(s, "minimum");
		excl = json_is_true(json_object_get(s, "exclusiveMinimum"));
		if (json_is_number(lim) && (excl ? num(v) <= num(lim) : num(v) < num(lim))) {
			fmt_num(&b, lim);
			verr(vc, context, v, "must be greater than %s%s", excl ? "" : "or equal to ",
			     buf_str(&b));
		}
		buf_reset(&b);
		lim = json_object_get(s, "maximum");
		excl = json_is_true(json_object_get(s, "exclusiveMaximum"));
		if (json_is_number(lim) && (excl ? num(v) >= num(lim) : num(v) > num(lim))) {
			fmt_num(&b, lim);
			verr(vc, context, v, "must be lower than %s%s", excl ? "" : "or equal to ",
			     buf_str(&b));
		}
		buf_reset(&b);
		lim = json_object_get(s, "multipleOf");
		if (json_is_number(lim) && num(lim) > 0) {
			double q = num(v) / num(lim);

			if (q != floor(q)) {
				fmt_num(&b, lim);
				verr(vc, context, v, "must be a multiple of %s", buf_str(&b));
			}
		}
		buf_done(&b);
	}
	if (json_is_string(v)) {
		size_t n = utf8_len(json_string_value(v));

		lim = json_object_get(s, "minLength");
		if (lim && (json_int_t)n < json_integer_value(lim))
			verr(vc, context, v, "string length must be greater or equal to %lld",
			     (long long)json_integer_value(lim));
		lim = json_object_get(s, "maxLength");
		if (lim && (json_int_t)n > json_integer_value(lim))
			verr(vc, context, v, "string length must be lower or equal to %lld",
			     (long long)json_integer_value(lim));
		lim = json_object_get(s, "pattern");
		if (json_is_string(lim)) {
			regex_t re;

			if (regcomp(&re, json_string_value(lim), REG_EXTENDED | REG_NOSUB) == 0) {
				if (regexec(&re, json_string_value(v), 0, NULL, 0) != 0)
					verr(vc, context, v, "does not match pattern '%s'",
					     json_string_value(lim));
				regfree(&re);
			}
		}
	}
	if (json_is_object(v))
		validate_object(vc, s, v, context, depth);
	if (json_is_array(v))
		validate_array(vc, s, v, context, depth);
}

int actionspec_validate(const struct action_spec *a, json_t *params, struct errbuf *eb)
{
	struct vctx vc = { BUF_INIT, 0 };
	json_t *p = params ? json_incref(params) : json_object();
	int r = 0;

	buf_init(&vc.msg);
	validate(&vc, a->schema, p, "(root)", 0);
	if (vc.count) {
		errbuf_set(eb, "validation failed: %s", buf_str(&vc.msg));
		r = -EINVAL;
	}
	buf_done(&vc.msg);
	json_decref(p);
	return r;
}

/* ---- defaults ---- */

static void insert_defaults(json_t *s, json_t *target, int depth)
{
	json_t *props = json_object_get(s, "properties"), *ps;
	const char *k;

	if (depth > ACTIONSPEC_MAX_DEPTH)
		return;
	json_object_foreach(props, k, ps) {
		json_t *have = json_object_get(target, k), *def = json_object_get(ps, "default");

		if (!have && def)
			json_object_set_new(target, k, json_deep_copy(def));
		else if (json_is_object(have) && json_object_get(ps, "properties"))
			insert_defaults(ps, have, depth + 1);
	}
}

json_t *actionspec_with_defaults(const struct action_spec *a, json_t *params)
{
	json_t *out = json_is_object(params) ? json_deep_copy(params) : json_object();

	insert_defaults(a->schema, out, 0);
	return out;
}
