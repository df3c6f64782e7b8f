/* layer.c - Pebble layers as values (cairn/charm.h "layers as values").
 *
 * A layer holds three sections of named entries; an entry holds fields named as in Pebble's
 * layer YAML (pebble-api.md §2).  One table per section lists every field with its kind, in
 * the order Pebble renders them (§7), and drives setting, reading, validation, parsing and
 * rendering; nothing here is written per field.  Fields are stored flat, keyed by their
 * dotted name ("http.url"), and nested only in YAML.  Entries are kept sorted by name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/gofmt.h"
#include "lib/strnum.h"
#include "lib/yamljson.h"
#include "sdk/error.h"

#define LAYER_MAX_ENTRIES 10000
#define LAYER_MAX_TEXT (4u * 1024u * 1024u)

enum field_kind {
	F_TEXT,     /* any string */
	F_CHOICE,   /* one of choices */
	F_DURATION, /* a Go duration */
	F_INT,
	F_FLOAT,
	F_LIST,     /* list of strings */
	F_MAP,      /* string -> string (values from choices when given) */
};

struct field {
	const char *name;
	enum field_kind kind;
	const char *const *choices; /* NULL-terminated, for F_CHOICE and choice-valued maps */
};

static const char *const overrides[] = { "merge", "replace", NULL };
static const char *const startups[] = { "enabled", "disabled", NULL };
static const char *const on_success[] = { "restart", "shutdown", "failure-shutdown", "ignore", NULL };
static const char *const on_failure[] = { "restart", "shutdown", "success-shutdown", "ignore", NULL };
static const char *const levels[] = { "alive", "ready", NULL };
static const char *const target_types[] = { "loki", "opentelemetry", "syslog", NULL };

static const struct field service_fields[] = {
	{ "summary", F_TEXT, NULL },
	{ "description", F_TEXT, NULL },
	{ "startup", F_CHOICE, startups },
	{ "override", F_CHOICE, overrides },
	{ "command", F_TEXT, NULL },
	{ "after", F_LIST, NULL },
	{ "before", F_LIST, NULL },
	{ "requires", F_LIST, NULL },
	{ "workload", F_TEXT, NULL },
	{ "environment", F_MAP, NULL },
	{ "user-id", F_INT, NULL },
	{ "user", F_TEXT, NULL },
	{ "group-id", F_INT, NULL },
	{ "group", F_TEXT, NULL },
	{ "working-dir", F_TEXT, NULL },
	{ "on-success", F_CHOICE, on_success },
	{ "on-failure", F_CHOICE, on_failure },
	{ "on-check-failure", F_MAP, on_failure },
	{ "backoff-delay", F_DURATION, NULL },
	{ "backoff-factor", F_FLOAT, NULL },
	{ "backoff-limit", F_DURATION, NULL },
	{ "kill-delay", F_DURATION, NULL },
	{ NULL, F_TEXT, NULL },
};

static const struct field check_fields[] = {
	{ "override", F_CHOICE, overrides },
	{ "level", F_CHOICE, levels },
	{ "startup", F_CHOICE, startups },
	{ "period", F_DURATION, NULL },
	{ "timeout", F_DURATION, NULL },
	{ "threshold", F_INT, NULL },
	{ "http.url", F_TEXT, NULL },
	{ "http.headers", F_MAP, NULL },
	{ "tcp.port", F_INT, NULL },
	{ "tcp.host", F_TEXT, NULL },
	{ "exec.command", F_TEXT, NULL },
	{ "exec.service-context", F_TEXT, NULL },
	{ "exec.environment", F_MAP, NULL },
	{ "exec.user-id", F_INT, NULL },
	{ "exec.user", F_TEXT, NULL },
	{ "exec.group-id", F_INT, NULL },
	{ "exec.group", F_TEXT, NULL },
	{ "exec.working-dir", F_TEXT, NULL },
	{ NULL, F_TEXT, NULL },
};

