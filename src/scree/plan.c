/* plan.c - entries, combining layers, defaults, combined-plan validation and run-time
 * layer additions (§4, §5, §6). */
#include <errno.h>
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

/* ======================= Services ======================= */

struct plan_service *pl_service_new(const char *name)
{
	struct plan_service *s = xcalloc(1, sizeof(*s));

	s->name = xstrdup(name);
	return s;
}

void plan_service_free(struct plan_service *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->summary);
	free(s->description);
	free(s->startup);
	free(s->command);
	pl_strlist_done(&s->after);
	pl_strlist_done(&s->before);
	pl_strlist_done(&s->requires);
	free(s->workload);
	plan_strmap_done(&s->environment);
	free(s->user);
	free(s->group);
	free(s->working_dir);
	plan_strmap_done(&s->on_check_failure);
	free(s);
}

struct plan_service *plan_service_dup(const struct plan_service *s)
{
	struct plan_service *d;

	if (!s)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	*d = *s;
	d->name = xstrdup(s->name);
	d->summary = pl_strdup_or_null(s->summary);
	d->description = pl_strdup_or_null(s->description);
	d->startup = pl_strdup_or_null(s->startup);
	d->command = pl_strdup_or_null(s->command);
	pl_strlist_dup(&d->after, &s->after);
	pl_strlist_dup(&d->before, &s->before);
	pl_strlist_dup(&d->requires, &s->requires);
	d->workload = pl_strdup_or_null(s->workload);
	pl_strmap_dup(&d->environment, &s->environment);
	d->user = pl_strdup_or_null(s->user);
	d->group = pl_strdup_or_null(s->group);
	d->working_dir = pl_strdup_or_null(s->working_dir);
	pl_strmap_dup(&d->on_check_failure, &s->on_check_failure);
	return d;
}

/* Service.Merge (§2.2): scalars replaced if set, lists appended, maps merged by key. */
void pl_service_merge(struct plan_service *d, const struct plan_service *s)
{
	if (s->summary)
		pl_set_str(&d->summary, s->summary);
	if (s->description)
		pl_set_str(&d->description, s->description);
	if (s->startup)
		pl_set_str(&d->startup, s->startup);
	if (s->command)
		pl_set_str(&d->command, s->command);
	if (s->kill_delay.set)
		d->kill_delay = s->kill_delay;
	if (s->user_id.set)
		d->user_id = s->user_id;
	if (s->user)
		pl_set_str(&d->user, s->user);
	if (s->group_id.set)
		d->group_id = s->group_id;
	if (s->group)
		pl_set_str(&d->group, s->group);
	if (s->working_dir)
		pl_set_str(&d->working_dir, s->working_dir);
	if (s->workload)
		pl_set_str(&d->workload, s->workload);
	pl_strlist_extend(&d->after, &s->after);
	pl_strlist_extend(&d->before, &s->before);
	pl_strlist_extend(&d->requires, &s->requires);
	pl_strmap_merge(&d->environment, &s->environment);
	if (s->on_success != PLAN_ACTION_UNSET)
		d->on_success = s->on_success;
	if (s->on_failure != PLAN_ACTION_UNSET)
		d->on_failure = s->on_failure;
	pl_strmap_merge(&d->on_check_failure, &s->on_check_failure);
	if (s->backoff_delay.set)
		d->backoff_delay = s->backoff_delay;
	if (s->backoff_factor.set)
		d->backoff_factor = s->backoff_factor;
	if (s->backoff_limit.set)
		d->backoff_limit = s->backoff_limit;
}

static bool pl_opt_int_eq(struct plan_opt_int a, struct plan_opt_int b)
{
	return a.set == b.set && (!a.set || a.v == b.v);
}

static bool pl_opt_dur_eq(struct plan_opt_dur a, struct plan_opt_dur b)
{
	return a.set == b.set && (!a.set || a.ns == b.ns);
}

