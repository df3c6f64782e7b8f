/* tools_fmt.c - Juju-compatible --format output for the hook tools; see tools_fmt.h. */
#include "agent/tools_fmt.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_args.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

int tfmt_parse(const char *name, enum tfmt *ret, struct errbuf *eb)
{
	static const struct {
		const char *name;
		enum tfmt fmt;
	} names[] = { { "smart", TFMT_SMART }, { "json", TFMT_JSON }, { "yaml", TFMT_YAML } };
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i].name)) {
			*ret = names[i].fmt;
			return 0;
		}
	}
	buf_init(&b);
	buf_adds(&b, "invalid value ");
	targ_quote(&b, name);
	buf_adds(&b, " for option --format: unknown format ");
	targ_quote(&b, name);
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

char *tfmt_utf8_clean(const char *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	buf_init(&b);
	while (left) {
		uint32_t cp;
		size_t n = gofmt_utf8_decode(p, left, &cp);

		if (!n) {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
			left--;
			continue;
		}
		buf_add(&b, p, n);
		p += n;
		left -= n;
	}
	return buf_detach(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns the keys of obj sorted bytewise (Go sorts map keys); caller frees the array. */
static const char **sorted_keys(json_t *obj, size_t *ret_n)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	*ret_n = n;
	return keys;
}

void tfmt_json(struct buf *out, json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: {
		size_t n;
		const char **keys = sorted_keys(v, &n);

		buf_addc(out, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addc(out, ',');
			gofmt_json_string(out, keys[i], strlen(keys[i]));
			buf_addc(out, ':');
			tfmt_json(out, json_object_get(v, keys[i]));
		}
		buf_addc(out, '}');
		free(keys);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *e;

		buf_addc(out, '[');
		json_array_foreach(v, i, e) {
			if (i)
				buf_addc(out, ',');
			tfmt_json(out, e);
		}
		buf_addc(out, ']');
		break;
	}
	case JSON_STRING:
		gofmt_json_string(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		gofmt_float(out, json_real_value(v), GOFMT_FLOAT_JSON);
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	case JSON_NULL:
		buf_adds(out, "null");
		break;
	}
}

/* A deep copy of v whose objects iterate in sorted key order (yaml.v2 sorts map keys). */
static json_t *sorted_copy(json_t *v)
{
	if (json_is_object(v)) {
		size_t n;
		const char **keys = sorted_keys(v, &n);
		json_t *o = json_object();

		for (size_t i = 0; i < n; i++)
			json_object_set_new(o, keys[i], sorted_copy(json_object_get(v, keys[i])));
		free(keys);
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array(), *e;
		size_t i;

		json_array_foreach(v, i, e)
			json_array_append_new(a, sorted_copy(e));
		return a;
	}
	if (json_is_real(v)) {
		/* yaml.v2 writes an integral float below 1e6 as an integer ("3", not "3.0"). */
		double d = json_real_value(v);

		if (isfinite(d) && d == floor(d) && fabs(d) < 1e6)
			return json_integer((json_int_t)d);
	}
	return json_incref(v);
}

static void write_yaml(struct buf *out, json_t *v)
{
	json_t *s;
	size_t start = out->len;

	if (!v || json_is_null(v))
		return;
	if (json_is_real(v)) {
		/* yaml.v2 formats floats with strconv 'g' -1: "1.5", "3", "1e+21". */
		double d = json_real_value(v);

		if (isnan(d))
			buf_adds(out, ".NaN\n");
		else if (isinf(d))
			buf_adds(out, d > 0 ? ".Inf\n" : "-.Inf\n");
		else {
			gofmt_float(out, d, GOFMT_FLOAT_G);
			buf_addc(out, '\n');
		}
		return;
	}
	s = sorted_copy(v);
	json_to_yaml(out, s, 2);
	json_decref(s);
	/* FormatYaml: trailing newlines trimmed, then exactly one added. */
	while (out->len > start && out->data[out->len - 1] == '\n')
		out->len--;
	out->data[out->len] = '\0';
	if (out->len > start)
		buf_addc(out, '\n');
}

static bool is_string_list(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return false;
	return true;
}

void tfmt_write(struct buf *out, enum tfmt fmt, json_t *v)
{
	if (v && json_is_null(v))
		v = NULL;
	switch (fmt) {
	case TFMT_JSON:
		tfmt_json(out, v);
		buf_addc(out, '\n');
		return;
	case TFMT_YAML:
		write_yaml(out, v);
		return;
	case TFMT_SMART:
		break;
	}
	if (!v)
		return;
	if (json_is_string(v)) {
		if (json_string_length(v)) {
			buf_add(out, json_string_value(v), json_string_length(v));
			buf_addc(out, '\n');
		}
		return;
	}
	if (json_is_boolean(v)) {
		buf_adds(out, json_is_true(v) ? "True\n" : "False\n");
		return;
	}
	if (is_string_list(v)) {
		size_t i, start = out->len;
		json_t *e;

		json_array_foreach(v, i, e) {
			if (i)
				buf_addc(out, '\n');
			buf_add(out, json_string_value(e), json_string_length(e));
		}
		if (out->len > start)
			buf_addc(out, '\n');
		return;
	}
	write_yaml(out, v);
}
