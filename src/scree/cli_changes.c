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
	const char *svc = NULL;
	bool abs_time = false;
	const struct cli_opt opts[] = { CLI_BOOL(0, "abs-time", &abs_time), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARG("<service>", 0, &svc), CLI_ARG_END };
	const struct cli_spec spec = { "pebble changes [changes-OPTIONS] [<service>]", opts, args, false };
	size_t i;
	int rv;

	buf_init(&target);
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	rv = -1;
	if (svc && *svc && strspn(svc, "0123456789") == strlen(svc)) {
		errbuf_set(eb, "'pebble changes' command expects a service name, try 'pebble tasks %s'", svc);
		goto out;
	}
	buf_adds(&target, "/v1/changes?select=all");
	if (svc) {
		buf_adds(&target, "&for=");
		cli_query_escape(&target, svc);
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

		cli_fmt_time(str(chg, "spawn-time"), abs_time, spawn, sizeof(spawn));
		cli_fmt_time(str(chg, "ready-time"), abs_time, ready, sizeof(ready));
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

/* --last=<type>[?]: the id of the newest change of that kind (upstream changeIDMixin).
 * Returns 0 with id set, 1 when none was found but the type ended with '?', or -1. */
static int last_change_id(struct cli *c, const char *last, char *id, size_t n, struct errbuf *eb)
{
	size_t len = strlen(last);
	bool optional = len > 0 && last[len - 1] == '?';
	json_t *env = NULL, *chg, *best = NULL;
	uint64_t best_t = 0;
	size_t i;
	int rv;

	rv = cli_call(c, "GET", "/v1/changes?select=all", NULL, &env, eb);
	if (rv < 0)
		return -1;
	json_array_foreach(json_object_get(env, "result"), i, chg) {
		uint64_t t = cli_parse_time(str(chg, "spawn-time"));

		if (strlen(str(chg, "kind")) == len - optional && strncmp(str(chg, "kind"), last, len - optional) == 0 &&
		    (!best || t > best_t)) {
			best = chg;
			best_t = t;
		}
	}
	rv = 0;
	if (best) {
		snprintf(id, n, "%s", str(best, "id"));
	} else if (optional) {
		rv = 1;
	} else {
		if (json_array_size(json_object_get(env, "result")) == 0)
			errbuf_set(eb, "no changes found");
		else
			errbuf_set(eb, "no changes of type \"%s\" found", last);
		rv = -1;
	}
	json_decref(env);
	return rv;
}

int cli_tasks(int argc, char **argv, struct errbuf *eb)
{
	char target[128], id[64];
	json_t *env = NULL, *task, *tasks;
	struct cli_table t;
	struct cli c;
	const char *change_id = NULL, *last = NULL;
	bool abs_time = false;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "abs-time", &abs_time),
		CLI_STRING(0, "last", &last),
		CLI_OPT_END,
	};
	const struct cli_arg args[] = { CLI_ARG("<change-id>", 0, &change_id), CLI_ARG_END };
	const struct cli_spec spec = { "pebble tasks [tasks-OPTIONS] [<change-id>]", opts, args, false };
	size_t i;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	if ((!change_id || !*change_id) && (!last || !*last)) {
		errbuf_set(eb, "please provide change ID or type with --last=<type>");
		return -1;
	}
	if (change_id && *change_id && last && *last) {
		errbuf_set(eb, "cannot use change ID and type together");
		return -1;
	}
	if (cli_open(&c, eb) < 0)
		return -1;
	if (!change_id || !*change_id) {
		rv = last_change_id(&c, last, id, sizeof(id), eb);
		if (rv != 0) {
			cli_close(&c);
			return rv < 0 ? -1 : 0;
		}
		change_id = id;
	}
	snprintf(target, sizeof(target), "/v1/changes/%s", change_id);
	rv = cli_call(&c, "GET", target, NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	tasks = json_object_get(json_object_get(env, "result"), "tasks");
	cli_table_init(&t, 4);
	cli_table_add(&t, (const char *[]){ "Status", "Spawn", "Ready", "Summary" });
	json_array_foreach(tasks, i, task) {
		char spawn[64], ready[64];

		cli_fmt_time(str(task, "spawn-time"), abs_time, spawn, sizeof(spawn));
		cli_fmt_time(str(task, "ready-time"), abs_time, ready, sizeof(ready));
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
