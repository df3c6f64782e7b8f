/* test-relstate.c - the exact per-unit hook sequences of relations, driven through the
 * uniter's resolver (uniter.h, relstate.h) with a simulated controller and no processes.
 *
 * The simulated controller keeps what cairnd keeps: relations (alive or dying), which units
 * are in each relation's scope, each unit's and application's settings version per relation.
 * A unit enters scope when its -relation-created commits (with its initial settings, version
 * 1), leaves when its -relation-broken commits or it dies, and a dying relation nobody is in
 * any more is deleted.  Units run one hook per round, in name order, until nothing is left;
 * each unit's committed hooks are recorded as "hook[remote]" (departed: "hook[remote>who]"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/relstate.h"
#include "agent/uniter.h"
#include "lib/buf.h"
#include "lib/test.h"

#define MAX_UNITS 16
#define MAX_RELS 8

struct sapp {
	char name[32];
	char peer_ep[32];   /* "" = no peer endpoint */
	bool alive;
	int next_unit;
};

struct sunit {
	char name[48];
	struct sapp *app;
	bool alive, exists;
	struct uniter_journal j;
	struct relstate rs;
	struct buf seq;
};

struct srel {
	bool exists, alive, peer;
	int id;
	struct sapp *a, *b;   /* b == a for peers */
	char ep_a[32], ep_b[32];
	bool in_scope[MAX_UNITS];
	int64_t unit_ver[MAX_UNITS];
	int64_t appver_a, appver_b;
};

static struct sapp apps[4];
static int n_apps;
static struct sunit units[MAX_UNITS];
static int n_units;
static struct srel rels[MAX_RELS];
static int next_rel_id;

/* A scripted charm: after committing a hook whose name is `after` on a unit of `app`, the
 * unit's (or, with app_bag, its application's) bag in that relation is written. */
struct write_rule {
	const char *app, *after;
	bool app_bag;
};
static struct write_rule writes[8];
static int n_writes;

static void sim_reset(void)
{
	for (int i = 0; i < n_units; i++) {
		relstate_done(&units[i].rs);
		buf_done(&units[i].seq);
	}
	memset(apps, 0, sizeof(apps));
	memset(units, 0, sizeof(units));
	memset(rels, 0, sizeof(rels));
	memset(writes, 0, sizeof(writes));
	n_apps = n_units = next_rel_id = n_writes = 0;
}

static int unit_index(const char *name)
{
	for (int i = 0; i < n_units; i++)
		if (units[i].exists && !strcmp(units[i].name, name))
			return i;
	return -1;
}

static void add_unit(struct sapp *a)
{
	struct sunit *u = &units[n_units++];

	snprintf(u->name, sizeof(u->name), "%s/%d", a->name, a->next_unit++);
	u->app = a;
	u->alive = u->exists = true;
	uniter_journal_init(&u->j);
	relstate_init(&u->rs);
	buf_init(&u->seq);
}

static struct srel *relate(struct sapp *a, const char *ep_a, struct sapp *b, const char *ep_b)
{
	struct srel *r = &rels[next_rel_id];

	r->exists = r->alive = true;
	r->id = next_rel_id++;
	r->a = a;
	r->b = b;
	r->peer = a == b;
	snprintf(r->ep_a, sizeof(r->ep_a), "%s", ep_a);
	snprintf(r->ep_b, sizeof(r->ep_b), "%s", ep_b);
	return r;
}

/* deploy: the app, its units, and its peer relation (as the controller does at deploy). */
static struct sapp *deploy(const char *name, const char *peer_ep, int n)
{
	struct sapp *a = &apps[n_apps++];

	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->peer_ep, sizeof(a->peer_ep), "%s", peer_ep ? peer_ep : "");
	a->alive = true;
	if (peer_ep)
		relate(a, peer_ep, a, peer_ep);
	for (int i = 0; i < n; i++)
		add_unit(a);
	return a;
}

static bool leader_of(const struct sunit *u)
{
	for (int i = 0; i < n_units; i++)
		if (units[i].exists && units[i].alive && units[i].app == u->app)
			return &units[i] == u;
	return false;
}

