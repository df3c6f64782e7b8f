/* operation.h - operations and tasks as Juju 3 has them (operator-cli.md §11.3): one action
 * (or exec) on N units is one operation with N tasks.  Operation and task ids come from one
 * sequence starting at 1, so `run` on one unit answers "operation 1, task 2".
 *
 * A task's status is a state machine: the legal transitions are the table in operation.c
 * and every change goes through task_status_can() (style.md §15).
 *
 *   pending  -> running (the agent started it), cancelled (cancel-task before it started),
 *               error (it could not be started: validation, unit gone)
 *   running  -> completed, failed (action-fail, non-zero exit, agent died mid-run),
 *               aborting (cancel-task while it runs), error
 *   aborting -> aborted (the agent killed it), completed, failed (it finished first)
 *   completed, failed, cancelled, aborted, error: final.
 *
 * An operation's status derives from its tasks (operation_status()): pending while no task
 * has started, running while any is unfinished, then the most severe final status present
 * (error > failed > cancelled > aborted > completed).  The module is pure. */
#ifndef CAIRN_OPERATION_H
#define CAIRN_OPERATION_H

#include <stdbool.h>
#include <stddef.h>

enum task_status {
	TASK_PENDING,
	TASK_RUNNING,
	TASK_COMPLETED,
	TASK_FAILED,
	TASK_CANCELLED,
	TASK_ABORTING,
	TASK_ABORTED,
	TASK_ERROR,
	_TASK_STATUS_MAX,
	_TASK_STATUS_INVALID = -1,
};

/* "pending", "running", ... as Juju prints them. */
const char *task_status_name(enum task_status s);
/* The status called name, or _TASK_STATUS_INVALID. */
enum task_status task_status_from_name(const char *name);
/* True for completed, failed, cancelled, aborted and error. */
bool task_status_final(enum task_status s);
/* Whether from -> to is a legal transition (the table above). */
bool task_status_can(enum task_status from, enum task_status to);
/* What cancel-task does to a task in status s: cancelled (pending), aborting (running),
 * or s itself (nothing to cancel). */
enum task_status task_status_cancel(enum task_status s);
/* The operation's status for its n tasks' statuses (pending for n == 0). */
enum task_status operation_status(const enum task_status *tasks, size_t n);

#endif
