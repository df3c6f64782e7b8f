/* endpoint.h - which endpoints `integrate A[:x] B[:y]` relates, and whether the relation may
 * be added, with Juju's rules and error texts (state InferEndpoints / AddRelation,
 * operator-cli.md §8, charm-runtime.md §6).
 *
 * An application's endpoints are its charm's requires/provides/peers plus the implicit
 * `juju-info` provider every application has (scope global).  Two endpoints relate when
 * they belong to different applications, share an interface and have counterpart roles
 * (requirer/provider); a container-scoped pairing needs at least one subordinate charm.
 * When names leave a choice, implicit endpoints are dropped; if a choice remains it is
 * ambiguous.  A relation is named by its key: its endpoints "app:name" with the requirer
 * first ("wordpress:db mysql:server"), a peer relation by its one endpoint.
 *
 * Errors (eb), exactly as Juju prints them:
 *   no relations found
 *   ambiguous relation: "a b" could refer to "a:x b:y"; "a:z b:y"
 *   application "foo" not found
 *   application "a" has no "bar" relation
 *   invalid endpoint "a:"
 *   cannot add relation "a:x b:y": relation a:x b:y already exists
 *   cannot add relation "a:x b:y": establishing a new relation for a:x would exceed its
 *     maximum relation limit of 1
 *   cannot add relation "a:x b:y": container scoped relation requires at least one
 *     subordinate application
 *   cannot add relation "a:x b:y": application "a" is not alive
 *
 * The module is pure: it reads the model through struct rel_model and changes nothing. */
#ifndef CAIRN_RELATION_ENDPOINT_H
#define CAIRN_RELATION_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

#define REL_IMPLICIT_NAME "juju-info"

enum rel_role { REL_REQUIRER, REL_PROVIDER, REL_PEER, _REL_ROLE_MAX };

/* One endpoint of an application.  Strings are borrowed from whoever filled it in. */
struct rel_endpoint {
	const char *app;
	const char *name;
	const char *interface;
	enum rel_role role;
	bool container;  /* scope: container */
	int limit;       /* most relations at once; 0 = unlimited */
};

/* What inference reads about the model. */
struct rel_model {
	/* The application called app: its name as the model keeps it (valid as long as
	 * the model's data), its charm endpoints (not the implicit one; borrowed the same
	 * way), whether its charm is subordinate and whether the application is alive.
	 * -ENOENT when there is no such application. */
	int (*app)(void *data, const char *app, const char **ret_name,
		   const struct rel_endpoint **ret_eps, size_t *ret_n, bool *ret_subordinate,
		   bool *ret_alive);
	/* How many relations that are not dead use endpoint app:ep. */
	int (*count)(void *data, const char *app, const char *ep);
	/* Whether a relation with this key exists and is not dead. */
	bool (*exists)(void *data, const char *key);
	void *data;
};

/* "requirer", "provider", "peer" (Juju's RelationRole values). */
const char *rel_role_name(enum rel_role r);
/* Whether ep is the implicit juju-info provider. */
bool rel_endpoint_implicit(const struct rel_endpoint *ep);
/* Whether a and b can form a relation (different apps, same interface, counterpart roles). */
bool rel_endpoint_relates(const struct rel_endpoint *a, const struct rel_endpoint *b);

/* Appends the relation key of the n (1 or 2) endpoints to out; with two, the requirer first
 * (Juju's epSlice order: requirer, provider, peer, then by "app:name"). */
void rel_key(const struct rel_endpoint *eps, size_t n, struct buf *out);
/* Puts the two endpoints of a relation in key order (requirer first). */
void rel_sort(struct rel_endpoint eps[2]);

/* Infers the endpoints named by names[0..n) (each "app" or "app:endpoint"): for n == 2 the
 * one relation they can mean, for n == 1 the peer endpoint of the application.  On success
 * *ret_n endpoints are in ret, in key order; strings point into the model's data (valid
 * while it is) or at REL_IMPLICIT_NAME.  -EINVAL / -ENOENT with eb on failure. */
int rel_infer(const struct rel_model *m, const char *const *names, size_t n,
	      struct rel_endpoint ret[2], size_t *ret_n, struct errbuf *eb);

/* Checks that the relation of eps (two endpoints in key order, from rel_infer) may be added
 * now: not already there, both applications alive, limits respected, container scope
 * backed by a subordinate.  0 or -EEXIST / -EINVAL / -EDQUOT with eb. */
int rel_check_add(const struct rel_model *m, const struct rel_endpoint eps[2], struct errbuf *eb);

#endif
