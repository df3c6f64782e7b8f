/* test-change.c - unit tests for changes, tasks, lanes and persistence, driven by a fake
 * owner (no processes, fixed clock). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/change.h"

static uint64_t fake_now = 1700000000000000000ull;
static uint64_t fake_clock(void) { return fake_now; }

struct owner {
	struct task *doing[16];
	size_t ndoing;
	int aborted;
	int transitions;
	enum chg_status last_new;
	int dirty;
};

static void o_do(void *data, struct task *t)
{
	struct owner *o = data;

	o->doing[o->ndoing++] = t;
}

static void o_abort(void *data, struct task *t)
{
	struct owner *o = data;

	o->aborted++;
	chg_task_fail(t, "aborted");
}

static void o_status(void *data, struct change *c, enum chg_status a, enum chg_status b)
{
	struct owner *o = data;

	(void)c;
	(void)a;
	o->transitions++;
	o->last_new = b;
}

static void o_dirty(void *data)
{
	((struct owner *)data)->dirty++;
}

static const struct chg_ops ops = { o_do, o_abort, o_status, o_dirty, NULL };

/* Pops the task the runner started most recently for kind/summary. */
static struct task *take(struct owner *o, const char *summary)
{
	for (size_t i = 0; i < o->ndoing; i++) {
		if (strcmp(o->doing[i]->t_summary, summary) == 0) {
			struct task *t = o->doing[i];

			memmove(&o->doing[i], &o->doing[i + 1], (o->ndoing - i - 1) * sizeof(o->doing[0]));
			o->ndoing--;
			return t;
		}
	}
	return NULL;
}

static void test_lane_runs_sequentially_lanes_in_parallel(void)
{
	struct owner o = { 0 };
	struct chg_store s;
	struct change *c;
	struct task *a, *b, *p;
	int l1, l2;

	chg_store_init(&s, &ops, &o, fake_clock);
	c = chg_new(&s, "start", "Start service \"a\" and 2 more");
	l1 = chg_new_lane(&s);
	l2 = chg_new_lane(&s);
	a = chg_task_new(c, "start", "a");
	b = chg_task_new(c, "start", "b");
	p = chg_task_new(c, "start", "p");
	chg_task_join_lane(a, l1);
	chg_task_join_lane(b, l1);
	chg_task_wait_for(b, a);
	chg_task_join_lane(p, l2);
	ASSERT_EQ(chg_status(c), CHG_DO);
	chg_store_run(&s);
	ASSERT_EQ(o.ndoing, 2);
	ASSERT_TRUE(take(&o, "a") == a);
	ASSERT_TRUE(take(&o, "p") == p);
	ASSERT_EQ(chg_status(c), CHG_DOING);
	chg_task_done(a);
	chg_store_run(&s);
	ASSERT_TRUE(take(&o, "b") == b);
	chg_task_done(b);
	ASSERT_EQ(chg_ready(c), 0);
	chg_task_done(p);
	ASSERT_EQ(chg_status(c), CHG_DONE);
	ASSERT_EQ(o.last_new, CHG_DONE);
	ASSERT_TRUE(c->c_ready_ns != 0);
	chg_store_done(&s);
}

