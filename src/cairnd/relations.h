/* relations.h - the controller's relations: their endpoints, life, scope membership and
 * databags, kept in memory and written through to SQLite (tables relations,
 * relation_scopes, relation_app_bags in the model's state.db).
 *
 * A relation has one endpoint (peer) or two (key order, requirer first, relation/endpoint.h)
 * and an id from a model-wide sequence starting at 0, never reused.  A unit is in a
 * relation's scope from the commit of its -relation-created until the commit of its
 * -relation-broken (or its removal); entering gives it a bag with its addresses
 * (private-address, ingress-address, egress-subnets, as Juju does at EnterScope), version 1.
 * Each bag (one per unit in scope, one per application side) has a version that grows by one
 * at every commit that changes it; the other side's agents fire -changed when the version
 * they saw differs.  remove-relation makes a relation dying; it is deleted once no unit is
 * in its scope.
 *
 * Every change is written with its SQL statements before the memory changes, inside the
 * caller's transaction when one is open (the model's commit_hook groups journal, state and
 * relation bags in one); a caller whose transaction rolls back calls relstore_reload(),
 * which rebuilds memory from what SQLite holds, so memory never keeps an uncommitted
 * change.  Functions return 0 or a negative errno with eb. */
#ifndef CAIRN_RELATIONS_H
#define CAIRN_RELATIONS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/errbuf.h"
#include "relation/endpoint.h"

#define RELSTORE_MAX_RELATIONS 100000
#define RELSTORE_MAX_BAG_BYTES (1024u * 1024u) /* one bag as compact JSON */

struct crel_unit {
	char *unit;
	int64_t version;
	json_t *bag;           /* {key: "value"} */
};

struct crel_side {
	char *app;
	char *endpoint;
	char *interface;
	enum rel_role role;
	bool container;
	int limit;
	json_t *app_bag;       /* the side's application bag, written by its leader */
	int64_t app_version;   /* 0 = never written */
};

struct crel {
	int id;
	char *key;
	struct crel_side side[2];
	int n_sides;           /* 1 for a peer relation */
	bool dying;
	bool container;        /* either endpoint has container scope */
	struct crel_unit *units;   /* in scope, sorted by unit name */
	size_t n_units;
};

struct relstore {
	sqlite3 *db;
	int next_id;
	struct crel **v;       /* sorted by id */
	size_t n;
	json_t *leader;        /* {app: {key: value}}: leader settings (leader-set) */
	json_t *principals;    /* {subordinate unit: principal unit} */
};

/* Creates the tables when needed and loads everything.  The db stays the caller's. */
int relstore_open(sqlite3 *db, struct relstore **ret, struct errbuf *eb);
void relstore_free(struct relstore *s);
/* Rebuilds memory from SQLite (after the caller's transaction rolled back). */
int relstore_reload(struct relstore *s, struct errbuf *eb);

struct crel *relstore_find(const struct relstore *s, int id);
/* The relation that is not dead with this key, or NULL. */
struct crel *relstore_find_key(const struct relstore *s, const char *key);
/* Which side of r app is on (0 or 1), or -1. */
int crel_side_of(const struct crel *r, const char *app);
/* The unit's entry in r's scope, or NULL. */
struct crel_unit *crel_scope_find(const struct crel *r, const char *unit);

/* Adds a relation of the n (1 or 2, in key order) endpoints; *ret borrowed from s. */
int relstore_add(struct relstore *s, const struct rel_endpoint *eps, size_t n, struct crel **ret,
		 struct errbuf *eb);
/* remove-relation / the removal of one of its applications. */
int relstore_set_dying(struct relstore *s, struct crel *r, struct errbuf *eb);
/* unit enters r's scope with bag (copied) as its first settings, version 1.  A unit already
 * in scope is left as it is. */
int relstore_enter_scope(struct relstore *s, struct crel *r, const char *unit, json_t *bag,
			 struct errbuf *eb);
/* unit leaves r's scope; a dying relation left empty is deleted (r is freed then, and 1 is
 * returned instead of 0). */
int relstore_leave_scope(struct relstore *s, struct crel *r, const char *unit, struct errbuf *eb);
/* unit is gone from the model: it leaves every scope it is in. */
int relstore_unit_gone(struct relstore *s, const char *unit, struct errbuf *eb);
/* A hook's relation-set, committed: replaces the unit's bag in r (copied); the version grows
 * when the bag changed.  -ENOENT when the unit is not in scope. */
int relstore_set_unit_bag(struct relstore *s, struct crel *r, const char *unit, json_t *bag,
			  struct errbuf *eb);
/* The same for app's application bag in r (the caller checked leadership). */
int relstore_set_app_bag(struct relstore *s, struct crel *r, const char *app, json_t *bag,
			 struct errbuf *eb);
/* How many relations that are not dead use endpoint app:ep (the limit check). */
int relstore_endpoint_count(const struct relstore *s, const char *app, const char *ep);

/* Who a unit is beside: its principal for a subordinate unit, itself otherwise (container
 * scope lets a unit see only the remote units with the same principal). */
typedef const char *(*relstore_principal_fn)(void *data, const char *unit);

/* The relation part of unit's goal (agent/relgoal.h's document) for a unit of app: every
 * relation of app (dying ones too), with the remote units in scope it may see and their
 * bags and versions, the remote application's bag, the unit's own committed bag, and its
 * application's bag when leader (or in a peer relation).  New reference. */
json_t *relstore_unit_goal(const struct relstore *s, const char *unit, const char *app, bool leader,
			   relstore_principal_fn principal, void *data);

/* The `relations` map of app's status entry: {endpoint: [{"related-application",
 * "interface", "scope"}]} (operator-cli.md §8.3), endpoints and entries sorted; new
 * reference, an empty object when app is in no relation. */
json_t *relstore_status_app(const struct relstore *s, const char *app);
/* The rows of `status --relations`: [{"id", "key", "provider", "requirer", "interface",
 * "type": "regular"|"peer"|"subordinate", "status": "joined"|"broken"}] sorted by key
 * as Juju sorts them; new reference. */
json_t *relstore_status_rows(const struct relstore *s, bool (*subordinate)(void *data, const char *app),
			     void *data);

/* Leader settings (leader-get / leader-set, table leader_settings): the application's map,
 * or NULL (borrowed).  Setting NULL deletes them (the application is gone). */
json_t *relstore_leader_settings(const struct relstore *s, const char *app);
int relstore_set_leader_settings(struct relstore *s, const char *app, json_t *settings,
				 struct errbuf *eb);

/* Subordinate units and their principals (table subordinates): the principal of unit, or
 * NULL (borrowed); setting NULL forgets the unit. */
const char *relstore_principal(const struct relstore *s, const char *unit);
int relstore_set_principal(struct relstore *s, const char *unit, const char *principal,
			   struct errbuf *eb);

#endif
