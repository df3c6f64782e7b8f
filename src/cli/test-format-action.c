/* test-format-action.c - byte-exact output of run/exec/show-task/show-operation/operations/
 * actions/show-action (format_action.h), as Juju prints them. */
#include <stdlib.h>
#include <string.h>

#include "format_action.h"
#include "format_relations.h"
#include "lib/gofmt.h"
#include "lib/test.h"

/* 2024-01-02 03:04:05.25 UTC */
#define T0 1704164645250000000ull

static json_t *js(const char *s)
{
	json_error_t e;
	json_t *v = json_loads(s, 0, &e);

	if (!v)
		printf("bad test json: %s\n", e.text);
	return v;
}

static void test_times(void)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	fa_time(&b, T0, true, FA_TIME_GO);
	ASSERT_STREQ(buf_str(&b), "2024-01-02 03:04:05.25 +0000 UTC");
	buf_reset(&b);
	fa_time(&b, 1704164645000000000ull, true, FA_TIME_GO);
	ASSERT_STREQ(buf_str(&b), "2024-01-02 03:04:05 +0000 UTC");
	buf_reset(&b);
	fa_time(&b, T0, true, FA_TIME_PROGRESS);
	ASSERT_STREQ(buf_str(&b), "03:04:05");
	buf_reset(&b);
	fa_time(&b, T0, true, FA_TIME_PLAIN);
	ASSERT_STREQ(buf_str(&b), "2024-01-02T03:04:05");
	buf_reset(&b);
	fa_time(&b, 0, true, FA_TIME_GO);
	ASSERT_STREQ(buf_str(&b), "");
	buf_done(&b);
}

static const char task_done[] =
	"{\"id\": 2, \"operation\": 1, \"unit\": \"web/0\", \"action\": \"backup\","
	" \"parameters\": {\"file\": {\"kind\": \"xz\"}}, \"status\": \"completed\", \"message\": \"\","
	" \"results\": {\"return-code\": 0, \"stdout\": \"line1\\r\\nline2\\n\", \"stderr\": \"\","
	" \"outfile\": {\"size\": \"10G\"}},"
	" \"log\": [{\"timestamp\": 1704164645250000000, \"message\": \"halfway\"}],"
	" \"enqueued\": 1704164645000000000, \"started\": 1704164645000000000,"
	" \"completed\": 1704164645250000000}";

static void test_task_and_plain(void)
{
	json_t *t = js(task_done), *f, *info;
	struct buf b = BUF_INIT;
	int code;

	f = fa_task(t, true, &code);
	ASSERT_EQ(code, 0);
	buf_init(&b);
	gofmt_json(&b, f);
	ASSERT_STREQ(buf_str(&b),
		     "{\"id\":\"2\",\"log\":[\"2024-01-02 03:04:05.25 +0000 UTC halfway\"],"
		     "\"results\":{\"outfile\":{\"size\":\"10G\"},\"return-code\":0,\"stdout\":\"line1\\nline2\\n\"},"
		     "\"status\":\"completed\",\"timing\":{\"completed\":\"2024-01-02 03:04:05.25 +0000 UTC\","
		     "\"enqueued\":\"2024-01-02 03:04:05 +0000 UTC\",\"started\":\"2024-01-02 03:04:05 +0000 UTC\"},"
		     "\"unit\":\"web/0\"}");
	buf_reset(&b);
	info = json_pack("{s:O}", "web/0", f);
	fa_plain(&b, info);
	ASSERT_STREQ(buf_str(&b), "outfile:\n  size: 10G\n\nline1\nline2\n");
	json_decref(info);
	json_decref(f);
	json_decref(t);

	/* Failed with a message, no result data. */
	t = js("{\"id\": 4, \"unit\": \"web/0\", \"status\": \"failed\", \"message\": \"disk full\","
	       " \"results\": {\"return-code\": 1, \"stderr\": \"oops\"}, \"log\": [],"
	       " \"enqueued\": 0, \"started\": 0, \"completed\": 0}");
	f = fa_task(t, true, &code);
	ASSERT_EQ(code, 1);
	info = json_pack("{s:O}", "web/0", f);
	buf_reset(&b);
	fa_plain(&b, info);
	ASSERT_STREQ(buf_str(&b), "Action id 4 failed: disk full\n\noops\n");
	json_decref(info);
	json_decref(f);
	json_decref(t);

	/* Pending: no results yet. */
	t = js("{\"id\": 6, \"unit\": \"web/1\", \"status\": \"pending\", \"message\": \"\", \"results\": {},"
	       " \"log\": [], \"enqueued\": 1704164645000000000, \"started\": 0, \"completed\": 0}");
	f = fa_task(t, true, &code);
	ASSERT_EQ(code, -1);
	info = json_pack("{s:O}", "6", f);
	buf_reset(&b);
	fa_plain(&b, info);
	ASSERT_STREQ(buf_str(&b), "Task 6 pending\n\n");
	json_decref(info);
	json_decref(f);
	json_decref(t);
	buf_done(&b);
}

