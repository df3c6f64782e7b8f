/* settings.c - an application's config settings; see settings.h. */
#include "cairnd/settings.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strnum.h"

/* ---- Go %#v rendering (for error messages) ---- */

/* Decodes one UTF-8 sequence at s (n bytes left).  Returns its length and the code point in
 * *cp, or 0 for an invalid sequence (overlong, surrogate, truncated, out of range). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
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
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* An approximation of Go's unicode.IsPrint for non-ASCII code points: the C1 controls and
 * a few invisible format characters are escaped, everything else is kept. */
static int go_is_print_nonascii(uint32_t c)
{
	return !(c < 0xa0 || c == 0xad || c == 0x2028 || c == 0x2029 || c == 0xfeff ||
		 (c >= 0x200b && c <= 0x200f) || (c >= 0xfff9 && c <= 0xfffb));
}

/* strconv.Quote of the n bytes at s. */
static void go_quote(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	buf_addc(out, '"');
	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode(p + i, n - i, &c);

		if (len == 0) {
			buf_addf(out, "\\x%02x", p[i]);
			i++;
			continue;
		}
		i += len;
		switch (c) {
		case '"': buf_adds(out, "\\\""); continue;
		case '\\': buf_adds(out, "\\\\"); continue;
		case '\a': buf_adds(out, "\\a"); continue;
		case '\b': buf_adds(out, "\\b"); continue;
		case '\f': buf_adds(out, "\\f"); continue;
		case '\n': buf_adds(out, "\\n"); continue;
		case '\r': buf_adds(out, "\\r"); continue;
		case '\t': buf_adds(out, "\\t"); continue;
		case '\v': buf_adds(out, "\\v"); continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\x%02x", (unsigned)c);
		else if (c < 0x80 || go_is_print_nonascii(c))
			buf_add(out, p + i - len, len);
		else if (c < 0x10000)
			buf_addf(out, "\\u%04x", (unsigned)c);
		else
			buf_addf(out, "\\U%08x", (unsigned)c);
	}
	buf_addc(out, '"');
}

/* Go's %v of a float64: strconv's 'g' format with the shortest precision that reads back
 * exactly, using the exponent form when the decimal exponent is < -4 or >= 6 (fmt uses 6
 * as the threshold for the shortest precision): 1.5, 100000, 1e+06, 1.234567e+06. */