/* The relation goal of unit ui; arrays live in the caller's buffers. */
static void goal_for(int ui, struct relgoals *g, struct relgoal *gr, struct relgoal_unit (*gu)[MAX_UNITS])
{
	struct sunit *u = &units[ui];
	size_t n = 0;

	g->v = gr;
	g->unit = u->name;
	g->unit_alive = u->alive;
	g->app_alive = u->app->alive;
	for (int r = 0; r < next_rel_id; r++) {
		struct srel *rel = &rels[r];
		bool side_a;
		size_t k = 0;

		if (!rel->exists || (rel->a != u->app && rel->b != u->app))
			continue;
		side_a = rel->a == u->app;
		gr[n] = (struct relgoal){ .id = rel->id, .endpoint = side_a ? rel->ep_a : rel->ep_b,
					  .remote_app = side_a ? rel->b->name : rel->a->name,
					  .peer = rel->peer, .alive = rel->alive,
					  .app_version = rel->peer ? rel->appver_a
						       : side_a ? rel->appver_b : rel->appver_a };
		for (int o = 0; o < n_units; o++) {
			struct sunit *x = &units[o];

			if (!x->exists || o == ui || !rel->in_scope[o])
				continue;
			if (rel->peer ? x->app != u->app : x->app == u->app)
				continue;
			gu[n][k++] = (struct relgoal_unit){ x->name, rel->unit_ver[o] };
		}
		gr[n].units = gu[n];
		gr[n].n_units = k;
		n++;
	}
	g->n = n;
}

static void collect_garbage(void)
{
	for (int r = 0; r < next_rel_id; r++) {
		bool anyone = false;

		if (!rels[r].exists || rels[r].alive)
			continue;
		for (int o = 0; o < n_units; o++)
			anyone |= rels[r].in_scope[o];
		if (!anyone)
			rels[r].exists = false;
	}
}

static void record(struct sunit *u, const struct uniter_next *n)
{
	if (u->seq.len)
		buf_addc(&u->seq, ' ');
	buf_adds(&u->seq, n->hook);
	if (n->rel.kind == RELHOOK_DEPARTED)
		buf_addf(&u->seq, "[%s>%s]", n->rel.remote_unit, n->rel.departing_unit);
	else if (n->rel.kind != RELHOOK_NONE && n->rel.kind != RELHOOK_CREATED &&
		 n->rel.kind != RELHOOK_BROKEN)
		buf_addf(&u->seq, "[%s]", n->rel.remote_unit[0] ? n->rel.remote_unit : n->rel.remote_app);
}

/* Runs one hook on unit ui if one is due; returns whether it did. */
static bool step(int ui)
{
	struct sunit *u = &units[ui];
	struct uniter_goal g = { .alive = u->alive, .config_hash = "h", .leader = leader_of(u) };
	struct uniter_flags f = { .lease_valid = true };
	struct relgoals rg;
	struct relgoal gr[MAX_RELS];
	struct relgoal_unit gu[MAX_RELS][MAX_UNITS];
	struct uniter_next n;
	struct errbuf eb;

	if (!u->exists)
		return false;
	goal_for(ui, &rg, gr, gu);
	uniter_decide(&u->j, &u->rs, &g, &rg, &f, &n);
	if (n.kind == UNITER_NEXT_DEAD) {
		for (int r = 0; r < next_rel_id; r++)
			rels[r].in_scope[ui] = false;
		u->exists = false;
		if (u->seq.len)
			buf_addc(&u->seq, ' ');
		buf_adds(&u->seq, "DEAD");
		collect_garbage();
		return true;
	}
	if (n.kind != UNITER_NEXT_HOOK)
		return false;
	uniter_prepare_next(&u->j, &n, &g, NULL);
	/* Persist and reload the journal and relation state at every step, as the agent does. */
	{
		json_t *jj = uniter_journal_to_json(&u->j), *rj = relstate_to_json(&u->rs);
		struct uniter_journal k;
		struct relstate rs2;

		if (uniter_journal_from_json(jj, &k, &eb) == 0)
			u->j = k;
		else
			printf("journal round trip failed: %s\n", eb.msg);
		if (relstate_from_json(rj, &rs2, &eb) == 0) {
			relstate_done(&u->rs);
			u->rs = rs2;
		} else {
			printf("relation state round trip failed: %s\n", eb.msg);
		}
		json_decref(jj);
		json_decref(rj);
	}
	record(u, &n);
	uniter_commit_rel(&u->j, &u->rs);
	/* The controller's side of the commit. */
	if (n.rel.kind == RELHOOK_CREATED) {
		struct srel *rel = &rels[n.rel.relation_id];

		if (u->alive && rel->alive) {
			rel->in_scope[ui] = true;
			rel->unit_ver[ui] = 1;
		}
	}
	if (n.rel.kind == RELHOOK_BROKEN) {
		rels[n.rel.relation_id].in_scope[ui] = false;
		collect_garbage();
	}
	for (int w = 0; w < n_writes; w++) {
		if (strcmp(writes[w].app, u->app->name) || strcmp(writes[w].after, n.hook))
			continue;
		struct srel *rel = &rels[n.rel.relation_id];

		if (writes[w].app_bag) {
			if (!leader_of(u))
				continue; /* only the leader writes the application bag */
			if (rel->a == u->app)
				rel->appver_a++;
			else
				rel->appver_b++;
		} else if (rel->in_scope[ui]) {
			rel->unit_ver[ui]++;
		}
	}
	return true;
}

