/* plan_util.c - Go-flavoured message formatting, string lists and maps, and user/group
 * normalisation for the plan model (see plan_internal.h). */
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "plan_internal.h"
#include "lib/userids.h"

/* ======================= Formatting ======================= */

/* Decodes one UTF-8 sequence; returns its length, or 0 if invalid (then *cp = byte). */
static size_t pl_utf8(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0) {
		n = 2;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4;
		c &= 0x07;
	} else {
		*cp = s[0];
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = s[0];
			return 0;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = s[0];
		return 0;
	}
	*cp = c;
	return n;
}

void pl_quote(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	buf_addc(b, '"');
	while (*s) {
		uint32_t cp;
		size_t n = pl_utf8(s, &cp);

		if (n == 0) {
			buf_addf(b, "\\x%02x", *s);
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)cp);
		} else if (cp >= 0x20 && cp < 0x7F) {
			buf_addc(b, (char)cp);
		} else if (cp >= 0xA0 && cp != 0xAD && cp != 0xFEFF && !(cp >= 0x2028 && cp <= 0x2029)) {
			buf_add(b, s, n); /* printable non-ASCII, written as is */
		} else {
			switch (cp) {
			case '\a': buf_adds(b, "\\a"); break;
			case '\b': buf_adds(b, "\\b"); break;
			case '\f': buf_adds(b, "\\f"); break;
			case '\n': buf_adds(b, "\\n"); break;
			case '\r': buf_adds(b, "\\r"); break;
			case '\t': buf_adds(b, "\\t"); break;
			case '\v': buf_adds(b, "\\v"); break;
			default:
				if (cp < 0x80)
					buf_addf(b, "\\x%02x", cp);
				else if (cp < 0x10000)
					buf_addf(b, "\\u%04x", cp);
				else
					buf_addf(b, "\\U%08x", cp);
			}
		}
		s += n;
	}
	buf_addc(b, '"');
}

void pl_fmt_float(struct buf *b, double v)
{
	char tmp[64], digits[32];
	int prec, nd = 0, dp, exp10, i;
	char *e;

	if (isnan(v)) {
		buf_adds(b, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_adds(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		buf_adds(b, signbit(v) ? "-0" : "0");
		return;
	}
	/* Shortest decimal that reads back as v. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (tmp[0] == '-') {
		buf_addc(b, '-');
		memmove(tmp, tmp + 1, strlen(tmp));
	}
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	for (i = 0; tmp + i < e; i++)
		if (tmp[i] != '.')
			digits[nd++] = tmp[i];
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	dp = exp10 + 1;
	if (exp10 < -4 || exp10 >= 6) {
		buf_addc(b, digits[0]);
		if (nd > 1) {
			buf_addc(b, '.');
			buf_add(b, digits + 1, (size_t)nd - 1);
		}
		buf_addf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		return;
	}
	if (dp <= 0) {
		buf_adds(b, "0.");
		for (i = 0; i < -dp; i++)
			buf_addc(b, '0');
		buf_add(b, digits, (size_t)nd);
	} else if (dp >= nd) {
		buf_add(b, digits, (size_t)nd);
		for (i = nd; i < dp; i++)
			buf_addc(b, '0');
	} else {
		buf_add(b, digits, (size_t)dp);
		buf_addc(b, '.');
		buf_add(b, digits + dp, (size_t)(nd - dp));
	}
}

void pl_vbfmt(struct buf *b, const char *fmt, va_list ap)
{
	const char *p;

	for (p = fmt; *p; p++) {
		if (*p != '%') {
			buf_addc(b, *p);
			continue;
		}
		p++;
		switch (*p) {
		case 'q':
			pl_quote(b, va_arg(ap, const char *));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			buf_adds(b, s ? s : "");
			break;
		}
		case 'd':
			buf_addf(b, "%d", va_arg(ap, int));
			break;
		case 'g':
			pl_fmt_float(b, va_arg(ap, double));
			break;
		case 'z':
			p++; /* %zu */
			buf_addf(b, "%zu", va_arg(ap, size_t));
			break;
		case 'l':
			p += 2; /* %lld */
			buf_addf(b, "%lld", va_arg(ap, long long));
			break;
		case '%':
			buf_addc(b, '%');
			break;
		default:
			buf_addc(b, '%');
			if (!*p)
				return;
			buf_addc(b, *p);
		}
	}
}

