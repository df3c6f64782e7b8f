/* event_table.h - the event kinds as data: names, families and what each may do.
 *
 * One row per enum cairn_event_kind gives its hook name (static kinds) or hook-name suffix
 * (dynamic kinds), the metadata family that names dynamic kinds, and flags.  Turning a
 * dispatch path (charm-runtime.md §2.3, §5) into a (kind, name) pair is a table walk, never
 * a chain of string compares.  Pure: no I/O. */
#ifndef CAIRN_SDK_EVENT_TABLE_H
#define CAIRN_SDK_EVENT_TABLE_H

#include <stdbool.h>

#include "cairn/charm.h"
#include "sdk/meta.h"

#define EVENT_RESTRICTED 0x1u /* collect-metrics: no re-emission, no collect-status, no commit */
#define EVENT_NO_DEFER 0x2u   /* actions and collect-status cannot be deferred */
#define EVENT_FRAMEWORK 0x4u  /* emitted by the framework, never dispatched by the agent */

struct event_def {
	const char *hook;          /* static: the hook name; dynamic: the suffix ("" for actions) */
	enum meta_family family;   /* META_NONE for static and framework kinds */
	unsigned flags;
};

/* The row of kind, or NULL when kind is out of range. */
const struct event_def *event_def(enum cairn_event_kind kind);

/* Resolves a dispatch path ("hooks/db-relation-changed", "actions/backup") against the
 * charm's metadata.  Returns 0 with *ret_kind and *ret_name (borrowed from m; NULL for static
 * kinds), or -ENOENT for a hook the charm cannot observe (unknown name, or an entry
 * metadata.yaml does not declare), or -EINVAL for a path that is neither hooks/ nor
 * actions/. */
int event_parse_path(const struct meta *m, const char *dispatch_path, enum cairn_event_kind *ret_kind,
		     const char **ret_name);

/* Whether a hook runs in a restricted context (collect-metrics, meter-status-changed): no
 * re-emission of deferred events and no collect-status (charm-runtime.md §1.4). */
bool event_hook_restricted(const char *hook);

/* The hook name of (kind, name): "install", "db-relation-changed", or the action name.
 * Writes at most n bytes (NUL included); returns 0 or -EINVAL. */
int event_hook_name(enum cairn_event_kind kind, const char *name, char *out, size_t n);

/* ops' event name: the hook name with '-' -> '_', plus "_action" for actions
 * ("db_relation_changed", "backup_action"). */
int event_ops_name(enum cairn_event_kind kind, const char *name, char *out, size_t n);

#endif
