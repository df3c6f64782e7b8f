/* Unit tests for the agent's SQLite store: transactions write a unit row and its outbox rows
 * together, acknowledgements delete, forgetting a unit removes everything of it, and a store
 * reopened after the process is gone gives back exactly what was committed. */
#include "agent/store.h"
#include "lib/fsutil.h"
#include "lib/test.h"

#include <stdlib.h>
#include <string.h>

struct seen {
	int units, goals, outbox;
	char last_unit[64];
	int64_t next_seq;
	int64_t seqs[16];
	char goal_kinds[64];
};

static void v_unit(void *arg, const struct store_unit_row *row)
{
	struct seen *s = arg;

	s->units++;
	snprintf(s->last_unit, sizeof(s->last_unit), "%s", row->name);
	s->next_seq = row->next_seq;
}

static void v_goal(void *arg, const char *kind, const char *name, json_t *goal)
{
	struct seen *s = arg;

	(void)name;
	(void)goal;
	s->goals++;
	strncat(s->goal_kinds, kind, sizeof(s->goal_kinds) - strlen(s->goal_kinds) - 2);
	strcat(s->goal_kinds, " ");
}

static void v_outbox(void *arg, const char *unit, int64_t seq, json_t *msg)
{
	struct seen *s = arg;

	(void)unit;
	(void)msg;
	if (s->outbox < 16)
		s->seqs[s->outbox] = seq;
	s->outbox++;
}

static const struct store_visitor V = { v_unit, v_goal, v_outbox };

static void test_store(void)
{
	char dir[] = "/tmp/test-agent-store-XXXXXX";
	char *path;
	struct store *s;
	struct errbuf eb;
	struct seen seen;
	json_t *j = json_pack("{s:s}", "op", "continue");
	json_t *m[3];

	ASSERT_TRUE(mkdtemp(dir));
	path = xasprintf("%s/agent.db", dir);
	ASSERT_EQ(store_open(path, NULL, &s, &eb), 0);
	for (int i = 0; i < 3; i++)
		m[i] = json_pack("{s:s, s:s, s:i}", "type", "status-set", "unit", "a/0", "seq", i + 1);
	struct store_unit_row row = { .name = "a/0", .app = "a", .journal = j, .next_seq = 4,
				      .charm_digest = "" };
	struct store_txn t = { .unit = &row, .msgs = m, .n_msgs = 3 };
	ASSERT_EQ(store_apply(s, &t, &eb), 0);
	struct store_txn ack = { .ack_unit = "a/0", .ack_seq = 2 };
	ASSERT_EQ(store_apply(s, &ack, &eb), 0);
	store_put_goal(s, "unit", "a/0", j);
	store_put_goal(s, "app", "a", j);
	store_put_goal(s, "meta", "model-config", j);
	store_close(s);

	/* Reopened: the row, the one unacknowledged message, the goals (meta, app, unit). */
	ASSERT_EQ(store_open(path, NULL, &s, &eb), 0);
	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(store_load(s, &V, &seen, &eb), 0);
	ASSERT_EQ(seen.units, 1);
	ASSERT_STREQ(seen.last_unit, "a/0");
	ASSERT_EQ(seen.next_seq, 4);
	ASSERT_EQ(seen.outbox, 1);
	ASSERT_EQ(seen.seqs[0], 3);
	ASSERT_STREQ(seen.goal_kinds, "meta app unit ");
	/* Forgetting the unit removes its row, goal and outbox. */
	struct store_txn del = { .delete_unit = "a/0" };
	ASSERT_EQ(store_apply(s, &del, &eb), 0);
	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(store_load(s, &V, &seen, &eb), 0);
	ASSERT_EQ(seen.units, 0);
	ASSERT_EQ(seen.outbox, 0);
	ASSERT_EQ(seen.goals, 2);
	store_close(s);
	for (int i = 0; i < 3; i++)
		json_decref(m[i]);
	json_decref(j);
	fs_rm_rf(dir);
	free(path);
}

int main(void)
{
	RUN(test_store);
	return test_summary();
}
