/* test-relgoal.c - the relation goal document: validation of what the controller sends and
 * the hook's view built from it (members, bags, departed units). */
#include <stdlib.h>
#include <string.h>

#include "agent/relgoal.h"
#include "lib/test.h"

static json_t *js(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, 0, &e);

	if (!v)
		printf("bad test json: %s\n", e.text);
	return v;
}

static const char doc1[] =
	"[{\"id\": 4, \"endpoint\": \"db\", \"interface\": \"mysql\", \"remote-app\": \"mysql\","
	"  \"peer\": false, \"alive\": true, \"app-version\": 2, \"app-bag\": {\"database\": \"wp\"},"
	"  \"unit-bag\": {\"private-address\": \"10.0.0.1\"}, \"local-app-bag\": {},"
	"  \"units\": {\"mysql/1\": {\"version\": 3, \"bag\": {\"host\": \"b\"}},"
	"             \"mysql/0\": {\"version\": 1, \"bag\": {\"host\": \"a\"}}}},"
	" {\"id\": 1, \"endpoint\": \"peers\", \"remote-app\": \"web\", \"peer\": true, \"alive\": true,"
	"  \"app-version\": 0, \"units\": {}}]";

static void test_parse_and_views(void)
{
	struct relgoal_doc d;
	struct errbuf eb;
	json_t *v = js(doc1);

	ASSERT_EQ(relgoal_parse(v, true, true, &d, &eb), 0);
	json_decref(v);
	ASSERT_EQ(d.goals.n, 2);
	ASSERT_EQ(d.goals.v[0].id, 1); /* sorted by id */
	ASSERT_TRUE(d.goals.v[0].peer);
	ASSERT_EQ(d.goals.v[1].n_units, 2);
	ASSERT_STREQ(d.goals.v[1].units[0].name, "mysql/0"); /* sorted by name */
	ASSERT_EQ(d.goals.v[1].units[1].version, 3);
	ASSERT_EQ(d.goals.v[1].app_version, 2);
	ASSERT_TRUE(relgoal_entry(&d, 4) != NULL);
	ASSERT_TRUE(relgoal_entry(&d, 9) == NULL);
	relgoal_done(&d);
	ASSERT_EQ(relgoal_parse(NULL, true, true, &d, &eb), 0);
	ASSERT_EQ(d.goals.n, 0);
	relgoal_done(&d);
}

static void expect_bad(const char *text, const char *msg)
{
	struct relgoal_doc d;
	struct errbuf eb;
	json_t *v = js(text);
	int r = relgoal_parse(v, true, true, &d, &eb);

	json_decref(v);
	if (r == 0) {
		relgoal_done(&d);
		printf("accepted: %s\n", text);
		test_cur_failed = 1;
		return;
	}
	if (!strstr(eb.msg, msg)) {
		printf("got %s, want %s\n", eb.msg, msg);
		test_cur_failed = 1;
	}
}

static void test_bad_input(void)
{
	expect_bad("{}", "expected a list");
	expect_bad("[1]", "relations[0]");
	expect_bad("[{\"id\": -1, \"endpoint\": \"db\", \"remote-app\": \"a\", \"peer\": false,"
		   " \"alive\": true, \"units\": {}, \"app-version\": 0}]", "relations[0]: bad id");
	expect_bad("[{\"id\": 1, \"endpoint\": \"db\", \"remote-app\": \"Bad App\", \"peer\": false,"
		   " \"alive\": true, \"units\": {}, \"app-version\": 0}]", "bad id, endpoint, remote-app");
	expect_bad("[{\"id\": 1, \"endpoint\": \"db\", \"remote-app\": \"a\", \"peer\": false,"
		   " \"alive\": true, \"units\": {\"nope\": {\"version\": 1}}, \"app-version\": 0}]",
		   "bad unit \"nope\"");
	expect_bad("[{\"id\": 1, \"endpoint\": \"db\", \"remote-app\": \"a\", \"peer\": false,"
		   " \"alive\": true, \"units\": {\"a/0\": {\"version\": 1, \"bag\": {\"k\": 1}}},"
		   " \"app-version\": 0}]", "key \"k\": expected a string");
	expect_bad("[{\"id\": 1, \"endpoint\": \"db\", \"remote-app\": \"a\", \"peer\": false,"
		   " \"alive\": true, \"units\": {}, \"app-version\": 0, \"app-bag\": []}]",
		   "field \"app-bag\"");
	expect_bad("[{\"id\": 1, \"endpoint\": \"db\", \"remote-app\": \"a\", \"peer\": false,"
		   " \"alive\": true, \"units\": {}, \"app-version\": 0},"
		   " {\"id\": 1, \"endpoint\": \"x\", \"remote-app\": \"b\", \"peer\": false,"
		   " \"alive\": true, \"units\": {}, \"app-version\": 0}]", "listed twice");
}