static void test_exec_plain(void)
{
	json_t *one = js("{\"web/0\": {\"id\": \"2\", \"results\": {\"return-code\": 0, \"stdout\": \"host0\"}}}");
	json_t *two = js("{\"web/10\": {\"id\": \"3\", \"results\": {\"stdout\": \"b\\n\", \"stderr\": \"warn\"}},"
			 " \"web/2\": {\"id\": \"2\", \"results\": {\"stdout\": \"a\\n\"}}}");
	struct buf b = BUF_INIT;

	buf_init(&b);
	fa_exec_plain(&b, one);
	ASSERT_STREQ(buf_str(&b), "host0\n");
	buf_reset(&b);
	fa_exec_plain(&b, two);
	ASSERT_STREQ(buf_str(&b), "web/2:\na\n\nweb/10:\nb\nwarn\n\n");
	buf_done(&b);
	json_decref(one);
	json_decref(two);
}

static void test_operation(void)
{
	json_t *t = js(task_done), *op, *f;
	struct buf b = BUF_INIT;

	op = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:[O]}", "id", 1, "kind", "action", "summary",
		       "backup run on unit-web-0", "status", "completed", "enqueued",
		       (json_int_t)1704164645000000000LL, "started", (json_int_t)1704164645000000000LL,
		       "completed", (json_int_t)1704164645250000000LL, "tasks", t);
	f = fa_operation(op, true);
	buf_init(&b);
	/* Struct order (summary, status, action, timing, tasks), maps sorted. */
	{
		char *s = json_dumps(f, JSON_COMPACT);

		ASSERT_STREQ(s, "{\"summary\":\"backup run on unit-web-0\",\"status\":\"completed\","
				"\"action\":{\"name\":\"backup\",\"parameters\":{\"file\":{\"kind\":\"xz\"}}},"
				"\"timing\":{\"enqueued\":\"2024-01-02 03:04:05 +0000 UTC\",\"started\":\"2024-01-02 "
				"03:04:05 +0000 UTC\",\"completed\":\"2024-01-02 03:04:05.25 +0000 UTC\"},"
				"\"tasks\":{\"2\":{\"host\":\"web/0\",\"status\":\"completed\",\"timing\":{\"enqueued\":"
				"\"2024-01-02 03:04:05 +0000 UTC\",\"started\":\"2024-01-02 03:04:05 +0000 UTC\","
				"\"completed\":\"2024-01-02 03:04:05.25 +0000 UTC\"},\"log\":[\"2024-01-02 03:04:05.25 "
				"+0000 UTC halfway\"],\"results\":{\"outfile\":{\"size\":\"10G\"},\"return-code\":0,"
				"\"stderr\":\"\",\"stdout\":\"line1\\r\\nline2\\n\"}}}}");
		free(s);
	}
	json_decref(f);
	{
		json_t *ops = json_pack("[O]", op);

		fa_operations_table(&b, ops, true);
		ASSERT_STREQ(buf_str(&b),
			     "ID  Status     Started              Finished             Task IDs  Summary\n"
			     " 1  completed  2024-01-02T03:04:05  2024-01-02T03:04:05  2         backup run on unit-web-0\n");
		json_decref(ops);
	}
	json_decref(op);
	json_decref(t);
	buf_done(&b);
}

static void test_actions_output(void)
{
	json_t *specs = js("[{\"name\": \"snapshot\", \"description\": \"Take a snapshot.\\nSecond line.\","
			   " \"params\": {\"properties\": {\"outfile\": {\"type\": \"string\", \"description\":"
			   " \"Where to.\"}, \"level\": {\"type\": \"integer\"}}}},"
			   " {\"name\": \"backup\", \"description\": \"\", \"params\": {}}]");
	struct buf b = BUF_INIT;

	buf_init(&b);
	fa_actions_table(&b, specs);
	ASSERT_STREQ(buf_str(&b), "Action    Description\n"
				  "backup    No description\n"
				  "snapshot  Take a snapshot.\n"
				  "          Second line.\n");
	buf_reset(&b);
	fa_show_action(&b, json_array_get(specs, 0));
	ASSERT_STREQ(buf_str(&b), "Take a snapshot.\nSecond line.\n\nArguments\n"
				  "level:\n  type: integer\n  description: null\n"
				  "outfile:\n  type: string\n  description: Where to.\n\n");
	buf_reset(&b);
	fa_show_action(&b, json_array_get(specs, 1));
	ASSERT_STREQ(buf_str(&b), "\n\nArguments\n{}\n\n");
	buf_done(&b);
	json_decref(specs);
}

static void test_relations_section(void)
{
	json_t *rows = js("[{\"provider\": \"pg:replicas\", \"requirer\": \"pg:replicas\", \"interface\": "
			  "\"pgpeer\", \"type\": \"peer\", \"status\": \"joining\"},"
			  " {\"provider\": \"mysql:server\", \"requirer\": \"web:db\", \"interface\": \"mysql\","
			  " \"type\": \"regular\", \"status\": \"joined\"}]");
	struct buf b = BUF_INIT;

	buf_init(&b);
	format_relations_section(rows, &b);
	ASSERT_STREQ(buf_str(&b), "Integration provider  Requirer     Interface  Type     Message\n"
				  "mysql:server          web:db       mysql      regular  \n"
				  "pg:replicas           pg:replicas  pgpeer     peer     joining\n");
	buf_reset(&b);
	format_relations_section(NULL, &b);
	ASSERT_STREQ(buf_str(&b), "");
	buf_done(&b);
	json_decref(rows);
}

int main(void)
{
	RUN(test_relations_section);
	RUN(test_times);
	RUN(test_task_and_plain);
	RUN(test_exec_plain);
	RUN(test_operation);
	RUN(test_actions_output);
	return test_summary();
}