static void settle(void)
{
	for (int round = 0; round < 1000; round++) {
		bool any = false;

		for (int i = 0; i < n_units; i++)
			any |= step(i);
		if (!any)
			return;
	}
	printf("did not settle\n");
}

/* The sequence of unit name since the last call (then forgotten). */
static char seqbuf[4096];

static const char *seq(const char *unit)
{
	for (int i = 0; i < n_units; i++) {
		if (strcmp(units[i].name, unit))
			continue;
		snprintf(seqbuf, sizeof(seqbuf), "%s", buf_str(&units[i].seq));
		buf_reset(&units[i].seq);
		return seqbuf;
	}
	return "(no such unit)";
}

static void remove_unit(const char *name)
{
	units[unit_index(name)].alive = false;
}

static void remove_relation(struct srel *r)
{
	r->alive = false;
	collect_garbage();
}

static void remove_application(struct sapp *a)
{
	a->alive = false;
	for (int r = 0; r < next_rel_id; r++)
		if (rels[r].exists && (rels[r].a == a || rels[r].b == a))
			rels[r].alive = false;
	for (int i = 0; i < n_units; i++)
		if (units[i].app == a)
			units[i].alive = false;
	collect_garbage();
}

/* ---- provider / requirer ---- */

static void test_pair_relate_after_deploy(void)
{
	sim_reset();
	struct sapp *db = deploy("db", NULL, 1), *web = deploy("web", NULL, 1);

	settle();
	ASSERT_STREQ(seq("db/0"), "install leader-elected config-changed start");
	ASSERT_STREQ(seq("web/0"), "install leader-elected config-changed start");
	relate(web, "database", db, "server");
	settle();
	/* created, then the config-changed the seed promises, then joined -> changed. */
	ASSERT_STREQ(seq("db/0"), "server-relation-created config-changed "
				  "server-relation-joined[web/0] server-relation-changed[web/0]");
	ASSERT_STREQ(seq("web/0"), "database-relation-created config-changed "
				   "database-relation-joined[db/0] database-relation-changed[db/0]");
	settle();
	ASSERT_STREQ(seq("db/0"), "");
	sim_reset();
}

static void test_pair_add_unit_settings_and_app_data(void)
{
	sim_reset();
	struct sapp *db = deploy("db", NULL, 1), *web = deploy("web", NULL, 1);

	/* The provider writes its unit bag on every -joined and, as leader, its application
	 * bag once the relation is created. */
	writes[n_writes++] = (struct write_rule){ "db", "server-relation-joined", false };
	writes[n_writes++] = (struct write_rule){ "db", "server-relation-created", true };
	relate(web, "database", db, "server");
	settle();
	ASSERT_STREQ(seq("db/0"), "install server-relation-created leader-elected config-changed start "
				  "server-relation-joined[web/0] server-relation-changed[web/0]");
	/* web/0 sees db's application bag (written at created) before the units join, then
	 * db/0's -changed once more for its second settings write. */
	ASSERT_STREQ(seq("web/0"), "install database-relation-created leader-elected config-changed start "
				   "database-relation-changed[db] database-relation-joined[db/0] "
				   "database-relation-changed[db/0]");
	add_unit(web);
	settle();
	ASSERT_STREQ(seq("web/1"), "install database-relation-created config-changed start "
				   "database-relation-changed[db] database-relation-joined[db/0] "
				   "database-relation-changed[db/0]");
	ASSERT_STREQ(seq("db/0"), "server-relation-joined[web/1] server-relation-changed[web/1]");
	/* db/0 wrote its bag when web/1 joined: each web unit hears it once. */
	ASSERT_STREQ(seq("web/0"), "database-relation-changed[db/0]");
	ASSERT_STREQ(seq("web/1"), "");
	sim_reset();
}