static const struct field target_fields[] = {
	{ "type", F_CHOICE, target_types },
	{ "location", F_TEXT, NULL },
	{ "services", F_LIST, NULL },
	{ "override", F_CHOICE, overrides },
	{ "labels", F_MAP, NULL },
	{ NULL, F_TEXT, NULL },
};

static const struct {
	const char *yaml;      /* the section's YAML key */
	const char *what;      /* for messages */
	const struct field *fields;
} sections[_CAIRN_LAYER_SECTION_MAX] = {
	[CAIRN_LAYER_SERVICES] = { "services", "service", service_fields },
	[CAIRN_LAYER_CHECKS] = { "checks", "check", check_fields },
	[CAIRN_LAYER_LOG_TARGETS] = { "log-targets", "log target", target_fields },
};

/* Sections Pebble may render that a layer value does not model; skipped when parsing. */
static const char *const ignored_sections[] = { "workloads", "pairing", NULL };

struct cairn_layer_entry {
	enum cairn_layer_section section;
	char *name;
	json_t *fields; /* {"dotted.name": value} */
	char text[32];  /* the text of the last number read with cairn_layer_get */
};

struct cairn_layer {
	char *summary;
	char *description;
	struct cairn_layer_entry **e[_CAIRN_LAYER_SECTION_MAX]; /* sorted by name */
	size_t n[_CAIRN_LAYER_SECTION_MAX];
};

/* ---- objects ---- */

struct cairn_layer *cairn_layer_new(void)
{
	return xcalloc(1, sizeof(struct cairn_layer));
}

static void entry_free(struct cairn_layer_entry *e)
{
	if (!e)
		return;
	free(e->name);
	json_decref(e->fields);
	free(e);
}

void cairn_layer_free(struct cairn_layer *l)
{
	if (!l)
		return;
	for (int s = 0; s < _CAIRN_LAYER_SECTION_MAX; s++) {
		for (size_t i = 0; i < l->n[s]; i++)
			entry_free(l->e[s][i]);
		free(l->e[s]);
	}
	free(l->summary);
	free(l->description);
	free(l);
}

struct cairn_layer *cairn_layer_copy(const struct cairn_layer *l)
{
	struct cairn_layer *c;

	if (!l)
		return NULL;
	c = cairn_layer_new();
	c->summary = l->summary ? xstrdup(l->summary) : NULL;
	c->description = l->description ? xstrdup(l->description) : NULL;
	for (int s = 0; s < _CAIRN_LAYER_SECTION_MAX; s++) {
		c->e[s] = xcalloc(l->n[s] + 1, sizeof(*c->e[s]));
		for (size_t i = 0; i < l->n[s]; i++) {
			struct cairn_layer_entry *e = xcalloc(1, sizeof(*e));

			e->section = (enum cairn_layer_section)s;
			e->name = xstrdup(l->e[s][i]->name);
			e->fields = json_deep_copy(l->e[s][i]->fields);
			c->e[s][i] = e;
		}
		c->n[s] = l->n[s];
	}
	return c;
}

/* Whether s is valid UTF-8 (what a YAML and JSON string can hold). */
static bool utf8_ok(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	json_decref(j);
	return j != NULL;
}

/* Replaces *dst with a copy of s ("" and NULL unset it). */
static int set_text(char **dst, const char *s)
{
	if (s && !utf8_ok(s))
		return -EINVAL;
	free(*dst);
	*dst = s && *s ? xstrdup(s) : NULL;
	return 0;
}

int cairn_layer_set_summary(struct cairn_layer *l, const char *summary)
{
	return set_text(&l->summary, summary);
}

int cairn_layer_set_description(struct cairn_layer *l, const char *description)
{
	return set_text(&l->description, description);
}

const char *cairn_layer_summary(const struct cairn_layer *l)
{
	return l->summary;
}

const char *cairn_layer_description(const struct cairn_layer *l)
{
	return l->description;
}

