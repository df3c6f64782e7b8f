/* layer.c - strict decoding of one layer's YAML and the per-layer validation (§2, §5).
 *
 * Decoding mirrors what Pebble gets from yaml.v3 with KnownFields: every section is
 * decoded on its own (line numbers in its errors are relative to the section, as Pebble
 * re-marshals each section before decoding it), type mismatches are collected and reported
 * together as "yaml: unmarshal errors:\n  line N: ...", while the custom duration and float
 * decoders abort at the first bad value.  Validation runs once the whole layer decoded. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "lib/strnum.h"
#include "plan_internal.h"
#include "yamlnode.h"

#define LDEC_MAX_VISITS 4000000 /* alias expansion budget for one layer */

/* Per-layer validation categories, checked in this order (Pebble's Layer.Validate). */
enum lval { LVAL_SERVICES, LVAL_CHECKS, LVAL_LOG_TARGETS, LVAL_WORKLOADS, LVAL_PAIRING, _LVAL_MAX };

struct ldec {
	int line_base;   /* section-relative lines: line - line_base */
	struct buf terrs; /* collected type errors, each "\n  line N: ..." */
	bool fatal;
	struct errbuf fatal_eb;
	size_t visits;
	bool val_set[_LVAL_MAX];
	struct errbuf val[_LVAL_MAX];
};

static bool ldec_stop(struct ldec *d)
{
	return d->fatal;
}

static void ldec_fatal(struct ldec *d, const char *fmt, const char *arg)
{
	if (d->fatal)
		return;
	d->fatal = true;
	pl_errf(&d->fatal_eb, fmt, arg);
}

static bool ldec_visit(struct ldec *d)
{
	if (++d->visits > LDEC_MAX_VISITS) {
		ldec_fatal(d, "yaml: document contains excessive aliasing%s", "");
		return false;
	}
	return !d->fatal;
}

static int ldec_line(const struct ldec *d, const struct ynode *n)
{
	int l = n->line - d->line_base;

	return l < 1 ? 1 : l;
}

/* yaml.v3's terror(): "line N: cannot unmarshal !!str `abc` into int". */
static void ldec_terror(struct ldec *d, const struct ynode *n, const char *type)
{
	char tagbuf[128];
	const char *tag = ynode_short_tag(n, tagbuf, sizeof(tagbuf));

	buf_addf(&d->terrs, "\n  line %d: cannot unmarshal %s", ldec_line(d, n), tag);
	if (n->kind == YNODE_SCALAR && strcmp(tag, "!!seq") != 0 && strcmp(tag, "!!map") != 0) {
		if (n->len > 10) {
			buf_adds(&d->terrs, " `");
			buf_add(&d->terrs, n->value, 7);
			buf_adds(&d->terrs, "...`");
		} else {
			buf_adds(&d->terrs, " `");
			buf_add(&d->terrs, n->value, n->len);
			buf_adds(&d->terrs, "`");
		}
	}
	buf_addf(&d->terrs, " into %s", type);
}

static void ldec_val(struct ldec *d, enum lval cat, const struct errbuf *e)
{
	if (!d->val_set[cat]) {
		d->val_set[cat] = true;
		d->val[cat] = *e;
	}
}

static bool ldec_is_null(const struct ynode *n)
{
	return !n || (n->kind == YNODE_SCALAR && ynode_resolve(n, NULL, NULL) == YTYPE_NULL);
}

static bool ldec_is_merge(const struct ynode *k)
{
	return k->kind == YNODE_SCALAR && k->len == 2 && memcmp(k->value, "<<", 2) == 0 &&
	       (k->plain || (k->tag && (strcmp(k->tag, "tag:yaml.org,2002:merge") == 0)));
}

/* Duplicate keys: yaml.v3 reports each and skips decoding the mapping. */
static bool ldec_dup_keys(struct ldec *d, const struct ynode *m)
{
	size_t i, j;
	bool dup = false;

	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *a = m->items[i];

		for (j = i + 2; j + 1 < m->n; j += 2) {
			const struct ynode *b = m->items[j];

			if (a->kind == b->kind && a->kind == YNODE_SCALAR && a->len == b->len &&
			    memcmp(a->value, b->value, a->len) == 0) {
				buf_addf(&d->terrs, "\n  line %d: mapping key ", ldec_line(d, b));
				pl_quote(&d->terrs, b->value);
				buf_addf(&d->terrs, " already defined at line %d", ldec_line(d, a));
				dup = true;
			}
		}
	}
	return dup;
}

