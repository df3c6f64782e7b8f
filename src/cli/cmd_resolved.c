/* cmd_resolved.c - `cairn resolved [--no-retry] [--all] [<unit> ...]` (alias resolve,
 * operator-cli.md §10). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "gostr.h"
#include "lib/names.h"

int cmd_resolved(int argc, char **argv)
{
	bool no_retry = false, all = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "no-retry", 0, ARGV_BOOL, &no_retry, NULL },
		{ "all", 0, ARGV_BOOL, &all, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *units, *req;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	/* Juju's Init: errors.NotSupportedf / NotValidf wording. */
	if (all && pos.n) {
		r = cli_error(CLI_EXIT_USAGE, "specifying unit names(s) with --all not supported");
		goto out;
	}
	if (!all && pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no unit specified");
		goto out;
	}
	for (size_t i = 0; i < pos.n; i++) {
		if (!names_valid_unit(pos.v[i])) {
			r = cli_invalid_name("unit", pos.v[i]);
			goto out;
		}
	}
	units = json_array();
	for (size_t i = 0; i < pos.n; i++)
		json_array_append_new(units, json_string(pos.v[i]));
	req = json_pack("{s:s, s:o, s:b, s:b}", "op", "resolved", "units", units, "all", all,
			"no-retry", no_retry);
	r = cli_call(req, NULL);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
