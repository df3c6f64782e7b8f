/* test-c-pause.c - the pause charm through the harness's fake Pebble: the layer and the
 * autostart on pebble-ready, restarts only when the plan changed, deferral while Pebble is
 * away. */
#include <stdlib.h>
#include <string.h>

#include <cairn/charm.h>

#include "lib/test.h"
#include "pause.h"

static struct cairn_harness *harness(void)
{
	struct cairn_harness_opts o = { .charm_dir = getenv("CHARM_SRC") };
	struct cairn_harness *h = NULL;

	cairn_harness_new(&o, pause_setup, NULL, &h, NULL);
	return h;
}

static void test_pebble_ready_adds_layer_and_autostarts(void)
{
	struct cairn_harness *h = harness();
	enum cairn_status st;
	char *plan;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_pebble_ready(h, "pause", NULL), 0);
	plan = cairn_harness_plan_yaml(h, "pause");
	ASSERT_STREQ(plan, "services:\n"
			   "    pause:\n"
			   "        summary: pause service\n"
			   "        startup: enabled\n"
			   "        override: replace\n"
			   "        command: sleep infinity\n"
			   "        environment:\n"
			   "            TIMEOUT: \"60\"\n");
	free(plan);
	ASSERT_EQ(cairn_harness_service_status(h, "pause", "pause"), CAIRN_SERVICE_ACTIVE);
	ASSERT_EQ(cairn_harness_service_starts(h, "pause", "pause"), 1);
	cairn_harness_unit_status(h, &st, NULL);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	cairn_harness_free(h);
}

static void test_config_changed_restarts_only_on_change(void)
{
	struct cairn_harness *h = harness();
	char *plan;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_pebble_ready(h, "pause", NULL), 0);
	/* Same config: the merged layer changes nothing, no restart. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_EQ(cairn_harness_service_starts(h, "pause", "pause"), 1);
	cairn_harness_set_config(h, "timeout", cairn_value_int(30), NULL);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_EQ(cairn_harness_service_starts(h, "pause", "pause"), 2);
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO Restarted pause service");
	plan = cairn_harness_plan_yaml(h, "pause");
	ASSERT_CONTAINS(plan, "TIMEOUT: \"30\"");
	ASSERT_CONTAINS(plan, "command: sleep infinity");
	free(plan);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	ASSERT_EQ(cairn_harness_service_starts(h, "pause", "pause"), 2);
	cairn_harness_free(h);
}

static void test_config_changed_before_pebble_is_deferred(void)
{
	struct cairn_harness *h = harness();
	enum cairn_status st;
	const char *msg;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL), 0);
	cairn_harness_unit_status(h, &st, &msg);
	ASSERT_EQ(st, CAIRN_STATUS_WAITING);
	ASSERT_STREQ(msg, "waiting for Pebble");
	ASSERT_EQ(cairn_harness_deferred_count(h), 1);
	/* pebble-ready: the deferred config-changed runs first (Pebble now answers, but the
	 * plan has no service yet: nothing to do), then pebble-ready configures and starts. */
	cairn_harness_set_config(h, "timeout", cairn_value_int(5), NULL);
	ASSERT_EQ(cairn_harness_pebble_ready(h, "pause", NULL), 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 0);
	ASSERT_EQ(cairn_harness_service_starts(h, "pause", "pause"), 1);
	{
		char *plan = cairn_harness_plan_yaml(h, "pause");

		ASSERT_CONTAINS(plan, "TIMEOUT: \"5\"");
		free(plan);
	}
	cairn_harness_unit_status(h, &st, NULL);
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	cairn_harness_free(h);
}

int main(void)
{
	RUN(test_pebble_ready_adds_layer_and_autostarts);
	RUN(test_config_changed_restarts_only_on_change);
	RUN(test_config_changed_before_pebble_is_deferred);
	return test_summary();
}
