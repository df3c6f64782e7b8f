/* operations.h - the controller's operations and tasks (operator-cli.md §11.2, §11.3):
 * `run` of an action on N units is one operation with N tasks, `exec` the same with a
 * command.  Operation and task ids come from one sequence starting at 1.  Tasks are kept in
 * memory and written through to SQLite (tables operations, tasks), so queued tasks survive a
 * controller restart and finished ones stay for show-task.
 *
 * A task's status only changes along the legal transitions of action/operation.h; a task
 * that failed validation is stored with status error and its message (Juju keeps it so, and
 * show-task shows why).  Results are the action-set map plus "return-code", "stdout" and
 * "stderr"; the log is [{"timestamp": ns, "message"}].
 *
 * Every change writes SQLite before memory, in the caller's transaction when one is open; a
 * caller whose transaction rolls back calls opstore_reload().  Functions return 0 or a
 * negative errno with eb. */
#ifndef CAIRN_OPERATIONS_H
#define CAIRN_OPERATIONS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "action/operation.h"
#include "lib/errbuf.h"

#define OPSTORE_MAX_TASKS_PER_OP 100000
#define OPSTORE_MAX_LOG 10000                 /* action-log messages kept per task */
#define OPSTORE_MAX_RESULTS (16u * 1024u * 1024u) /* a task's results as JSON, in bytes */

enum op_kind { OP_ACTION, OP_EXEC, _OP_KIND_MAX };

struct optask {
	int id;
	int op;
	char *unit;
	char *name;            /* action name, or "juju-exec" */
	json_t *params;        /* validated parameters (defaults filled in), or {"command", ...} */
	enum task_status status;
	char *message;         /* "" when none */
	json_t *results;       /* {} until the task finished */
	json_t *log;           /* [{"timestamp", "message"}] */
	uint64_t enqueued_ns, started_ns, completed_ns;
};

struct opop {
	int id;
	enum op_kind kind;
	char *summary;         /* the action name, or the command */
	uint64_t enqueued_ns;
	int *tasks;            /* task ids, in order */
	size_t n_tasks;
};

struct opstore {
	sqlite3 *db;
	int next_id;
	struct opop **ops;     /* sorted by id */
	size_t n_ops;
	struct optask **tasks; /* sorted by id */
	size_t n_tasks;
};

int opstore_open(sqlite3 *db, struct opstore **ret, struct errbuf *eb);
void opstore_free(struct opstore *s);
int opstore_reload(struct opstore *s, struct errbuf *eb);

struct opop *opstore_op(const struct opstore *s, int id);
struct optask *opstore_task(const struct opstore *s, int id);
/* The operation's status, derived from its tasks. */
enum task_status opstore_op_status(const struct opstore *s, const struct opop *op);

/* Enqueues one operation with a task per unit (n of them), each with params (copied).
 * errors[i], when not NULL, stores task i with status error and that message (it never
 * runs).  *ret is borrowed from s. */
int opstore_enqueue(struct opstore *s, enum op_kind kind, const char *name, json_t *params,
		    const char *const *units, const char *const *errors, size_t n, uint64_t now_ns,
		    struct opop **ret, struct errbuf *eb);
/* The unit's oldest pending task, or NULL. */
struct optask *opstore_next_pending(const struct opstore *s, const char *unit);
/* The unit's running (or aborting) task, or NULL. */
struct optask *opstore_running(const struct opstore *s, const char *unit);
/* Moves t to status to (-EINVAL with eb for an illegal transition), with message (NULL keeps
 * it) and results (NULL keeps them; copied).  Reaching running stamps started, a final
 * status stamps completed. */
int opstore_task_set(struct opstore *s, struct optask *t, enum task_status to, const char *message,
		     json_t *results, uint64_t now_ns, struct errbuf *eb);
/* Appends an action-log message (messages beyond OPSTORE_MAX_LOG are dropped). */
int opstore_task_log(struct opstore *s, struct optask *t, const char *message, uint64_t now_ns,
		     struct errbuf *eb);
/* cancel-task: pending -> cancelled, running -> aborting; anything else is left alone
 * (returns 0 with nothing changed). */
int opstore_cancel(struct opstore *s, struct optask *t, uint64_t now_ns, struct errbuf *eb);

/* The API's view of a task: {"id", "operation", "unit", "action", "parameters", "status",
 * "message", "results", "log", "enqueued", "started", "completed"} (times in ns, 0 = not
 * yet); new reference. */
json_t *opstore_task_json(const struct optask *t);
/* An operation: {"id", "kind", "summary", "status", "enqueued", "started", "completed",
 * "tasks": [task json...]}; new reference. */
json_t *opstore_op_json(const struct opstore *s, const struct opop *op);

#endif
