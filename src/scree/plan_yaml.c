/* plan_yaml.c - the combined plan as YAML, byte for byte as Pebble's yaml.v3 Marshal
 * writes it (§7): 4-space indentation, block sequences indented under their key, fixed
 * field order, map keys in yaml.v3's "natural" order, and scalars quoted exactly when the
 * emitter would quote them (plain when possible, else single-quoted, else double-quoted;
 * strings with newlines as literal blocks; strings that would read back as another type
 * double-quoted). */
#include <stdio.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"
#include "plan_internal.h"
#include "yamlnode.h"

#define PY_INDENT 4
#define PY_SIMPLE_KEY_MAX 128 /* libyaml: longer keys use the "? key" form */

enum py_style { PY_PLAIN, PY_SINGLE, PY_DOUBLE, PY_LITERAL };

/* ======================= Scalar analysis (libyaml's analyze_scalar) ======================= */

struct py_analysis {
	bool multiline;
	bool block_plain_allowed;
	bool single_quoted_allowed;
	bool block_allowed;
};

static size_t py_width(unsigned char c)
{
	return (c & 0x80) == 0x00 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

static bool py_printable(const unsigned char *s)
{
	return s[0] == 0x0A || (s[0] >= 0x20 && s[0] <= 0x7E) || (s[0] == 0xC2 && s[1] >= 0xA0) ||
	       (s[0] > 0xC2 && s[0] < 0xED) || (s[0] == 0xED && s[1] < 0xA0) || s[0] == 0xEE ||
	       (s[0] == 0xEF && !(s[1] == 0xBB && s[2] == 0xBF) &&
		!(s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF)));
}

static bool py_break(const unsigned char *s)
{
	return s[0] == '\r' || s[0] == '\n' || (s[0] == 0xC2 && s[1] == 0x85) ||
	       (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9));
}

static bool py_blankz(const unsigned char *s)
{
	return s[0] == ' ' || s[0] == '\t' || s[0] == '\0' || py_break(s);
}

static void py_analyze(const char *str, struct py_analysis *a)
{
	const unsigned char *s = (const unsigned char *)str, *p;
	bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
	bool leading_space = false, leading_break = false, trailing_space = false;
	bool trailing_break = false, break_space = false, space_break = false;
	bool prev_space = false, prev_break = false, preceded_ws = true, followed_ws;
	size_t len = strlen(str);

	memset(a, 0, sizeof(*a));
	if (len == 0) {
		a->block_plain_allowed = false;
		a->single_quoted_allowed = true;
		return;
	}
	if ((s[0] == '-' && s[1] == '-' && s[2] == '-') || (s[0] == '.' && s[1] == '.' && s[2] == '.'))
		block_ind = flow_ind = true;
	for (p = s; *p; p += py_width(*p)) {
		bool first = p == s;
		bool last;
		size_t w = py_width(*p);

		/* Guard against truncated UTF-8 at the end of the string. */
		if (strnlen((const char *)p, w) < w)
			w = strnlen((const char *)p, w);
		last = p[w] == '\0';
		followed_ws = py_blankz(p + w);
		if (first) {
			if (strchr("#,[]{}&*!|>'\"%@`", *p) && *p) {
				flow_ind = block_ind = true;
			}
			if (*p == '?' || *p == ':') {
				flow_ind = true;
				if (followed_ws)
					block_ind = true;
			}
			if (*p == '-' && followed_ws)
				flow_ind = block_ind = true;
		} else {
			if (strchr(",?[]{}", *p) && *p)
				flow_ind = true;
			if (*p == ':') {
				flow_ind = true;
				if (followed_ws)
					block_ind = true;
			}
			if (*p == '#' && preceded_ws)
				flow_ind = block_ind = true;
		}
		if (!py_printable(p) || (p[0] >= 0xF0))
			special = true;
		if (py_break(p))
			line_breaks = true;
		if (*p == ' ') {
			if (first)
				leading_space = true;
			if (last)
				trailing_space = true;
			if (prev_break)
				break_space = true;
			prev_space = true;
			prev_break = false;
		} else if (py_break(p)) {
			if (first)
				leading_break = true;
			if (last)
				trailing_break = true;
			if (prev_space)
				space_break = true;
			prev_break = true;
			prev_space = false;
		} else {
			prev_space = prev_break = false;
		}
		preceded_ws = py_blankz(p);
		if (w == 0)
			break;
		p += w - py_width(*p);
	}
	(void)flow_ind;
	a->multiline = line_breaks;
	a->block_plain_allowed = a->single_quoted_allowed = a->block_allowed = true;
	if (leading_space || leading_break || trailing_space || trailing_break)
		a->block_plain_allowed = false;
	if (trailing_space)
		a->block_allowed = false;
	if (break_space)
		a->block_plain_allowed = a->single_quoted_allowed = false;
	if (space_break || special)
		a->block_plain_allowed = a->single_quoted_allowed = a->block_allowed = false;
	if (line_breaks)
		a->block_plain_allowed = false;
	if (block_ind)
		a->block_plain_allowed = false;
}