static void test_pair_joined_order_by_name(void)
{
	sim_reset();
	struct sapp *db = deploy("db", NULL, 3), *web = deploy("web", NULL, 1);

	settle();
	seq("web/0");
	relate(db, "server", web, "database");
	settle();
	ASSERT_STREQ(seq("web/0"), "database-relation-created config-changed "
				   "database-relation-joined[db/0] database-relation-changed[db/0] "
				   "database-relation-joined[db/1] database-relation-changed[db/1] "
				   "database-relation-joined[db/2] database-relation-changed[db/2]");
	sim_reset();
}

static void test_pair_remove_unit(void)
{
	sim_reset();
	struct sapp *db = deploy("db", NULL, 1), *web = deploy("web", NULL, 2);

	relate(web, "database", db, "server");
	settle();
	seq("db/0"), seq("web/0"), seq("web/1");
	remove_unit("web/1");
	settle();
	/* The leaving unit departs its remote units (naming itself as the departing unit),
	 * breaks the relation, stops and is removed; the others hear it depart. */
	ASSERT_STREQ(seq("web/1"), "database-relation-departed[db/0>web/1] database-relation-broken "
				   "stop remove DEAD");
	ASSERT_STREQ(seq("db/0"), "server-relation-departed[web/1>web/1]");
	ASSERT_STREQ(seq("web/0"), "");
	sim_reset();
}

static void test_pair_remove_relation(void)
{
	sim_reset();
	struct sapp *db = deploy("db", NULL, 2), *web = deploy("web", NULL, 1);
	struct srel *r = relate(web, "database", db, "server");

	settle();
	seq("db/0"), seq("db/1"), seq("web/0");
	remove_relation(r);
	settle();
	/* The remote unit is the departing one: the local unit and its app live on. */
	ASSERT_STREQ(seq("web/0"), "database-relation-departed[db/0>db/0] "
				   "database-relation-departed[db/1>db/1] database-relation-broken");
	ASSERT_STREQ(seq("db/0"), "server-relation-departed[web/0>web/0] server-relation-broken");
	ASSERT_STREQ(seq("db/1"), "server-relation-departed[web/0>web/0] server-relation-broken");
	ASSERT_TRUE(!rels[r->id].exists);
	/* Relating again is a new relation with a new id: created again. */
	r = relate(web, "database", db, "server");
	ASSERT_EQ(r->id, 1);
	settle();
	ASSERT_STREQ(seq("web/0"), "database-relation-created config-changed "
				   "database-relation-joined[db/0] database-relation-changed[db/0] "
				   "database-relation-joined[db/1] database-relation-changed[db/1]");
	sim_reset();
}

static void test_pair_remove_application(void)
{
	sim_reset();
	struct sapp *db = deploy("db", "cluster", 2), *web = deploy("web", NULL, 1);

	relate(web, "database", db, "server");
	settle();
	seq("db/0"), seq("db/1"), seq("web/0");
	remove_application(db);
	settle();
	ASSERT_STREQ(seq("db/0"), "cluster-relation-departed[db/1>db/0] "
				  "server-relation-departed[web/0>db/0] server-relation-broken stop remove DEAD");
	ASSERT_STREQ(seq("db/1"), "cluster-relation-departed[db/0>db/1] "
				  "server-relation-departed[web/0>db/1] server-relation-broken stop remove DEAD");
	ASSERT_STREQ(seq("web/0"), "database-relation-departed[db/0>db/0] "
				   "database-relation-departed[db/1>db/1] database-relation-broken");
	for (int r = 0; r < next_rel_id; r++)
		ASSERT_TRUE(!rels[r].exists);
	sim_reset();
}

/* ---- peers ---- */