bool plan_service_equal(const struct plan_service *a, const struct plan_service *b)
{
	if (!a || !b)
		return a == b;
	return pl_str_eq(a->name, b->name) && a->override == b->override &&
	       pl_str_eq(a->summary, b->summary) && pl_str_eq(a->description, b->description) &&
	       pl_str_eq(a->startup, b->startup) && pl_str_eq(a->command, b->command) &&
	       pl_strlist_eq(&a->after, &b->after) && pl_strlist_eq(&a->before, &b->before) &&
	       pl_strlist_eq(&a->requires, &b->requires) && pl_str_eq(a->workload, b->workload) &&
	       pl_strmap_eq(&a->environment, &b->environment) &&
	       pl_opt_int_eq(a->user_id, b->user_id) && pl_str_eq(a->user, b->user) &&
	       pl_opt_int_eq(a->group_id, b->group_id) && pl_str_eq(a->group, b->group) &&
	       pl_str_eq(a->working_dir, b->working_dir) && a->on_success == b->on_success &&
	       a->on_failure == b->on_failure &&
	       pl_strmap_eq(&a->on_check_failure, &b->on_check_failure) &&
	       pl_opt_dur_eq(a->backoff_delay, b->backoff_delay) &&
	       a->backoff_factor.set == b->backoff_factor.set &&
	       (!a->backoff_factor.set || a->backoff_factor.v == b->backoff_factor.v) &&
	       pl_opt_dur_eq(a->backoff_limit, b->backoff_limit) &&
	       pl_opt_dur_eq(a->kill_delay, b->kill_delay);
}

/* ======================= Checks ======================= */

struct plan_check *pl_check_new(const char *name)
{
	struct plan_check *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	return c;
}

static void pl_exec_free(struct plan_exec_check *x)
{
	if (!x)
		return;
	free(x->command);
	free(x->service_context);
	plan_strmap_done(&x->environment);
	free(x->user);
	free(x->group);
	free(x->working_dir);
	free(x);
}

void plan_check_free(struct plan_check *c)
{
	if (!c)
		return;
	free(c->name);
	if (c->http) {
		free(c->http->url);
		plan_strmap_done(&c->http->headers);
		free(c->http);
	}
	if (c->tcp) {
		free(c->tcp->host);
		free(c->tcp);
	}
	pl_exec_free(c->exec);
	free(c);
}

static void pl_http_merge(struct plan_http_check *d, const struct plan_http_check *s)
{
	if (s->url)
		pl_set_str(&d->url, s->url);
	pl_strmap_merge(&d->headers, &s->headers);
}

static void pl_tcp_merge(struct plan_tcp_check *d, const struct plan_tcp_check *s)
{
	if (s->port)
		d->port = s->port;
	if (s->host)
		pl_set_str(&d->host, s->host);
}

static void pl_exec_merge(struct plan_exec_check *d, const struct plan_exec_check *s)
{
	if (s->command)
		pl_set_str(&d->command, s->command);
	if (s->service_context)
		pl_set_str(&d->service_context, s->service_context);
	pl_strmap_merge(&d->environment, &s->environment);
	if (s->user_id.set)
		d->user_id = s->user_id;
	if (s->user)
		pl_set_str(&d->user, s->user);
	if (s->group_id.set)
		d->group_id = s->group_id;
	if (s->group)
		pl_set_str(&d->group, s->group);
	if (s->working_dir)
		pl_set_str(&d->working_dir, s->working_dir);
}

/* Check.Merge (§2.4): scalars replaced if set, sub-objects merged field by field. */
void pl_check_merge(struct plan_check *d, const struct plan_check *s)
{
	if (s->level != PLAN_LEVEL_UNSET)
		d->level = s->level;
	if (s->startup != PLAN_CHECK_STARTUP_UNSET)
		d->startup = s->startup;
	if (s->period.set)
		d->period = s->period;
	if (s->timeout.set)
		d->timeout = s->timeout;
	if (s->threshold)
		d->threshold = s->threshold;
	if (s->http) {
		if (!d->http)
			d->http = xcalloc(1, sizeof(*d->http));
		pl_http_merge(d->http, s->http);
	}
	if (s->tcp) {
		if (!d->tcp)
			d->tcp = xcalloc(1, sizeof(*d->tcp));
		pl_tcp_merge(d->tcp, s->tcp);
	}
	if (s->exec) {
		if (!d->exec)
			d->exec = xcalloc(1, sizeof(*d->exec));
		pl_exec_merge(d->exec, s->exec);
	}
}

