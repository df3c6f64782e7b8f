/* plan.h - scree's layer and plan model: the pure-data core of the Pebble-compatible daemon.
 *
 * A *layer* is one YAML document (a file in $PEBBLE/layers or a body of POST /v1/layers)
 * parsed into struct plan_layer.  A *plan* is the ordered list of layers plus the result
 * of folding them together (spec pebble-api.md §4), with defaults applied and validated
 * (§5).  Nothing here touches a socket, a process or the clock; the only I/O is reading
 * the layers directory (layersdir.h).
 *
 * Representation rules (they mirror Pebble's Go structs, where "" means unset):
 *  - optional strings are NULL when unset; the parser turns "" into NULL, so "non-empty"
 *    and "set" are the same test (`if (s->user)`);
 *  - optional numbers carry a `set` flag (struct plan_opt_*);
 *  - lists keep their order (after/before/requires/services are appended on merge);
 *  - maps (struct plan_strmap) are kept sorted by key, unique keys;
 *  - each section is an array of pointers sorted by name (strcmp), unique names.
 *
 * Ownership: every object owns all its strings and children.  Functions that produce a
 * plan or a layer always return a *new* object and never modify their inputs, so a
 * rejected layer leaves the caller's current plan untouched (§5).  All returned objects
 * are freed with the matching _free(), which accepts NULL.
 *
 * Errors: functions return 0 or a negative errno and, when they fail, leave the
 * user-facing text (the exact Pebble wording) in the errbuf and do not write ret_ outputs.
 * -EINVAL means "the user's input is wrong" (HTTP 400); see each function for others. */
#ifndef SCREE_PLAN_H
#define SCREE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

/* Named limits on user-controlled sizes (refused with -E2BIG and a message). */
#define PLAN_MAX_LAYER_BYTES (4 * 1024 * 1024) /* one layer's YAML text */
#define PLAN_MAX_LAYERS 1000                   /* layers in one plan */
#define PLAN_MAX_ENTRIES 10000                 /* entries in one section of one layer */
#define PLAN_MAX_YAML_DEPTH 64                 /* nesting of YAML collections */
#define PLAN_LABEL_MAX 256                     /* bytes in a layer label */

/* Reserved label prefix for layers the daemon creates itself (§5, §2.3). */
#define PLAN_RESERVED_LABEL_PREFIX "pebble-"
/* Label of the in-memory layer that realises `run --args` (§2.3). */
#define PLAN_SERVICE_ARGS_LABEL "pebble-service-args"

/* ======================= Small value types ======================= */

struct plan_opt_int {
	bool set;
	int64_t v;
};

struct plan_opt_dur {
	bool set;
	int64_t ns; /* nanoseconds, as strnum_duration() returns */
};

struct plan_opt_f64 {
	bool set;
	double v;
};

struct plan_strlist {
	char **v;
	size_t n;
};

struct plan_strmap_entry {
	char *key;
	char *val; /* never NULL; may be "" */
};

/* Sorted by key (strcmp), keys unique. */
struct plan_strmap {
	struct plan_strmap_entry *v;
	size_t n;
};

/* Returns the value for key, or NULL (borrowed). */
const char *plan_strmap_get(const struct plan_strmap *m, const char *key);

/* ======================= Enumerations ======================= */

enum plan_override {
	PLAN_OVERRIDE_UNSET = 0, /* "override" missing */
	PLAN_OVERRIDE_MERGE,
	PLAN_OVERRIDE_REPLACE,
	PLAN_OVERRIDE_INVALID, /* present but neither merge nor replace */
	_PLAN_OVERRIDE_MAX
};

/* on-success / on-failure / on-check-failure values (§2.2). */
enum plan_action {
	PLAN_ACTION_UNSET = 0, /* behaves as restart */
	PLAN_ACTION_RESTART,
	PLAN_ACTION_SHUTDOWN,
	PLAN_ACTION_FAILURE_SHUTDOWN, /* on-success only */
	PLAN_ACTION_SUCCESS_SHUTDOWN, /* on-failure / on-check-failure only */
	PLAN_ACTION_IGNORE,
	_PLAN_ACTION_MAX
};

enum plan_check_level {
	PLAN_LEVEL_UNSET = 0,
	PLAN_LEVEL_ALIVE,
	PLAN_LEVEL_READY,
	_PLAN_LEVEL_MAX
};

enum plan_check_startup {
	PLAN_CHECK_STARTUP_UNSET = 0, /* behaves as enabled */
	PLAN_CHECK_STARTUP_ENABLED,
	PLAN_CHECK_STARTUP_DISABLED,
	_PLAN_CHECK_STARTUP_MAX
};

