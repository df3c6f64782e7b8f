/* unit_rel.c - a unit's relations on its machine agent: the relation state and task ids in
 * its persisted journal, the relation part of its goal, what a hook context shows of them,
 * and what a hook commits (relation changes, scopes entered and left); see
 * agent_internal.h.  The decisions themselves are relstate.c's and uniter.c's. */
#include "agent/agent_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/netinfo.h"
#include "lib/buf.h"

/* ---- the persisted journal ---- */

json_t *unit_journal_json(const struct uniter_journal *j, const struct relstate *rs, int64_t task,
			  int64_t task_done)
{
	json_t *v = uniter_journal_to_json(j);

	if (rs && rs->n)
		json_object_set_new(v, "relations", relstate_to_json(rs));
	if (task > 0)
		json_object_set_new(v, "task", json_integer(task));
	if (task_done > 0)
		json_object_set_new(v, "task-done", json_integer(task_done));
	return v;
}

static int task_field(json_t *journal, const char *key, int64_t *ret, struct errbuf *eb)
{
	json_t *t = json_object_get(journal, key);

	*ret = 0;
	if (t && (!json_is_integer(t) || json_integer_value(t) < 0)) {
		errbuf_set(eb, "malformed journal: bad %s", key);
		return -EINVAL;
	}
	*ret = t ? json_integer_value(t) : 0;
	return 0;
}

int unit_journal_extras(json_t *journal, struct relstate *rs, int64_t *task, int64_t *task_done,
			struct errbuf *eb)
{
	*task = *task_done = 0;
	if (relstate_from_json(json_object_get(journal, "relations"), rs, eb) < 0) {
		relstate_init(rs);
		return -EINVAL;
	}
	if (task_field(journal, "task", task, eb) < 0 ||
	    task_field(journal, "task-done", task_done, eb) < 0) {
		relstate_done(rs);
		relstate_init(rs);
		return -EINVAL;
	}
	return 0;
}

/* The bag a unit enters a relation's scope with: its addresses, as Juju's EnterScope
 * writes them (private-address, ingress-address, egress-subnets). */
static void entry_bag(struct unit *u, json_t *bag)
{
	json_t *net = u->a->network;
	const char *addr = netinfo_first_address(net);
	json_t *egress = json_object_get(net, "egress-subnets");
	struct buf b = BUF_INIT;
	size_t i;
	json_t *v;

	if (!addr)
		return;
	buf_init(&b);
	json_array_foreach(egress, i, v)
		buf_addf(&b, "%s%s", i ? "," : "", json_string_value(v));
	if (!json_object_get(bag, "private-address"))
		json_object_set_new(bag, "private-address", json_string(addr));
	if (!json_object_get(bag, "ingress-address"))
		json_object_set_new(bag, "ingress-address", json_string(addr));
	if (!json_object_get(bag, "egress-subnets"))
		json_object_set_new(bag, "egress-subnets", json_string(buf_str(&b)));
	buf_done(&b);
}

void unit_rel_fill_ctx(struct unit *u, const struct relhook *rel)
{
	struct relgoal_doc gone = { .doc = u->gone };

	/* Every relation the unit has created, plus the one a -relation-created hook creates;
	 * a unit entering a scope does so with its addresses in its bag. */
	relgoal_fill_ctx(&u->rg, &gone, &u->rs, rel && rel->kind != RELHOOK_NONE ? rel : NULL,
			 &u->ctx);
	if (!rel || rel->kind == RELHOOK_NONE)
		return;
	u->ctx.remote_app = rel->remote_app;
	u->ctx.remote_unit = rel->remote_unit[0] ? rel->remote_unit : NULL;
	if (rel->kind == RELHOOK_CREATED) {
		struct hook_relation *hr = hook_ctx_relation(&u->ctx, rel->relation_id);

		if (hr) {
			entry_bag(u, hr->unit_bag);
			hr->unit_dirty = true;
		}
	}
}

/* The entry for relation id in the gone-bags document, created when asked. */
static json_t *gone_entry(struct unit *u, int id, bool create)
{
	json_t *e;
	size_t i;

	json_array_foreach(u->gone, i, e)
		if (json_integer_value(json_object_get(e, "id")) == id)
			return e;
	if (!create)
		return NULL;
	e = json_pack("{s:i, s:{}}", "id", id, "units");
	json_array_append_new(u->gone, e);
	return e;
}

