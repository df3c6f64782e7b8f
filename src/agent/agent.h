/* agent.h - the unit agents: one uniter per unit, the hook runner and the hook-tool server.
 *
 * The agent side never touches the controller's store.  It sees the controller only through
 * struct agent_backend, a narrow table of calls (raft's raft_io, style.md §18): the goal for a
 * unit (what the operator wants), persistence of the agent's own opaque journal, the commit of
 * a successful hook's buffered changes, status and log writes, and "this unit is dead".  Today
 * both sides share one process and one loop; an agent on another machine would implement the
 * same table over the wire.
 *
 * The controller tells the agent that a unit's goal may have changed with agent_kick(); the
 * agent then runs whatever hooks the uniter's resolver asks for, one at a time per unit and at
 * most `max_parallel` at a time overall. */
#ifndef CAIRN_AGENT_H
#define CAIRN_AGENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/hookctx.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

struct charm;
struct agent;
struct uniter;

/* What the controller wants for one unit right now.  Pointers are borrowed and valid until
 * the agent returns to the loop. */
struct agent_goal {
	const char *unit;         /* "hello/0" */
	const char *app;          /* "hello" */
	int machine;
	bool alive;               /* false once the unit is dying */
	int charm_rev;            /* revision the unit should run */
	const char *charm_dir;    /* the controller's copy of that charm */
	const struct charm *charm;
	json_t *config;           /* effective config */
	const char *config_hash;
	bool leader;              /* holds the application's leadership lease */
	int leader_gen;           /* bumped at each leader failover (leader-settings-changed) */
	json_t *state;            /* committed charm state {key: string} */
	json_t *ports;            /* committed opened ports [..] */
};

enum agent_status_kind { AGENT_STATUS_WORKLOAD, AGENT_STATUS_AGENT, AGENT_STATUS_APP };

struct agent_backend {
	void *data;
	/* Fills *ret for unit; -ENOENT when the unit no longer exists. */
	int (*goal)(void *data, const char *unit, struct agent_goal *ret);
	/* Persists the uniter's journal (an opaque JSON object) in one transaction. */
	int (*save_journal)(void *data, const char *unit, json_t *journal);
	/* Commits a successful hook: the new journal plus the ctx's buffered changes (state,
	 * ports, application version), all in one transaction. */
	int (*commit_hook)(void *data, const char *unit, json_t *journal, const struct hook_ctx *ctx);
	/* Status writes.  by_charm says whether the charm (status-set) or the agent set it.
	 * AGENT_STATUS_APP fails with "unit is not the leader" for a non-leader. */
	int (*set_status)(void *data, const char *unit, enum agent_status_kind kind,
			  const char *status, const char *message, json_t *sdata, bool by_charm,
			  struct errbuf *eb);
	/* status-get: see hook_ctx_ops.status_get. */
	int (*get_status)(void *data, const char *unit, bool app, json_t **ret, struct errbuf *eb);
	/* Whether the charm has set a workload status since the unit was created. */
	bool (*charm_set_status)(void *data, const char *unit);
	/* One log line for debug-log (entity "unit-hello-0"). */
	void (*log)(void *data, const char *unit, const char *level, const char *module,
		    const char *message);
	/* A hook run finished (for show-status-log): hook name, start (wall ns), duration ns,
	 * exit code. */
	void (*hook_ran)(void *data, const char *unit, const char *hook, uint64_t start_ns,
			 uint64_t dur_ns, int code);
	/* The unit ran its last hook (remove) and can leave the model.  The uniter handle is
	 * freed by the agent right after this returns. */
	void (*unit_dead)(void *data, const char *unit);
	/* Something about the unit's progress changed (for wait-for). */
	void (*changed)(void *data, const char *unit);
	/* The controller's copy of revision rev of app's charm (NULL if unknown): the agent
	 * needs the old tree on refresh to remove files the new charm dropped. */
	const char *(*charm_dir)(void *data, const char *app, int rev);
};

struct agent_config {
	const char *home;          /* $CAIRN_HOME; unit dirs live in home/agents/unit-<app>-<n> */
	const char *tools_dir;     /* folder of hook-tool links, first on the hook PATH */
	const char *scree_path;    /* the scree binary, run once per workload container */
	const char *model_name;
	const char *model_uuid;
	unsigned max_parallel;     /* hooks running at once across all units (0 = 2 x CPUs) */
};

/* Model-wide settings the uniters follow; agent_set_model_config() applies changes. */
struct agent_model_config {
	int64_t update_status_ns;  /* update-status-hook-interval */
	bool retry_hooks;          /* automatically-retry-hooks */
	int64_t retry_min_ns;      /* first retry delay (5 s; shortened only by tests) */
	int64_t retry_max_ns;      /* cap (300 s) */
	int64_t hook_timeout_ns;   /* a hook running longer is killed and fails (0 = never) */
};

/* Creates the agent side and its hook-tool socket (home/agent.sock). */
int agent_new(struct loop *l, const struct agent_config *cfg, const struct agent_backend *be,
	      struct agent **ret, struct errbuf *eb);
/* Kills running hooks (they are re-queued, not failed) and frees everything. */
void agent_free(struct agent *a);
void agent_set_model_config(struct agent *a, const struct agent_model_config *mc);

/* Starts a uniter for unit.  journal is the persisted journal (NULL for a new unit); it is
 * copied.  A journal found with a pending hook means the agent died mid-hook: that hook runs
 * again (at-least-once delivery, charm-runtime.md §10). */
struct uniter *agent_add_unit(struct agent *a, const char *unit, json_t *journal);
/* The goal of the unit may have changed: re-run the resolver soon. */
void agent_kick(struct agent *a, struct uniter *u);
/* True when the unit runs nothing, has nothing queued and is not waiting to retry. */
bool agent_unit_idle(struct agent *a, struct uniter *u);
/* Whether the unit is in hook-error state, and clears it: retry the hook now, or with
 * skip=true commit it as if it had succeeded (`resolved --no-retry`).  -EINVAL when the unit
 * is not in error. */
bool agent_unit_in_error(struct uniter *u);
int agent_resolve(struct agent *a, struct uniter *u, bool skip);
/* Timing of the agent's own work around hooks (bench/): prep = dequeue to the spawn call
 * (resolver, journal write, statuses, context), spawn = fork/exec, commit = reaped to
 * committed; charm file copies before install/upgrade-charm are counted apart. */
struct agent_stats {
	uint64_t hooks;
	uint64_t prep_ns, spawn_ns, commit_ns, files_ns;
	uint64_t prep_max_ns, spawn_max_ns, commit_max_ns;
};
void agent_get_stats(struct agent *a, struct agent_stats *ret);

/* `remove-unit --force`: stops waiting for the unit's hooks.  Kills a running hook, drops
 * the uniter and reports the unit dead at once. */
void agent_force_remove(struct agent *a, struct uniter *u);


#endif