struct plan_check *plan_check_dup(const struct plan_check *c)
{
	struct plan_check *d;

	if (!c)
		return NULL;
	d = pl_check_new(c->name);
	d->override = c->override;
	pl_check_merge(d, c);
	d->level = c->level;
	d->startup = c->startup;
	d->period = c->period;
	d->timeout = c->timeout;
	d->threshold = c->threshold;
	return d;
}

static bool pl_exec_eq(const struct plan_exec_check *a, const struct plan_exec_check *b)
{
	if (!a || !b)
		return a == b;
	return pl_str_eq(a->command, b->command) &&
	       pl_str_eq(a->service_context, b->service_context) &&
	       pl_strmap_eq(&a->environment, &b->environment) &&
	       pl_opt_int_eq(a->user_id, b->user_id) && pl_str_eq(a->user, b->user) &&
	       pl_opt_int_eq(a->group_id, b->group_id) && pl_str_eq(a->group, b->group) &&
	       pl_str_eq(a->working_dir, b->working_dir);
}

bool plan_check_equal(const struct plan_check *a, const struct plan_check *b)
{
	if (!a || !b)
		return a == b;
	if (!pl_str_eq(a->name, b->name) || a->override != b->override || a->level != b->level ||
	    a->startup != b->startup || !pl_opt_dur_eq(a->period, b->period) ||
	    !pl_opt_dur_eq(a->timeout, b->timeout) || a->threshold != b->threshold)
		return false;
	if (!a->http != !b->http || !a->tcp != !b->tcp)
		return false;
	if (a->http && (!pl_str_eq(a->http->url, b->http->url) ||
			!pl_strmap_eq(&a->http->headers, &b->http->headers)))
		return false;
	if (a->tcp && (a->tcp->port != b->tcp->port || !pl_str_eq(a->tcp->host, b->tcp->host)))
		return false;
	return pl_exec_eq(a->exec, b->exec);
}

/* ======================= Log targets and workloads ======================= */

struct plan_log_target *pl_log_target_new(const char *name)
{
	struct plan_log_target *t = xcalloc(1, sizeof(*t));

	t->name = xstrdup(name);
	return t;
}

void pl_log_target_free(struct plan_log_target *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->type);
	free(t->location);
	pl_strlist_done(&t->services);
	plan_strmap_done(&t->labels);
	free(t);
}

void pl_log_target_merge(struct plan_log_target *d, const struct plan_log_target *s)
{
	if (s->type)
		pl_set_str(&d->type, s->type);
	if (s->location)
		pl_set_str(&d->location, s->location);
	pl_strlist_extend(&d->services, &s->services);
	pl_strmap_merge(&d->labels, &s->labels);
}

struct plan_log_target *pl_log_target_dup(const struct plan_log_target *t)
{
	struct plan_log_target *d = pl_log_target_new(t->name);

	d->override = t->override;
	pl_log_target_merge(d, t);
	return d;
}

bool plan_log_target_equal(const struct plan_log_target *a, const struct plan_log_target *b)
{
	if (!a || !b)
		return a == b;
	return pl_str_eq(a->name, b->name) && a->override == b->override &&
	       pl_str_eq(a->type, b->type) && pl_str_eq(a->location, b->location) &&
	       pl_strlist_eq(&a->services, &b->services) && pl_strmap_eq(&a->labels, &b->labels);
}

struct plan_workload *pl_workload_new(const char *name)
{
	struct plan_workload *w = xcalloc(1, sizeof(*w));

	w->name = xstrdup(name);
	return w;
}

void pl_workload_free(struct plan_workload *w)
{
	if (!w)
		return;
	free(w->name);
	free(w->override_raw);
	plan_strmap_done(&w->environment);
	free(w->user);
	free(w->group);
	free(w);
}