/* Binary search; *ret_pos is where name is or would go. */
static struct cairn_layer_entry *lookup(const struct cairn_layer *l, enum cairn_layer_section s, const char *name,
					size_t *ret_pos)
{
	size_t lo = 0, hi = l->n[s];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l->e[s][mid]->name, name);

		if (c == 0) {
			if (ret_pos)
				*ret_pos = mid;
			return l->e[s][mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ret_pos)
		*ret_pos = lo;
	return NULL;
}

struct cairn_layer_entry *cairn_layer_find(const struct cairn_layer *l, enum cairn_layer_section section,
					   const char *name)
{
	if (!l || (unsigned)section >= _CAIRN_LAYER_SECTION_MAX || !name)
		return NULL;
	return lookup(l, section, name, NULL);
}

struct cairn_layer_entry *cairn_layer_add(struct cairn_layer *l, enum cairn_layer_section section,
					  const char *name)
{
	struct cairn_layer_entry *e;
	size_t pos;

	if (!l || (unsigned)section >= _CAIRN_LAYER_SECTION_MAX || !name || !*name)
		return NULL;
	e = lookup(l, section, name, &pos);
	if (e)
		return e;
	if (!utf8_ok(name) || l->n[section] >= LAYER_MAX_ENTRIES)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->section = section;
	e->name = xstrdup(name);
	e->fields = json_object();
	l->e[section] = xrealloc(l->e[section], (l->n[section] + 1) * sizeof(*l->e[section]));
	memmove(&l->e[section][pos + 1], &l->e[section][pos], (l->n[section] - pos) * sizeof(*l->e[section]));
	l->e[section][pos] = e;
	l->n[section]++;
	return e;
}

struct cairn_layer_entry *cairn_layer_service(struct cairn_layer *l, const char *name)
{
	return cairn_layer_add(l, CAIRN_LAYER_SERVICES, name);
}

struct cairn_layer_entry *cairn_layer_check(struct cairn_layer *l, const char *name)
{
	return cairn_layer_add(l, CAIRN_LAYER_CHECKS, name);
}

size_t cairn_layer_count(const struct cairn_layer *l, enum cairn_layer_section section)
{
	if (!l || (unsigned)section >= _CAIRN_LAYER_SECTION_MAX)
		return 0;
	return l->n[section];
}

struct cairn_layer_entry *cairn_layer_at(const struct cairn_layer *l, enum cairn_layer_section section, size_t i)
{
	if (!l || (unsigned)section >= _CAIRN_LAYER_SECTION_MAX || i >= l->n[section])
		return NULL;
	return l->e[section][i];
}

int cairn_layer_remove(struct cairn_layer *l, enum cairn_layer_section section, const char *name)
{
	size_t pos;
	struct cairn_layer_entry *e;

	if (!l || (unsigned)section >= _CAIRN_LAYER_SECTION_MAX || !name)
		return -EINVAL;
	e = lookup(l, section, name, &pos);
	if (!e)
		return -ENOENT;
	entry_free(e);
	memmove(&l->e[section][pos], &l->e[section][pos + 1], (l->n[section] - pos - 1) * sizeof(*l->e[section]));
	l->n[section]--;
	return 0;
}

const char *cairn_layer_entry_name(const struct cairn_layer_entry *e)
{
	return e ? e->name : NULL;
}

/* ---- fields ---- */

