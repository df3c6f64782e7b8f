/* model.h - the controller's model: machines, applications, units, statuses, model config and
 * controller config.
 *
 * The model lives in memory (reads - status, goals - never touch the disk) and is written
 * through to SQLite (WAL mode) under $CAIRN_HOME/state.db: every change is one transaction,
 * committed before memory changes, so a controller killed at any moment restarts from
 * exactly what was committed, and a failed commit leaves memory as it was.  Functions that
 * change the model return 0 or a negative errno (eb set).
 *
 * Changes an agent reports carry the per-unit sequence number of its message (seq > 0): it is
 * written in the same transaction as the change (units.last_seq), so a message resent after a
 * reconnect is recognised and applied once.
 *
 * Batches: agents' reports arrive by the hundred per loop iteration, and a transaction each
 * spent most of the controller in SQLite's commits.  Between model_batch_begin() and
 * model_batch_commit() the report functions (model_save_journal, model_commit_hook,
 * model_set_status, model_log_status, model_mark_seq) share one transaction, each in a
 * savepoint of its own: one that fails is rolled back alone and changes nothing.  Memory
 * changes at once, as always, but the batch remembers how each unit it touched was before;
 * if the commit fails, the database rolls back and every such unit is restored, so memory
 * still equals what is committed.  Any other change commits an open batch first and runs in
 * a transaction of its own.  Nothing that a batch applied may be acknowledged to an agent
 * before model_batch_commit() returned 0.
 *
 * Ownership: the model owns every machine, app, unit and their fields; pointers handed out are
 * borrowed until the entity is deleted.  Fields marked "runtime" are not persisted; they belong
 * to the controller's agent server (agents.c) and its readers. */
#ifndef CAIRN_MODEL_H
#define CAIRN_MODEL_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "charm/charm.h"
#include "lib/errbuf.h"

#define MODEL_MAX_APPS 10000
#define MODEL_MAX_UNITS_PER_APP 100000
#define MODEL_MAX_MACHINES 100000
#define MODEL_STATUS_LOG_KEEP 200  /* status-log entries kept per unit */
#define MODEL_STATUS_LOG_PRUNE 32  /* appends between two prunings of a unit's history */

struct loop;
struct walckpt;
struct model_app;

struct status_rec {
	char *current;
	char *message;
	uint64_t since_ns;
	json_t *data;      /* {} when none */
};

enum unit_progress { PROGRESS_UNKNOWN, PROGRESS_IDLE, PROGRESS_BUSY, PROGRESS_ERROR };

/* How severe a unit's displayed workload status is (operator-cli.md §8.2: an application
 * without a status of its own shows its units' most severe one), least severe first;
 * MODEL_SEV_OTHER for a value outside the table. */
enum model_sev {
	MODEL_SEV_OTHER,
	MODEL_SEV_UNKNOWN,
	MODEL_SEV_TERMINATED,
	MODEL_SEV_ACTIVE,
	MODEL_SEV_WAITING,
	MODEL_SEV_MAINTENANCE,
	MODEL_SEV_BLOCKED,
	MODEL_SEV_ERROR,
	_MODEL_SEV_MAX,
};

struct model_machine {
	int id;
	char name[16];             /* "0", "1", ... */
	char *password_hash;       /* hex SHA-256 of salt + password; NULL until enlisted */
	char *salt;
	char *token_hash;          /* a join token not used yet (hex SHA-256), or NULL */
	uint64_t token_expiry_ns;
	char *hostname;
	json_t *addresses;         /* [string], as the agent reported them */
	uint64_t created_ns;
	size_t n_units;            /* runtime: units placed here */
	/* runtime (agents.c, idle.c): */
	bool connected;            /* its agent is connected now */
	size_t n_idle;             /* units placed here that are idle */
};

