/* plan.c - entries, combining layers, defaults, combined-plan validation and run-time
 * layer additions (§4, §5, §6). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "plan_internal.h"

/* ======================= Names ======================= */

static const char *const plan_override_names[_PLAN_OVERRIDE_MAX] = {
	[PLAN_OVERRIDE_UNSET] = "",
	[PLAN_OVERRIDE_MERGE] = "merge",
	[PLAN_OVERRIDE_REPLACE] = "replace",
	[PLAN_OVERRIDE_INVALID] = "",
};

static const char *const plan_action_names[_PLAN_ACTION_MAX] = {
	[PLAN_ACTION_UNSET] = "",
	[PLAN_ACTION_RESTART] = "restart",
	[PLAN_ACTION_SHUTDOWN] = "shutdown",
	[PLAN_ACTION_FAILURE_SHUTDOWN] = "failure-shutdown",
	[PLAN_ACTION_SUCCESS_SHUTDOWN] = "success-shutdown",
	[PLAN_ACTION_IGNORE] = "ignore",
};

static const char *const plan_level_names[_PLAN_LEVEL_MAX] = {
	[PLAN_LEVEL_UNSET] = "",
	[PLAN_LEVEL_ALIVE] = "alive",
	[PLAN_LEVEL_READY] = "ready",
};

static const char *const plan_check_startup_names[_PLAN_CHECK_STARTUP_MAX] = {
	[PLAN_CHECK_STARTUP_UNSET] = "",
	[PLAN_CHECK_STARTUP_ENABLED] = "enabled",
	[PLAN_CHECK_STARTUP_DISABLED] = "disabled",
};

const char *plan_override_name(enum plan_override o)
{
	return o >= 0 && o < _PLAN_OVERRIDE_MAX ? plan_override_names[o] : "";
}

const char *plan_action_name(enum plan_action a)
{
	return a >= 0 && a < _PLAN_ACTION_MAX ? plan_action_names[a] : "";
}

enum plan_action plan_action_from_name(const char *name)
{
	int i;

	if (!name || !*name)
		return PLAN_ACTION_UNSET;
	for (i = 1; i < _PLAN_ACTION_MAX; i++)
		if (strcmp(plan_action_names[i], name) == 0)
			return (enum plan_action)i;
	return PLAN_ACTION_UNSET;
}

const char *plan_check_level_name(enum plan_check_level l)
{
	return l >= 0 && l < _PLAN_LEVEL_MAX ? plan_level_names[l] : "";
}

const char *plan_check_startup_name(enum plan_check_startup s)
{
	return s >= 0 && s < _PLAN_CHECK_STARTUP_MAX ? plan_check_startup_names[s] : "";
}

/* ======================= Field tables ======================= */

_Static_assert(sizeof(enum plan_override) == sizeof(int) && sizeof(enum plan_action) == sizeof(int) &&
		       sizeof(enum plan_check_level) == sizeof(int) &&
		       sizeof(enum plan_check_startup) == sizeof(int),
	       "PL_T_OVERRIDE and PL_T_ENUM fields are accessed as int");

#define PL_FIELD(st, k, t, m) { .key = (k), .type = (t), .off = offsetof(st, m) }

#define SVC(k, t, m) PL_FIELD(struct plan_service, k, t, m)
static const struct pl_field pl_service_fieldv[] = {
	SVC("summary", PL_T_STR, summary),
	SVC("description", PL_T_STR, description),
	{ .key = "startup", .type = PL_T_STR, .off = offsetof(struct plan_service, startup),
	  .go_type = "plan.ServiceStartup" },
	SVC("override", PL_T_OVERRIDE, override),
	SVC("command", PL_T_STR, command),
	SVC("after", PL_T_LIST, after),
	SVC("before", PL_T_LIST, before),
	SVC("requires", PL_T_LIST, requires),
	SVC("workload", PL_T_STR, workload),
	SVC("environment", PL_T_MAP, environment),
	SVC("user-id", PL_T_OPT_INT, user_id),
	SVC("user", PL_T_STR, user),
	SVC("group-id", PL_T_OPT_INT, group_id),
	SVC("group", PL_T_STR, group),
	SVC("working-dir", PL_T_STR, working_dir),
	{ .key = "on-success", .type = PL_T_ENUM, .off = offsetof(struct plan_service, on_success),
	  .aux = plan_action_names },
	{ .key = "on-failure", .type = PL_T_ENUM, .off = offsetof(struct plan_service, on_failure),
	  .aux = plan_action_names },
	{ .key = "on-check-failure", .type = PL_T_MAP,
	  .off = offsetof(struct plan_service, on_check_failure),
	  .go_type = "map[string]plan.ServiceAction", .go_valtype = "plan.ServiceAction" },
	SVC("backoff-delay", PL_T_OPT_DUR, backoff_delay),
	SVC("backoff-factor", PL_T_OPT_F64, backoff_factor),
	SVC("backoff-limit", PL_T_OPT_DUR, backoff_limit),
	SVC("kill-delay", PL_T_OPT_DUR, kill_delay),
};
#undef SVC

static const struct pl_field pl_http_fieldv[] = {
	PL_FIELD(struct plan_http_check, "url", PL_T_STR, url),
	PL_FIELD(struct plan_http_check, "headers", PL_T_MAP, headers),
};

