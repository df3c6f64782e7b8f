/* cmd_actions.c - `cairn actions <application> [--schema] [--format ...]` and
 * `cairn show-action <application> <action>` (operator-cli.md §11.3; Juju's
 * cmd/juju/action list.go and show.go). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format_action.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/names.h"

/* The controller's {"actions": [{"name", "description", "params"}]} for app. */
static int fetch(const char *app, json_t **ret)
{
	return cli_call(json_pack("{s:s, s:s}", "op", "actions", "app", app), ret);
}

int cmd_actions(int argc, char **argv)
{
	const char *format = "default";
	bool schema = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "schema", 0, ARGV_BOOL, &schema, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *result = NULL, *specs, *s, *out = NULL;
	struct buf b = BUF_INIT;
	size_t i;
	int r;

	buf_init(&b);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (strcmp(format, "default") && strcmp(format, "yaml") && strcmp(format, "json") &&
	    strcmp(format, "tabular")) {
		r = cli_error(CLI_EXIT_USAGE, "invalid value \"%s\" for option --format: unknown format \"%s\"",
			      format, format);
		goto out;
	}
	if (!strcmp(format, "tabular") && schema) {
		r = cli_error(CLI_EXIT_USAGE, "full schema not compatible with tabular output");
		goto out;
	}
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no application name specified");
		goto out;
	}
	if (pos.n > 1) {
		r = cli_unrecognized(pos.v + 1, pos.n - 1);
		goto out;
	}
	if (!names_valid_application(pos.v[0])) {
		r = cli_error(CLI_EXIT_USAGE, "invalid application name \"%s\"", pos.v[0]);
		goto out;
	}
	if ((r = fetch(pos.v[0], &result)))
		goto out;
	specs = json_object_get(result, "actions");
	out = json_object();
	if (schema) {
		json_array_foreach(specs, i, s)
			json_object_set(out, json_string_value(json_object_get(s, "name")),
					json_object_get(s, "params"));
		if (!strcmp(format, "json")) {
			gofmt_json(&b, out);
			buf_addc(&b, '\n');
		} else {
			gofmt_yaml(&b, out);
		}
	} else if (!strcmp(format, "yaml") || !strcmp(format, "json")) {
		json_array_foreach(specs, i, s) {
			const char *d = json_string_value(json_object_get(s, "description"));

			json_object_set_new(out, json_string_value(json_object_get(s, "name")),
					    json_string(d && *d ? d : "No description"));
		}
		if (!strcmp(format, "json")) {
			gofmt_json(&b, out);
			buf_addc(&b, '\n');
		} else {
			gofmt_yaml(&b, out);
		}
	} else if (!json_array_size(specs)) {
		fprintf(stderr, "No actions defined for %s.\n", pos.v[0]);
	} else {
		fa_actions_table(&b, specs);
	}
	r = cli_write_stdout(b.data, b.len);
out:
	buf_done(&b);
	json_decref(out);
	json_decref(result);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_show_action(int argc, char **argv)
{
	struct argv_list pos;
	const struct argv_opt opts[] = { { NULL, 0, 0, NULL, NULL } };
	json_t *result = NULL, *s, *found = NULL;
	struct buf b = BUF_INIT;
	size_t i;
	int r;

	buf_init(&b);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no application specified");
		goto out;
	}
	if (pos.n == 1) {
		r = cli_error(CLI_EXIT_USAGE, "no action specified");
		goto out;
	}
	if (pos.n > 2) {
		r = cli_unrecognized(pos.v + 2, pos.n - 2);
		goto out;
	}
	if (!names_valid_application(pos.v[0])) {
		r = cli_error(CLI_EXIT_USAGE, "invalid application name \"%s\"", pos.v[0]);
		goto out;
	}
	if ((r = fetch(pos.v[0], &result)))
		goto out;
	json_array_foreach(json_object_get(result, "actions"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), pos.v[1]))
			found = s;
	if (!found) {
		/* Juju prints this and fails silently (cmd.ErrSilent). */
		fprintf(stderr, "unknown action \"%s\"\n\n", pos.v[1]);
		r = CLI_EXIT_FAIL;
		goto out;
	}
	fa_show_action(&b, found);
	r = cli_write_stdout(b.data, b.len);
out:
	buf_done(&b);
	json_decref(result);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
