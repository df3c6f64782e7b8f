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

int main(void)
{
	setup();
	RUN(test_add_units_all_or_nothing);
	RUN(test_sequenced_changes_survive);
	RUN(test_machines_and_config);
	fs_rm_rf(home);
	free(home);
	return test_summary();
}