static void test_failure_aborts_lane_only(void)
{
	struct owner o = { 0 };
	struct chg_store s;
	struct change *c;
	struct task *a, *b, *p, *q;
	int l1, l2;
	char err[1024];

	chg_store_init(&s, &ops, &o, fake_clock);
	c = chg_new(&s, "start", "x");
	l1 = chg_new_lane(&s);
	l2 = chg_new_lane(&s);
	a = chg_task_new(c, "start", "Start service \"a\"");
	b = chg_task_new(c, "start", "Start service \"b\"");
	p = chg_task_new(c, "start", "Start service \"p\"");
	q = chg_task_new(c, "start", "Start service \"q\"");
	chg_task_join_lane(a, l1);
	chg_task_join_lane(b, l1);
	chg_task_wait_for(b, a);
	chg_task_join_lane(p, l2);
	chg_task_join_lane(q, l2);
	chg_task_wait_for(q, p);
	chg_store_run(&s);
	chg_task_logf(a, "Most recent service output:\n    boom");
	chg_task_fail(a, "service start attempt: exited quickly with code 1, will restart");
	ASSERT_EQ(a->t_status, CHG_ERROR);
	ASSERT_EQ(b->t_status, CHG_HOLD);
	ASSERT_EQ(p->t_status, CHG_DOING);
	ASSERT_EQ(chg_status(c), CHG_DOING);
	ASSERT_EQ(chg_err(c, err, sizeof(err)), 0);
	take(&o, "Start service \"p\"");
	chg_task_done(p);
	chg_store_run(&s);
	ASSERT_TRUE(take(&o, "Start service \"q\"") == q);
	chg_task_done(q);
	ASSERT_EQ(chg_status(c), CHG_ERROR);
	ASSERT_EQ(chg_err(c, err, sizeof(err)), 1);
	ASSERT_STREQ(err, "cannot perform the following tasks:\n"
			  "- Start service \"a\" (service start attempt: exited quickly with code 1, will restart)");
	ASSERT_TRUE(strstr(a->t_log[1], " ERROR service start attempt") != NULL);
	chg_store_done(&s);
}

static void test_abort(void)
{
	struct owner o = { 0 };
	struct chg_store s;
	struct change *c;
	struct task *a, *b;
	int l;

	chg_store_init(&s, &ops, &o, fake_clock);
	c = chg_new(&s, "start", "x");
	l = chg_new_lane(&s);
	a = chg_task_new(c, "start", "a");
	b = chg_task_new(c, "start", "b");
	chg_task_join_lane(a, l);
	chg_task_join_lane(b, l);
	chg_task_wait_for(b, a);
	chg_store_run(&s);
	ASSERT_EQ(chg_abort(c), 0);
	ASSERT_EQ(o.aborted, 1);
	ASSERT_EQ(a->t_status, CHG_ERROR);
	ASSERT_EQ(b->t_status, CHG_HOLD);
	ASSERT_TRUE(chg_ready(c));
	ASSERT_EQ(chg_abort(c), -EBUSY);
	chg_store_done(&s);
}

static void test_empty_change_and_explicit_status(void)
{
	struct owner o = { 0 };
	struct chg_store s;
	struct change *c;

	chg_store_init(&s, &ops, &o, fake_clock);
	c = chg_new(&s, "replan", "Replan - no services");
	ASSERT_EQ(chg_status(c), CHG_HOLD);
	chg_set_status(c, CHG_DONE);
	ASSERT_EQ(chg_status(c), CHG_DONE);
	ASSERT_TRUE(chg_ready(c));
	chg_store_done(&s);
}

static void test_api_json(void)
{
	struct owner o = { 0 };
	struct chg_store s;
	struct change *c;
	struct task *t;
	json_t *j, *tj;

	chg_store_init(&s, &ops, &o, fake_clock);
	c = chg_new(&s, "start", "Start service \"a\"");
	t = chg_task_new(c, "start", "Start service \"a\"");
	chg_task_join_lane(t, chg_new_lane(&s));
	j = chg_to_api_json(c);
	ASSERT_STREQ(json_string_value(json_object_get(j, "id")), "1");
	ASSERT_STREQ(json_string_value(json_object_get(j, "status")), "Do");
	ASSERT_TRUE(json_is_false(json_object_get(j, "ready")));
	ASSERT_TRUE(json_object_get(j, "err") == NULL);
	ASSERT_TRUE(json_object_get(j, "ready-time") == NULL);
	ASSERT_STREQ(json_string_value(json_object_get(j, "spawn-time")), "2023-11-14T22:13:20Z");
	tj = json_array_get(json_object_get(j, "tasks"), 0);
	ASSERT_EQ(json_integer_value(json_object_get(json_object_get(tj, "progress"), "done")), 0);
	ASSERT_TRUE(json_object_get(tj, "log") == NULL);
	json_decref(j);
	chg_store_done(&s);
}

