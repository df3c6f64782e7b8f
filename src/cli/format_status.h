/* format_status.h - renders the controller's status document (operator-cli.md §8.3 plus the
 * extras of docs/protocol.md §1) as `cairn status` prints it.
 *
 * Tabular (§8.1, Juju's output_tabular.go): the model section, then applications, units and
 * machines, separated by blank lines, laid out by table.h.  Rows are in natural order
 * (hello/2 before hello/10); Scale and Rev are right-aligned; the leader unit gets a '*';
 * Scale is `N` when every unit's agent is idle or executing and `current/desired` otherwise
 * (desired = the application's "scale", or its unit count when absent); an executing unit's
 * message is prefixed with `(<hook-or-action>) `; a unit still allocating without a workload
 * message shows its agent message; messages are cut to 120 characters ending in "...";
 * Version is cut to 15 characters.
 *
 * JSON prints the document compactly on one line (Go's json.Marshal), YAML with a two-space
 * indent; both keep the controller's key order. */
#ifndef CAIRN_CLI_FORMAT_STATUS_H
#define CAIRN_CLI_FORMAT_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "lib/buf.h"

#define FORMAT_STATUS_MAX_MESSAGE 120 /* characters, including the "..." */
#define FORMAT_STATUS_MAX_VERSION 15  /* machine models */

enum format_status_kind { FORMAT_STATUS_TABULAR, FORMAT_STATUS_JSON, FORMAT_STATUS_YAML };

/* Appends the rendering of doc (borrowed) to out.  Missing or mistyped fields render as
 * empty cells, never as a crash. */
void format_status(json_t *doc, enum format_status_kind kind, struct buf *out);
void format_status_tabular(json_t *doc, struct buf *out);

/* The machines table alone (`cairn machines`): Machine State Address Inst id Base AZ
 * Message. */
void format_status_machines(json_t *machines, struct buf *out);

/* True when the document has no applications and no machines (`Model "x" is empty.`). */
bool format_status_is_empty(json_t *doc);

/* Cuts msg to FORMAT_STATUS_MAX_MESSAGE characters ("..." included) into out. */
void format_status_truncate(const char *msg, size_t max, struct buf *out);

/* Parses an RFC 3339 time ("2006-01-02T15:04:05.999Z", "...+02:00").  0 or -EINVAL. */
int format_status_parse_time(const char *ts, time_t *ret);
/* Appends t in local time as "02 Jan 2006 15:04:05Z07:00" (Juju's FormatTime, used by
 * show-status-log); with utc set, in UTC. */
void format_status_long_time(time_t t, bool utc, struct buf *out);

/* Converts an RFC 3339 time to the local "15:04:05Z07:00" form Juju shows in the model
 * section; other strings are copied unchanged. */
void format_status_time_of_day(const char *ts, struct buf *out);

#endif
