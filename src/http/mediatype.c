/* mediatype.c - Go-compatible media type parsing; see mediatype.h. */
#include "http/mediatype.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"

#define ERR_NO_TYPE "mime: no media type"
#define ERR_SLASH "mime: expected slash after first token"
#define ERR_SUBTYPE "mime: expected token after slash"
#define ERR_AFTER_SUBTYPE "mime: unexpected content after media subtype"
#define ERR_PARAM "mime: invalid media parameter"
#define ERR_DUP "mime: duplicate parameter name"

static bool is_tspecial(unsigned char c)
{
	return c && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static bool is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !is_tspecial(c);
}

/* Length of the Unicode white space character at p (unicode.IsSpace), or 0. */
static size_t space_len(const unsigned char *p)
{
	if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		return 1;
	if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return 3; /* U+1680 */
	if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 ||
					      p[2] == 0xaf))
		return 3; /* U+2000-U+200A, U+2028, U+2029, U+202F */
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
		return 3; /* U+205F */
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3; /* U+3000 */
	return 0;
}

static const char *skip_space(const char *p)
{
	size_t k;

	while ((k = space_len((const unsigned char *)p)))
		p += k;
	return p;
}

/* Consumes a token at *p; returns its length (0 when *p does not start with one). */
static size_t token_len(const char *p)
{
	size_t n = 0;

	while (is_token_char((unsigned char)p[n]))
		n++;
	return n;
}

/* Consumes a token or a quoted-string at *pp into out.  Returns false (leaving *pp) when
 * there is neither, when a quoted string holds a CR or LF, or when it is not closed. */
static bool consume_value(const char **pp, struct buf *out)
{
	const char *p = *pp;

	buf_reset(out);
	if (*p != '"') {
		size_t n = token_len(p);

		buf_add(out, p, n);
		*pp = p + n;
		return true; /* an empty token is judged by the caller */
	}
	for (p++; *p; p++) {
		if (*p == '"') {
			*pp = p + 1;
			return true;
		}
		/* A backslash escapes only a tspecial; before anything else it is literal (as
		 * MSIE sends unescaped Windows paths). */
		if (*p == '\\' && is_tspecial((unsigned char)p[1])) {
			buf_addc(out, p[1]);
			p++;
			continue;
		}
		if (*p == '\r' || *p == '\n')
			return false;
		buf_addc(out, *p);
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX decoding; false on a malformed escape or an escaped NUL. */
static bool pct_unescape(const char *s, struct buf *out)
{
	for (; *s; s++) {
		if (*s != '%') {
			buf_addc(out, *s);
			continue;
		}
		if (hexval(s[1]) < 0 || hexval(s[2]) < 0 || (s[1] == '0' && s[2] == '0'))
			return false;
		buf_addc(out, (char)(hexval(s[1]) << 4 | hexval(s[2])));
		s += 2;
	}
	return true;
}

/* RFC 2231 charset'language'value, for us-ascii and utf-8 only. */
static bool decode_2231(const char *v, struct buf *out)
{
	const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	size_t cl;

	if (!q2)
		return false;
	cl = (size_t)(q1 - v);
	if (!((cl == 5 && strncasecmp(v, "utf-8", 5) == 0) || (cl == 8 && strncasecmp(v, "us-ascii", 8) == 0)))
		return false;
	return pct_unescape(q2 + 1, out);
}

static void clear(struct mediatype *mt)
{
	for (size_t i = 0; i < mt->n_params; i++) {
		free(mt->params[i].name);
		free(mt->params[i].value);
	}
	mt->n_params = 0;
}

void mediatype_done(struct mediatype *mt)
{
	clear(mt);
	free(mt->type);
	mt->type = NULL;
}

static struct mediatype_param *find(struct mediatype_param *ps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ps[i].name, name) == 0)
			return &ps[i];
	return NULL;
}

const char *mediatype_param(const struct mediatype *mt, const char *name)
{
	for (size_t i = 0; i < mt->n_params; i++)
		if (strcmp(mt->params[i].name, name) == 0)
			return mt->params[i].value;
	return NULL;
}

/* Sets (or replaces) a final parameter. */
static bool set_param(struct mediatype *mt, const char *name, size_t nlen, const char *value)
{
	struct mediatype_param *p;
	char *n = xstrndup(name, nlen);

	p = find(mt->params, mt->n_params, n);
	if (p) {
		free(n);
		free(p->value);
		p->value = xstrdup(value);
		return true;
	}
	if (mt->n_params == MEDIATYPE_MAX_PARAMS) {
		free(n);
		return false;
	}
	p = &mt->params[mt->n_params++];
	p->name = n;
	p->value = xstrdup(value);
	return true;
}

static const char *check_type(const char *t)
{
	size_t n = token_len(t);

	if (n == 0)
		return ERR_NO_TYPE;
	if (!t[n])
		return NULL;
	if (t[n] != '/')
		return ERR_SLASH;
	t += n + 1;
	n = token_len(t);
	if (n == 0)
		return ERR_SUBTYPE;
	if (t[n])
		return ERR_AFTER_SUBTYPE;
	return NULL;
}

/* Stitches the parameters with a '*' in their name (raw[0..nraw), in order of arrival)
 * into final ones: "name*" is a charset-encoded value, "name*0", "name*1*", ... are the
 * pieces of one value. */
