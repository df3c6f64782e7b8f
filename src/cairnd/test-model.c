/* Unit tests for the controller's model: memory changes only after a commit (a transaction
 * that fails half-way - here on a unit row that already exists - leaves memory exactly as
 * it was), what agents report is applied with its sequence number in the same transaction and
 * survives a restart, machines and their credentials, model config in one transaction. */
#include "cairnd/model.h"
#include "charm/charm.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *home;
static char digest[CHARM_DIGEST_HEX];

static struct charm *load_fixture(void)
{
	struct charm *c = NULL;
	struct errbuf eb;

	if (charm_load_dir(CAIRND_TESTDATA "/full", &c, &eb) < 0)
		printf("fixture: %s\n", eb.msg);
	return c;
}

static void setup(void)
{
	char t[] = "/tmp/test-model-XXXXXX";
	struct errbuf eb;
	char *dir, *tmp, *final;

	home = xstrdup(mkdtemp(t));
	dir = xasprintf("%s/charms", home);
	fs_mkdir_p(dir, 0755);
	tmp = xasprintf("%s/x.charm", dir);
	charm_pack(CAIRND_TESTDATA "/full", tmp, &eb);
	charm_digest_file(tmp, digest, NULL, &eb);
	final = xasprintf("%s/%s.charm", dir, digest);
	rename(tmp, final);
	free(dir);
	free(tmp);
	free(final);
}

