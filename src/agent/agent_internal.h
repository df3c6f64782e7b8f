/* agent_internal.h - what agent.c (the machine: session, outbox, goals) and the unit*.c files
 * (one unit's runtime) share.  Not for other modules. */
#ifndef CAIRN_AGENT_INTERNAL_H
#define CAIRN_AGENT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/agent.h"
#include "agent/notices.h"
#include "agent/relgoal.h"
#include "agent/relstate.h"
#include "agent/uniter.h"
#include "lib/hmap.h"

#define AGENT_CONTEXT_ID_MAX 160

/* An application as this machine knows it: its part of its units' goal. */
struct app {
	char *name;
	bool have_goal;
	int64_t gen;
	int charm_rev;
	char digest[65];
	int64_t charm_size;
	json_t *config;           /* effective config */
	char config_hash[65];
	char leader[PROTO_NAME_MAX + 1]; /* "" = nobody */
	int leader_gen;
	char **containers;
	size_t n_containers;
	size_t n_units;           /* units of this app on the machine */
	int64_t charm_modified;   /* grows with refreshes and resource revisions (0 = absent) */
	json_t *resources;        /* {name: {type, revision, fingerprint, size, image?}} */
	json_t *container_specs;  /* {container: {resource?, mounts}} */
	bool dying;               /* the application is being removed */
	json_t *leader_settings;  /* {key: value} (leader-get), never NULL once a goal came */
};

/* One sequenced message not yet acknowledged. */
struct outmsg {
	int64_t seq;
	json_t *msg;              /* the encoded message */
	bool sent;                /* written to the session (again after each reconnect) */
	struct outmsg *next;
};

/* Unit runtime states; the legal transitions are in unit.c. */
enum unit_state {
	UNIT_IDLE,        /* nothing runs; the resolver decides on each kick */
	UNIT_ERROR,       /* a hook failed: waiting for a retry or `resolved` */
	UNIT_PREPARING,   /* fetching and installing charm files before install/upgrade-charm */
	UNIT_RUNNING,     /* a hook process runs */
	UNIT_COMMITTING,  /* the hook's commit-hook waits for the controller's ack */
	UNIT_DEAD,        /* unit-dead sent; removed once acknowledged */
	_UNIT_STATE_MAX,
};

struct container_rt {
	struct unit *u;
	char *name;
	struct workload *w;
	char seen[WORKLOAD_BOOT_ID_MAX];    /* boot id whose pebble-ready succeeded */
	char pending[WORKLOAD_BOOT_ID_MAX]; /* newest boot id reported */
	char hook[UNITER_HOOK_MAX];         /* "<name>-pebble-ready" */
	struct agent_timer *retry;
	struct notice_watch *nw;            /* its notices (notices.h), or NULL */
	char notice_hook[UNITER_HOOK_MAX];  /* the hook of nw's event, when it has one */
	bool in_pod;                        /* runs in the unit's pod (its image), not w */
};

/* A status-get --application (or goal-state) waiting for the controller. */
struct query {
	struct agent *a;
	int64_t id;
	struct unit *u;
	bool app;
	bool goal_state;
	void (*done)(void *arg, json_t *result, const char *error);
	void *arg;
	struct agent_timer *timer;
	bool sent;
	struct query *next;
};

struct unit {
	struct agent *a;
	char *name;
	struct app *app;
	char *dir;                /* home/agents/unit-<app>-<n> */
	char *charm_dir;          /* dir/charm */
	struct uniter_journal j;  /* the acknowledged journal (plus pending steps) */
	enum unit_state state;

	/* The unit's own goal. */
	bool have_goal;
	int64_t gen;
	bool alive;
	json_t *state_goal;       /* committed charm state */
	json_t *ports_goal;       /* committed opened ports */
	int64_t resolve_gen;
	char resolve_mode[16];

	/* Persisted beside the journal. */
	int64_t next_seq;
	int64_t resolved_gen;
	char *charm_digest;       /* files installed in charm_dir, "" = none */
	char *principal;          /* a subordinate's principal unit (from its goal), or NULL */
	json_t *wl_status;        /* {"status","message","data","charm-set"} */
	json_t *row_journal;      /* agent_unit_row()'s copy of j, until the transaction is written */

