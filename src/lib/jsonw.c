/* jsonw.c - compact JSON text writer; see jsonw.h. */
#include "jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* Before any value: the comma after an earlier member (not after a key). */
static void sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth && (w->has_items >> w->depth & 1))
		buf_addc(w->b, ',');
	if (w->depth)
		w->has_items |= 1ull << w->depth;
}

static void open_(struct jsonw *w, char c, bool obj)
{
	sep(w);
	if (w->depth + 1 >= JSONW_MAX_DEPTH)
		abort();
	w->depth++;
	w->has_items &= ~(1ull << w->depth);
	if (obj)
		w->is_obj |= 1ull << w->depth;
	else
		w->is_obj &= ~(1ull << w->depth);
	buf_addc(w->b, c);
}

void jsonw_obj(struct jsonw *w)
{
	open_(w, '{', true);
}

void jsonw_arr(struct jsonw *w)
{
	open_(w, '[', false);
}

void jsonw_end(struct jsonw *w)
{
	if (!w->depth || w->after_key)
		abort();
	buf_addc(w->b, (w->is_obj >> w->depth & 1) ? '}' : ']');
	w->depth--;
}

static void put_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *run = p;

	buf_addc(b, '"');
	for (; *p; p++) {
		const char *esc = NULL;
		char u[7];

		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[*p >> 4];
			u[5] = hex[*p & 15];
			u[6] = '\0';
			esc = u;
			break;
		}
		buf_add(b, run, (size_t)(p - run));
		buf_adds(b, esc);
		run = p + 1;
	}
	buf_add(b, run, (size_t)(p - run));
	buf_addc(b, '"');
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (!w->depth || !(w->is_obj >> w->depth & 1) || w->after_key)
		abort();
	sep(w);
	put_string(w->b, key);
	buf_addc(w->b, ':');
	w->after_key = true;
}

void jsonw_str(struct jsonw *w, const char *s)
{
	sep(w);
	if (s)
		put_string(w->b, s);
	else
		buf_adds(w->b, "null");
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char n[24];

	sep(w);
	snprintf(n, sizeof(n), "%" PRId64, v);
	buf_adds(w->b, n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	sep(w);
	buf_adds(w->b, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	buf_adds(w->b, "null");
}

void jsonw_json(struct jsonw *w, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	sep(w);
	buf_adds(w->b, s ? s : "null");
	free(s);
}

void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