static void fixup(struct task *t, void *data)
{
	(void)data;
	chg_task_fail(t, "service already started, not retrying");
}

static void test_persistence_roundtrip(void)
{
	struct owner o = { 0 };
	struct chg_store s, s2;
	struct change *c, *c2;
	struct task *a, *b;
	json_t *j;
	struct errbuf eb;
	int l;

	chg_store_init(&s, &ops, &o, fake_clock);
	c = chg_new(&s, "start", "x");
	l = chg_new_lane(&s);
	a = chg_task_new(c, "start", "a");
	b = chg_task_new(c, "start", "b");
	a->t_priv = json_pack("{s:s}", "service", "a");
	chg_task_join_lane(a, l);
	chg_task_join_lane(b, l);
	chg_task_wait_for(b, a);
	chg_store_run(&s); /* a Doing, b Do */
	j = chg_store_to_json(&s);
	chg_store_init(&s2, &ops, &o, fake_clock);
	ASSERT_EQ(chg_store_load_json(&s2, j, fixup, NULL, &eb), 0);
	c2 = chg_find(&s2, 1);
	ASSERT_TRUE(c2 != NULL);
	ASSERT_EQ(c2->c_ntasks, 2);
	ASSERT_EQ(c2->c_tasks[0]->t_status, CHG_ERROR);
	ASSERT_EQ(c2->c_tasks[1]->t_status, CHG_HOLD);
	ASSERT_STREQ(json_string_value(json_object_get(c2->c_tasks[0]->t_priv, "service")), "a");
	ASSERT_TRUE(c2->c_tasks[1]->t_wait[0] == c2->c_tasks[0]);
	ASSERT_EQ(s2.cs_last_change_id, 1);
	ASSERT_EQ(s2.cs_last_task_id, 2);
	ASSERT_EQ(chg_new(&s2, "stop", "y")->c_id, 2);
	json_decref(j);
	chg_store_done(&s);
	chg_store_done(&s2);
}

static void test_load_rejects_garbage(void)
{
	struct chg_store s;
	struct errbuf eb;
	json_t *j = json_loads("{\"changes\": [{\"id\": \"x\"}]}", 0, NULL);

	chg_store_init(&s, NULL, NULL, fake_clock);
	ASSERT_EQ(chg_store_load_json(&s, j, NULL, NULL, &eb), -EINVAL);
	ASSERT_EQ(s.cs_count, 0);
	json_decref(j);
	j = json_loads("{\"changes\": 5}", 0, NULL);
	ASSERT_EQ(chg_store_load_json(&s, j, NULL, NULL, &eb), -EINVAL);
	json_decref(j);
	chg_store_done(&s);
}

static void test_prune(void)
{
	struct chg_store s;

	chg_store_init(&s, NULL, NULL, fake_clock);
	for (int i = 0; i < CHG_MAX_READY + 50; i++)
		chg_set_status(chg_new(&s, "x", "x"), CHG_DONE);
	ASSERT_TRUE(s.cs_count <= CHG_MAX_READY);
	fake_now += CHG_READY_PRUNE_NS + 1;
	chg_store_prune(&s);
	ASSERT_EQ(s.cs_count, 0);
	chg_store_done(&s);
}

int main(void)
{
	RUN(test_lane_runs_sequentially_lanes_in_parallel);
	RUN(test_failure_aborts_lane_only);
	RUN(test_abort);
	RUN(test_empty_change_and_explicit_status);
	RUN(test_api_json);
	RUN(test_persistence_roundtrip);
	RUN(test_load_rejects_garbage);
	RUN(test_prune);
	return test_summary();
}
