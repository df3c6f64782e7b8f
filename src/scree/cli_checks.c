/* cli_checks.c - `scree checks`, `check`, `start-checks`, `stop-checks` and `health`
 * (§14, §23), with upstream's flags and output (internals/cli/cmd_checks.go, cmd_check.go,
 * cmd_start-checks.go, cmd_stop-checks.go, cmd_health.go). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECKS_MAX_ERROR 70 /* bytes of the last task log shown in the Change column */

static const char *const levels[] = { "alive", "ready", NULL };

/* path?level=L&names=a,b (as upstream's client sends them). */
static void level_names_target(struct buf *target, const char *path, const char *level, const char *const *names,
			       size_t n)
{
	buf_adds(target, path);
	if (level)
		buf_addf(target, "?level=%s", level);
	for (size_t i = 0; i < n; i++) {
		buf_adds(target, i ? "," : level ? "&names=" : "?names=");
		cli_query_escape(target, names[i]);
	}
}

/* The last log line of change id's first task, without its "<time> LEVEL " prefix and with
 * newlines escaped ("" when it has none). */
static int last_task_log(struct cli *c, const char *id, struct buf *out, struct errbuf *eb)
{
	char target[128];
	json_t *env = NULL, *log;
	const char *line, *p;
	int rv;

	snprintf(target, sizeof(target), "/v1/changes/%s", id);
	rv = cli_call(c, "GET", target, NULL, &env, eb);
	if (rv < 0)
		return rv;
	log = json_object_get(json_array_get(json_object_get(json_object_get(env, "result"), "tasks"), 0), "log");
	line = json_string_value(json_array_get(log, json_array_size(log) ? json_array_size(log) - 1 : 0));
	if (line) {
		p = strchr(line, ' ');
		if (p && strchr(p + 1, ' '))
			line = strchr(p + 1, ' ') + 1;
		for (p = line; *p; p++) {
			if (*p == '\n')
				buf_adds(out, "\\n");
			else
				buf_addc(out, *p);
		}
	}
	json_decref(env);
	return 0;
}

static void change_column(struct cli *c, json_t *chk, struct buf *out)
{
	const char *id = cli_str(chk, "change-id");
	struct buf log = BUF_INIT;
	struct errbuf eb;

	if (!*id) {
		buf_adds(out, "-");
		return;
	}
	if (json_integer_value(json_object_get(chk, "failures")) == 0) {
		buf_adds(out, id);
		return;
	}
	buf_init(&log);
	if (last_task_log(c, id, &log, &eb) < 0) {
		buf_addf(out, "%s (%s)", id, eb.msg);
	} else if (log.len == 0) {
		buf_adds(out, id);
	} else {
		if (log.len > CHECKS_MAX_ERROR) {
			char more[96];
			size_t keep;

			snprintf(more, sizeof(more), "... run \"pebble tasks %s\" for more", id);
			keep = strlen(more) < CHECKS_MAX_ERROR ? CHECKS_MAX_ERROR - strlen(more) : 0;
			log.len = keep;
			log.data[keep] = '\0';
			buf_adds(&log, more);
		}
		buf_addf(out, "%s (%s)", id, log.data);
	}
	buf_done(&log);
}

