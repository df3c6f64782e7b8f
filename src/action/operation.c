/* operation.c - task state machine and operation status; see operation.h. */
#include "action/operation.h"

#include <string.h>

static const char *const status_names[_TASK_STATUS_MAX] = {
	[TASK_PENDING] = "pending",     [TASK_RUNNING] = "running",
	[TASK_COMPLETED] = "completed", [TASK_FAILED] = "failed",
	[TASK_CANCELLED] = "cancelled", [TASK_ABORTING] = "aborting",
	[TASK_ABORTED] = "aborted",     [TASK_ERROR] = "error",
};

/* legal[from][to]; every pair not listed is refused. */
static const bool legal[_TASK_STATUS_MAX][_TASK_STATUS_MAX] = {
	[TASK_PENDING] = { [TASK_RUNNING] = true, [TASK_CANCELLED] = true, [TASK_ERROR] = true },
	[TASK_RUNNING] = { [TASK_COMPLETED] = true, [TASK_FAILED] = true, [TASK_ABORTING] = true,
			   [TASK_ERROR] = true },
	[TASK_ABORTING] = { [TASK_ABORTED] = true, [TASK_COMPLETED] = true, [TASK_FAILED] = true },
};

const char *task_status_name(enum task_status s)
{
	return s >= 0 && s < _TASK_STATUS_MAX ? status_names[s] : "unknown";
}

enum task_status task_status_from_name(const char *name)
{
	for (int i = 0; name && i < _TASK_STATUS_MAX; i++)
		if (!strcmp(status_names[i], name))
			return (enum task_status)i;
	return _TASK_STATUS_INVALID;
}

bool task_status_final(enum task_status s)
{
	return s == TASK_COMPLETED || s == TASK_FAILED || s == TASK_CANCELLED ||
	       s == TASK_ABORTED || s == TASK_ERROR;
}

bool task_status_can(enum task_status from, enum task_status to)
{
	if (from < 0 || from >= _TASK_STATUS_MAX || to < 0 || to >= _TASK_STATUS_MAX)
		return false;
	return legal[from][to];
}

enum task_status task_status_cancel(enum task_status s)
{
	if (s == TASK_PENDING)
		return TASK_CANCELLED;
	if (s == TASK_RUNNING)
		return TASK_ABORTING;
	return s;
}

enum task_status operation_status(const enum task_status *tasks, size_t n)
{
	/* Severity of the final statuses, for an operation whose tasks have all finished. */
	static const enum task_status order[] = { TASK_ERROR, TASK_FAILED, TASK_CANCELLED,
						  TASK_ABORTED, TASK_COMPLETED };
	bool seen[_TASK_STATUS_MAX] = { false };
	size_t done = 0;
	bool started = false;

	for (size_t i = 0; i < n; i++) {
		if (tasks[i] < 0 || tasks[i] >= _TASK_STATUS_MAX)
			continue;
		seen[tasks[i]] = true;
		if (task_status_final(tasks[i]))
			done++;
		if (tasks[i] != TASK_PENDING)
			started = true;
	}
	if (n == 0 || !started)
		return TASK_PENDING;
	if (done < n)
		return TASK_RUNNING;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (seen[order[i]])
			return order[i];
	return TASK_COMPLETED;
}
