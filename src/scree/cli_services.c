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
	struct cli_strv names = CLI_STRV_INIT;
	bool abs_time = false;
	const struct cli_opt opts[] = { CLI_BOOL(0, "abs-time", &abs_time), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARGS("<service>", 0, &names), CLI_ARG_END };
	const struct cli_spec spec = { "pebble services [services-OPTIONS] [<service>...]", opts, args, false };
	size_t i;
	int rv;

	buf_init(&target);
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	buf_adds(&target, "/v1/services");
	for (size_t k = 0; k < names.n; k++) {
		buf_adds(&target, k == 0 ? "?names=" : ",");
		cli_query_escape(&target, names.v[k]);
	}
	if ((rv = cli_open(&c, eb)) < 0)
		goto out;
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	if (json_array_size(json_object_get(env, "result")) == 0) {
		fprintf(stderr, "%s\n", names.n ? "No matching services." : "Plan has no services.");
		goto out;
	}
	cli_table_init(&t, 4);
	cli_table_add(&t, (const char *[]){ "Service", "Startup", "Current", "Since" });
	json_array_foreach(json_object_get(env, "result"), i, item) {
		char since[64];

		cli_fmt_time(json_string_value(json_object_get(item, "current-since")), abs_time, since, sizeof(since));
		cli_table_add(&t, (const char *[]){ json_string_value(json_object_get(item, "name")),
						     json_string_value(json_object_get(item, "startup")),
						     json_string_value(json_object_get(item, "current")), since });
	}
	cli_table_print(&t);
	cli_table_done(&t);
out:
	json_decref(env);
	buf_done(&target);
	cli_strv_done(&names);
	return rv < 0 ? -1 : 0;
}

/* start, stop, restart (<service>... required) and replan, autostart (no arguments). */
int cli_service_action(const char *action, int argc, char **argv, struct errbuf *eb)
{
	bool no_wait = false, takes_names = strcmp(action, "replan") != 0 && strcmp(action, "autostart") != 0;
	json_t *body = NULL, *names = json_array(), *env = NULL;
	struct cli_strv svcs = CLI_STRV_INIT;
	const struct cli_opt opts[] = { CLI_BOOL(0, "no-wait", &no_wait), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARGS("<service>", 1, &svcs), CLI_ARG_END };
	char usage[96];
	const struct cli_spec spec = { usage, opts, takes_names ? args : NULL, false };
	const char *id;
	struct cli c;
	int rv;

	snprintf(usage, sizeof(usage), "pebble %s [%s-OPTIONS]%s", action, action, takes_names ? " <service>..." : "");
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	rv = -1;
	for (size_t k = 0; k < svcs.n; k++)
		json_array_append_new(names, json_string(svcs.v[k]));
	body = json_object();
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
	cli_strv_done(&svcs);
	return rv < 0 ? -1 : 0;
}