struct model_unit {
	char *name;                /* "hello/0" */
	struct model_app *app;
	int num;
	int machine;
	bool dying;
	struct status_rec wl;      /* workload status */
	struct status_rec agent;   /* agent (juju) status */
	bool charm_set_status;     /* the charm has called status-set for the unit */
	json_t *journal;           /* the uniter's journal as the agent last reported it, or NULL */
	json_t *state;             /* charm state (state-set) */
	json_t *ports;             /* opened ports */
	char *workload_version;    /* application-version-set */
	int64_t last_seq;          /* the agent's last applied message */
	int64_t resolve_gen;       /* bumped by each `resolved` */
	char resolve_mode[16];     /* "retry-hooks" | "no-hooks" | "" */
	unsigned log_appends;      /* status-log appends since the last pruning */
	unsigned snap_gen;         /* the batch that remembers how the unit was (model.c) */
	enum model_sev sev;        /* derived: severity of the displayed workload status */
	/* runtime (agents.c, idle.c): */
	uint64_t gen;              /* goal generation of the unit's own part */
	enum unit_progress progress;
	uint64_t progress_gen;     /* the goal generation the agent acted on */
	bool settled;              /* its containers are up */
	char address[64];          /* its own address (a pod's) as its agent reported it; "" = its machine's */
	bool goal_dirty;           /* the unit goal must be pushed */
	struct model_unit *dirty_next, *dirty_prev;
	bool idle;                 /* idle.h: counted in app->n_idle and its machine's n_idle */
};

/* One charm revision of an application, stored as charms/<digest>.charm. */
struct model_rev {
	int rev;
	char digest[CHARM_DIGEST_HEX];
	int64_t size;
};

struct model_app {
	char *name;
	char *charm_name;
	int charm_rev;
	char charm_digest[CHARM_DIGEST_HEX];
	int64_t charm_size;
	struct charm *charm;       /* parsed current charm */
	struct model_rev *revs;    /* every revision stored for the app */
	size_t n_revs;
	json_t *settings;          /* user settings */
	/* The resources the operator supplied (deploy --resource, attach-resource, refresh
	 * --resource): {name: {"type", "revision" (1, 2, ... per name), "fingerprint" (of the
	 * stored content, resstore.h), "size", "image" (oci-image: manifest digest), "origin":
	 * "upload", "username", "timestamp" (ns)}}. */
	json_t *resources;
	json_t *effective;         /* derived: effective config */
	char config_hash[65];      /* derived */
	char *leader;              /* unit name holding the lease, or NULL */
	int leader_gen;            /* number of leader failovers so far */
	int next_unit;
	bool dying;
	struct status_rec status;  /* set by the leader, or empty */
	bool status_set;           /* the leader has set an application status */
	struct model_unit **units; /* sorted by unit number */
	size_t n_units;
	size_t n_sev[_MODEL_SEV_MAX]; /* derived: units by severity of their displayed status */
	/* runtime (agents.c, idle.c): */
	uint64_t gen;              /* goal generation of the application's part */
	size_t n_idle;             /* units that are idle */
};

#define MODEL_STMT_CACHE 128 /* prepared statements kept, keyed by their SQL text */

struct model_stmt {
	const char *sql;
	sqlite3_stmt *st;
};

struct model {
	sqlite3 *db;
	struct model_stmt stmts[MODEL_STMT_CACHE];
	char *home;
	char *name;
	char *uuid;
	json_t *config;            /* model-config values set by the operator */
	json_t *ctlcfg;            /* controller config values set at bootstrap */
	int next_machine;
	struct model_machine **machines; /* sorted by id */
	size_t n_machines;
	struct model_app **apps;   /* sorted by name */
	size_t n_apps;
	uint64_t gen;              /* runtime: the last goal generation handed out */
	/* Batches (above). */
	bool batching;             /* report functions join the batch */
	bool batch_tx;             /* the batch's transaction is open */
	unsigned batch_gen;
	struct unit_snap *snaps;   /* how the units the batch touched were, newest first */
	void (*batch_failed)(void *data);
	void *batch_failed_data;
	struct walckpt *ckpt;      /* checkpoints off the loop (model_checkpoints_off_loop) */
};

/* Opens (creating if needed) home/state.db and loads the model; machine 0 (the controller's
 * own) always exists. */
