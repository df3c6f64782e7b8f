/* store.h - where a charm's stored state and deferral queue persist between dispatches.
 *
 * The framework reads through this interface at the start of a dispatch and hands the
 * complete outcome to commit() at the end, which applies it atomically (one SQLite
 * transaction, or one state-set); a failed dispatch calls abort() instead
 * and nothing it did survives (charm-runtime.md §4, the ops contract).  Implementations:
 *   - store_sqlite.c: $JUJU_CHARM_DIR/.unit-state.db, the tables ops uses;
 *   - store_controller.c: the controller's charm state through state-get/state-set;
 *
 * Notices (the deferral queue) travel as JSON objects
 *   {"id": N, "event": "<ops event name>", "path": "hooks/<hook>", "observer": "<id>",
 *    "env": {<event snapshot>}}
 * oldest first.  Entries loaded from the store carry their "id"; commit() receives the whole
 * new queue: loaded entries that are still there stay, loaded entries that are gone are
 * deleted, and entries without "id" are new and get the next ids.  A loaded entry whose
 * snapshot could not be read has "env": null (the framework drops it). */
#ifndef CAIRN_SDK_STORE_H
#define CAIRN_SDK_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "cairn/charm.h"
#include "sdk/tools.h"

#define STORE_DB_NAME ".unit-state.db"
#define STORE_MAX_VALUE (16u * 1024u * 1024u) /* bytes of one namespace or snapshot */

struct store;

struct store_ops {
	/* The namespace's map as last committed (new reference; {} when never stored). */
	int (*load_state)(struct store *s, const char *ns, json_t **ret, struct cairn_error *err);
	/* The queue as last committed (new reference to an array). */
	int (*load_notices)(struct store *s, json_t **ret, struct cairn_error *err);
	/* Commits the changed namespaces ({ns: map}, borrowed) and the new queue (borrowed). */
	int (*commit)(struct store *s, json_t *state, json_t *notices, struct cairn_error *err);
	/* Ends the dispatch without committing anything. */
	void (*abort)(struct store *s);
	void (*free)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};

/* SQLite in dir/.unit-state.db.  The file is created (mode 0600) only when a commit has
 * something to write, so a charm that never stores or defers anything never creates it. */
struct store *store_sqlite_new(const char *dir);
/* The controller's state through the hook tools (borrowed; must outlive the store). */
struct store *store_controller_new(struct tools *tools);
void store_free(struct store *s);

/* Names shared by the SQLite and controller stores. */
#define STORE_STATE_PREFIX "cairn/StoredState["   /* + ns + "]" */
#define STORE_EVENT_PREFIX "cairn/on/"            /* + event + "[" id "]" */
#define STORE_OBSERVER_PATH "cairn"                /* notice.observer_path of our rows */

#endif

/* Shared by the stores (store.c): compares the queue handed to commit() with the entries
 * the store loaded.  *ret_drop receives the loaded entries that are gone and *ret_new the
 * entries without "id" (new references to arrays).  Returns whether anything changed. */
bool store_queue_diff(json_t *loaded, json_t *queue, json_t **ret_drop, json_t **ret_new);
/* The snapshot handle of a notice: "cairn/on/<event>[<id>]". */
char *store_event_handle(const char *event, long long id);
