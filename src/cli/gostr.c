/* gostr.c - Go-compatible rendering helpers; see gostr.h. */
#include "gostr.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/gofmt.h"

void gostr_quote(struct buf *out, const char *s)
{
	gofmt_quote(out, s, strlen(s), GOFMT_QUOTE_GO_C1);
}

char *gostr_quoted(const char *s)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	gostr_quote(&b, s);
	return buf_detach(&b);
}

const char *gostr_strerror(int errnum, char *buf, size_t n)
{
	const char *s = strerror(errnum);

	snprintf(buf, n, "%s", s);
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Largest shortest-round-trip precision among the reals in v (at least 1). */
static int max_real_precision(json_t *v, int depth)
{
	int best = 1;

	if (depth > 128)
		return 17;
	if (json_is_real(v)) {
		double d = json_real_value(v);
		char tmp[64];

		for (int p = 1; p <= 17; p++) {
			snprintf(tmp, sizeof(tmp), "%.*g", p, d);
			if (strtod(tmp, NULL) == d)
				return p;
		}
		return 17;
	}
	if (json_is_object(v)) {
		const char *k;
		json_t *val;

		json_object_foreach(v, k, val) {
			int p = max_real_precision(val, depth + 1);

			if (p > best)
				best = p;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *val;

		json_array_foreach(v, i, val) {
			int p = max_real_precision(val, depth + 1);

			if (p > best)
				best = p;
		}
	}
	return best;
}

char *gostr_json_compact(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
				      JSON_REAL_PRECISION(max_real_precision(v, 0)));

	return s ? s : xstrdup("null");
}

size_t gostr_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), w = 0;

	while (n) {
		uint32_t cp;
		size_t l = gofmt_utf8_decode(p, n, &cp);

		if (!l)
			l = 1;
		p += l;
		n -= l;
		w++;
	}
	return w;
}

size_t gostr_prefix_bytes(const char *s, size_t chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), off = 0;

	while (n && chars) {
		uint32_t cp;
		size_t l = gofmt_utf8_decode(p + off, n, &cp);

		if (!l)
			l = 1;
		off += l;
		n -= l;
		chars--;
	}
	return off;
}

bool gostr_valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len) {
		uint32_t cp;
		size_t l = gofmt_utf8_decode(p, len, &cp);

		if (!l)
			return false;
		p += l;
		len -= l;
	}
	return true;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *gostr_sorted(json_t *v)
{
	if (json_is_object(v)) {
		size_t n = json_object_size(v), i = 0;
		const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
		json_t *out = json_object();
		const char *k;
		json_t *val;

		json_object_foreach(v, k, val)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		for (i = 0; i < n; i++)
			json_object_set_new(out, keys[i], gostr_sorted(json_object_get(v, keys[i])));
		free(keys);
		return out;
	}
	if (json_is_array(v)) {
		json_t *out = json_array();
		size_t i;
		json_t *val;

		json_array_foreach(v, i, val)
			json_array_append_new(out, gostr_sorted(val));
		return out;
	}
	return json_incref(v);
}

int gostr_natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *sa = a, *sb = b;
			size_t la, lb;

			while (*sa == '0' && isdigit((unsigned char)sa[1]))
				sa++;
			while (*sb == '0' && isdigit((unsigned char)sb[1]))
				sb++;
			for (a = sa; isdigit((unsigned char)*a); a++)
				;
			for (b = sb; isdigit((unsigned char)*b); b++)
				;
			la = (size_t)(a - sa);
			lb = (size_t)(b - sb);
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(sa, sb, la);

			if (c)
				return c < 0 ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a == *b)
		return 0;
	return *a ? 1 : -1;
}

char *gostr_abs_path(const char *p)
{
	struct buf joined = BUF_INIT, out = BUF_INIT;
	const char *s;

	buf_init(&joined);
	if (p[0] != '/') {
		char *cwd = getcwd(NULL, 0);

		if (!cwd) {
			buf_done(&joined);
			return NULL;
		}
		buf_adds(&joined, cwd);
		buf_addc(&joined, '/');
		free(cwd);
	}
	buf_adds(&joined, p);
	/* Clean: drop empty and "." elements, let ".." remove the previous element. */
	buf_init(&out);
	s = joined.data;
	while (*s) {
		const char *e;
		size_t n;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		n = e ? (size_t)(e - s) : strlen(s);
		if (n == 1 && s[0] == '.') {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = out.len ? strrchr(out.data, '/') : NULL;

			if (slash) {
				out.len = (size_t)(slash - out.data);
				out.data[out.len] = '\0';
			}
		} else {
			buf_addc(&out, '/');
			buf_add(&out, s, n);
		}
		s += n;
	}
	if (out.len == 0)
		buf_addc(&out, '/');
	buf_done(&joined);
	return buf_detach(&out);
}