int model_open(const char *home, struct model **ret, struct errbuf *eb);
/* From now on state.db's checkpoints run in a thread of their own (lib/walckpt.h), not in the
 * loop's commits; when that thread cannot start, they stay in the commits (logged). */
void model_checkpoints_off_loop(struct model *m, struct loop *l);
void model_close(struct model *m);

/* ---- batches (see the top of this file) ---- */
/* The report functions join one transaction from now on. */
void model_batch_begin(struct model *m);
/* Commits the open batch (0 when none is open).  On failure everything the batch applied
 * is undone in memory, the failed callback runs, and a negative errno returns (eb set). */
int model_batch_commit(struct model *m, struct errbuf *eb);
/* cb runs when a batch fails to commit, wherever that commit was triggered: the messages
 * the batch applied were not. */
void model_set_batch_failed(struct model *m, void (*cb)(void *data), void *data);

/* A new goal generation: larger than any handed out before, also across restarts. */
uint64_t model_next_gen(struct model *m);

struct model_app *model_find_app(struct model *m, const char *name);
struct model_unit *model_find_unit(struct model *m, const char *name);
struct model_machine *model_find_machine(struct model *m, int id);
/* The archive path of a digest (charms/<digest>.charm); caller frees. */
char *model_charm_path(struct model *m, const char *digest);
/* Whether digest is one of app's revisions. */
bool model_app_has_digest(const struct model_app *a, const char *digest);

/* ---- machines ---- */
/* A new machine waiting for `cairn-agent join` with a token whose hash is token_hash. */
int model_add_machine(struct model *m, const char *token_hash, uint64_t expiry_ns,
		      struct model_machine **ret, struct errbuf *eb);
/* The agent joined: its credential replaces the token. */
int model_enlist_machine(struct model *m, struct model_machine *mc, const char *password_hash,
			 const char *salt, struct errbuf *eb);
int model_set_machine_host(struct model *m, struct model_machine *mc, const char *hostname,
			   json_t *addresses, struct errbuf *eb);
/* Deletes a machine without units (its credential goes with it). */
int model_delete_machine(struct model *m, struct model_machine *mc, struct errbuf *eb);

/* ---- applications and units ---- */
/* Adds an application (takes ownership of c and settings). */
int model_add_app(struct model *m, const char *name, struct charm *c, const char *digest,
		  int64_t size, int rev, json_t *settings, json_t *resources, struct model_app **ret,
		  struct errbuf *eb);
/* Adds n units on machine, and makes the first the leader when the application has none, in
 * one transaction.  ret (n entries, may be NULL) receives the new units. */
int model_add_units(struct model *m, struct model_app *a, int n, int machine,
		    struct model_unit **ret, struct errbuf *eb);
int model_set_unit_dying(struct model *m, struct model_unit *u, struct errbuf *eb);
int model_set_app_dying(struct model *m, struct model_app *a, struct errbuf *eb);
/* Deletes a dead unit (and frees it); the caller handles leadership afterwards. */
int model_delete_unit(struct model *m, struct model_unit *u, struct errbuf *eb);
int model_delete_app(struct model *m, struct model_app *a, struct errbuf *eb);
/* Replaces the user settings (takes ownership of settings) and recomputes derived fields. */
int model_set_settings(struct model *m, struct model_app *a, json_t *settings, struct errbuf *eb);
/* Switches the app to a new charm revision (takes ownership of c and settings). */
int model_set_charm(struct model *m, struct model_app *a, struct charm *c, const char *digest,
		    int64_t size, int rev, json_t *settings, struct errbuf *eb);
/* Replaces the supplied resources (takes ownership of resources). */
int model_set_resources(struct model *m, struct model_app *a, json_t *resources, struct errbuf *eb);
/* Juju's CharmModifiedVersion: grows with every refresh and every resource revision (the
 * charm revision plus the revisions of the supplied resources), so units run upgrade-charm
 * for either. */
int64_t model_app_charm_modified(const struct model_app *a);
/* failover=true bumps leader_gen, so the other units run leader-settings-changed. */
int model_set_leader(struct model *m, struct model_app *a, const char *unit, bool failover,
		     struct errbuf *eb);
