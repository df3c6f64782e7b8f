/* cmd_units.c - scaling: `add-unit`, `remove-unit`, `remove-application`
 * (operator-cli.md §4, §7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gostr.h"
#include "lib/names.h"

/* Prints "invalid <what> name %q" (exit 2). */
static int invalid_name(const char *what, const char *name)
{
	char *q = gostr_quoted(name);
	int r = cli_error(CLI_EXIT_USAGE, "invalid %s name %s", what, q);

	free(q);
	return r;
}

static int unrecognized(const char *const *extra, size_t n)
{
	struct errbuf eb;

	argv_unrecognized(extra, n, &eb);
	return cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
}

static json_t *string_array(const struct argv_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

/* Prints "will remove <kind> <name>" for each name the controller accepted. */
static void print_removed(json_t *result, const char *key, const char *kind)
{
	json_t *names = json_object_get(result, key);
	size_t i;
	json_t *n;

	json_array_foreach(names, i, n)
		if (json_is_string(n))
			printf("will remove %s %s\n", kind, json_string_value(n));
}

int cmd_add_unit(int argc, char **argv)
{
	int64_t num_units = 1;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "num-units", 'n', ARGV_INT, &num_units, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *req;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no application specified");
		goto out;
	}
	if (pos.n > 1) {
		r = unrecognized(pos.v + 1, pos.n - 1);
		goto out;
	}
	if (!names_valid_application(pos.v[0])) {
		r = invalid_name("application", pos.v[0]);
		goto out;
	}
	if (num_units < 1) {
		r = cli_error(CLI_EXIT_USAGE, "--num-units must be a positive integer");
		goto out;
	}
	req = json_pack("{s:s, s:s, s:I}", "op", "add-unit", "app", pos.v[0], "num-units",
			(json_int_t)num_units);
	r = cli_call(req, NULL);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_remove_unit(int argc, char **argv)
{
	bool force = false, no_prompt = false, destroy_storage = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ "no-prompt", 0, ARGV_BOOL, &no_prompt, NULL },
		{ "destroy-storage", 0, ARGV_BOOL, &destroy_storage, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *req, *result = NULL;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no units specified");
		goto out;
	}
	for (size_t i = 0; i < pos.n; i++) {
		if (!names_valid_unit(pos.v[i])) {
			r = invalid_name("unit", pos.v[i]);
			goto out;
		}
	}
	/* --no-prompt is accepted for compatibility: cairn never asks before removing. */
	req = json_pack("{s:s, s:o, s:b, s:b}", "op", "remove-unit", "units", string_array(&pos),
			"force", force, "destroy-storage", destroy_storage);
	r = cli_call(req, &result);
	if (r == CLI_EXIT_OK)
		print_removed(result, "units", "unit");
	json_decref(result);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_remove_application(int argc, char **argv)
{
	bool force = false, no_prompt = false, destroy_storage = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ "no-prompt", 0, ARGV_BOOL, &no_prompt, NULL },
		{ "destroy-storage", 0, ARGV_BOOL, &destroy_storage, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *req, *result = NULL;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no application specified");
		goto out;
	}
	for (size_t i = 0; i < pos.n; i++) {
		if (!names_valid_application(pos.v[i])) {
			r = invalid_name("application", pos.v[i]);
			goto out;
		}
	}
	req = json_pack("{s:s, s:o, s:b, s:b}", "op", "remove-application", "apps",
			string_array(&pos), "force", force, "destroy-storage", destroy_storage);
	r = cli_call(req, &result);
	if (r == CLI_EXIT_OK)
		print_removed(result, "applications", "application");
	json_decref(result);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