/* Decodes a mapping key as a string; NULL after a type error. */
static const char *ldec_key(struct ldec *d, const struct ynode *k)
{
	if (!ldec_visit(d))
		return NULL;
	if (k->kind != YNODE_SCALAR) {
		ldec_terror(d, k, "string");
		return NULL;
	}
	if (ldec_is_null(k))
		return "";
	if (strlen(k->value) != k->len) {
		ldec_fatal(d, "yaml: NUL bytes are not supported in keys%s", "");
		return NULL;
	}
	return k->value;
}

/* ======================= Scalar fields ======================= */

/* A string value (of a field, list item or map entry), "" for null; NULL after an error. */
static const char *ldec_str_value(struct ldec *d, const struct ynode *v, const char *type)
{
	if (ldec_is_null(v))
		return "";
	if (v->kind != YNODE_SCALAR) {
		ldec_terror(d, v, type);
		return NULL;
	}
	if (strlen(v->value) != v->len) {
		ldec_fatal(d, "yaml: NUL bytes are not supported in strings%s", "");
		return NULL;
	}
	return v->value;
}

static void ldec_str(struct ldec *d, const struct ynode *v, char **out, const char *type)
{
	const char *str;

	if (!ldec_visit(d))
		return;
	str = ldec_str_value(d, v, type);
	if (str)
		pl_set_str(out, str); /* "" (null) unsets */
}

static bool ldec_int_value(struct ldec *d, const struct ynode *v, int64_t *out)
{
	int64_t i;
	double f;

	if (v->kind == YNODE_SCALAR) {
		switch (ynode_resolve(v, &i, &f)) {
		case YTYPE_INT:
			*out = i;
			return true;
		case YTYPE_FLOAT:
			/* yaml.v3 converts a float into an int field when it fits. */
			if (isfinite(f) && f <= 9.2e18 && f >= -9.2e18) {
				*out = (int64_t)f;
				return true;
			}
			break;
		default:
			break;
		}
	}
	ldec_terror(d, v, "int");
	return false;
}

static void ldec_opt_int(struct ldec *d, const struct ynode *v, struct plan_opt_int *out)
{
	int64_t i;

	if (!ldec_visit(d))
		return;
	if (ldec_is_null(v)) {
		out->set = false;
		out->v = 0;
		return;
	}
	if (ldec_int_value(d, v, &i)) {
		out->set = true;
		out->v = i;
	}
}

static void ldec_int(struct ldec *d, const struct ynode *v, int64_t *out)
{
	int64_t i;

	if (!ldec_visit(d))
		return;
	if (ldec_is_null(v)) {
		*out = 0;
		return;
	}
	if (ldec_int_value(d, v, &i))
		*out = i;
}

static void ldec_dur(struct ldec *d, const struct ynode *v, struct plan_opt_dur *out)
{
	int64_t ns;

	if (!ldec_visit(d))
		return;
	if (ldec_is_null(v)) {
		out->set = false;
		out->ns = 0;
		return;
	}
	if (v->kind != YNODE_SCALAR) {
		ldec_fatal(d, "duration must be a YAML string%s", "");
		return;
	}
	if (strnum_duration(v->value, &ns) < 0) {
		ldec_fatal(d, "invalid duration %q", v->value);
		return;
	}
	out->set = true;
	out->ns = ns;
}

/* Go's strconv.ParseFloat(s, 64): the whole string, no surrounding space; overflow is an
 * error, underflow is not. */
static bool ldec_parse_float(const char *s, double *ret)
{
	char *end;
	double v;

	if (!*s || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end)
		return false;
	if (errno == ERANGE && isinf(v))
		return false;
	*ret = v;
	return true;
}

static void ldec_f64(struct ldec *d, const struct ynode *v, struct plan_opt_f64 *out)
{
	double f;

	if (!ldec_visit(d))
		return;
	if (ldec_is_null(v)) {
		out->set = false;
		out->v = 0;
		return;
	}
	if (v->kind != YNODE_SCALAR) {
		ldec_fatal(d, "value must be a YAML number%s", "");
		return;
	}
	if (!ldec_parse_float(v->value, &f)) {
		ldec_fatal(d, "invalid floating-point number %q", v->value);
		return;
	}
	out->set = true;
	out->v = f;
}