static const struct field *find_field(enum cairn_layer_section s, const char *name)
{
	for (const struct field *f = sections[s].fields; name && f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static const char *const kind_hint[] = {
	[F_TEXT] = "cairn_layer_set", [F_CHOICE] = "cairn_layer_set", [F_DURATION] = "cairn_layer_set",
	[F_INT] = "cairn_layer_set_int", [F_FLOAT] = "cairn_layer_set_double", [F_LIST] = "cairn_layer_append",
	[F_MAP] = "cairn_layer_put",
};

/* The field of e named name, checked to be one of the kinds in mask (1 << kind). */
static int field_for(const struct cairn_layer_entry *e, const char *name, unsigned mask, const struct field **ret,
		     struct cairn_error *err)
{
	const struct field *f;

	if (!e)
		return sdk_err(err, CAIRN_ERR_INVALID, "no layer entry");
	f = find_field(e->section, name);
	if (!f)
		return sdk_err(err, CAIRN_ERR_INVALID, "unknown %s field \"%s\"", sections[e->section].what,
			       name ? name : "");
	if (!(mask & (1u << f->kind)))
		return sdk_err(err, CAIRN_ERR_INVALID, "%s field \"%s\" is set with %s", sections[e->section].what,
			       name, kind_hint[f->kind]);
	*ret = f;
	return 0;
}

static bool in_choices(const char *const *choices, const char *v)
{
	for (; choices && *choices; choices++)
		if (!strcmp(*choices, v))
			return true;
	return false;
}

static void choices_text(const char *const *choices, struct buf *b)
{
	for (size_t i = 0; choices[i]; i++)
		buf_addf(b, "%s%s", i ? (choices[i + 1] ? ", " : " or ") : "", choices[i]);
}

/* Checks a text value for field f. */
static int check_text(const struct cairn_layer_entry *e, const struct field *f, const char *value,
		      struct cairn_error *err)
{
	int64_t ns;

	if (!value)
		return sdk_err(err, CAIRN_ERR_INVALID, "no value for \"%s\"", f->name);
	if (!utf8_ok(value))
		return sdk_err(err, CAIRN_ERR_INVALID, "value of \"%s\" is not valid UTF-8", f->name);
	if (f->kind == F_CHOICE && !in_choices(f->choices, value)) {
		struct buf b = BUF_INIT;
		int r;

		buf_init(&b);
		choices_text(f->choices, &b);
		r = sdk_err(err, CAIRN_ERR_INVALID, "invalid %s %s \"%s\" (want %s)", sections[e->section].what,
			    f->name, value, buf_str(&b));
		buf_done(&b);
		return r;
	}
	if (f->kind == F_DURATION && strnum_duration(value, &ns) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid duration \"%s\" for \"%s\"", value, f->name);
	return 0;
}

int cairn_layer_set(struct cairn_layer_entry *e, const char *field, const char *value, struct cairn_error *err)
{
	const struct field *f;
	int r = field_for(e, field, 1u << F_TEXT | 1u << F_CHOICE | 1u << F_DURATION, &f, err);

	if (r == 0)
		r = check_text(e, f, value, err);
	if (r == 0)
		json_object_set_new(e->fields, f->name, json_string(value));
	return r;
}

int cairn_layer_set_int(struct cairn_layer_entry *e, const char *field, int64_t value, struct cairn_error *err)
{
	const struct field *f;
	int r = field_for(e, field, 1u << F_INT, &f, err);

	if (r == 0)
		json_object_set_new(e->fields, f->name, json_integer((json_int_t)value));
	return r;
}

int cairn_layer_set_double(struct cairn_layer_entry *e, const char *field, double value, struct cairn_error *err)
{
	const struct field *f;
	json_t *v;
	int r = field_for(e, field, 1u << F_FLOAT, &f, err);

	if (r < 0)
		return r;
	v = json_real(value);
	if (!v)
		return sdk_err(err, CAIRN_ERR_INVALID, "\"%s\" must be a finite number", f->name);
	json_object_set_new(e->fields, f->name, v);
	return 0;
}

int cairn_layer_append(struct cairn_layer_entry *e, const char *field, const char *value, struct cairn_error *err)
{
	const struct field *f;
	json_t *list, *v;
	int r = field_for(e, field, 1u << F_LIST, &f, err);

	if (r < 0)
		return r;
	if (!value || !*value || !(v = json_string(value)))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid item for \"%s\"", f->name);
	list = json_object_get(e->fields, f->name);
	if (!list) {
		list = json_array();
		json_object_set_new(e->fields, f->name, list);
	}
	json_array_append_new(list, v);
	return 0;
}

int cairn_layer_put(struct cairn_layer_entry *e, const char *field, const char *key, const char *value,
		    struct cairn_error *err)
{
	const struct field *f;
	json_t *map, *v;
	int r = field_for(e, field, 1u << F_MAP, &f, err);

	if (r < 0)
		return r;
	if (!key || !*key || !utf8_ok(key))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid key for \"%s\"", f->name);
	if (f->choices && (!value || !in_choices(f->choices, value)))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid %s action \"%s\"", f->name, value ? value : "");
	v = value ? json_string(value) : NULL;
	if (!v)
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid value of \"%s\" in \"%s\"", key, f->name);
	map = json_object_get(e->fields, f->name);
	if (!map) {
		map = json_object();
		json_object_set_new(e->fields, f->name, map);
	}
	json_object_set_new(map, key, v);
	return 0;
}

