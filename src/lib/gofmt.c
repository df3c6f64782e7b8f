/* gofmt.c - Go-compatible formatting of values; see gofmt.h. */
#include "gofmt.h"
#include "yamljson.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t gofmt_utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t c, min;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*ret_cp = c;
	return len;
}

/* ======================= quoting ======================= */

/* The backslash escape style gives an ASCII character a name for, or NULL. */
static const char *named_escape(uint32_t c, enum gofmt_quote style)
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: break;
	}
	if (style == GOFMT_QUOTE_YAML)
		return NULL;
	switch (c) {
	case '\a': return "\\a";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\v': return "\\v";
	default: return NULL;
	}
}

/* Whether a non-ASCII code point c is kept as is by style (see enum gofmt_quote). */
static bool is_print_nonascii(uint32_t c, enum gofmt_quote style)
{
	if (style == GOFMT_QUOTE_GO_C1)
		return c >= 0xa0;
	return !(c < 0xa0 || c == 0xad || c == 0x2028 || c == 0x2029 || c == 0xfeff ||
		 (c >= 0x200b && c <= 0x200f) || (c >= 0xfff9 && c <= 0xfffb));
}

void gofmt_quote(struct buf *out, const char *s, size_t n, enum gofmt_quote style)
{
	const unsigned char *p = (const unsigned char *)s;
	bool bytewise = style == GOFMT_QUOTE_GO_BYTES || style == GOFMT_QUOTE_YAML;
	size_t i = 0;

	buf_addc(out, '"');
	while (i < n) {
		uint32_t c = p[i];
		size_t len = 1;

		if (!bytewise) {
			len = gofmt_utf8_decode(p + i, n - i, &c);
			if (len == 0) {
				buf_addf(out, "\\x%02x", p[i]);
				i++;
				continue;
			}
		}
		if (c < 0x80) {
			const char *esc = named_escape(c, style);

			if (esc)
				buf_adds(out, esc);
			else if (c < 0x20 || c == 0x7f)
				buf_addf(out, "\\x%02x", (unsigned)c);
			else
				buf_addc(out, (char)c);
		} else if (bytewise || is_print_nonascii(c, style)) {
			buf_add(out, p + i, len);
		} else if (c < 0x10000) {
			buf_addf(out, "\\u%04x", (unsigned)c);
		} else {
			buf_addf(out, "\\U%08x", (unsigned)c);
		}
		i += len;
	}
	buf_addc(out, '"');
}

static void go_json_string(struct buf *out, const char *s, size_t n, bool escape_html)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	buf_addc(out, '"');
	while (i < n) {
		unsigned char b = p[i];
		uint32_t c;
		size_t len;

		switch (b) {
		case '"': buf_adds(out, "\\\""); i++; continue;
		case '\\': buf_adds(out, "\\\\"); i++; continue;
		case '\n': buf_adds(out, "\\n"); i++; continue;
		case '\r': buf_adds(out, "\\r"); i++; continue;
		case '\t': buf_adds(out, "\\t"); i++; continue;
		case '\b': buf_adds(out, "\\b"); i++; continue;
		case '\f': buf_adds(out, "\\f"); i++; continue;
		default: break;
		}
		if (b < 0x20 || (escape_html && (b == '<' || b == '>' || b == '&'))) {
			buf_adds(out, "\\u00");
			buf_addc(out, hex[b >> 4]);
			buf_addc(out, hex[b & 15]);
			i++;
			continue;
		}
		len = gofmt_utf8_decode(p + i, n - i, &c);
		if (len == 0) {
			buf_adds(out, "\\ufffd");
			i++;
			continue;
		}
		if (c == 0x2028 || c == 0x2029)
			buf_addf(out, "\\u%04x", (unsigned)c);
		else
			buf_add(out, p + i, len);
		i += len;
	}
	buf_addc(out, '"');
}

void gofmt_json_string(struct buf *out, const char *s, size_t n)
{
	go_json_string(out, s, n, true);
}

void gofmt_json_string_nohtml(struct buf *out, const char *s, size_t n)
{
	go_json_string(out, s, n, false);
}

/* ======================= floats ======================= */

/* The shortest decimal digits that read back as d (what strconv's precision -1 finds),
 * without trailing zeros, and the decimal exponent of the first digit.  d must be finite
 * and non-zero.  Returns the number of digits. */
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
	for (const char *q = tmp; q < e; q++)
		if (*q >= '0' && *q <= '9')
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	return nd;
}

/* strconv's %e with the shortest digits; min2 pads the exponent to two digits ("e+06"). */
static void emit_exp(struct buf *out, const char *digits, int nd, int exp10, bool min2)
{
	buf_addc(out, digits[0]);
	if (nd > 1) {
		buf_addc(out, '.');
		buf_adds(out, digits + 1);
	}
	buf_addf(out, min2 ? "e%c%02d" : "e%c%d", exp10 < 0 ? '-' : '+', abs(exp10));
}

/* strconv's %f with the shortest digits. */
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