/* yaml.v3 isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool py_base60(const char *s)
{
	const char *p = s;
	int groups = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (!(*p >= '0' && *p <= '9'))
		return false;
	while ((*p >= '0' && *p <= '9') || *p == '_')
		p++;
	while (*p == ':') {
		p++;
		if (*p >= '0' && *p <= '5' && p[1] >= '0' && p[1] <= '9')
			p += 2;
		else if (*p >= '0' && *p <= '9')
			p += 1;
		else
			return false;
		groups++;
	}
	if (!groups)
		return false;
	if (*p == '.') {
		p++;
		while ((*p >= '0' && *p <= '9') || *p == '_')
			p++;
	}
	return *p == '\0';
}

static bool py_old_bool(const char *s)
{
	static const char *const words[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
					     "n", "N", "no", "No", "NO", "off", "Off", "OFF" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

/* Plain scalars that YAML 1.1 loaders such as PyYAML (the ops library's loader) resolve
 * to something other than a string although yaml.v3 does not: they are double-quoted so
 * the plan reads back identically everywhere.  A cheap character filter keeps the regex
 * off the common path. */
static bool py_yaml11_nonstr(const char *s)
{
	static const char *const pattern =
		"^(=|<<"
		"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
		"|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+"
		"|[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
		"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
		"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
		"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
		"([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?"
		")$";
	const char *p;
	regex_t re;
	bool match;

	if (!*s || !strchr("0123456789+-.=<", s[0]))
		return false;
	for (p = s; *p; p++)
		if (!strchr("0123456789abcdefABCDEFxoinIN_+-.:=<Tt Z\t", *p))
			return false;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return true; /* cannot tell: quoting is always safe */
	match = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return match;
}

/* yaml.v3 stringv() then libyaml's select_scalar_style(). */
static enum py_style py_style_for(const char *s, bool simple_key, struct py_analysis *a)
{
	enum py_style st;
	bool can_plain = ynode_resolve_plain(s, strlen(s), NULL, NULL) == YTYPE_STR &&
			 !py_base60(s) && !py_old_bool(s) &&
			 !py_yaml11_nonstr(s);

	py_analyze(s, a);
	/* U+2028/U+2029 are line breaks to YAML readers but not to our literal and quoted
	 * writers: only the escaped double-quoted form carries them unchanged. */
	if (strstr(s, "\xe2\x80\xa8") || strstr(s, "\xe2\x80\xa9"))
		return PY_DOUBLE;
	if (strchr(s, '\n'))
		st = PY_LITERAL;
	else if (can_plain)
		st = PY_PLAIN;
	else
		st = PY_DOUBLE;
	if (st == PY_PLAIN) {
		if (!a->block_plain_allowed)
			st = PY_SINGLE;
		if (!*s && simple_key)
			st = PY_SINGLE;
	}
	if (st == PY_SINGLE && !a->single_quoted_allowed)
		st = PY_DOUBLE;
	if (st == PY_LITERAL && (!a->block_allowed || simple_key))
		st = PY_DOUBLE;
	return st;
}

static void py_spaces(struct buf *b, int n)
{
	while (n-- > 0)
		buf_addc(b, ' ');
}

