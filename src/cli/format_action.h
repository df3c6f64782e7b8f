/* format_action.h - how `cairn run`, `exec`, `show-task`, `show-operation`, `operations`,
 * `cancel-task`, `actions` and `show-action` print, byte for byte as Juju's
 * cmd/juju/action does (operator-cli.md §11.2, §11.3).
 *
 * Inputs are the controller's task and operation documents (docs/protocol.md §1: times in
 * nanoseconds since the epoch, 0 = not yet).  Functions are pure: they append to a buf or
 * return new JSON references, and never print. */
#ifndef CAIRN_CLI_FORMAT_ACTION_H
#define CAIRN_CLI_FORMAT_ACTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"

enum fa_time_style {
	FA_TIME_GO,       /* time.Time.String(): "2024-01-02 03:04:05.5 +0000 UTC" */
	FA_TIME_PROGRESS, /* "15:04:05", for action-log lines while waiting */
	FA_TIME_PLAIN,    /* "2006-01-02T15:04:05", for the operations table */
};

/* Appends the time ns (nothing for 0) in local time, or UTC with utc. */
void fa_time(struct buf *out, uint64_t ns, bool utc, enum fa_time_style style);

/* Juju's formatActionResult: {"id", "status", "unit", "message"?, "results"?, "log"?,
 * "timing"?} with the results' stdout/stderr kept only when not empty and "return-code" an
 * integer.  *ret_code gets the return code, or -1 when the task has none.  New reference. */
json_t *fa_task(json_t *task, bool utc, int *ret_code);

/* The "plain" output of run / show-task for info = {key: fa_task(...)}: the results as
 * YAML (without return-code, stdout, stderr and their encodings), or "Task N status" when
 * there are none, "Action id N failed: message" first for a failed task, then the stdout
 * and stderr; several tasks print as a YAML map instead. */
void fa_plain(struct buf *out, json_t *info);
/* exec's "plain" output: each target's stdout then stderr (each ending in a newline); with
 * several targets each is headed "name:" and followed by a blank line. */
void fa_exec_plain(struct buf *out, json_t *info);

/* Juju's formatOperationResult for show-operation / operations --format yaml|json: in
 * struct order {"summary", "status", "action"?, "timing"?, "tasks": {id: {"name"?, "host",
 * "status", "timing"?, "log"?, "message"?, "results"?}}}.  New reference. */
json_t *fa_operation(json_t *op, bool utc);
/* The operations table: ID Status Started Finished "Task IDs" Summary (at most five task
 * ids, then "..."), ops sorted by id. */
void fa_operations_table(struct buf *out, json_t *ops, bool utc);

/* `actions APP` tabular output for specs [{"name", "description"}] (natural order). */
void fa_actions_table(struct buf *out, json_t *specs);
/* `show-action APP ACTION`: the description, "Arguments", and each parameter's type and
 * description as YAML. */
void fa_show_action(struct buf *out, json_t *spec);

#endif
