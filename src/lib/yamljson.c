/* yamljson.c - YAML <-> jansson conversion on libyaml; see yamljson.h. */
#include "yamljson.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "gofmt.h"
#include "strnum.h"

struct yparser {
	yaml_parser_t p;
	struct errbuf *eb;
};

static int ynext(struct yparser *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		errbuf_set(y->eb, "yaml: line %zu: %s", y->p.problem_mark.line + 1,
			   y->p.problem ? y->p.problem : "parse error");
		if (y->p.context)
			errbuf_set(y->eb, "yaml: line %zu: %s %s", y->p.problem_mark.line + 1,
				   y->p.problem ? y->p.problem : "parse error", y->p.context);
		return -EINVAL;
	}
	return 0;
}

static bool is_int_literal(const char *s, long long *out)
{
	const char *p = s;
	int base = 10;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && p[1] == 'o') {
		base = 8;
		p += 2;
	}
	if (!*p)
		return false;
	for (const char *q = p; *q; q++) {
		if (base == 10 && (*q < '0' || *q > '9'))
			return false;
		if (base == 8 && (*q < '0' || *q > '7'))
			return false;
		if (base == 16 && !((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
				    (*q >= 'A' && *q <= 'F')))
			return false;
	}
	errno = 0;
	long long v = strtoll(p, &end, base);
	if (errno == ERANGE || *end)
		return false;
	*out = s[0] == '-' ? -v : v;
	return true;
}

static bool is_float_literal(const char *s, double *out)
{
	const char *p = s;
	bool digits = false, dot = false, exp = false;

	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, "+.inf")) {
		*out = INFINITY;
		return true;
	}
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
		*out = -INFINITY;
		return true;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*out = NAN;
		return true;
	}
	if (*p == '-' || *p == '+')
		p++;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			digits = true;
		} else if (*p == '.' && !dot && !exp) {
			dot = true;
		} else if ((*p == 'e' || *p == 'E') && digits && !exp) {
			exp = true;
			if (p[1] == '-' || p[1] == '+')
				p++;
			if (!p[1])
				return false;
		} else {
			return false;
		}
	}
	if (!digits)
		return false;
	*out = strtod(s, NULL);
	return true;
}

/* Resolves a plain scalar to its JSON value (a new reference). */
static json_t *resolve_plain(const char *s)
{
	long long iv;
	double dv;

	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (is_int_literal(s, &iv))
		return json_integer(iv);
	if (is_float_literal(s, &dv)) {
		if (isnan(dv) || isinf(dv))
			return json_string(s); /* JSON cannot hold them; keep the text */
		return json_real(dv);
	}
	return json_string(s);
}

int yaml_plain_is_nonstring(const char *s)
{
	json_t *v = resolve_plain(s);
	int r = !json_is_string(v);

	json_decref(v);
	/* YAML 1.1 readers (PyYAML, Juju's yaml.v2) also treat these as booleans. */
	static const char *const y11[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No",
					   "NO", "on", "On", "ON", "off", "Off", "OFF" };
	for (size_t i = 0; !r && i < sizeof(y11) / sizeof(y11[0]); i++)
		if (!strcmp(s, y11[i]))
			r = 1;
	return r;
}

static int parse_node(struct yparser *y, yaml_event_t *ev, int depth, json_t **ret);