static void py_double(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	buf_addc(b, '"');
	while (*s) {
		size_t w = py_width(*s), i;
		uint32_t cp;

		if (strnlen((const char *)s, w) < w)
			w = 1;
		if (py_printable(s) && *s < 0xF0 && !py_break(s) && *s != '"' && *s != '\\' &&
		    !(s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)) {
			buf_add(b, s, w);
			s += w;
			continue;
		}
		cp = w == 1 ? s[0] : (uint32_t)(s[0] & (0xFF >> (w + 1)));
		for (i = 1; i < w; i++)
			cp = (cp << 6) | (s[i] & 0x3F);
		buf_addc(b, '\\');
		switch (cp) {
		case 0x00: buf_addc(b, '0'); break;
		case 0x07: buf_addc(b, 'a'); break;
		case 0x08: buf_addc(b, 'b'); break;
		case 0x09: buf_addc(b, 't'); break;
		case 0x0A: buf_addc(b, 'n'); break;
		case 0x0B: buf_addc(b, 'v'); break;
		case 0x0C: buf_addc(b, 'f'); break;
		case 0x0D: buf_addc(b, 'r'); break;
		case 0x1B: buf_addc(b, 'e'); break;
		case '"': buf_addc(b, '"'); break;
		case '\\': buf_addc(b, '\\'); break;
		case 0x85: buf_addc(b, 'N'); break;
		case 0xA0: buf_addc(b, '_'); break;
		case 0x2028: buf_addc(b, 'L'); break;
		case 0x2029: buf_addc(b, 'P'); break;
		default:
			if (cp <= 0xFF)
				buf_addf(b, "x%02X", cp);
			else if (cp <= 0xFFFF)
				buf_addf(b, "u%04X", cp);
			else
				buf_addf(b, "U%08X", cp);
		}
		s += w;
	}
	buf_addc(b, '"');
}

