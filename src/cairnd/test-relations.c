/* test-relations.c - the relations store: ids, scopes, bag versions, dying and deletion,
 * and that everything survives closing and reopening the database. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairnd/relations.h"
#include "lib/gofmt.h"
#include "lib/test.h"

static char dbpath[] = "/tmp/test-relations-XXXXXX";

static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return NULL;
	return db;
}

static struct rel_endpoint web_db = { .app = "web", .name = "db", .interface = "mysql",
				      .role = REL_REQUIRER };
static struct rel_endpoint mysql_server = { .app = "mysql", .name = "server", .interface = "mysql",
					    .role = REL_PROVIDER, .limit = 3 };
static struct rel_endpoint pg_peer = { .app = "pg", .name = "replicas", .interface = "pgpeer",
				       .role = REL_PEER };

static char *js(json_t *v)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	gofmt_json(&b, v);
	return buf_detach(&b);
}

static void test_lifecycle_and_persistence(void)
{
	sqlite3 *db = open_db();
	struct relstore *s = NULL;
	struct rel_endpoint pair[2] = { web_db, mysql_server };
	struct crel *r, *p;
	struct errbuf eb;
	json_t *bag;
	char *t;

	ASSERT_TRUE(db);
	ASSERT_EQ(relstore_open(db, &s, &eb), 0);
	ASSERT_EQ(relstore_add(s, &pg_peer, 1, &p, &eb), 0);
	ASSERT_EQ(p->id, 0);
	ASSERT_STREQ(p->key, "pg:replicas");
	ASSERT_EQ(relstore_add(s, pair, 2, &r, &eb), 0);
	ASSERT_EQ(r->id, 1);
	ASSERT_STREQ(r->key, "web:db mysql:server");
	ASSERT_TRUE(relstore_find_key(s, "web:db mysql:server") == r);
	ASSERT_EQ(relstore_endpoint_count(s, "mysql", "server"), 1);
	ASSERT_EQ(crel_side_of(r, "mysql"), 1);

	bag = json_pack("{s:s}", "private-address", "10.0.0.5");
	ASSERT_EQ(relstore_enter_scope(s, r, "web/0", bag, &eb), 0);
	ASSERT_EQ(relstore_enter_scope(s, r, "mysql/0", bag, &eb), 0);
	ASSERT_EQ(crel_scope_find(r, "web/0")->version, 1);
	json_decref(bag);
	/* A commit that changes the bag bumps the version; one that changes nothing does not. */
	bag = json_pack("{s:s, s:s}", "private-address", "10.0.0.5", "host", "db.example");
	ASSERT_EQ(relstore_set_unit_bag(s, r, "mysql/0", bag, &eb), 0);
	ASSERT_EQ(relstore_set_unit_bag(s, r, "mysql/0", bag, &eb), 0);
	ASSERT_EQ(crel_scope_find(r, "mysql/0")->version, 2);
	json_decref(bag);
	bag = json_pack("{s:s}", "database", "wp");
	ASSERT_EQ(relstore_set_app_bag(s, r, "mysql", bag, &eb), 0);
	ASSERT_EQ(r->side[1].app_version, 1);
	ASSERT_EQ(r->side[0].app_version, 0);
	ASSERT_TRUE(relstore_set_unit_bag(s, r, "web/9", bag, &eb) < 0);
	ASSERT_TRUE(relstore_set_app_bag(s, r, "nope", bag, &eb) < 0);
	json_decref(bag);

	/* Close and reopen: everything committed is there. */
	relstore_free(s);
	sqlite3_close(db);
	db = open_db();
	ASSERT_EQ(relstore_open(db, &s, &eb), 0);
	ASSERT_EQ(s->n, 2);
	r = relstore_find(s, 1);
	ASSERT_TRUE(r);
	ASSERT_EQ(r->n_units, 2);
	ASSERT_EQ(crel_scope_find(r, "mysql/0")->version, 2);
	t = js(crel_scope_find(r, "mysql/0")->bag);
	ASSERT_STREQ(t, "{\"host\":\"db.example\",\"private-address\":\"10.0.0.5\"}");
	free(t);
	ASSERT_EQ(r->side[1].app_version, 1);
	ASSERT_EQ(r->side[1].limit, 3);

	/* Status views. */
	{
		json_t *apps = relstore_status_app(s, "web");

		t = js(apps);
		json_decref(apps);
	}
	ASSERT_STREQ(t, "{\"db\":[{\"interface\":\"mysql\",\"related-application\":\"mysql\","
			"\"scope\":\"global\"}]}");
	free(t);
	{
		json_t *rows = relstore_status_rows(s, NULL, NULL);

		t = js(rows);
		json_decref(rows);
	}
	ASSERT_CONTAINS(t, "\"provider\":\"mysql:server\",\"requirer\":\"web:db\",\"status\":\"joined\",\"type\":\"regular\"");
	ASSERT_CONTAINS(t, "\"provider\":\"pg:replicas\",\"requirer\":\"pg:replicas\",\"status\":\"joining\",\"type\":\"peer\"");
	free(t);

	/* Dying: kept while anyone is in scope, deleted when the last one leaves. */
	ASSERT_EQ(relstore_set_dying(s, r, &eb), 0);
	ASSERT_EQ(relstore_leave_scope(s, r, "web/0", &eb), 0);
	ASSERT_TRUE(relstore_find(s, 1) != NULL);
	ASSERT_EQ(relstore_unit_gone(s, "mysql/0", &eb), 0);
	ASSERT_TRUE(relstore_find(s, 1) == NULL);
	/* A relation nobody entered goes as soon as it is dying. */
	p = relstore_find(s, 0);
	ASSERT_EQ(relstore_set_dying(s, p, &eb), 0);
	ASSERT_EQ(s->n, 0);

	/* Ids are never reused, across restarts too. */
	relstore_free(s);
	sqlite3_close(db);
	db = open_db();
	ASSERT_EQ(relstore_open(db, &s, &eb), 0);
	ASSERT_EQ(s->n, 0);
	ASSERT_EQ(relstore_add(s, pair, 2, &r, &eb), 0);
	ASSERT_EQ(r->id, 2);
	relstore_free(s);
	sqlite3_close(db);
}

