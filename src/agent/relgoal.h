/* relgoal.h - the relation part of a unit's goal as the controller sends it to the unit's
 * agent (docs/protocol.md, the agent section), checked and turned into what the resolver
 * (relstate.h) and the hook tools (hookctx.h) read.
 *
 * The document is a JSON array, one entry per relation of the unit's application:
 *   {"id": 3, "endpoint": "db", "interface": "mysql", "remote-app": "mysql", "peer": false,
 *    "alive": true,
 *    "units": {"mysql/0": {"version": 2, "bag": {"host": "10.0.0.9"}}, ...},
 *    "app-version": 1, "app-bag": {...},          (the remote application's bag)
 *    "unit-bag": {...},                           (this unit's committed bag, if in scope)
 *    "local-app-bag": {...}}                      (this application's bag: leader or peer)
 * "units" holds the remote units in the relation's scope that this unit may see (for a
 * container-scoped relation only its principal or its subordinate).  Bags map keys to
 * strings.  relgoal_parse() refuses anything else with a message naming the entry and the
 * field, and enforces the limits below, so a bad peer cannot crash or bloat the agent. */
#ifndef CAIRN_RELGOAL_H
#define CAIRN_RELGOAL_H

#include <jansson.h>
#include <stdbool.h>

#include "agent/hookctx.h"
#include "agent/relstate.h"
#include "lib/errbuf.h"

#define RELGOAL_MAX_BAG_KEYS 4096            /* keys in one bag */
#define RELGOAL_MAX_VALUE (1024u * 1024u)    /* bytes in one bag value */

struct relgoal_doc {
	json_t *doc;                 /* the validated document (owned) */
	struct relgoal *rels;        /* views into doc, sorted by id */
	struct relgoal_unit *units;  /* all rels' units, each rel's run sorted by name */
	struct relgoals goals;       /* what relstate_next() reads */
};

/* Checks v (borrowed; NULL or null = no relations) and builds the views.  unit_alive and
 * app_alive say whether the local unit and its application are alive.  0, or -EINVAL with
 * eb ("relations[2]: field \"units\": ..."), *ret untouched then. */
int relgoal_parse(json_t *v, bool unit_alive, bool app_alive, struct relgoal_doc *ret,
		  struct errbuf *eb);
void relgoal_done(struct relgoal_doc *d);

/* The relation entry of the document with id, or NULL (borrowed). */
json_t *relgoal_entry(const struct relgoal_doc *d, int id);

/* Builds the hook's view of its relations (hookctx.h) into ctx: every relation the unit has
 * created (rs) plus, for a -relation-created hook, the one being created.  Members are what
 * has joined, with the hook's own joining unit added and its departing unit removed;
 * remote bags come from the goal (and, for units no longer in it, from prev when given:
 * a departed unit's bag stays readable); the unit's and application's own bags are copies
 * relation-set may edit.  hook may be NULL (not a relation hook). */
void relgoal_fill_ctx(const struct relgoal_doc *d, const struct relgoal_doc *prev,
		      const struct relstate *rs, const struct relhook *hook, struct hook_ctx *ctx);

#endif
