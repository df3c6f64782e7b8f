/* cairn/charm.h - the cairn C charm SDK: the Operator Framework's model for charms in C.
 *
 * A charm built with this library is one native `dispatch` executable.  The unit agent (cairn's,
 * or any Juju-compatible one) runs it once per event with the hook environment of
 * charm-runtime.md §2; the library reads the event from JUJU_DISPATCH_PATH, calls the handlers
 * the charm observed, and commits the charm's stored state and deferred events when every
 * handler succeeded.  The shape follows the Python `ops` library the Juju documentation uses:
 *
 *     static int on_start(struct cairn_event *ev, void *data)
 *     {
 *             return cairn_unit_set_status(cairn_event_charm(ev), CAIRN_STATUS_ACTIVE, "", NULL);
 *     }
 *
 *     static int setup(struct cairn_charm *ch, void *data)
 *     {
 *             return CAIRN_OBSERVE(ch, CAIRN_EVENT_START, NULL, on_start, data);
 *     }
 *
 *     int main(void) { return cairn_main(setup, NULL); }
 *
 * Build it with `cc charm.c $(pkg-config --cflags --libs cairn-charm) -o dispatch`.
 *
 * What one dispatch does (the `ops` contract, charm-runtime.md §1.4, §4.3):
 *   1. read the hook environment and metadata.yaml (+ actions.yaml) from the charm directory;
 *   2. call the charm's setup function, which observes events;
 *   3. open the stored state (SQLite `$JUJU_CHARM_DIR/.unit-state.db`, or the controller's
 *      state-get/state-set when the charm asks for it);
 *   4. re-emit every deferred event, oldest first, to the handler that deferred it; an event
 *      whose handler does not defer it again leaves the queue (not in restricted contexts:
 *      collect-metrics, meter-status-changed);
 *   5. emit the event itself to each of its observers, in the order they were registered;
 *   6. emit collect-app-status (leader only) and collect-unit-status, and set the statuses the
 *      handlers added (not in restricted contexts);
 *   7. commit stored state and the deferral queue in one transaction.
 * A handler that returns non-zero fails the dispatch: nothing of steps 4-7 is committed
 * (state changes, new deferrals and the removal of re-emitted ones all roll back), the
 * failure is logged through juju-log at ERROR, and the process exits 1 so the agent retries
 * the hook.  An event the charm does not observe is logged at DEBUG and succeeds.
 *
 * Talking to the agent: each model call (config, status, relations, ...) is one hook-tool
 * call.  The library sends it straight to the agent's socket (JUJU_AGENT_SOCKET_ADDRESS, the
 * framing of cairn's docs/protocol.md §2) so an event costs one process start, and falls back
 * to running the hook tools found on PATH when that protocol is not there, so the same charm
 * runs under any Juju-compatible agent (struct cairn_charm_opts.tools).
 *
 * Conventions (every function in this header):
 *  - Functions that can fail return 0 (or a documented non-negative value) on success and a
 *    negative errno on failure.  When `err` is not NULL it is filled on failure with the
 *    error's kind and a message (struct cairn_error); the kind, not the errno, tells the
 *    failures apart.  err may always be NULL.
 *  - Output parameters are named ret / ret_* and are written only on success.
 *  - "Borrowed" results belong to the library and stay valid for the rest of the dispatch
 *    (until cairn_main returns) unless stated otherwise; "caller frees" results are released
 *    with the function named next to them.  Inputs are copied unless stated otherwise.
 *  - Strings are NUL-terminated UTF-8.  Lists of names are NULL-terminated arrays.
 *  - The library is not thread-safe: one charm, one thread, one dispatch.
 */
#ifndef CAIRN_CHARM_H
#define CAIRN_CHARM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_CHARM_VERSION "0.1.0"

#if defined(__GNUC__)
#define CAIRN_API __attribute__((visibility("default")))
#define CAIRN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CAIRN_API
#define CAIRN_PRINTF(f, a)
#endif

/* =============================== Errors =============================== */

/* The kinds of failure, with the negative errno a function returns for each. */
enum cairn_error_kind {
	CAIRN_ERR_NONE = 0,
	CAIRN_ERR_INVALID,    /* -EINVAL: a bad argument (unknown field, malformed name, NULL) */
	CAIRN_ERR_NOT_FOUND,  /* -ENOENT: no such key, option, relation, container, service */
	CAIRN_ERR_TYPE,       /* -EDOM: the value exists but has another type */
	CAIRN_ERR_MODEL,      /* -EIO: a hook tool failed; message = its error text, code = its exit code */
	CAIRN_ERR_CONNECTION, /* -ENOTCONN: cannot reach Pebble (or the agent); message says why */
	CAIRN_ERR_PROTOCOL,   /* -EPROTO: the peer answered something malformed */
	CAIRN_ERR_API,        /* -EREMOTEIO: Pebble answered an error: code = HTTP status, pebble_kind */
	CAIRN_ERR_PATH,       /* -EREMOTEIO: a Pebble file operation failed: pebble_kind = "not-found",
			       * "permission-denied" or "generic-file-error" */
	CAIRN_ERR_CHANGE,     /* -ECANCELED: a Pebble change ended in error: change_id, message = its err */
	CAIRN_ERR_TIMEOUT,    /* -ETIMEDOUT: a wait ran out (a change, a connection) */
	CAIRN_ERR_STORE,      /* -EIO: the stored-state database failed */
	_CAIRN_ERR_MAX
};

#define CAIRN_ERROR_MESSAGE_MAX 512

/* An error as a value.  Zero-initialise it (or leave it alone: every failing call fills it
 * completely). */
struct cairn_error {
	enum cairn_error_kind kind;
	int code;              /* HTTP status (API, PATH), exit code (MODEL), else 0 */
	char pebble_kind[64];  /* Pebble's error "kind" (API, PATH), else "" */
	char change_id[32];    /* the failed change (CHANGE, TIMEOUT of a change), else "" */
	char message[CAIRN_ERROR_MESSAGE_MAX];
};

/* "invalid", "not-found", "type", "model", "connection", "protocol", "api", "path", "change",
 * "timeout", "store" ("none" for CAIRN_ERR_NONE).  Never NULL. */
CAIRN_API const char *cairn_error_kind_name(enum cairn_error_kind kind);

/* =============================== Values ===============================
 *
 * A typed value: null, bool, 64-bit integer, double, string, list or map (string keys, kept
 * in insertion order).  Values hold stored state, configuration, action parameters and
 * results, and relation data.  A value is owned by exactly one place: functions that "take"
 * a value own it afterwards (and free it even when they fail); functions that return a
 * borrowed value keep owning it. */

struct cairn_value;

enum cairn_value_kind {
	CAIRN_VALUE_NULL,
	CAIRN_VALUE_BOOL,
	CAIRN_VALUE_INT,
	CAIRN_VALUE_DOUBLE,
	CAIRN_VALUE_STRING,
	CAIRN_VALUE_LIST,
	CAIRN_VALUE_MAP,
	_CAIRN_VALUE_MAX
};

/* Constructors return a new value (caller frees with cairn_value_free), or NULL when s is
 * NULL or not valid UTF-8 (cairn_value_string) or d is not finite (cairn_value_double). */
CAIRN_API struct cairn_value *cairn_value_null(void);
CAIRN_API struct cairn_value *cairn_value_bool(bool b);
CAIRN_API struct cairn_value *cairn_value_int(int64_t i);
CAIRN_API struct cairn_value *cairn_value_double(double d);
CAIRN_API struct cairn_value *cairn_value_string(const char *s);
CAIRN_API struct cairn_value *cairn_value_list(void);
CAIRN_API struct cairn_value *cairn_value_map(void);
/* A deep copy (caller frees), or NULL for NULL. */
CAIRN_API struct cairn_value *cairn_value_copy(const struct cairn_value *v);
/* Frees v and everything in it.  NULL is accepted.  Never free a borrowed value. */
CAIRN_API void cairn_value_free(struct cairn_value *v);

/* The kind of v (CAIRN_VALUE_NULL for NULL). */
CAIRN_API enum cairn_value_kind cairn_value_kind(const struct cairn_value *v);
/* "null", "bool", "int", "double", "string", "list", "map". */
CAIRN_API const char *cairn_value_kind_name(enum cairn_value_kind kind);
/* Deep equality; an int and a double are never equal.  NULL equals only NULL. */
CAIRN_API bool cairn_value_equal(const struct cairn_value *a, const struct cairn_value *b);

/* Scalar reads.  -EDOM (CAIRN_ERR_TYPE) when v has another kind; cairn_value_get_double also
 * accepts an int.  The string is borrowed from v. */
CAIRN_API int cairn_value_get_bool(const struct cairn_value *v, bool *ret);
CAIRN_API int cairn_value_get_int(const struct cairn_value *v, int64_t *ret);
CAIRN_API int cairn_value_get_double(const struct cairn_value *v, double *ret);
CAIRN_API int cairn_value_get_string(const struct cairn_value *v, const char **ret);