static void test_rollback_reload(void)
{
	sqlite3 *db = open_db();
	struct relstore *s = NULL;
	struct rel_endpoint pair[2] = { web_db, mysql_server };
	struct crel *r;
	struct errbuf eb;

	ASSERT_EQ(relstore_open(db, &s, &eb), 0);
	ASSERT_EQ(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(relstore_add(s, pair, 2, &r, &eb), 0);
	ASSERT_EQ(relstore_enter_scope(s, r, "web/0", NULL, &eb), 0);
	/* The caller's transaction fails: memory follows what SQLite kept. */
	ASSERT_EQ(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ASSERT_EQ(relstore_reload(s, &eb), 0);
	ASSERT_TRUE(relstore_find(s, r ? 3 : 3) == NULL);
	ASSERT_EQ(relstore_add(s, pair, 2, &r, &eb), 0);
	ASSERT_EQ(r->id, 3);
	relstore_free(s);
	sqlite3_close(db);
}

static const char *principal_of(void *data, const char *unit)
{
	(void)data;
	/* ntp/0 sits beside web/0, ntp/1 beside web/1. */
	if (!strcmp(unit, "ntp/0"))
		return "web/0";
	if (!strcmp(unit, "ntp/1"))
		return "web/1";
	return unit;
}

static void test_unit_goal(void)
{
	sqlite3 *db = NULL;
	struct relstore *s = NULL;
	struct rel_endpoint pair[2] = { web_db, mysql_server };
	struct rel_endpoint sub[2] = { { .app = "ntp", .name = "juju-info", .interface = "juju-info",
					 .role = REL_REQUIRER, .container = true },
				       { .app = "web", .name = "juju-info", .interface = "juju-info",
					 .role = REL_PROVIDER } };
	struct crel *r, *c;
	struct errbuf eb;
	json_t *g, *bag;
	char *t;

	ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
	ASSERT_EQ(relstore_open(db, &s, &eb), 0);
	ASSERT_EQ(relstore_add(s, pair, 2, &r, &eb), 0);
	ASSERT_EQ(relstore_add(s, sub, 2, &c, &eb), 0);
	bag = json_pack("{s:s}", "k", "v");
	ASSERT_EQ(relstore_enter_scope(s, r, "web/0", bag, &eb), 0);
	ASSERT_EQ(relstore_enter_scope(s, r, "mysql/0", bag, &eb), 0);
	ASSERT_EQ(relstore_set_app_bag(s, r, "mysql", bag, &eb), 0);
	ASSERT_EQ(relstore_set_app_bag(s, r, "web", bag, &eb), 0);
	for (const char *const *u = (const char *const[]){ "web/0", "web/1", "ntp/0", "ntp/1", NULL }; *u; u++)
		ASSERT_EQ(relstore_enter_scope(s, c, *u, NULL, &eb), 0);
	json_decref(bag);

	g = relstore_unit_goal(s, "web/0", "web", false, principal_of, NULL);
	t = js(g);
	/* Not the leader: no local-app-bag in the regular relation; only ntp/0 is visible
	 * over the container-scoped one. */
	ASSERT_STREQ(t, "[{\"alive\":true,\"app-bag\":{\"k\":\"v\"},\"app-version\":1,\"endpoint\":\"db\","
			"\"id\":0,\"interface\":\"mysql\",\"peer\":false,\"remote-app\":\"mysql\",\"unit-bag\":"
			"{\"k\":\"v\"},\"units\":{\"mysql/0\":{\"bag\":{\"k\":\"v\"},\"version\":1}}},"
			"{\"alive\":true,\"app-bag\":{},\"app-version\":0,\"endpoint\":\"juju-info\",\"id\":1,"
			"\"interface\":\"juju-info\",\"peer\":false,\"remote-app\":\"ntp\",\"unit-bag\":{},"
			"\"units\":{\"ntp/0\":{\"bag\":{},\"version\":1}}}]");
	free(t);
	json_decref(g);
	g = relstore_unit_goal(s, "ntp/1", "ntp", true, principal_of, NULL);
	t = js(g);
	ASSERT_CONTAINS(t, "\"units\":{\"web/1\":{");
	ASSERT_CONTAINS(t, "\"local-app-bag\":{}");
	ASSERT_TRUE(!strstr(t, "web/0"));
	free(t);
	json_decref(g);
	relstore_free(s);
	sqlite3_close(db);
}

int main(void)
{
	RUN(test_unit_goal);
	int fd = mkstemp(dbpath);

	if (fd >= 0)
		close(fd);
	RUN(test_lifecycle_and_persistence);
	RUN(test_rollback_reload);
	unlink(dbpath);
	return test_summary();
}