/* ======================= Mappings ======================= */

/* Called for each key of a mapping; returns false when the key is not a known field. */
typedef bool (*ldec_field_fn)(struct ldec *d, const char *key, const struct ynode *v, void *ctx);
/* Decodes one mapping (also each one merged in with "<<"). */
typedef void (*ldec_node_fn)(struct ldec *d, const struct ynode *m, const char *type,
			     ldec_field_fn field, void *ctx);

/* The key walk shared by structs and string maps: a type error unless m is a mapping,
 * duplicate keys reported, merge keys expanded through node(), every other key handed
 * to field(). */
static void ldec_mapping(struct ldec *d, const struct ynode *m, const char *type,
			 ldec_node_fn node, ldec_field_fn field, void *ctx)
{
	size_t i;

	if (m->kind != YNODE_MAP) {
		ldec_terror(d, m, type);
		return;
	}
	if (ldec_dup_keys(d, m))
		return;
	for (i = 0; i + 1 < m->n && !ldec_stop(d); i += 2) {
		const struct ynode *k = m->items[i], *v = m->items[i + 1];
		const char *key;

		if (ldec_is_merge(k)) {
			if (v->kind == YNODE_MAP) {
				node(d, v, type, field, ctx);
			} else if (v->kind == YNODE_SEQ) {
				size_t j;

				for (j = v->n; j > 0; j--)
					node(d, v->items[j - 1], type, field, ctx);
			} else {
				ldec_fatal(d, "map merge requires map or sequence of maps as the value%s", "");
			}
			continue;
		}
		key = ldec_key(d, k);
		if (!key)
			continue;
		if (!field(d, key, v, ctx)) {
			buf_addf(&d->terrs, "\n  line %d: field %s not found in type %s",
				 ldec_line(d, k), key, type);
		}
	}
}

/* ======================= Collections ======================= */

static void ldec_strlist(struct ldec *d, const struct ynode *v, struct plan_strlist *out)
{
	size_t i;

	if (!ldec_visit(d))
		return;
	if (ldec_is_null(v)) {
		pl_strlist_done(out);
		return;
	}
	if (v->kind != YNODE_SEQ) {
		ldec_terror(d, v, "[]string");
		return;
	}
	pl_strlist_done(out);
	for (i = 0; i < v->n && !ldec_stop(d); i++) {
		const char *str;

		if (!ldec_visit(d))
			return;
		str = ldec_str_value(d, v->items[i], "string");
		if (str)
			pl_strlist_push(out, str);
	}
}

struct ldec_strmap_ctx {
	struct plan_strmap *out;
	const char *valtype;
};

static bool ldec_strmap_entry(struct ldec *d, const char *key, const struct ynode *val, void *vctx)
{
	struct ldec_strmap_ctx *c = vctx;
	const char *str;

	if (!ldec_visit(d))
		return true;
	str = ldec_str_value(d, val, c->valtype);
	if (str)
		pl_strmap_set(c->out, key, str);
	return true;
}

static void ldec_strmap_node(struct ldec *d, const struct ynode *v, const char *type,
			     ldec_field_fn field, void *ctx)
{
	struct ldec_strmap_ctx *c = ctx;

	if (!ldec_visit(d))
		return;
	if (ldec_is_null(v)) {
		plan_strmap_done(c->out);
		return;
	}
	ldec_mapping(d, v, type, ldec_strmap_node, field, ctx);
}

static void ldec_strmap(struct ldec *d, const struct ynode *v, struct plan_strmap *out,
			const char *type, const char *valtype)
{
	struct ldec_strmap_ctx c = { out, valtype };

	ldec_strmap_node(d, v, type, ldec_strmap_entry, &c);
}

/* ======================= Structs ======================= */

/* Decodes a struct-like mapping: calls field(d, key, value, ctx) for each key, expanding
 * merge keys; unknown keys are reported as yaml.v3 does with KnownFields. */
static void ldec_struct(struct ldec *d, const struct ynode *m, const char *type,
			ldec_field_fn field, void *ctx)
{
	if (!ldec_visit(d))
		return;
	ldec_mapping(d, m, type, ldec_struct, field, ctx);
}