/* Elements of a list or entries of a map; 0 for any other kind. */
CAIRN_API size_t cairn_value_size(const struct cairn_value *v);

/* Lists.  cairn_list_at returns the borrowed element or NULL past the end.  cairn_list_append
 * takes item (-EINVAL when list is not a list or item is NULL). */
CAIRN_API struct cairn_value *cairn_list_at(const struct cairn_value *list, size_t i);
CAIRN_API int cairn_list_append(struct cairn_value *list, struct cairn_value *item);

/* Maps.  cairn_map_get returns the borrowed value or NULL.  cairn_map_set takes val and
 * replaces any earlier value (-EINVAL when map is not a map, key is NULL or not UTF-8, or val
 * is NULL).  cairn_map_set_default takes val and stores it only when key is absent (ops'
 * StoredState.set_default); it returns 1 when it stored val, 0 when the key was there (val is
 * then freed).  cairn_map_delete returns -ENOENT when key is absent. */
CAIRN_API struct cairn_value *cairn_map_get(const struct cairn_value *map, const char *key);
/* The value at a dotted path ("a.b.c" is map["a"]["b"]["c"]; borrowed), or NULL when a part
 * is absent or a value on the way is not a map: how Juju's action-get reads a key, and how
 * nested action results and parameters are reached.  A path without dots is cairn_map_get. */
CAIRN_API struct cairn_value *cairn_map_get_path(const struct cairn_value *map, const char *path);
CAIRN_API int cairn_map_set(struct cairn_value *map, const char *key, struct cairn_value *val);
CAIRN_API int cairn_map_set_default(struct cairn_value *map, const char *key, struct cairn_value *val);
CAIRN_API int cairn_map_delete(struct cairn_value *map, const char *key);
/* Iterates in insertion order: start with *iter = NULL; returns each key (borrowed) with its
 * value in *ret_val (borrowed; ret_val may be NULL), then NULL.  Do not change the map while
 * iterating. */
CAIRN_API const char *cairn_map_next(const struct cairn_value *map, void **iter,
				     struct cairn_value **ret_val);

/* Typed map reads with a default: 0 and *ret = the value, or def when the key is absent or
 * null; -EDOM (CAIRN_ERR_TYPE, message naming the key and both kinds) when it holds another
 * kind; -EINVAL when map is not a map.  cairn_map_double accepts an int.  Strings are
 * borrowed from the map. */
CAIRN_API int cairn_map_string(const struct cairn_value *map, const char *key, const char *def,
			       const char **ret, struct cairn_error *err);
CAIRN_API int cairn_map_int(const struct cairn_value *map, const char *key, int64_t def,
			    int64_t *ret, struct cairn_error *err);
CAIRN_API int cairn_map_double(const struct cairn_value *map, const char *key, double def,
			       double *ret, struct cairn_error *err);
CAIRN_API int cairn_map_bool(const struct cairn_value *map, const char *key, bool def, bool *ret,
			     struct cairn_error *err);
/* Typed map writes (copy s): 0, or -EINVAL as cairn_map_set. */
CAIRN_API int cairn_map_set_string(struct cairn_value *map, const char *key, const char *s);
CAIRN_API int cairn_map_set_int(struct cairn_value *map, const char *key, int64_t i);
CAIRN_API int cairn_map_set_double(struct cairn_value *map, const char *key, double d);
CAIRN_API int cairn_map_set_bool(struct cairn_value *map, const char *key, bool b);

/* JSON text of v (caller frees with free()), compact, map keys in insertion order. */
CAIRN_API char *cairn_value_to_json(const struct cairn_value *v);
/* Parses JSON text into a new value (caller frees).  -EINVAL (CAIRN_ERR_INVALID, message with
 * line and column) on malformed text. */
CAIRN_API int cairn_value_from_json(const char *text, struct cairn_value **ret,
				    struct cairn_error *err);

/* =============================== Events =============================== */

/* Every event a charm can observe.  Static events have no name; the dynamic ones are named
 * by the metadata.yaml entry they belong to: a relation endpoint (requires/provides/peers),
 * a storage, a container, or an action (actions.yaml). */
enum cairn_event_kind {
	CAIRN_EVENT_INSTALL,
	CAIRN_EVENT_START,
	CAIRN_EVENT_STOP,
	CAIRN_EVENT_REMOVE,
	CAIRN_EVENT_UPDATE_STATUS,
	CAIRN_EVENT_CONFIG_CHANGED,
	CAIRN_EVENT_UPGRADE_CHARM,
	CAIRN_EVENT_LEADER_ELECTED,
	CAIRN_EVENT_LEADER_SETTINGS_CHANGED, /* deprecated by Juju; still dispatched by 3.x */
	CAIRN_EVENT_PRE_SERIES_UPGRADE,
	CAIRN_EVENT_POST_SERIES_UPGRADE,
	CAIRN_EVENT_COLLECT_METRICS,         /* restricted: nothing is re-emitted or committed */
	CAIRN_EVENT_SECRET_CHANGED,
	CAIRN_EVENT_SECRET_EXPIRED,
	CAIRN_EVENT_SECRET_ROTATE,
	CAIRN_EVENT_SECRET_REMOVE,
	CAIRN_EVENT_RELATION_CREATED,        /* name = endpoint */
	CAIRN_EVENT_RELATION_JOINED,
	CAIRN_EVENT_RELATION_CHANGED,
	CAIRN_EVENT_RELATION_DEPARTED,
	CAIRN_EVENT_RELATION_BROKEN,
	CAIRN_EVENT_STORAGE_ATTACHED,        /* name = storage */
	CAIRN_EVENT_STORAGE_DETACHING,
	CAIRN_EVENT_PEBBLE_READY,            /* name = container */
	CAIRN_EVENT_PEBBLE_CUSTOM_NOTICE,
	CAIRN_EVENT_PEBBLE_CHECK_FAILED,
	CAIRN_EVENT_PEBBLE_CHECK_RECOVERED,
	CAIRN_EVENT_ACTION,                  /* name = action; cannot be deferred */
	CAIRN_EVENT_COLLECT_APP_STATUS,      /* framework events, emitted after every event */
	CAIRN_EVENT_COLLECT_UNIT_STATUS,
	_CAIRN_EVENT_MAX
};

/* The hook name of a static kind ("install", "config-changed", "collect-app-status"), or the
 * suffix of a dynamic one ("-relation-joined", "-pebble-ready", "-storage-attached"; "" for
 * CAIRN_EVENT_ACTION).  NULL for an out-of-range kind. */
CAIRN_API const char *cairn_event_kind_name(enum cairn_event_kind kind);
/* Whether a kind is named by a metadata entry (relation, storage, container, action). */
CAIRN_API bool cairn_event_kind_is_dynamic(enum cairn_event_kind kind);

struct cairn_charm;
struct cairn_event;
struct cairn_relation;
struct cairn_container;

/* A handler.  Return 0 on success; anything else fails the whole dispatch (see above).
 * ev is borrowed for the duration of the call. */
typedef int (*cairn_handler_fn)(struct cairn_event *ev, void *data);

/* Registers fn for (kind, name).  name is NULL for static kinds and must name a metadata
 * entry of the right family for dynamic ones (endpoint, storage, container, action).
 * observer is a stable identifier of the handler: a deferred event is re-emitted, in a later
 * dispatch (a later process, maybe a newer charm revision), to the handler registered under
 * the same observer id and (kind, name).  CAIRN_OBSERVE uses the function's own name.
 * Registering the same (observer, kind, name) twice is -EINVAL.  Errors: -EINVAL (bad kind,
 * name given for a static kind or missing for a dynamic one, bad observer), -ENOENT
 * (CAIRN_ERR_NOT_FOUND: metadata.yaml/actions.yaml has no such entry). */
CAIRN_API int cairn_observe(struct cairn_charm *ch, enum cairn_event_kind kind, const char *name,
			    const char *observer, cairn_handler_fn fn, void *data,
			    struct cairn_error *err);
