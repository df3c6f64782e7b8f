/* model.h - helpers shared by the model_*.c files (config, unit, relations, actions,
 * storage, stored state), which implement cairn/charm.h's model calls as hook-tool calls. */
#ifndef CAIRN_SDK_MODEL_H
#define CAIRN_SDK_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cairn/charm.h"
#include "lib/buf.h"

/* Parses a tool's JSON output (any JSON value) into *ret (new reference); an invalid output
 * is CAIRN_ERR_PROTOCOL naming the tool. */
int model_parse_json(const char *tool, const struct buf *out, json_t **ret, struct cairn_error *err);

/* 0 when this unit is the leader; else CAIRN_ERR_MODEL "unit is not the leader" (or the
 * is-leader failure), as leader-only calls refuse (charm-runtime.md §3.1). */
int model_require_leader(struct cairn_charm *ch, struct cairn_error *err);

/* Runs a tool that prints JSON (--format=json is the caller's argument) and parses it. */
struct tools;
int model_run_json(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
	__attribute__((sentinel));
/* The same for a tool that prints a list / a map: JSON null reads as an empty one, anything
 * else is CAIRN_ERR_PROTOCOL ("<tool> printed no list"). */
int model_run_list(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
	__attribute__((sentinel));
int model_run_map(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
	__attribute__((sentinel));

#endif