int cli_checks(int argc, char **argv, struct errbuf *eb)
{
	const char *level = NULL;
	struct cli_strv names = CLI_STRV_INIT;
	const struct cli_opt opts[] = { CLI_STRING(0, "level", &level), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARGS("<check>", 0, &names), CLI_ARG_END };
	const struct cli_spec spec = { "pebble checks [checks-OPTIONS] [<check>...]", opts, args, false };
	size_t n, i;
	struct buf target = BUF_INIT;
	json_t *env = NULL, *chk;
	struct cli_table t;
	struct cli c;
	int rv;

	buf_init(&target);
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0 || (rv = cli_flag_choice("level", level, levels, eb)) < 0)
		goto out;
	n = names.n;
	level_names_target(&target, "/v1/checks", level, names.v, n);
	if (cli_open(&c, eb) < 0)
		goto out;
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	if (rv < 0)
		goto close;
	if (json_array_size(json_object_get(env, "result")) == 0) {
		fprintf(stderr, "%s\n", n == 0 && !level ? "Plan has no health checks." : "No matching health checks.");
		goto close;
	}
	cli_table_init(&t, 6);
	cli_table_add(&t, (const char *[]){ "Check", "Level", "Startup", "Status", "Failures", "Change" });
	json_array_foreach(json_object_get(env, "result"), i, chk) {
		char failures[64];
		struct buf change = BUF_INIT;

		buf_init(&change);
		if (strcmp(cli_str(chk, "status"), "inactive") == 0)
			snprintf(failures, sizeof(failures), "-");
		else
			snprintf(failures, sizeof(failures), "%lld/%lld",
				 (long long)json_integer_value(json_object_get(chk, "failures")),
				 (long long)json_integer_value(json_object_get(chk, "threshold")));
		change_column(&c, chk, &change);
		cli_table_add(&t, (const char *[]){ cli_str(chk, "name"), *cli_str(chk, "level") ? cli_str(chk, "level") : "-",
						     cli_str(chk, "startup"), cli_str(chk, "status"), failures, change.data });
		buf_done(&change);
	}
	cli_table_print(&t);
	cli_table_done(&t);
close:
	cli_close(&c);
out:
	json_decref(env);
	buf_done(&target);
	cli_strv_done(&names);
	return rv < 0 ? -1 : 0;
}

/* The logs of change id's first task, one line each. */
static int task_logs(struct cli *c, const char *id, struct buf *out, struct errbuf *eb)
{
	char target[128];
	json_t *env = NULL, *log, *line;
	size_t i;

	snprintf(target, sizeof(target), "/v1/changes/%s", id);
	if (cli_call(c, "GET", target, NULL, &env, eb) < 0)
		return -1;
	log = json_object_get(json_array_get(json_object_get(json_object_get(env, "result"), "tasks"), 0), "log");
	json_array_foreach(log, i, line)
		buf_addf(out, "%s\n", json_string_value(line) ? json_string_value(line) : "");
	json_decref(env);
	return 0;
}

int cli_check(int argc, char **argv, struct errbuf *eb)
{
	const char *name = NULL, *err = NULL;
	bool refresh = false;
	const struct cli_opt opts[] = { CLI_BOOL(0, "refresh", &refresh), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARG("<check>", 1, &name), CLI_ARG_END };
	const struct cli_spec spec = { "pebble check [check-OPTIONS] <check>", opts, args, false };
	struct buf target = BUF_INIT, logs = BUF_INIT;
	json_t *env = NULL, *info, *body = NULL;
	struct cli_yaml *y;
	struct cli c;
	char num[32];
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	rv = -1;
	buf_init(&target);
	buf_init(&logs);
	if (cli_open(&c, eb) < 0)
		goto out;
	if (refresh) {
		body = json_pack("{s:s}", "name", name);
		rv = cli_call(&c, "POST", "/v1/checks/refresh", body, &env, eb);
		if (rv < 0)
			goto close;
		info = json_object_get(json_object_get(env, "result"), "info");
		err = json_string_value(json_object_get(json_object_get(env, "result"), "error"));
	} else {
		buf_adds(&target, "/v1/checks?names=");
		cli_query_escape(&target, name);
		rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
		if (rv < 0)
			goto close;
		info = json_array_get(json_object_get(env, "result"), 0);
		if (!info) {
			errbuf_set(eb, "cannot find check \"%s\"", name);
			rv = -1;
			goto close;
		}
	}
	/* The task log explains a failing check (or a refresh that failed). */
	if ((json_integer_value(json_object_get(info, "failures")) > 0 || (err && *err)) && *cli_str(info, "change-id")) {
		rv = task_logs(&c, cli_str(info, "change-id"), &logs, eb);
		if (rv < 0)
			goto close;
	}
	y = cli_yaml_new();
	cli_yaml_str(y, "name", cli_str(info, "name"));
	if (*cli_str(info, "level"))
		cli_yaml_str(y, "level", cli_str(info, "level"));
	cli_yaml_str(y, "startup", cli_str(info, "startup"));
	cli_yaml_str(y, "status", cli_str(info, "status"));
	if (json_integer_value(json_object_get(info, "successes"))) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(info, "successes")));
		cli_yaml_raw(y, "successes", num);
	}
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(info, "failures")));
	cli_yaml_raw(y, "failures", num);
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(info, "threshold")));
	cli_yaml_raw(y, "threshold", num);
	if (*cli_str(info, "change-id"))
		cli_yaml_str(y, "change-id", cli_str(info, "change-id"));
	if (err && *err)
		cli_yaml_str(y, "error", err);
	if (logs.len)
		cli_yaml_str(y, "logs", logs.data);
	cli_yaml_print(y);