int cairn_layer_unset(struct cairn_layer_entry *e, const char *field, struct cairn_error *err)
{
	const struct field *f;
	int r = field_for(e, field, ~0u, &f, err);

	if (r < 0)
		return r;
	if (json_object_del(e->fields, f->name) < 0)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "\"%s\" is not set", f->name);
	return 0;
}

const char *cairn_layer_get(const struct cairn_layer_entry *e, const char *field)
{
	const struct field *f;
	json_t *v;
	struct cairn_layer_entry *me = (struct cairn_layer_entry *)e;

	if (!e || !(f = find_field(e->section, field)) || !(v = json_object_get(e->fields, f->name)))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(me->text, sizeof(me->text), "%lld", (long long)json_integer_value(v));
		return me->text;
	}
	if (json_is_real(v)) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		gofmt_float(&b, json_real_value(v), GOFMT_FLOAT_G);
		snprintf(me->text, sizeof(me->text), "%s", buf_str(&b));
		buf_done(&b);
		return me->text;
	}
	return NULL;
}

const char *cairn_layer_get_key(const struct cairn_layer_entry *e, const char *field, const char *key)
{
	const struct field *f;

	if (!e || !key || !(f = find_field(e->section, field)) || f->kind != F_MAP)
		return NULL;
	return json_string_value(json_object_get(json_object_get(e->fields, f->name), key));
}

const char *cairn_layer_get_at(const struct cairn_layer_entry *e, const char *field, size_t i)
{
	const struct field *f;

	if (!e || !(f = find_field(e->section, field)) || f->kind != F_LIST)
		return NULL;
	return json_string_value(json_array_get(json_object_get(e->fields, f->name), i));
}

/* ---- equality ---- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

bool cairn_layer_entry_equal(const struct cairn_layer_entry *a, const struct cairn_layer_entry *b)
{
	if (!a || !b)
		return a == b;
	return a->section == b->section && !strcmp(a->name, b->name) && json_equal(a->fields, b->fields);
}

bool cairn_layer_equal(const struct cairn_layer *a, const struct cairn_layer *b)
{
	if (!a || !b)
		return a == b;
	if (!str_eq(a->summary, b->summary) || !str_eq(a->description, b->description))
		return false;
	for (int s = 0; s < _CAIRN_LAYER_SECTION_MAX; s++) {
		if (a->n[s] != b->n[s])
			return false;
		for (size_t i = 0; i < a->n[s]; i++)
			if (!cairn_layer_entry_equal(a->e[s][i], b->e[s][i]))
				return false;
	}
	return true;
}

/* ---- YAML ---- */

/* A map with its keys sorted (YAML output is deterministic). */
static json_t *sorted_map(json_t *m)
{
	const char **keys = xcalloc(json_object_size(m) + 1, sizeof(char *));
	json_t *out = json_object(), *v;
	const char *k;
	size_t n = 0;

	json_object_foreach(m, k, v)
		keys[n++] = k;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(m, keys[i]));
	free(keys);
	return out;
}