void gofmt_float(struct buf *out, double d, enum gofmt_float style)
{
	char digits[32];
	int nd, exp10;

	if (!isfinite(d)) {
		if (style == GOFMT_FLOAT_JSON)
			buf_adds(out, "null");
		else if (isnan(d))
			buf_adds(out, "NaN");
		else
			buf_adds(out, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (d == 0) {
		buf_adds(out, signbit(d) ? "-0" : "0");
		return;
	}
	nd = shortest_digits(d, digits, &exp10);
	if (style == GOFMT_FLOAT_G21 && exp10 >= nd - 1 && exp10 < 21) {
		/* See GOFMT_FLOAT_G21: the exact value, not the shortest digits. */
		buf_addf(out, "%.0f", d);
		return;
	}
	if (d < 0)
		buf_addc(out, '-');
	switch (style) {
	case GOFMT_FLOAT_JSON:
		if (fabs(d) < 1e-6 || fabs(d) >= 1e21)
			emit_exp(out, digits, nd, exp10, false);
		else
			emit_fixed(out, digits, nd, exp10);
		break;
	case GOFMT_FLOAT_G21:
		if (exp10 < -4 || exp10 >= 21)
			emit_exp(out, digits, nd, exp10, true);
		else
			emit_fixed(out, digits, nd, exp10);
		break;
	default:
		if (exp10 < -4 || exp10 >= 6)
			emit_exp(out, digits, nd, exp10, true);
		else
			emit_fixed(out, digits, nd, exp10);
		break;
	}
}

/* ======================= values ======================= */

/* %#v (sharp) or the CLI's %v of v; the two differ only in strings, reals and containers. */
static void render(struct buf *out, json_t *v, bool sharp, int depth)
{
	size_t i;
	const char *k;
	json_t *x;
	char *s;

	if (depth > GOFMT_REPR_MAX_DEPTH) {
		buf_adds(out, "...");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (sharp)
			gofmt_quote(out, json_string_value(v), json_string_length(v), GOFMT_QUOTE_GO);
		else
			buf_add(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		gofmt_float(out, json_real_value(v), sharp ? GOFMT_FLOAT_G : GOFMT_FLOAT_G21);
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	case JSON_NULL:
		buf_adds(out, "<nil>");
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (!sharp) {
			s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			buf_adds(out, s ? s : "");
			free(s);
		} else if (json_is_array(v)) {
			buf_adds(out, "[]interface {}{");
			json_array_foreach(v, i, x) {
				if (i)
					buf_adds(out, ", ");
				render(out, x, true, depth + 1);
			}
			buf_addc(out, '}');
		} else {
			buf_adds(out, "map[string]interface {}{");
			i = 0;
			json_object_foreach(v, k, x) {
				if (i++)
					buf_adds(out, ", ");
				gofmt_quote(out, k, strlen(k), GOFMT_QUOTE_GO);
				buf_addc(out, ':');
				render(out, x, true, depth + 1);
			}
			buf_addc(out, '}');
		}
		break;
	}
}

void gofmt_repr(struct buf *out, json_t *v)
{
	if (v)
		render(out, v, true, 0);
	else
		buf_adds(out, "<nil>");
}

void gofmt_value(struct buf *out, json_t *v)
{
	render(out, v, false, 0);
}

const char *gofmt_strerror(int err, char *out, size_t n)
{
	const char *d = strerrordesc_np(err);

	if (!n)
		return out;
	if (d)
		snprintf(out, n, "%s", d);
	else
		snprintf(out, n, "errno %d", err);
	out[0] = (char)tolower((unsigned char)out[0]);
	return out;
}

const char *gofmt_rfc3339_local(time_t secs, char *out, size_t n)
{
	struct tm tm;
	char base[64];
	long off;

	localtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(out, n, "%sZ", base);
	else
		snprintf(out, n, "%s%c%02ld:%02ld", base, off < 0 ? '-' : '+', (labs(off) / 3600) % 100,
			 (labs(off) % 3600) / 60);
	return out;
}
static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj sorted bytewise (Go sorts map keys); caller frees the array. */
static const char **gofmt_sorted_keys(json_t *obj, size_t *ret_n)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_key);
	*ret_n = n;
	return keys;
}

void gofmt_json(struct buf *out, json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = xcalloc(n + 1, sizeof(*keys));
		const char *k;
		json_t *e;

		json_object_foreach(v, k, e)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_key);
		buf_addc(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				buf_addc(out, ',');
			gofmt_json_string(out, keys[i], strlen(keys[i]));
			buf_addc(out, ':');
			gofmt_json(out, json_object_get(v, keys[i]));
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
			gofmt_json(out, e);
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
json_t *gofmt_sorted_copy(json_t *v)
{
	if (json_is_object(v)) {
		size_t n;
		const char **keys = gofmt_sorted_keys(v, &n);
		json_t *o = json_object();

		for (size_t i = 0; i < n; i++)
			json_object_set_new(o, keys[i], gofmt_sorted_copy(json_object_get(v, keys[i])));
		free(keys);
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array(), *e;
		size_t i;

		json_array_foreach(v, i, e)
			json_array_append_new(a, gofmt_sorted_copy(e));
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

void gofmt_yaml(struct buf *out, json_t *v)
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
	s = gofmt_sorted_copy(v);
	json_to_yaml(out, s, 2);
	json_decref(s);
	/* FormatYaml: trailing newlines trimmed, then exactly one added. */
	while (out->len > start && out->data[out->len - 1] == '\n')
		out->len--;
	out->data[out->len] = '\0';
	if (out->len > start)
		buf_addc(out, '\n');
}

