/* settings.c - an application's config settings; see settings.h. */
#include "charm/settings.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/strnum.h"

void settings_go_repr(json_t *v, char *out, size_t n)
{
	struct buf b = BUF_INIT;

	if (!n)
		return;
	buf_init(&b);
	gofmt_repr(&b, v);
	snprintf(out, n, "%s", buf_str(&b));
	buf_done(&b);
}

/* Fills eb with `option "name" expected <type>, got <%#v of v>`. */
static int type_error(struct errbuf *eb, const struct charm_option *o, json_t *v)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, "option ");
	gofmt_quote(&b, o->name, strlen(o->name), GOFMT_QUOTE_GO);
	buf_addf(&b, " expected %s, got ", charm_opt_type_name(o->type));
	gofmt_repr(&b, v);
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
	gofmt_quote(&b, name, strlen(name), GOFMT_QUOTE_GO);
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
			gofmt_quote(&b, o->name, strlen(o->name), GOFMT_QUOTE_GO);
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
