/* yamlnode.c - libyaml events to a tree of source-faithful nodes (see yamlnode.h). */
#include "yamlnode.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/buf.h"

struct ynode_anchor {
	char *name;
	struct ynode *node; /* NULL while the anchored collection is still open */
};

struct ynode_builder {
	struct ynode *stack[YNODE_MAX_DEPTH + 1];
	char *stack_anchor[YNODE_MAX_DEPTH + 1];
	int depth;
	struct ynode *root;
	struct ynode_anchor *anchors;
	size_t n_anchors;
	size_t n_nodes;
};

void ynode_unref(struct ynode *n)
{
	size_t i;

	if (!n || --n->refs > 0)
		return;
	for (i = 0; i < n->n; i++)
		ynode_unref(n->items[i]);
	free(n->items);
	free(n->tag);
	free(n->value);
	free(n);
}

static struct ynode *ynode_new(enum ynode_kind kind, int line, const unsigned char *tag)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	n->refs = 1;
	if (tag)
		n->tag = xstrdup((const char *)tag);
	return n;
}

static void ynode_append(struct ynode *parent, struct ynode *child)
{
	if ((parent->n & (parent->n - 1)) == 0) /* grow at powers of two */
		parent->items = xrealloc(parent->items,
					 (parent->n ? parent->n * 2 : 1) * sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

/* Formats a libyaml failure the way yaml.v3's parser.fail() does (including its habit of
 * reporting parser-error lines zero-based). */
static void ynode_fail(const yaml_parser_t *p, struct errbuf *eb)
{
	size_t line = 0;

	if (p->context_mark.line != 0) {
		line = p->context_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	} else if (p->problem_mark.line != 0) {
		line = p->problem_mark.line;
		if (p->error == YAML_SCANNER_ERROR)
			line++;
	}
	if (line)
		errbuf_set(eb, "yaml: line %zu: %s", line,
			   p->problem ? p->problem : "unknown problem parsing YAML content");
	else
		errbuf_set(eb, "yaml: %s",
			   p->problem ? p->problem : "unknown problem parsing YAML content");
}

static int ynode_attach(struct ynode_builder *b, struct ynode *n)
{
	if (b->depth == 0) {
		if (b->root)
			ynode_unref(b->root);
		b->root = n;
	} else {
		ynode_append(b->stack[b->depth - 1], n);
	}
	return 0;
}

static void ynode_add_anchor(struct ynode_builder *b, const char *name, struct ynode *n)
{
	size_t i;

	/* A redefined anchor replaces the old one for later aliases (YAML 1.2 §3.2.2.2). */
	for (i = 0; i < b->n_anchors; i++) {
		if (strcmp(b->anchors[i].name, name) == 0) {
			b->anchors[i].node = n;
			return;
		}
	}
	b->anchors = xrealloc(b->anchors, (b->n_anchors + 1) * sizeof(*b->anchors));
	b->anchors[b->n_anchors].name = xstrdup(name);
	b->anchors[b->n_anchors].node = n;
	b->n_anchors++;
}

static int ynode_event(struct ynode_builder *b, yaml_event_t *ev, bool *done, struct errbuf *eb)
{
	struct ynode *n;
	int line = (int)ev->start_mark.line + 1;
	size_t i;

	switch (ev->type) {
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_SCALAR_EVENT:
		if (++b->n_nodes > YNODE_MAX_NODES)
			goto too_big;
		n = ynode_new(YNODE_SCALAR, line, ev->data.scalar.tag);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			   ev->data.scalar.plain_implicit;
		n->len = ev->data.scalar.length;
		n->value = xmalloc(n->len + 1);
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		if (ev->data.scalar.anchor)
			ynode_add_anchor(b, (const char *)ev->data.scalar.anchor, n);
		return ynode_attach(b, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++b->n_nodes > YNODE_MAX_NODES)
			goto too_big;
		if (b->depth >= YNODE_MAX_DEPTH) {
			errbuf_set(eb, "yaml: line %d: exceeded max depth of %d", line,
				   YNODE_MAX_DEPTH);
			return -E2BIG;
		}
		if (ev->type == YAML_SEQUENCE_START_EVENT) {
			n = ynode_new(YNODE_SEQ, line, ev->data.sequence_start.tag);
			n->flow = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
		} else {
			n = ynode_new(YNODE_MAP, line, ev->data.mapping_start.tag);
			n->flow = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
		}
		ynode_attach(b, n);
		n->refs++; /* the stack holds a reference too */
		b->stack[b->depth] = n;
		{
			const unsigned char *a = ev->type == YAML_SEQUENCE_START_EVENT
							 ? ev->data.sequence_start.anchor
							 : ev->data.mapping_start.anchor;
			b->stack_anchor[b->depth] = a ? xstrdup((const char *)a) : NULL;
		}
		b->depth++;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			return 0;
		b->depth--;
		n = b->stack[b->depth];
		if (b->stack_anchor[b->depth]) {
			ynode_add_anchor(b, b->stack_anchor[b->depth], n);
			free(b->stack_anchor[b->depth]);
			b->stack_anchor[b->depth] = NULL;
		}
		ynode_unref(n);
		return 0;
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		int d;

		for (d = 0; d < b->depth; d++) {
			if (b->stack_anchor[d] && strcmp(b->stack_anchor[d], name) == 0) {
				errbuf_set(eb, "yaml: anchor '%s' value contains itself", name);
				return -EINVAL;
			}
		}
		for (i = 0; i < b->n_anchors; i++) {
			if (strcmp(b->anchors[i].name, name) == 0)
				break;
		}
		if (i == b->n_anchors) {
			errbuf_set(eb, "yaml: unknown anchor '%s' referenced", name);
			return -EINVAL;
		}
		n = b->anchors[i].node;
		n->refs++;
		return ynode_attach(b, n);
	}
	default:
		return 0;
	}
too_big:
	errbuf_set(eb, "yaml: document has more than %d nodes", YNODE_MAX_NODES);
	return -E2BIG;
}

int ynode_parse(const char *text, size_t len, struct ynode **ret, struct errbuf *eb)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ynode_builder b;
	bool done = false;
	int r = 0;
	size_t i;

	memset(&b, 0, sizeof(b));
	if (!yaml_parser_initialize(&p)) {
		errbuf_set(eb, "yaml: cannot initialise parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			ynode_fail(&p, eb);
			r = -EINVAL;
			break;
		}
		r = ynode_event(&b, &ev, &done, eb);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
	}
	yaml_parser_delete(&p);
	while (b.depth > 0) {
		b.depth--;
		free(b.stack_anchor[b.depth]);
		ynode_unref(b.stack[b.depth]);
	}
	for (i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (r < 0) {
		ynode_unref(b.root);
		return r;
	}
	*ret = b.root;
	return 0;
}

/* ======================= Scalar resolution (yaml.v3 resolve()) ======================= */

static bool ynode_is_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Go's strconv.ParseInt(s, 0, 64) / ParseUint syntax (underscores already removed). */
static bool ynode_go_int(const char *s, int64_t *ret)
{
	const char *p = s;
	bool neg = false;
	int base = 10;
	unsigned long long v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p += 1;
	}
	if (!*p)
		return false;
	for (; *p; p++) {
		int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return false;
		v = v * (unsigned)base + (unsigned)d;
	}
	if (ret) {
		if (neg)
			*ret = v > (unsigned long long)INT64_MAX + 1 ? INT64_MIN : (int64_t)(0 - v);
		else
			*ret = v > (unsigned long long)INT64_MAX ? INT64_MAX : (int64_t)v;
	}
	if (neg && v > (unsigned long long)INT64_MAX + 1)
		return false;
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool ynode_yaml_float(const char *s)
{
	const char *p = s;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	} else {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

static int ynode_days_in(int month, int year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* Reads 1 or 2 digits (Go's getnum with fixed=false). */
static bool ynode_num12(const char **p, const char *end, int *v)
{
	const char *s = *p;

	if (s >= end || !isdigit((unsigned char)*s))
		return false;
	*v = *s++ - '0';
	if (s < end && isdigit((unsigned char)*s))
		*v = *v * 10 + (*s++ - '0');
	*p = s;
	return true;
}

/* yaml.v3 parseTimestamp: "2006-1-2T15:4:5.999999999Z07:00", the same with 't',
 * "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool ynode_timestamp(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int year, mon, day, h, m, sec;
	char sep;

	if (len < 5 || !ynode_is_digits(s, 4) || s[4] != '-')
		return false;
	year = atoi(s); /* exactly four digits, checked above */
	p = s + 5;
	if (!ynode_num12(&p, end, &mon) || p >= end || *p++ != '-' || !ynode_num12(&p, end, &day))
		return false;
	if (mon < 1 || mon > 12 || day < 1 || day > ynode_days_in(mon, year))
		return false;
	if (p == end)
		return true;
	sep = *p++;
	if (sep != 'T' && sep != 't' && sep != ' ')
		return false;
	if (!ynode_num12(&p, end, &h) || p >= end || *p++ != ':' || !ynode_num12(&p, end, &m) ||
	    p >= end || *p++ != ':' || !ynode_num12(&p, end, &sec))
		return false;
	if (h > 23 || m > 59 || sec > 59)
		return false;
	if (p < end && *p == '.' && p + 1 < end && isdigit((unsigned char)p[1])) {
		p++;
		while (p < end && isdigit((unsigned char)*p))
			p++;
	}
	if (p == end)
		return true;
	if (sep == ' ')
		return false;
	if (*p == 'Z')
		return p + 1 == end;
	if ((*p == '+' || *p == '-') && end - p == 6 && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
	    isdigit((unsigned char)p[5]))
		return true;
	return false;
}

enum ynode_type ynode_resolve_plain(const char *s, size_t len, int64_t *ret_int, double *ret_f)
{
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	static const char *const nulls[] = { "~", "null", "Null", "NULL" };
	static const char *const floats[] = { ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
					      "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF" };
	char c;
	size_t i;

	if (len == 0)
		return YTYPE_NULL;
	if (memchr(s, '\0', len))
		return YTYPE_STR;
	c = s[0];
	if (!(c == '+' || c == '-' || c == '.' || isdigit((unsigned char)c) ||
	      strchr("yYnNtTfFoO~", c)))
		return YTYPE_STR;
	for (i = 0; i < 3; i++) {
		if (strcmp(s, trues[i]) == 0 || strcmp(s, falses[i]) == 0)
			return YTYPE_BOOL;
	}
	for (i = 0; i < 4; i++)
		if (strcmp(s, nulls[i]) == 0)
			return YTYPE_NULL;
	for (i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
		if (strcmp(s, floats[i]) == 0) {
			if (ret_f)
				*ret_f = i < 3 ? NAN : (i >= 9 ? -INFINITY : INFINITY);
			return YTYPE_FLOAT;
		}
	}
	if (c == '.') {
		/* Go ParseFloat on the text: a leading '.' can only start a decimal. */
		if (ynode_yaml_float(s)) {
			if (ret_f)
				*ret_f = strtod(s, NULL);
			return YTYPE_FLOAT;
		}
		return YTYPE_STR;
	}
	if (c == '+' || c == '-' || isdigit((unsigned char)c)) {
		char *plain;
		size_t j = 0;
		enum ynode_type t = YTYPE_STR;

		if (ynode_timestamp(s, len))
			return YTYPE_TIMESTAMP;
		plain = xmalloc(len + 1);
		for (i = 0; i < len; i++)
			if (s[i] != '_')
				plain[j++] = s[i];
		plain[j] = '\0';
		if (ynode_go_int(plain, ret_int)) {
			t = YTYPE_INT;
		} else if (ynode_yaml_float(plain)) {
			if (ret_f)
				*ret_f = strtod(plain, NULL);
			t = YTYPE_FLOAT;
		}
		free(plain);
		return t;
	}
	return YTYPE_STR;
}

static const char *ynode_tag_suffix(const char *tag)
{
	if (strncmp(tag, "tag:yaml.org,2002:", 18) == 0)
		return tag + 18;
	if (strncmp(tag, "!!", 2) == 0)
		return tag + 2;
	return NULL;
}

enum ynode_type ynode_resolve(const struct ynode *n, int64_t *ret_int, double *ret_f)
{
	enum ynode_type t;

	if (n->tag && strcmp(n->tag, "!") != 0) {
		const char *sfx = ynode_tag_suffix(n->tag);

		if (!sfx)
			return YTYPE_OTHER;
		if (strcmp(sfx, "str") == 0)
			return YTYPE_STR;
		if (strcmp(sfx, "null") == 0)
			return YTYPE_NULL;
		t = ynode_resolve_plain(n->value, n->len, ret_int, ret_f);
		if ((strcmp(sfx, "int") == 0 && t == YTYPE_INT) ||
		    (strcmp(sfx, "float") == 0 && (t == YTYPE_FLOAT || t == YTYPE_INT)) ||
		    (strcmp(sfx, "bool") == 0 && t == YTYPE_BOOL) ||
		    (strcmp(sfx, "timestamp") == 0 && t == YTYPE_TIMESTAMP)) {
			if (t == YTYPE_INT && strcmp(sfx, "float") == 0) {
				if (ret_f)
					*ret_f = strtod(n->value, NULL);
				return YTYPE_FLOAT;
			}
			return t;
		}
		return YTYPE_OTHER;
	}
	if (!n->plain)
		return YTYPE_STR;
	return ynode_resolve_plain(n->value, n->len, ret_int, ret_f);
}

const char *ynode_short_tag(const struct ynode *n, char *buf, size_t bufn)
{
	static const char *const names[] = {
		[YTYPE_STR] = "!!str",	   [YTYPE_INT] = "!!int",
		[YTYPE_FLOAT] = "!!float", [YTYPE_BOOL] = "!!bool",
		[YTYPE_NULL] = "!!null",   [YTYPE_TIMESTAMP] = "!!timestamp",
		[YTYPE_OTHER] = "!!str",
	};

	if (n->tag && strcmp(n->tag, "!") != 0) {
		if (strncmp(n->tag, "tag:yaml.org,2002:", 18) == 0)
			snprintf(buf, bufn, "!!%s", n->tag + 18);
		else
			snprintf(buf, bufn, "%s", n->tag);
		return buf;
	}
	if (n->kind == YNODE_MAP)
		return "!!map";
	if (n->kind == YNODE_SEQ)
		return "!!seq";
	return names[ynode_resolve(n, NULL, NULL)];
}