	struct outmsg *out_head, *out_tail;
	/* While a hook runs, its messages (statuses, its journal) stay in the outbox, already
	 * durable, and go to the controller together when it ends, or AGENT_OUT_HOLD_MS after
	 * the first was held for a long hook: a 2 ms hook then costs the controller one read
	 * instead of four, off the hook's path. */
	bool hold_out;
	struct agent_timer *out_timer;

	/* Error state and retries (charm-runtime.md §10). */
	unsigned retries;
	int64_t next_retry_ms;
	struct agent_timer *retry_timer;
	bool update_status_due;
	struct agent_timer *us_timer;
	struct agent_timer *hook_timer;
	bool timed_out;

	/* The hook being prepared, run or committed. */
	char hook[UNITER_HOOK_MAX];
	struct agent_install *install;
	char install_digest[65];  /* PREPARING: the charm whose files are being installed */
	struct hookrun *run;
	struct hook_ctx ctx;
	bool ctx_live;
	char context_id[AGENT_CONTEXT_ID_MAX];
	uint64_t run_start_ns, t_pop, t_exit;
	int64_t commit_seq;       /* COMMITTING: the commit-hook's seq */
	json_t *commit_journal;   /* COMMITTING: the journal once acknowledged */
	struct agent_timer *commit_timer;
	int64_t dead_seq;         /* DEAD: the unit-dead message's seq */

	struct container_rt *containers;
	size_t n_containers;
	char ready_boot[WORKLOAD_BOOT_ID_MAX];
	struct container_rt *ready_container;
	bool containers_dirty;    /* the goal changed: which containers run where */

	/* The unit's pod, when containers have images (pods.h). */
	struct unitpod *pod;
	enum unitpod_state pod_state;
	char pod_address[64], pod_cidr[32];
	char *pod_netns;          /* its network namespace, once UP */
	json_t *wait_saved;       /* the workload status before the agent set waiting/blocked */
	bool wait_set;            /* the agent's waiting/blocked status for the pod is shown */

	/* Relations (issue 12): the acknowledged local state (persisted in the journal under
	 * "relations"), the relation part of the goal, and the last bags of remote units that
	 * left a scope but whose -departed has not run yet ([{"id", "units": {unit: {"bag"}}}],
	 * read as relgoal_fill_ctx's prev document). */
	struct relstate rs;
	struct relgoal_doc rg;
	json_t *gone;
	bool leader_dirty;          /* the hook ran leader-set */

	/* Tasks (actions and exec) the controller queued for the unit, oldest first, and the
	 * one running (unit_task.c).  task_id is persisted in the journal ("task") while a task
	 * runs, so an agent restarted mid-task reports it failed instead of running it twice. */
	json_t *tasks_goal;
	struct unit_task *task;
	int64_t task_id;
	int64_t task_done_id;       /* the last task reported finished (ignored if still listed) */

	struct unit_resources *resources; /* local copies of resources (unit_resources.h), or NULL */

	/* Run queue and progress reports. */
	bool queued;
	struct unit *q_next;
	bool progress_dirty;
	struct unit *p_next;
	bool sent_progress;
	int64_t sent_gen;
	const char *sent_state;
	bool sent_settled;
	char sent_address[64];    /* the address last reported ("" = the machine's) */
};

struct agent {
	struct agent_io io;
	char *home, *machine, *password, *tools_dir, *scree_path, *socket_path, *hostname;
	json_t *addresses;
	json_t *network;          /* network-get's document (netinfo.h) */
	void (*refused_cb)(void *data, const char *why);
	void (*torn_down_cb)(void *data);
	void *cb_data;
	char model_name[PROTO_NAME_MAX + 1];
	char model_uuid[65];
	char api_addresses[512];

	struct hmap units;        /* name -> struct unit */
	struct hmap apps;         /* name -> struct app */
	struct hmap contexts;     /* context id -> struct unit */
	struct hmap digests;      /* digest -> (uintptr_t) references */

	/* Model config (from the controller; kept in the store). */
	int64_t update_status_ms;
	bool retry_hooks;
	int64_t hook_timeout_ms;
	int64_t retry_min_ms, retry_max_ms;