void pl_workload_merge(struct plan_workload *d, const struct plan_workload *s)
{
	pl_strmap_merge(&d->environment, &s->environment);
	if (s->user_id.set)
		d->user_id = s->user_id;
	if (s->user)
		pl_set_str(&d->user, s->user);
	if (s->group_id.set)
		d->group_id = s->group_id;
	if (s->group)
		pl_set_str(&d->group, s->group);
}

struct plan_workload *pl_workload_dup(const struct plan_workload *w)
{
	struct plan_workload *d = pl_workload_new(w->name);

	d->override = w->override;
	d->override_raw = w->override_raw ? xstrdup(w->override_raw) : NULL;
	pl_workload_merge(d, w);
	return d;
}

bool plan_workload_equal(const struct plan_workload *a, const struct plan_workload *b)
{
	if (!a || !b)
		return a == b;
	return pl_str_eq(a->name, b->name) && a->override == b->override &&
	       pl_strmap_eq(&a->environment, &b->environment) &&
	       pl_opt_int_eq(a->user_id, b->user_id) && pl_str_eq(a->user, b->user) &&
	       pl_opt_int_eq(a->group_id, b->group_id) && pl_str_eq(a->group, b->group);
}

/* ======================= Sections, layers, plans ======================= */

void pl_sections_done(struct plan_sections *s)
{
	size_t i;

	for (i = 0; i < s->n_services; i++)
		plan_service_free(s->services[i]);
	for (i = 0; i < s->n_checks; i++)
		plan_check_free(s->checks[i]);
	for (i = 0; i < s->n_log_targets; i++)
		pl_log_target_free(s->log_targets[i]);
	for (i = 0; i < s->n_workloads; i++)
		pl_workload_free(s->workloads[i]);
	free(s->services);
	free(s->checks);
	free(s->log_targets);
	free(s->workloads);
	if (s->pairing) {
		free(s->pairing->mode);
		free(s->pairing);
	}
	memset(s, 0, sizeof(*s));
}

void pl_sections_dup(struct plan_sections *d, const struct plan_sections *s)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->n_services = s->n_services;
	d->services = xcalloc(s->n_services + 1, sizeof(*d->services));
	for (i = 0; i < s->n_services; i++)
		d->services[i] = plan_service_dup(s->services[i]);
	d->n_checks = s->n_checks;
	d->checks = xcalloc(s->n_checks + 1, sizeof(*d->checks));
	for (i = 0; i < s->n_checks; i++)
		d->checks[i] = plan_check_dup(s->checks[i]);
	d->n_log_targets = s->n_log_targets;
	d->log_targets = xcalloc(s->n_log_targets + 1, sizeof(*d->log_targets));
	for (i = 0; i < s->n_log_targets; i++)
		d->log_targets[i] = pl_log_target_dup(s->log_targets[i]);
	d->n_workloads = s->n_workloads;
	d->workloads = xcalloc(s->n_workloads + 1, sizeof(*d->workloads));
	for (i = 0; i < s->n_workloads; i++)
		d->workloads[i] = pl_workload_dup(s->workloads[i]);
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
	if (s->n_services)
		qsort(s->services, s->n_services, sizeof(*s->services), pl_cmp_named);
	if (s->n_checks)
		qsort(s->checks, s->n_checks, sizeof(*s->checks), pl_cmp_named);
	if (s->n_log_targets)
		qsort(s->log_targets, s->n_log_targets, sizeof(*s->log_targets), pl_cmp_named);
	if (s->n_workloads)
		qsort(s->workloads, s->n_workloads, sizeof(*s->workloads), pl_cmp_named);
}