static const struct pl_field pl_tcp_fieldv[] = {
	PL_FIELD(struct plan_tcp_check, "port", PL_T_INT, port),
	PL_FIELD(struct plan_tcp_check, "host", PL_T_STR, host),
};

#define EXEC(k, t, m) PL_FIELD(struct plan_exec_check, k, t, m)
static const struct pl_field pl_exec_fieldv[] = {
	EXEC("command", PL_T_STR, command),
	EXEC("service-context", PL_T_STR, service_context),
	EXEC("environment", PL_T_MAP, environment),
	EXEC("user-id", PL_T_OPT_INT, user_id),
	EXEC("user", PL_T_STR, user),
	EXEC("group-id", PL_T_OPT_INT, group_id),
	EXEC("group", PL_T_STR, group),
	EXEC("working-dir", PL_T_STR, working_dir),
};
#undef EXEC

#define PL_FIELDS(st, v) { (v), sizeof(v) / sizeof((v)[0]), sizeof(st) }

static const struct pl_fields pl_http_fields = PL_FIELDS(struct plan_http_check, pl_http_fieldv);
static const struct pl_fields pl_tcp_fields = PL_FIELDS(struct plan_tcp_check, pl_tcp_fieldv);
static const struct pl_fields pl_exec_fields = PL_FIELDS(struct plan_exec_check, pl_exec_fieldv);

#define CHK(k, t, m) PL_FIELD(struct plan_check, k, t, m)
static const struct pl_field pl_check_fieldv[] = {
	CHK("override", PL_T_OVERRIDE, override),
	{ .key = "level", .type = PL_T_ENUM, .off = offsetof(struct plan_check, level),
	  .aux = plan_level_names },
	{ .key = "startup", .type = PL_T_ENUM, .off = offsetof(struct plan_check, startup),
	  .aux = plan_check_startup_names },
	CHK("period", PL_T_OPT_DUR, period),
	CHK("timeout", PL_T_OPT_DUR, timeout),
	CHK("threshold", PL_T_INT, threshold),
	{ .key = "http", .type = PL_T_SUB, .off = offsetof(struct plan_check, http),
	  .go_type = "plan.HTTPCheck", .aux = &pl_http_fields },
	{ .key = "tcp", .type = PL_T_SUB, .off = offsetof(struct plan_check, tcp),
	  .go_type = "plan.TCPCheck", .aux = &pl_tcp_fields },
	{ .key = "exec", .type = PL_T_SUB, .off = offsetof(struct plan_check, exec),
	  .go_type = "plan.ExecCheck", .aux = &pl_exec_fields },
};
#undef CHK

/* type, location and services have no omitempty in Pebble's LogTarget. */
static const struct pl_field pl_log_target_fieldv[] = {
	{ .key = "type", .type = PL_T_STR, .off = offsetof(struct plan_log_target, type),
	  .flags = PL_F_ALWAYS, .go_type = "plan.LogTargetType" },
	{ .key = "location", .type = PL_T_STR, .off = offsetof(struct plan_log_target, location),
	  .flags = PL_F_ALWAYS },
	{ .key = "services", .type = PL_T_LIST, .off = offsetof(struct plan_log_target, services),
	  .flags = PL_F_ALWAYS },
	PL_FIELD(struct plan_log_target, "override", PL_T_OVERRIDE, override),
	PL_FIELD(struct plan_log_target, "labels", PL_T_MAP, labels),
};

#define WL(k, t, m) PL_FIELD(struct plan_workload, k, t, m)
static const struct pl_field pl_workload_fieldv[] = {
	WL("override", PL_T_OVERRIDE, override),
	WL(NULL, PL_T_RAW, override_raw),
	WL("environment", PL_T_MAP, environment),
	WL("user-id", PL_T_OPT_INT, user_id),
	WL("user", PL_T_STR, user),
	WL("group-id", PL_T_OPT_INT, group_id),
	WL("group", PL_T_STR, group),
};
#undef WL

static const struct pl_fields pl_service_fields = PL_FIELDS(struct plan_service, pl_service_fieldv);
static const struct pl_fields pl_check_fields = PL_FIELDS(struct plan_check, pl_check_fieldv);
static const struct pl_fields pl_log_target_fields =
	PL_FIELDS(struct plan_log_target, pl_log_target_fieldv);
static const struct pl_fields pl_workload_fields = PL_FIELDS(struct plan_workload, pl_workload_fieldv);

#define PL_SECTION(k, w, arr, n, st, fields)                                                     \
	{ (k), (w), offsetof(struct plan_sections, arr), offsetof(struct plan_sections, n),      \
	  offsetof(st, override), &(fields) }

const struct pl_section pl_section_defs[_PL_SEC_MAX] = {
	[PL_SEC_SERVICES] = PL_SECTION("services", "service", services, n_services,
				       struct plan_service, pl_service_fields),
	[PL_SEC_CHECKS] = PL_SECTION("checks", "check", checks, n_checks, struct plan_check,
				     pl_check_fields),
	[PL_SEC_LOG_TARGETS] = PL_SECTION("log-targets", "log target", log_targets, n_log_targets,
					  struct plan_log_target, pl_log_target_fields),
	[PL_SEC_WORKLOADS] = PL_SECTION("workloads", "workload", workloads, n_workloads,
					struct plan_workload, pl_workload_fields),
};

void *pl_field_ptr(const struct pl_field *fl, void *obj)
{
	return (char *)obj + fl->off;
}

