/* cmd_refresh.c - `cairn refresh <app> --path <charm>` (alias upgrade-charm,
 * operator-cli.md §6).  Only local charms exist in cairn, so --path is required. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgsrc.h"
#include "cli.h"
#include "gostr.h"

int cmd_refresh(int argc, char **argv)
{
	const char *path = NULL;
	struct argv_list config, resources, pos;
	const struct argv_opt opts[] = {
		{ "path", 0, ARGV_STRING, &path, NULL },
		{ "config", 0, ARGV_LIST, &config, NULL },
		{ "resource", 0, ARGV_LIST, &resources, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *req, *sources = NULL, *result = NULL, *res = NULL;
	char *charm = NULL;
	struct errbuf eb;
	int r;

	argv_list_init(&config);
	argv_list_init(&resources);
	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	r = cli_one_application(&pos);
	if (r)
		goto out;
	if (!path || !*path) {
		r = cli_error(CLI_EXIT_USAGE, "only local charms are supported: specify --path");
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
	charm = gostr_abs_path(path);
	if (!charm) {
		r = cli_error(CLI_EXIT_FAIL, "cannot resolve %s: %s", path, strerror(errno));
		goto out;
	}
	req = json_pack("{s:s, s:s, s:s}", "op", "refresh", "app", pos.v[0], "charm", charm);
	if (config.n) {
		if (cfgsrc_from_flags(&config, &sources, &eb) < 0) {
			json_decref(req);
			r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
			goto out;
		}
		json_object_set(req, "config", sources);
	}
	if (res)
		json_object_set(req, "resources", res);
	r = cli_call(req, &result);
	if (r == CLI_EXIT_OK) {
		json_t *rev = json_object_get(result, "revision");
		const char *name = json_string_value(json_object_get(result, "charm"));

		if (json_is_integer(rev))
			fprintf(stderr, "Added local charm \"%s\", revision %lld, to the model\n",
				name ? name : pos.v[0], (long long)json_integer_value(rev));
	}
out:
	json_decref(sources);
	json_decref(result);
	json_decref(res);
	free(charm);
	argv_list_done(&config);
	argv_list_done(&resources);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
