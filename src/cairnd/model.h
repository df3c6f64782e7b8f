/* model.h - the controller's model: applications, units, statuses, model config.
 *
 * The model lives in memory (reads - status, goals - never touch the disk) and is written
 * through to SQLite (WAL mode) under $CAIRN_HOME/state.db: every state change is one
 * transaction, committed before the change is acted on, so a controller killed at any moment
 * restarts from exactly what was committed.  Functions that change the model return 0 or a
 * negative errno (eb set), and on failure leave memory as it was.
 *
 * Ownership: the model owns every app, unit and their fields; pointers handed out are
 * borrowed until the entity is deleted. */
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
#define MODEL_STATUS_LOG_KEEP 200  /* status-log entries kept per unit */
#define MODEL_STATUS_LOG_PRUNE 32  /* appends between two prunings of a unit's history */

struct uniter;
struct model_app;

struct status_rec {
	char *current;
	char *message;
	uint64_t since_ns;
	json_t *data;      /* {} when none */
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
	json_t *journal;           /* the uniter's opaque journal, or NULL */
	json_t *state;             /* charm state (state-set) */
	json_t *ports;             /* opened ports */
	char *workload_version;    /* application-version-set */
	unsigned log_appends;      /* status-log appends since the last pruning */
	struct uniter *uniter;     /* agent handle (not persisted) */
};

struct model_app {
	char *name;
	char *charm_name;
	int charm_rev;
	char *charm_dir;           /* store copy of the current charm */
	struct charm *charm;       /* parsed current charm */
	json_t *settings;          /* user settings */
	json_t *resources;         /* resources given at deploy: {name: {"type", "path"}} */
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
};

#define MODEL_STMT_CACHE 64  /* prepared statements kept, keyed by their SQL text */

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
	int next_machine;
	struct model_app **apps;   /* sorted by name */
	size_t n_apps;
};

/* Opens (creating if needed) home/state.db and loads the model. */
int model_open(const char *home, struct model **ret, struct errbuf *eb);
void model_close(struct model *m);

struct model_app *model_find_app(struct model *m, const char *name);
struct model_unit *model_find_unit(struct model *m, const char *name);

/* Transactions group several writes: model_begin ... model_commit (or model_rollback). The
 * single-change functions below open their own transaction when none is open. */
int model_begin(struct model *m);
int model_commit(struct model *m, struct errbuf *eb);
void model_rollback(struct model *m);

/* Adds an application whose charm was already copied to charm_dir (takes ownership of c and
 * settings). */
int model_add_app(struct model *m, const char *name, struct charm *c, const char *charm_dir,
		  int rev, json_t *settings, json_t *resources, struct model_app **ret,
		  struct errbuf *eb);
/* Adds a unit with the next number and a new machine. */
int model_add_unit(struct model *m, struct model_app *a, struct model_unit **ret, struct errbuf *eb);
int model_set_unit_dying(struct model *m, struct model_unit *u, struct errbuf *eb);
int model_set_app_dying(struct model *m, struct model_app *a, struct errbuf *eb);
/* Deletes a dead unit (and frees it); the caller handles leadership afterwards. */
int model_delete_unit(struct model *m, struct model_unit *u, struct errbuf *eb);
int model_delete_app(struct model *m, struct model_app *a, struct errbuf *eb);
/* Replaces the user settings (takes ownership of settings) and recomputes derived fields. */
int model_set_settings(struct model *m, struct model_app *a, json_t *settings, struct errbuf *eb);
/* Switches the app to a new charm revision (takes ownership of c and settings). */
int model_set_charm(struct model *m, struct model_app *a, struct charm *c, const char *charm_dir,
		    int rev, json_t *settings, struct errbuf *eb);
/* failover=true bumps leader_gen, so the other units run leader-settings-changed. */
int model_set_leader(struct model *m, struct model_app *a, const char *unit, bool failover,
		     struct errbuf *eb);

enum model_status_kind { MODEL_STATUS_WORKLOAD, MODEL_STATUS_AGENT, MODEL_STATUS_APP };
/* Sets a status; the `since` time changes only when current or message change. */
int model_set_status(struct model *m, struct model_unit *u, enum model_status_kind kind,
		     const char *current, const char *message, json_t *data, bool by_charm,
		     struct errbuf *eb);
int model_save_journal(struct model *m, struct model_unit *u, json_t *journal, struct errbuf *eb);
/* One transaction: journal + state + ports + workload version. */
int model_commit_hook(struct model *m, struct model_unit *u, json_t *journal, json_t *state,
		      json_t *ports, const char *version, struct errbuf *eb);
/* Appends to the unit's status history (show-status-log).  Old entries are pruned every
 * MODEL_STATUS_LOG_PRUNE appends, so a unit keeps at most KEEP + PRUNE entries. */
int model_log_status(struct model *m, struct model_unit *u, const char *kind, const char *status,
		     const char *message, uint64_t when_ns);
/* Returns the newest n entries of unit's history, oldest first (new reference). */
json_t *model_status_history(struct model *m, const char *unit, int n);

/* Model config: value of key (operator-set or default); set/reset persist. */
const char *model_config_get(struct model *m, const char *key);
int model_config_set(struct model *m, const char *key, const char *value, struct errbuf *eb);
int model_config_reset(struct model *m, const char *key, struct errbuf *eb);
/* The default of a known key, or NULL. */
const char *model_config_default(const char *key);
/* Keys and defaults: NULL-terminated pairs. */
extern const char *const model_config_defaults[];

/* Natural order of unit names by number. */
int model_unit_cmp(const void *a, const void *b);

#endif