static enum plan_override ldec_override(const char *s)
{
	if (!s)
		return PLAN_OVERRIDE_UNSET;
	if (strcmp(s, "merge") == 0)
		return PLAN_OVERRIDE_MERGE;
	if (strcmp(s, "replace") == 0)
		return PLAN_OVERRIDE_REPLACE;
	return PLAN_OVERRIDE_INVALID;
}

/* A struct described by a field table (plan_internal.h). */
struct ldec_obj {
	const struct pl_fields *f;
	void *obj;
};

static bool ldec_obj_field(struct ldec *d, const char *key, const struct ynode *v, void *ctx);

/* Decodes key into the field of o that has it; false when there is no such field.
 * PL_T_ENUM fields are left to the entry's own code, which keeps the raw value for
 * validation. */
static bool ldec_fields(struct ldec *d, const struct ldec_obj *o, const char *key,
			const struct ynode *v)
{
	const struct pl_field *fl = NULL;
	void *p;
	size_t i;

	for (i = 0; i < o->f->n && !fl; i++)
		if (o->f->v[i].key && strcmp(o->f->v[i].key, key) == 0)
			fl = &o->f->v[i];
	if (!fl)
		return false;
	p = pl_field_ptr(fl, o->obj);
	switch (fl->type) {
	case PL_T_STR:
		ldec_str(d, v, p, fl->go_type ? fl->go_type : "string");
		break;
	case PL_T_LIST:
		ldec_strlist(d, v, p);
		break;
	case PL_T_MAP:
		ldec_strmap(d, v, p, fl->go_type ? fl->go_type : "map[string]string",
			    fl->go_valtype ? fl->go_valtype : "string");
		break;
	case PL_T_OPT_INT:
		ldec_opt_int(d, v, p);
		break;
	case PL_T_OPT_DUR:
		ldec_dur(d, v, p);
		break;
	case PL_T_OPT_F64:
		ldec_f64(d, v, p);
		break;
	case PL_T_INT:
		ldec_int(d, v, p);
		break;
	case PL_T_OVERRIDE: {
		char *raw = NULL;

		ldec_str(d, v, &raw, "plan.Override");
		*(enum plan_override *)p = ldec_override(raw);
		free(raw);
		break;
	}
	case PL_T_SUB: {
		struct ldec_obj sub = { fl->aux, NULL };
		void **subp = p;

		if (!ldec_visit(d) || ldec_is_null(v))
			break;
		if (!*subp)
			*subp = xcalloc(1, sub.f->size);
		sub.obj = *subp;
		ldec_struct(d, v, fl->go_type, ldec_obj_field, &sub);
		break;
	}
	case PL_T_ENUM:
	case PL_T_RAW:
		return false;
	}
	return true;
}

static bool ldec_obj_field(struct ldec *d, const char *key, const struct ynode *v, void *ctx)
{
	return ldec_fields(d, ctx, key, v);
}

/* --- services --- */

struct svc_ctx {
	struct plan_service *s;
	char *on_success, *on_failure; /* raw values, validated afterwards */
};

static bool svc_field(struct ldec *d, const char *key, const struct ynode *v, void *vctx)
{
	struct svc_ctx *c = vctx;
	struct ldec_obj o = { pl_section_defs[PL_SEC_SERVICES].fields, c->s };

	if (strcmp(key, "on-success") == 0)
		ldec_str(d, v, &c->on_success, "plan.ServiceAction");
	else if (strcmp(key, "on-failure") == 0)
		ldec_str(d, v, &c->on_failure, "plan.ServiceAction");
	else
		return ldec_fields(d, &o, key, v);
	return true;
}

/* validServiceAction: "", restart, shutdown, ignore, plus one context-specific action. */
static bool svc_action_ok(const char *a, enum plan_action extra)
{
	enum plan_action x = plan_action_from_name(a);

	if (!a)
		return true;
	return x == PLAN_ACTION_RESTART || x == PLAN_ACTION_SHUTDOWN || x == PLAN_ACTION_IGNORE ||
	       (x != PLAN_ACTION_UNSET && x == extra);
}