const void *pl_field_cptr(const struct pl_field *fl, const void *obj)
{
	return (const char *)obj + fl->off;
}

void ***pl_sec_arr(struct plan_sections *s, const struct pl_section *sec)
{
	return (void ***)((char *)s + sec->arr_off);
}

size_t *pl_sec_n(struct plan_sections *s, const struct pl_section *sec)
{
	return (size_t *)((char *)s + sec->n_off);
}

void *const *pl_sec_carr(const struct plan_sections *s, const struct pl_section *sec)
{
	return *(void *const *const *)((const char *)s + sec->arr_off);
}

size_t pl_sec_cn(const struct plan_sections *s, const struct pl_section *sec)
{
	return *(const size_t *)((const char *)s + sec->n_off);
}

/* ======================= Generic entries ======================= */

void *pl_obj_new(const struct pl_fields *f, const char *name)
{
	void *obj = xcalloc(1, f->size);

	*(char **)obj = xstrdup(name);
	return obj;
}

void pl_obj_free(const struct pl_fields *f, void *obj, bool named)
{
	size_t i;

	if (!obj)
		return;
	if (named)
		free(*(char **)obj);
	for (i = 0; i < f->n; i++) {
		const struct pl_field *fl = &f->v[i];
		void *p = pl_field_ptr(fl, obj);

		switch (fl->type) {
		case PL_T_STR:
		case PL_T_RAW:
			free(*(char **)p);
			break;
		case PL_T_LIST:
			pl_strlist_done(p);
			break;
		case PL_T_MAP:
			plan_strmap_done(p);
			break;
		case PL_T_SUB:
			pl_obj_free(fl->aux, *(void **)p, false);
			break;
		default:
			break;
		}
	}
	free(obj);
}

void *pl_obj_dup(const struct pl_fields *f, const void *obj, bool named)
{
	void *d;
	size_t i;

	if (!obj)
		return NULL;
	d = xcalloc(1, f->size);
	if (named)
		*(char **)d = xstrdup(*(char *const *)obj);
	for (i = 0; i < f->n; i++) {
		const struct pl_field *fl = &f->v[i];
		const void *s = pl_field_cptr(fl, obj);
		void *p = pl_field_ptr(fl, d);

		switch (fl->type) {
		case PL_T_STR:
			*(char **)p = pl_strdup_or_null(*(char *const *)s);
			break;
		case PL_T_RAW:
			*(char **)p = *(char *const *)s ? xstrdup(*(char *const *)s) : NULL;
			break;
		case PL_T_LIST:
			pl_strlist_dup(p, s);
			break;
		case PL_T_MAP:
			pl_strmap_dup(p, s);
			break;
		case PL_T_OPT_INT:
			*(struct plan_opt_int *)p = *(const struct plan_opt_int *)s;
			break;
		case PL_T_OPT_DUR:
			*(struct plan_opt_dur *)p = *(const struct plan_opt_dur *)s;
			break;
		case PL_T_OPT_F64:
			*(struct plan_opt_f64 *)p = *(const struct plan_opt_f64 *)s;
			break;
		case PL_T_INT:
			*(int64_t *)p = *(const int64_t *)s;
			break;
		case PL_T_OVERRIDE:
		case PL_T_ENUM:
			*(int *)p = *(const int *)s;
			break;
		case PL_T_SUB:
			*(void **)p = pl_obj_dup(fl->aux, *(void *const *)s, false);
			break;
		}
	}
	return d;
}

/* Service.Merge, Check.Merge, ... (§2): scalars replaced if set, lists appended, maps
 * merged by key, sub-objects merged field by field; the override is the layer's own. */
void pl_obj_merge(const struct pl_fields *f, void *dst, const void *src)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		const struct pl_field *fl = &f->v[i];
		const void *s = pl_field_cptr(fl, src);
		void *p = pl_field_ptr(fl, dst);

		switch (fl->type) {
		case PL_T_STR:
			if (*(char *const *)s)
				pl_set_str(p, *(char *const *)s);
			break;
		case PL_T_LIST:
			pl_strlist_extend(p, s);
			break;
		case PL_T_MAP:
			pl_strmap_merge(p, s);
			break;
		case PL_T_OPT_INT:
			if (((const struct plan_opt_int *)s)->set)
				*(struct plan_opt_int *)p = *(const struct plan_opt_int *)s;
			break;
		case PL_T_OPT_DUR:
			if (((const struct plan_opt_dur *)s)->set)
				*(struct plan_opt_dur *)p = *(const struct plan_opt_dur *)s;
			break;
		case PL_T_OPT_F64:
			if (((const struct plan_opt_f64 *)s)->set)
				*(struct plan_opt_f64 *)p = *(const struct plan_opt_f64 *)s;
			break;
		case PL_T_INT:
			if (*(const int64_t *)s)
				*(int64_t *)p = *(const int64_t *)s;
			break;
		case PL_T_ENUM:
			if (*(const int *)s)
				*(int *)p = *(const int *)s;
			break;
		case PL_T_SUB:
			if (!*(void *const *)s)
				break;
			if (!*(void **)p)
				*(void **)p = xcalloc(1, ((const struct pl_fields *)fl->aux)->size);
			pl_obj_merge(fl->aux, *(void **)p, *(void *const *)s);
			break;
		case PL_T_OVERRIDE:
		case PL_T_RAW:
			break;
		}
	}
}