close:
	cli_close(&c);
out:
	json_decref(env);
	json_decref(body);
	buf_done(&target);
	buf_done(&logs);
	return rv < 0 ? -1 : 0;
}

static int checks_action(const char *action, int argc, char **argv, struct errbuf *eb)
{
	struct cli_strv names = CLI_STRV_INIT;
	const struct cli_arg args[] = { CLI_ARGS("<check>", 1, &names), CLI_ARG_END };
	bool start = strcmp(action, "start") == 0;
	const struct cli_spec spec = { start ? "pebble start-checks <check>..." : "pebble stop-checks <check>...",
				       NULL, args, false };
	json_t *list = json_array(), *body = NULL, *env = NULL, *changed, *v;
	struct buf out = BUF_INIT;
	struct cli c;
	size_t i;
	int rv;

	buf_init(&out);
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	for (i = 0; i < names.n; i++)
		json_array_append_new(list, json_string(names.v[i]));
	body = json_pack("{s:s, s:O}", "action", action, "checks", list);
	if ((rv = cli_open(&c, eb)) < 0)
		goto out;
	rv = cli_call(&c, "POST", "/v1/checks", body, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	changed = json_object_get(json_object_get(env, "result"), "changed");
	if (json_array_size(changed) == 0) {
		printf("Checks already %s.\n", start ? "started" : "stopped");
	} else {
		json_array_foreach(changed, i, v)
			buf_addf(&out, "%s%s", i ? ", " : "", json_string_value(v) ? json_string_value(v) : "");
		printf("Checks %s: %s\n", start ? "started" : "stopped", out.data);
	}
out:
	json_decref(list);
	json_decref(body);
	json_decref(env);
	buf_done(&out);
	cli_strv_done(&names);
	return rv < 0 ? -1 : 0;
}

int cli_start_checks(int argc, char **argv, struct errbuf *eb)
{
	return checks_action("start", argc, argv, eb);
}

int cli_stop_checks(int argc, char **argv, struct errbuf *eb)
{
	return checks_action("stop", argc, argv, eb);
}

int cli_health(int argc, char **argv, struct errbuf *eb)
{
	static const char *const formats[] = { "text", "json", NULL };
	const char *level = NULL, *format = NULL;
	struct cli_strv names = CLI_STRV_INIT;
	const struct cli_opt opts[] = { CLI_STRING(0, "level", &level), CLI_STRING(0, "format", &format), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARGS("<check>", 0, &names), CLI_ARG_END };
	const struct cli_spec spec = { "pebble health [health-OPTIONS] [<check>...]", opts, args, false };
	struct buf target = BUF_INIT;
	json_t *env = NULL, *healthy;
	struct cli c;
	int rv;

	buf_init(&target);
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv > 0) { /* --help */
		rv = 0;
		goto out;
	}
	if (rv < 0 || (rv = cli_flag_choice("level", level, levels, eb)) < 0 ||
	    (rv = cli_flag_choice("format", format, formats, eb)) < 0)
		goto out;
	level_names_target(&target, "/v1/health", level, names.v, names.n);
	if ((rv = cli_open(&c, eb)) < 0)
		goto out;
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		goto out;
	healthy = json_object_get(json_object_get(env, "result"), "healthy");
	if (format && strcmp(format, "json") == 0)
		printf("{\"healthy\":%s}\n", json_is_true(healthy) ? "true" : "false");
	else
		printf("%s\n", json_is_true(healthy) ? "healthy" : "unhealthy");
	/* Unhealthy: exit code 1 without an error message. */
	rv = json_is_true(healthy) ? 0 : 1;
out:
	json_decref(env);
	buf_done(&target);
	cli_strv_done(&names);
	return rv < 0 ? -1 : rv;
}