/* Pebble's per-service checks, in its order. */
static int svc_validate(const char *name, struct svc_ctx *c, struct errbuf *eb)
{
	size_t i;

	if (!*name)
		return pl_errf(eb, "cannot use empty string as service name");
	if (strcmp(name, "pebble") == 0)
		return pl_errf(eb, "cannot use reserved service name %q", name);
	if (name[0] == '-')
		return pl_errf(eb, "cannot use service name %q: starting with \"-\" not allowed", name);
	if (!c->s)
		return pl_errf(eb, "service object cannot be null for service %q", name);
	if (pl_check_service_command(name, c->s->command, eb) < 0)
		return -EINVAL;
	if (!svc_action_ok(c->on_success, PLAN_ACTION_FAILURE_SHUTDOWN))
		return pl_errf(eb, "plan service %q on-success action %q invalid", name, c->on_success);
	if (!svc_action_ok(c->on_failure, PLAN_ACTION_SUCCESS_SHUTDOWN))
		return pl_errf(eb, "plan service %q on-failure action %q invalid", name, c->on_failure);
	for (i = 0; i < c->s->on_check_failure.n; i++) {
		const char *a = c->s->on_check_failure.v[i].val;

		if (!svc_action_ok(*a ? a : NULL, PLAN_ACTION_SUCCESS_SHUTDOWN))
			return pl_errf(eb, "plan service %q on-check-failure action %q invalid", name, a);
	}
	if (c->s->backoff_factor.set && c->s->backoff_factor.v < 1)
		return pl_errf(eb, "plan service %q backoff-factor must be 1.0 or greater, not %g", name,
			       c->s->backoff_factor.v);
	return 0;
}

static void *ldec_service(struct ldec *d, const char *name, const struct ynode *v)
{
	struct svc_ctx c;
	struct errbuf e;

	memset(&c, 0, sizeof(c));
	if (!ldec_is_null(v)) {
		c.s = pl_obj_new(pl_section_defs[PL_SEC_SERVICES].fields, name);
		ldec_struct(d, v, "plan.Service", svc_field, &c);
		c.s->on_success = plan_action_from_name(c.on_success);
		c.s->on_failure = plan_action_from_name(c.on_failure);
	}
	if (svc_validate(name, &c, &e) < 0)
		ldec_val(d, LVAL_SERVICES, &e);
	free(c.on_success);
	free(c.on_failure);
	return c.s;
}

/* --- checks --- */

struct chk_ctx {
	struct plan_check *c;
	char *level, *startup; /* raw values, validated afterwards */
};

static bool chk_field(struct ldec *d, const char *key, const struct ynode *v, void *vctx)
{
	struct chk_ctx *cc = vctx;
	struct ldec_obj o = { pl_section_defs[PL_SEC_CHECKS].fields, cc->c };

	if (strcmp(key, "level") == 0)
		ldec_str(d, v, &cc->level, "plan.CheckLevel");
	else if (strcmp(key, "startup") == 0)
		ldec_str(d, v, &cc->startup, "plan.CheckStartup");
	else
		return ldec_fields(d, &o, key, v);
	return true;
}

static int chk_validate(const char *name, struct chk_ctx *cc, struct errbuf *eb)
{
	struct plan_check *c = cc->c;
	struct errbuf e;
	char **argv = NULL;

	if (!*name)
		return pl_errf(eb, "cannot use empty string as check name");
	if (!c)
		return pl_errf(eb, "check object cannot be null for check %q", name);
	if (cc->level && strcmp(cc->level, "alive") != 0 && strcmp(cc->level, "ready") != 0)
		return pl_errf(eb, "plan check %q level must be \"alive\" or \"ready\"", name);
	if (cc->startup && strcmp(cc->startup, "enabled") != 0 && strcmp(cc->startup, "disabled") != 0)
		return pl_errf(eb, "plan check %q startup must be \"enabled\" or \"disabled\"", name);
	if (c->period.set && c->period.ns == 0)
		return pl_errf(eb, "plan check %q period must not be zero", name);
	if (c->timeout.set && c->timeout.ns == 0)
		return pl_errf(eb, "plan check %q timeout must not be zero", name);
	if (c->exec) {
		if (command_split(c->exec->command ? c->exec->command : "", &argv, NULL, &e) < 0)
			return pl_errf(eb, "plan check %q command invalid: %s", name, e.msg);
		command_argv_free(argv);
		if (pl_normalize_ids(&c->exec->user_id, &c->exec->group_id, c->exec->user,
				     c->exec->group, &e) < 0)
			return pl_errf(eb, "plan check %q has invalid user/group: %s", name, e.msg);
	}
	return 0;
}

