/* tools_fmt.c - Juju-compatible --format output for the hook tools; see tools_fmt.h. */
#include "agent/tools_fmt.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_args.h"
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

/* Decodes one UTF-8 sequence at p; returns its length and the code point in *cp, or 0 when
 * the byte at p does not start a valid sequence. */
static size_t utf8_decode(const unsigned char *p, unsigned *cp)
{
	unsigned c = p[0];
	size_t n;
	unsigned v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

char *tfmt_utf8_clean(const char *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	buf_init(&b);
	while (*p) {
		unsigned cp;
		size_t n = utf8_decode(p, &cp);

		if (!n) {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		buf_add(&b, p, n);
		p += n;
	}
	return buf_detach(&b);
}

static void json_string_go(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	buf_addc(out, '"');
	while (p < end) {
		unsigned cp;
		size_t n;

		switch (*p) {
		case '"': buf_adds(out, "\\\""); p++; continue;
		case '\\': buf_adds(out, "\\\\"); p++; continue;
		case '\n': buf_adds(out, "\\n"); p++; continue;
		case '\r': buf_adds(out, "\\r"); p++; continue;
		case '\t': buf_adds(out, "\\t"); p++; continue;
		case '\b': buf_adds(out, "\\b"); p++; continue;
		case '\f': buf_adds(out, "\\f"); p++; continue;
		default: break;
		}
		if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
			buf_adds(out, "\\u00");
			buf_addc(out, hex[*p >> 4]);
			buf_addc(out, hex[*p & 15]);
			p++;
			continue;
		}
		/* jansson keeps a NUL after every string, which stops a truncated sequence. */
		n = utf8_decode(p, &cp);
		if (!n) {
			buf_adds(out, "\\ufffd");
			p++;
			continue;
		}
		if (cp == 0x2028 || cp == 0x2029) {
			buf_addf(out, "\\u%04x", cp);
		} else {
			buf_add(out, p, n);
		}
		p += n;
	}
	buf_addc(out, '"');
}

/* The shortest decimal digits that read back as d (what strconv's precision -1 finds), and
 * the decimal exponent of the first digit.  d must be finite and non-zero. */
static int shortest_digits(double d, char digits[32], int *ret_exp10)
{
	char tmp[64];
	int prec, nd = 0;
	char *e;

	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	*ret_exp10 = atoi(e + 1);
	for (const char *p = tmp; p < e; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	return nd;
}

/* Go's fmtE with the shortest digits; min2 pads the exponent to two digits ("e+06"). */
static void emit_exp(struct buf *out, const char *digits, int nd, int exp10, bool min2)
{
	buf_addc(out, digits[0]);
	if (nd > 1) {
		buf_addc(out, '.');
		buf_adds(out, digits + 1);
	}
	buf_addf(out, min2 ? "e%c%02d" : "e%c%d", exp10 < 0 ? '-' : '+', abs(exp10));
}

static void emit_fixed(struct buf *out, const char *digits, int nd, int exp10)
{
	if (exp10 >= nd - 1) {
		buf_adds(out, digits);
		for (int i = 0; i < exp10 - (nd - 1); i++)
			buf_addc(out, '0');
	} else if (exp10 >= 0) {
		buf_add(out, digits, (size_t)exp10 + 1);
		buf_addc(out, '.');
		buf_adds(out, digits + exp10 + 1);
	} else {
		buf_adds(out, "0.");
		for (int i = 0; i < -exp10 - 1; i++)
			buf_addc(out, '0');
		buf_adds(out, digits);
	}
}

void tfmt_go_float(struct buf *out, double d)
{
	char digits[32];
	double a = fabs(d);
	int nd, exp10;

	if (!isfinite(d)) {
		/* Go refuses to encode these; a config value can never hold one. */
		buf_adds(out, "null");
		return;
	}
	if (d == 0) {
		buf_adds(out, signbit(d) ? "-0" : "0");
		return;
	}
	nd = shortest_digits(d, digits, &exp10);
	if (d < 0)
		buf_addc(out, '-');
	/* encoding/json: 'f' format, or 'e' outside [1e-6, 1e21) with "e-07" cut to "e-7". */
	if (a < 1e-6 || a >= 1e21)
		emit_exp(out, digits, nd, exp10, false);
	else
		emit_fixed(out, digits, nd, exp10);
}

/* strconv.FormatFloat(d, 'g', -1, 64), which yaml.v2 uses: exponent form when the
 * exponent is < -4 or >= 6 ("1e+06", "1.5e-05"), else fixed ("100", "0.001"). */
static void go_float_g(struct buf *out, double d)
{
	char digits[32];
	int nd, exp10;

	if (d == 0) {
		buf_adds(out, signbit(d) ? "-0" : "0");
		return;
	}
	nd = shortest_digits(d, digits, &exp10);
	if (d < 0)
		buf_addc(out, '-');
	if (exp10 < -4 || exp10 >= 6)
		emit_exp(out, digits, nd, exp10, true);
	else
		emit_fixed(out, digits, nd, exp10);
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
			json_string_go(out, keys[i], strlen(keys[i]));
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
		json_string_go(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		tfmt_go_float(out, json_real_value(v));
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
			go_float_g(out, d);
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
