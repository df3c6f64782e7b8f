/* hookctx.h - what a hook tool may read and change while one hook runs.
 *
 * The unit agent builds one struct hook_ctx per hook run (a *request*, in libuv's words) and
 * hands it to tools_run() (tools.h) for every hook-tool call that carries the hook's context
 * id.  Reads come from the snapshot the agent took when the hook started; changes that Juju
 * buffers (charm state, ports, application version) go into the ctx's pending fields and are
 * committed by the agent only if the hook exits 0 (charm-runtime.md §10, operator-cli.md
 * §13.3).  status-set is not buffered: it goes through ops->status_set at once.
 *
 * Relations, leadership settings, networking, goal state and actions (issue 12) follow the
 * same design: the agent fills a snapshot when the hook starts (struct hook_relation per
 * relation the unit is in, hook_action for an action), tools read it, and the changes Juju
 * buffers (relation-set, action-set) are made to the ctx's own copies and flagged dirty; the
 * agent commits them only when the hook exits 0 (relation data) or when the action ends
 * (action results are kept even when the action fails, as Juju keeps them).  leader-set and
 * action-log take effect at once, as in Juju, through ops.
 *
 * Ownership: every json_t field is owned by the ctx (the agent creates them;
 * hook_ctx_done() frees them); tools modify the pending ones in place. */
#ifndef CAIRN_HOOKCTX_H
#define CAIRN_HOOKCTX_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/errbuf.h"

struct hook_ctx;

/* Calls back into the agent for effects that apply immediately. */
struct hook_ctx_ops {
	/* Sets the unit's (app=false) or the application's (app=true) workload status.  The
	 * agent checks leadership for app=true and fails with "unit is not the leader" (eb).  A
	 * unit status the charm already set, unchanged, is a no-op that succeeds. */
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
	/* leader-set: applies changes ({key: "value"}, "" deletes) to the application's
	 * leader settings now.  The caller has checked leadership; the agent fails with eb
	 * when the write cannot be made.  May be NULL (leader-set then fails). */
	int (*leader_set)(struct hook_ctx *ctx, json_t *changes, struct errbuf *eb);
	/* action-log: one message for the running action's log, now (streamed to a watching
	 * `cairn run`).  May be NULL. */
	void (*action_log)(struct hook_ctx *ctx, const char *message);
	/* goal-state: asks for the document {"units", "relations"} and calls done exactly once
	 * (as status_get does).  May be NULL: the tool then prints the ctx's goal_state. */
	void (*goal_state)(struct hook_ctx *ctx,
			   void (*done)(void *arg, json_t *result, const char *error), void *arg);
	/* resource-get: the local path of the unit's copy of resource name at the revision
	 * the application has now, fetched first when the unit lacks it.  Calls done exactly
	 * once - at once when the copy is current, else once the fetch ends - with the path
	 * or with NULL and the reason (Juju's text, e.g. `resource "x" not found`; both
	 * borrowed for the call).  May be NULL: resource-get then fails. */
	void (*resource_get)(struct hook_ctx *ctx, const char *name,
			     void (*done)(void *arg, const char *path, const char *error), void *arg);
};

/* One relation the unit is in, as the hook sees it. */
struct hook_relation {
	int id;
	char *endpoint;           /* the local endpoint ("db") */
	char *remote_app;         /* the other application (the own one for a peer relation) */
	bool peer;
	bool dying;               /* the relation is being removed (still listed, as Juju does) */
	json_t *members;          /* [unit, ...] sorted: relation-list (what has joined, with
				   * the hook's own joining/departing unit applied) */
	json_t *remote_units;     /* {unit: {key: value}}: remote unit bags relation-get may read
				   * (members and units that have departed) */
	json_t *remote_app_bag;   /* {key: value}: the remote application's bag */
	json_t *unit_bag;         /* {key: value}: this unit's bag, edited by relation-set */
	json_t *app_bag;          /* {key: value}: this application's bag, edited by relation-set
				   * --app (leader only) */
	bool unit_dirty, app_dirty; /* relation-set changed the bag */
};

/* The action a ctx runs (NULL in a hook). */
struct hook_action {
	char *name;               /* "backup" */
	char *id;                 /* the task id, "2" */
	json_t *params;           /* the validated parameters with schema defaults filled in */
	json_t *results;          /* action-set's map (nested by dotted keys) */
	bool failed;              /* action-fail was called */
	char *fail_message;       /* its message */
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
	bool dirty;               /* set by any tool that changed a buffered field */

	/* Relations (NULL/0 when the unit is in none). */
	struct hook_relation *relations; /* sorted by id */
	size_t n_relations;
	bool in_relation;         /* a relation hook: relation_id is its relation */
	int relation_id;          /* the hook's relation (JUJU_RELATION_ID) */
	const char *remote_unit;  /* JUJU_REMOTE_UNIT, or NULL */
	const char *remote_app;   /* JUJU_REMOTE_APP, or NULL */
	/* Networking: network-get's document {"bind-addresses": [...], "egress-subnets": [...],
	 * "ingress-addresses": [...]} and unit-get's two addresses - the unit's pod's address
	 * when its containers run as a pod, else the machine's real addresses.  NULL when
	 * unknown. */
	json_t *network;
	const char *private_address;
	const char *public_address;
	json_t *goal_state;       /* goal-state's document {"units", "relations"}, or NULL */
	json_t *leader_settings;  /* {key: value} snapshot for leader-get, updated by leader-set */
	struct hook_action *action; /* the action being run, or NULL */
	pid_t pid;                /* the hook's process group: only its members may call tools (0: any) */
};

/* Frees what the relation/network/goal/leadership/action fields own and resets them;
 * the older fields (config, state, ports, app_version) stay the agent's to free. */
void hook_ctx_done_extras(struct hook_ctx *ctx);
/* The relation with id, or NULL. */
struct hook_relation *hook_ctx_relation(struct hook_ctx *ctx, int id);

#endif