static void go_float(struct buf *out, double v)
{
	char tmp[64], digits[32];
	int prec, exp, nd = 0;
	char *e;

	if (isnan(v)) {
		buf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_adds(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		buf_adds(out, signbit(v) ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* tmp is "-d.ddde+XX": collect the digits and the exponent. */
	for (const char *q = tmp; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *q;
	digits[nd] = '\0';
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	e = strchr(tmp, 'e');
	exp = e ? atoi(e + 1) : 0;
	if (v < 0)
		buf_addc(out, '-');
	if (exp < -4 || exp >= 6) {
		buf_addc(out, digits[0]);
		if (nd > 1) {
			buf_addc(out, '.');
			buf_adds(out, digits + 1);
		}
		buf_addf(out, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp >= 0) {
		for (int i = 0; i <= exp; i++)
			buf_addc(out, i < nd ? digits[i] : '0');
		if (nd > exp + 1) {
			buf_addc(out, '.');
			buf_adds(out, digits + exp + 1);
		}
	} else {
		buf_adds(out, "0.");
		for (int i = 0; i < -exp - 1; i++)
			buf_addc(out, '0');
		buf_adds(out, digits);
	}
}

static void go_repr(struct buf *out, json_t *v, int depth)
{
	size_t i;
	const char *k;
	json_t *x;

	if (depth > 8) {
		buf_adds(out, "...");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		go_quote(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		go_float(out, json_real_value(v));
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
		buf_adds(out, "[]interface {}{");
		json_array_foreach(v, i, x) {
			if (i)
				buf_adds(out, ", ");
			go_repr(out, x, depth + 1);
		}
		buf_addc(out, '}');
		break;
	case JSON_OBJECT:
		buf_adds(out, "map[string]interface {}{");
		i = 0;
		json_object_foreach(v, k, x) {
			if (i++)
				buf_adds(out, ", ");
			go_quote(out, k, strlen(k));
			buf_addc(out, ':');
			go_repr(out, x, depth + 1);
		}
		buf_addc(out, '}');
		break;
	}
}

void settings_go_repr(json_t *v, char *out, size_t n)
{
	struct buf b = BUF_INIT;

	if (!n)
		return;
	buf_init(&b);
	if (v)
		go_repr(&b, v, 0);
	else
		buf_adds(&b, "<nil>");
	snprintf(out, n, "%s", buf_str(&b));
	buf_done(&b);
}

/* Fills eb with `option "name" expected <type>, got <%#v of v>`. */
static int type_error(struct errbuf *eb, const struct charm_option *o, json_t *v)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, "option ");
	go_quote(&b, o->name, strlen(o->name));
	buf_addf(&b, " expected %s, got ", charm_opt_type_name(o->type));
	go_repr(&b, v, 0);
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

static int type_error_str(struct errbuf *eb, const struct charm_option *o, const char *raw)
{
	json_t *s = json_stringn_nocheck(raw, strlen(raw));
	int r = type_error(eb, o, s);

	json_decref(s);
	return r;
}

/* Fills eb with `<what> "name"` using Go quoting for name. */
static int name_error(struct errbuf *eb, const char *what, const char *name)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, what);
	buf_addc(&b, ' ');
	go_quote(&b, name, strlen(name));
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

/* ---- parsing and coercion ---- */

int settings_parse_string(const struct charm_option *o, const char *raw, json_t **ret,
			  struct errbuf *eb)
{
	json_t *v = NULL;

	if (!raw[0]) {
		*ret = NULL;
		return 0;
	}
	switch (o->type) {
	case CHARM_OPT_STRING:
	case CHARM_OPT_SECRET:
		v = json_string(raw);
		if (!v) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "option ");
			go_quote(&b, o->name, strlen(o->name));
			buf_adds(&b, ": value is not valid UTF-8");
			errbuf_set(eb, "%s", buf_str(&b));
			buf_done(&b);
			return -EINVAL;
		}
		break;
	case CHARM_OPT_INT: {
		int64_t i;

		if (strnum_i64(raw, INT64_MIN, INT64_MAX, &i) < 0)
			return type_error_str(eb, o, raw);
		v = json_integer(i);
		break;
	}
	case CHARM_OPT_FLOAT: {
		double d;

		/* Go's ParseFloat takes no surrounding blanks; infinities and NaN cannot be
		 * stored in JSON, so they are refused too. */
		if (isspace((unsigned char)raw[0]) || strnum_f64(raw, &d) < 0 || !isfinite(d))
			return type_error_str(eb, o, raw);
		v = json_real(d);
		break;
	}
	case CHARM_OPT_BOOLEAN: {
		bool b;

		if (strnum_bool(raw, &b) < 0)
			return type_error_str(eb, o, raw);
		v = json_boolean(b);
		break;
	}
	default:
		return type_error_str(eb, o, raw);
	}
	*ret = v;
	return 0;
}

int settings_coerce(const struct charm_option *o, json_t *v, json_t **ret,
		    struct errbuf *eb)
{
	if (!v || json_is_null(v)) {
		*ret = NULL;
		return 0;
	}
	if (json_is_string(v))
		return settings_parse_string(o, json_string_value(v), ret, eb);
	switch (o->type) {
	case CHARM_OPT_INT:
		if (json_is_integer(v)) {
			*ret = json_incref(v);
			return 0;
		}
		if (json_is_real(v)) {
			double d = json_real_value(v);

			/* 2^63 is exactly representable; anything at or above it is not an int64. */
			if (isfinite(d) && d == floor(d) && d >= -9223372036854775808.0 &&
			    d < 9223372036854775808.0) {
				*ret = json_integer((json_int_t)d);
				return 0;
			}
		}
		break;
	case CHARM_OPT_FLOAT:
		if (json_is_real(v)) {
			*ret = json_incref(v);
			return 0;
		}
		if (json_is_integer(v)) {
			*ret = json_real((double)json_integer_value(v));
			return 0;
		}
		break;
	case CHARM_OPT_BOOLEAN:
		if (json_is_boolean(v)) {
			*ret = json_incref(v);
			return 0;
		}
		break;
	default:
		break;
	}
	return type_error(eb, o, v);
}

/* ---- applying config sources ---- */

static int apply_set(const struct charm *c, json_t *out, json_t *set, struct errbuf *eb)
{
	const char *k;
	json_t *raw;

	if (!json_is_object(set))
	{
		errbuf_set(eb, "invalid config source: \"set\" must be an object");
		return -EINVAL;
	}
	json_object_foreach(set, k, raw) {
		const struct charm_option *o = charm_find_option(c, k);
		json_t *v = NULL;
		int r;

		if (!o)
			return name_error(eb, "unknown option", k);
		if (!json_is_string(raw))
			return name_error(eb, "invalid config source: value is not a string for option", k);
		r = settings_parse_string(o, json_string_value(raw), &v, eb);
		if (r < 0)
			return r;
		if (v)
			json_object_set_new(out, k, v);
		else
			json_object_del(out, k);
	}
	return 0;
}

static int apply_file(const struct charm *c, const char *app, json_t *out, json_t *src,
		      struct errbuf *eb)
{
	json_t *file = json_object_get(src, "file"), *settings, *val;
	const char *k;

	settings = json_is_object(file) ? json_object_get(file, app) : NULL;
	if (!settings)
		return name_error(eb, "no settings found for", app);
	if (json_is_null(settings))
		return 0;
	if (!json_is_object(settings))
		return name_error(eb, "invalid settings: expected a map of options for", app);
	json_object_foreach(settings, k, val) {
		const struct charm_option *o = charm_find_option(c, k);
		json_t *v = NULL;
		int r;

		if (!o)
			return name_error(eb, "unknown option", k);
		r = settings_coerce(o, val, &v, eb);
		if (r < 0)
			return r;
		if (v)
			json_object_set_new(out, k, v);
		else
			json_object_del(out, k);
	}
	return 0;
}

static int apply_reset(const struct charm *c, json_t *out, json_t *keys, struct errbuf *eb)
{
	size_t i;
	json_t *k;

	if (!json_is_array(keys))
	{
		errbuf_set(eb, "invalid config source: \"reset\" must be a list");
		return -EINVAL;
	}
	json_array_foreach(keys, i, k) {
		if (!json_is_string(k)) {
			errbuf_set(eb, "invalid config source: \"reset\" entries must be strings");
			return -EINVAL;
		}
		if (!charm_find_option(c, json_string_value(k)))
			return name_error(eb, "unknown option", json_string_value(k));
		json_object_del(out, json_string_value(k));
	}
	return 0;
}

int settings_apply(const struct charm *c, const char *app, json_t *user, json_t *sources,
		   json_t **ret_user, struct errbuf *eb)
{
	json_t *out, *src;
	size_t i;
	int r = 0;

	out = json_is_object(user) ? json_deep_copy(user) : json_object();
	if (sources && !json_is_null(sources) && !json_is_array(sources)) {
		errbuf_set(eb, "invalid config sources: expected a list");
		r = -EINVAL;
		goto out;
	}
	json_array_foreach(sources, i, src) {
		if (!json_is_object(src)) {
			errbuf_set(eb, "invalid config source %zu: expected an object", i + 1);
			r = -EINVAL;
		} else if (json_object_get(src, "set")) {
			r = apply_set(c, out, json_object_get(src, "set"), eb);
		} else if (json_object_get(src, "file")) {
			r = apply_file(c, app, out, src, eb);
		} else if (json_object_get(src, "reset")) {
			r = apply_reset(c, out, json_object_get(src, "reset"), eb);
		} else {
			errbuf_set(eb, "invalid config source %zu: expected \"set\", \"file\" or \"reset\"",
				   i + 1);
			r = -EINVAL;
		}
		if (r < 0)
			goto out;
	}
	*ret_user = out;
	out = NULL;
out:
	json_decref(out);
	return r;
}

/* ---- derived views ---- */

json_t *settings_effective(const struct charm *c, json_t *user)
{
	json_t *out = json_object();

	for (size_t i = 0; i < c->n_options; i++) {
		const struct charm_option *o = &c->options[i];
		json_t *v = json_is_object(user) ? json_object_get(user, o->name) : NULL;

		if (v && !json_is_null(v))
			json_object_set(out, o->name, v);
		else if (o->def && !json_is_null(o->def))
			json_object_set(out, o->name, o->def);
	}
	return out;
}

void settings_hash(json_t *effective, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *text = json_dumps(effective, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);

	if (!text)
		text = xstrdup("null");
	if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		/* Cannot happen with a working libcrypto; keep out well-formed regardless. */
		memset(md, 0, sizeof(md));
		mdlen = 32;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	free(text);
}

static int option_cmp(const void *a, const void *b)
{
	const struct charm_option *x = *(const struct charm_option *const *)a;
	const struct charm_option *y = *(const struct charm_option *const *)b;

	return strcmp(x->name, y->name);
}

json_t *settings_describe(const struct charm *c, json_t *user)
{
	const struct charm_option **sorted;
	json_t *out = json_object();

	sorted = xcalloc(c->n_options ? c->n_options : 1, sizeof(*sorted));
	for (size_t i = 0; i < c->n_options; i++)
		sorted[i] = &c->options[i];
	qsort(sorted, c->n_options, sizeof(*sorted), option_cmp);
	for (size_t i = 0; i < c->n_options; i++) {
		const struct charm_option *o = sorted[i];
		json_t *uv = json_is_object(user) ? json_object_get(user, o->name) : NULL;
		bool has_def = o->def && !json_is_null(o->def);
		json_t *d = json_object();

		if (uv && json_is_null(uv))
			uv = NULL;
		if (has_def)
			json_object_set(d, "default", o->def);
		if (o->description && o->description[0])
			json_object_set_new(d, "description", json_string(o->description));
		json_object_set_new(d, "source",
				    json_string(uv ? "user" : has_def ? "default" : "unset"));
		json_object_set_new(d, "type", json_string(charm_opt_type_name(o->type)));
		if (uv)
			json_object_set(d, "value", uv);
		else if (has_def)
			json_object_set(d, "value", o->def);
		json_object_set_new(out, o->name, d);
	}
	free(sorted);
	return out;
}

json_t *settings_rebase(const struct charm *new_charm, json_t *user)
{
	json_t *out = json_object(), *v;
	const char *k;

	if (!json_is_object(user))
		return out;
	json_object_foreach(user, k, v) {
		const struct charm_option *o = charm_find_option(new_charm, k);
		struct errbuf eb;
		json_t *nv = NULL;

		if (!o || settings_coerce(o, v, &nv, &eb) < 0 || !nv)
			continue;
		json_object_set_new(out, k, nv);
	}
	return out;
}