static void test_peers_deploy_add_remove(void)
{
	sim_reset();
	struct sapp *p = deploy("pg", "replicas", 2);

	(void)p;
	settle();
	ASSERT_STREQ(seq("pg/0"), "install replicas-relation-created leader-elected config-changed start "
				  "replicas-relation-joined[pg/1] replicas-relation-changed[pg/1]");
	ASSERT_STREQ(seq("pg/1"), "install replicas-relation-created config-changed start "
				  "replicas-relation-joined[pg/0] replicas-relation-changed[pg/0]");
	add_unit(p);
	settle();
	ASSERT_STREQ(seq("pg/2"), "install replicas-relation-created config-changed start "
				  "replicas-relation-joined[pg/0] replicas-relation-changed[pg/0] "
				  "replicas-relation-joined[pg/1] replicas-relation-changed[pg/1]");
	ASSERT_STREQ(seq("pg/0"), "replicas-relation-joined[pg/2] replicas-relation-changed[pg/2]");
	ASSERT_STREQ(seq("pg/1"), "replicas-relation-joined[pg/2] replicas-relation-changed[pg/2]");
	remove_unit("pg/1");
	settle();
	/* No -broken for a peer relation; the unit leaves scope when it dies. */
	ASSERT_STREQ(seq("pg/1"), "replicas-relation-departed[pg/0>pg/1] "
				  "replicas-relation-departed[pg/2>pg/1] stop remove DEAD");
	ASSERT_STREQ(seq("pg/0"), "replicas-relation-departed[pg/1>pg/1]");
	ASSERT_STREQ(seq("pg/2"), "replicas-relation-departed[pg/1>pg/1]");
	/* The peer relation lives on with the application. */
	ASSERT_TRUE(rels[0].exists && rels[0].alive);
	sim_reset();
}

static void test_peer_app_data_leader_only(void)
{
	sim_reset();
	/* Every unit tries to write the application bag after -created; only the leader's
	 * write counts, so the others hear one application-data -changed. */
	writes[n_writes++] = (struct write_rule){ "pg", "replicas-relation-created", true };
	deploy("pg", "replicas", 2);
	settle();
	ASSERT_STREQ(seq("pg/0"), "install replicas-relation-created leader-elected config-changed start "
				  "replicas-relation-changed[pg] replicas-relation-joined[pg/1] "
				  "replicas-relation-changed[pg/1]");
	ASSERT_STREQ(seq("pg/1"), "install replicas-relation-created config-changed start "
				  "replicas-relation-changed[pg] replicas-relation-joined[pg/0] "
				  "replicas-relation-changed[pg/0]");
	sim_reset();
}

/* ---- pieces of the resolver on their own ---- */

static void test_changed_collapses_and_versions(void)
{
	struct relstate s;
	struct relhook h;
	struct relgoal_unit u1[] = { { "b/0", 3 } };
	struct relgoal r = { .id = 5, .endpoint = "db", .remote_app = "b", .alive = true,
			     .units = u1, .n_units = 1 };
	struct relgoals g = { &r, 1, "a/0", true, true };

	relstate_init(&s);
	ASSERT_TRUE(relstate_next_created(&s, &g, &h));
	ASSERT_EQ(h.kind, RELHOOK_CREATED);
	ASSERT_EQ(h.relation_id, 5);
	relstate_commit(&s, &h);
	ASSERT_TRUE(!relstate_next_created(&s, &g, &h));
	ASSERT_TRUE(relstate_next(&s, &g, "a/0", &h));
	ASSERT_EQ(h.kind, RELHOOK_JOINED);
	ASSERT_EQ(h.version, 3);
	relstate_commit(&s, &h);
	/* Settings moved on twice before -changed ran: one -changed, for the newest. */
	u1[0].version = 5;
	ASSERT_TRUE(relstate_next(&s, &g, "a/0", &h));
	ASSERT_EQ(h.kind, RELHOOK_CHANGED);
	ASSERT_EQ(h.version, 5);
	relstate_commit(&s, &h);
	ASSERT_TRUE(!relstate_next(&s, &g, "a/0", &h));
	/* A unit in scope with its never-written application bag: nothing. */
	ASSERT_EQ(relstate_find(&s, 5)->app_version, 0);
	relstate_done(&s);
}

