/* cmd_run.c - `cairn run <unit> [<unit> ...] <action> [<key>[.<key>...]=<value> ...]`
 * (operator-cli.md §11.3; Juju 3's cmd/juju/action/run.go).
 *
 * Units are `app/N` or `app/leader`, all of one application.  Parameters come from
 * --params FILE (a YAML map) and then the key=value arguments, which override it; dotted
 * keys build nested maps and values are read as YAML unless --string-args (action/
 * actionargs.h).  The controller validates them against the charm's actions.yaml before
 * anything runs.  Waiting, streaming the action log and printing follow Juju (taskwait.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action/actionargs.h"
#include "action/actionspec.h"
#include "cli.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "lib/names.h"
#include "lib/yamljson.h"
#include "taskwait.h"

#define RUN_MAX_PARAMS_FILE (16u * 1024u * 1024u)
#define RUN_DEFAULT_WAIT_NS (60LL * 1000000000LL)

/* <app>/<N> or <app>/leader; the app part into app. */
static bool unit_or_leader(const char *s, char *app, size_t n)
{
	const char *slash = strrchr(s, '/');

	if (!slash || (size_t)(slash - s) >= n)
		return false;
	snprintf(app, n, "%.*s", (int)(slash - s), s);
	if (!names_valid_application(app))
		return false;
	return !strcmp(slash + 1, "leader") || names_valid_unit(s);
}

/* Reads --params: a YAML map with string keys.  0 or the exit code (error printed). */
static int read_params(const char *path, json_t **ret)
{
	struct buf data = BUF_INIT;
	struct errbuf eb;
	json_t *v = NULL;
	int r;

	buf_init(&data);
	r = fs_read_file(path, RUN_MAX_PARAMS_FILE, &data);
	if (r < 0) {
		char msg[128];

		buf_done(&data);
		return cli_error(CLI_EXIT_FAIL, "open %s: %s", path, gofmt_strerror(-r, msg, sizeof(msg)));
	}
	errbuf_clear(&eb);
	if (yaml_to_json(data.data, data.len, &v, &eb) < 0) {
		buf_done(&data);
		return cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
	}
	buf_done(&data);
	if (json_is_null(v)) {
		json_decref(v);
		v = json_object();
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return cli_error(CLI_EXIT_FAIL, "params must contain a YAML map with string keys");
	}
	*ret = v;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	const char *params_file = NULL, *wait_s = NULL, *format = "plain";
	bool string_args = false, background = false, utc = false, color = false, no_color = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "params", 0, ARGV_STRING, &params_file, NULL },
		{ "string-args", 0, ARGV_BOOL, &string_args, NULL },
		{ "background", 0, ARGV_BOOL, &background, NULL },
		{ "wait", 0, ARGV_STRING, &wait_s, NULL },
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ "color", 0, ARGV_BOOL, &color, NULL },
		{ "no-color", 0, ARGV_BOOL, &no_color, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct taskwait_opts to = { .wait_ns = 0 };
	struct actionarg *args = NULL;
	json_t *units = NULL, *params = NULL, *req = NULL, *result = NULL;
	const char *action = NULL;
	char first_app[256] = "";
	size_t nunits = 0, nargs = 0;
	struct errbuf eb;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if ((r = taskwait_parse_opts(format, wait_s, background, utc, RUN_DEFAULT_WAIT_NS, &to)))
		goto out;
	units = json_array();
	for (size_t i = 0; i < pos.n; i++) {
		char app[256];

		if (unit_or_leader(pos.v[i], app, sizeof(app))) {
			if (nunits && strcmp(app, first_app)) {
				r = cli_error(CLI_EXIT_USAGE, "all units must be of the same application");
				goto out;
			}
			snprintf(first_app, sizeof(first_app), "%s", app);
			json_array_append_new(units, json_string(pos.v[i]));
			nunits++;
		} else if (actionspec_valid_name(pos.v[i])) {
			action = pos.v[i];
			break;
		} else {
			r = cli_error(CLI_EXIT_USAGE, "invalid unit or action name \"%s\"", pos.v[i]);
			goto out;
		}
	}
	if (!nunits) {
		r = cli_error(CLI_EXIT_USAGE, "no unit specified");
		goto out;
	}
	if (!action) {
		r = cli_error(CLI_EXIT_USAGE, "no action specified");
		goto out;
	}
	args = calloc(pos.n + 1, sizeof(*args));
	for (size_t i = nunits + 1; i < pos.n; i++) {
		if (actionargs_parse(pos.v[i], ACTIONARGS_RUN, &args[nargs], &eb) < 0) {
			r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
			goto out;
		}
		nargs++;
	}
	/* Run: the file, then the key=value arguments over it. */
	if (params_file && *params_file) {
		if ((r = read_params(params_file, &params)))
			goto out;
	} else {
		params = json_object();
	}
	for (size_t i = 0; i < nargs; i++) {
		json_t *v = NULL;

		if (string_args) {
			v = json_string(args[i].value);
			if (!v) { /* a JSON string holds only UTF-8: refused rather than dropped */
				r = cli_error(CLI_EXIT_FAIL, "argument for key \"%s\" is not valid UTF-8", args[i].keys[0]);
				goto out;
			}
		} else if (actionargs_yaml_value(args[i].value, &v, &eb) < 0) {
			r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
			goto out;
		}
		actionargs_insert(params, args[i].keys, args[i].n_keys, v);
		json_decref(v);
	}
	req = json_pack("{s:s, s:O, s:s, s:O}", "op", "run", "units", units, "action", action,
			"params", params);
	r = cli_call(req, &result);
	req = NULL;
	if (r)
		goto out;
	r = taskwait_run(result, &to);
out:
	for (size_t i = 0; i < nargs; i++)
		actionargs_done(&args[i]);
	free(args);
	json_decref(result);
	json_decref(params);
	json_decref(units);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
