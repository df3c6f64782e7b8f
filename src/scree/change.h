/* change.h - Pebble's change/task model (§11): the changes the daemon performs, their
 * tasks, lanes and statuses, the task runner that starts tasks when their prerequisites are
 * done, and their JSON forms (API and persisted state).
 *
 * A change is a *request* (short-lived operation) made of tasks.  A task runs when every
 * task it waits for is Done; tasks in different lanes run in parallel.  When a task fails,
 * the rest of its lanes is aborted (unstarted tasks go to Hold, running ones are asked to
 * abort) and everything that waits on a task that cannot become Done is held too, so a
 * change always becomes ready.  The work itself is done by the owner through chg_ops; the
 * model never touches processes, sockets or files.
 *
 * Every change status transition is reported through ops->status_changed (except the
 * Doing->Do and Undoing->Undo flips, which cannot happen here), and a new change through
 * ops->created: that is where change-update notices attach (§11, §19).  A change may carry
 * extra notice data (check changes add {"check-name": ...}) given when it is created. */
#ifndef SCREE_CHANGE_H
#define SCREE_CHANGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

#define CHG_TASK_MAX_LOG 10          /* task log entries kept (upstream maxLogs) */
#define CHG_MAX_READY 1000           /* ready changes kept */
#define CHG_READY_PRUNE_NS (7ull * 24 * 3600 * 1000000000ull) /* ready changes older are pruned */

/* Statuses in upstream's numeric order; CHG_DEFAULT means "derive from the tasks". */
enum chg_status {
	CHG_DEFAULT,
	CHG_DO,
	CHG_DOING,
	CHG_DONE,
	CHG_ABORT,
	CHG_UNDO,
	CHG_UNDOING,
	CHG_UNDONE,
	CHG_HOLD,
	CHG_ERROR,
	CHG_WAIT,
	CHG_STATUS_MAX,
};

struct change;
struct chg_store;

/* Memory: a daemon keeps a thousand ready changes (§11), so their records are compact: the
 * kind is a pointer into a table of the known kinds (copied only when unknown), the summary
 * lives in the record's own allocation, and the first task of a change and the first lane
 * of a task need no array of their own. */
struct task {
	int t_id;
	const char *t_kind;             /* do not free: see chg_kind_* in change.c */
	const char *t_summary;          /* in the task's own allocation */
	enum chg_status t_status;
	char **t_log;                   /* oldest first, at most CHG_TASK_MAX_LOG */
	size_t t_nlog;
	uint64_t t_spawn_ns, t_ready_ns;
	json_t *t_priv;                 /* owner's data (persisted, not shown) */
	char *t_api_data;               /* "data" as compact JSON text (NULL = omitted; jtext.h) */
	int *t_lanes;                   /* &t_lane1 while there is at most one */
	size_t t_nlanes;
	int t_lane1;
	struct task **t_wait;           /* prerequisites (same change) */
	size_t t_nwait;
	struct change *t_chg;
	void *t_run;                    /* owner's run-time handle while Doing (not persisted) */
};

/* Notified once when the change becomes ready; unlinked before the call. */
struct chg_watch {
	struct chg_watch *w_next, *w_prev;
	void (*w_cb)(struct chg_watch *w, struct change *c);
	void *w_data;
};

struct change {
	int c_id;
	const char *c_kind;             /* do not free (as t_kind) */
	const char *c_summary;          /* in the change's own allocation */
	enum chg_status c_set_status;   /* explicit status, or CHG_DEFAULT */
	enum chg_status c_last_status;  /* last reported status */
	struct task **c_tasks;          /* &c_task1 while there is at most one */
	size_t c_ntasks;
	struct task *c_task1;
	uint64_t c_spawn_ns, c_ready_ns;
	json_t *c_priv;                 /* owner's data, e.g. {"service-names": [...]} */
	char *c_api_data;               /* "data" as compact JSON text (NULL = omitted) */
	json_t *c_notice_data;          /* extra change-update notice data (object), or NULL */
	struct chg_watch c_watchers;    /* list head */
	struct change *c_next, *c_prev;
	struct chg_store *c_store;
};

struct chg_ops {
	/* t has just become Doing: do the work and later call chg_task_done/chg_task_fail. */
	void (*do_task)(void *data, struct task *t);
	/* t is Doing and has been set to Abort: stop working on it soon, then finish it. */
	void (*abort_task)(void *data, struct task *t);
	/* A change's status changed (old -> new). */
	void (*status_changed)(void *data, struct change *c, enum chg_status old_st, enum chg_status new_st);
	/* Something changed: persist soon and call chg_store_run() soon (not re-entrantly). */
	void (*dirty)(void *data);
	/* A change was just created (not for changes loaded from the state); may be NULL. */
	void (*created)(void *data, struct change *c);
};