#define CAIRN_OBSERVE(ch, kind, name, fn, data) \
	cairn_observe((ch), (kind), (name), #fn, (fn), (data), NULL)

/* What the event is. */
CAIRN_API enum cairn_event_kind cairn_event_kind(const struct cairn_event *ev);
/* The hook name as the agent dispatched it ("install", "db-relation-changed",
 * "pause-pebble-ready"), or the action name for actions. */
CAIRN_API const char *cairn_event_hook(const struct cairn_event *ev);
/* The metadata name of a dynamic event (endpoint, storage, container, action), else NULL. */
CAIRN_API const char *cairn_event_name(const struct cairn_event *ev);
/* The framework object the event belongs to. */
CAIRN_API struct cairn_charm *cairn_event_charm(const struct cairn_event *ev);
/* Whether this call is a re-emission of an event deferred in an earlier dispatch. */
CAIRN_API bool cairn_event_reemitted(const struct cairn_event *ev);

/* Defers the event: it stays queued for this handler and is re-emitted to it at the start of
 * the next dispatch, before that dispatch's own event, until a run of the handler returns
 * without deferring it.  The queue entry is committed only if the dispatch succeeds.  Calling
 * it twice in one handler run is harmless; an event already queued for this handler is not
 * queued twice.  -EINVAL for actions and collect-status events, which cannot be deferred. */
CAIRN_API int cairn_event_defer(struct cairn_event *ev, struct cairn_error *err);

/* Context, as the agent gave it (charm-runtime.md §2.2).  Each returns NULL (or -1) when the
 * event does not carry it.  Strings are borrowed from the event. */
CAIRN_API struct cairn_relation *cairn_event_relation(const struct cairn_event *ev);
CAIRN_API const char *cairn_event_unit(const struct cairn_event *ev);           /* JUJU_REMOTE_UNIT */
CAIRN_API const char *cairn_event_app(const struct cairn_event *ev);            /* JUJU_REMOTE_APP (or the unit's app) */
CAIRN_API const char *cairn_event_departing_unit(const struct cairn_event *ev); /* JUJU_DEPARTING_UNIT */
CAIRN_API struct cairn_container *cairn_event_workload(const struct cairn_event *ev); /* JUJU_WORKLOAD_NAME */
CAIRN_API const char *cairn_event_notice_id(const struct cairn_event *ev);
CAIRN_API const char *cairn_event_notice_type(const struct cairn_event *ev);
CAIRN_API const char *cairn_event_notice_key(const struct cairn_event *ev);
CAIRN_API const char *cairn_event_check_name(const struct cairn_event *ev);     /* JUJU_PEBBLE_CHECK_NAME */
CAIRN_API const char *cairn_event_storage_id(const struct cairn_event *ev);     /* JUJU_STORAGE_ID "data/0" */
CAIRN_API const char *cairn_event_secret_id(const struct cairn_event *ev);
CAIRN_API const char *cairn_event_secret_label(const struct cairn_event *ev);
CAIRN_API int64_t cairn_event_secret_revision(const struct cairn_event *ev);     /* -1 when absent */

/* ---- collect-status (ops' CollectStatusEvent.add_status) ----
 * Adds a candidate status; after the collect handlers ran, the highest-priority candidate is
 * set (error > blocked > maintenance > waiting > active > unknown; the first added wins a
 * tie): the app's for collect-app-status, the unit's for collect-unit-status.  -EINVAL for
 * other events or a status a charm cannot set (error, unknown). */
enum cairn_status {
	CAIRN_STATUS_UNKNOWN,
	CAIRN_STATUS_ACTIVE,
	CAIRN_STATUS_BLOCKED,
	CAIRN_STATUS_MAINTENANCE,
	CAIRN_STATUS_WAITING,
	CAIRN_STATUS_ERROR,       /* read only */
	CAIRN_STATUS_TERMINATED,  /* read only */
	_CAIRN_STATUS_MAX
};
/* "unknown", "active", "blocked", "maintenance", "waiting", "error", "terminated". */
CAIRN_API const char *cairn_status_name(enum cairn_status st);
CAIRN_API int cairn_event_add_status(struct cairn_event *ev, enum cairn_status st,
				     const char *message, struct cairn_error *err);

/* ---- actions (CAIRN_EVENT_ACTION) ----
 * The parameters come from action-get (schema defaults included) and are loaded on first
 * use.  Results are set with action-set, which keeps every value as a string.  A key is a
 * dotted path whose every part matches ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ and is none of the
 * keys Juju reserves (stdout, stdout-encoding, stderr, stderr-encoding); dotted keys nest
 * ("a.b" = 1 makes {"a": {"b": "1"}}), a later key through a string replaces it with a map
 * and a later string replaces a map, as Juju's action-set does.  Each of these returns
 * -EINVAL (CAIRN_ERR_INVALID) when ev is not an action; the model errors are -EIO
 * (CAIRN_ERR_MODEL, the tool's text). */
CAIRN_API const char *cairn_action_id(const struct cairn_event *ev); /* JUJU_ACTION_UUID, NULL
								       * for other events */
/* The parameters as a map (borrowed, valid for the dispatch). */
CAIRN_API int cairn_action_params(struct cairn_event *ev, const struct cairn_value **ret,
				  struct cairn_error *err);
/* Typed parameter reads with defaults.  key is a dotted path into nested parameters, read
 * as `action-get a.b` reads it (cairn_map_get_path): def when a part is absent or null or a
 * value on the way is not a map; -EDOM (CAIRN_ERR_TYPE, "action parameter: \"a.b\" is a
 * string, not a int") for another kind (cairn_action_param_double accepts an int); -EINVAL
 * for a NULL key.  Strings are borrowed from the parameters. */
CAIRN_API int cairn_action_param_string(struct cairn_event *ev, const char *key, const char *def,
					const char **ret, struct cairn_error *err);
CAIRN_API int cairn_action_param_int(struct cairn_event *ev, const char *key, int64_t def,
				     int64_t *ret, struct cairn_error *err);
CAIRN_API int cairn_action_param_double(struct cairn_event *ev, const char *key, double def,
					double *ret, struct cairn_error *err);
CAIRN_API int cairn_action_param_bool(struct cairn_event *ev, const char *key, bool def,
				      bool *ret, struct cairn_error *err);
/* One result (key and value copied; value NULL is "").  -EINVAL before anything reaches the
 * agent, with action-set's own text, for a bad key ("key \"Bad\" must start and end with
 * lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods",
 * "cannot set reserved action key \"stdout\"") or a value that is not UTF-8. */
CAIRN_API int cairn_action_set_result(struct cairn_event *ev, const char *key, const char *value,
				      struct cairn_error *err);
/* Many results in one action-set call: a map (borrowed) of strings, numbers and bools
 * (written as action-set text: 1024, 0.25, true) and nested maps, flattened to dotted keys
 * (map keys may hold dots themselves).  -EINVAL, with nothing set, when results is not a
 * map, holds a list or null, a key is refused as above, one key is named twice
 * ({"a.b": .., "a": {"b": ..}}: "duplicate action result key \"a.b\""), or there are more
 * than 1024 results. */
CAIRN_API int cairn_action_set_results(struct cairn_event *ev, const struct cairn_value *results,
				       struct cairn_error *err);
/* A progress message (action-log). */
CAIRN_API int cairn_action_log(struct cairn_event *ev, const char *message,
			       struct cairn_error *err);
/* Marks the action failed with message (action-fail); the handler should still return 0. */
CAIRN_API int cairn_action_fail(struct cairn_event *ev, const char *message,
				struct cairn_error *err);

/* =============================== The framework object =============================== */

/* How model calls reach the agent. */
enum cairn_tools {
	CAIRN_TOOLS_AUTO = 0, /* the agent's socket when it speaks cairn's protocol, else PATH */
	CAIRN_TOOLS_SOCKET,   /* the agent's socket only */
	CAIRN_TOOLS_EXEC,     /* run the hook tools found on PATH (what ops does) */
	_CAIRN_TOOLS_MAX
};

/* Where stored state and the deferral queue live. */
enum cairn_storage {
	CAIRN_STORAGE_LOCAL = 0, /* $JUJU_CHARM_DIR/.unit-state.db (SQLite in WAL mode, 0600) */
	CAIRN_STORAGE_CONTROLLER, /* the controller's charm state (state-get/state-set) */
	_CAIRN_STORAGE_MAX
};

struct cairn_charm_opts {
	enum cairn_tools tools;     /* default CAIRN_TOOLS_AUTO */
	enum cairn_storage storage; /* default CAIRN_STORAGE_LOCAL */
	const char *charm_dir;      /* NULL: $JUJU_CHARM_DIR, else the working directory */
};

/* Called once per dispatch, before any event, to observe events.  Returning non-zero fails
 * the dispatch (exit 1). */
typedef int (*cairn_setup_fn)(struct cairn_charm *ch, void *data);

/* The whole dispatch (see the top of this file) for the process's hook environment.
 * Returns the process exit code: 0 on success, 1 when setup, a handler or the commit failed
 * (the reason is logged through juju-log and printed on stderr).  opts may be NULL. */
CAIRN_API int cairn_main(cairn_setup_fn setup, void *data);
CAIRN_API int cairn_main_opts(const struct cairn_charm_opts *opts, cairn_setup_fn setup, void *data);

/* Identity of this unit and model (borrowed, never NULL; "" when the agent did not say). */
CAIRN_API const char *cairn_unit_name(const struct cairn_charm *ch);  /* "hello/0" */
CAIRN_API const char *cairn_app_name(const struct cairn_charm *ch);   /* "hello" */
CAIRN_API const char *cairn_charm_name(const struct cairn_charm *ch); /* metadata.yaml name */
CAIRN_API const char *cairn_charm_dir(const struct cairn_charm *ch);
CAIRN_API const char *cairn_model_name(const struct cairn_charm *ch);
CAIRN_API const char *cairn_model_uuid(const struct cairn_charm *ch);
CAIRN_API const char *cairn_juju_version(const struct cairn_charm *ch);
/* The hook being dispatched ("install", "db-relation-changed", an action name). */
CAIRN_API const char *cairn_dispatch_hook(const struct cairn_charm *ch);

/* ---- logging (juju-log) ---- */
enum cairn_log_level {
	CAIRN_LOG_TRACE,
	CAIRN_LOG_DEBUG,
	CAIRN_LOG_INFO,
	CAIRN_LOG_WARNING,
	CAIRN_LOG_ERROR,
	CAIRN_LOG_CRITICAL,
	_CAIRN_LOG_MAX
};
/* Writes one message to the unit's log (juju-log --log-level LEVEL -- MSG); messages longer
 * than 131071 bytes go out in several calls.  Never fails: when juju-log cannot be reached
 * the message goes to stderr (which the agent also logs). */
CAIRN_API void cairn_log(struct cairn_charm *ch, enum cairn_log_level level, const char *fmt, ...)
	CAIRN_PRINTF(3, 4);
CAIRN_API void cairn_logv(struct cairn_charm *ch, enum cairn_log_level level, const char *fmt,
			  va_list ap);

/* ---- stored state ----
 * The map for namespace ns (borrowed, mutable: change it with the cairn_map_* functions).
 * It persists per unit; changes are committed at the end of a successful dispatch and
 * forgotten when the dispatch fails.  Use cairn_map_set_default() for ops' set_default.
 * Errors: -EINVAL (bad ns), -EIO (CAIRN_ERR_STORE or CAIRN_ERR_MODEL for controller
 * storage: the store could not be read). */
CAIRN_API int cairn_stored(struct cairn_charm *ch, const char *ns, struct cairn_value **ret,
			   struct cairn_error *err);

/* ---- leadership ---- */
/* 1 when this unit is the leader, 0 when not, negative on error (is-leader failed).  The
 * answer is asked once per dispatch. */
CAIRN_API int cairn_is_leader(struct cairn_charm *ch, struct cairn_error *err);

/* ---- config (config-get) ----
 * The whole configuration as a map (borrowed), read once per dispatch.  The typed getters
 * return def for an unset (or null) option, -EDOM (CAIRN_ERR_TYPE) for an option of another
 * type (cairn_config_double accepts an int), -EIO (CAIRN_ERR_MODEL) when config-get fails. */
CAIRN_API int cairn_config(struct cairn_charm *ch, const struct cairn_value **ret,
			   struct cairn_error *err);
CAIRN_API int cairn_config_string(struct cairn_charm *ch, const char *key, const char *def,
				  const char **ret, struct cairn_error *err);
CAIRN_API int cairn_config_int(struct cairn_charm *ch, const char *key, int64_t def, int64_t *ret,
			       struct cairn_error *err);
CAIRN_API int cairn_config_double(struct cairn_charm *ch, const char *key, double def, double *ret,
				  struct cairn_error *err);
CAIRN_API int cairn_config_bool(struct cairn_charm *ch, const char *key, bool def, bool *ret,
				struct cairn_error *err);

/* ---- status (status-set / status-get) ----
 * Sets the unit's or (leader only) the application's workload status at once.  message may
 * be NULL (= "").  Errors: -EINVAL (a status a charm cannot set: unknown, error,
 * terminated), -EIO (CAIRN_ERR_MODEL: the tool failed, or "unit is not the leader" for the
 * app status of a non-leader). */
CAIRN_API int cairn_unit_set_status(struct cairn_charm *ch, enum cairn_status st,
				    const char *message, struct cairn_error *err);
CAIRN_API int cairn_app_set_status(struct cairn_charm *ch, enum cairn_status st,
				   const char *message, struct cairn_error *err);
/* Reads the current status.  *ret_message is borrowed until the next status call or the end
 * of the dispatch; either output may be NULL.  The app status is leader only. */
CAIRN_API int cairn_unit_get_status(struct cairn_charm *ch, enum cairn_status *ret_status,
				    const char **ret_message, struct cairn_error *err);
CAIRN_API int cairn_app_get_status(struct cairn_charm *ch, enum cairn_status *ret_status,
				   const char **ret_message, struct cairn_error *err);

/* ---- workload version (application-version-set) ---- */
CAIRN_API int cairn_set_workload_version(struct cairn_charm *ch, const char *version,
					 struct cairn_error *err);

/* ---- ports (open-port / close-port / opened-ports) ----
 * protocol is "tcp", "udp" or "icmp" (port numbers 1-65535; icmp takes none: pass 0). */
struct cairn_port {
	char protocol[8]; /* "tcp", "udp", "icmp" */
	int from;         /* 0 for icmp */
	int to;           /* == from for a single port */
};
/* open-port / close-port for one port or a range (from <= to) of protocol.  They take effect
 * when the hook succeeds, as in Juju.  Errors: -EINVAL (CAIRN_ERR_INVALID: an unknown
 * protocol, a port outside 1-65535, a port given for icmp, from > to), -EIO (CAIRN_ERR_MODEL,
 * the tool's text, e.g. a range that conflicts with another application's). */
CAIRN_API int cairn_open_port(struct cairn_charm *ch, const char *protocol, int port,
			      struct cairn_error *err);
CAIRN_API int cairn_close_port(struct cairn_charm *ch, const char *protocol, int port,
			       struct cairn_error *err);
CAIRN_API int cairn_open_port_range(struct cairn_charm *ch, const char *protocol, int from, int to,
				    struct cairn_error *err);
CAIRN_API int cairn_close_port_range(struct cairn_charm *ch, const char *protocol, int from,
				     int to, struct cairn_error *err);
/* The unit's open ports, sorted (caller frees *ret with free()). */
CAIRN_API int cairn_opened_ports(struct cairn_charm *ch, struct cairn_port **ret, size_t *ret_n,
				 struct cairn_error *err);

/* ---- relations (relation-ids / relation-list / relation-get / relation-set) ----
 * A relation object is owned by the framework.  The relation of a -relation-broken event is
 * not listed by cairn_relations() (it is going away), as in ops. */
/* The relations of endpoint (borrowed array, *ret_n entries).  -ENOENT for an endpoint that
 * is not in metadata.yaml. */
CAIRN_API int cairn_relations(struct cairn_charm *ch, const char *endpoint,
			      struct cairn_relation *const **ret, size_t *ret_n,
			      struct cairn_error *err);
/* One relation: with id < 0 the only relation of endpoint (-ENOENT when there is none,
 * -EINVAL when there are several); else the one with that id (-ENOENT when the endpoint has
 * no such relation). */
CAIRN_API int cairn_relation(struct cairn_charm *ch, const char *endpoint, int id,
			     struct cairn_relation **ret, struct cairn_error *err);
CAIRN_API int cairn_relation_id(const struct cairn_relation *r);
CAIRN_API const char *cairn_relation_endpoint(const struct cairn_relation *r);
/* The remote units (borrowed, NULL-terminated; *ret_n may be NULL). */
CAIRN_API int cairn_relation_units(struct cairn_relation *r, const char *const **ret,
				   size_t *ret_n, struct cairn_error *err);
/* The remote application's name (borrowed). */
CAIRN_API int cairn_relation_app(struct cairn_relation *r, const char **ret,
				 struct cairn_error *err);
/* A databag as a map of strings (borrowed, valid until the next write to the same
 * relation).  member is a unit name ("db/0", "hello/0") for a unit bag or an application
 * name ("db", "hello") for an application bag.  Reading our own application's bag is
 * leader only in Juju. */
CAIRN_API int cairn_relation_data(struct cairn_relation *r, const char *member,
				  const struct cairn_value **ret, struct cairn_error *err);
/* Writes key=value into this unit's bag (app=false) or, leader only, this application's
 * bag (app=true).  value NULL or "" deletes the key.  Juju applies the write when the hook
 * succeeds. */
CAIRN_API int cairn_relation_set(struct cairn_relation *r, bool app, const char *key,
				 const char *value, struct cairn_error *err);
/* Writes every entry of a map of strings at once (borrowed). */
CAIRN_API int cairn_relation_set_map(struct cairn_relation *r, bool app,
				     const struct cairn_value *data, struct cairn_error *err);

/* ---- leader settings (leader-get / leader-set) ----
 * The application's leader settings: a map of strings every unit reads and only the leader
 * writes.  Juju 3.x still keeps them (deprecated in favour of peer relation data); a write
 * takes effect at once, not at the end of the hook, and the other units see it in their
 * next leader-settings-changed. */
/* The settings as a map of strings (borrowed, read once per dispatch, updated by our own
 * writes).  -EIO (CAIRN_ERR_MODEL) when leader-get fails. */
CAIRN_API int cairn_leader_settings(struct cairn_charm *ch, const struct cairn_value **ret,
				    struct cairn_error *err);
/* Writes key=value (value NULL or "" deletes the key).  -EINVAL for an empty key or one
 * holding '='; -EIO (CAIRN_ERR_MODEL, "unit is not the leader") on a non-leader, or the
 * tool's failure. */
CAIRN_API int cairn_leader_set(struct cairn_charm *ch, const char *key, const char *value,
			       struct cairn_error *err);

/* ---- networking (network-get / unit-get) ---- */
/* A binding's network as network-get answers it (ops' Network).  Everything is borrowed
 * from the charm and valid for the rest of the dispatch. */
struct cairn_network {
	const char *bind_address;             /* where to listen: the first address of the
					       * first interface, or NULL when there is none */
	const char *ingress_address;          /* what to tell others: the first ingress
					       * address, else the bind address, or NULL */
	const char *const *ingress_addresses; /* NULL-terminated */
	const char *const *egress_subnets;    /* CIDRs, NULL-terminated */
	const struct cairn_value *document;   /* network-get's whole answer (a map) */
};
/* The network of binding (an endpoint or extra-binding name), as seen from relation rel when
 * rel is not NULL (network-get -r).  Asked once per (binding, rel) and dispatch.  Errors:
 * -ENOENT (CAIRN_ERR_NOT_FOUND) for a relation that is gone, -EIO (CAIRN_ERR_MODEL) when
 * network-get fails (e.g. "no network config found for binding"), -EPROTO for an answer
 * without the expected fields. */
CAIRN_API int cairn_network_get(struct cairn_charm *ch, const char *binding,
				struct cairn_relation *rel, const struct cairn_network **ret,
				struct cairn_error *err);
/* The unit's private or public address (unit-get private-address / public-address;
 * borrowed). */
CAIRN_API int cairn_unit_address(struct cairn_charm *ch, bool public_address, const char **ret,
				 struct cairn_error *err);

/* ---- goal state (goal-state) ---- */
/* What the model is heading for: {"units": {"app/0": {"status", "since"}, ...},
 * "relations": {endpoint: {"app" | "app/0": {"status", "since"}}}} (borrowed, asked once per
 * dispatch).  -EIO (CAIRN_ERR_MODEL) when goal-state fails. */
CAIRN_API int cairn_goal_state(struct cairn_charm *ch, const struct cairn_value **ret,
			       struct cairn_error *err);
/* How many units of this application the model is heading for (ops' planned_units: the
 * goal-state units that are not dying). */
CAIRN_API int cairn_planned_units(struct cairn_charm *ch, size_t *ret, struct cairn_error *err);

/* ---- storage (storage-list / storage-get) ---- */
/* The storage ids of name ("data/0", ...; borrowed, NULL-terminated). */
CAIRN_API int cairn_storage_list(struct cairn_charm *ch, const char *name,
				 const char *const **ret, size_t *ret_n, struct cairn_error *err);
/* Where storage id is mounted (borrowed). */
CAIRN_API int cairn_storage_location(struct cairn_charm *ch, const char *id, const char **ret,
				     struct cairn_error *err);

/* ---- processes (what charms run on a machine: installers, service managers) ---- */
/* Splits a command line shell-style (quotes and backslashes honoured, no expansion, no shell
 * involved) into *ret (NULL-terminated; caller frees with cairn_strv_free).  -EINVAL with
 * the reason for an unterminated quote or an empty command. */
CAIRN_API int cairn_split_command(const char *cmdline, char ***ret, struct cairn_error *err);
/* Runs argv[0] (searched in PATH) with the charm's environment, stdin from /dev/null and
 * stdout/stderr inherited (the agent logs them), and waits for it.  Returns 0 with
 * *ret_status = its exit code (128 + the signal when killed; ops' check_call fails on
 * anything but 0), or -EINVAL (CAIRN_ERR_INVALID, "fork/exec <cmd>: no such file or
 * directory") when it could not be started. */
CAIRN_API int cairn_run_command(const char *const *argv, int *ret_status, struct cairn_error *err);
/* cairn_split_command(cmdline) + the words of each args entry split the same way
 * (NULL-terminated, may be NULL), then cairn_run_command: the shape of a charm that runs a
 * configured command ("apt-get install -y") on configured arguments ("openssh-server"). */
CAIRN_API int cairn_run_command_line(const char *cmdline, const char *const *args, int *ret_status,
				     struct cairn_error *err);

/* =============================== Pebble ===============================
 *
 * A client for a workload container's Pebble, at /charm/containers/<name>/pebble.socket (the
 * path ops hard-codes, charm-runtime.md §11.1).  Getting the container object does not
 * connect.  Calls that start a change (start, stop, restart, autostart, replan) wait for it
 * (default timeout 30 s).  Errors tell apart:
 *   CAIRN_ERR_CONNECTION  the socket is missing or refuses, or the connection broke;
 *   CAIRN_ERR_PROTOCOL    the answer was not Pebble's (bad JSON, wrong content type);
 *   CAIRN_ERR_API         Pebble refused: code = HTTP status, pebble_kind, message;
 *   CAIRN_ERR_PATH        a file operation failed on a path: pebble_kind, message;
 *   CAIRN_ERR_CHANGE      the change ran and failed: change_id, message = the change's err;
 *   CAIRN_ERR_TIMEOUT     the change did not finish in time: change_id. */

/* The container named in metadata.yaml (borrowed).  -ENOENT when it is not there. */
CAIRN_API int cairn_container(struct cairn_charm *ch, const char *name,
			      struct cairn_container **ret, struct cairn_error *err);
CAIRN_API const char *cairn_container_name(const struct cairn_container *c);
/* Whether Pebble answers (GET /v1/system-info).  Never fails. */
CAIRN_API bool cairn_container_can_connect(struct cairn_container *c);
/* Timeout for change waits (default 30000 ms; > 0).  Other requests are bounded by 5 s, or
 * by this timeout when it is shorter. */
CAIRN_API void cairn_pebble_set_timeout(struct cairn_container *c, int timeout_ms);

struct cairn_system_info {
	char version[64];
	char boot_id[64];
};
/* GET /v1/system-info into *ret (copied).  Errors: the connection, protocol and API kinds. */
CAIRN_API int cairn_pebble_system_info(struct cairn_container *c, struct cairn_system_info *ret,
				       struct cairn_error *err);

/* ---- layers as values ----
 * A layer (or a plan) holds services, checks and log-targets, each a named entry with
 * fields named as in Pebble's layer YAML (pebble-api.md §2).  Nested check fields use a
 * dot: "http.url", "http.headers", "tcp.port", "tcp.host", "exec.command",
 * "exec.environment", ...  Fields have kinds:
 *   text     set with cairn_layer_set (strings, durations such as "500ms", and the choices
 *            override, startup, level, on-success, on-failure, type, whose values are
 *            checked);
 *   number   cairn_layer_set_int (user-id, group-id, threshold, tcp.port) or
 *            cairn_layer_set_double (backoff-factor);
 *   list     cairn_layer_append (after, before, requires, services);
 *   map      cairn_layer_put (environment, on-check-failure, http.headers,
 *            exec.environment, labels).
 * Using a field with the wrong function, an unknown field or an invalid choice is -EINVAL
 * with a message naming the field.  The library renders layers as Pebble's YAML itself. */
struct cairn_layer;
struct cairn_layer_entry;

enum cairn_layer_section {
	CAIRN_LAYER_SERVICES,
	CAIRN_LAYER_CHECKS,
	CAIRN_LAYER_LOG_TARGETS,
	_CAIRN_LAYER_SECTION_MAX
};

/* A new empty layer (caller frees with cairn_layer_free, which accepts NULL). */
CAIRN_API struct cairn_layer *cairn_layer_new(void);
CAIRN_API void cairn_layer_free(struct cairn_layer *l);
CAIRN_API struct cairn_layer *cairn_layer_copy(const struct cairn_layer *l);
CAIRN_API int cairn_layer_set_summary(struct cairn_layer *l, const char *summary);
CAIRN_API int cairn_layer_set_description(struct cairn_layer *l, const char *description);
CAIRN_API const char *cairn_layer_summary(const struct cairn_layer *l);
CAIRN_API const char *cairn_layer_description(const struct cairn_layer *l);

/* The entry name of section, created empty when absent (borrowed, owned by the layer).
 * NULL for an empty name or a bad section. */
CAIRN_API struct cairn_layer_entry *cairn_layer_add(struct cairn_layer *l,
						    enum cairn_layer_section section,
						    const char *name);
/* The entry, or NULL when absent. */
CAIRN_API struct cairn_layer_entry *cairn_layer_find(const struct cairn_layer *l,
						     enum cairn_layer_section section,
						     const char *name);
/* Shorthands for cairn_layer_add(l, CAIRN_LAYER_SERVICES / CAIRN_LAYER_CHECKS, name). */
CAIRN_API struct cairn_layer_entry *cairn_layer_service(struct cairn_layer *l, const char *name);
CAIRN_API struct cairn_layer_entry *cairn_layer_check(struct cairn_layer *l, const char *name);
/* Entries of a section in name order: count, and the i-th (NULL past the end). */
CAIRN_API size_t cairn_layer_count(const struct cairn_layer *l, enum cairn_layer_section section);
CAIRN_API struct cairn_layer_entry *cairn_layer_at(const struct cairn_layer *l,
						   enum cairn_layer_section section, size_t i);
/* Removes an entry (-ENOENT when absent). */
CAIRN_API int cairn_layer_remove(struct cairn_layer *l, enum cairn_layer_section section,
				 const char *name);
CAIRN_API const char *cairn_layer_entry_name(const struct cairn_layer_entry *e);

/* Set a field of entry e by kind (see "layers as values" above): cairn_layer_set a text field
 * (value copied; choices are checked), cairn_layer_set_int / _double a number field,
 * cairn_layer_append adds value to a list field, cairn_layer_put sets key=value in a map
 * field.  -EINVAL (CAIRN_ERR_INVALID, message naming the field) for an unknown field, a
 * field of another kind, an invalid choice or a NULL value; e is unchanged then. */
CAIRN_API int cairn_layer_set(struct cairn_layer_entry *e, const char *field, const char *value,
			      struct cairn_error *err);
CAIRN_API int cairn_layer_set_int(struct cairn_layer_entry *e, const char *field, int64_t value,
				  struct cairn_error *err);
CAIRN_API int cairn_layer_set_double(struct cairn_layer_entry *e, const char *field, double value,
				     struct cairn_error *err);
CAIRN_API int cairn_layer_append(struct cairn_layer_entry *e, const char *field, const char *value,
				 struct cairn_error *err);
CAIRN_API int cairn_layer_put(struct cairn_layer_entry *e, const char *field, const char *key,
			      const char *value, struct cairn_error *err);
/* Clears a field (-ENOENT when it was not set, -EINVAL for an unknown field). */
CAIRN_API int cairn_layer_unset(struct cairn_layer_entry *e, const char *field,
				struct cairn_error *err);
/* Reads: a text or number field as text ("8080", "2"), a map entry, a list element;
 * NULL when unset (borrowed from the layer). */
CAIRN_API const char *cairn_layer_get(const struct cairn_layer_entry *e, const char *field);
CAIRN_API const char *cairn_layer_get_key(const struct cairn_layer_entry *e, const char *field,
					  const char *key);
CAIRN_API const char *cairn_layer_get_at(const struct cairn_layer_entry *e, const char *field,
					 size_t i);
/* Deep equality of layers (summary and description included) and of entries. */
CAIRN_API bool cairn_layer_equal(const struct cairn_layer *a, const struct cairn_layer *b);
CAIRN_API bool cairn_layer_entry_equal(const struct cairn_layer_entry *a,
				       const struct cairn_layer_entry *b);
/* Pebble's layer YAML (caller frees with free()). */
CAIRN_API char *cairn_layer_to_yaml(const struct cairn_layer *l);
/* Parses layer YAML (a plan from get-plan, a layer file).  -EINVAL with the reason on an
 * unknown section or field, a value of the wrong type, or malformed YAML. */
CAIRN_API int cairn_layer_from_yaml(const char *yaml, struct cairn_layer **ret,
				    struct cairn_error *err);

/* POST /v1/layers: adds l under label, or with combine=true combines it with the layer of
 * that label (added when there is none).  l is borrowed. */
CAIRN_API int cairn_pebble_add_layer(struct cairn_container *c, const char *label,
				     const struct cairn_layer *l, bool combine,
				     struct cairn_error *err);
/* GET /v1/plan: the combined plan as a layer (caller frees). */
CAIRN_API int cairn_pebble_get_plan(struct cairn_container *c, struct cairn_layer **ret,
				    struct cairn_error *err);

/* ---- services ---- */
enum cairn_service_status {
	CAIRN_SERVICE_INACTIVE,
	CAIRN_SERVICE_ACTIVE,
	CAIRN_SERVICE_BACKOFF,
	CAIRN_SERVICE_ERROR,
	CAIRN_SERVICE_UNKNOWN, /* a value this library does not know */
	_CAIRN_SERVICE_STATUS_MAX
};
struct cairn_service_info {
	char *name;
	bool startup_enabled;
	enum cairn_service_status current;
	char *current_since; /* RFC 3339, or NULL */
};
/* "inactive", "active", "backoff", "error", "unknown". */
CAIRN_API const char *cairn_service_status_name(enum cairn_service_status st);
/* GET /v1/services: the services named (NULL = all), sorted by name; caller frees with
 * cairn_service_infos_free. */
CAIRN_API int cairn_pebble_get_services(struct cairn_container *c, const char *const *names,
					struct cairn_service_info **ret, size_t *ret_n,
					struct cairn_error *err);
CAIRN_API void cairn_service_infos_free(struct cairn_service_info *v, size_t n);
/* One service; -ENOENT (CAIRN_ERR_NOT_FOUND) when the plan has none of that name.  Release
 * *ret with cairn_service_info_done. */
CAIRN_API int cairn_pebble_get_service(struct cairn_container *c, const char *name,
				       struct cairn_service_info *ret, struct cairn_error *err);
CAIRN_API void cairn_service_info_done(struct cairn_service_info *info);
/* POST /v1/services, then wait for the change.  names is NULL-terminated and not empty. */
CAIRN_API int cairn_pebble_start(struct cairn_container *c, const char *const *names,
				 struct cairn_error *err);
CAIRN_API int cairn_pebble_stop(struct cairn_container *c, const char *const *names,
				struct cairn_error *err);
CAIRN_API int cairn_pebble_restart(struct cairn_container *c, const char *const *names,
				   struct cairn_error *err);
/* Starts the startup: enabled services.  With none, Pebble answers CAIRN_ERR_API with
 * pebble_kind "no-default-services" (ops raises the same error). */
CAIRN_API int cairn_pebble_autostart(struct cairn_container *c, struct cairn_error *err);
CAIRN_API int cairn_pebble_replan(struct cairn_container *c, struct cairn_error *err);
/* Waits until change id is ready (timeout_ms <= 0: the container's timeout). */
CAIRN_API int cairn_pebble_wait_change(struct cairn_container *c, const char *id, int timeout_ms,
				       struct cairn_error *err);
/* POST /v1/signals: sends signal ("SIGHUP") to the named services. */
CAIRN_API int cairn_pebble_send_signal(struct cairn_container *c, const char *signal,
				       const char *const *names, struct cairn_error *err);

/* ---- files ---- */
struct cairn_file_opts {
	bool make_dirs;      /* push: create missing parents (0755); make_dir: make parents */
	int permissions;     /* 0: Pebble's default (0644 files, 0755 dirs); else e.g. 0600 */
	const char *user;    /* NULL: unset */
	int64_t user_id;     /* < 0: unset */
	const char *group;   /* NULL: unset */
	int64_t group_id;    /* < 0: unset */
};
/* Initialises o to "all unset". */
CAIRN_API void cairn_file_opts_init(struct cairn_file_opts *o);
/* Writes len bytes (data may be NULL only when len is 0) to the absolute path, replacing
 * the file; o may be NULL.  Sent as one multipart POST /v1/files, as ops does.  Errors:
 * CAIRN_ERR_INVALID (relative path, permissions above 0777), CAIRN_ERR_PATH for the
 * per-path failure (pebble_kind "not-found" when a parent is missing without make_dirs,
 * "permission-denied", "generic-file-error"), CAIRN_ERR_API for a refused request, and the
 * connection/protocol kinds. */
CAIRN_API int cairn_pebble_push(struct cairn_container *c, const char *path, const void *data,
				size_t len, const struct cairn_file_opts *o,
				struct cairn_error *err);
/* Reads a file: *ret (caller frees with free(); NUL-terminated for convenience, the
 * contents may hold NULs) and *ret_len bytes (ret_len may be NULL).  The answer is parsed as
 * it streams in (any size; memory is the file's size).  Errors as for push (a missing file
 * is CAIRN_ERR_PATH with pebble_kind "not-found"); *ret is untouched on error. */
CAIRN_API int cairn_pebble_pull(struct cairn_container *c, const char *path, char **ret,
				size_t *ret_len, struct cairn_error *err);

enum cairn_file_type {
	CAIRN_FILE_FILE,
	CAIRN_FILE_DIRECTORY,
	CAIRN_FILE_SYMLINK,
	CAIRN_FILE_SOCKET,
	CAIRN_FILE_NAMED_PIPE,
	CAIRN_FILE_DEVICE,
	CAIRN_FILE_UNKNOWN,
	_CAIRN_FILE_TYPE_MAX
};
struct cairn_file_info {
	char *path;
	char *name;
	enum cairn_file_type type;
	int64_t size;           /* -1 unless a regular file */
	unsigned permissions;   /* e.g. 0644 */
	char *last_modified;    /* RFC 3339 */
	int64_t user_id;        /* -1 when unknown */
	int64_t group_id;
	char *user;             /* NULL when unknown */
	char *group;
};
/* Lists path (a directory's entries, or the entry itself when it is a file or itself is
 * true), filtered by the glob pattern (NULL = all).  Caller frees with cairn_file_infos_free. */
CAIRN_API int cairn_pebble_list_files(struct cairn_container *c, const char *path,
				      const char *pattern, bool itself,
				      struct cairn_file_info **ret, size_t *ret_n,
				      struct cairn_error *err);
CAIRN_API void cairn_file_infos_free(struct cairn_file_info *v, size_t n);
CAIRN_API int cairn_pebble_make_dir(struct cairn_container *c, const char *path,
				    const struct cairn_file_opts *o, struct cairn_error *err);
CAIRN_API int cairn_pebble_remove_path(struct cairn_container *c, const char *path,
				       bool recursive, struct cairn_error *err);

/* ---- exec ---- */
struct cairn_exec_opts {
	const char *const *argv;        /* required, NULL-terminated */
	const char *const *environment; /* "KEY=VALUE" entries, NULL-terminated; may be NULL */
	const char *working_dir;        /* NULL: Pebble's default */
	int timeout_ms;                 /* 0: none */
	const char *user;
	int64_t user_id;                /* < 0: unset */
	const char *group;
	int64_t group_id;               /* < 0: unset */
	const char *service_context;    /* NULL: none */
	const void *stdin_data;         /* bytes fed to the command's stdin, then EOF */
	size_t stdin_len;
	bool combine_stderr;            /* stderr into stdout (no separate stderr) */
};
/* Initialises o to "all unset" (ids -1). */
CAIRN_API void cairn_exec_opts_init(struct cairn_exec_opts *o);
struct cairn_exec_result {
	int exit_code;
	char *out;       /* stdout (NUL-terminated), out_len bytes */
	size_t out_len;
	char *err;       /* stderr, or empty with combine_stderr */
	size_t err_len;
};
/* Runs a command in the container and waits for it.  A command that ran returns 0 whatever
 * its exit code (ret->exit_code); failing to run it is an error (CAIRN_ERR_API for e.g.
 * "cannot find executable", CAIRN_ERR_CHANGE for a timeout: "timed out after ...").  Release
 * *ret with cairn_exec_result_done. */
CAIRN_API int cairn_pebble_exec(struct cairn_container *c, const struct cairn_exec_opts *o,
				struct cairn_exec_result *ret, struct cairn_error *err);
CAIRN_API void cairn_exec_result_done(struct cairn_exec_result *r);

/* ---- checks ---- */
enum cairn_check_status {
	CAIRN_CHECK_UP,
	CAIRN_CHECK_DOWN,
	CAIRN_CHECK_INACTIVE,
	CAIRN_CHECK_UNKNOWN,
	_CAIRN_CHECK_STATUS_MAX
};
struct cairn_check_info {
	char *name;
	char *level;      /* "alive", "ready" or NULL */
	bool startup_enabled;
	enum cairn_check_status status;
	int64_t successes;
	int64_t failures;
	int64_t threshold;
	char *change_id;  /* NULL when none */
};
/* "up", "down", "inactive", "unknown". */
CAIRN_API const char *cairn_check_status_name(enum cairn_check_status st);
/* GET /v1/checks, filtered by level ("alive", "ready" or NULL) and names (NULL = all).
 * Caller frees with cairn_check_infos_free. */
CAIRN_API int cairn_pebble_get_checks(struct cairn_container *c, const char *level,
				      const char *const *names, struct cairn_check_info **ret,
				      size_t *ret_n, struct cairn_error *err);
CAIRN_API void cairn_check_infos_free(struct cairn_check_info *v, size_t n);
/* POST /v1/checks start/stop: *ret (may be NULL) receives the names whose state changed
 * (NULL-terminated; caller frees with cairn_strv_free). */
CAIRN_API int cairn_pebble_start_checks(struct cairn_container *c, const char *const *names,
					char ***ret, struct cairn_error *err);
CAIRN_API int cairn_pebble_stop_checks(struct cairn_container *c, const char *const *names,
				       char ***ret, struct cairn_error *err);
/* Frees a NULL-terminated array of strings this library returned (NULL accepted). */
CAIRN_API void cairn_strv_free(char **v);

/* ---- notices ---- */
struct cairn_notice {
	char *id;
	int64_t user_id;       /* -1 for a public notice (user-id null) */
	char *type;            /* "custom", "change-update", "warning" */
	char *key;
	char *first_occurred;  /* RFC 3339 */
	char *last_occurred;
	char *last_repeated;
	int64_t occurrences;
	struct cairn_value *last_data; /* map of strings (owned; empty when absent) */
	char *repeat_after;    /* Go duration or NULL */
	char *expire_after;
};
struct cairn_notice_query {
	const char *const *types; /* NULL = all */
	const char *const *keys;  /* NULL = all */
	const char *after;        /* RFC 3339, NULL = all */
	bool all_users;           /* users=all (admin) */
};
/* GET /v1/notices (q may be NULL).  Caller frees with cairn_notices_free. */
CAIRN_API int cairn_pebble_get_notices(struct cairn_container *c,
				       const struct cairn_notice_query *q,
				       struct cairn_notice **ret, size_t *ret_n,
				       struct cairn_error *err);
CAIRN_API void cairn_notices_free(struct cairn_notice *v, size_t n);
/* GET /v1/notices/{id}.  Release *ret with cairn_notice_done. */
CAIRN_API int cairn_pebble_get_notice(struct cairn_container *c, const char *id,
				      struct cairn_notice *ret, struct cairn_error *err);
CAIRN_API void cairn_notice_done(struct cairn_notice *n);
/* POST /v1/notices: records a custom notice key (data: a map of strings or NULL).  *ret_id
 * (may be NULL) receives the notice id (caller frees with free()). */
CAIRN_API int cairn_pebble_notify(struct cairn_container *c, const char *key,
				  const struct cairn_value *data, char **ret_id,
				  struct cairn_error *err);

/* =============================== Testing harness ===============================
 *
 * Unit-tests a charm in-process, without an agent, as ops' testing Harness does: the
 * harness plays the agent (hook tools with their real argv checks, leadership, config,
 * relations, status, actions, controller state), keeps the unit's stored state and deferral
 * queue where a real dispatch would (a .unit-state.db in the harness's private charm
 * directory, or its fake controller state), and gives each container a fake Pebble (a plan combined by scree's own layer code, services that
 * start and stop, a private directory as the container's filesystem, exec handlers, checks
 * and notices).  Every emit is one complete dispatch as cairn_main runs it (setup, re-emit
 * deferred events, the event, collect-status, commit or roll back), so deferral and rollback
 * behave as across real dispatches.
 *
 * All harness functions return 0 / negative errno and fill err as the rest of the library.
 * Inspection results are borrowed until the next harness call. */
struct cairn_harness;

struct cairn_harness_opts {
	const char *charm_dir;     /* read metadata.yaml, config.yaml, actions.yaml from here, or: */
	const char *metadata_yaml; /* the files' text (used when charm_dir is NULL) */
	const char *config_yaml;   /* may be NULL */
	const char *actions_yaml;  /* may be NULL */
	const char *unit_name;     /* default "<charm name>/0" */
	enum cairn_storage storage; /* where the charm keeps stored state (local or controller) */
};

/* Creates a harness; setup/data are what the charm passes to cairn_main.  Config starts at
 * the defaults of config.yaml; the unit is not the leader; containers cannot connect.
 * The charm runs with a private charm directory (cairn_charm_dir()), removed by
 * cairn_harness_free.  Errors: -EINVAL / -ENOENT for unreadable or bad metadata. */
CAIRN_API int cairn_harness_new(const struct cairn_harness_opts *opts, cairn_setup_fn setup,
				void *data, struct cairn_harness **ret, struct cairn_error *err);
/* Frees the harness, its fake containers' files and its charm directory (NULL accepted). */
CAIRN_API void cairn_harness_free(struct cairn_harness *h);

/* ---- the model the charm sees ----
 * These change what the next dispatch sees; none emits an event (emit it yourself, as ops'
 * Harness leaves leader-elected or relation-joined to the test).  Strings are copied. */
/* Makes this unit the leader or not (is-leader; leader-only calls refuse when not).  Never
 * fails. */
CAIRN_API int cairn_harness_set_leader(struct cairn_harness *h, bool leader);
/* Sets (value non-empty) or deletes a leader setting, as another unit's leader-set would.
 * No event is emitted. */
CAIRN_API int cairn_harness_set_leader_setting(struct cairn_harness *h, const char *key,
					       const char *value, struct cairn_error *err);
/* A leader setting (NULL when absent); the charm's leader-set writes show at once. */
CAIRN_API const char *cairn_harness_leader_setting(struct cairn_harness *h, const char *key);
/* The address network-get answers for binding (NULL: every binding without one of its own,
 * and unit-get); the default is 10.0.0.10.  -EINVAL for a string that is not an IP address. */
CAIRN_API int cairn_harness_set_network(struct cairn_harness *h, const char *binding,
					const char *address, struct cairn_error *err);
/* Sets option key (takes v) or, with v NULL, resets it to its default.  -ENOENT for an
 * option config.yaml does not define. */
CAIRN_API int cairn_harness_set_config(struct cairn_harness *h, const char *key,
				       struct cairn_value *v, struct cairn_error *err);
/* Relations.  cairn_harness_add_relation adds one on endpoint with remote_app (ignored for a
 * peer endpoint: this application) and writes its id (0, 1, ...) to *ret_id; -ENOENT
 * for an endpoint metadata.yaml does not declare, -EINVAL for a bad application name.
 * add/remove_relation_unit change its remote units (a unit of remote_app, else -EINVAL;
 * adding one twice is harmless; removing an absent one is -ENOENT).  remove_relation marks
 * it gone: relation-ids no longer lists it (emit -relation-broken yourself).  Each is -ENOENT
 * for an id that is not a live relation. */
CAIRN_API int cairn_harness_add_relation(struct cairn_harness *h, const char *endpoint,
					 const char *remote_app, int *ret_id,
					 struct cairn_error *err);
CAIRN_API int cairn_harness_add_relation_unit(struct cairn_harness *h, int id, const char *unit,
					      struct cairn_error *err);
CAIRN_API int cairn_harness_remove_relation_unit(struct cairn_harness *h, int id,
						 const char *unit, struct cairn_error *err);
CAIRN_API int cairn_harness_remove_relation(struct cairn_harness *h, int id,
					    struct cairn_error *err);
/* Sets (value non-empty) or deletes a key in member's bag of relation id, as the remote
 * side (or the test) would.  No event is emitted. */
CAIRN_API int cairn_harness_set_relation_data(struct cairn_harness *h, int id, const char *member,
					      const char *key, const char *value,
					      struct cairn_error *err);
/* Reads a key of member's bag (NULL when absent). */
CAIRN_API const char *cairn_harness_relation_data(struct cairn_harness *h, int id,
						  const char *member, const char *key);
/* Storage instances the charm can see: adds "<name>/<n>" (the next n) at location (an
 * absolute directory path, copied); *ret_id (may be NULL; caller frees with free())
 * receives the id.  -ENOENT for a storage metadata.yaml does not declare, -EINVAL for a
 * relative location. */
CAIRN_API int cairn_harness_add_storage(struct cairn_harness *h, const char *name,
					const char *location, char **ret_id,
					struct cairn_error *err);
/* Whether a container's Pebble answers (a container that cannot connect fails every Pebble
 * call with CAIRN_ERR_CONNECTION).  -ENOENT for a container metadata.yaml does not declare. */
CAIRN_API int cairn_harness_set_can_connect(struct cairn_harness *h, const char *container,
					    bool can_connect, struct cairn_error *err);
/* The directory that stands for the container's filesystem root (borrowed). */
CAIRN_API const char *cairn_harness_container_root(struct cairn_harness *h,
						   const char *container);

/* Exec handler: called for an exec whose argv starts with the registered prefix (the
 * longest prefix wins).  It fills result (out/err allocated with malloc, or NULL) and returns
 * 0, or returns non-zero to make the exec fail as "cannot find executable". */
typedef int (*cairn_harness_exec_fn)(const struct cairn_exec_opts *o,
				     struct cairn_exec_result *result, void *data);
/* Registers fn (with data, borrowed) for container's execs whose argv starts with
 * argv_prefix (copied, NULL-terminated, not empty).  -ENOENT for a container metadata.yaml
 * does not declare, -EINVAL for a NULL fn or an empty prefix.  An exec nothing handles fails as
 * "cannot find executable". */
CAIRN_API int cairn_harness_handle_exec(struct cairn_harness *h, const char *container,
					const char *const *argv_prefix, cairn_harness_exec_fn fn,
					void *data, struct cairn_error *err);

/* ---- events: each is one dispatch ----
 * Each returns 0 when the dispatch succeeded, or -EIO (CAIRN_ERR_MODEL, code 1, message =
 * the failure) when it failed and was rolled back, like a hook exiting 1. */
/* A static event (name NULL) or a storage / container event (name = storage id such as
 * "data/0" for storage kinds, the container for pebble-ready). */
CAIRN_API int cairn_harness_emit(struct cairn_harness *h, enum cairn_event_kind kind,
				 const char *name, struct cairn_error *err);
/* A relation event on relation id; remote_unit may be NULL (created, broken, app data). */
CAIRN_API int cairn_harness_emit_relation(struct cairn_harness *h, enum cairn_event_kind kind,
					  int id, const char *remote_unit,
					  struct cairn_error *err);
/* Makes the container connectable and emits <container>-pebble-ready. */
CAIRN_API int cairn_harness_pebble_ready(struct cairn_harness *h, const char *container,
					 struct cairn_error *err);
/* Records a custom notice in the container's Pebble and emits -pebble-custom-notice. */
CAIRN_API int cairn_harness_pebble_notify(struct cairn_harness *h, const char *container,
					  const char *key, struct cairn_error *err);
/* Sets a plan check down (failed=true) or up and emits -pebble-check-failed/-recovered. */
CAIRN_API int cairn_harness_pebble_check(struct cairn_harness *h, const char *container,
					 const char *check, bool failed, struct cairn_error *err);
/* Any hook by name with extra "KEY=VALUE" environment entries (NULL-terminated, may be
 * NULL), for what the helpers above do not cover. */
CAIRN_API int cairn_harness_emit_hook(struct cairn_harness *h, const char *hook,
				      const char *const *env, struct cairn_error *err);

/* What an action run left (cairn_harness_run_action). */
struct cairn_harness_action_output {
	const struct cairn_value *results; /* nested as action-set builds them ({"a": {"b":
					    * "1"}}), every value a string; read them with
					    * cairn_map_get_path */
	const char *const *logs;           /* action-log messages, NULL-terminated */
	bool failed;
	const char *fail_message;          /* "" unless failed */
};
/* Runs action name with params (borrowed map, or NULL) as `juju run` does: params are
 * checked against the action's schema in actions.yaml first (-EINVAL, CAIRN_ERR_INVALID,
 * with Juju's text, e.g. "validation failed: (root).level : must be of type integer, given
 * \"high\"", and nothing runs), then the schema's defaults are filled in (nested ones too)
 * and the action is one dispatch.  -ENOENT for an action actions.yaml does not declare.
 * Returns as the emits do; an action that called cairn_action_fail still returns 0 with
 * out->failed set.  out (may be NULL) is borrowed until the next harness call and is only
 * written when the action ran. */
CAIRN_API int cairn_harness_run_action(struct cairn_harness *h, const char *name,
				       const struct cairn_value *params,
				       struct cairn_harness_action_output *out,
				       struct cairn_error *err);

/* ---- inspection ---- */
CAIRN_API int cairn_harness_unit_status(struct cairn_harness *h, enum cairn_status *ret_status,
					const char **ret_message);
CAIRN_API int cairn_harness_app_status(struct cairn_harness *h, enum cairn_status *ret_status,
				       const char **ret_message);
/* The workload version set, or NULL. */
CAIRN_API const char *cairn_harness_workload_version(struct cairn_harness *h);
/* Opened ports, canonical ("80/tcp", "8000-8999/udp", "icmp"), NULL-terminated. */
CAIRN_API const char *const *cairn_harness_opened_ports(struct cairn_harness *h);
/* The committed stored-state map of namespace ns (NULL when never committed). */
CAIRN_API const struct cairn_value *cairn_harness_stored(struct cairn_harness *h, const char *ns);
/* The committed deferral queue: number of entries, and the hook and observer of the i-th
 * (oldest first). */
CAIRN_API size_t cairn_harness_deferred_count(struct cairn_harness *h);
CAIRN_API int cairn_harness_deferred_at(struct cairn_harness *h, size_t i, const char **ret_hook,
					const char **ret_observer);
/* Everything the charm logged, one "LEVEL message" line per juju-log call. */
CAIRN_API const char *cairn_harness_log(struct cairn_harness *h);
/* Every hook-tool call the charm made, one line per call: tool and arguments separated by
 * spaces (for tests that check what reached the agent). */
CAIRN_API const char *cairn_harness_tool_calls(struct cairn_harness *h);
/* The container's combined plan as Pebble renders it (caller frees with free()). */
CAIRN_API char *cairn_harness_plan_yaml(struct cairn_harness *h, const char *container);
/* A service's state in the fake Pebble (CAIRN_SERVICE_INACTIVE when unknown). */
CAIRN_API enum cairn_service_status cairn_harness_service_status(struct cairn_harness *h,
								 const char *container,
								 const char *service);
/* How many times a service was started (each start or restart counts once). */
CAIRN_API int cairn_harness_service_starts(struct cairn_harness *h, const char *container,
					   const char *service);

#ifdef __cplusplus
}
#endif

#endif