static json_t *entry_json(const struct cairn_layer_entry *e)
{
	json_t *o = json_object();

	for (const struct field *f = sections[e->section].fields; f->name; f++) {
		json_t *v = json_object_get(e->fields, f->name);
		const char *dot = strchr(f->name, '.');

		if (!v)
			continue;
		v = f->kind == F_MAP ? sorted_map(v) : json_incref(v);
		if (dot) {
			char group[32];
			json_t *g;

			snprintf(group, sizeof(group), "%.*s", (int)(dot - f->name), f->name);
			g = json_object_get(o, group);
			if (!g) {
				g = json_object();
				json_object_set_new(o, group, g);
			}
			json_object_set_new(g, dot + 1, v);
		} else {
			json_object_set_new(o, f->name, v);
		}
	}
	return o;
}

char *cairn_layer_to_yaml(const struct cairn_layer *l)
{
	json_t *doc = json_object();
	struct buf out = BUF_INIT;

	if (l->summary)
		json_object_set_new(doc, "summary", json_string(l->summary));
	if (l->description)
		json_object_set_new(doc, "description", json_string(l->description));
	for (int s = 0; s < _CAIRN_LAYER_SECTION_MAX; s++) {
		json_t *sec;

		if (!l->n[s])
			continue;
		sec = json_object();
		for (size_t i = 0; i < l->n[s]; i++)
			json_object_set_new(sec, l->e[s][i]->name, entry_json(l->e[s][i]));
		json_object_set_new(doc, sections[s].yaml, sec);
	}
	buf_init(&out);
	json_to_yaml(&out, doc, 4);
	json_decref(doc);
	return buf_detach(&out);
}

/* A YAML scalar as text (Pebble decodes scalars into string fields). */
static json_t *scalar_text(json_t *v)
{
	struct buf b = BUF_INIT;
	json_t *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_incref(v);
	case JSON_INTEGER:
		return json_sprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		buf_init(&b);
		gofmt_float(&b, json_real_value(v), GOFMT_FLOAT_G);
		s = json_string(buf_str(&b));
		buf_done(&b);
		return s;
	case JSON_TRUE:
		return json_string("true");
	case JSON_FALSE:
		return json_string("false");
	default:
		return NULL;
	}
}

/* One field's YAML value into e.  name is the dotted name. */
static int parse_field(struct cairn_layer_entry *e, const char *name, json_t *v, struct cairn_error *err)
{
	const struct field *f = find_field(e->section, name);
	const char *what = sections[e->section].what;
	json_t *val = NULL, *x;
	const char *k;
	size_t i;
	int r;

	if (!f)
		return sdk_err(err, CAIRN_ERR_INVALID, "%s \"%s\": unknown field \"%s\"", what, e->name, name);
	if (json_is_null(v))
		return 0;
	switch (f->kind) {
	case F_TEXT:
	case F_CHOICE:
	case F_DURATION:
		val = scalar_text(v);
		if (!val)
			goto bad;
		r = check_text(e, f, json_string_value(val), err);
		if (r < 0) {
			json_decref(val);
			return r;
		}
		break;
	case F_INT:
		if (!json_is_integer(v))
			goto bad;
		val = json_incref(v);
		break;
	case F_FLOAT:
		if (!json_is_number(v))
			goto bad;
		val = json_real(json_number_value(v));
		break;
	case F_LIST:
		if (!json_is_array(v))
			goto bad;
		val = json_array();
		json_array_foreach(v, i, x) {
			json_t *t = scalar_text(x);

			if (!t) {
				json_decref(val);
				goto bad;
			}
			json_array_append_new(val, t);
		}
		break;
	case F_MAP:
		if (!json_is_object(v))
			goto bad;
		val = json_object();
		json_object_foreach(v, k, x) {
			json_t *t = json_is_null(x) ? json_string("") : scalar_text(x);

			if (!t) {
				json_decref(val);
				goto bad;
			}
			json_object_set_new(val, k, t);
		}
		break;
	}
	json_object_set_new(e->fields, f->name, val);
	return 0;
bad:
	return sdk_err(err, CAIRN_ERR_INVALID, "%s \"%s\": field \"%s\" has the wrong type", what, e->name, name);
}