static int parse_mapping(struct yparser *y, int depth, json_t **ret)
{
	json_t *obj = json_object();
	yaml_event_t ev;
	int r;

	for (;;) {
		json_t *key = NULL, *val = NULL;

		if ((r = ynext(y, &ev)) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			errbuf_set(y->eb, "yaml: line %zu: mapping keys must be scalars",
				   ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			r = -EINVAL;
			goto fail;
		}
		size_t line = ev.start_mark.line + 1;
		char *k = strdup((const char *)ev.data.scalar.value);

		yaml_event_delete(&ev);
		if (!k)
			abort();
		if (json_object_get(obj, k)) {
			errbuf_set(y->eb, "yaml: line %zu: mapping key \"%s\" already defined", line, k);
			free(k);
			r = -EINVAL;
			goto fail;
		}
		if ((r = ynext(y, &ev)) < 0) {
			free(k);
			goto fail;
		}
		r = parse_node(y, &ev, depth + 1, &val);
		if (r < 0) {
			free(k);
			goto fail;
		}
		json_object_set_new(obj, k, val);
		free(k);
		(void)key;
	}
	*ret = obj;
	return 0;
fail:
	json_decref(obj);
	return r;
}

static int parse_sequence(struct yparser *y, int depth, json_t **ret)
{
	json_t *arr = json_array();
	yaml_event_t ev;
	int r;

	for (;;) {
		json_t *val = NULL;

		if ((r = ynext(y, &ev)) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		r = parse_node(y, &ev, depth + 1, &val);
		if (r < 0)
			goto fail;
		json_array_append_new(arr, val);
	}
	*ret = arr;
	return 0;
fail:
	json_decref(arr);
	return r;
}

/* Consumes ev (the node's first event). */
static int parse_node(struct yparser *y, yaml_event_t *ev, int depth, json_t **ret)
{
	int r = 0;

	if (depth > YAMLJSON_MAX_DEPTH) {
		errbuf_set(y->eb, "yaml: line %zu: document nested deeper than %d levels",
			   ev->start_mark.line + 1, YAMLJSON_MAX_DEPTH);
		yaml_event_delete(ev);
		return -EINVAL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		errbuf_set(y->eb, "yaml: line %zu: aliases are not supported", ev->start_mark.line + 1);
		r = -EINVAL;
		break;
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		const char *tag = (const char *)ev->data.scalar.tag;

		if (ev->data.scalar.anchor) {
			errbuf_set(y->eb, "yaml: line %zu: anchors are not supported",
				   ev->start_mark.line + 1);
			r = -EINVAL;
			break;
		}
		if (tag && !strcmp(tag, "tag:yaml.org,2002:str"))
			*ret = json_stringn(s, ev->data.scalar.length);
		else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			*ret = resolve_plain(s);
		else
			*ret = json_stringn(s, ev->data.scalar.length);
		if (!*ret) {
			errbuf_set(y->eb, "yaml: line %zu: invalid UTF-8 in scalar",
				   ev->start_mark.line + 1);
			r = -EINVAL;
		}
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor) {
			errbuf_set(y->eb, "yaml: line %zu: anchors are not supported",
				   ev->start_mark.line + 1);
			r = -EINVAL;
			break;
		}
		r = parse_sequence(y, depth, ret);
		break;
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor) {
			errbuf_set(y->eb, "yaml: line %zu: anchors are not supported",
				   ev->start_mark.line + 1);
			r = -EINVAL;
			break;
		}
		r = parse_mapping(y, depth, ret);
		break;
	default:
		errbuf_set(y->eb, "yaml: line %zu: unexpected event", ev->start_mark.line + 1);
		r = -EINVAL;
		break;
	}
	yaml_event_delete(ev);
	return r;
}

int yaml_to_json(const char *text, size_t len, json_t **ret, struct errbuf *eb)
{
	struct yparser y;
	yaml_event_t ev;
	json_t *doc = NULL;
	int r;

	memset(&y, 0, sizeof(y));
	y.eb = eb;
	if (!yaml_parser_initialize(&y.p)) {
		errbuf_set(eb, "yaml: cannot initialise parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	/* STREAM-START */
	if ((r = ynext(&y, &ev)) < 0)
		goto out;
	yaml_event_delete(&ev);
	if ((r = ynext(&y, &ev)) < 0)
		goto out;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		doc = json_null();
		goto done;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if ((r = ynext(&y, &ev)) < 0)
		goto out;
	if ((r = parse_node(&y, &ev, 0, &doc)) < 0)
		goto out;
	if ((r = ynext(&y, &ev)) < 0) /* DOCUMENT-END */
		goto out;
	yaml_event_delete(&ev);
	if ((r = ynext(&y, &ev)) < 0)
		goto out;
	if (ev.type != YAML_STREAM_END_EVENT) {
		errbuf_set(eb, "yaml: line %zu: expected a single document", ev.start_mark.line + 1);
		yaml_event_delete(&ev);
		r = -EINVAL;
		goto out;
	}
	yaml_event_delete(&ev);
done:
	*ret = doc;
	doc = NULL;
	r = 0;
out:
	json_decref(doc);
	yaml_parser_delete(&y.p);
	return r;
}

/* ---- emitting ---- */

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	if (yaml_plain_is_nonstring(s))
		return true;
	if (strchr(" -?:,[]{}#&*!|>'\"%@`", s[0]))
		return true;
	if (s[strlen(s) - 1] == ' ' || s[strlen(s) - 1] == ':')
		return true;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return true;
		if ((c == ':' && (p[1] == ' ' || !p[1])) || (c == ' ' && p[1] == '#'))
			return true;
	}
	return false;
}

