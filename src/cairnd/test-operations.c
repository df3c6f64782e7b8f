/* test-operations.c - the operations store: ids shared by operations and tasks, the task
 * state machine, validation errors kept as error tasks, logs, cancel, and restarts. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairnd/operations.h"
#include "lib/test.h"

static char dbpath[] = "/tmp/test-operations-XXXXXX";

static void test_enqueue_run_finish(void)
{
	sqlite3 *db = NULL;
	struct opstore *s = NULL;
	struct opop *op;
	struct optask *t;
	struct errbuf eb;
	const char *units[] = { "web/0", "web/1" };
	const char *errors[] = { NULL, "validation failed: (root).x : must be of type integer, given \"a\"" };
	json_t *params = json_pack("{s:i}", "x", 1), *res, *v;

	ASSERT_EQ(sqlite3_open(dbpath, &db), SQLITE_OK);
	ASSERT_EQ(opstore_open(db, &s, &eb), 0);
	ASSERT_EQ(opstore_enqueue(s, OP_ACTION, "backup", params, units, NULL, 1, 100, &op, &eb), 0);
	/* Operation 1, task 2: one sequence for both. */
	ASSERT_EQ(op->id, 1);
	ASSERT_EQ(op->tasks[0], 2);
	t = opstore_next_pending(s, "web/0");
	ASSERT_TRUE(t && t->id == 2);
	ASSERT_EQ(opstore_op_status(s, op), TASK_PENDING);
	ASSERT_TRUE(opstore_task_set(s, t, TASK_COMPLETED, NULL, NULL, 110, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "task 2 is pending, it cannot become completed");
	ASSERT_EQ(opstore_task_set(s, t, TASK_RUNNING, NULL, NULL, 110, &eb), 0);
	ASSERT_TRUE(opstore_running(s, "web/0") == t);
	ASSERT_EQ(opstore_op_status(s, op), TASK_RUNNING);
	ASSERT_EQ(opstore_task_log(s, t, "halfway", 115, &eb), 0);
	res = json_pack("{s:i, s:s, s:{s:s}}", "return-code", 0, "stdout", "ok\n", "out", "file", "x");
	ASSERT_EQ(opstore_task_set(s, t, TASK_COMPLETED, "", res, 120, &eb), 0);
	json_decref(res);
	ASSERT_EQ(opstore_op_status(s, op), TASK_COMPLETED);
	ASSERT_TRUE(opstore_next_pending(s, "web/0") == NULL);

	/* An operation with a task that failed validation: kept, status error. */
	ASSERT_EQ(opstore_enqueue(s, OP_ACTION, "backup", params, units, errors, 2, 200, &op, &eb), 0);
	ASSERT_EQ(op->id, 3);
	ASSERT_EQ(opstore_task(s, 5)->status, TASK_ERROR);
	ASSERT_CONTAINS(opstore_task(s, 5)->message, "must be of type integer");
	ASSERT_TRUE(opstore_next_pending(s, "web/1") == NULL);
	/* cancel: pending -> cancelled; the operation is then done: error wins. */
	ASSERT_EQ(opstore_cancel(s, opstore_task(s, 4), 210, &eb), 0);
	ASSERT_EQ(opstore_task(s, 4)->status, TASK_CANCELLED);
	ASSERT_EQ(opstore_op_status(s, op), TASK_ERROR);
	json_decref(params);

	/* Queue one more, then restart: finished tasks keep their results, queued stay queued. */
	ASSERT_EQ(opstore_enqueue(s, OP_EXEC, "hostname", NULL, units, NULL, 1, 300, &op, &eb), 0);
	opstore_free(s);
	sqlite3_close(db);
	ASSERT_EQ(sqlite3_open(dbpath, &db), SQLITE_OK);
	ASSERT_EQ(opstore_open(db, &s, &eb), 0);
	t = opstore_task(s, 2);
	ASSERT_TRUE(t);
	ASSERT_EQ(t->status, TASK_COMPLETED);
	ASSERT_STREQ(json_string_value(json_object_get(json_object_get(t->results, "out"), "file")), "x");
	ASSERT_EQ(json_array_size(t->log), 1);
	ASSERT_EQ(t->started_ns, 110);
	ASSERT_EQ(t->completed_ns, 120);
	t = opstore_next_pending(s, "web/0");
	ASSERT_TRUE(t && t->id == 7 && !strcmp(t->name, "juju-exec"));
	ASSERT_EQ(opstore_op(s, 6)->kind, OP_EXEC);
	/* Running -> aborting on cancel. */
	ASSERT_EQ(opstore_task_set(s, t, TASK_RUNNING, NULL, NULL, 310, &eb), 0);
	ASSERT_EQ(opstore_cancel(s, t, 320, &eb), 0);
	ASSERT_EQ(t->status, TASK_ABORTING);
	ASSERT_EQ(opstore_task_set(s, t, TASK_ABORTED, "action terminated", NULL, 330, &eb), 0);
	v = opstore_op_json(s, opstore_op(s, 6));
	ASSERT_STREQ(json_string_value(json_object_get(v, "status")), "aborted");
	ASSERT_EQ(json_integer_value(json_object_get(v, "completed")), 330);
	json_decref(v);
	ASSERT_EQ(opstore_enqueue(s, OP_ACTION, "x", NULL, units, NULL, 1, 400, &op, &eb), 0);
	ASSERT_EQ(op->id, 8);
	opstore_free(s);
	sqlite3_close(db);
}

int main(void)
{
	int fd = mkstemp(dbpath);

	if (fd >= 0)
		close(fd);
	RUN(test_enqueue_run_finish);
	unlink(dbpath);
	return test_summary();
}
