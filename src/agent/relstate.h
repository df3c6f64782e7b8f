/* relstate.h - a unit's relations as its agent has seen them, and the relation hook due next
 * (charm-runtime.md §2.2, §7.1, §7.2; operator-cli.md §13.7).
 *
 * Pure, like the uniter's resolver (uniter.h): no processes, sockets or clocks.  The local
 * state (struct relstate, persisted in the unit's journal) records per relation whether
 * relation-created has run, which remote units have joined and the settings version each
 * -changed last saw, and the version of the remote application's bag last seen.  The goal
 * (struct relgoal, from the controller) is what is true now: the relations the unit is in,
 * whether each is still alive, the remote units in scope with their settings versions, and
 * the remote application's bag version.
 *
 * relstate_next() names the next relation hook, following Juju's relation resolver
 * (internal/worker/uniter/relation/resolver.go), relations in ascending id order:
 *   1. a -changed guaranteed right after a -joined ("changed pending");
 *   2. -departed for each joined unit no longer in scope, by unit name (all of them when the
 *      relation or the local unit is dying); JUJU_DEPARTING_UNIT is the remote unit, or the
 *      local unit when the local unit or its application is going away;
 *   3. -broken once the relation (or the local unit) is dying - never for a peer relation;
 *   4. an application-data -changed (no remote unit) when the remote application's bag
 *      version differs from the one seen (version 0, never written, fires nothing);
 *   5. -joined for each remote unit in scope not yet joined, by unit name;
 *   6. -changed for each joined unit whose settings version differs from the one seen.
 * relstate_next_created() names the -relation-created hooks (alive relations not yet
 * created), which the uniter runs right after install (§7.1 item 3).
 *
 * relstate_commit() applies a successful relation hook to the local state. */
#ifndef CAIRN_RELSTATE_H
#define CAIRN_RELSTATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

#define RELSTATE_NAME_MAX 128        /* unit, application and endpoint names */
#define RELSTATE_MAX_RELATIONS 4096  /* relations one unit is in */
#define RELSTATE_MAX_MEMBERS 100000  /* remote units of one relation */

enum relhook_kind {
	RELHOOK_NONE,
	RELHOOK_CREATED,
	RELHOOK_JOINED,
	RELHOOK_CHANGED,
	RELHOOK_DEPARTED,
	RELHOOK_BROKEN,
	_RELHOOK_MAX,
};

/* One relation hook to run: what JUJU_RELATION* / JUJU_REMOTE_* / JUJU_DEPARTING_UNIT say. */
struct relhook {
	enum relhook_kind kind;
	int relation_id;
	bool peer;                              /* a peer relation */
	char endpoint[RELSTATE_NAME_MAX];       /* local endpoint name */
	char remote_app[RELSTATE_NAME_MAX];
	char remote_unit[RELSTATE_NAME_MAX];    /* "" for created, broken, app-data changed */
	char departing_unit[RELSTATE_NAME_MAX]; /* departed only */
	int64_t version;                        /* settings version the hook stands for */
};

/* ---- the goal ---- */

struct relgoal_unit {
	const char *name;    /* "app/N" */
	int64_t version;     /* its settings version (>= 1 once in scope) */
};

/* One relation of the unit, as the controller sees it.  Borrowed. */
struct relgoal {
	int id;
	const char *endpoint;                /* the local endpoint */
	const char *remote_app;              /* the other application (the own one for peers) */
	bool peer;
	bool alive;                          /* false once the relation is dying */
	const struct relgoal_unit *units;    /* remote units in scope, sorted by name */
	size_t n_units;
	int64_t app_version;                 /* remote application bag version (0 = never set) */
};

struct relgoals {
	const struct relgoal *v;             /* sorted by id */
	size_t n;
	const char *unit;                    /* the local unit (the departing one when it goes) */
	bool unit_alive;                     /* false once the local unit is dying */
	bool app_alive;                      /* false once the local application is dying */
};

/* ---- the local state ---- */

struct relstate_member {
	char *name;
	int64_t version;
};

struct relstate_rel {
	int id;
	char *endpoint;
	char *remote_app;
	bool peer;
	struct relstate_member *members;     /* sorted by name */
	size_t n_members;
	int64_t app_version;
	char *changed_pending;               /* NULL or the unit whose -changed is due */
};

/* All relations the unit has created (sorted by id). */
struct relstate {
	struct relstate_rel *v;
	size_t n;
};

void relstate_init(struct relstate *s);
void relstate_done(struct relstate *s);
/* A deep copy of src into dst (dst must be initialised or done). */
void relstate_copy(struct relstate *dst, const struct relstate *src);
/* The relation with id, or NULL.  Borrowed. */
const struct relstate_rel *relstate_find(const struct relstate *s, int id);

/* [{"id", "endpoint", "remote-app", "peer", "members": {unit: version}, "app-version",
 * "changed-pending"?}] */
json_t *relstate_to_json(const struct relstate *s);
/* Fills *ret (initialised by this call) from v (NULL or null = no relations); -EINVAL with
 * eb when malformed, *ret untouched then. */
int relstate_from_json(json_t *v, struct relstate *ret, struct errbuf *eb);

/* The next -relation-created due (alive goal relations not yet created, lowest id first):
 * true with *ret filled, or false. */
bool relstate_next_created(const struct relstate *s, const struct relgoals *g, struct relhook *ret);
/* The next other relation hook due, as described above: true with *ret filled, or false. */
bool relstate_next(const struct relstate *s, const struct relgoals *g, const char *local_unit,
		   struct relhook *ret);

/* Applies a successful hook h: created adds the relation, joined adds the member (and makes
 * its -changed pending), changed records the version, departed drops the member, broken
 * drops the relation. */
void relstate_commit(struct relstate *s, const struct relhook *h);

/* "<endpoint>-relation-<kind>" into out. */
void relhook_name(const struct relhook *h, char *out, size_t n);
const char *relhook_kind_name(enum relhook_kind k); /* "created", "joined", ... */
enum relhook_kind relhook_kind_from_name(const char *s); /* RELHOOK_NONE if unknown */

#endif
