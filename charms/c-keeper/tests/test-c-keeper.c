/* test-c-keeper.c - the keeper charm, unit-tested through the harness: the leader publishes
 * into every store relation's application bag and the leader settings, a non-leader writes
 * no application data and shows what the leader serves, a joining reader gets the unit's
 * addresses, readers' reports are kept and forgotten as they depart or the relation breaks,
 * and both actions (params with defaults, nested results, action-log, action-fail). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/charm.h>

#include "keeper.h"
#include "lib/test.h"

static struct cairn_harness *new_harness(const char *unit)
{
	struct cairn_harness_opts o = { .charm_dir = getenv("CHARM_SRC"), .unit_name = unit };
	struct cairn_harness *h = NULL;
	struct cairn_error err;

	if (cairn_harness_new(&o, keeper_setup, NULL, &h, &err) < 0) {
		printf("harness: %s\n", err.message);
		return NULL;
	}
	return h;
}

static void deploy(struct cairn_harness *h, bool leader)
{
	cairn_harness_set_leader(h, leader);
	cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL);
	cairn_harness_emit(h, leader ? CAIRN_EVENT_LEADER_ELECTED : CAIRN_EVENT_LEADER_SETTINGS_CHANGED, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_START, NULL, NULL);
}

static void test_leader_publishes(void)
{
	struct cairn_harness *h = new_harness(NULL);
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;
	int a, b;

	ASSERT_TRUE(h);
	deploy(h, true);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	ASSERT_STREQ(msg, "serving hello");
	ASSERT_STREQ(cairn_harness_leader_setting(h, "value"), "hello");
	/* Two readers: each relation's application bag gets the value when it is created. */
	ASSERT_EQ(cairn_harness_add_relation(h, "store", "reader", &a, &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CREATED, a, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_add_relation(h, "store", "other", &b, &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CREATED, b, NULL, &err), 0);
	ASSERT_STREQ(cairn_harness_relation_data(h, a, "c-keeper", "value"), "hello");
	ASSERT_STREQ(cairn_harness_relation_data(h, b, "c-keeper", "value"), "hello");
	/* A config change reaches every relation and the leader settings. */
	ASSERT_EQ(cairn_harness_set_config(h, "value", cairn_value_string("cairn"), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	ASSERT_STREQ(cairn_harness_relation_data(h, a, "c-keeper", "value"), "cairn");
	ASSERT_STREQ(cairn_harness_relation_data(h, b, "c-keeper", "value"), "cairn");
	ASSERT_STREQ(cairn_harness_leader_setting(h, "value"), "cairn");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "leader-set -- value=cairn\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "relation-set -r store:0 --app --file -\n");
	cairn_harness_free(h);
}

static void test_non_leader_writes_no_app_data(void)
{
	struct cairn_harness *h = new_harness("c-keeper/1");
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;
	int a;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_set_leader_setting(h, "value", "from-leader", &err), 0);
	deploy(h, false);
	ASSERT_EQ(cairn_harness_add_relation(h, "store", "reader", &a, &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CREATED, a, NULL, &err), 0);
	ASSERT_TRUE(cairn_harness_relation_data(h, a, "c-keeper", "value") == NULL);
	ASSERT_TRUE(!strstr(cairn_harness_tool_calls(h), "--app --file"));
	ASSERT_TRUE(!strstr(cairn_harness_tool_calls(h), "leader-set"));
	/* It shows what the leader settings say is served. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_LEADER_SETTINGS_CHANGED, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_STREQ(msg, "serving from-leader (from the leader)");
	cairn_harness_free(h);
}

static void test_joined_reader_gets_addresses(void)
{
	struct cairn_harness *h = new_harness(NULL);
	struct cairn_error err;
	int a;

	ASSERT_TRUE(h);
	deploy(h, true);
	ASSERT_EQ(cairn_harness_set_network(h, "store", "192.0.2.7", &err), 0);
	ASSERT_EQ(cairn_harness_add_relation(h, "store", "reader", &a, &err), 0);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, a, "reader/0", &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_JOINED, a, "reader/0", &err), 0);
	ASSERT_STREQ(cairn_harness_relation_data(h, a, "c-keeper/0", "host"), "192.0.2.7");
	/* unit-get answers the default address: no binding of its own. */
	ASSERT_STREQ(cairn_harness_relation_data(h, a, "c-keeper/0", "address"), "10.0.0.10");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "network-get --format=json -r store:0 store\n");
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "unit-get --format=json private-address\n");
	cairn_harness_free(h);
}