static void test_fill_ctx(void)
{
	struct relgoal_doc d, prev;
	struct relstate rs;
	struct relhook h = { 0 };
	struct hook_ctx ctx;
	struct errbuf eb;
	json_t *v = js(doc1), *pv;
	char *s;

	ASSERT_EQ(relgoal_parse(v, true, true, &d, &eb), 0);
	json_decref(v);
	/* The unit has created relation 4 and seen mysql/0 join. */
	relstate_init(&rs);
	h.kind = RELHOOK_CREATED;
	h.relation_id = 4;
	snprintf(h.endpoint, sizeof(h.endpoint), "db");
	snprintf(h.remote_app, sizeof(h.remote_app), "mysql");
	relstate_commit(&rs, &h);
	h.kind = RELHOOK_JOINED;
	snprintf(h.remote_unit, sizeof(h.remote_unit), "mysql/0");
	relstate_commit(&rs, &h);
	h.kind = RELHOOK_CHANGED;
	relstate_commit(&rs, &h);
	/* Now mysql/1 joins: it is a member during its own -joined. */
	snprintf(h.remote_unit, sizeof(h.remote_unit), "mysql/1");
	h.kind = RELHOOK_JOINED;
	memset(&ctx, 0, sizeof(ctx));
	relgoal_fill_ctx(&d, NULL, &rs, &h, &ctx);
	ASSERT_EQ(ctx.n_relations, 1); /* the peer relation was never created */
	ASSERT_TRUE(ctx.in_relation && ctx.relation_id == 4);
	s = json_dumps(ctx.relations[0].members, JSON_COMPACT);
	ASSERT_STREQ(s, "[\"mysql/0\",\"mysql/1\"]");
	free(s);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(ctx.relations[0].remote_units,
								       "mysql/1"), "host")), "b");
	ASSERT_STREQ(json_string_value(json_object_get(ctx.relations[0].remote_app_bag, "database")), "wp");
	ASSERT_STREQ(json_string_value(json_object_get(ctx.relations[0].unit_bag, "private-address")),
		     "10.0.0.1");
	hook_ctx_done_extras(&ctx);

	/* A -departed for mysql/0: not a member any more, its bag still readable from the
	 * previous goal once the new one no longer lists it. */
	relstate_commit(&rs, &h);
	pv = js("[{\"id\": 4, \"endpoint\": \"db\", \"remote-app\": \"mysql\", \"peer\": false,"
		" \"alive\": true, \"app-version\": 2, \"units\": {\"mysql/1\": {\"version\": 3}}}]");
	prev = d;
	ASSERT_EQ(relgoal_parse(pv, true, true, &d, &eb), 0);
	json_decref(pv);
	h.kind = RELHOOK_DEPARTED;
	snprintf(h.remote_unit, sizeof(h.remote_unit), "mysql/0");
	memset(&ctx, 0, sizeof(ctx));
	relgoal_fill_ctx(&d, &prev, &rs, &h, &ctx);
	s = json_dumps(ctx.relations[0].members, JSON_COMPACT);
	ASSERT_STREQ(s, "[\"mysql/1\"]");
	free(s);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(ctx.relations[0].remote_units,
								       "mysql/0"), "host")), "a");
	hook_ctx_done_extras(&ctx);

	/* A -relation-created for the peer relation: listed with no members. */
	memset(&h, 0, sizeof(h));
	h.kind = RELHOOK_CREATED;
	h.relation_id = 1;
	h.peer = true;
	snprintf(h.endpoint, sizeof(h.endpoint), "peers");
	snprintf(h.remote_app, sizeof(h.remote_app), "web");
	memset(&ctx, 0, sizeof(ctx));
	relgoal_fill_ctx(&prev, NULL, &rs, &h, &ctx);
	ASSERT_EQ(ctx.n_relations, 2);
	ASSERT_EQ(ctx.relations[0].id, 1);
	ASSERT_EQ(json_array_size(ctx.relations[0].members), 0);
	ASSERT_TRUE(ctx.relations[0].peer);
	hook_ctx_done_extras(&ctx);

	relgoal_done(&d);
	relgoal_done(&prev);
	relstate_done(&rs);
}

int main(void)
{
	RUN(test_parse_and_views);
	RUN(test_bad_input);
	RUN(test_fill_ctx);
	return test_summary();
}