/* `resolved`: records mode and bumps the unit's resolve generation. */
int model_set_resolve(struct model *m, struct model_unit *u, const char *mode, struct errbuf *eb);

/* ---- what agents report (seq: the message's sequence number, 0 for none) ---- */
enum model_status_kind { MODEL_STATUS_WORKLOAD, MODEL_STATUS_AGENT, MODEL_STATUS_APP };
/* Sets a status; the `since` time changes only when current or message change. */
int model_set_status(struct model *m, struct model_unit *u, enum model_status_kind kind,
		     const char *current, const char *message, json_t *data, bool by_charm,
		     int64_t seq, struct errbuf *eb);
int model_save_journal(struct model *m, struct model_unit *u, json_t *journal, int64_t seq,
		       struct errbuf *eb);
/* One transaction: journal + state + ports + workload version (NULL = unchanged). */
int model_commit_hook(struct model *m, struct model_unit *u, json_t *journal, json_t *state,
		      json_t *ports, const char *version, int64_t seq, struct errbuf *eb);
/* Records that a message was seen without changing anything else (refused messages). */
int model_mark_seq(struct model *m, struct model_unit *u, int64_t seq, struct errbuf *eb);
/* Work other stores (relations, operations) do inside a model transaction: 0, or a negative
 * errno with eb, which rolls the whole transaction back (the store then reloads). */
typedef int (*model_txn_fn)(void *data, struct errbuf *eb);
/* model_commit_hook() with fn run inside the same transaction (NULL = none).  With fn it is a
 * transaction of its own (an open batch commits first), committed when this returns 0. */
int model_commit_hook_with(struct model *m, struct model_unit *u, json_t *journal, json_t *state,
			   json_t *ports, const char *version, int64_t seq, model_txn_fn fn,
			   void *data, struct errbuf *eb);
/* One transaction: fn, and seq recorded for u (u NULL or seq 0: fn alone). */
int model_txn(struct model *m, struct model_unit *u, int64_t seq, model_txn_fn fn, void *data,
	      struct errbuf *eb);
/* Appends to the unit's status history (show-status-log).  Old entries are pruned every
 * MODEL_STATUS_LOG_PRUNE appends, so a unit keeps at most KEEP + PRUNE entries. */
int model_log_status(struct model *m, struct model_unit *u, const char *kind, const char *status,
		     const char *message, uint64_t when_ns, int64_t seq, struct errbuf *eb);
/* Returns the newest n entries of unit's history, oldest first (new reference). */
json_t *model_status_history(struct model *m, const char *unit, int n);

/* ---- model config ---- */
/* Value of key (operator-set or default). */
const char *model_config_get(struct model *m, const char *key);
/* Sets the keys of set ({key: "value"}) and resets those of reset ([key]) in one transaction. */
int model_config_update(struct model *m, json_t *set, json_t *reset, struct errbuf *eb);
/* The default of a known key, or NULL. */
const char *model_config_default(const char *key);
/* Keys and defaults: NULL-terminated pairs. */
extern const char *const model_config_defaults[];

/* ---- controller config (set at bootstrap: cairnd --config key=value) ---- */
const char *model_ctlcfg_get(struct model *m, const char *key);
int model_ctlcfg_set(struct model *m, const char *key, const char *value, struct errbuf *eb);

/* ---- displayed statuses ---- */
/* The workload status a unit shows: its agent's error, else its workload status ("unknown"
 * when none); *msg gets the message (borrowed). */
const char *model_unit_display(const struct model_unit *u, const char **msg);
/* The application status: the leader-set one, else the most severe its units show (the
 * first unit showing it gives message and since, borrowed).  model_app_current is the value
 * alone, from the counts: constant time. */
const char *model_app_display(const struct model_app *a, const char **msg, uint64_t *since);
const char *model_app_current(const struct model_app *a);
/* The severity of a status value, and the value of a severity (NULL for MODEL_SEV_OTHER). */
enum model_sev model_sev_of(const char *status);
const char *model_sev_name(enum model_sev sev);

/* Natural order of unit names by number. */
int model_unit_cmp(const void *a, const void *b);

#endif