bool pl_obj_eq(const struct pl_fields *f, const void *a, const void *b, bool named)
{
	size_t i;

	if (!a || !b)
		return a == b;
	if (named && !pl_str_eq(*(char *const *)a, *(char *const *)b))
		return false;
	for (i = 0; i < f->n; i++) {
		const struct pl_field *fl = &f->v[i];
		const void *x = pl_field_cptr(fl, a), *y = pl_field_cptr(fl, b);
		bool eq = true;

		switch (fl->type) {
		case PL_T_STR:
			eq = pl_str_eq(*(char *const *)x, *(char *const *)y);
			break;
		case PL_T_LIST:
			eq = pl_strlist_eq(x, y);
			break;
		case PL_T_MAP:
			eq = pl_strmap_eq(x, y);
			break;
		case PL_T_OPT_INT: {
			const struct plan_opt_int *u = x, *v = y;

			eq = u->set == v->set && (!u->set || u->v == v->v);
			break;
		}
		case PL_T_OPT_DUR: {
			const struct plan_opt_dur *u = x, *v = y;

			eq = u->set == v->set && (!u->set || u->ns == v->ns);
			break;
		}
		case PL_T_OPT_F64: {
			const struct plan_opt_f64 *u = x, *v = y;

			eq = u->set == v->set && (!u->set || u->v == v->v);
			break;
		}
		case PL_T_INT:
			eq = *(const int64_t *)x == *(const int64_t *)y;
			break;
		case PL_T_OVERRIDE:
		case PL_T_ENUM:
			eq = *(const int *)x == *(const int *)y;
			break;
		case PL_T_SUB:
			eq = pl_obj_eq(fl->aux, *(void *const *)x, *(void *const *)y, false);
			break;
		case PL_T_RAW:
			break;
		}
		if (!eq)
			return false;
	}
	return true;
}

/* ======================= Public entry functions ======================= */

void plan_service_free(struct plan_service *s)
{
	pl_obj_free(&pl_service_fields, s, true);
}

struct plan_service *plan_service_dup(const struct plan_service *s)
{
	return pl_obj_dup(&pl_service_fields, s, true);
}

bool plan_service_equal(const struct plan_service *a, const struct plan_service *b)
{
	return pl_obj_eq(&pl_service_fields, a, b, true);
}

void plan_check_free(struct plan_check *c)
{
	pl_obj_free(&pl_check_fields, c, true);
}

struct plan_check *plan_check_dup(const struct plan_check *c)
{
	return pl_obj_dup(&pl_check_fields, c, true);
}

bool plan_check_equal(const struct plan_check *a, const struct plan_check *b)
{
	return pl_obj_eq(&pl_check_fields, a, b, true);
}

bool plan_log_target_equal(const struct plan_log_target *a, const struct plan_log_target *b)
{
	return pl_obj_eq(&pl_log_target_fields, a, b, true);
}

bool plan_workload_equal(const struct plan_workload *a, const struct plan_workload *b)
{
	return pl_obj_eq(&pl_workload_fields, a, b, true);
}

/* ======================= Sections, layers, plans ======================= */

void pl_sections_done(struct plan_sections *s)
{
	size_t k, i;

	for (k = 0; k < _PL_SEC_MAX; k++) {
		const struct pl_section *sec = &pl_section_defs[k];
		void **arr = *pl_sec_arr(s, sec);

		for (i = 0; i < *pl_sec_n(s, sec); i++)
			pl_obj_free(sec->fields, arr[i], true);
		free(arr);
	}
	if (s->pairing) {
		free(s->pairing->mode);
		free(s->pairing);
	}
	memset(s, 0, sizeof(*s));
}

void pl_sections_dup(struct plan_sections *d, const struct plan_sections *s)
{
	size_t k, i;

	memset(d, 0, sizeof(*d));
	for (k = 0; k < _PL_SEC_MAX; k++) {
		const struct pl_section *sec = &pl_section_defs[k];
		void *const *src = pl_sec_carr(s, sec);
		size_t n = pl_sec_cn(s, sec);
		void **arr = xcalloc(n + 1, sizeof(*arr));

		for (i = 0; i < n; i++)
			arr[i] = pl_obj_dup(sec->fields, src[i], true);
		*pl_sec_arr(d, sec) = arr;
		*pl_sec_n(d, sec) = n;
	}
	if (s->pairing) {
		d->pairing = xcalloc(1, sizeof(*d->pairing));
		d->pairing->mode = pl_strdup_or_null(s->pairing->mode);
	}
}

/* Every entry struct starts with `char *name`. */
static int pl_cmp_named(const void *a, const void *b)
{
	const char *const *x = *(const char *const *const *)a;
	const char *const *y = *(const char *const *const *)b;

	return strcmp(*x, *y);
}

void pl_sections_sort(struct plan_sections *s)
{
	size_t k;

	for (k = 0; k < _PL_SEC_MAX; k++) {
		const struct pl_section *sec = &pl_section_defs[k];
		size_t n = *pl_sec_n(s, sec);

		if (n)
			qsort(*pl_sec_arr(s, sec), n, sizeof(void *), pl_cmp_named);
	}
}

bool pl_named_search(void *const *arr, size_t n, const char *name, size_t *pos)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(*(char *const *)arr[mid], name);

		if (c == 0) {
			*pos = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return false;
}

static const void *pl_find(void *const *arr, size_t n, const char *name)
{
	size_t i;

	return pl_named_search(arr, n, name, &i) ? arr[i] : NULL;
}

