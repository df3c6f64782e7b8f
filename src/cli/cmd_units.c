/* cmd_units.c - scaling: `add-unit`, `remove-unit`, `remove-application`
 * (operator-cli.md §4, §7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gostr.h"
#include "lib/names.h"

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
	const char *to = NULL;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "num-units", 'n', ARGV_INT, &num_units, NULL },
		{ "to", 0, ARGV_STRING, &to, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct errbuf eb;
	json_t *req;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	r = cli_one_application(&pos);
	if (r)
		goto out;
	if (num_units < 1) {
		r = cli_error(CLI_EXIT_USAGE, "--num-units must be a positive integer");
		goto out;
	}
	if (to && cli_check_placement(to, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}
	req = json_pack("{s:s, s:s, s:I}", "op", "add-unit", "app", pos.v[0], "num-units",
			(json_int_t)num_units);
	if (to)
		json_object_set_new(req, "to", json_string(to));
	r = cli_call(req, NULL);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* What remove-unit and remove-application differ in; the rest of the two commands is one. */
struct remove_kind {
	const char *op;                /* request "op" */
	const char *names_key;         /* request field listing the names */
	const char *none_msg;          /* error when no name is given */
	const char *what;              /* for "invalid <what> name" and print_removed */
	const char *result_key;        /* result field print_removed reads */
	bool (*valid)(const char *s);  /* the naming rule (lib/names.h) */
};

static const struct remove_kind remove_unit = {
	.op = "remove-unit", .names_key = "units", .none_msg = "no units specified",
	.what = "unit", .result_key = "units", .valid = names_valid_unit,
};
static const struct remove_kind remove_application = {
	.op = "remove-application", .names_key = "apps", .none_msg = "no application specified",
	.what = "application", .result_key = "applications", .valid = names_valid_application,
};

static int remove_cmd(const struct remove_kind *k, int argc, char **argv)
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
		r = cli_error(CLI_EXIT_USAGE, "%s", k->none_msg);
		goto out;
	}
	for (size_t i = 0; i < pos.n; i++) {
		if (!k->valid(pos.v[i])) {
			r = cli_invalid_name(k->what, pos.v[i]);
			goto out;
		}
	}
	/* --no-prompt is accepted for compatibility: cairn never asks before removing. */
	req = json_pack("{s:s, s:o, s:b, s:b}", "op", k->op, k->names_key, string_array(&pos),
			"force", force, "destroy-storage", destroy_storage);
	r = cli_call(req, &result);
	if (r == CLI_EXIT_OK)
		print_removed(result, k->result_key, k->what);
	json_decref(result);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_remove_unit(int argc, char **argv)
{
	return remove_cmd(&remove_unit, argc, argv);
}

int cmd_remove_application(int argc, char **argv)
{
	return remove_cmd(&remove_application, argc, argv);
}
