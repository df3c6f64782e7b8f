/* taskwait.h - what `cairn run` and `cairn exec` do once the controller queued their
 * operation (Juju's runCommandBase, operator-cli.md §11.2, §11.3).
 *
 * Without --background: "Running operation N with M task(s)" and "  - task T on unit-a-0"
 * on stderr (run only), then for each task "Waiting for task T...", the first task's
 * action-log lines as they come ("15:04:05 message", streamed by the controller's
 * task-wait), and the results in the chosen format on stdout; a task whose return code is
 * non-zero makes the command fail with Juju's "the following task failed" text, a task not
 * done in time with "timed out waiting for results from: unit a/0".  With --background:
 * "Scheduled operation N with task T" and how to check on it.  Units whose task could not
 * be queued (validation failed) are reported as Juju does: "Operation N failed to schedule
 * any tasks:" and the errors (exit 0, as Juju). */
#ifndef CAIRN_CLI_TASKWAIT_H
#define CAIRN_CLI_TASKWAIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum taskwait_format { TASKWAIT_PLAIN, TASKWAIT_YAML, TASKWAIT_JSON };

struct taskwait_opts {
	bool background;
	int64_t wait_ns;          /* how long to wait for all tasks (< 0: indefinitely) */
	enum taskwait_format format;
	bool utc;
	bool exec;                /* exec's plain output and no progress lines */
};

/* Parses --format for run/exec (plain|yaml|json); returns 0, or the usage exit code with
 * gnuflag's message printed. */
int taskwait_parse_format(const char *s, enum taskwait_format *ret);
/* Parses a --wait duration (Go syntax); returns 0, or the usage exit code printed. */
int taskwait_parse_wait(const char *s, int64_t *ret_ns);

/* Fills o from run/exec's shared flags: --format, --wait (NULL: default_wait_ns unless
 * --background), --background (refused beside --wait with Juju's text) and --utc.  Returns
 * 0, or the usage exit code with the message printed. */
int taskwait_parse_opts(const char *format, const char *wait, bool background, bool utc,
			int64_t default_wait_ns, struct taskwait_opts *o);

/* Streams the controller's task-wait for task id (at most timeout_ms, -1 = forever): prints
 * action-log lines to stderr as they come when logs ("15:04:05 message"; *ret_had_logs set),
 * and returns 0 with the final task document (new reference) in *ret and *ret_timed_out
 * set when the wait ran out first, or the exit code with the error printed. */
int taskwait_task(int64_t id, int64_t timeout_ms, bool logs, bool utc, bool *ret_had_logs,
		  json_t **ret, bool *ret_timed_out);

/* Handles the controller's answer to run/exec: {"operation": N, "tasks": [{"id", "unit"} |
 * {"error"}]}.  Returns the exit code. */
int taskwait_run(json_t *enqueued, const struct taskwait_opts *o);

#endif
