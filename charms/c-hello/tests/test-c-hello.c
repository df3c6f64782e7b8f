/* test-c-hello.c - the hello charm, unit-tested through the harness: the deploy sequence,
 * config changes, update-status, the greet action, upgrade and removal. */
#include <stdlib.h>
#include <string.h>

#include <cairn/charm.h>

#include "hello.h"
#include "lib/test.h"

static struct cairn_harness *new_harness(void)
{
	struct cairn_harness_opts o = { .charm_dir = getenv("CHARM_SRC") };
	struct cairn_harness *h = NULL;
	struct cairn_error err;

	if (cairn_harness_new(&o, hello_setup, NULL, &h, &err) < 0) {
		printf("harness: %s\n", err.message);
		return NULL;
	}
	return h;
}

static void deploy(struct cairn_harness *h)
{
	cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_LEADER_ELECTED, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_START, NULL, NULL);
}

static void test_deploy_reaches_active(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	cairn_harness_set_leader(h, true);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_MAINTENANCE);
	ASSERT_STREQ(msg, "installing hello");
	ASSERT_STREQ(cairn_harness_workload_version(h), "1.0");
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO installing hello on hello/0");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_LEADER_ELECTED, NULL, &err), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "hello/0 is the leader");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_MAINTENANCE); /* not started yet */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_START, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	ASSERT_STREQ(msg, "Hello, world!");
	{
		bool started = false;

		ASSERT_EQ(cairn_map_bool(cairn_harness_stored(h, "hello"), "started", false, &started, NULL), 0);
		ASSERT_TRUE(started);
	}
	cairn_harness_free(h);
}

static void test_config_change_updates_greeting(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	deploy(h);
	ASSERT_EQ(cairn_harness_set_config(h, "thing", cairn_value_string("cairn"), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	ASSERT_STREQ(msg, "Hello, cairn!");
	/* A shorter greeting replaces a longer one whole (the file is rewritten in place). */
	ASSERT_EQ(cairn_harness_set_config(h, "thing", cairn_value_string("a much longer thing"), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_set_config(h, "thing", cairn_value_string("me"), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_STREQ(msg, "Hello, me!");
	/* A config value of the wrong type fails the hook, as a typed getter must. */
	ASSERT_EQ(cairn_harness_set_config(h, "thing", cairn_value_int(3), &err), 0);
	ASSERT_TRUE(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err) < 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "config option: \"thing\" is a int, not a string");
	cairn_harness_free(h);
}

static void test_update_status_and_greet(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_harness_action_output out;
	struct cairn_error err;
	const char *g = NULL;
	enum cairn_status st;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, NULL);
	ASSERT_EQ(st, CAIRN_STATUS_BLOCKED);
	ASSERT_EQ(cairn_harness_run_action(h, "greet", NULL, &out, &err), 0);
	ASSERT_TRUE(out.failed);
	ASSERT_STREQ(out.fail_message, "no greeting rendered yet");
	deploy(h);
	ASSERT_EQ(cairn_harness_run_action(h, "greet", NULL, &out, &err), 0);
	ASSERT_TRUE(!out.failed);
	ASSERT_EQ(cairn_map_string(out.results, "greeting", NULL, &g, NULL), 0);
	ASSERT_STREQ(g, "Hello, world!");
	cairn_harness_free(h);
}

static void test_upgrade_stop_remove(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	const char *msg;
	bool started = true;

	ASSERT_TRUE(h);
	deploy(h);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPGRADE_CHARM, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_STREQ(msg, "upgrading");
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_STOP, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_MAINTENANCE);
	ASSERT_STREQ(msg, "stopping");
	ASSERT_EQ(cairn_map_bool(cairn_harness_stored(h, "hello"), "started", true, &started, NULL), 0);
	ASSERT_TRUE(!started);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_REMOVE, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, &err), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_BLOCKED);
	cairn_harness_free(h);
}

int main(void)
{
	RUN(test_deploy_reaches_active);
	RUN(test_config_change_updates_greeting);
	RUN(test_update_status_and_greet);
	RUN(test_upgrade_stop_remove);
	return test_summary();
}