static void *ldec_check(struct ldec *d, const char *name, const struct ynode *v)
{
	struct chk_ctx cc;
	struct errbuf e;

	memset(&cc, 0, sizeof(cc));
	if (!ldec_is_null(v)) {
		cc.c = pl_obj_new(pl_section_defs[PL_SEC_CHECKS].fields, name);
		ldec_struct(d, v, "plan.Check", chk_field, &cc);
		if (cc.level)
			cc.c->level = strcmp(cc.level, "alive") == 0   ? PLAN_LEVEL_ALIVE
				      : strcmp(cc.level, "ready") == 0 ? PLAN_LEVEL_READY
								       : PLAN_LEVEL_UNSET;
		if (cc.startup)
			cc.c->startup = strcmp(cc.startup, "enabled") == 0 ? PLAN_CHECK_STARTUP_ENABLED
					: strcmp(cc.startup, "disabled") == 0
						? PLAN_CHECK_STARTUP_DISABLED
						: PLAN_CHECK_STARTUP_UNSET;
	}
	/* Validation does user lookups, so skip it once decoding failed anyway. */
	if (!d->fatal && d->terrs.len == 0 && chk_validate(name, &cc, &e) < 0)
		ldec_val(d, LVAL_CHECKS, &e);
	free(cc.level);
	free(cc.startup);
	return cc.c;
}

/* --- log targets --- */

static bool lt_type_ok(const char *t)
{
	return !t || strcmp(t, "loki") == 0 || strcmp(t, "opentelemetry") == 0 ||
	       strcmp(t, "syslog") == 0;
}

static void *ldec_log_target(struct ldec *d, const char *name, const struct ynode *v)
{
	struct plan_log_target *t = NULL;
	struct errbuf e;
	size_t i;

	if (!ldec_is_null(v)) {
		struct ldec_obj o = { pl_section_defs[PL_SEC_LOG_TARGETS].fields, NULL };

		t = o.obj = pl_obj_new(o.f, name);
		ldec_struct(d, v, "plan.LogTarget", ldec_obj_field, &o);
	}
	if (!t) {
		pl_errf(&e, "log target object cannot be null for log target %q", name);
		ldec_val(d, LVAL_LOG_TARGETS, &e);
		return NULL;
	}
	for (i = 0; i < t->labels.n; i++) {
		if (strncmp(t->labels.v[i].key, "pebble_", 7) == 0) {
			pl_errf(&e, "log target %q: label %q uses reserved prefix \"pebble_\"", name,
				t->labels.v[i].key);
			ldec_val(d, LVAL_LOG_TARGETS, &e);
			return t;
		}
	}
	if (!lt_type_ok(t->type)) {
		pl_errf(&e,
			"log target %q has unsupported type %q, must be \"loki\", \"opentelemetry\" or \"syslog\"",
			name, t->type);
		ldec_val(d, LVAL_LOG_TARGETS, &e);
	}
	return t;
}

/* --- workloads (extension) --- */

/* The workload keeps a bad override's raw value for the combining step's message. */
static bool wl_field(struct ldec *d, const char *key, const struct ynode *v, void *ctx)
{
	struct ldec_obj *o = ctx;
	struct plan_workload *w = o->obj;
	char *raw = NULL;

	if (strcmp(key, "override") != 0)
		return ldec_fields(d, o, key, v);
	ldec_str(d, v, &raw, "plan.Override");
	w->override = ldec_override(raw);
	free(w->override_raw);
	w->override_raw = w->override == PLAN_OVERRIDE_INVALID ? raw : NULL;
	if (w->override != PLAN_OVERRIDE_INVALID)
		free(raw);
	return true;
}

static void *ldec_workload(struct ldec *d, const char *name, const struct ynode *v)
{
	struct ldec_obj o = { pl_section_defs[PL_SEC_WORKLOADS].fields, NULL };
	struct errbuf e;

	if (!ldec_is_null(v)) {
		o.obj = pl_obj_new(o.f, name);
		ldec_struct(d, v, "workloads.Workload", wl_field, &o);
	}
	if (!o.obj) {
		pl_errf(&e, "workload %q: cannot have a null value", name);
		ldec_val(d, LVAL_WORKLOADS, &e);
	} else if (!*name) {
		pl_errf(&e, "workload %q: cannot have an empty name", name);
		ldec_val(d, LVAL_WORKLOADS, &e);
	}
	return o.obj;
}