const struct plan_service *plan_find_service(const struct plan_sections *s, const char *name)
{
	return pl_find((void *const *)s->services, s->n_services, name);
}

const struct plan_check *plan_find_check(const struct plan_sections *s, const char *name)
{
	return pl_find((void *const *)s->checks, s->n_checks, name);
}

const struct plan_log_target *plan_find_log_target(const struct plan_sections *s,
						   const char *name)
{
	return pl_find((void *const *)s->log_targets, s->n_log_targets, name);
}

const struct plan_workload *plan_find_workload(const struct plan_sections *s, const char *name)
{
	return pl_find((void *const *)s->workloads, s->n_workloads, name);
}

const struct plan_layer *plan_find_layer(const struct plan *p, const char *label)
{
	size_t i;

	for (i = 0; i < p->n_layers; i++)
		if (strcmp(p->layers[i]->label, label) == 0)
			return p->layers[i];
	return NULL;
}

struct plan_layer *plan_layer_dup(const struct plan_layer *l)
{
	struct plan_layer *d;

	if (!l)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->order = l->order;
	d->label = xstrdup(l->label);
	d->summary = pl_strdup_or_null(l->summary);
	d->description = pl_strdup_or_null(l->description);
	pl_sections_dup(&d->s, &l->s);
	return d;
}

void plan_layer_free(struct plan_layer *l)
{
	if (!l)
		return;
	free(l->label);
	free(l->summary);
	free(l->description);
	pl_sections_done(&l->s);
	free(l);
}

struct plan *plan_new(void)
{
	return xcalloc(1, sizeof(struct plan));
}

void plan_free(struct plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_layers; i++)
		plan_layer_free(p->layers[i]);
	free(p->layers);
	free(p->summary);
	free(p->description);
	pl_sections_done(&p->s);
	free(p);
}

struct plan *plan_dup(const struct plan *p)
{
	struct plan *d;
	size_t i;

	if (!p)
		return NULL;
	d = plan_new();
	d->n_layers = p->n_layers;
	d->layers = xcalloc(p->n_layers + 1, sizeof(*d->layers));
	for (i = 0; i < p->n_layers; i++)
		d->layers[i] = plan_layer_dup(p->layers[i]);
	d->summary = pl_strdup_or_null(p->summary);
	d->description = pl_strdup_or_null(p->description);
	pl_sections_dup(&d->s, &p->s);
	return d;
}

/* ======================= Folding (§4) ======================= */

/* Generic "find or insert at sorted position" on a section array of named entries. */
static void **pl_slot(void ***arr, size_t *n, const char *name, bool *found)
{
	size_t at;

	*found = pl_named_search(*arr, *n, name, &at);
	if (*found)
		return &(*arr)[at];
	*arr = xrealloc(*arr, (*n + 1) * sizeof(void *));
	memmove(*arr + at + 1, *arr + at, (*n - at) * sizeof(void *));
	(*arr)[at] = NULL;
	(*n)++;
	return &(*arr)[at];
}

static int pl_override_error(const char *label, const char *kind, const char *name,
			     enum plan_override o, struct errbuf *eb)
{
	if (o == PLAN_OVERRIDE_UNSET)
		return pl_errf(eb, "layer %q must define \"override\" for %s %q", label, kind, name);
	return pl_errf(eb, "layer %q has invalid \"override\" value for %s %q", label, kind, name);
}

static int pl_workload_override_error(const struct plan_workload *w, struct errbuf *eb)
{
	if (w->override == PLAN_OVERRIDE_UNSET)
		return pl_errf(eb, "workload %q: must define an \"override\" policy", w->name);
	return pl_errf(eb, "workload %q: has an invalid \"override\" policy: %q", w->name,
		       w->override_raw ? w->override_raw : "");
}

/* Folds one section of layer l into acc: each entry replaces or merges into the entry
 * of the same name, as its override says. */
static int pl_fold_section(struct plan_sections *acc, const struct plan_layer *l, enum pl_sec k,
			   struct errbuf *eb)
{
	const struct pl_section *sec = &pl_section_defs[k];
	void *const *arr = pl_sec_carr(&l->s, sec);
	size_t i, n = pl_sec_cn(&l->s, sec);

	for (i = 0; i < n; i++) {
		const void *e = arr[i];
		const char *name = *(char *const *)e;
		enum plan_override o = *(const enum plan_override *)((const char *)e + sec->override_off);
		void **slot;
		bool found;

		if (o != PLAN_OVERRIDE_MERGE && o != PLAN_OVERRIDE_REPLACE)
			return k == PL_SEC_WORKLOADS ? pl_workload_override_error(e, eb)
						     : pl_override_error(l->label, sec->what, name, o, eb);
		slot = pl_slot(pl_sec_arr(acc, sec), pl_sec_n(acc, sec), name, &found);
		if (found && o == PLAN_OVERRIDE_MERGE) {
			pl_obj_merge(sec->fields, *slot, e);
		} else {
			pl_obj_free(sec->fields, *slot, true);
			*slot = pl_obj_dup(sec->fields, e, true);
		}
	}
	return 0;
}

/* Folds layer l into acc (Pebble's CombineLayers step for one layer).  On failure acc is
 * partially updated; callers fold into a scratch copy. */