	/* The session. */
	bool link_up;             /* the transport is connected */
	bool session;             /* hello answered by welcome */
	int64_t lease_ms;
	uint64_t lease_until_ms;  /* the agent may claim leadership until then */
	uint64_t hello_sent_ms;
	int64_t next_ping;
	struct { int64_t id; uint64_t sent_ms; } pings[8];
	uint64_t last_pong_ms;
	struct agent_timer *ping_timer;

	/* Work. */
	unsigned max_parallel, running;
	struct unit *q_head, *q_tail;
	bool pump_scheduled;
	struct unit *p_head;
	bool progress_scheduled;
	json_t *log_batch;        /* records waiting to be sent */
	size_t logs_dropped;
	bool log_flush_scheduled;
	struct query *queries;
	int64_t next_query;
	bool shutting_down;
	bool tearing_down;
	struct agent_stats stats;
};

/* ---- agent.c ---- */

/* Frees an application record (its units are gone). */
void agent_app_free(struct app *app);

/* Logs a line for debug-log (entity unit-<app>-<n>, or the machine when u is NULL). */
void agent_log(struct agent *a, struct unit *u, const char *level, const char *module,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sends m now if the session is up (not for sequenced messages). */
void agent_send(struct agent *a, const struct proto_msg *m);
/* Applies a store transaction built by unit.c together with its new sequenced messages
 * (encoded; ownership passes on success) and, when ack_seq > 0, the removal of u's outbox
 * rows up to ack_seq: on success the messages join the unit's outbox and are sent.  On
 * failure nothing changes anywhere and eb says why. */
int agent_commit_txn(struct agent *a, struct unit *u, const struct store_unit_row *row,
		     json_t **msgs, size_t n_msgs, int64_t ack_seq, struct errbuf *eb);
/* Sends u's held outbox messages now, in order (the session permitting). */
void agent_outbox_flush(struct unit *u);
/* The row describing u as it is in memory (borrowed pointers, valid until u changes). */
void agent_unit_row(struct unit *u, struct store_unit_row *row);
/* The same row with another journal (borrowed), which the caller has already built. */
void agent_unit_row_with(struct unit *u, struct store_unit_row *row, json_t *journal);
/* The next sequence number u's next message will get. */
int64_t agent_next_seq(struct unit *u, size_t k);
/* Whether u's application names it leader and the lease is valid. */
bool agent_unit_is_leader(struct unit *u);
bool agent_lease_ok(struct agent *a);
/* Charm digest references (installed files and application goals). */
void agent_digest_ref(struct agent *a, const char *digest, int delta);
/* The context registry the hook-tool server looks in. */
void agent_context_add(struct agent *a, struct unit *u);
void agent_context_del(struct agent *a, struct unit *u);
/* A status-get for the application, answered by the controller. */
void agent_query_app_status(struct agent *a, struct unit *u,
			    void (*done)(void *arg, json_t *result, const char *error), void *arg);
/* Ends every query of u with error. */
void agent_queries_cancel(struct agent *a, struct unit *u, const char *error);

/* A status-get for the application, or the unit's goal-state, answered by the controller. */
void agent_query(struct agent *a, struct unit *u, bool app, bool goal_state,
		 void (*done)(void *arg, json_t *result, const char *error), void *arg);

/* ---- unit_rel.c ---- */

/* The unit's persisted journal document: the uniter journal j, with the relation state rs
 * under "relations" and the running task (0 = none) under "task".  New reference. */
json_t *unit_journal_json(const struct uniter_journal *j, const struct relstate *rs, int64_t task,
			  int64_t task_done);
/* Reads the relation state and the task ids back from a journal document (the uniter part is
 * uniter_journal_from_json's).  -EINVAL with eb when malformed; *rs initialised either way. */
int unit_journal_extras(json_t *journal, struct relstate *rs, int64_t *task, int64_t *task_done,
			struct errbuf *eb);
/* A new relation goal document (from a unit goal; NULL = none).  Bags of remote units that
 * left a scope are kept until their -departed commits (unit_rel_forget). */
void unit_set_relations(struct unit *u, json_t *relations);
/* The relation part of a hook context (u->ctx) for the relation hook rel (NULL or kind NONE:
 * not a relation hook). */
void unit_rel_fill_ctx(struct unit *u, const struct relhook *rel);
/* The relation changes of a commit (commit-hook's "relations", NULL when none): the bags the
 * hook changed (with_changes), and for the relation hook h (NULL = none) the scope entered
 * (-relation-created, with the unit's first bag) or left (-relation-broken, or the last
 * peer -departed of a unit going away); after is the relation state once committed.  New
 * reference. */
json_t *unit_rel_changes(struct unit *u, bool with_changes, const struct relstate *after,
			 const struct relhook *h);
/* The leader's own writes of a peer relation's application bag count as seen in after. */
void unit_rel_own_writes(struct unit *u, struct relstate *after);
/* A relation hook h committed: the kept bags it no longer needs go. */
void unit_rel_forget(struct unit *u, const struct relhook *h);

/* ---- unit_ctx.c ---- */

/* The hook context's ops, shared by hooks and tasks. */
extern const struct hook_ctx_ops unit_ctx_ops;
/* Fills u->ctx for a hook or task (ctx_live set, context registered). */
void unit_ctx_fill(struct unit *u, const char *hook, const struct relhook *rel);
void unit_ctx_clear(struct unit *u);
/* What a task's hook context changed, into an action-result (new references: the caller
 * drops them after encoding). */
void unit_ctx_changes(struct unit *u, struct proto_action_result *m);

/* ---- unit_batch.c ---- */

/* Sequenced messages of one unit, written with its row in one store transaction:
 * batch_add() numbers each message, batch_commit() writes row (u as it is when NULL) and
 * the messages, which then join the outbox; batch_done() drops what was not committed. */
struct batch {
	struct unit *u;
	json_t *msgs[8];
	size_t n;
	json_t *journal; /* the journal batch_journal saved (the row must carry it), or NULL */
};
void batch_init(struct batch *b, struct unit *u);
void batch_done(struct batch *b);
int64_t batch_add(struct batch *b, struct proto_msg *m);
/* save-journal of j (with u's relation state and task). */
void batch_journal(struct batch *b, const struct uniter_journal *j);
void batch_status(struct batch *b, const char *kind, const char *status, const char *message,
		   json_t *data, bool by_charm);
/* hook-ran of one hook run (its start, duration and exit code, clamped to 0..255). */
void batch_hook_ran(struct batch *b, const char *hook, uint64_t start_ns, uint64_t dur_ns,
		    int code);
int batch_commit(struct batch *b, const struct store_unit_row *row, struct errbuf *eb);
/* Writes b, which saved j2 (batch_journal), with u's row carrying that journal and, when wl is
 * not NULL, that workload status (borrowed); on success u's journal becomes j2.  j2 is
 * released either way.  Returns batch_commit's result. */
int batch_commit_journal(struct batch *b, struct uniter_journal *j2, json_t *wl, struct errbuf *eb);
/* batch_commit() that also drops u's outbox rows up to ack_seq (0: none) in the same
 * transaction. */
int batch_commit_ack(struct batch *b, const struct store_unit_row *row, int64_t ack_seq,
		     struct errbuf *eb);
/* u's journal document for j (unit_journal_json with u's relation state and tasks).  New
 * reference. */
json_t *unit_journal_of(struct unit *u, const struct uniter_journal *j);
/* A new copy of u's workload status copy with these fields ("charm-set" stays once set). */
json_t *unit_wl_with(struct unit *u, const char *status, const char *message, json_t *data,
		     bool by_charm);
/* Whether the charm has set u's workload status itself. */
bool unit_charm_set_status(struct unit *u);

/* ---- unit_containers.c ---- */

/* Brings u's containers in line with its application's goal (when the goal changed). */
void unit_containers_sync(struct unit *u);
/* Stops u's containers and pod: destroy = for good, else detached and left running. */
void unit_containers_stop(struct unit *u, bool destroy);
/* Whether every container of u runs and its services have settled. */
bool unit_containers_settled(struct unit *u);
/* The container whose new boot id waits for its pebble-ready hook (no retry pending), or
 * NULL. */
struct container_rt *unit_container_due(struct unit *u);
/* The container whose pebble-ready hook is hook, or NULL. */
struct container_rt *unit_container_for_hook(struct unit *u, const char *hook);
/* The first container's notice hook that waits to run (borrowed from u), or NULL. */
const char *unit_notice_due(struct unit *u);
/* The notice event of the container whose notice hook is hook, or NULL. */
const struct uniter_notice *unit_notice_for_hook(struct unit *u, const char *hook);
/* The workload status shown while u's pod keeps hooks waiting, and the charm's own back once
 * it is up. */
void unit_pod_wait_status(struct unit *u);
void unit_pod_wait_over(struct unit *u);

/* ---- unit_hook.c ---- */

/* Installs the charm files before hook (install or upgrade-charm): PREPARING, then IDLE
 * again for the hook to run, or ERROR. */
void unit_prepare_files(struct unit *u, const char *hook);
/* Records hook (rel: its relation, or NULL) as pending and spawns it: RUNNING, or on to its
 * end at once when it cannot run. */
void unit_hook_start(struct unit *u, const char *hook, const struct relhook *rel);
/* Queues commit-hook (with the hook context's changes when with_changes) in with's
 * transaction (NULL: its own): COMMITTING, or ERROR when it cannot be recorded. */
void unit_begin_commit(struct unit *u, bool with_changes, struct batch *with);
/* A hook failed (or could not be prepared): agent status error (status_msg, NULL: "hook
 * failed") in with's transaction (NULL: its own), ERROR, and a retry armed. */
void unit_enter_error(struct unit *u, const char *status_msg, struct batch *with);

/* ---- unit.c ---- */

void ulog(struct unit *u, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The one transition of u's state machine (an illegal one aborts); leaving RUNNING sends
 * the held outbox messages. */
void unit_set_state(struct unit *u, enum unit_state s);
/* The resolver's goal of u now. */
void unit_goal_of(struct unit *u, struct uniter_goal *g);
/* The resolver's answer for u now (relations included). */
void unit_decide(struct unit *u, const struct uniter_flags *f, struct uniter_next *n);
/* Arms the update-status timer (started, not stopped, interval set, not armed yet). */
void unit_arm_update_status(struct unit *u);
/* Arms the hook retry timer with the next backoff (when the model retries hooks). */
void unit_arm_retry(struct unit *u);
/* A new unit named name (copied), restored from its store row when row is not NULL. */
struct unit *unit_new(struct agent *a, const char *name, const struct store_unit_row *row);
/* Frees u: destroy = the unit is gone for good (workloads destroyed, directory and store rows
 * removed), else an orderly stop (hooks queued again, workloads left running). */
void unit_free(struct unit *u, bool destroy);
/* The goal may have changed or a step finished: run the resolver soon. */
void unit_kick(struct unit *u);
/* The run queue: takes units off it while fewer than max_parallel hooks run. */
void unit_pump(struct agent *a);
/* The run queue runs soon (a hook or task ended). */
void unit_schedule_pump(struct agent *a);
/* Controller messages about u. */
void unit_on_ack(struct unit *u, int64_t seq);
void unit_on_nack(struct unit *u, int64_t seq, const char *error);
void unit_on_goal(struct unit *u);
/* Model config changed (timers follow). */
void unit_on_model_config(struct unit *u);
/* The runtime state for progress reports and tests. */
const char *unit_state_name(enum unit_state s);

/* ---- unit_progress.c ---- */

/* Fills the progress of u; returns false when nothing changed since the last report. */
bool unit_progress(struct unit *u, const char **state, bool *settled, int64_t *gen);
void unit_progress_dirty(struct unit *u);

/* ---- unit_task.c ---- */

struct unit_task;
/* Whether a queued task waits to run (or a running one must be aborted). */
bool unit_task_due(struct unit *u);
/* Starts the oldest pending task (u idle or in error, nothing else running). */
void unit_task_start(struct unit *u);
/* A new goal: aborts the running task when the controller asks for it. */
void unit_task_goal(struct unit *u);
/* After a restart: a task that was running when the agent died is reported failed. */
void unit_task_recover(struct unit *u);
/* Frees the running task (the unit goes; destroy = killed for good). */
void unit_task_free(struct unit *u);
/* action-log from the running task's hook context (ops->action_log). */
void unit_task_log(struct hook_ctx *ctx, const char *message);

#endif
