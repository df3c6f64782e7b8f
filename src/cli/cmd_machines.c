/* cmd_machines.c - machines: `add-machine`, `machines` (alias list-machines) and
 * `remove-machine` (operator-cli.md: Juju's machine verbs, for hosts enlisted with a join
 * token). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format_status.h"
#include "gostr.h"
#include "lib/buf.h"

int cmd_add_machine(int argc, char **argv)
{
	int64_t n = 1;
	const struct argv_opt opts[] = {
		{ NULL, 'n', ARGV_INT, &n, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct argv_list pos;
	json_t *result = NULL, *list, *m;
	size_t i;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n) {
		/* Juju's placement forms (ssh:host, lxd) provision hosts; cairn enlists them. */
		r = cli_unrecognized(pos.v, pos.n);
		goto out;
	}
	if (n < 1) {
		r = cli_error(CLI_EXIT_USAGE, "-n must be a positive integer");
		goto out;
	}
	r = cli_call(json_pack("{s:s, s:I}", "op", "add-machine", "num", (json_int_t)n), &result);
	if (r)
		goto out;
	list = json_object_get(result, "machines");
	json_array_foreach(list, i, m) {
		printf("created machine %s\n", json_string_value(json_object_get(m, "machine")));
		printf("To enlist the host, run this on it (the token works once, for 24 hours):\n  %s\n",
		       json_string_value(json_object_get(m, "command")));
	}
out:
	json_decref(result);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_machines(int argc, char **argv)
{
	const char *format = "tabular";
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct argv_list pos;
	json_t *result = NULL, *machines;
	struct buf out = BUF_INIT;
	int r;

	buf_init(&out);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n) {
		r = cli_unrecognized(pos.v, pos.n);
		goto out;
	}
	if (strcmp(format, "tabular") && strcmp(format, "json") && strcmp(format, "yaml")) {
		char *q = gostr_quoted(format);

		r = cli_error(CLI_EXIT_USAGE, "invalid value %s for option --format: unknown format %s", q, q);
		free(q);
		goto out;
	}
	r = cli_call(json_pack("{s:s}", "op", "machines"), &result);
	if (r)
		goto out;
	machines = json_object_get(result, "machines");
	if (!strcmp(format, "json")) {
		cli_print_json(result);
	} else if (!strcmp(format, "yaml")) {
		cli_print_yaml(result);
	} else if (!json_object_size(machines)) {
		fprintf(stderr, "No machines to display.\n");
	} else {
		format_status_machines(machines, &out);
		r = cli_write_stdout(out.data, out.len);
	}
out:
	json_decref(result);
	buf_done(&out);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_remove_machine(int argc, char **argv)
{
	bool force = false, no_prompt = false;
	const struct argv_opt opts[] = {
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ "no-prompt", 0, ARGV_BOOL, &no_prompt, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct argv_list pos;
	json_t *result = NULL, *ids, *v;
	size_t i;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (!pos.n) {
		r = cli_error(CLI_EXIT_USAGE, "no machines specified");
		goto out;
	}
	ids = json_array();
	for (i = 0; i < pos.n; i++) {
		const char *s = pos.v[i];
		size_t len = strlen(s);

		if (!len || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1)) {
			json_decref(ids);
			r = cli_error(CLI_EXIT_USAGE, "invalid machine id \"%s\"", s);
			goto out;
		}
		json_array_append_new(ids, json_string(s));
	}
	r = cli_call(json_pack("{s:s, s:o, s:b}", "op", "remove-machine", "machines", ids, "force", force),
		     &result);
	if (r)
		goto out;
	json_array_foreach(json_object_get(result, "machines"), i, v)
		printf("will remove machine %s\n", json_string_value(v));
out:
	json_decref(result);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
