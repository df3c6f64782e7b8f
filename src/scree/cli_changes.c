/* cli_changes.c - `scree changes [SVC]` and `scree tasks ID` (§11, §23). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

int cli_changes(int argc, char **argv, struct errbuf *eb)
{
	struct buf target = BUF_INIT;
	json_t *env = NULL, *chg;
	struct cli_table t;
	struct cli c;
	size_t i;
	int rv = -1;

	buf_init(&target);
	buf_adds(&target, "/v1/changes?select=all");
	if (argc > 1 || (argc == 1 && argv[0][0] == '-')) {
		errbuf_set(eb, argc > 1 ? "too many arguments for command" : "unknown flag `%s'", argv[0]);
		goto out;
	}
	if (argc == 1) {
		buf_adds(&target, "&for=");
		cli_query_escape(&target, argv[0]);
	}
	if (cli_open(&c, eb) < 0)
		goto out;
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	if (json_array_size(json_object_get(env, "result")) == 0) {
		fprintf(stderr, "no changes found\n");
		goto out;
	}
	cli_table_init(&t, 5);
	cli_table_add(&t, (const char *[]){ "ID", "Status", "Spawn", "Ready", "Summary" });
	json_array_foreach(json_object_get(env, "result"), i, chg) {
		char spawn[64], ready[64];

		cli_human_time(str(chg, "spawn-time"), spawn, sizeof(spawn));
		cli_human_time(str(chg, "ready-time"), ready, sizeof(ready));
		cli_table_add(&t, (const char *[]){ str(chg, "id"), str(chg, "status"), spawn, ready,
						     str(chg, "summary") });
	}
	cli_table_print(&t);
	cli_table_done(&t);
out:
	json_decref(env);
	buf_done(&target);
	return rv < 0 ? -1 : 0;
}

int cli_tasks(int argc, char **argv, struct errbuf *eb)
{
	char target[128];
	json_t *env = NULL, *task, *tasks;
	struct cli_table t;
	struct cli c;
	size_t i;
	int rv;

	if (argc != 1 || argv[0][0] == '-') {
		errbuf_set(eb, "please provide change ID");
		return -1;
	}
	snprintf(target, sizeof(target), "/v1/changes/%s", argv[0]);
	if (cli_open(&c, eb) < 0)
		return -1;
	rv = cli_call(&c, "GET", target, NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	tasks = json_object_get(json_object_get(env, "result"), "tasks");
	cli_table_init(&t, 4);
	cli_table_add(&t, (const char *[]){ "Status", "Spawn", "Ready", "Summary" });
	json_array_foreach(tasks, i, task) {
		char spawn[64], ready[64];

		cli_human_time(str(task, "spawn-time"), spawn, sizeof(spawn));
		cli_human_time(str(task, "ready-time"), ready, sizeof(ready));
		cli_table_add(&t, (const char *[]){ str(task, "status"), spawn, ready, str(task, "summary") });
	}
	cli_table_print(&t);
	cli_table_done(&t);
	/* Task logs follow the table, one block per task that has any (as upstream). */
	json_array_foreach(tasks, i, task) {
		json_t *log = json_object_get(task, "log"), *line;
		size_t k;

		if (json_array_size(log) == 0)
			continue;
		printf("\n......................................................................\n%s\n\n",
		       str(task, "summary"));
		json_array_foreach(log, k, line)
			printf("%s\n", json_string_value(line));
	}
out:
	json_decref(env);
	return rv < 0 ? -1 : 0;
}