static void test_add_units_all_or_nothing(void)
{
	struct model *m;
	struct model_app *a;
	struct model_unit *u[3];
	struct errbuf eb;

	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_TRUE(model_find_machine(m, 0) != NULL);
	json_t *res = json_object();

	ASSERT_EQ(model_add_app(m, "web", load_fixture(), digest, 100, 0, json_object(), res, &a, &eb), 0);
	json_decref(res);
	ASSERT_EQ(model_add_units(m, a, 3, 0, u, &eb), 0);
	ASSERT_STREQ(a->leader, "web/0");
	ASSERT_EQ(a->n_units, 3);
	ASSERT_EQ(model_find_machine(m, 0)->n_units, 3);
	/* A row that is in the way of the second of three new units: the transaction fails there
	 * and rolls back; memory must not have moved at all. */
	ASSERT_EQ(sqlite3_exec(m->db, "INSERT INTO units(name, app, num, machine, dying, charm_set_status,"
				      " state, ports) VALUES('web/4', 'ghost', 4, 0, 0, 0, '{}', '[]')",
			       NULL, NULL, NULL), SQLITE_OK);
	ASSERT_TRUE(model_add_units(m, a, 3, 0, u, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot write state");
	ASSERT_EQ(a->n_units, 3);
	ASSERT_EQ(a->next_unit, 3);
	ASSERT_EQ(model_find_machine(m, 0)->n_units, 3);
	ASSERT_TRUE(model_find_unit(m, "web/3") == NULL);
	/* Nor did the store: web/3 is not there either. */
	sqlite3_stmt *st;
	ASSERT_EQ(sqlite3_prepare_v2(m->db, "SELECT COUNT(*) FROM units WHERE name = 'web/3'", -1, &st, NULL),
		  SQLITE_OK);
	ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
	ASSERT_EQ(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	/* Units on a machine that does not exist are refused. */
	ASSERT_TRUE(model_add_units(m, a, 1, 42, u, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "machine 42 not found");
	model_close(m);
}

static void test_sequenced_changes_survive(void)
{
	struct model *m;
	struct model_unit *u;
	struct errbuf eb;
	json_t *journal = json_pack("{s:s}", "op", "continue");
	json_t *state = json_pack("{s:s}", "k", "v");

	ASSERT_EQ(model_open(home, &m, &eb), 0);
	u = model_find_unit(m, "web/1");
	ASSERT_TRUE(u != NULL);
	ASSERT_EQ(u->last_seq, 0);
	ASSERT_EQ(model_set_status(m, u, MODEL_STATUS_WORKLOAD, "active", "ok", NULL, true, 4, &eb), 0);
	ASSERT_EQ(u->last_seq, 4);
	ASSERT_EQ(model_commit_hook(m, u, journal, state, NULL, "1.0", 7, &eb), 0);
	ASSERT_EQ(u->last_seq, 7);
	ASSERT_EQ(model_log_status(m, u, "hook", "start", "exit 0", 1, 9, &eb), 0);
	ASSERT_EQ(model_set_resolve(m, u, "no-hooks", &eb), 0);
	model_close(m);
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	u = model_find_unit(m, "web/1");
	ASSERT_EQ(u->last_seq, 9);
	ASSERT_STREQ(u->wl.current, "active");
	ASSERT_STREQ(json_string_value(json_object_get(u->state, "k")), "v");
	ASSERT_STREQ(u->workload_version, "1.0");
	ASSERT_EQ(u->resolve_gen, 1);
	ASSERT_STREQ(u->resolve_mode, "no-hooks");
	/* Generations grow across restarts (a new epoch each time). */
	uint64_t g = model_next_gen(m);
	model_close(m);
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_TRUE(model_next_gen(m) > g);
	model_close(m);
	json_decref(journal);
	json_decref(state);
}

static void test_machines_and_config(void)
{
	struct model *m;
	struct model_machine *mc;
	struct errbuf eb;
	json_t *addrs = json_pack("[s]", "10.1.2.3");

	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_EQ(model_add_machine(m, "hash", 12345, &mc, &eb), 0);
	ASSERT_EQ(mc->id, 1);
	ASSERT_EQ(model_enlist_machine(m, mc, "pwhash", "salt", &eb), 0);
	ASSERT_TRUE(mc->token_hash == NULL);
	ASSERT_EQ(model_set_machine_host(m, mc, "h1", addrs, &eb), 0);
	/* A machine with units cannot be deleted. */
	ASSERT_EQ(model_add_units(m, model_find_app(m, "web"), 1, 1, NULL, &eb), 0);
	ASSERT_EQ(model_delete_machine(m, mc, &eb), -EBUSY);
	model_close(m);
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	mc = model_find_machine(m, 1);
	ASSERT_TRUE(mc && !strcmp(mc->password_hash, "pwhash"));
	ASSERT_STREQ(json_string_value(json_array_get(mc->addresses, 0)), "10.1.2.3");
	ASSERT_EQ(mc->n_units, 1);
	ASSERT_EQ(model_delete_unit(m, model_find_unit(m, "web/3"), &eb), 0);
	ASSERT_EQ(model_delete_machine(m, mc, &eb), 0);
	ASSERT_TRUE(model_find_machine(m, 1) == NULL);
	/* Model config: sets and resets in one transaction. */
	json_t *set = json_pack("{s:s, s:s}", "update-status-hook-interval", "10s",
				"automatically-retry-hooks", "false");
	json_t *reset = json_pack("[s]", "automatically-retry-hooks");
	ASSERT_EQ(model_config_update(m, set, reset, &eb), 0);
	ASSERT_STREQ(model_config_get(m, "update-status-hook-interval"), "10s");
	ASSERT_STREQ(model_config_get(m, "automatically-retry-hooks"), "true");
	ASSERT_EQ(model_ctlcfg_set(m, "api-port", "4242", &eb), 0);
	model_close(m);
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	ASSERT_STREQ(model_ctlcfg_get(m, "api-port"), "4242");
	ASSERT_STREQ(model_config_get(m, "update-status-hook-interval"), "10s");
	model_close(m);
	json_decref(set);
	json_decref(reset);
	json_decref(addrs);
}

static int batch_failures;

static void on_batch_failed(void *data)
{
	(void)data;
	batch_failures++;
}

static int64_t db_count(struct model *m, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Reports in a batch: one transaction; a report that fails is rolled back alone; a commit that
 * fails restores every unit the batch touched and says so; every other change commits an open
 * batch first. */
static void test_batches(void)
{
	struct model *m;
	struct model_unit *u0, *u1;
	struct errbuf eb;
	json_t *j1 = json_pack("{s:s}", "op", "one"), *boom = json_pack("{s:s}", "op", "boom");
	json_t *late = json_pack("{s:s}", "op", "late-fail"), *st = json_pack("{s:s}", "a", "b");
	json_t *empty = json_object(), *ports = json_pack("[s]", "80/tcp");

	ASSERT_EQ(model_open(home, &m, &eb), 0);
	model_set_batch_failed(m, on_batch_failed, NULL);
	/* A statement that fails at once (journal "boom"), and one that fails only at commit (a
	 * deferred foreign key, for journal "late-fail"). */
	ASSERT_EQ(sqlite3_exec(m->db,
			       "PRAGMA foreign_keys=ON;"
			       "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
			       "CREATE TABLE child(p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);"
			       "CREATE TRIGGER t_boom BEFORE UPDATE OF journal ON units"
			       "  WHEN NEW.journal LIKE '%boom%' BEGIN SELECT RAISE(ABORT, 'boom'); END;"
			       "CREATE TRIGGER t_late AFTER UPDATE OF journal ON units"
			       "  WHEN NEW.journal LIKE '%late-fail%' BEGIN INSERT INTO child VALUES(42); END;",
			       NULL, NULL, NULL), SQLITE_OK);
	u0 = model_find_unit(m, "web/0");
	u1 = model_find_unit(m, "web/2");
	int64_t seq0 = u0->last_seq, seq1 = u1->last_seq;

	/* 1. Three reports, one commit; the failing one changes nothing, the others stay. */
	model_batch_begin(m);
	ASSERT_EQ(model_set_status(m, u0, MODEL_STATUS_WORKLOAD, "blocked", "b1", NULL, true, seq0 + 1, &eb), 0);
	ASSERT_TRUE(model_save_journal(m, u1, boom, seq1 + 1, &eb) < 0);
	ASSERT_TRUE(u1->journal == NULL || !json_equal(u1->journal, boom));
	ASSERT_EQ(u1->last_seq, seq1);
	ASSERT_EQ(model_commit_hook(m, u1, j1, st, NULL, "2.0", seq1 + 2, &eb), 0);
	ASSERT_STREQ(u0->wl.current, "blocked");
	ASSERT_EQ(model_batch_commit(m, &eb), 0);
	ASSERT_EQ(batch_failures, 0);
	ASSERT_EQ(u1->last_seq, seq1 + 2);
	/* 2. A commit that fails: both units as they were before the batch. */
	model_batch_begin(m);
	ASSERT_EQ(model_set_status(m, u0, MODEL_STATUS_WORKLOAD, "active", "a2", NULL, true, seq0 + 2, &eb), 0);
	ASSERT_EQ(model_set_status(m, u0, MODEL_STATUS_AGENT, "error", "e2", NULL, false, seq0 + 3, &eb), 0);
	ASSERT_EQ(model_set_status(m, u0, MODEL_STATUS_APP, "waiting", "w2", NULL, true, seq0 + 4, &eb), 0);
	ASSERT_STREQ(model_app_current(u0->app), "waiting");
	ASSERT_EQ(model_commit_hook(m, u1, late, empty, ports, "3.0", seq1 + 3, &eb), 0);
	ASSERT_EQ(model_log_status(m, u1, "hook", "x", "exit 0", 1, seq1 + 4, &eb), 0);
	ASSERT_TRUE(model_batch_commit(m, &eb) < 0);
	ASSERT_EQ(batch_failures, 1);
	ASSERT_STREQ(u0->wl.current, "blocked");
	ASSERT_STREQ(u0->wl.message, "b1");
	ASSERT_TRUE(!u0->agent.current || strcmp(u0->agent.current, "error"));
	ASSERT_TRUE(!u0->app->status_set);
	ASSERT_EQ(u0->last_seq, seq0 + 1);
	ASSERT_TRUE(json_equal(u1->journal, j1));
	ASSERT_TRUE(json_equal(u1->state, st));
	ASSERT_EQ(json_array_size(u1->ports), 0);
	ASSERT_STREQ(u1->workload_version, "2.0");
	ASSERT_EQ(u1->last_seq, seq1 + 2);
	ASSERT_EQ(u0->app->n_sev[MODEL_SEV_BLOCKED], 1);
	ASSERT_EQ(u0->app->n_sev[MODEL_SEV_ERROR], 0);
	ASSERT_EQ(db_count(m, "SELECT COUNT(*) FROM status_log WHERE message = 'exit 0' AND status = 'x'"), 0);
	/* 3. Any other change commits the open batch first. */
	model_batch_begin(m);
	ASSERT_EQ(model_set_status(m, u0, MODEL_STATUS_WORKLOAD, "active", "a3", NULL, true, seq0 + 2, &eb), 0);
	ASSERT_EQ(model_set_resolve(m, u0, "retry-hooks", &eb), 0);
	ASSERT_EQ(db_count(m, "SELECT COUNT(*) FROM units WHERE name = 'web/0' AND wl_message = 'a3'"), 1);
	ASSERT_EQ(model_batch_commit(m, &eb), 0); /* nothing left open */
	model_close(m);
	/* What memory said is what is committed. */
	ASSERT_EQ(model_open(home, &m, &eb), 0);
	u0 = model_find_unit(m, "web/0");
	u1 = model_find_unit(m, "web/2");
	ASSERT_STREQ(u0->wl.message, "a3");
	ASSERT_EQ(u0->last_seq, seq0 + 2);
	ASSERT_TRUE(json_equal(u1->journal, j1));
	ASSERT_STREQ(u1->workload_version, "2.0");
	ASSERT_EQ(u1->last_seq, seq1 + 2);
	model_close(m);
	json_decref(j1);
	json_decref(boom);
	json_decref(late);
	json_decref(st);
	json_decref(empty);
	json_decref(ports);
}

int main(void)
{
	setup();
	RUN(test_add_units_all_or_nothing);
	RUN(test_sequenced_changes_survive);
	RUN(test_machines_and_config);
	RUN(test_batches);
	fs_rm_rf(home);
	free(home);
	return test_summary();
}
