/* uniter.h - the unit agent's decision core: the persisted journal and the resolver.
 *
 * This module is pure: no processes, sockets, clocks or storage.  Given the journal (what the
 * unit has done, operator-cli.md §13.2) and the goal (what the controller wants), the resolver
 * names the one hook to run next, following the precedence of charm-runtime.md §7.1:
 *   queued follow-up > dying (stop, remove) > install > leader-elected > upgrade-charm >
 *   config-changed > workload (pebble-ready) > update-status.
 * leader-elected runs only while the agent holds a valid lease (Juju re-checks leadership
 * when it prepares the hook); losing the lease runs no hook.
 * Relations (relstate.h) slot in as Juju's resolver has them: -relation-created right after
 * install (before leader-elected), the other relation hooks after start, and when the unit is
 * dying its relations are torn down (departed..., broken) before stop.
 * Follow-ups are queued at commit: start after the first config-changed, config-changed after
 * upgrade-charm, and config-changed after a relation is created on a started unit (the
 * config-changed the lifecycle seed promises "after a relation is created").  The hook
 * lifecycle is prepare (journal: run-hook/pending) -> execute ->
 * commit (flags, follow-up, continue), each persisted before the next step. */
#ifndef CAIRN_UNITER_H
#define CAIRN_UNITER_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/relstate.h"
#include "lib/errbuf.h"

#define UNITER_HOOK_MAX 96
#define UNITER_HASH_MAX 65

enum uniter_op { UNITER_OP_CONTINUE, UNITER_OP_RUN_HOOK, _UNITER_OP_MAX };
enum uniter_step { UNITER_STEP_DONE, UNITER_STEP_QUEUED, UNITER_STEP_PENDING, _UNITER_STEP_MAX };

struct uniter_journal {
	bool installed, started, stopped, removed;
	bool leader;                   /* leader-elected has run for the current lease */
	int charm_rev;                 /* charm revision the unit's files are at (-1 = none) */
	int leader_gen;                /* leadership generation the unit has seen */
	char config_hash[UNITER_HASH_MAX]; /* config the last config-changed saw */
	enum uniter_op op;
	enum uniter_step step;
	char hook[UNITER_HOOK_MAX];    /* with RUN_HOOK: the queued or pending hook */
	/* Taken when a hook is prepared, used at commit: */
	char hook_config_hash[UNITER_HASH_MAX];
	int hook_charm_rev;
	int hook_leader_gen;
	struct relhook hook_rel;       /* with RUN_HOOK: the relation hook's details (kind NONE otherwise) */
};

/* What the controller wants for the unit, as the resolver needs it (the agent assembles it
 * from the application's and the unit's goal messages). */
struct uniter_goal {
	bool alive;                    /* false once the unit is dying */
	int charm_rev;                 /* revision the unit should run */
	const char *config_hash;       /* of the effective config */
	bool leader;                   /* the controller gave this unit the application's lease */
	int leader_gen;                /* bumped at each leader failover */
};

/* Runtime facts the resolver needs beyond journal and goal. */
struct uniter_flags {
	bool in_error;                 /* a hook failed and waits for retry or resolved */
	bool update_status_due;        /* the update-status timer fired */
	bool lease_valid;              /* the agent may claim leadership right now */
	const char *workload_hook;     /* "<c>-pebble-ready" for a new boot id, or NULL */
};

void uniter_journal_init(struct uniter_journal *j);
json_t *uniter_journal_to_json(const struct uniter_journal *j);
/* Fills *j from a persisted journal; -EINVAL (eb) when malformed, *j untouched then. */
int uniter_journal_from_json(json_t *v, struct uniter_journal *j, struct errbuf *eb);

/* The hook to run next, or NULL when there is nothing to do.  With ret_dead set to true the
 * unit has finished its teardown and can leave the model. */
const char *uniter_next_hook(const struct uniter_journal *j, const struct uniter_goal *g,
			     const struct uniter_flags *f, bool *ret_dead);

/* What the uniter should do next. */
enum uniter_next_kind { UNITER_NEXT_NONE, UNITER_NEXT_HOOK, UNITER_NEXT_DEAD };

struct uniter_next {
	enum uniter_next_kind kind;
	char hook[UNITER_HOOK_MAX];    /* with HOOK: its name ("db-relation-joined") */
	struct relhook rel;            /* with a relation hook: its details (kind NONE otherwise) */
};

/* The full resolver: journal j and relation state rs (NULL = none) against the goal g and
 * the relation goal rg (NULL = no relations).  The order is described at the top. */
void uniter_decide(const struct uniter_journal *j, const struct relstate *rs,
		   const struct uniter_goal *g, const struct relgoals *rg,
		   const struct uniter_flags *f, struct uniter_next *ret);
/* Prepare for what uniter_decide() chose (n->kind == UNITER_NEXT_HOOK). */
void uniter_prepare_next(struct uniter_journal *j, const struct uniter_next *n,
			 const struct uniter_goal *g);
/* Commit after success: as uniter_commit(), and a relation hook is applied to rs (which may
 * be NULL when the unit keeps no relation state). */
void uniter_commit_rel(struct uniter_journal *j, struct relstate *rs);

/* Prepare: records hook as pending together with the goal facts the commit will need. */
void uniter_prepare(struct uniter_journal *j, const char *hook, const struct uniter_goal *g);
/* Commit after success (or `resolved --no-retry`): sets flags, queues follow-ups. */
void uniter_commit(struct uniter_journal *j);
/* After an orderly shutdown killed the hook: back to queued, it runs again later. */
void uniter_requeue(struct uniter_journal *j);

#endif
