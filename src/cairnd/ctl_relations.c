/* ctl_relations.c - relations, subordinates and leader settings in the controller; see
 * ctl_rel.h. */
#include "cairnd/ctl_rel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairnd/agents.h"
#include "cairnd/operations.h"
#include "cairnd/relations.h"
#include "charm/charm.h"
#include "lib/buf.h"
#include "relation/endpoint.h"
#include "relation/subordinate.h"

#define RELS(c) ((c)->rels)

/* After a failed transaction memory follows SQLite again. */
static void stores_reload(struct controller *c)
{
	struct errbuf eb;

	if (relstore_reload(RELS(c), &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.relations", "cannot reload relations: %s", eb.msg);
	if (opstore_reload(c->ops, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.operations", "cannot reload operations: %s",
			eb.msg);
}

static int txn(struct controller *c, model_txn_fn fn, void *data, struct errbuf *eb)
{
	int r = model_txn(c->m, NULL, 0, fn, data, eb);

	if (r < 0)
		stores_reload(c);
	return r;
}

struct gone_req {
	struct controller *c;
	const char *unit;
};

static int gone_fn(void *data, struct errbuf *eb);

int ctl_stores_open(struct controller *c, struct errbuf *eb)
{
	int r = relstore_open(c->m->db, &c->rels, eb);

	if (r == 0)
		r = opstore_open(c->m->db, &c->ops, eb);
	if (r < 0) {
		ctl_stores_close(c);
		return r;
	}
	/* Units that left the model just before the controller went down leave their scopes. */
	for (size_t i = 0; i < RELS(c)->n; i++) {
		struct crel *rel = RELS(c)->v[i];

		for (size_t k = 0; k < rel->n_units; k++) {
			if (!model_find_unit(c->m, rel->units[k].unit)) {
				char *unit = xstrdup(rel->units[k].unit);
				struct gone_req q = { c, unit };

				r = txn(c, gone_fn, &q, eb);
				free(unit);
				if (r < 0) {
					ctl_stores_close(c);
					return r;
				}
				i = (size_t)-1; /* the list changed: start again */
				break;
			}
		}
	}
	return 0;
}

void ctl_stores_close(struct controller *c)
{
	relstore_free(RELS(c));
	c->rels = NULL;
	opstore_free(c->ops);
	c->ops = NULL;
}

/* Every unit of app gets its goal again. */
static void touch_app(struct controller *c, const char *app)
{
	struct model_app *a = model_find_app(c->m, app);

	for (size_t i = 0; a && i < a->n_units; i++)
		agents_unit_changed(c->agents, a->units[i]);
}

static void touch_rel(struct controller *c, const struct crel *r)
{
	for (int i = 0; i < r->n_sides; i++)
		touch_app(c, r->side[i].app);
}

/* ---- the model as endpoint inference reads it ---- */

struct rmodel {
	struct rel_model m;
	struct controller *c;
	struct rel_endpoint **arrays;  /* built per application, freed with the rmodel */
	size_t n_arrays;
};

static enum rel_role role_of(enum charm_role r)
{
	return r == CHARM_ROLE_REQUIRES ? REL_REQUIRER : r == CHARM_ROLE_PROVIDES ? REL_PROVIDER : REL_PEER;
}

static struct rel_endpoint *app_endpoints(struct rmodel *rm, struct model_app *a, size_t *n)
{
	struct rel_endpoint *v = xcalloc(a->charm->n_endpoints + 1, sizeof(*v));

	for (size_t i = 0; i < a->charm->n_endpoints; i++) {
		const struct charm_endpoint *e = &a->charm->endpoints[i];

		v[i] = (struct rel_endpoint){ .app = a->name, .name = e->name, .interface = e->interface,
					      .role = role_of(e->role), .container = e->container_scope,
					      .limit = e->limit };
	}
	rm->arrays = xrealloc(rm->arrays, (rm->n_arrays + 1) * sizeof(*rm->arrays));
	rm->arrays[rm->n_arrays++] = v;
	*n = a->charm->n_endpoints;
	return v;
}

static int rm_app(void *data, const char *app, const char **ret_name,
		  const struct rel_endpoint **ret_eps, size_t *ret_n, bool *ret_sub, bool *ret_alive)
{
	struct rmodel *rm = data;
	struct model_app *a = model_find_app(rm->c->m, app);

	if (!a)
		return -ENOENT;
	*ret_name = a->name;
	*ret_eps = app_endpoints(rm, a, ret_n);
	*ret_sub = a->charm->subordinate;
	*ret_alive = !a->dying;
	return 0;
}

static int rm_count(void *data, const char *app, const char *ep)
{
	struct rmodel *rm = data;

	return relstore_endpoint_count(RELS(rm->c), app, ep);
}

static bool rm_exists(void *data, const char *key)
{
	struct rmodel *rm = data;

	return relstore_find_key(RELS(rm->c), key) != NULL;
}

static void rm_init(struct rmodel *rm, struct controller *c)
{
	memset(rm, 0, sizeof(*rm));
	rm->c = c;
	rm->m = (struct rel_model){ rm_app, rm_count, rm_exists, rm };
}

static void rm_done(struct rmodel *rm)
{
	for (size_t i = 0; i < rm->n_arrays; i++)
		free(rm->arrays[i]);
	free(rm->arrays);
}

/* ---- adding and removing relations ---- */

struct add_req {
	struct controller *c;
	const struct rel_endpoint *eps;
	size_t n;
	struct crel *rel;
};

static int add_fn(void *data, struct errbuf *eb)
{
	struct add_req *q = data;

	return relstore_add(RELS(q->c), q->eps, q->n, &q->rel, eb);
}

static int add_relation(struct controller *c, const struct rel_endpoint *eps, size_t n,
			struct errbuf *eb)
{
	struct add_req q = { c, eps, n, NULL };
	int r = txn(c, add_fn, &q, eb);

	if (r < 0)
		return r;
	ctl_log(c, "controller", "INFO", "cairn.relations", "relation %d added: %s", q.rel->id, q.rel->key);
	touch_rel(c, q.rel);
	return 0;
}

void ctl_rel_app_added(struct controller *c, struct model_app *a)
{
	for (size_t i = 0; i < a->charm->n_endpoints; i++) {
		const struct charm_endpoint *e = &a->charm->endpoints[i];
		struct rel_endpoint ep = { a->name, e->name, e->interface, REL_PEER, e->container_scope,
					   e->limit };
		struct buf key = BUF_INIT;
		struct errbuf eb;

		if (e->role != CHARM_ROLE_PEERS)
			continue;
		buf_init(&key);
		rel_key(&ep, 1, &key);
		if (!relstore_find_key(RELS(c), key.data) && add_relation(c, &ep, 1, &eb) < 0)
			ctl_log(c, "controller", "ERROR", "cairn.relations",
				"cannot add peer relation %s: %s", key.data, eb.msg);
		buf_done(&key);
	}
}

static bool names_pair(json_t *req, const char *names[2], struct errbuf *eb)
{
	json_t *eps = json_object_get(req, "endpoints");

	if (!json_is_array(eps) || json_array_size(eps) != 2 ||
	    !json_is_string(json_array_get(eps, 0)) || !json_is_string(json_array_get(eps, 1))) {
		errbuf_set(eb, "an integration must involve two applications");
		return false;
	}
	names[0] = json_string_value(json_array_get(eps, 0));
	names[1] = json_string_value(json_array_get(eps, 1));
	return true;
}

int ctl_op_integrate(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		     struct errbuf *eb)
{
	const char *names[2];
	struct rel_endpoint eps[2];
	struct rmodel rm;
	size_t n = 0;
	int r;

	(void)conn;
	if (!names_pair(req, names, eb))
		return -EINVAL;
	rm_init(&rm, c);
	r = rel_infer(&rm.m, names, 2, eps, &n, eb);
	if (r == 0)
		r = rel_check_add(&rm.m, eps, eb);
	if (r == 0)
		r = add_relation(c, eps, n, eb);
	rm_done(&rm);
	if (r < 0)
		return r;
	ctl_rel_units_changed(c);
	*ret = json_object();
	return 0;
}

struct dying_req {
	struct controller *c;
	int *ids;
	size_t n;
};

static int dying_fn(void *data, struct errbuf *eb)
{
	struct dying_req *q = data;

	for (size_t i = 0; i < q->n; i++) {
		struct crel *r = relstore_find(RELS(q->c), q->ids[i]);
		int rc;

		if (r && (rc = relstore_set_dying(RELS(q->c), r, eb)) < 0)
			return rc;
	}
	return 0;
}

/* Makes the relations ids[0..n) dying in one transaction; every unit that sees one of them
 * gets its goal again. */
static int set_dying(struct controller *c, int *ids, size_t n, struct errbuf *eb)
{
	struct dying_req q = { c, ids, n };
	char **apps = xcalloc(2 * n + 1, sizeof(char *));
	size_t na = 0;
	int r;

	for (size_t i = 0; i < n; i++) {
		struct crel *rel = relstore_find(RELS(c), ids[i]);

		for (int k = 0; rel && k < rel->n_sides; k++)
			apps[na++] = xstrdup(rel->side[k].app);
	}
	r = txn(c, dying_fn, &q, eb);
	for (size_t i = 0; i < na; i++) {
		if (r == 0)
			touch_app(c, apps[i]);
		free(apps[i]);
	}
	free(apps);
	return r;
}

int ctl_op_remove_relation(struct controller *c, struct msgsrv_conn *conn, json_t *req,
			   json_t **ret, struct errbuf *eb)
{
	json_t *jid = json_object_get(req, "id");
	struct crel *rel = NULL;
	int id, r;

	(void)conn;
	if (json_is_integer(jid)) {
		rel = relstore_find(RELS(c), (int)json_integer_value(jid));
		if (!rel) {
			errbuf_set(eb, "relation %lld not found", (long long)json_integer_value(jid));
			return -ENOENT;
		}
	} else {
		const char *names[2];
		struct rel_endpoint eps[2];
		struct rmodel rm;
		struct buf key = BUF_INIT;
		size_t n = 0;

		if (!names_pair(req, names, eb))
			return -EINVAL;
		rm_init(&rm, c);
		r = rel_infer(&rm.m, names, 2, eps, &n, eb);
		if (r == 0) {
			buf_init(&key);
			rel_key(eps, n, &key);
			rel = relstore_find_key(RELS(c), key.data);
			if (!rel) {
				errbuf_set(eb, "relation \"%s\" not found", key.data);
				r = -ENOENT;
			}
			buf_done(&key);
		}
		rm_done(&rm);
		if (r < 0)
			return r;
	}
	if (rel->n_sides == 1) {
		errbuf_set(eb, "cannot destroy relation \"%s\": is a peer relation", rel->key);
		return -EINVAL;
	}
	if (!rel->dying) {
		ctl_log(c, "controller", "INFO", "cairn.relations", "removing relation %d: %s", rel->id,
			rel->key);
		id = rel->id;
		if ((r = set_dying(c, &id, 1, eb)) < 0)
			return r;
		ctl_rel_units_changed(c);
	}
	*ret = json_object();
	return 0;
}

void ctl_rel_app_dying(struct controller *c, struct model_app *a)
{
	int *ids = xcalloc(RELS(c)->n + 1, sizeof(int));
	size_t n = 0;
	struct errbuf eb;

	for (size_t i = 0; i < RELS(c)->n; i++)
		if (crel_side_of(RELS(c)->v[i], a->name) >= 0 && !RELS(c)->v[i]->dying)
			ids[n++] = RELS(c)->v[i]->id;
	if (n && set_dying(c, ids, n, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.relations",
			"cannot remove the relations of %s: %s", a->name, eb.msg);
	free(ids);
	agents_app_changed(c->agents, a);
	ctl_rel_units_changed(c);
}

static int gone_fn(void *data, struct errbuf *eb)
{
	struct gone_req *q = data;
	int r = relstore_unit_gone(RELS(q->c), q->unit, eb);

	if (r == 0 && relstore_principal(RELS(q->c), q->unit))
		r = relstore_set_principal(RELS(q->c), q->unit, NULL, eb);
	return r;
}

void ctl_rel_unit_gone(struct controller *c, const char *unit)
{
	struct gone_req q = { c, unit };
	char **apps = xcalloc(2 * RELS(c)->n + 1, sizeof(char *));
	size_t na = 0;
	struct errbuf eb;

	for (size_t i = 0; i < RELS(c)->n; i++) {
		struct crel *rel = RELS(c)->v[i];

		if (!crel_scope_find(rel, unit))
			continue;
		for (int k = 0; k < rel->n_sides; k++)
			apps[na++] = xstrdup(rel->side[k].app);
	}
	if (txn(c, gone_fn, &q, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.relations",
			"cannot take %s out of its relations: %s", unit, eb.msg);
	for (size_t i = 0; i < na; i++) {
		touch_app(c, apps[i]);
		free(apps[i]);
	}
	free(apps);
	ctl_tasks_unit_gone(c, unit);
	ctl_rel_units_changed(c);
}

struct app_gone_req {
	struct controller *c;
	const char *app;
};

static int app_gone_fn(void *data, struct errbuf *eb)
{
	struct app_gone_req *q = data;

	return relstore_set_leader_settings(RELS(q->c), q->app, NULL, eb);
}

void ctl_rel_app_gone(struct controller *c, const char *app)
{
	struct app_gone_req q = { c, app };
	struct errbuf eb;

	if (relstore_leader_settings(RELS(c), app) && txn(c, app_gone_fn, &q, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.relations",
			"cannot forget the leader settings of %s: %s", app, eb.msg);
}

/* ---- subordinates ---- */

const char *ctl_rel_principal(struct controller *c, const char *unit)
{
	return relstore_principal(RELS(c), unit);
}

/* Whether an alive container-scoped relation joins the subordinate app s and principal p. */
static bool container_related(struct controller *c, const char *s, const char *p)
{
	for (size_t i = 0; i < RELS(c)->n; i++) {
		const struct crel *r = RELS(c)->v[i];

		if (!r->dying && r->container && r->n_sides == 2 && crel_side_of(r, s) >= 0 &&
		    crel_side_of(r, p) >= 0)
			return true;
	}
	return false;
}

struct principal_req {
	struct controller *c;
	const char *unit, *principal;
};

static int principal_fn(void *data, struct errbuf *eb)
{
	struct principal_req *q = data;

	return relstore_set_principal(RELS(q->c), q->unit, q->principal, eb);
}

/* Applies sub_plan for the subordinate application s and the principal application p. */
static void reconcile(struct controller *c, struct model_app *s, struct model_app *p)
{
	struct sub_principal *pv = xcalloc(p->n_units + 1, sizeof(*pv));
	struct sub_unit *sv = xcalloc(s->n_units + 1, sizeof(*sv));
	size_t ns = 0;
	struct sub_plan plan;
	struct errbuf eb;
	char *sname = xstrdup(s->name), *pname = xstrdup(p->name);

	for (size_t i = 0; i < p->n_units; i++)
		pv[i] = (struct sub_principal){ p->units[i]->name, p->units[i]->machine, !p->units[i]->dying };
	for (size_t i = 0; i < s->n_units; i++) {
		const char *pr = relstore_principal(RELS(c), s->units[i]->name);

		if (pr)
			sv[ns++] = (struct sub_unit){ s->units[i]->name, pr, !s->units[i]->dying };
	}
	sub_plan(pv, p->n_units, sv, ns, container_related(c, s->name, p->name), p->name, &plan);
	size_t n_kill = plan.n_kill, n_create = plan.n_create;
	/* Names first: adding units reallocates the applications' unit arrays. */
	char **kill = xcalloc(n_kill + 1, sizeof(char *)), **make = xcalloc(n_create + 1, sizeof(char *));
	int *mach = xcalloc(n_create + 1, sizeof(int));

	for (size_t i = 0; i < n_kill; i++)
		kill[i] = xstrdup(sv[plan.kill[i]].unit);
	for (size_t i = 0; i < n_create; i++) {
		make[i] = xstrdup(pv[plan.create[i]].unit);
		mach[i] = pv[plan.create[i]].machine;
	}
	sub_plan_done(&plan);
	free(pv);
	free(sv);
	for (size_t i = 0; i < n_kill; i++) {
		struct model_unit *u = model_find_unit(c->m, kill[i]);

		if (u && !u->dying) {
			if (model_set_unit_dying(c->m, u, &eb) < 0)
				ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
			else
				agents_unit_changed(c->agents, u);
		}
		free(kill[i]);
	}
	for (size_t i = 0; i < n_create; i++) {
		struct model_app *sa = model_find_app(c->m, sname);
		struct model_unit *added = NULL;

		if (!sa || model_add_units(c->m, sa, 1, mach[i], &added, &eb) < 0) {
			ctl_log(c, "controller", "ERROR", "cairn.model", "cannot add a %s unit beside %s: %s",
				sname, make[i], sa ? eb.msg : "application gone");
		} else {
			struct principal_req q = { c, added->name, make[i] };

			if (txn(c, principal_fn, &q, &eb) < 0)
				ctl_log(c, "controller", "ERROR", "cairn.relations", "%s", eb.msg);
			ctl_log(c, "controller", "INFO", "cairn.model", "subordinate %s added beside %s",
				added->name, make[i]);
			agents_unit_changed(c->agents, added);
			agents_app_changed(c->agents, sa);
		}
		free(make[i]);
	}
	free(kill);
	free(make);
	free(mach);
	free(sname);
	free(pname);
}

void ctl_rel_units_changed(struct controller *c)
{
	/* Every (subordinate, principal) pair that is related, or has subordinates left. */
	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *s = c->m->apps[i];

		if (!s->charm->subordinate)
			continue;
		for (size_t k = 0; k < c->m->n_apps; k++) {
			struct model_app *p = c->m->apps[k];
			bool has = false;

			if (p == s || p->charm->subordinate)
				continue;
			for (size_t j = 0; j < s->n_units && !has; j++) {
				const char *pr = relstore_principal(RELS(c), s->units[j]->name);
				size_t len = strlen(p->name);

				has = pr && !strncmp(pr, p->name, len) && pr[len] == '/';
			}
			if (has || container_related(c, s->name, p->name)) {
				reconcile(c, s, p);
				/* Units were added: the application arrays may have moved. */
				s = c->m->apps[i];
			}
		}
	}
}

/* ---- goals and commits ---- */

static const char *principal_cb(void *data, const char *unit)
{
	struct controller *c = data;
	const char *p = relstore_principal(RELS(c), unit);

	return p ? p : unit;
}

json_t *ctl_rel_unit_goal(struct controller *c, struct model_unit *u)
{
	bool leader = u->app->leader && !strcmp(u->app->leader, u->name);

	return relstore_unit_goal(RELS(c), u->name, u->app->name, leader, principal_cb, c);
}

json_t *ctl_rel_leader_settings(struct controller *c, struct model_app *a)
{
	return relstore_leader_settings(RELS(c), a->name);
}

static void note_app(struct ctl_rel_commit *q, const char *app)
{
	for (size_t i = 0; i < q->n_apps; i++)
		if (!strcmp(q->apps[i], app))
			return;
	q->apps = xrealloc(q->apps, (q->n_apps + 1) * sizeof(char *));
	q->apps[q->n_apps++] = xstrdup(app);
}

void ctl_rel_commit_init(struct ctl_rel_commit *q, struct controller *c, struct model_unit *u,
			 json_t *relations, json_t *leader_settings)
{
	memset(q, 0, sizeof(*q));
	q->c = c;
	q->u = u;
	q->relations = relations;
	q->leader_settings = leader_settings;
	q->leader = u->app->leader && !strcmp(u->app->leader, u->name);
}

int ctl_rel_commit_apply(struct ctl_rel_commit *q, struct errbuf *eb)
{
	struct relstore *s = RELS(q->c);
	const char *unit = q->u->name, *app = q->u->app->name;
	size_t i;
	json_t *e;
	int r;

	json_array_foreach(q->relations, i, e) {
		struct crel *rel = relstore_find(s, (int)json_integer_value(json_object_get(e, "id")));
		const char *scope = json_string_value(json_object_get(e, "scope"));
		json_t *ubag = json_object_get(e, "unit-bag"), *abag = json_object_get(e, "app-bag");

		/* A relation already gone (or not this unit's) has nothing left to change. */
		if (!rel || crel_side_of(rel, app) < 0)
			continue;
		for (int k = 0; k < rel->n_sides; k++)
			note_app(q, rel->side[k].app);
		if (scope && !strcmp(scope, "enter") && !rel->dying) {
			if ((r = relstore_enter_scope(s, rel, unit, ubag, eb)) < 0)
				return r;
		}
		if (ubag && crel_scope_find(rel, unit) &&
		    (r = relstore_set_unit_bag(s, rel, unit, ubag, eb)) < 0)
			return r;
		if (abag) {
			if (!q->leader)
				ctl_log(q->c, "controller", "WARNING", "cairn.relations",
					"%s is not the leader: its application settings for relation %d are ignored",
					unit, rel->id);
			else if ((r = relstore_set_app_bag(s, rel, app, abag, eb)) < 0)
				return r;
		}
		if (scope && !strcmp(scope, "leave") && (r = relstore_leave_scope(s, rel, unit, eb)) < 0)
			return r;
	}
	if (q->leader_settings) {
		json_t *now = relstore_leader_settings(s, app);

		if (!q->leader) {
			ctl_log(q->c, "controller", "WARNING", "cairn.relations",
				"%s is not the leader: its leader settings are ignored", unit);
		} else if (!(now ? json_equal(q->leader_settings, now) : !json_object_size(q->leader_settings))) {
			if ((r = relstore_set_leader_settings(s, app, q->leader_settings, eb)) < 0)
				return r;
			q->leader_changed = true;
		}
	}
	return 0;
}

void ctl_rel_commit_done(struct ctl_rel_commit *q, bool committed)
{
	struct controller *c = q->c;

	if (!committed)
		stores_reload(c);
	for (size_t i = 0; i < q->n_apps; i++) {
		if (committed)
			touch_app(c, q->apps[i]);
		free(q->apps[i]);
	}
	free(q->apps);
	q->apps = NULL;
	q->n_apps = 0;
	if (committed && q->leader_changed) {
		/* The other units run leader-settings-changed: one more leadership generation. */
		struct model_app *a = q->u->app;
		char *leader = xstrdup(a->leader);
		struct errbuf eb;

		if (model_set_leader(c->m, a, leader, true, &eb) < 0)
			ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
		free(leader);
		agents_app_changed(c->agents, a);
	}
}

static int commit_fn(void *data, struct errbuf *eb)
{
	return ctl_rel_commit_apply(data, eb);
}

int ctl_rel_commit_hook(struct controller *c, struct model_unit *u, const struct proto_commit_hook *h,
			int64_t seq, struct errbuf *eb)
{
	struct ctl_rel_commit q;
	int r;

	ctl_rel_commit_init(&q, c, u, h->relations, h->leader_settings);
	r = model_commit_hook_with(c->m, u, h->journal, h->state, h->ports, h->app_version, seq,
				   commit_fn, &q, eb);
	ctl_rel_commit_done(&q, r == 0);
	if (r == 0 && (h->state || h->ports))
		agents_unit_changed(c->agents, u);
	return r;
}

/* ---- goal-state ---- */

static json_t *gs_since(uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	char out[64];

	if (!ns)
		s = time(NULL);
	gmtime_r(&s, &tm);
	strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%SZ", &tm);
	return json_string(out);
}

static json_t *gs_unit(const struct model_unit *u)
{
	const char *st = u->dying ? "dying" : u->wl.current && strcmp(u->wl.current, "unknown") ?
			 u->wl.current : "waiting";

	return json_pack("{s:s, s:o}", "status", st, "since", gs_since(u->wl.since_ns));
}

json_t *ctl_rel_goal_state(struct controller *c, struct model_unit *u)
{
	json_t *units = json_object(), *rels = json_object();
	struct model_app *a = u->app;

	for (size_t i = 0; i < a->n_units; i++)
		json_object_set_new(units, a->units[i]->name, gs_unit(a->units[i]));
	for (size_t i = 0; i < RELS(c)->n; i++) {
		const struct crel *r = RELS(c)->v[i];
		int me = crel_side_of(r, a->name);
		const struct crel_side *other;
		struct model_app *oa;
		json_t *ep;

		if (me < 0)
			continue;
		other = r->n_sides == 2 ? &r->side[1 - me] : &r->side[me];
		ep = json_object_get(rels, r->side[me].endpoint);
		if (!ep) {
			ep = json_object();
			json_object_set_new(rels, r->side[me].endpoint, ep);
		}
		oa = model_find_app(c->m, other->app);
		if (r->n_sides == 2)
			json_object_set_new(ep, other->app,
					    json_pack("{s:s, s:o}", "status", r->dying ? "dying" : "joined",
						      "since", gs_since(0)));
		for (size_t k = 0; oa && k < oa->n_units; k++) {
			if (oa->units[k] == u)
				continue;
			json_object_set_new(ep, oa->units[k]->name, gs_unit(oa->units[k]));
		}
	}
	return json_pack("{s:o, s:o}", "units", units, "relations", rels);
}

/* ---- status ---- */

static bool is_subordinate(void *data, const char *app)
{
	struct controller *c = data;
	struct model_app *a = model_find_app(c->m, app);

	return a && a->charm->subordinate;
}

json_t *ctl_rel_status_app(struct controller *c, const char *app)
{
	json_t *rel = relstore_status_app(RELS(c), app);

	if (json_object_size(rel))
		return rel;
	json_decref(rel);
	return NULL;
}

json_t *ctl_rel_subordinate_to(struct controller *c, const char *app)
{
	json_t *to = json_array();

	for (size_t i = 0; i < RELS(c)->n; i++) {
		const struct crel *r = RELS(c)->v[i];
		int me = crel_side_of(r, app);

		if (me >= 0 && r->container && r->n_sides == 2) {
			const char *o = r->side[1 - me].app;
			bool have = false;
			size_t k;
			json_t *x;

			json_array_foreach(to, k, x)
				have |= !strcmp(json_string_value(x), o);
			if (!have)
				json_array_append_new(to, json_string(o));
		}
	}
	return to;
}

json_t *ctl_rel_status_rows(struct controller *c)
{
	return relstore_status_rows(RELS(c), is_subordinate, c);
}