/* Names as written in YAML; "" for the UNSET values. */
const char *plan_override_name(enum plan_override o);
const char *plan_action_name(enum plan_action a);
/* Returns the action for a name, or PLAN_ACTION_UNSET for an unknown name. */
enum plan_action plan_action_from_name(const char *name);
const char *plan_check_level_name(enum plan_check_level l);
const char *plan_check_startup_name(enum plan_check_startup s);

/* ======================= Entries ======================= */

/* Effective defaults (§2.2, §2.4, §4).  Only threshold is written into the plan. */
#define PLAN_DEFAULT_BACKOFF_DELAY_NS (500LL * 1000 * 1000)
#define PLAN_DEFAULT_BACKOFF_FACTOR 2.0
#define PLAN_DEFAULT_BACKOFF_LIMIT_NS (30LL * 1000 * 1000 * 1000)
#define PLAN_DEFAULT_KILL_DELAY_NS (5LL * 1000 * 1000 * 1000)
#define PLAN_DEFAULT_CHECK_PERIOD_NS (10LL * 1000 * 1000 * 1000)
#define PLAN_DEFAULT_CHECK_TIMEOUT_NS (3LL * 1000 * 1000 * 1000)
#define PLAN_DEFAULT_CHECK_THRESHOLD 3
#define PLAN_DEFAULT_TCP_HOST "localhost"

/* services.<name> (§2.2).  Field comments give the YAML key when it differs. */
struct plan_service {
	char *name;
	enum plan_override override;
	char *summary;
	char *description;
	char *startup; /* raw value: "enabled", "disabled" or anything else (= disabled) */
	char *command; /* the unsplit command line, validated by command_parse() */
	struct plan_strlist after;
	struct plan_strlist before;
	struct plan_strlist requires;
	char *workload;
	struct plan_strmap environment;
	struct plan_opt_int user_id; /* user-id */
	char *user;
	struct plan_opt_int group_id; /* group-id */
	char *group;
	char *working_dir; /* working-dir */
	enum plan_action on_success;
	enum plan_action on_failure;
	struct plan_strmap on_check_failure; /* check name -> action name (validated) */
	struct plan_opt_dur backoff_delay;
	struct plan_opt_f64 backoff_factor;
	struct plan_opt_dur backoff_limit;
	struct plan_opt_dur kill_delay;
};

struct plan_http_check {
	char *url;
	struct plan_strmap headers;
};

struct plan_tcp_check {
	int64_t port; /* 0 = unset */
	char *host;   /* NULL = unset (effective "localhost") */
};

struct plan_exec_check {
	char *command;
	char *service_context; /* service-context */
	struct plan_strmap environment;
	struct plan_opt_int user_id;
	char *user;
	struct plan_opt_int group_id;
	char *group;
	char *working_dir;
};

/* checks.<name> (§2.4).  http/tcp/exec are NULL when absent. */
struct plan_check {
	char *name;
	enum plan_override override;
	enum plan_check_level level;
	enum plan_check_startup startup;
	struct plan_opt_dur period;
	struct plan_opt_dur timeout;
	int64_t threshold; /* 0 = unset; the combined plan always holds >= 1 (default 3) */
	struct plan_http_check *http;
	struct plan_tcp_check *tcp;
	struct plan_exec_check *exec;
};

/* log-targets.<name> (§2.5). */
struct plan_log_target {
	char *name;
	enum plan_override override;
	char *type; /* "loki", "opentelemetry", "syslog"; NULL = unset */
	char *location;
	struct plan_strlist services;
	struct plan_strmap labels;
};

/* workloads.<name> (§2.6). */
struct plan_workload {
	char *name;
	enum plan_override override;
	char *override_raw; /* the YAML value when override is PLAN_OVERRIDE_INVALID */
	struct plan_strmap environment;
	struct plan_opt_int user_id;
	char *user;
	struct plan_opt_int group_id;
	char *group;
};

/* pairing (§2.6). */
struct plan_pairing {
	char *mode; /* "single", "multiple", "disabled"; NULL = unset */
};

/* The sections shared by a layer and a combined plan.  Arrays sorted by name. */
struct plan_sections {
	struct plan_service **services;
	size_t n_services;
	struct plan_check **checks;
	size_t n_checks;
	struct plan_log_target **log_targets;
	size_t n_log_targets;
	struct plan_workload **workloads;
	size_t n_workloads;
	struct plan_pairing *pairing; /* NULL when the section is absent */
};

struct plan_layer {
	int order;   /* N*1000 or N*1000+M (§3), or as assigned by plan_add_layer() */
	char *label; /* "label" or "dir/sub" */
	char *summary;
	char *description;
	struct plan_sections s;
};

