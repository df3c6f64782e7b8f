/* hookctx.h - what a hook tool may read and change while one hook runs.
 *
 * The unit agent builds one struct hook_ctx per hook run (a *request*, in libuv's words) and
 * hands it to tools_run() (tools.h) for every hook-tool call that carries the hook's context
 * id.  Reads come from the snapshot the agent took when the hook started; changes that Juju
 * buffers (charm state, ports, application version) go into the ctx's pending fields and are
 * committed by the agent only if the hook exits 0 (charm-runtime.md §10, operator-cli.md
 * §13.3).  status-set is not buffered: it goes through ops->status_set at once.
 *
 * Ownership: every json_t field is owned by the ctx (the agent creates and frees them); tools
 * modify the pending ones in place. */
#ifndef CAIRN_HOOKCTX_H
#define CAIRN_HOOKCTX_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/errbuf.h"

struct hook_ctx;

/* Calls back into the agent for effects that apply immediately. */
struct hook_ctx_ops {
	/* Sets the unit's (app=false) or the application's (app=true) workload status.  The
	 * agent checks leadership for app=true and fails with "unit is not the leader" (eb). */
	int (*status_set)(struct hook_ctx *ctx, bool app, const char *status, const char *message,
			  json_t *data, struct errbuf *eb);
	/* Looks up the unit's (app=false) or the application's (app=true) status and calls done
	 * exactly once - possibly before returning, possibly later (the application's status
	 * lives on the controller) - with the result (borrowed for the call)
	 * {"status","message","status-data","since"}, for app=true with "units": {unit: {...}},
	 * or with NULL and an error message ("unit is not the leader"). */
	void (*status_get)(struct hook_ctx *ctx, bool app,
			   void (*done)(void *arg, json_t *result, const char *error), void *arg);
	/* Writes one line to the unit's log (debug-log); level is DEBUG|INFO|WARNING|ERROR|
	 * CRITICAL|TRACE. Never fails. */
	void (*log)(struct hook_ctx *ctx, const char *level, const char *message);
	/* Re-checks leadership right now (is-leader must never answer true for two units). */
	bool (*is_leader)(struct hook_ctx *ctx);
};

struct hook_ctx {
	const struct hook_ctx_ops *ops;
	void *agent;              /* the agent's private data for ops */
	const char *unit;         /* "hello/0" */
	const char *app;          /* "hello" */
	const char *hook;         /* "install", "config-changed", ... */
	const char *model_uuid;
	json_t *config;           /* effective config: {option: value} (read-only) */
	json_t *state;            /* charm state store {key: "string"}; tools edit it, committed on success */
	json_t *ports;            /* opened ports, array of canonical strings ("80/tcp", "8000-8999/udp", "icmp"); edited in place */
	json_t *app_version;      /* NULL or a string set by application-version-set; committed on success */
	/* Networking: network-get's document {"bind-addresses": [...], "egress-subnets": [...],
	 * "ingress-addresses": [...]} and unit-get's two addresses - the unit's pod's address
	 * when its containers run as a pod, else the machine's.  NULL when unknown. */
	json_t *network;
	const char *private_address;
	const char *public_address;
	bool dirty;               /* set by any tool that changed a buffered field */
};

#endif