/* Quoted strings use double quotes, as Go's yaml.v2 and yaml.v3 emit them. */
static void emit_string(struct buf *out, const char *s)
{
	if (!needs_quotes(s)) {
		buf_adds(out, s);
		return;
	}
	gofmt_quote(out, s, strlen(s), GOFMT_QUOTE_YAML);
}

static void emit_scalar(struct buf *out, json_t *v)
{
	char tmp[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		emit_string(out, json_string_value(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL: {
		double d = json_real_value(v);

		snprintf(tmp, sizeof(tmp), "%.17g", d);
		/* Shortest form that round-trips. */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		if (!strpbrk(tmp, ".eEn"))
			strcat(tmp, ".0");
		buf_adds(out, tmp);
		break;
	}
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	default:
		buf_adds(out, "null");
		break;
	}
}

static bool is_empty_container(json_t *v)
{
	return (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

static void emit_indent(struct buf *out, int n)
{
	for (int i = 0; i < n; i++)
		buf_addc(out, ' ');
}

/* Emits v as a block node whose lines start at column col.  When inline_first is set, the
 * cursor already sits at col (after "- "), so the first line is not indented. */
static void emit_block(struct buf *out, json_t *v, int col, int indent, bool inline_first)
{
	bool first = true;

	if (json_is_object(v)) {
		const char *k;
		json_t *val;

		json_object_foreach(v, k, val) {
			if (!(first && inline_first))
				emit_indent(out, col);
			first = false;
			emit_string(out, k);
			buf_addc(out, ':');
			if (json_is_object(val) && json_object_size(val)) {
				buf_addc(out, '\n');
				emit_block(out, val, col + indent, indent, false);
			} else if (json_is_array(val) && json_array_size(val)) {
				/* Juju's yaml.v2 (indent 2) writes sequences flush under their key;
				 * Pebble's yaml.v3 (indent 4) indents them. */
				buf_addc(out, '\n');
				emit_block(out, val, indent == 2 ? col : col + indent, indent, false);
			} else {
				buf_addc(out, ' ');
				if (is_empty_container(val))
					buf_adds(out, json_is_object(val) ? "{}" : "[]");
				else
					emit_scalar(out, val);
				buf_addc(out, '\n');
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *val;

		json_array_foreach(v, i, val) {
			if (!(first && inline_first))
				emit_indent(out, col);
			first = false;
			buf_adds(out, "- ");
			if ((json_is_object(val) || json_is_array(val)) && !is_empty_container(val)) {
				emit_block(out, val, col + 2, indent, true);
			} else {
				if (is_empty_container(val))
					buf_adds(out, json_is_object(val) ? "{}" : "[]");
				else
					emit_scalar(out, val);
				buf_addc(out, '\n');
			}
		}
	} else {
		emit_scalar(out, v);
		buf_addc(out, '\n');
	}
}

void json_to_yaml(struct buf *out, json_t *v, int indent)
{
	if (!v || is_empty_container(v)) {
		buf_adds(out, json_is_array(v) ? "[]\n" : "{}\n");
		return;
	}
	emit_block(out, v, 0, indent, false);
}