void unit_set_relations(struct unit *u, json_t *relations)
{
	struct relgoal_doc d;
	struct errbuf eb;

	if (relgoal_parse(relations, u->alive, !(u->app && u->app->dying), &d, &eb) < 0) {
		ulog(u, "ERROR", "ignored the relations of a new goal: %s", eb.msg);
		return;
	}
	/* Remote units that left a scope while this unit still counts them as members keep
	 * their last bag until their -departed has run (relation-get reads it there). */
	for (size_t i = 0; i < u->rs.n; i++) {
		const struct relstate_rel *l = &u->rs.v[i];
		json_t *old = json_object_get(relgoal_entry(&u->rg, l->id), "units");
		json_t *now = json_object_get(relgoal_entry(&d, l->id), "units");

		for (size_t k = 0; k < l->n_members; k++) {
			const char *m = l->members[k].name;
			json_t *ou = json_object_get(old, m);

			if (ou && !json_object_get(now, m))
				json_object_set(json_object_get(gone_entry(u, l->id, true), "units"), m, ou);
		}
	}
	relgoal_done(&u->rg);
	u->rg = d;
}

/* A committed relation hook: a departed unit's (or a broken relation's) kept bags go. */
void unit_rel_forget(struct unit *u, const struct relhook *h)
{
	json_t *e = gone_entry(u, h->relation_id, false);
	size_t i;
	json_t *x;

	if (!e)
		return;
	if (h->kind == RELHOOK_DEPARTED)
		json_object_del(json_object_get(e, "units"), h->remote_unit);
	if (h->kind == RELHOOK_BROKEN || !json_object_size(json_object_get(e, "units"))) {
		json_array_foreach(u->gone, i, x) {
			if (x == e) {
				json_array_remove(u->gone, i);
				break;
			}
		}
	}
}

/* The relation changes of the hook being committed (commit-hook's "relations"): the bags
 * relation-set changed, and the scope the unit enters (-relation-created) or leaves (its
 * -relation-broken, or the last -departed of a peer relation while the unit goes).
 * after is the relation state once the hook is committed.  NULL when there is nothing. */
json_t *unit_rel_changes(struct unit *u, bool with_changes, const struct relstate *after,
			 const struct relhook *h)
{
	json_t *out = json_array(), *e;

	for (size_t i = 0; with_changes && u->ctx_live && i < u->ctx.n_relations; i++) {
		struct hook_relation *hr = &u->ctx.relations[i];

		if (!hr->unit_dirty && !hr->app_dirty)
			continue;
		e = json_pack("{s:i}", "id", hr->id);
		if (hr->unit_dirty)
			json_object_set(e, "unit-bag", hr->unit_bag);
		if (hr->app_dirty)
			json_object_set(e, "app-bag", hr->app_bag);
		json_array_append_new(out, e);
	}
	if (h && h->kind != RELHOOK_NONE) {
		const char *scope = NULL;
		const struct relstate_rel *now = relstate_find(after, h->relation_id);

		if (h->kind == RELHOOK_CREATED)
			scope = "enter";
		else if (relstate_find(&u->rs, h->relation_id) && !now)
			scope = "leave";
		else if (h->kind == RELHOOK_DEPARTED && now && now->peer && now->n_members == 0 &&
			 !u->alive)
			scope = "leave";
		if (scope) {
			json_t *found = NULL;
			size_t i;

			json_array_foreach(out, i, e)
				if (json_integer_value(json_object_get(e, "id")) == h->relation_id)
					found = e;
			if (!found) {
				found = json_pack("{s:i}", "id", h->relation_id);
				json_array_append_new(out, found);
			}
			json_object_set_new(found, "scope", json_string(scope));
			/* A unit entering a scope brings its whole first bag. */
			if (!strcmp(scope, "enter") && !json_object_get(found, "unit-bag")) {
				json_t *bag = json_object();

				entry_bag(u, bag);
				json_object_set_new(found, "unit-bag", bag);
			}
		}
	}
	if (!json_array_size(out)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The leader writing its own application's bag in a peer relation runs no -changed for
 * itself (only the other units hear of it, as in Juju): the version its write will get
 * (the controller adds one for each change) counts as seen. */
void unit_rel_own_writes(struct unit *u, struct relstate *after)
{
	for (size_t i = 0; u->ctx_live && i < u->ctx.n_relations; i++) {
		struct hook_relation *hr = &u->ctx.relations[i];
		json_t *e = relgoal_entry(&u->rg, hr->id);
		json_t *before = json_object_get(e, "local-app-bag");

		if (!hr->peer || !hr->app_dirty || (before && json_equal(before, hr->app_bag)) ||
		    (!before && !json_object_size(hr->app_bag)))
			continue;
		for (size_t k = 0; k < after->n; k++) {
			struct relstate_rel *r = &after->v[k];
			int64_t seen = json_integer_value(json_object_get(e, "app-version"));

			if (r->id != hr->id)
				continue;
			if (r->app_version > seen)
				seen = r->app_version;
			r->app_version = seen + 1;
		}
	}
}