struct plan {
	struct plan_layer **layers; /* ordered by ascending order; owned */
	size_t n_layers;
	char *summary;     /* of the last layer */
	char *description; /* of the last layer */
	struct plan_sections s; /* combined, defaults applied, validated */
};

/* ======================= Layers (layer.c) ======================= */

/* Parses one layer and runs the per-layer validation of §5 (as Pebble's ParseLayer).
 * label is copied; order is stored as given.  Errors (-EINVAL, eb holds the text):
 *   cannot use reserved label prefix "pebble-"
 *   cannot parse layer %q: <yaml error>
 *   cannot parse layer %q: unknown section %q
 *   cannot parse layer %q section %q: <decoder error>
 *   any per-layer message of §5 (e.g. plan service %q command invalid: ...)
 *   cannot parse the "workloads" section: ... / workload %q: cannot have a null value
 *   cannot parse the pairing section: ... / invalid pairing mode %q: should be ...
 * The HTTP layer adds its own "cannot parse layer YAML: " context if it wants it (§21).
 * -E2BIG when len exceeds PLAN_MAX_LAYER_BYTES or a section exceeds PLAN_MAX_ENTRIES. */
int plan_layer_parse(const char *label, int order, const char *yaml, size_t len,
		     struct plan_layer **ret, struct errbuf *eb);
struct plan_layer *plan_layer_dup(const struct plan_layer *l);
void plan_layer_free(struct plan_layer *l);

/* ======================= Plans (plan.c) ======================= */

/* Returns a new plan with no layers (renders as "{}\n"). Never fails. */
struct plan *plan_new(void);
void plan_free(struct plan *p);
struct plan *plan_dup(const struct plan *p);

/* Builds a plan from n layers (copied, not taken): sorts them by order, folds them (§4),
 * applies defaults and validates the combined plan (§5 "Combined plan", including the
 * before/after loop check).  Errors (-EINVAL): the override messages of §4 and the
 * combined-plan messages of §5.  -E2BIG beyond PLAN_MAX_LAYERS.
 * Workloads (§2.6): `workload %q: must define an "override" policy`,
 * `workload %q: has an invalid "override" policy: %q`, `workload %q: not defined for
 * service %q`, `workload %q: <user/group error>`. */
int plan_from_layers(struct plan_layer *const *layers, size_t n, struct plan **ret,
		     struct errbuf *eb);

/* How a run-time layer is added (§6, POST /v1/layers). */
struct plan_add_opts {
	bool combine;        /* combine with an existing layer of the same label */
	bool inner;   /* allow inserting into an existing "dir/" group */
};

/* Returns in *ret a new plan = old + layer, placed by the order rules of §6.  The layer's
 * own order field is ignored; the label comes from layer->label.  old and layer are not
 * modified (layer is copied).  The layer is expected to come from plan_layer_parse(),
 * which already refused the reserved "pebble-" label prefix.  Errors:
 *   -EINVAL  any §4/§5 message (HTTP 400)
 *   -EEXIST  layer %q already exists (HTTP 400)
 *   -EPERM   cannot insert sub-directory layer without 'inner' attribute set (HTTP 500)
 *   -E2BIG   too many layers (HTTP 500) */
int plan_add_layer(const struct plan *old, const struct plan_layer *layer,
		   const struct plan_add_opts *opts, struct plan **ret, struct errbuf *eb);

/* One service's `--args` (run --args svc a b c ;). */
struct plan_service_args {
	const char *service;
	char *const *args; /* borrowed; may be empty */
	size_t n_args;
};

/* Realises `--args` (§2.3): returns a new plan with a layer labelled
 * PLAN_SERVICE_ARGS_LABEL (override: merge) whose commands are each service's base
 * command plus "[ args ]" (the args replace the default group).  If that layer already
 * exists it is combined in place.  Errors (-EINVAL): service %q not found in plan;
 * the command's parse error. */
int plan_set_service_args(const struct plan *old, const struct plan_service_args *args,
			  size_t n, struct plan **ret, struct errbuf *eb);

/* Lookups in a plan's (or a layer's) sections: borrowed pointer or NULL. */
const struct plan_service *plan_find_service(const struct plan_sections *s, const char *name);
const struct plan_check *plan_find_check(const struct plan_sections *s, const char *name);
const struct plan_log_target *plan_find_log_target(const struct plan_sections *s,
						   const char *name);
const struct plan_workload *plan_find_workload(const struct plan_sections *s, const char *name);
const struct plan_layer *plan_find_layer(const struct plan *p, const char *label);