void pl_bfmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pl_vbfmt(b, fmt, ap);
	va_end(ap);
}

int pl_errf(struct errbuf *eb, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pl_vbfmt(&b, fmt, ap);
	va_end(ap);
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

/* ======================= Strings, lists, maps ======================= */

bool pl_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

char *pl_strdup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

void pl_set_str(char **dst, const char *src)
{
	char *n = pl_strdup_or_null(src);

	free(*dst);
	*dst = n;
}

void pl_strlist_push(struct plan_strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void pl_strlist_extend(struct plan_strlist *dst, const struct plan_strlist *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		pl_strlist_push(dst, src->v[i]);
}

void pl_strlist_dup(struct plan_strlist *dst, const struct plan_strlist *src)
{
	dst->v = NULL;
	dst->n = 0;
	pl_strlist_extend(dst, src);
}

void pl_strlist_done(struct plan_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool pl_strlist_eq(const struct plan_strlist *a, const struct plan_strlist *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/* Index of key, or -(insertion point)-1. */
static long pl_strmap_find(const struct plan_strmap *m, const char *key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->v[mid].key, key);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

const char *plan_strmap_get(const struct plan_strmap *m, const char *key)
{
	long i = pl_strmap_find(m, key);

	return i >= 0 ? m->v[i].val : NULL;
}

void pl_strmap_set(struct plan_strmap *m, const char *key, const char *val)
{
	long i = pl_strmap_find(m, key);
	size_t at;

	if (i >= 0) {
		free(m->v[i].val);
		m->v[i].val = xstrdup(val ? val : "");
		return;
	}
	at = (size_t)(-i - 1);
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(*m->v));
	m->v[at].key = xstrdup(key);
	m->v[at].val = xstrdup(val ? val : "");
	m->n++;
}

void pl_strmap_merge(struct plan_strmap *dst, const struct plan_strmap *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		pl_strmap_set(dst, src->v[i].key, src->v[i].val);
}

void pl_strmap_dup(struct plan_strmap *dst, const struct plan_strmap *src)
{
	size_t i;

	dst->n = src->n;
	dst->v = src->n ? xcalloc(src->n, sizeof(*dst->v)) : NULL;
	for (i = 0; i < src->n; i++) {
		dst->v[i].key = xstrdup(src->v[i].key);
		dst->v[i].val = xstrdup(src->v[i].val);
	}
}

void plan_strmap_done(struct plan_strmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].val);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

bool pl_strmap_eq(const struct plan_strmap *a, const struct plan_strmap *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) != 0 || strcmp(a->v[i].val, b->v[i].val) != 0)
			return false;
	return true;
}

/* ======================= Users and groups ======================= */

int pl_normalize_ids(const struct plan_opt_int *uidp, const struct plan_opt_int *gidp,
		     const char *user, const char *group, struct errbuf *eb)
{
	struct userids_req r = {
		.uid_set = uidp && uidp->set,
		.uid = uidp && uidp->set ? uidp->v : 0,
		.gid_set = gidp && gidp->set,
		.gid = gidp && gidp->set ? gidp->v : 0,
		.user = user,
		.group = group,
	};
	struct errbuf e;
	uid_t uid;
	gid_t gid;

	errbuf_clear(&e);
	if (userids_normalize(&r, &uid, &gid, &e) < 0)
		return pl_errf(eb, "%s", e.msg);
	return 0;
}

int pl_check_service_command(const char *name, const char *command, struct errbuf *eb)
{
	struct command c;
	struct errbuf e;
	int r;

	r = command_parse(command ? command : "", &c, &e);
	if (r < 0)
		return pl_errf(eb, "plan service %q command invalid: cannot parse service %q command: %s",
			       name, name, e.msg);
	command_done(&c);
	return 0;
}