static int pl_fold(struct plan_sections *acc, const struct plan_layer *l, struct errbuf *eb)
{
	const struct plan_sections *s = &l->s;
	int r;

	/* Extension sections first, as Pebble combines them before the built-in ones. */
	r = pl_fold_section(acc, l, PL_SEC_WORKLOADS, eb);
	if (r < 0)
		return r;
	if (s->pairing && s->pairing->mode) {
		if (!acc->pairing)
			acc->pairing = xcalloc(1, sizeof(*acc->pairing));
		pl_set_str(&acc->pairing->mode, s->pairing->mode);
	} else if (s->pairing && !acc->pairing) {
		acc->pairing = xcalloc(1, sizeof(*acc->pairing));
	}
	r = pl_fold_section(acc, l, PL_SEC_SERVICES, eb);
	if (r == 0)
		r = pl_fold_section(acc, l, PL_SEC_CHECKS, eb);
	if (r == 0)
		r = pl_fold_section(acc, l, PL_SEC_LOG_TARGETS, eb);
	return r;
}

/* Plan.Validate (§5 "Combined plan"). */
static int pl_validate(const struct plan *p, struct errbuf *eb)
{
	const struct plan_sections *s = &p->s;
	struct plan_lanes lanes;
	struct errbuf e;
	char **names;
	size_t i, j;
	int r;

	for (i = 0; i < s->n_services; i++)
		if (!s->services[i]->command)
			return pl_errf(eb, "plan must define \"command\" for service %q",
				       s->services[i]->name);
	for (i = 0; i < s->n_checks; i++) {
		const struct plan_check *c = s->checks[i];
		int types = 0;

		if (c->http) {
			if (!c->http->url)
				return pl_errf(eb, "plan must set \"url\" for http check %q", c->name);
			types++;
		}
		if (c->tcp) {
			if (!c->tcp->port)
				return pl_errf(eb, "plan must set \"port\" for tcp check %q", c->name);
			types++;
		}
		if (c->exec) {
			if (!c->exec->command)
				return pl_errf(eb, "plan must set \"command\" for exec check %q", c->name);
			if (c->exec->service_context && !plan_find_service(s, c->exec->service_context))
				return pl_errf(eb,
					       "plan check %q service context specifies non-existent service %q",
					       c->name, c->exec->service_context);
			types++;
		}
		if (types != 1)
			return pl_errf(eb, "plan must specify one of \"http\", \"tcp\", or \"exec\" for check %q",
				       c->name);
	}
	for (i = 0; i < s->n_log_targets; i++) {
		const struct plan_log_target *t = s->log_targets[i];

		if (!t->type)
			return pl_errf(eb,
				       "plan must define \"type\" (\"loki\", \"opentelemetry\" or \"syslog\") for log target %q",
				       t->name);
		for (j = 0; j < t->services.n; j++) {
			const char *svc = t->services.v[j];

			if (*svc == '-')
				svc++;
			if (strcmp(svc, "all") == 0 || plan_find_service(s, svc))
				continue;
			return pl_errf(eb, "log target %q specifies unknown service %q", t->name, svc);
		}
		if (!t->location)
			return pl_errf(eb, "plan must define \"location\" for log target %q", t->name);
	}
	/* Cycles (and requires naming unknown services): order every service. */
	names = xcalloc(s->n_services + 1, sizeof(*names));
	for (i = 0; i < s->n_services; i++)
		names[i] = s->services[i]->name;
	r = plan_start_order(p, names, s->n_services, &lanes, &e);
	free(names);
	if (r < 0) {
		errbuf_set(eb, "%s", e.msg);
		return r;
	}
	plan_lanes_done(&lanes);
	/* Extension: workloads. */
	for (i = 0; i < s->n_services; i++) {
		const struct plan_service *svc = s->services[i];

		if (svc->workload && !plan_find_workload(s, svc->workload))
			return pl_errf(eb, "workload %q: not defined for service %q", svc->workload,
				       svc->name);
	}
	for (i = 0; i < s->n_workloads; i++) {
		const struct plan_workload *w = s->workloads[i];

		if (pl_normalize_ids(&w->user_id, &w->group_id, w->user, w->group, &e) < 0)
			return pl_errf(eb, "workload %q: %s", w->name, e.msg);
	}
	return 0;
}

/* Builds a plan from layers already in their final order; takes ownership of `layers`
 * (the array and its layers) in every case. */
static int pl_build(struct plan_layer **layers, size_t n, struct plan **ret, struct errbuf *eb)
{
	struct plan *p = plan_new();
	size_t i;
	int r;

	p->layers = layers;
	p->n_layers = n;
	if (n > PLAN_MAX_LAYERS) {
		pl_errf(eb, "too many layers (more than %d)", PLAN_MAX_LAYERS);
		r = -E2BIG;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		r = pl_fold(&p->s, layers[i], eb);
		if (r < 0)
			goto fail;
	}
	if (n > 0) {
		p->summary = pl_strdup_or_null(layers[n - 1]->summary);
		p->description = pl_strdup_or_null(layers[n - 1]->description);
	}
	/* Defaults (§4): only threshold is written into the plan; the others are applied by
	 * the plan_*() accessors so that they stay out of the YAML output. */
	for (i = 0; i < p->s.n_checks; i++)
		if (p->s.checks[i]->threshold == 0)
			p->s.checks[i]->threshold = PLAN_DEFAULT_CHECK_THRESHOLD;
	r = pl_validate(p, eb);
	if (r < 0)
		goto fail;
	*ret = p;
	return 0;
fail:
	plan_free(p);
	return r;
}