/* Deep equality of one entry's configuration (name included).  replan restarts a running
 * service iff !plan_service_equal(running_config, new_config); checks likewise.  NULL is
 * equal only to NULL. */
bool plan_service_equal(const struct plan_service *a, const struct plan_service *b);
bool plan_check_equal(const struct plan_check *a, const struct plan_check *b);
bool plan_log_target_equal(const struct plan_log_target *a, const struct plan_log_target *b);
bool plan_workload_equal(const struct plan_workload *a, const struct plan_workload *b);
/* Copies of single entries (e.g. to remember the config a service was started with). */
struct plan_service *plan_service_dup(const struct plan_service *s);
void plan_service_free(struct plan_service *s);
struct plan_check *plan_check_dup(const struct plan_check *c);
void plan_check_free(struct plan_check *c);

/* Effective values with defaults applied (§2.2, §2.4). */
bool plan_service_startup_enabled(const struct plan_service *s); /* startup == "enabled" */
enum plan_action plan_service_on_success(const struct plan_service *s); /* unset => RESTART */
enum plan_action plan_service_on_failure(const struct plan_service *s); /* unset => RESTART */
/* Action for a failing check the service lists, or PLAN_ACTION_UNSET if not listed. */
enum plan_action plan_service_on_check_failure(const struct plan_service *s, const char *check);
int64_t plan_service_backoff_delay(const struct plan_service *s);
double plan_service_backoff_factor(const struct plan_service *s);
int64_t plan_service_backoff_limit(const struct plan_service *s);
int64_t plan_service_kill_delay(const struct plan_service *s);
bool plan_check_startup_enabled(const struct plan_check *c); /* unset => enabled */
int64_t plan_check_period(const struct plan_check *c);
int64_t plan_check_timeout(const struct plan_check *c); /* capped to the period */
int64_t plan_check_threshold(const struct plan_check *c);

/* Execution context of a service: the environment (workload env, then service env on top),
 * user/user-id/group/group-id (service's own values win over its workload's) and
 * working-dir.  All strings are borrowed from the plan (valid while it lives) except that
 * `environment` is a new map the caller frees with plan_strmap_done(). */
struct plan_exec_ctx {
	struct plan_strmap environment;
	const struct plan_opt_int *user_id;
	const char *user;
	const struct plan_opt_int *group_id;
	const char *group;
	const char *working_dir;
};
/* For a service in p.  Never fails (an unknown workload contributes nothing). */
void plan_service_exec_ctx(const struct plan *p, const struct plan_service *s,
			   struct plan_exec_ctx *ret);
/* For an exec check: starts from its service-context service (if any), then the check's own
 * values win and its environment is merged on top (§2.4). */
void plan_check_exec_ctx(const struct plan *p, const struct plan_check *c,
			 struct plan_exec_ctx *ret);
void plan_strmap_done(struct plan_strmap *m);

/* ======================= Rendering (plan_yaml.c) ======================= */

/* Appends the combined plan as YAML exactly as GET /v1/plan?format=yaml returns it (§7):
 * 4-space indent, fixed field order, map keys in yaml.v3's natural order ("svc2" before
 * "svc10"), "{}\n" for an empty plan.  Scalars are quoted as yaml.v3 quotes them, plus
 * double quotes for the few strings YAML 1.1 loaders (PyYAML) would otherwise read as
 * another type ("=", "<<", "1_0.5", "2001-13-45"...). */
void plan_render_yaml(const struct plan *p, struct buf *out);
/* Same, for one layer's sections (useful for debugging and tests). */
void plan_sections_render_yaml(const struct plan_sections *s, struct buf *out);

/* ======================= Ordering (plan_order.c) ======================= */

/* Lanes of service names (§8).  Each lane runs sequentially; lanes run in parallel.
 * Lanes follow Pebble's createLanes(); a lane left empty by its remapping is dropped. */
struct plan_lanes {
	struct plan_strlist *v;
	size_t n;
};
void plan_lanes_done(struct plan_lanes *l);

/* Start order for the requested names: the set is names + transitive requires, ordered
 * by after/before, split into lanes.  *ret is written on success (caller calls
 * plan_lanes_done).  Errors (-EINVAL): service %q does not exist;
 * services in before/after loop: a, b */
int plan_start_order(const struct plan *p, char *const *names, size_t n,
		     struct plan_lanes *ret, struct errbuf *eb);
/* Stop order: names + every service that transitively requires them, in reverse
 * dependency order, split into lanes.  Same errors. */
int plan_stop_order(const struct plan *p, char *const *names, size_t n,
		    struct plan_lanes *ret, struct errbuf *eb);

#endif