static int parse_entry(struct cairn_layer *l, enum cairn_layer_section s, const char *name, json_t *v,
		       struct cairn_error *err)
{
	struct cairn_layer_entry *e;
	const char *k, *k2;
	json_t *x, *x2;
	int r;

	if (!json_is_object(v))
		return sdk_err(err, CAIRN_ERR_INVALID, "%s object cannot be null for %s \"%s\"", sections[s].what,
			       sections[s].what, name);
	e = cairn_layer_add(l, s, name);
	if (!e)
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid %s name \"%s\"", sections[s].what, name);
	json_object_foreach(v, k, x) {
		if (s == CAIRN_LAYER_CHECKS && (!strcmp(k, "http") || !strcmp(k, "tcp") || !strcmp(k, "exec"))) {
			if (json_is_null(x))
				continue;
			if (!json_is_object(x))
				return sdk_err(err, CAIRN_ERR_INVALID, "check \"%s\": \"%s\" must be a mapping", name, k);
			json_object_foreach(x, k2, x2) {
				char dotted[128];

				snprintf(dotted, sizeof(dotted), "%s.%s", k, k2);
				r = parse_field(e, dotted, x2, err);
				if (r < 0)
					return r;
			}
			continue;
		}
		r = parse_field(e, k, x, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cairn_layer_from_yaml(const char *yaml, struct cairn_layer **ret, struct cairn_error *err)
{
	struct cairn_layer *l;
	struct errbuf eb;
	json_t *doc = NULL, *v, *x;
	const char *k, *name;
	int r = 0;

	if (!yaml)
		return sdk_err(err, CAIRN_ERR_INVALID, "no layer YAML");
	if (strlen(yaml) > LAYER_MAX_TEXT)
		return sdk_err(err, CAIRN_ERR_INVALID, "layer YAML larger than %u bytes", LAYER_MAX_TEXT);
	errbuf_clear(&eb);
	if (yaml_to_json(yaml, strlen(yaml), &doc, &eb) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot parse layer: %s", eb.msg);
	if (json_is_null(doc)) {
		json_decref(doc);
		doc = json_object();
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot parse layer: not a mapping");
	}
	l = cairn_layer_new();
	json_object_foreach(doc, k, v) {
		int s;

		if (!strcmp(k, "summary") || !strcmp(k, "description")) {
			json_t *t = json_is_null(v) ? NULL : scalar_text(v);

			if (!json_is_null(v) && !t) {
				r = sdk_err(err, CAIRN_ERR_INVALID, "cannot parse layer: \"%s\" must be text", k);
				break;
			}
			set_text(!strcmp(k, "summary") ? &l->summary : &l->description, json_string_value(t));
			json_decref(t);
			continue;
		}
		for (s = 0; s < _CAIRN_LAYER_SECTION_MAX && strcmp(k, sections[s].yaml); s++)
			;
		if (s == _CAIRN_LAYER_SECTION_MAX) {
			if (in_choices(ignored_sections, k))
				continue;
			r = sdk_err(err, CAIRN_ERR_INVALID, "cannot parse layer: unknown section \"%s\"", k);
			break;
		}
		if (json_is_null(v))
			continue;
		if (!json_is_object(v)) {
			r = sdk_err(err, CAIRN_ERR_INVALID, "cannot parse layer: section \"%s\" must be a mapping", k);
			break;
		}
		json_object_foreach(v, name, x) {
			r = parse_entry(l, (enum cairn_layer_section)s, name, x, err);
			if (r < 0)
				break;
		}
		if (r < 0)
			break;
	}
	json_decref(doc);
	if (r < 0) {
		cairn_layer_free(l);
		return r;
	}
	*ret = l;
	return 0;
}