static void py_single(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_addc(b, '\'');
		buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

/* Literal block: "|" plus chomping/indentation hints, then the lines.  parent is the
 * indentation of the enclosing block node (a key's column, a "- " entry's column); the
 * content goes `extra` columns further in, or exactly PY_INDENT further when an
 * indentation indicator is needed (so that the indicator reads back right). */
static void py_literal(struct buf *b, const char *s, int parent, int extra)
{
	size_t len = strlen(s);
	const char *p, *line;
	int indent = parent + extra;

	buf_addc(b, '|');
	if (s[0] == ' ' || s[0] == '\n') {
		buf_addf(b, "%d", PY_INDENT);
		indent = parent + PY_INDENT;
	}
	if (len == 0 || s[len - 1] != '\n')
		buf_addc(b, '-');
	else if (len == 1 || s[len - 2] == '\n')
		buf_addc(b, '+');
	buf_addc(b, '\n');
	line = s;
	for (p = s; *p; p++) {
		if (*p == '\n') {
			if (p > line) {
				py_spaces(b, indent);
				buf_add(b, line, (size_t)(p - line));
			}
			buf_addc(b, '\n');
			line = p + 1;
		}
	}
	if (*line) {
		py_spaces(b, indent);
		buf_adds(b, line);
		buf_addc(b, '\n');
	}
}

/* Writes a value scalar after "key:" (or "-"); ends the line.  parent is the column of
 * the key (or of the "-"), extra the indentation of literal block content beyond it. */
static void py_value_in(struct buf *b, const char *s, int parent, int extra)
{
	struct py_analysis a;

	switch (py_style_for(s, false, &a)) {
	case PY_PLAIN:
		buf_addc(b, ' ');
		buf_adds(b, s);
		break;
	case PY_SINGLE:
		buf_addc(b, ' ');
		py_single(b, s);
		break;
	case PY_DOUBLE:
		buf_addc(b, ' ');
		py_double(b, s);
		break;
	case PY_LITERAL:
		buf_addc(b, ' ');
		py_literal(b, s, parent, extra);
		return;
	}
	buf_addc(b, '\n');
}

static void py_value(struct buf *b, const char *s, int indent)
{
	py_value_in(b, s, indent, PY_INDENT);
}

/* Starts a mapping entry: indentation and the key, up to and including ':'. */
static void py_key(struct buf *b, const char *key, int indent)
{
	struct py_analysis a;
	enum py_style st = py_style_for(key, true, &a);

	py_spaces(b, indent);
	if (strlen(key) > PY_SIMPLE_KEY_MAX || a.multiline) {
		/* Not a simple key: "? key" then ":" on its own line. */
		buf_addc(b, '?');
		py_value(b, key, indent);
		py_spaces(b, indent);
		buf_addc(b, ':');
		return;
	}
	switch (st) {
	case PY_PLAIN:
		buf_adds(b, key);
		break;
	case PY_SINGLE:
		py_single(b, key);
		break;
	default:
		py_double(b, key);
		break;
	}
	buf_addc(b, ':');
}

static void py_str(struct buf *b, const char *key, const char *val, int indent)
{
	if (!val)
		return;
	py_key(b, key, indent);
	py_value(b, val, indent);
}

static void py_raw(struct buf *b, const char *key, const char *val, int indent)
{
	py_key(b, key, indent);
	buf_addc(b, ' ');
	buf_adds(b, val);
	buf_addc(b, '\n');
}

static void py_int(struct buf *b, const char *key, const struct plan_opt_int *v, int indent)
{
	char tmp[32];

	if (!v->set)
		return;
	snprintf(tmp, sizeof(tmp), "%lld", (long long)v->v);
	py_raw(b, key, tmp, indent);
}

static void py_dur(struct buf *b, const char *key, const struct plan_opt_dur *v, int indent)
{
	char tmp[64];

	if (!v->set)
		return;
	strnum_fmt_duration(v->ns, tmp, sizeof(tmp));
	py_str(b, key, tmp, indent);
}

static void py_list(struct buf *b, const char *key, const struct plan_strlist *l, int indent,
		    bool always)
{
	size_t i;

	if (l->n == 0) {
		if (always)
			py_raw(b, key, "[]", indent);
		return;
	}
	py_key(b, key, indent);
	buf_addc(b, '\n');
	for (i = 0; i < l->n; i++) {
		py_spaces(b, indent + PY_INDENT);
		buf_addc(b, '-');
		py_value_in(b, l->v[i], indent + PY_INDENT, 2);
	}
}

/* ======================= Key order (yaml.v3 keyList.Less) ======================= */

static bool py_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool py_isletter(unsigned char c)
{
	/* Non-ASCII bytes count as letters: close enough to unicode.IsLetter for keys. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static int py_natural_cmp(const char *as, const char *bs)
{
	const unsigned char *a = (const unsigned char *)as, *b = (const unsigned char *)bs;
	size_t la = strlen(as), lb = strlen(bs), i;
	bool digits = false;

	for (i = 0; i < la && i < lb; i++) {
		bool al, bl;
		size_t ai, bi;
		long long an = 0, bn = 0;

		if (a[i] == b[i]) {
			digits = py_isdigit(a[i]);
			continue;
		}
		al = py_isletter(a[i]);
		bl = py_isletter(b[i]);
		if (al && bl)
			return a[i] < b[i] ? -1 : 1;
		if (al || bl) {
			if (digits)
				return al ? -1 : 1;
			return bl ? -1 : 1;
		}
		if (a[i] == '0' || b[i] == '0') {
			size_t j;

			for (j = i; j > 0 && py_isdigit(a[j - 1]); j--) {
				if (a[j - 1] != '0') {
					an = bn = 1;
					break;
				}
			}
		}
		for (ai = i; ai < la && py_isdigit(a[ai]); ai++)
			an = an * 10 + (a[ai] - '0');
		for (bi = i; bi < lb && py_isdigit(b[bi]); bi++)
			bn = bn * 10 + (b[bi] - '0');
		if (an != bn)
			return an < bn ? -1 : 1;
		if (ai != bi)
			return ai < bi ? -1 : 1;
		return a[i] < b[i] ? -1 : 1;
	}
	if (la == lb)
		return 0;
	return la < lb ? -1 : 1;
}

static int py_cmp_entry(const void *x, const void *y)
{
	const struct plan_strmap_entry *a = x, *b = y;

	return py_natural_cmp(a->key, b->key);
}

static int py_cmp_named(const void *x, const void *y)
{
	const char *const *a = *(const char *const *const *)x;
	const char *const *b = *(const char *const *const *)y;

	return py_natural_cmp(*a, *b);
}

static void py_map(struct buf *b, const char *key, const struct plan_strmap *m, int indent)
{
	struct plan_strmap_entry *v;
	size_t i;

	if (m->n == 0)
		return;
	v = xmalloc(m->n * sizeof(*v));
	memcpy(v, m->v, m->n * sizeof(*v));
	qsort(v, m->n, sizeof(*v), py_cmp_entry);
	py_key(b, key, indent);
	buf_addc(b, '\n');
	for (i = 0; i < m->n; i++)
		py_str(b, v[i].key, v[i].val, indent + PY_INDENT);
	free(v);
}

/* Section arrays, in natural key order (a sorted copy of the pointers). */
static void **py_sorted(void *const *arr, size_t n)
{
	void **v = xmalloc((n + 1) * sizeof(*v));

	if (n)
		memcpy(v, arr, n * sizeof(*v));
	if (n > 1)
		qsort(v, n, sizeof(*v), py_cmp_named);
	return v;
}

/* ======================= Entries ======================= */

static void py_float(struct buf *b, const char *key, const struct plan_opt_f64 *v, int indent)
{
	struct buf f = BUF_INIT;

	if (!v->set)
		return;
	pl_fmt_float(&f, v->v);
	if (strcmp(buf_str(&f), "+Inf") == 0)
		py_raw(b, key, ".inf", indent);
	else if (strcmp(buf_str(&f), "NaN") == 0)
		py_raw(b, key, ".nan", indent);
	else
		py_raw(b, key, buf_str(&f), indent);
	buf_done(&f);
}

static void py_fields(struct buf *b, const struct pl_fields *f, const void *obj, int in);

/* Writes one field of an entry or sub-object: nothing when it is unset, unless the field
 * is PL_F_ALWAYS; a present sub-object with no fields set is written as "{}". */
static void py_field(struct buf *b, const struct pl_field *fl, const void *obj, int in)
{
	const void *p = pl_field_cptr(fl, obj);
	char tmp[32];

	switch (fl->type) {
	case PL_T_STR: {
		const char *str = *(char *const *)p;

		if (fl->flags & PL_F_ALWAYS) {
			py_key(b, fl->key, in);
			py_value(b, str ? str : "", in);
		} else {
			py_str(b, fl->key, str, in);
		}
		break;
	}
	case PL_T_LIST:
		py_list(b, fl->key, p, in, fl->flags & PL_F_ALWAYS);
		break;
	case PL_T_MAP:
		py_map(b, fl->key, p, in);
		break;
	case PL_T_OPT_INT:
		py_int(b, fl->key, p, in);
		break;
	case PL_T_OPT_DUR:
		py_dur(b, fl->key, p, in);
		break;
	case PL_T_OPT_F64:
		py_float(b, fl->key, p, in);
		break;
	case PL_T_INT:
		if (*(const int64_t *)p) {
			snprintf(tmp, sizeof(tmp), "%lld", (long long)*(const int64_t *)p);
			py_raw(b, fl->key, tmp, in);
		}
		break;
	case PL_T_OVERRIDE: {
		enum plan_override o = *(const enum plan_override *)p;

		if (o == PLAN_OVERRIDE_MERGE || o == PLAN_OVERRIDE_REPLACE)
			py_str(b, fl->key, plan_override_name(o), in);
		break;
	}
	case PL_T_ENUM: {
		int v = *(const int *)p;

		if (v)
			py_str(b, fl->key, ((const char *const *)fl->aux)[v], in);
		break;
	}
	case PL_T_SUB: {
		const void *sub = *(const void *const *)p;
		struct buf body = BUF_INIT;

		if (!sub)
			break;
		py_fields(&body, fl->aux, sub, in + PY_INDENT);
		if (body.len == 0) {
			py_raw(b, fl->key, "{}", in);
		} else {
			py_key(b, fl->key, in);
			buf_addc(b, '\n');
			buf_add(b, body.data, body.len);
		}
		buf_done(&body);
		break;
	}
	case PL_T_RAW:
		break;
	}
}

static void py_fields(struct buf *b, const struct pl_fields *f, const void *obj, int in)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		py_field(b, &f->v[i], obj, in);
}

/* An entry with no fields at all would render as "name: {}"; every rendered entry has at
 * least its override, so that case only arises for hand-built sections. */
static void py_section(struct buf *b, const struct pl_section *sec, void *const *arr, size_t n)
{
	void **v;
	size_t i;

	if (n == 0)
		return;
	v = py_sorted(arr, n);
	py_key(b, sec->key, 0);
	buf_addc(b, '\n');
	for (i = 0; i < n; i++) {
		size_t before = b->len;

		py_key(b, *(char *const *)v[i], PY_INDENT);
		buf_addc(b, '\n');
		py_fields(b, sec->fields, v[i], 2 * PY_INDENT);
		/* An entry that wrote nothing but its name gets the flow "{}" form. */
		if (b->len > 0 && b->data[b->len - 1] == '\n' && b->data[b->len - 2] == ':' &&
		    memchr(b->data + before, '\n', b->len - before) == b->data + b->len - 1) {
			b->len--;
			buf_adds(b, " {}\n");
		}
	}
	free(v);
}

void plan_sections_render_yaml(const struct plan_sections *s, struct buf *out)
{
	size_t start = out->len, k;

	for (k = 0; k < _PL_SEC_MAX; k++) {
		const struct pl_section *sec = &pl_section_defs[k];

		py_section(out, sec, pl_sec_carr(s, sec), pl_sec_cn(s, sec));
	}
	if (s->pairing && s->pairing->mode) {
		py_key(out, "pairing", 0);
		buf_addc(out, '\n');
		py_str(out, "mode", s->pairing->mode, PY_INDENT);
	}
	if (out->len == start)
		buf_adds(out, "{}\n");
}

void plan_render_yaml(const struct plan *p, struct buf *out)
{
	plan_sections_render_yaml(&p->s, out);
}
