/* test-c-reader.c - the reader charm, unit-tested through the harness: it reads the keeper's
 * application bag and a keeper unit's host, reports `seen` back, defers changes while
 * paused (re-emitted with their relation context once unpaused), fails a rejected value
 * without committing `seen`, and forgets the source when the relation breaks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/charm.h>

#include "lib/test.h"
#include "reader.h"

static struct cairn_harness *new_harness(void)
{
	struct cairn_harness_opts o = { .charm_dir = getenv("CHARM_SRC") };
	struct cairn_harness *h = NULL;
	struct cairn_error err;

	if (cairn_harness_new(&o, reader_setup, NULL, &h, &err) < 0) {
		printf("harness: %s\n", err.message);
		return NULL;
	}
	cairn_harness_emit(h, CAIRN_EVENT_INSTALL, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, NULL);
	cairn_harness_emit(h, CAIRN_EVENT_START, NULL, NULL);
	return h;
}

/* A keeper relation with keeper/0 joined and publishing host; returns its id. */
static int relate(struct cairn_harness *h, const char *value)
{
	int id = -1;

	cairn_harness_add_relation(h, "source", "keeper", &id, NULL);
	cairn_harness_add_relation_unit(h, id, "keeper/0", NULL);
	cairn_harness_set_relation_data(h, id, "keeper/0", "host", "192.0.2.1", NULL);
	if (value)
		cairn_harness_set_relation_data(h, id, "keeper", "value", value, NULL);
	return id;
}

static const char *status(struct cairn_harness *h, enum cairn_status *st)
{
	const char *msg;

	cairn_harness_unit_status(h, st, &msg);
	return msg;
}

static void test_reads_and_reports(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	int id;

	ASSERT_TRUE(h);
	ASSERT_STREQ(status(h, &st), "waiting for a source");
	ASSERT_EQ(st, CAIRN_STATUS_BLOCKED);
	id = relate(h, NULL);
	/* Nothing published yet: still waiting, nothing reported. */
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, "keeper/0", &err), 0);
	ASSERT_STREQ(status(h, &st), "waiting for a source");
	ASSERT_TRUE(cairn_harness_relation_data(h, id, "c-reader/0", "seen") == NULL);
	/* The keeper's leader publishes (an application-bag change: no remote unit). */
	cairn_harness_set_relation_data(h, id, "keeper", "value", "hello", NULL);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, NULL, &err), 0);
	ASSERT_STREQ(status(h, &st), "read: hello from 192.0.2.1");
	ASSERT_EQ(st, CAIRN_STATUS_ACTIVE);
	ASSERT_STREQ(cairn_harness_relation_data(h, id, "c-reader/0", "seen"), "hello");
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO source-relation-changed from keeper\n");
	/* The event's own relation: the remote app comes from JUJU_REMOTE_APP, no relation-list --app. */
	ASSERT_TRUE(!strstr(cairn_harness_tool_calls(h), "--app -r"));
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_DEPARTED, id, "keeper/0", &err), 0);
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO keeper/0 left the source relation");
	ASSERT_EQ(cairn_harness_remove_relation(h, id, &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_BROKEN, id, NULL, &err), 0);
	ASSERT_STREQ(status(h, &st), "waiting for a source");
	cairn_harness_free(h);
}

static void test_paused_defers_until_unpaused(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	const char *hook, *obs;
	int id;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_set_config(h, "paused", cairn_value_bool(true), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	id = relate(h, "hello");
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, "keeper/0", &err), 0);
	ASSERT_STREQ(status(h, &st), "paused: source-relation-changed deferred");
	ASSERT_EQ(st, CAIRN_STATUS_WAITING);
	ASSERT_EQ(cairn_harness_deferred_count(h), 1u);
	ASSERT_EQ(cairn_harness_deferred_at(h, 0, &hook, &obs), 0);
	ASSERT_STREQ(hook, "source-relation-changed");
	ASSERT_STREQ(obs, "on_changed");
	ASSERT_TRUE(cairn_harness_relation_data(h, id, "c-reader/0", "seen") == NULL);
	/* Still paused: re-emitted before update-status, deferred again. */
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_UPDATE_STATUS, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 1u);
	/* Unpaused: config-changed re-emits it first, with its relation and remote unit, from
	 * a dispatch that has no relation of its own. */
	ASSERT_EQ(cairn_harness_set_config(h, "paused", cairn_value_bool(false), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 0u);
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO source-relation-changed from keeper/0 (re-emitted)\n");
	ASSERT_STREQ(status(h, &st), "read: hello from 192.0.2.1");
	ASSERT_STREQ(cairn_harness_relation_data(h, id, "c-reader/0", "seen"), "hello");
	/* Outside its relation's hook the remote app is asked for. */
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "relation-list --format=json --app -r source:0\n");
	cairn_harness_free(h);
}

static void test_rejected_value_commits_nothing(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	int id;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_set_config(h, "reject", cairn_value_string("bad"), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	id = relate(h, "bad");
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, "keeper/0", &err), -EIO);
	ASSERT_CONTAINS(err.message, "source-relation-changed");
	/* The hook wrote seen=bad, then failed: nothing of it was committed. */
	ASSERT_TRUE(cairn_harness_relation_data(h, id, "c-reader/0", "seen") == NULL);
	ASSERT_CONTAINS(cairn_harness_tool_calls(h), "relation-set -r source:0 --file -\n");
	ASSERT_CONTAINS(cairn_harness_log(h), "refusing the value \"bad\"");
	/* Another value is accepted. */
	cairn_harness_set_relation_data(h, id, "keeper", "value", "good", NULL);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, NULL, &err), 0);
	ASSERT_STREQ(cairn_harness_relation_data(h, id, "c-reader/0", "seen"), "good");
	ASSERT_STREQ(status(h, &st), "read: good from 192.0.2.1");
	cairn_harness_free(h);
}

static void test_deferred_change_of_gone_relation_is_dropped(void)
{
	struct cairn_harness *h = new_harness();
	struct cairn_error err;
	enum cairn_status st;
	int id;

	ASSERT_TRUE(h);
	ASSERT_EQ(cairn_harness_set_config(h, "paused", cairn_value_bool(true), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	id = relate(h, "hello");
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_CHANGED, id, "keeper/0", &err), 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 1u);
	ASSERT_EQ(cairn_harness_remove_relation(h, id, &err), 0);
	ASSERT_EQ(cairn_harness_emit_relation(h, CAIRN_EVENT_RELATION_BROKEN, id, NULL, &err), 0);
	/* Unpaused after the relation went: the re-emitted change finds it gone (relation
	 * not found: CAIRN_ERR_NOT_FOUND) and is dropped; the dispatch succeeds. */
	ASSERT_EQ(cairn_harness_set_config(h, "paused", cairn_value_bool(false), &err), 0);
	ASSERT_EQ(cairn_harness_emit(h, CAIRN_EVENT_CONFIG_CHANGED, NULL, &err), 0);
	ASSERT_EQ(cairn_harness_deferred_count(h), 0u);
	ASSERT_CONTAINS(cairn_harness_log(h), "INFO dropping source-relation-changed: ");
	ASSERT_CONTAINS(cairn_harness_log(h), "relation not found");
	ASSERT_STREQ(status(h, &st), "waiting for a source");
	cairn_harness_free(h);
}

int main(void)
{
	RUN(test_reads_and_reports);
	RUN(test_paused_defers_until_unpaused);
	RUN(test_rejected_value_commits_nothing);
	RUN(test_deferred_change_of_gone_relation_is_dropped);
	return test_summary();
}
