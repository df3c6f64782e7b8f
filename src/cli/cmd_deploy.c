/* cmd_deploy.c - `cairn deploy <charm path> [<application name>]` (operator-cli.md §3). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgsrc.h"
#include "cli.h"
#include "gostr.h"
#include "lib/names.h"

/* Checks one --resource value: NAME=PATH with both parts non-empty. */
static int check_resource(const char *v, struct errbuf *eb)
{
	const char *eq = strchr(v, '=');

	if (!eq || eq == v || !eq[1]) {
		char *q = gostr_quoted(v);

		errbuf_set(eb, "invalid --resource value %s: expected <resource name>=<path>", q);
		free(q);
		return -EINVAL;
	}
	return 0;
}

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
	for (size_t i = 0; i < resources.n; i++) {
		if (check_resource(resources.v[i], &eb) < 0) {
			r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
			goto out;
		}
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
	if (resources.n) {
		res = json_object();
		for (size_t i = 0; i < resources.n; i++) {
			const char *eq = strchr(resources.v[i], '=');
			char *name = xstrndup(resources.v[i], (size_t)(eq - resources.v[i]));
			char *path = gostr_abs_path(eq + 1);

			json_object_set_new(res, name, json_string(path ? path : eq + 1));
			free(name);
			free(path);
		}
		json_object_set_new(req, "resources", res);
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