static int pl_cmp_layer_order(const void *a, const void *b)
{
	const struct plan_layer *x = *(const struct plan_layer *const *)a;
	const struct plan_layer *y = *(const struct plan_layer *const *)b;

	return (x->order > y->order) - (x->order < y->order);
}

int plan_from_layers(struct plan_layer *const *layers, size_t n, struct plan **ret,
		     struct errbuf *eb)
{
	struct plan_layer **copy;
	size_t i;

	if (n > PLAN_MAX_LAYERS) {
		pl_errf(eb, "too many layers (more than %d)", PLAN_MAX_LAYERS);
		return -E2BIG;
	}
	copy = xcalloc(n + 1, sizeof(*copy));
	for (i = 0; i < n; i++)
		copy[i] = plan_layer_dup(layers[i]);
	/* Insertion sort keeps equal orders stable and n is small. */
	for (i = 1; i < n; i++) {
		struct plan_layer *x = copy[i];
		size_t j = i;

		while (j > 0 && pl_cmp_layer_order(&copy[j - 1], &x) > 0) {
			copy[j] = copy[j - 1];
			j--;
		}
		copy[j] = x;
	}
	return pl_build(copy, n, ret, eb);
}

/* CombineLayers(found, layer) for `combine: true`: a new layer with found's label/order. */
static int pl_combine_two(const struct plan_layer *found, const struct plan_layer *layer,
			  struct plan_layer **ret, struct errbuf *eb)
{
	struct plan_layer *c = xcalloc(1, sizeof(*c));
	int r;