static void test_readers_action(void)
{
	struct cairn_harness *h = new_harness(NULL);
	struct cairn_harness_action_output out;
	struct cairn_error err;
	const char *s;
	int64_t n;
	int a;

	ASSERT_TRUE(h);
	deploy(h, true);
	/* No reader yet: the action fails (the dispatch itself succeeds). */
	ASSERT_EQ(cairn_harness_run_action(h, "readers", NULL, &out, &err), 0);
	ASSERT_TRUE(out.failed);
	ASSERT_STREQ(out.fail_message, "no readers related");
	ASSERT_EQ(cairn_harness_add_relation(h, "store", "reader", &a, &err), 0);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, a, "reader/0", &err), 0);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, a, "reader/1", &err), 0);
	ASSERT_EQ(cairn_harness_set_relation_data(h, a, "reader/0", "seen", "hello", &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, a, "reader/0", &err), 0);
	ASSERT_EQ(cairn_harness_set_relation_data(h, a, "reader/1", "seen", "hello", &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, a, "reader/1", &err), 0);
	/* An application-bag change (no remote unit) records nothing. */
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, a, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_run_action(h, "readers", NULL, &out, &err), 0);
	ASSERT_TRUE(!out.failed);
	ASSERT_EQ(cairn_map_int(out.results, "count", 0, &n, NULL), -EDOM); /* action-set stores strings */
	ASSERT_EQ(cairn_map_string(out.results, "count", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "2");
	/* action-set readers.reader-0=hello nests, as under Juju. */
	ASSERT_TRUE(cairn_map_get(out.results, "readers.reader-0") == NULL);
	ASSERT_EQ(cairn_map_string(cairn_map_get(out.results, "readers"), "reader-0", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "hello");
	ASSERT_EQ(cairn_value_get_string(cairn_map_get_path(out.results, "readers.reader-1"), &s), 0);
	ASSERT_STREQ(s, "hello");
	/* reader/1 departs: forgotten. */
	ASSERT_EQ(cairn_harness_remove_relation_unit(h, a, "reader/1", &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_DEPARTED, a, "reader/1", &err), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO reader/1 left relation store:0");
	ASSERT_EQ(cairn_harness_run_action(h, "readers", NULL, &out, &err), 0);
	ASSERT_EQ(cairn_map_string(out.results, "count", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "1");
	/* The relation breaks: nobody is left. */
	ASSERT_EQ(cairn_harness_remove_relation(h, a, &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_BROKEN, a, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_run_action(h, "readers", NULL, &out, &err), 0);
	ASSERT_TRUE(out.failed);
	cairn_harness_free(h);
}

static void test_get_value_action(void)
{
	struct cairn_harness *h = new_harness(NULL);
	struct cairn_harness_action_output out;
	struct cairn_value *p = cairn_value_map();
	struct cairn_error err;
	const char *s;
	int a;

	ASSERT_TRUE(h);
	deploy(h, true);
	ASSERT_EQ(cairn_harness_add_relation(h, "keepers", NULL, &a, &err), 0);
	ASSERT_EQ(cairn_harness_add_relation_unit(h, a, "c-keeper/1", &err), 0);
	/* Defaults from actions.yaml: no prefix, one repeat. */
	ASSERT_EQ(cairn_harness_run_action(h, "get-value", NULL, &out, &err), 0);
	ASSERT_TRUE(!out.failed);
	ASSERT_EQ(cairn_map_string(out.results, "value", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "hello");
	ASSERT_EQ(cairn_map_string(out.results, "planned-units", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "2");
	ASSERT_EQ(cairn_value_get_string(cairn_map_get_path(out.results, "address.ingress"), &s), 0);
	ASSERT_STREQ(s, "10.0.0.10");
	ASSERT_TRUE(out.logs[0] && !strcmp(out.logs[0], "reading the served value") && !out.logs[1]);
	cairn_map_set_string(p, "prefix", "> ");
	cairn_map_set_int(p, "repeat", 2);
	ASSERT_EQ(cairn_harness_run_action(h, "get-value", p, &out, &err), 0);
	ASSERT_EQ(cairn_map_string(out.results, "value", NULL, &s, NULL), 0);
	ASSERT_STREQ(s, "> hellohello");
	/* A parameter of the wrong type is refused before the action runs, with Juju's
	 * schema-validation text, as `juju run` refuses it. */
	cairn_map_set_string(p, "repeat", "x");
	ASSERT_EQ(cairn_harness_run_action(h, "get-value", p, &out, &err), -EINVAL);
	ASSERT_EQ(err.kind, CAIRN_ERR_INVALID);
	ASSERT_STREQ(err.message, "validation failed: (root).repeat : must be of type integer, given \"x\"");
	cairn_map_set_int(p, "repeat", 0);
	ASSERT_EQ(cairn_harness_run_action(h, "get-value", p, &out, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "(root).repeat");
	cairn_map_set_int(p, "repeat", 1);
	cairn_map_set_string(p, "bogus", "x");
	ASSERT_EQ(cairn_harness_run_action(h, "get-value", p, &out, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "additional property \"bogus\" is not allowed");
	cairn_value_free(p);
	cairn_harness_free(h);
}

int main(void)
{
	RUN(test_leader_publishes);
	RUN(test_non_leader_writes_no_app_data);
	RUN(test_joined_reader_gets_addresses);
	RUN(test_readers_action);
	RUN(test_get_value_action);
	return test_summary();
}
