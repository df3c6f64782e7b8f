/* uniter.h - the unit agent's decision core: the persisted journal and the resolver.
 *
 * This module is pure: no processes, sockets, clocks or storage.  Given the journal (what the
 * unit has done, operator-cli.md §13.2) and the goal (what the controller wants), the resolver
 * names the one hook to run next, following the precedence of charm-runtime.md §7.1:
 *   queued follow-up > dying (stop, remove) > install > leader-elected > upgrade-charm >
 *   config-changed > workload (pebble-ready) > update-status.
 * leader-elected runs only while the agent holds a valid lease (Juju re-checks leadership
 * when it prepares the hook); losing the lease runs no hook.
 * Workload events from Pebble notices (<c>-pebble-custom-notice, -check-failed,
 * -check-recovered) come as Juju's workload resolver has them (charm-runtime.md §7.1 item 5):
 * after a queued or pending hook and leadership, before everything else - not gated on
 * install or start, not stopped by dying.  The journal keeps, per container, the last notice
 * whose hook committed (its last-repeated time and id, charm-runtime.md §11.3), and with a
 * notice hook pending the notice it is for, so an agent that restarts neither skips nor
 * repeats one.
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
#define UNITER_CONTAINER_MAX 64      /* container names (longer ones get no notice hooks) */
#define UNITER_NOTICE_ID_MAX 24
#define UNITER_NOTICE_KEY_MAX 257     /* Pebble: keys of at most 256 bytes */
#define UNITER_CHECK_MAX 128
#define UNITER_TIME_MAX 48            /* an RFC 3339 time with nanoseconds and an offset */
#define UNITER_CONTAINERS_MAX 64      /* notice cursors a journal keeps */

/* What a notice hook is about. */
enum uniter_notice_kind {
	UNITER_NOTICE_NONE,
	UNITER_NOTICE_CUSTOM,          /* <c>-pebble-custom-notice */
	UNITER_NOTICE_CHECK_FAILED,    /* <c>-pebble-check-failed */
	UNITER_NOTICE_CHECK_RECOVERED, /* <c>-pebble-check-recovered */
	_UNITER_NOTICE_MAX,
};

/* One workload event from a container's notices. */
struct uniter_notice {
	enum uniter_notice_kind kind;
	char container[UNITER_CONTAINER_MAX];
	char id[UNITER_NOTICE_ID_MAX];        /* the notice's id */
	char key[UNITER_NOTICE_KEY_MAX];      /* custom: the notice key (JUJU_NOTICE_KEY) */
	char check[UNITER_CHECK_MAX];         /* check hooks: JUJU_PEBBLE_CHECK_NAME */
	char last_repeated[UNITER_TIME_MAX];  /* the occurrence this is (RFC 3339) */
};

/* The last notice of a container whose hook committed (or "" for none yet). */
struct uniter_cursor {
	char container[UNITER_CONTAINER_MAX];
	char last_repeated[UNITER_TIME_MAX];
	char id[UNITER_NOTICE_ID_MAX];
};

/* The notice part of a journal, allocated only for units that have had notice hooks. */
struct uniter_notices {
	struct uniter_cursor cursors[UNITER_CONTAINERS_MAX];
	size_t n_cursors;
	struct uniter_notice hook;            /* the notice of the queued or pending hook */
};

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
	/* Owned; NULL until a notice hook ran.  A journal is a value: copy it with
	 * uniter_journal_copy and free it with uniter_journal_done. */
	struct uniter_notices *nz;
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
	/* A notice hook ready to run ("<c>-pebble-custom-notice", ...), or NULL. */
	const char *notice_hook;
};

void uniter_journal_init(struct uniter_journal *j);
/* dst (uninitialised) becomes an independent copy of src. */
void uniter_journal_copy(struct uniter_journal *dst, const struct uniter_journal *src);
/* Frees what j owns (it is then as after uniter_journal_init).  NULL-safe. */
void uniter_journal_done(struct uniter_journal *j);
/* Frees dst's parts and moves src into dst (src is left initialised). */
void uniter_journal_move(struct uniter_journal *dst, struct uniter_journal *src);
json_t *uniter_journal_to_json(const struct uniter_journal *j);
/* Fills *j (initialised or not: it is overwritten, nothing freed) from a persisted journal;
 * -EINVAL (eb) when malformed, *j untouched then. */
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
/* Prepare for what uniter_decide() chose (n->kind == UNITER_NEXT_HOOK); notice as for
 * uniter_prepare(). */
void uniter_prepare_next(struct uniter_journal *j, const struct uniter_next *n,
			 const struct uniter_goal *g, const struct uniter_notice *notice);
/* Commit after success: as uniter_commit(), and a relation hook is applied to rs (which may
 * be NULL when the unit keeps no relation state). */
void uniter_commit_rel(struct uniter_journal *j, struct relstate *rs);

/* Prepare: records hook as pending together with the goal facts the commit will need, and
 * for a notice hook (notice not NULL) the notice. */
void uniter_prepare(struct uniter_journal *j, const char *hook, const struct uniter_goal *g,
		    const struct uniter_notice *notice);
/* Commit after success (or `resolved --no-retry`): sets flags, queues follow-ups. */
void uniter_commit(struct uniter_journal *j);
/* After an orderly shutdown killed the hook: back to queued, it runs again later. */
void uniter_requeue(struct uniter_journal *j);

/* The notice the queued or pending hook is for, or NULL. */
const struct uniter_notice *uniter_hook_notice(const struct uniter_journal *j);
/* The cursor of container (NULL: no notice hook of it committed yet). */
const struct uniter_cursor *uniter_cursor(const struct uniter_journal *j, const char *container);
/* The hook name of a notice: "<container>-pebble-custom-notice" and so on; false when it
 * does not fit. */
bool uniter_notice_hook_name(const struct uniter_notice *n, char *out, size_t n_out);

#endif