/* ======================= Sections ======================= */

/* How each entry section decodes: its Go map type and its entry decoder, which also runs
 * the entry's per-layer validation.  An entry decoder returns NULL for a null entry. */
struct ldec_section_def {
	const char *go_type;
	void *(*entry)(struct ldec *d, const char *name, const struct ynode *v);
};

static const struct ldec_section_def ldec_section_defs[_PL_SEC_MAX] = {
	[PL_SEC_SERVICES] = { "map[string]*plan.Service", ldec_service },
	[PL_SEC_CHECKS] = { "map[string]*plan.Check", ldec_check },
	[PL_SEC_LOG_TARGETS] = { "map[string]*plan.LogTarget", ldec_log_target },
	[PL_SEC_WORKLOADS] = { "workloads.WorkloadsSection", ldec_workload },
};

/* Decodes a map of name -> entry into section k of s (null entries are dropped after
 * validation recorded them). */
static int ldec_entries(struct ldec *d, const struct ynode *v, enum pl_sec k,
			struct plan_sections *s)
{
	const struct pl_section *sec = &pl_section_defs[k];
	void ***arr = pl_sec_arr(s, sec);
	size_t *n = pl_sec_n(s, sec), i;

	if (!ldec_visit(d))
		return 0;
	if (ldec_is_null(v))
		return 0;
	if (v->kind != YNODE_MAP) {
		ldec_terror(d, v, ldec_section_defs[k].go_type);
		return 0;
	}
	if (v->n / 2 > PLAN_MAX_ENTRIES)
		return -E2BIG;
	if (ldec_dup_keys(d, v))
		return 0;
	for (i = 0; i + 1 < v->n && !ldec_stop(d); i += 2) {
		const char *name = ldec_key(d, v->items[i]);
		void *e;

		if (!name)
			continue;
		e = ldec_section_defs[k].entry(d, name, v->items[i + 1]);
		if (!e)
			continue;
		if (!ldec_visit(d)) {
			pl_obj_free(sec->fields, e, true);
			return 0;
		}
		*arr = xrealloc(*arr, (*n + 1) * sizeof(void *));
		(*arr)[(*n)++] = e;
	}
	return 0;
}

static bool pairing_field(struct ldec *d, const char *key, const struct ynode *v, void *ctx)
{
	struct plan_pairing *p = ctx;

	if (strcmp(key, "mode") != 0)
		return false;
	ldec_str(d, v, &p->mode, "pairingstate.Mode");
	return true;
}

/* Finishes one section: a decode failure becomes the layer's error. */
static int ldec_section_result(struct ldec *d, const char *label, const char *section, int r,
			       struct errbuf *eb)
{
	const char *msg;
	struct buf b = BUF_INIT;