static void test_relstate_json(void)
{
	struct relstate s, t;
	struct relhook h = { .kind = RELHOOK_CREATED, .relation_id = 2, .peer = true };
	struct errbuf eb;
	json_t *v, *bad;

	relstate_init(&s);
	snprintf(h.endpoint, sizeof(h.endpoint), "peers");
	snprintf(h.remote_app, sizeof(h.remote_app), "a");
	relstate_commit(&s, &h);
	h.kind = RELHOOK_JOINED;
	h.version = 7;
	snprintf(h.remote_unit, sizeof(h.remote_unit), "a/1");
	relstate_commit(&s, &h);
	v = relstate_to_json(&s);
	ASSERT_EQ(relstate_from_json(v, &t, &eb), 0);
	ASSERT_EQ(t.n, 1);
	ASSERT_EQ(t.v[0].n_members, 1);
	ASSERT_EQ(t.v[0].members[0].version, 7);
	ASSERT_STREQ(t.v[0].changed_pending, "a/1");
	ASSERT_TRUE(t.v[0].peer);
	relstate_done(&t);
	json_decref(v);
	bad = json_pack("[{s:s}]", "id", "x");
	ASSERT_TRUE(relstate_from_json(bad, &t, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "malformed relation state");
	json_decref(bad);
	bad = json_pack("{s:i}", "id", 1);
	ASSERT_TRUE(relstate_from_json(bad, &t, &eb) < 0);
	json_decref(bad);
	relstate_done(&s);
}

static void test_interrupted_relation_hook_reruns(void)
{
	struct uniter_journal j, k;
	struct uniter_goal g = { .alive = true, .config_hash = "h" };
	struct uniter_flags f = { 0 };
	struct uniter_next n = { .kind = UNITER_NEXT_HOOK }, again;
	struct errbuf eb;
	json_t *v;

	uniter_journal_init(&j);
	n.rel = (struct relhook){ .kind = RELHOOK_JOINED, .relation_id = 3, .version = 2 };
	snprintf(n.rel.endpoint, sizeof(n.rel.endpoint), "db");
	snprintf(n.rel.remote_unit, sizeof(n.rel.remote_unit), "b/4");
	snprintf(n.rel.remote_app, sizeof(n.rel.remote_app), "b");
	relhook_name(&n.rel, n.hook, sizeof(n.hook));
	ASSERT_STREQ(n.hook, "db-relation-joined");
	j.installed = j.started = true;
	uniter_prepare_next(&j, &n, &g, NULL);
	v = uniter_journal_to_json(&j);
	ASSERT_EQ(uniter_journal_from_json(v, &k, &eb), 0);
	json_decref(v);
	/* The agent died here: the same relation hook, with its remote unit, comes back. */
	uniter_decide(&k, NULL, &g, NULL, &f, &again);
	ASSERT_EQ(again.kind, UNITER_NEXT_HOOK);
	ASSERT_STREQ(again.hook, "db-relation-joined");
	ASSERT_STREQ(again.rel.remote_unit, "b/4");
	ASSERT_EQ(again.rel.relation_id, 3);
	ASSERT_EQ(again.rel.version, 2);
}

static void test_error_blocks_relations(void)
{
	struct uniter_journal j;
	struct relstate s;
	struct uniter_goal g = { .alive = true, .config_hash = "h" };
	struct uniter_flags f = { .in_error = true };
	struct relgoal r = { .id = 1, .endpoint = "db", .remote_app = "b", .alive = true };
	struct relgoals rg = { &r, 1, "a/0", true, true };
	struct uniter_next n;

	uniter_journal_init(&j);
	j.installed = true;
	relstate_init(&s);
	uniter_decide(&j, &s, &g, &rg, &f, &n);
	ASSERT_EQ(n.kind, UNITER_NEXT_NONE);
	f.in_error = false;
	uniter_decide(&j, &s, &g, &rg, &f, &n);
	ASSERT_STREQ(n.hook, "db-relation-created");
	/* Not while dying. */
	g.alive = false;
	rg.unit_alive = false;
	uniter_decide(&j, &s, &g, &rg, &f, &n);
	ASSERT_STREQ(n.hook, "remove");
}

int main(void)
{
	RUN(test_pair_relate_after_deploy);
	RUN(test_pair_add_unit_settings_and_app_data);
	RUN(test_pair_joined_order_by_name);
	RUN(test_pair_remove_unit);
	RUN(test_pair_remove_relation);
	RUN(test_pair_remove_application);
	RUN(test_peers_deploy_add_remove);
	RUN(test_peer_app_data_leader_only);
	RUN(test_changed_collapses_and_versions);
	RUN(test_relstate_json);
	RUN(test_interrupted_relation_hook_reruns);
	RUN(test_error_blocks_relations);
	sim_reset();
	return test_summary();
}
