/* cli_services.c - `scree services`, `start`, `stop`, `restart`, `replan`, `autostart`
 * (§12, §23). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_services(int argc, char **argv, struct errbuf *eb)
{
	struct cli c;
	struct buf target = BUF_INIT;
	json_t *env = NULL, *item;
	struct cli_table t;
	size_t i;
	int rv;

	buf_init(&target);
	buf_adds(&target, "/v1/services");
	for (int k = 0; k < argc; k++) {
		if (argv[k][0] == '-') {
			errbuf_set(eb, "unknown flag `%s'", argv[k]);
			buf_done(&target);
			return -1;
		}
		buf_adds(&target, k == 0 ? "?names=" : ",");
		cli_query_escape(&target, argv[k]);
	}
	if ((rv = cli_open(&c, eb)) < 0)
		goto out;
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	if (json_array_size(json_object_get(env, "result")) == 0) {
		fprintf(stderr, "%s\n", argc ? "No matching services." : "Plan has no services.");
		goto out;
	}
	cli_table_init(&t, 4);
	cli_table_add(&t, (const char *[]){ "Service", "Startup", "Current", "Since" });
	json_array_foreach(json_object_get(env, "result"), i, item) {
		char since[64];

		cli_human_time(json_string_value(json_object_get(item, "current-since")), since, sizeof(since));
		cli_table_add(&t, (const char *[]){ json_string_value(json_object_get(item, "name")),
						     json_string_value(json_object_get(item, "startup")),
						     json_string_value(json_object_get(item, "current")), since });
	}
	cli_table_print(&t);
	cli_table_done(&t);
out:
	json_decref(env);
	buf_done(&target);
	return rv < 0 ? -1 : 0;
}

int cli_service_action(const char *action, int argc, char **argv, struct errbuf *eb)
{
	bool no_wait = false, takes_names = strcmp(action, "replan") != 0 && strcmp(action, "autostart") != 0;
	json_t *body = json_object(), *names = json_array(), *env = NULL;
	const char *id;
	struct cli c;
	int rv = -1;

	for (int k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--no-wait") == 0)
			no_wait = true;
		else if (argv[k][0] == '-') {
			errbuf_set(eb, "unknown flag `%s'", argv[k]);
			goto out;
		} else if (!takes_names) {
			errbuf_set(eb, "too many arguments for command");
			goto out;
		} else {
			json_array_append_new(names, json_string(argv[k]));
		}
	}
	if (takes_names && json_array_size(names) == 0) {
		errbuf_set(eb, "the required argument `<service> (at least 1 argument)` was not provided");
		goto out;
	}
	json_object_set_new(body, "action", json_string(action));
	json_object_set(body, "services", names);
	if (cli_open(&c, eb) < 0)
		goto out;
	rv = cli_call(&c, "POST", "/v1/services", body, &env, eb);
	if (rv == 0) {
		id = json_string_value(json_object_get(env, "change"));
		if (!id) {
			errbuf_set(eb, "server did not return a change id");
			rv = -1;
		} else if (no_wait) {
			printf("%s\n", id);
		} else {
			rv = cli_wait_change(&c, id, eb);
		}
	}
	cli_close(&c);
out:
	json_decref(env);
	json_decref(body);
	json_decref(names);
	return rv < 0 ? -1 : 0;
}