	c->label = xstrdup(found->label);
	c->order = found->order;
	c->summary = pl_strdup_or_null(layer->summary);
	c->description = pl_strdup_or_null(layer->description);
	r = pl_fold(&c->s, found, eb);
	if (r == 0)
		r = pl_fold(&c->s, layer, eb);
	if (r < 0) {
		plan_layer_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* Pebble's appendLayer: where a new label goes and which order it gets (§6). */
static int pl_append_layer(const struct plan *old, const struct plan_layer *layer, bool inner,
			   struct plan **ret, struct errbuf *eb)
{
	size_t count = old->n_layers, new_index = 0, i, sublen;
	int new_order = 1000;
	const char *slash = strchr(layer->label, '/');
	struct plan_layer **layers, *copy;

	sublen = slash ? (size_t)(slash - layer->label) : strlen(layer->label);
	if (count > 0) {
		for (i = count; i > 0; i--) {
			const struct plan_layer *l = old->layers[i - 1];
			const char *ls = strchr(l->label, '/');
			size_t llen = ls ? (size_t)(ls - l->label) : strlen(l->label);

			if (llen == sublen && memcmp(l->label, layer->label, sublen) == 0) {
				new_order = l->order + 1;
				new_index = i;
				break;
			}
		}
		if (new_index == 0) {
			new_index = count;
			new_order = ((old->layers[count - 1]->order / 1000) + 1) * 1000;
			if (slash)
				new_order += 1; /* first file in a sub-directory gets "001" */
		}
	}
	if (new_index != count && !inner) {
		errbuf_set(eb, "cannot insert sub-directory layer without 'inner' attribute set");
		return -EPERM;
	}
	if (count + 1 > PLAN_MAX_LAYERS) {
		pl_errf(eb, "too many layers (more than %d)", PLAN_MAX_LAYERS);
		return -E2BIG;
	}
	layers = xcalloc(count + 2, sizeof(*layers));
	for (i = 0; i < new_index; i++)
		layers[i] = plan_layer_dup(old->layers[i]);
	copy = plan_layer_dup(layer);
	copy->order = new_order;
	layers[new_index] = copy;
	for (i = new_index; i < count; i++)
		layers[i + 1] = plan_layer_dup(old->layers[i]);
	return pl_build(layers, count + 1, ret, eb);
}

int plan_add_layer(const struct plan *old, const struct plan_layer *layer,
		   const struct plan_add_opts *opts, struct plan **ret, struct errbuf *eb)
{
	struct plan_layer **layers, *combined = NULL;
	size_t i, idx = old->n_layers;
	int r;

	for (i = 0; i < old->n_layers; i++) {
		if (strcmp(old->layers[i]->label, layer->label) == 0) {
			idx = i;
			break;
		}
	}
	if (idx == old->n_layers)
		return pl_append_layer(old, layer, opts && opts->inner, ret, eb);
	if (!opts || !opts->combine)
	{
		pl_errf(eb, "layer %q already exists", layer->label);
		return -EEXIST;
	}
	r = pl_combine_two(old->layers[idx], layer, &combined, eb);
	if (r < 0)
		return r;
	layers = xcalloc(old->n_layers + 1, sizeof(*layers));
	for (i = 0; i < old->n_layers; i++)
		layers[i] = i == idx ? combined : plan_layer_dup(old->layers[i]);
	return pl_build(layers, old->n_layers, ret, eb);
}

int plan_set_service_args(const struct plan *old, const struct plan_service_args *args,
			  size_t n, struct plan **ret, struct errbuf *eb)
{
	struct plan_layer *l = xcalloc(1, sizeof(*l));
	struct plan_add_opts opts = { .combine = true, .inner = false };
	size_t i;
	int r;

	l->label = xstrdup(PLAN_SERVICE_ARGS_LABEL);
	for (i = 0; i < n; i++) {
		const struct plan_service *s = plan_find_service(&old->s, args[i].service);
		struct plan_service *ns, **slot;
		struct command c;
		struct errbuf e;
		bool found;

		if (!s) {
			r = pl_errf(eb, "service %q not found in plan", args[i].service);
			goto out;
		}
		if (command_parse(s->command, &c, &e) < 0) {
			r = pl_errf(eb, "cannot parse service %q command: %s", s->name, e.msg);
			goto out;
		}
		ns = pl_obj_new(pl_section_defs[PL_SEC_SERVICES].fields, s->name);
		ns->override = PLAN_OVERRIDE_MERGE;
		ns->command = command_join(c.base, c.n_base, args[i].args, args[i].n_args,
					   args[i].n_args > 0);
		command_done(&c);
		slot = (struct plan_service **)pl_slot((void ***)&l->s.services, &l->s.n_services,
						       ns->name, &found);
		plan_service_free(*slot);
		*slot = ns;
	}
	r = plan_add_layer(old, l, &opts, ret, eb);
out:
	plan_layer_free(l);
	return r;
}

/* ======================= Effective values ======================= */

bool plan_service_startup_enabled(const struct plan_service *s)
{
	return s->startup && strcmp(s->startup, "enabled") == 0;
}

enum plan_action plan_service_on_success(const struct plan_service *s)
{
	return s->on_success == PLAN_ACTION_UNSET ? PLAN_ACTION_RESTART : s->on_success;
}

enum plan_action plan_service_on_failure(const struct plan_service *s)
{
	return s->on_failure == PLAN_ACTION_UNSET ? PLAN_ACTION_RESTART : s->on_failure;
}

enum plan_action plan_service_on_check_failure(const struct plan_service *s, const char *check)
{
	return plan_action_from_name(plan_strmap_get(&s->on_check_failure, check));
}

int64_t plan_service_backoff_delay(const struct plan_service *s)
{
	return s->backoff_delay.set ? s->backoff_delay.ns : PLAN_DEFAULT_BACKOFF_DELAY_NS;
}

double plan_service_backoff_factor(const struct plan_service *s)
{
	return s->backoff_factor.set ? s->backoff_factor.v : PLAN_DEFAULT_BACKOFF_FACTOR;
}

int64_t plan_service_backoff_limit(const struct plan_service *s)
{
	return s->backoff_limit.set ? s->backoff_limit.ns : PLAN_DEFAULT_BACKOFF_LIMIT_NS;
}

int64_t plan_service_kill_delay(const struct plan_service *s)
{
	return s->kill_delay.set ? s->kill_delay.ns : PLAN_DEFAULT_KILL_DELAY_NS;
}

bool plan_check_startup_enabled(const struct plan_check *c)
{
	return c->startup != PLAN_CHECK_STARTUP_DISABLED;
}

int64_t plan_check_period(const struct plan_check *c)
{
	return c->period.set ? c->period.ns : PLAN_DEFAULT_CHECK_PERIOD_NS;
}

int64_t plan_check_timeout(const struct plan_check *c)
{
	int64_t t = c->timeout.set ? c->timeout.ns : PLAN_DEFAULT_CHECK_TIMEOUT_NS;
	int64_t p = plan_check_period(c);

	return t > p ? p : t;
}

int64_t plan_check_threshold(const struct plan_check *c)
{
	return c->threshold > 0 ? c->threshold : PLAN_DEFAULT_CHECK_THRESHOLD;
}

void plan_service_exec_ctx(const struct plan *p, const struct plan_service *s,
			   struct plan_exec_ctx *ret)
{
	const struct plan_workload *w = s->workload ? plan_find_workload(&p->s, s->workload) : NULL;
	static const struct plan_opt_int unset = { false, 0 };

	memset(ret, 0, sizeof(*ret));
	ret->user_id = &unset;
	ret->group_id = &unset;
	if (w) {
		pl_strmap_dup(&ret->environment, &w->environment);
		ret->user_id = &w->user_id;
		ret->user = w->user;
		ret->group_id = &w->group_id;
		ret->group = w->group;
	}
	pl_strmap_merge(&ret->environment, &s->environment);
	/* The service's own identity wins as a whole, so names and ids never mix. */
	if (s->user_id.set || s->user) {
		ret->user_id = &s->user_id;
		ret->user = s->user;
	}
	if (s->group_id.set || s->group) {
		ret->group_id = &s->group_id;
		ret->group = s->group;
	}
	ret->working_dir = s->working_dir;
}

void plan_check_exec_ctx(const struct plan *p, const struct plan_check *c,
			 struct plan_exec_ctx *ret)
{
	static const struct plan_opt_int unset = { false, 0 };
	const struct plan_exec_check *x = c->exec;
	const struct plan_service *s = NULL;

	memset(ret, 0, sizeof(*ret));
	ret->user_id = &unset;
	ret->group_id = &unset;
	if (!x)
		return;
	if (x->service_context)
		s = plan_find_service(&p->s, x->service_context);
	if (s)
		plan_service_exec_ctx(p, s, ret);
	pl_strmap_merge(&ret->environment, &x->environment);
	if (x->user_id.set)
		ret->user_id = &x->user_id;
	if (x->user)
		ret->user = x->user;
	if (x->group_id.set)
		ret->group_id = &x->group_id;
	if (x->group)
		ret->group = x->group;
	if (x->working_dir)
		ret->working_dir = x->working_dir;
}
