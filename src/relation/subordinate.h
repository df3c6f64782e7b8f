/* subordinate.h - where subordinate units come from and when they go (issue 12).
 *
 * A subordinate application (`subordinate: true`) has no units of its own.  While an alive
 * container-scoped relation joins it to a principal application, every alive unit of the
 * principal gets exactly one unit of the subordinate beside it, on the principal's machine;
 * that unit shares the principal's lifecycle: it becomes dying when its principal does, and
 * when no alive container-scoped relation to the principal's application remains.  A new
 * subordinate is not made for a principal whose previous one is still dying (Juju: "cannot
 * enter scope yet: waiting for subordinate to be removed").
 *
 * sub_plan() is the pure decision; the controller applies it in one transaction. */
#ifndef CAIRN_RELATION_SUBORDINATE_H
#define CAIRN_RELATION_SUBORDINATE_H

#include <stdbool.h>
#include <stddef.h>

/* A unit of the principal application. */
struct sub_principal {
	const char *unit;
	int machine;
	bool alive;
};

/* A unit of the subordinate application and the principal it is attached to. */
struct sub_unit {
	const char *unit;
	const char *principal;
	bool alive;
};

/* What to do: indexes into the principal array (make one subordinate beside each) and into
 * the subordinate array (mark dying).  Arrays are owned; sub_plan_done frees them. */
struct sub_plan {
	size_t *create;
	size_t n_create;
	size_t *kill;
	size_t n_kill;
};

/* Plans for one subordinate application S and one principal application P.  related says
 * whether an alive container-scoped relation joins S and P.  Subordinate units attached to
 * other principals' units (not in p) are left alone. */
void sub_plan(const struct sub_principal *p, size_t np, const struct sub_unit *s, size_t ns,
	      bool related, const char *principal_app, struct sub_plan *ret);
void sub_plan_done(struct sub_plan *plan);

#endif