static const void *pl_find(void *const *arr, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(*(char *const *)arr[mid], name);

		if (c == 0)
			return arr[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
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
	size_t lo = 0, hi = *n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(*(char **)(*arr)[mid], name);

		if (c == 0) {
			*found = true;
			return &(*arr)[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	*arr = xrealloc(*arr, (*n + 1) * sizeof(void *));
	memmove(*arr + lo + 1, *arr + lo, (*n - lo) * sizeof(void *));
	(*arr)[lo] = NULL;
	(*n)++;
	return &(*arr)[lo];
}

static int pl_override_error(const char *label, const char *kind, const char *name,
			     enum plan_override o, struct errbuf *eb)
{
	if (o == PLAN_OVERRIDE_UNSET)
		return pl_errf(eb, "layer %q must define \"override\" for %s %q", label, kind, name);
	return pl_errf(eb, "layer %q has invalid \"override\" value for %s %q", label, kind, name);
}

/* Folds layer l into acc (Pebble's CombineLayers step for one layer).  On failure acc is
 * partially updated; callers fold into a scratch copy. */
static int pl_fold(struct plan_sections *acc, const struct plan_layer *l, struct errbuf *eb)
{
	const struct plan_sections *s = &l->s;
	bool found;
	size_t i;

	/* Extension sections first, as Pebble combines them before the built-in ones. */
	for (i = 0; i < s->n_workloads; i++) {
		const struct plan_workload *w = s->workloads[i];
		struct plan_workload **slot;

		if (w->override == PLAN_OVERRIDE_UNSET)
			return pl_errf(eb, "workload %q: must define an \"override\" policy", w->name);
		if (w->override == PLAN_OVERRIDE_INVALID)
			return pl_errf(eb, "workload %q: has an invalid \"override\" policy: %q",
				       w->name, w->override_raw ? w->override_raw : "");
		slot = (struct plan_workload **)pl_slot((void ***)&acc->workloads, &acc->n_workloads,
							w->name, &found);
		if (found && w->override == PLAN_OVERRIDE_MERGE) {
			pl_workload_merge(*slot, w);
		} else {
			pl_workload_free(*slot);
			*slot = pl_workload_dup(w);
		}
	}
	if (s->pairing && s->pairing->mode) {
		if (!acc->pairing)
			acc->pairing = xcalloc(1, sizeof(*acc->pairing));
		pl_set_str(&acc->pairing->mode, s->pairing->mode);
	} else if (s->pairing && !acc->pairing) {
		acc->pairing = xcalloc(1, sizeof(*acc->pairing));
	}
	for (i = 0; i < s->n_services; i++) {
		const struct plan_service *e = s->services[i];
		struct plan_service **slot;

		if (e->override != PLAN_OVERRIDE_MERGE && e->override != PLAN_OVERRIDE_REPLACE)
			return pl_override_error(l->label, "service", e->name, e->override, eb);
		slot = (struct plan_service **)pl_slot((void ***)&acc->services, &acc->n_services,
						       e->name, &found);
		if (found && e->override == PLAN_OVERRIDE_MERGE) {
			pl_service_merge(*slot, e);
		} else {
			plan_service_free(*slot);
			*slot = plan_service_dup(e);
		}
	}
	for (i = 0; i < s->n_checks; i++) {
		const struct plan_check *e = s->checks[i];
		struct plan_check **slot;

		if (e->override != PLAN_OVERRIDE_MERGE && e->override != PLAN_OVERRIDE_REPLACE)
			return pl_override_error(l->label, "check", e->name, e->override, eb);
		slot = (struct plan_check **)pl_slot((void ***)&acc->checks, &acc->n_checks, e->name,
						     &found);
		if (found && e->override == PLAN_OVERRIDE_MERGE) {
			pl_check_merge(*slot, e);
		} else {
			plan_check_free(*slot);
			*slot = plan_check_dup(e);
		}
	}
	for (i = 0; i < s->n_log_targets; i++) {
		const struct plan_log_target *e = s->log_targets[i];
		struct plan_log_target **slot;

		if (e->override != PLAN_OVERRIDE_MERGE && e->override != PLAN_OVERRIDE_REPLACE)
			return pl_override_error(l->label, "log target", e->name, e->override, eb);
		slot = (struct plan_log_target **)pl_slot((void ***)&acc->log_targets,
							  &acc->n_log_targets, e->name, &found);
		if (found && e->override == PLAN_OVERRIDE_MERGE) {
			pl_log_target_merge(*slot, e);
		} else {
			pl_log_target_free(*slot);
			*slot = pl_log_target_dup(e);
		}
	}
	return 0;
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
		ns = pl_service_new(s->name);
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
