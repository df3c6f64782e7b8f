/* argv.c - gnuflag-style option parsing for cairn commands; see argv.h. */
#include "argv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gostr.h"
#include "lib/buf.h"
#include "lib/strnum.h"

void argv_list_init(struct argv_list *l)
{
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
}

void argv_list_done(struct argv_list *l)
{
	free(l->v);
	argv_list_init(l);
}

void argv_list_add(struct argv_list *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static const struct argv_opt *find_long(const struct argv_opt *opts, const char *name, size_t len)
{
	for (const struct argv_opt *o = opts; o->long_name || o->short_name; o++) {
		if (o->long_name && strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
		/* gnuflag also accepts a one-letter option spelled with two dashes. */
		if (!o->long_name && len == 1 && o->short_name == name[0])
			return o;
	}
	return NULL;
}

static const struct argv_opt *find_short(const struct argv_opt *opts, char c)
{
	for (const struct argv_opt *o = opts; o->long_name || o->short_name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

/* Go's strconv error text for a failed integer parse. */
static void int_error(struct errbuf *eb, const char *shown, const char *value, int r)
{
	char *q = gostr_quoted(value);

	errbuf_set(eb, "invalid value %s for option %s: strconv.ParseInt: parsing %s: %s", q, shown,
		   q, r == -ERANGE ? "value out of range" : "invalid syntax");
	free(q);
}

/* Stores value (NULL for a bare boolean) into the option's destination. */
static int set_value(const struct argv_opt *o, const char *shown, const char *value,
		     struct errbuf *eb)
{
	int64_t n;
	bool b;
	int r;

	switch (o->kind) {
	case ARGV_BOOL:
		if (!value) {
			b = true;
		} else if (strnum_bool(value, &b) < 0) {
			char *q = gostr_quoted(value);

			errbuf_set(eb, "invalid value %s for option %s: strconv.ParseBool: parsing %s: invalid syntax",
				   q, shown, q);
			free(q);
			return -EINVAL;
		}
		*(bool *)o->dest = b;
		break;
	case ARGV_STRING:
		*(const char **)o->dest = value;
		break;
	case ARGV_INT:
		r = strnum_i64(value, INT64_MIN, INT64_MAX, &n);
		if (r < 0) {
			int_error(eb, shown, value, r);
			return -EINVAL;
		}
		*(int64_t *)o->dest = n;
		break;
	case ARGV_LIST: {
		struct argv_list *l = o->dest;

		if (l->n >= ARGV_MAX_LIST) {
			errbuf_set(eb, "too many values for option %s (at most %d)", shown, ARGV_MAX_LIST);
			return -EINVAL;
		}
		argv_list_add(l, value);
		break;
	}
	}
	if (o->seen)
		*o->seen = true;
	return 0;
}

void argv_list_split_json(const struct argv_list *l, json_t *out)
{
	for (size_t i = 0; i < l->n; i++) {
		char *dup = xstrdup(l->v[i]), *p = dup, *tok;

		while ((tok = strsep(&p, ",")))
			if (*tok)
				json_array_append_new(out, json_string(tok));
		free(dup);
	}
}

int argv_parse(const struct argv_opt *opts, int argc, char **argv, int first,
	       struct argv_list *pos, struct errbuf *eb)
{
	bool only_pos = false;
	char shown[128];

	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		const struct argv_opt *o;
		const char *value = NULL;
		bool has_value = false;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (pos->n >= ARGV_MAX_LIST) {
				errbuf_set(eb, "too many arguments (at most %d)", ARGV_MAX_LIST);
				return -EINVAL;
			}
			argv_list_add(pos, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			snprintf(shown, sizeof(shown), "--%.*s", (int)(len > 100 ? 100 : len), name);
			o = len ? find_long(opts, name, len) : NULL;
			if (eq) {
				value = eq + 1;
				has_value = true;
			}
		} else {
			/* One dash: a one-letter option, its value glued (-n3), after '=' or next. */
			snprintf(shown, sizeof(shown), "-%c", a[1]);
			o = find_short(opts, a[1]);
			if (!o) {
				const char *eq = strchr(a + 1, '=');
				size_t len = eq ? (size_t)(eq - a - 1) : strlen(a + 1);

				snprintf(shown, sizeof(shown), "-%.*s", (int)(len > 100 ? 100 : len), a + 1);
			} else if (a[2] == '=') {
				value = a + 3;
				has_value = true;
			} else if (a[2] != '\0') {
				if (o->kind == ARGV_BOOL) {
					snprintf(shown, sizeof(shown), "-%.100s", a + 1);
					o = NULL;
				} else {
					value = a + 2;
					has_value = true;
				}
			}
		}
		if (!o) {
			errbuf_set(eb, "option provided but not defined: %s", shown);
			return -EINVAL;
		}
		if (o->kind != ARGV_BOOL && !has_value) {
			if (i + 1 >= argc) {
				errbuf_set(eb, "option needs an argument: %s", shown);
				return -EINVAL;
			}
			value = argv[++i];
		}
		if (set_value(o, shown, value, eb) < 0)
			return -EINVAL;
	}
	return 0;
}

bool argv_wants_help(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

int argv_unrecognized(const char *const *extra, size_t n, struct errbuf *eb)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, "unrecognized args: [");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ' ');
		gostr_quote(&b, extra[i]);
	}
	buf_addc(&b, ']');
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}
