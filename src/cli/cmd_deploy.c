/* cmd_deploy.c - `cairn deploy <charm path> [<application name>]` (operator-cli.md §3). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgsrc.h"
#include "cli.h"
#include "gostr.h"
#include "lib/names.h"

int cmd_deploy(int argc, char **argv)
{
	int64_t num_units = 1;
	const char *to = NULL;
	struct argv_list config, resources, pos;
	const struct argv_opt opts[] = {
		{ "num-units", 'n', ARGV_INT, &num_units, NULL },
		{ "to", 0, ARGV_STRING, &to, NULL },
		{ "config", 0, ARGV_LIST, &config, NULL },
		{ "resource", 0, ARGV_LIST, &resources, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *req = NULL, *sources = NULL, *res = NULL, *result = NULL;
	char *charm = NULL;
	struct errbuf eb;
	int r;

	argv_list_init(&config);
	argv_list_init(&resources);
	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r) {
		r = r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
		goto out;
	}
	/* Argument validation (exit 2), before anything is read or sent. */
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no charm name specified");
		goto out;
	}
	if (pos.n > 2) {
		r = cli_unrecognized(pos.v + 2, pos.n - 2);
		goto out;
	}
	if (pos.n == 2 && !names_valid_application(pos.v[1])) {
		r = cli_invalid_name("application", pos.v[1]);
		goto out;
	}
	if (num_units < 1) {
		r = cli_error(CLI_EXIT_USAGE, "--num-units must be a positive integer");
		goto out;
	}
	if (to && cli_check_placement(to, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}
	if (cfgsrc_check_flags(&config, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}
	if (resources.n && cli_resource_values(&resources, &res, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}

	/* Reading local files (exit 1 on failure). */
	charm = gostr_abs_path(pos.v[0]);
	if (!charm) {
		r = cli_error(CLI_EXIT_FAIL, "cannot resolve %s: %s", pos.v[0], strerror(errno));
		goto out;
	}
	if (cfgsrc_from_flags(&config, &sources, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	req = json_pack("{s:s, s:s, s:I, s:O}", "op", "deploy", "charm", charm, "num-units",
			(json_int_t)num_units, "config", sources);
	if (pos.n == 2)
		json_object_set_new(req, "app", json_string(pos.v[1]));
	if (to)
		json_object_set_new(req, "to", json_string(to));
	if (res) {
		json_object_set_new(req, "resources", res);
		res = NULL;
	}
	r = cli_call(req, &result);
	req = NULL;
	if (r == CLI_EXIT_OK) {
		const char *app = json_string_value(json_object_get(result, "application"));

		fprintf(stderr, "Deployed \"%s\" from local charm \"%s\"\n",
			app ? app : (pos.n == 2 ? pos.v[1] : "?"), charm);
	}
out:
	json_decref(req);
	json_decref(sources);
	json_decref(result);
	free(charm);
	argv_list_done(&config);
	argv_list_done(&resources);
	argv_list_done(&pos);
	return r;
}