struct chg_store {
	struct change cs_list;          /* list head, oldest first */
	size_t cs_count;
	int cs_last_change_id, cs_last_task_id, cs_last_lane_id;
	const struct chg_ops *cs_ops;
	void *cs_data;
	uint64_t (*cs_clock)(void);     /* wall clock in ns (injectable for tests) */
};

const char *chg_status_name(enum chg_status s);
enum chg_status chg_status_from_name(const char *s); /* CHG_STATUS_MAX when unknown */
bool chg_status_ready(enum chg_status s);

void chg_store_init(struct chg_store *s, const struct chg_ops *ops, void *data, uint64_t (*clock)(void));
void chg_store_done(struct chg_store *s);

/* Creates a change (status derived from tasks added later).  Strings are copied. */
struct change *chg_new(struct chg_store *s, const char *kind, const char *summary);
/* The same, with extra change-update notice data (a JSON object of strings; a new reference
 * is taken, NULL = none).  It is set before ops->created runs, as upstream's
 * NewChangeWithNoticeData. */
struct change *chg_new_with_notice_data(struct chg_store *s, const char *kind, const char *summary,
					json_t *notice_data);
/* Adds a task in status Do to change c. */
struct task *chg_task_new(struct change *c, const char *kind, const char *summary);
int chg_new_lane(struct chg_store *s);
void chg_task_join_lane(struct task *t, int lane);
void chg_task_wait_for(struct task *t, struct task *prereq);
/* Sets an explicit status on a change (e.g. Done for "no services" changes). */
void chg_set_status(struct change *c, enum chg_status st);

/* The change's status (explicit, else derived: Abort > Undoing > Undo > Doing > Do > Wait >
 * Error > Undone > Done > Hold; no tasks => Hold) and readiness. */
enum chg_status chg_status(const struct change *c);
bool chg_ready(const struct change *c);
/* Appends upstream's error text ("cannot perform the following tasks:\n- ...") to out and
 * returns true if the change is in Error. */
bool chg_err(const struct change *c, char *out, size_t n);

struct change *chg_find(struct chg_store *s, int id);
struct task *chg_find_task(struct chg_store *s, int id);

/* Task progress: appends a log line ("<RFC3339> INFO msg"). */
void chg_task_logf(struct task *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends an ERROR log line without failing the task (upstream Task.Errorf), as a check that
 * failed below its threshold records its error. */
void chg_task_log_error(struct task *t, const char *msg);
/* Finishes a Doing/Abort task: Done (Undone if it was aborted), or Error with the message
 * logged as ERROR, aborting the rest of its lanes. */
void chg_task_done(struct task *t);
void chg_task_fail(struct task *t, const char *msg);

/* Aborts a change (§11 abort): Do tasks -> Hold, Doing tasks -> Abort (ops->abort_task).
 * Returns -EBUSY if it is already ready (nothing pending). */
int chg_abort(struct change *c);

/* Starts every runnable task (Do, prerequisites Done).  Call from a deferred callback. */
void chg_store_run(struct chg_store *s);

/* Watches for readiness (w->w_cb and w->w_data set by the caller). */
void chg_watch_add(struct change *c, struct chg_watch *w);
void chg_watch_remove(struct chg_watch *w);

/* Sets a task's "data" (§11; exec: {"exit-code": N}); v is stolen, NULL clears it. */
void chg_task_set_api_data(struct task *t, json_t *v);

/* API JSON (§11), appended to b as compact text (strings as Go's encoding/json writes them)
 * without building a tree: what the API answers with. */
void chg_write_api_json(struct buf *b, const struct change *c);
void chg_task_write_api_json(struct buf *b, const struct task *t);
/* The same as new references (parsed from the text above). */
json_t *chg_to_api_json(const struct change *c);
json_t *chg_task_to_api_json(const struct task *t);

/* Persistence: the whole store as one JSON object, and back.  Loading replaces nothing
 * already in the store; it must be empty.  Tasks that were Doing when the state was saved
 * are not re-run: they are given to fixup (may be NULL; default: Error "daemon restarted
 * while task was running"). */
json_t *chg_store_to_json(const struct chg_store *s);
int chg_store_load_json(struct chg_store *s, json_t *root, void (*fixup)(struct task *t, void *data),
			void *data, struct errbuf *eb);

/* Drops ready changes beyond CHG_MAX_READY or older than CHG_READY_PRUNE_NS. */
void chg_store_prune(struct chg_store *s);

/* Formats an RFC 3339 time with nanoseconds (UTC, trailing zeros trimmed). */
void chg_fmt_time(uint64_t wall_ns, char *out, size_t n);

#endif
