/* cmd_resources.c - charm resources: `attach-resource <application> <name>=<path>` and
 * `resources <application>` (alias list-resources), with Juju's argument errors and output
 * (cmd/juju/resource), and the --resource values deploy and refresh share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gostr.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "table.h"

/* NAME=PATH: Juju's parseResourceValueArg. */
static int split_resource(const char *v, char **ret_name, char **ret_path, struct errbuf *eb)
{
	const char *eq = strchr(v, '=');

	if (!eq)
		return errbuf_set(eb, "expected name=path format"), -EINVAL;
	if (eq == v)
		return errbuf_set(eb, "missing resource name"), -EINVAL;
	if (!eq[1])
		return errbuf_set(eb, "missing resource value"), -EINVAL;
	*ret_name = xstrndup(v, (size_t)(eq - v));
	*ret_path = gostr_abs_path(eq + 1);
	if (!*ret_path)
		*ret_path = xstrdup(eq + 1);
	return 0;
}

int cli_resource_values(const struct argv_list *values, json_t **ret, struct errbuf *eb)
{
	json_t *res = json_object();

	for (size_t i = 0; i < values->n; i++) {
		char *name, *path, *q;

		if (split_resource(values->v[i], &name, &path, eb) < 0) {
			q = gostr_quoted(values->v[i]);
			errbuf_wrap(eb, "invalid --resource value %s", q);
			free(q);
			json_decref(res);
			return -EINVAL;
		}
		json_object_set_new(res, name, json_string(path));
		free(name);
		free(path);
	}
	*ret = res;
	return 0;
}

int cmd_attach_resource(int argc, char **argv)
{
	const struct argv_opt opts[] = { { NULL, 0, 0, NULL, NULL } };
	struct argv_list pos;
	struct errbuf eb;
	char *name = NULL, *path = NULL, *q;
	json_t *res;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "missing application name");
		goto out;
	}
	if (pos.n == 1) {
		r = cli_error(CLI_EXIT_USAGE, "no resource specified");
		goto out;
	}
	if (!names_valid_application(pos.v[0])) {
		q = gostr_quoted(pos.v[0]);
		r = cli_error(CLI_EXIT_USAGE, "application %s not valid", q);
		free(q);
		goto out;
	}
	if (split_resource(pos.v[1], &name, &path, &eb) < 0) {
		q = gostr_quoted(pos.v[1]);
		r = cli_error(CLI_EXIT_USAGE, "bad resource arg %s: %s", q, eb.msg);
		free(q);
		goto out;
	}
	if (pos.n > 2) {
		r = cli_unrecognized(pos.v + 2, pos.n - 2);
		goto out;
	}
	res = json_pack("{s:s}", name, path);
	r = cli_call(json_pack("{s:s, s:s, s:o}", "op", "attach-resource", "app", pos.v[0], "resources", res),
		     NULL);
out:
	free(name);
	free(path);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* Juju's CombinedOrigin and CombinedRevision: who supplied it and which revision, or the
 * placeholder of a resource nobody supplied. */
static void resource_row(struct table *t, json_t *e)
{
	bool used = json_is_true(json_object_get(e, "used"));
	const char *user = json_string_value(json_object_get(e, "username"));

	table_row(t);
	table_cell(t, json_string_value(json_object_get(e, "name")));
	table_cell(t, used && user && *user ? user : json_string_value(json_object_get(e, "origin")));
	table_cell(t, used ? json_string_value(json_object_get(e, "revision")) : "-");
}

int cmd_resources(int argc, char **argv)
{
	const char *format = "tabular";
	bool details = false;
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "details", 0, ARGV_BOOL, &details, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct argv_list pos;
	json_t *result = NULL, *list, *e;
	struct buf out = BUF_INIT;
	struct table t;
	size_t i;
	int r;

	buf_init(&out);
	table_init(&t);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (strcmp(format, "tabular") && strcmp(format, "json") && strcmp(format, "yaml")) {
		char *q = gostr_quoted(format);

		r = cli_error(CLI_EXIT_USAGE, "invalid value %s for option --format: unknown format %s", q, q);
		free(q);
		goto out;
	}
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "missing application or unit name");
		goto out;
	}
	r = cli_one_application(&pos);
	if (r)
		goto out;
	r = cli_call(json_pack("{s:s, s:s}", "op", "resources", "app", pos.v[0]), &result);
	if (r)
		goto out;
	list = json_object_get(result, "resources");
	if (!strcmp(format, "json") || !strcmp(format, "yaml")) {
		json_t *doc = json_array_size(list) ? json_pack("{s:O}", "resources", list) : json_object();

		if (!strcmp(format, "json"))
			cli_print_json(doc);
		else
			cli_print_yaml(doc);
		json_decref(doc);
		goto out;
	}
	if (!json_array_size(list)) {
		fprintf(stderr, "No resources to display.\n");
		goto out;
	}
	table_row(&t);
	table_cell(&t, "Resource");
	table_cell(&t, "Supplied by");
	table_cell(&t, "Revision");
	json_array_foreach(list, i, e)
		resource_row(&t, e);
	table_render(&t, &out);
	r = cli_write_stdout(out.data, out.len);
out:
	table_done(&t);
	buf_done(&out);
	json_decref(result);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
