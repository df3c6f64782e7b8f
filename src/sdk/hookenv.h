/* hookenv.h - the hook environment a dispatch runs in (charm-runtime.md §2).
 *
 * The variables the SDK reads are an enum-indexed table.  A hookenv is filled either from the
 * process environment (a real dispatch) or from "KEY=VALUE" strings (the harness), so the
 * framework never calls getenv() itself.  The per-event variables (relation, remote unit,
 * workload, notice, check, storage, secret, action) also make up a deferred event's
 * snapshot: a re-emitted event carries the context it was first dispatched with. */
#ifndef CAIRN_SDK_HOOKENV_H
#define CAIRN_SDK_HOOKENV_H

#include <jansson.h>
#include <stdbool.h>

enum hookenv_var {
	/* Per dispatch. */
	HOOKENV_CHARM_DIR,
	HOOKENV_UNIT_NAME,
	HOOKENV_MODEL_NAME,
	HOOKENV_MODEL_UUID,
	HOOKENV_VERSION,
	HOOKENV_DISPATCH_PATH,
	HOOKENV_HOOK_NAME,
	HOOKENV_CONTEXT_ID,
	HOOKENV_SOCKET_NETWORK,
	HOOKENV_SOCKET_ADDRESS,
	/* Per event: the snapshot of a deferred event (HOOKENV_FIRST_EVENT_VAR onwards). */
	HOOKENV_RELATION,
	HOOKENV_RELATION_ID,
	HOOKENV_REMOTE_UNIT,
	HOOKENV_REMOTE_APP,
	HOOKENV_DEPARTING_UNIT,
	HOOKENV_WORKLOAD_NAME,
	HOOKENV_NOTICE_ID,
	HOOKENV_NOTICE_TYPE,
	HOOKENV_NOTICE_KEY,
	HOOKENV_CHECK_NAME,
	HOOKENV_STORAGE_ID,
	HOOKENV_SECRET_ID,
	HOOKENV_SECRET_LABEL,
	HOOKENV_SECRET_REVISION,
	HOOKENV_ACTION_NAME,
	HOOKENV_ACTION_UUID,
	_HOOKENV_MAX
};
#define HOOKENV_FIRST_EVENT_VAR HOOKENV_RELATION

struct hookenv {
	char *v[_HOOKENV_MAX]; /* owned; NULL when unset */
};

/* The variable's name ("JUJU_RELATION_ID"). */
const char *hookenv_name(enum hookenv_var var);

/* Fills e from envp ("KEY=VALUE" strings, NULL-terminated; the process's environ for a real
 * dispatch).  Later entries win. */
void hookenv_from_envp(struct hookenv *e, char *const *envp);
void hookenv_done(struct hookenv *e);
/* The value, or NULL when unset or empty. */
const char *hookenv_get(const struct hookenv *e, enum hookenv_var var);

/* The event snapshot: {"JUJU_RELATION_ID": "db:1", ...} for the set per-event variables. */
json_t *hookenv_snapshot(const struct hookenv *e);

#endif