static bool stitch(struct mediatype *mt, struct mediatype_param *raw, size_t nraw)
{
	struct buf v = BUF_INIT, piece = BUF_INIT;
	bool ok = true;

	buf_init(&v);
	buf_init(&piece);
	for (size_t i = 0; i < nraw && ok; i++) {
		size_t blen = (size_t)(strchr(raw[i].name, '*') - raw[i].name);
		bool seen = false, valid = false;
		char *key;

		/* Handle each base name once, at its first piece. */
		for (size_t j = 0; j < i; j++)
			if (strncmp(raw[j].name, raw[i].name, blen + 1) == 0)
				seen = true;
		if (seen)
			continue;
		key = xasprintf("%.*s*", (int)blen, raw[i].name);
		struct mediatype_param *single = find(raw, nraw, key);

		buf_reset(&v);
		if (single) {
			if (decode_2231(single->value, &v))
				ok = set_param(mt, raw[i].name, blen, v.data);
			free(key);
			continue;
		}
		for (unsigned n = 0;; n++) {
			char name[64];
			struct mediatype_param *p;

			snprintf(name, sizeof(name), "%.*s*%u", (int)blen, raw[i].name, n);
			p = find(raw, nraw, name);
			if (p) {
				valid = true;
				buf_adds(&v, p->value);
				continue;
			}
			snprintf(name, sizeof(name), "%.*s*%u*", (int)blen, raw[i].name, n);
			p = find(raw, nraw, name);
			if (!p)
				break;
			valid = true;
			buf_reset(&piece);
			if (n == 0 ? decode_2231(p->value, &piece) : pct_unescape(p->value, &piece))
				buf_add(&v, piece.data, piece.len);
		}
		if (valid)
			ok = set_param(mt, raw[i].name, blen, v.data);
		free(key);
	}
	buf_done(&v);
	buf_done(&piece);
	return ok;
}

int mediatype_parse(const char *v, struct mediatype *mt, const char **ret_err)
{
	struct mediatype_param raw[MEDIATYPE_MAX_PARAMS];
	size_t nraw = 0, blen = strcspn(v, ";"), n;
	const char *p, *e, *err = NULL;
	struct buf val = BUF_INIT;
	char *t;

	memset(mt, 0, sizeof(*mt));
	buf_init(&val);
	/* The type: lower-cased and trimmed of white space. */
	p = skip_space(v);
	e = v + blen;
	if (p > e)
		p = e;
	t = xstrndup(p, (size_t)(e - p));
	n = strlen(t);
	while (n > 0) {
		size_t k = 0;

		/* Trailing white space: ASCII, or the two-byte forms of U+0085/U+00A0. */
		if (space_len((unsigned char *)t + n - 1) == 1)
			k = 1;
		else if (n >= 2 && space_len((unsigned char *)t + n - 2) == 2)
			k = 2;
		else if (n >= 3 && space_len((unsigned char *)t + n - 3) == 3)
			k = 3;
		if (!k)
			break;
		n -= k;
	}
	t[n] = '\0';
	for (char *c = t; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	err = check_type(t);
	if (err) {
		free(t);
		goto fail_empty;
	}
	mt->type = t;

	p = e;
	for (;;) {
		const char *name;
		size_t nlen;
		char *lname;
		struct mediatype_param *ps, *dup;
		size_t *np;

		p = skip_space(p);
		if (!*p)
			break;
		/* ; name = value */
		if (*p != ';')
			goto bad_param;
		p = skip_space(p + 1);
		name = p;
		nlen = token_len(p);
		if (nlen == 0) {
			/* A lone trailing ';' is not an error. */
			if (!*skip_space(p))
				break;
			goto bad_param;
		}
		p = skip_space(p + nlen);
		if (*p != '=')
			goto bad_param;
		p = skip_space(p + 1);
		{
			const char *before = p;

			if (!consume_value(&p, &val) || (val.len == 0 && p == before))
				goto bad_param;
		}
		lname = xstrndup(name, nlen);
		for (char *c = lname; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		/* Names with a '*' are RFC 2231 pieces, collected apart and stitched below. */
		if (strchr(lname, '*')) {
			ps = raw;
			np = &nraw;
		} else {
			ps = mt->params;
			np = &mt->n_params;
		}
		dup = find(ps, *np, lname);
		if (dup) {
			bool same = strcmp(dup->value, val.data) == 0;

			free(lname);
			if (!same) {
				err = ERR_DUP;
				goto fail_all;
			}
			continue;
		}
		if (*np == MEDIATYPE_MAX_PARAMS) {
			free(lname);
			goto bad_param;
		}
		ps[*np].name = lname;
		ps[*np].value = xstrdup(val.data);
		(*np)++;
	}
	if (!stitch(mt, raw, nraw))
		goto bad_param;
	for (size_t i = 0; i < nraw; i++) {
		free(raw[i].name);
		free(raw[i].value);
	}
	buf_done(&val);
	return 0;

bad_param:
	/* Go keeps the type but drops every parameter (ErrInvalidMediaParameter). */
	err = ERR_PARAM;
	clear(mt);
	goto out;
fail_all:
	clear(mt);
	free(mt->type);
	mt->type = NULL;
fail_empty:
out:
	for (size_t i = 0; i < nraw; i++) {
		free(raw[i].name);
		free(raw[i].value);
	}
	if (!mt->type)
		mt->type = xstrdup("");
	buf_done(&val);
	if (ret_err)
		*ret_err = err;
	return -EINVAL;
}

void mediatype_escape_quotes(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(out, '\\');
		buf_addc(out, *s);
	}
}
