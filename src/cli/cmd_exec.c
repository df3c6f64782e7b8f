/* cmd_exec.c - `cairn exec (--unit U | --application A | --machine M | --all) -- <command>`
 * (operator-cli.md §11.2; Juju 3's cmd/juju/action/exec.go).
 *
 * On units the command runs in a hook context (JUJU_* and the hook tools), as a task of an
 * operation like an action's; the output is each target's stdout and stderr.  Targets are
 * comma-separated lists (repeatable); `app/leader` names the leader.  --wait defaults to
 * 5 minutes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "taskwait.h"

#define EXEC_DEFAULT_WAIT_NS (300LL * 1000000000LL)

/* juju/utils CommandString: arguments joined with spaces, one with white space or a quote
 * in double quotes (with its quotes escaped). */
static char *command_string(const char *const *args, size_t n)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		bool quote = strpbrk(args[i], " \t\n\r\v\f\"") != NULL;

		if (i)
			buf_addc(&b, ' ');
		if (quote)
			buf_addc(&b, '"');
		for (const char *p = args[i]; *p; p++) {
			if (*p == '"')
				buf_addc(&b, '\\');
			buf_addc(&b, *p);
		}
		if (quote)
			buf_addc(&b, '"');
	}
	return buf_detach(&b);
}

static bool valid_machine(const char *s)
{
	if (!*s)
		return false;
	if (s[0] == '0')
		return s[1] == '\0';
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool leader_name(const char *s)
{
	const char *slash = strrchr(s, '/');
	char app[256];

	if (!slash || strcmp(slash + 1, "leader") || (size_t)(slash - s) >= sizeof(app))
		return false;
	snprintf(app, sizeof(app), "%.*s", (int)(slash - s), s);
	return names_valid_application(app);
}

int cmd_exec(int argc, char **argv)
{
	const char *wait_s = NULL, *format = "plain", *group = "";
	bool all = false, operator = false, parallel = true, background = false, utc = false;
	bool color = false, no_color = false;
	struct argv_list pos, machines, apps, units;
	const struct argv_opt opts[] = {
		{ "all", 0, ARGV_BOOL, &all, NULL },
		{ "operator", 0, ARGV_BOOL, &operator, NULL },
		{ "parallel", 0, ARGV_BOOL, &parallel, NULL },
		{ "execution-group", 0, ARGV_STRING, &group, NULL },
		{ "machine", 0, ARGV_LIST, &machines, NULL },
		{ "app", 'a', ARGV_LIST, &apps, NULL },
		{ "application", 0, ARGV_LIST, &apps, NULL },
		{ "unit", 'u', ARGV_LIST, &units, NULL },
		{ "background", 0, ARGV_BOOL, &background, NULL },
		{ "wait", 0, ARGV_STRING, &wait_s, NULL },
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ "color", 0, ARGV_BOOL, &color, NULL },
		{ "no-color", 0, ARGV_BOOL, &no_color, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct taskwait_opts to = { .exec = true };
	json_t *jm = json_array(), *ja = json_array(), *ju = json_array(), *req, *result = NULL, *v;
	struct buf bad = BUF_INIT;
	char *command = NULL;
	size_t i;
	int r;

	argv_list_init(&machines);
	argv_list_init(&apps);
	argv_list_init(&units);
	buf_init(&bad);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if ((r = taskwait_parse_opts(format, wait_s, background, utc, EXEC_DEFAULT_WAIT_NS, &to)))
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no commands specified");
		goto out;
	}
	/* One argument is passed as is (it may hold a whole shell command line). */
	command = pos.n == 1 ? xstrdup(pos.v[0]) : command_string(pos.v, pos.n);
	argv_list_split_json(&machines, jm);
	argv_list_split_json(&apps, ja);
	argv_list_split_json(&units, ju);
	if (all) {
		if (json_array_size(jm)) {
			r = cli_error(CLI_EXIT_USAGE, "You cannot specify --all and individual machines");
			goto out;
		}
		if (json_array_size(ja)) {
			r = cli_error(CLI_EXIT_USAGE, "You cannot specify --all and individual applications");
			goto out;
		}
		if (json_array_size(ju)) {
			r = cli_error(CLI_EXIT_USAGE, "You cannot specify --all and individual units");
			goto out;
		}
	} else if (!json_array_size(jm) && !json_array_size(ja) && !json_array_size(ju)) {
		r = cli_error(CLI_EXIT_USAGE, "You must specify a target, either through --all, --machine, "
					     "--application or --unit");
		goto out;
	}
	json_array_foreach(jm, i, v)
		if (!valid_machine(json_string_value(v)))
			buf_addf(&bad, "%s  \"%s\" is not a valid machine id", bad.len ? "\n" : "",
				 json_string_value(v));
	json_array_foreach(ja, i, v)
		if (!names_valid_application(json_string_value(v)))
			buf_addf(&bad, "%s  \"%s\" is not a valid application name", bad.len ? "\n" : "",
				 json_string_value(v));
	json_array_foreach(ju, i, v)
		if (!leader_name(json_string_value(v)) && !names_valid_unit(json_string_value(v)))
			buf_addf(&bad, "%s  \"%s\" is not a valid unit name", bad.len ? "\n" : "",
				 json_string_value(v));
	if (bad.len) {
		r = cli_error(CLI_EXIT_USAGE, "The following exec targets are not valid:\n%s", bad.data);
		goto out;
	}
	if (operator) {
		r = cli_error(CLI_EXIT_FAIL, "only k8s models support the --operator flag");
		goto out;
	}
	req = json_pack("{s:s, s:s, s:O, s:O, s:O, s:b, s:b, s:s, s:I}", "op", "exec", "command",
			command, "machines", jm, "applications", ja, "units", ju, "all", all,
			"parallel", parallel, "execution-group", group, "timeout-ms",
			(json_int_t)(to.wait_ns > 0 ? to.wait_ns / 1000000 : 0));
	r = cli_call(req, &result);
	if (r)
		goto out;
	r = taskwait_run(result, &to);
out:
	free(command);
	buf_done(&bad);
	json_decref(result);
	json_decref(jm);
	json_decref(ja);
	json_decref(ju);
	argv_list_done(&machines);
	argv_list_done(&apps);
	argv_list_done(&units);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