	if (r == -E2BIG) {
		pl_errf(eb, "cannot parse layer %q section %q: more than %d entries", label, section,
			PLAN_MAX_ENTRIES);
		return -E2BIG;
	}
	if (!d->fatal && d->terrs.len == 0)
		return 0;
	if (d->fatal) {
		msg = d->fatal_eb.msg;
		buf_adds(&b, msg);
	} else {
		buf_adds(&b, "yaml: unmarshal errors:");
		buf_add(&b, d->terrs.data, d->terrs.len);
	}
	if (strcmp(section, "workloads") == 0)
		pl_errf(eb, "cannot parse the \"workloads\" section: %s", buf_str(&b));
	else if (strcmp(section, "pairing") == 0)
		pl_errf(eb, "cannot parse the pairing section: %s", buf_str(&b));
	else
		pl_errf(eb, "cannot parse layer %q section %q: %s", label, section, buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

static int ldec_section(struct ldec *d, struct plan_layer *l, const char *section,
			const struct ynode *v, struct errbuf *eb)
{
	struct plan_sections *s = &l->s;
	int r = 0, k;

	d->line_base = v->line - 1;
	buf_reset(&d->terrs);
	d->fatal = false;
	for (k = 0; k < _PL_SEC_MAX; k++)
		if (strcmp(section, pl_section_defs[k].key) == 0)
			return ldec_section_result(d, l->label, section,
						   ldec_entries(d, v, (enum pl_sec)k, s), eb);
	if (strcmp(section, "summary") == 0) {
		ldec_str(d, v, &l->summary, "string");
	} else if (strcmp(section, "description") == 0) {
		ldec_str(d, v, &l->description, "string");
	} else if (strcmp(section, "pairing") == 0) {
		/* Pebble decodes the pairing section only when it has content. */
		if (!s->pairing)
			s->pairing = xcalloc(1, sizeof(*s->pairing));
		if (v->kind != YNODE_SCALAR && v->n > 0)
			ldec_struct(d, v, "pairingstate.PairingConfig", pairing_field, s->pairing);
		if (s->pairing->mode && strcmp(s->pairing->mode, "disabled") != 0 &&
		    strcmp(s->pairing->mode, "single") != 0 &&
		    strcmp(s->pairing->mode, "multiple") != 0) {
			struct errbuf e;

			pl_errf(&e, "invalid pairing mode %q: should be \"disabled\", \"single\" or \"multiple\"",
				s->pairing->mode);
			ldec_val(d, LVAL_PAIRING, &e);
		}
	} else {
		return pl_errf(eb, "cannot parse layer %q: unknown section %q", l->label, section);
	}
	return ldec_section_result(d, l->label, section, r, eb);
}

static int ldec_top_error(const char *label, struct ldec *d, struct errbuf *eb)
{
	pl_errf(eb, "cannot parse layer %q: yaml: unmarshal errors:%s", label, buf_str(&d->terrs));
	return -EINVAL;
}

int plan_layer_parse(const char *label, int order, const char *yaml, size_t len,
		     struct plan_layer **ret, struct errbuf *eb)
{
	struct plan_layer *l = NULL;
	struct ynode *root = NULL;
	struct ldec d;
	struct errbuf e;
	size_t i;
	int r, c;

	memset(&d, 0, sizeof(d));
	buf_init(&d.terrs);
	if (len > PLAN_MAX_LAYER_BYTES) {
		pl_errf(eb, "cannot parse layer %q: layer is larger than %d bytes", label,
			PLAN_MAX_LAYER_BYTES);
		r = -E2BIG;
		goto out;
	}
	r = ynode_parse(yaml, len, &root, &e);
	if (r < 0) {
		pl_errf(eb, "cannot parse layer %q: %s", label, e.msg);
		goto out;
	}
	l = xcalloc(1, sizeof(*l));
	l->label = xstrdup(label);
	l->order = order;
	if (root && !ldec_is_null(root)) {
		if (root->kind != YNODE_MAP) {
			ldec_terror(&d, root, "map[string]yaml.Node");
			r = ldec_top_error(label, &d, eb);
			goto out;
		}
		if (ldec_dup_keys(&d, root)) {
			r = ldec_top_error(label, &d, eb);
			goto out;
		}
		for (i = 0; i + 1 < root->n; i += 2) {
			const char *key = ldec_key(&d, root->items[i]);

			if (!key) {
				r = d.fatal ? pl_errf(eb, "cannot parse layer %q: %s", label, d.fatal_eb.msg)
					    : ldec_top_error(label, &d, eb);
				goto out;
			}
		}
		for (i = 0; i + 1 < root->n; i += 2) {
			r = ldec_section(&d, l, root->items[i]->value, root->items[i + 1], eb);
			if (r < 0)
				goto out;
		}
	}
	if (strncmp(label, PLAN_RESERVED_LABEL_PREFIX, strlen(PLAN_RESERVED_LABEL_PREFIX)) == 0) {
		r = pl_errf(eb, "cannot use reserved label prefix \"pebble-\"");
		goto out;
	}
	for (c = 0; c < _LVAL_MAX; c++) {
		if (d.val_set[c]) {
			errbuf_set(eb, "%s", d.val[c].msg);
			r = -EINVAL;
			goto out;
		}
	}
	pl_sections_sort(&l->s);
	*ret = l;
	l = NULL;
	r = 0;
out:
	buf_done(&d.terrs);
	ynode_unref(root);
	plan_layer_free(l);
	return r;
}
