/* test-tools.c - unit tests for the hook tools (tools.h) against a fake hook context.
 *
 * Every argv form of charm-runtime.md §3 (ops <=3.4 and >=3.5 orders), the output bytes,
 * the error texts and the exit codes (1 failure, 2 usage). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/tools.h"
#include "agent/tools_fmt.h"
#include "lib/gofmt.h"
#include "lib/test.h"

/* ---- the fake agent ---- */

struct fake {
	struct hook_ctx ctx;
	bool leader;
	int status_calls;
	bool status_app;
	char status[32];
	char status_msg[256];
	json_t *unit_status;
	json_t *app_status;
	struct buf log; /* "LEVEL: message\n" per juju-log call */
	struct buf out, err;
};

static int fake_status_set(struct hook_ctx *ctx, bool app, const char *status,
			   const char *message, json_t *data, struct errbuf *eb)
{
	struct fake *f = ctx->agent;

	(void)data;
	if (app && !f->leader) {
		errbuf_set(eb, "setting application status: unit is not the leader");
		return -EPERM;
	}
	f->status_calls++;
	f->status_app = app;
	snprintf(f->status, sizeof(f->status), "%s", status);
	snprintf(f->status_msg, sizeof(f->status_msg), "%s", message);
	return 0;
}

static void fake_status_get(struct hook_ctx *ctx, bool app,
			    void (*done)(void *arg, json_t *result, const char *error), void *arg)
{
	struct fake *f = ctx->agent;

	if (app && !f->leader) {
		done(arg, NULL, "this unit is not the leader");
		return;
	}
	done(arg, app ? f->app_status : f->unit_status, NULL);
}

static void fake_log(struct hook_ctx *ctx, const char *level, const char *message)
{
	struct fake *f = ctx->agent;

	buf_addf(&f->log, "%s: %s\n", level, message);
}

static bool fake_is_leader(struct hook_ctx *ctx)
{
	return ((struct fake *)ctx->agent)->leader;
}

static const struct hook_ctx_ops fake_ops = {
	.status_set = fake_status_set,
	.status_get = fake_status_get,
	.log = fake_log,
	.is_leader = fake_is_leader,
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->ctx.ops = &fake_ops;
	f->ctx.agent = f;
	f->ctx.unit = "hello/0";
	f->ctx.app = "hello";
	f->ctx.hook = "config-changed";
	f->ctx.model_uuid = "b0e5c1d2-0000-4000-8000-000000000000";
	f->ctx.config = json_pack("{s:s, s:i, s:f, s:b, s:n, s:f, s:s}", "name", "hello", "port",
				  8080, "ratio", 0.5, "debug", 0, "nodefault", "big", 3.0, "empty",
				  "");
	f->ctx.state = json_object();
	f->ctx.ports = json_array();
	f->leader = true;
	f->unit_status = json_pack("{s:s, s:s, s:{}, s:s}", "status", "active", "message",
				   "ready", "status-data", "since", "2024-01-02T03:04:05Z");
	f->app_status = json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s, s:s, s:{}}}}", "status",
				  "active", "message", "all good", "status-data", "k", "v", "units",
				  "hello/0", "status", "active", "message", "ready", "status-data");
	buf_init(&f->log);
	buf_init(&f->out);
	buf_init(&f->err);
}

static void fake_done(struct fake *f)
{
	json_decref(f->ctx.config);
	json_decref(f->ctx.state);
	json_decref(f->ctx.ports);
	json_decref(f->ctx.app_version);
	json_decref(f->unit_status);
	json_decref(f->app_status);
	buf_done(&f->log);
	buf_done(&f->out);
	buf_done(&f->err);
}

#define MAX_ARGS 32

/* Runs tool with the NULL-terminated argument list; stdin_data may be NULL. */
static int vrun_in(struct fake *f, const char *cwd, const char *tool, const char *stdin_data,
		   va_list ap)
{
	char *argv[MAX_ARGS];
	int argc = 0;
	const char *a;

	while ((a = va_arg(ap, const char *)) && argc < MAX_ARGS)
		argv[argc++] = (char *)a;
	buf_reset(&f->out);
	buf_reset(&f->err);
	return tools_run_cwd(&f->ctx, tool, cwd, argc, argv, stdin_data, &f->out, &f->err);
}

static int run(struct fake *f, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = vrun_in(f, NULL, tool, NULL, ap);
	va_end(ap);
	return r;
}

static int run_stdin(struct fake *f, const char *stdin_data, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = vrun_in(f, NULL, tool, stdin_data, ap);
	va_end(ap);
	return r;
}

static int run_cwd(struct fake *f, const char *cwd, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = vrun_in(f, cwd, tool, NULL, ap);
	va_end(ap);
	return r;
}

#define OUT(f) buf_str(&(f)->out)
#define ERR(f) buf_str(&(f)->err)

/* ---- dispatch ---- */

static void test_every_name_has_a_tool(void)
{
	struct fake f;

	fake_init(&f);
	for (int i = 0; tools_names[i]; i++) {
		char want[64];

		ASSERT_EQ(run(&f, tools_names[i], "--help", NULL), 0);
		snprintf(want, sizeof(want), "Usage: %s", tools_names[i]);
		ASSERT_TRUE(strncmp(OUT(&f), want, strlen(want)) == 0);
		ASSERT_STREQ(ERR(&f), "");
	}
	fake_done(&f);
}

static void test_unknown_tool(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "frobnicate", "x", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR bad request: unknown hook command: frobnicate\n");
	ASSERT_STREQ(OUT(&f), "");
	fake_done(&f);
}

/* ---- juju-log ---- */

static void test_juju_log_forms(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "juju-log", "--log-level", "DEBUG", "--", "ops 2.20.0 up and running.",
		      NULL),
		  0);
	ASSERT_EQ(run(&f, "juju-log", "two", "words", NULL), 0);
	ASSERT_EQ(run(&f, "juju-log", "-l", "WARNING", "careful", NULL), 0);
	ASSERT_EQ(run(&f, "juju-log", "-lERROR", "bad", NULL), 0);
	ASSERT_EQ(run(&f, "juju-log", "--log-level=TRACE", "fine", NULL), 0);
	ASSERT_EQ(run(&f, "juju-log", "--debug", "dbg", NULL), 0);
	ASSERT_EQ(run(&f, "juju-log", "--log-level", "warn", "lower", NULL), 0);
	ASSERT_EQ(run(&f, "juju-log", "--log-level", "ERROR", "--", "Traceback:\n  line 1\n-x",
		      NULL),
		  0);
	ASSERT_EQ(run(&f, "juju-log", "msg", "--log-level", "CRITICAL", NULL), 0);
	ASSERT_STREQ(buf_str(&f.log), "DEBUG: ops 2.20.0 up and running.\n"
				      "INFO: two words\n"
				      "WARNING: careful\n"
				      "ERROR: bad\n"
				      "TRACE: fine\n"
				      "DEBUG: dbg\n"
				      "WARNING: lower\n"
				      "ERROR: Traceback:\n  line 1\n-x\n"
				      "CRITICAL: msg\n");
	ASSERT_STREQ(ERR(&f), "");
	fake_done(&f);
}

static void test_juju_log_bad_level_still_logs(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "juju-log", "--log-level", "LOUD", "hi", NULL), 0);
	ASSERT_STREQ(buf_str(&f.log), "WARNING: Specified log level of \"LOUD\" is not valid\n"
				      "INFO: hi\n");
	fake_done(&f);
}

static void test_juju_log_errors(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "juju-log", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no message specified\n");
	ASSERT_EQ(run(&f, "juju-log", "--log-level", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option needs an argument: --log-level\n");
	ASSERT_EQ(run(&f, "juju-log", "--bogus", "x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option provided but not defined: --bogus\n");
	ASSERT_EQ(run(&f, "juju-log", "-x", "x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option provided but not defined: -x\n");
	/* An empty message after -- is still a message. */
	ASSERT_EQ(run(&f, "juju-log", "--", "", NULL), 0);
	ASSERT_STREQ(buf_str(&f.log), "INFO: \n");
	/* The deprecated --format is accepted with a warning on stderr. */
	ASSERT_EQ(run(&f, "juju-log", "--format", "json", "m", NULL), 0);
	ASSERT_STREQ(ERR(&f), "--format flag deprecated for command \"juju-log\"");
	fake_done(&f);
}

/* ---- is-leader ---- */

static void test_is_leader(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "is-leader", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "true\n");
	ASSERT_EQ(run(&f, "is-leader", NULL), 0);
	ASSERT_STREQ(OUT(&f), "True\n");
	ASSERT_EQ(run(&f, "is-leader", "--format", "yaml", NULL), 0);
	ASSERT_STREQ(OUT(&f), "true\n");
	ASSERT_EQ(run(&f, "is-leader", "-format", "json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "true\n");
	f.leader = false;
	ASSERT_EQ(run(&f, "is-leader", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "false\n");
	ASSERT_EQ(run(&f, "is-leader", NULL), 0);
	ASSERT_STREQ(OUT(&f), "False\n");
	ASSERT_EQ(run(&f, "is-leader", "extra", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"extra\"]\n");
	ASSERT_EQ(run(&f, "is-leader", "--format=xml", NULL), 2);
	ASSERT_STREQ(ERR(&f),
		     "ERROR invalid value \"xml\" for option --format: unknown format \"xml\"\n");
	fake_done(&f);
}

/* ---- config-get ---- */

static void test_config_get_all(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "config-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"big\":3,\"debug\":false,\"empty\":\"\",\"name\":\"hello\","
			      "\"port\":8080,\"ratio\":0.5}\n");
	ASSERT_EQ(run(&f, "config-get", "--all", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"big\":3,\"debug\":false,\"empty\":\"\",\"name\":\"hello\","
			      "\"nodefault\":null,\"port\":8080,\"ratio\":0.5}\n");
	ASSERT_EQ(run(&f, "config-get", "--format=json", "-a", NULL), 0);
	ASSERT_CONTAINS(OUT(&f), "\"nodefault\":null");
	ASSERT_EQ(run(&f, "config-get", NULL), 0);
	ASSERT_STREQ(OUT(&f), "big: 3\ndebug: false\nempty: \"\"\nname: hello\nport: 8080\n"
			      "ratio: 0.5\n");
	fake_done(&f);
}

static void test_config_get_key(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "config-get", "port", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "8080\n");
	ASSERT_EQ(run(&f, "config-get", "--format=json", "port", NULL), 0);
	ASSERT_STREQ(OUT(&f), "8080\n");
	ASSERT_EQ(run(&f, "config-get", "port", NULL), 0);
	ASSERT_STREQ(OUT(&f), "8080\n");
	ASSERT_EQ(run(&f, "config-get", "ratio", NULL), 0);
	ASSERT_STREQ(OUT(&f), "0.5\n");
	ASSERT_EQ(run(&f, "config-get", "ratio", "--format", "json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "0.5\n");
	ASSERT_EQ(run(&f, "config-get", "big", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "3\n");
	ASSERT_EQ(run(&f, "config-get", "big", NULL), 0);
	ASSERT_STREQ(OUT(&f), "3\n");
	json_object_set_new(f.ctx.config, "huge", json_real(1e6));
	ASSERT_EQ(run(&f, "config-get", "huge", NULL), 0);
	ASSERT_STREQ(OUT(&f), "1e+06\n");
	ASSERT_EQ(run(&f, "config-get", "huge", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "1000000\n");
	json_object_del(f.ctx.config, "huge");
	ASSERT_EQ(run(&f, "config-get", "debug", NULL), 0);
	ASSERT_STREQ(OUT(&f), "False\n");
	ASSERT_EQ(run(&f, "config-get", "debug", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "false\n");
	ASSERT_EQ(run(&f, "config-get", "name", NULL), 0);
	ASSERT_STREQ(OUT(&f), "hello\n");
	ASSERT_EQ(run(&f, "config-get", "name", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "\"hello\"\n");
	ASSERT_EQ(run(&f, "config-get", "name", "--format=yaml", NULL), 0);
	ASSERT_STREQ(OUT(&f), "hello\n");
	/* An option without a default, and one that does not exist: nothing, or null. */
	ASSERT_EQ(run(&f, "config-get", "nodefault", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_EQ(run(&f, "config-get", "nodefault", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	ASSERT_EQ(run(&f, "config-get", "missing", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_STREQ(ERR(&f), "");
	ASSERT_EQ(run(&f, "config-get", "missing", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	/* The empty string prints nothing in the smart format. */
	ASSERT_EQ(run(&f, "config-get", "empty", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	/* "--" makes "--all" a key. */
	ASSERT_EQ(run(&f, "config-get", "--format=json", "--", "--all", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	fake_done(&f);
}

static void test_config_get_errors(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "config-get", "name", "--all", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR cannot use argument --all together with key \"name\"\n");
	ASSERT_EQ(run(&f, "config-get", "a", "b", "c", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"b\" \"c\"]\n");
	ASSERT_EQ(run(&f, "config-get", "--format", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option needs an argument: --format\n");
	ASSERT_EQ(run(&f, "config-get", "--app", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option provided but not defined: --app\n");
	ASSERT_EQ(run(&f, "config-get", "--all=maybe", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"maybe\" for option --all: "
			      "strconv.ParseBool: parsing \"maybe\": invalid syntax\n");
	ASSERT_STREQ(OUT(&f), "");
	fake_done(&f);
}

static void test_output_file(void)
{
	struct fake f;
	char dir[] = "/tmp/test-tools-XXXXXX", path[256], data[256];
	FILE *fp;
	size_t n;

	fake_init(&f);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_EQ(run_cwd(&f, dir, "config-get", "port", "-o", "out.txt", "--format=json", NULL),
		  0);
	ASSERT_STREQ(OUT(&f), "");
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	fp = fopen(path, "r");
	ASSERT_TRUE(fp != NULL);
	n = fread(data, 1, sizeof(data) - 1, fp);
	fclose(fp);
	data[n] = '\0';
	ASSERT_STREQ(data, "8080\n");
	ASSERT_EQ(run_cwd(&f, dir, "is-leader", "--output=nodir/x", NULL), 1);
	snprintf(data, sizeof(data), "ERROR open %s/nodir/x: no such file or directory\n", dir);
	ASSERT_STREQ(ERR(&f), data);
	unlink(path);
	rmdir(dir);
	fake_done(&f);
}

/* ---- status-set / status-get ---- */

static void test_status_set_forms(void)
{
	struct fake f;

	fake_init(&f);
	/* ops <= 3.4 */
	ASSERT_EQ(run(&f, "status-set", "--application=False", "active", "", NULL), 0);
	ASSERT_EQ(f.status_app, false);
	ASSERT_STREQ(f.status, "active");
	ASSERT_STREQ(f.status_msg, "");
	ASSERT_EQ(run(&f, "status-set", "--application=True", "blocked", "need db", NULL), 0);
	ASSERT_EQ(f.status_app, true);
	ASSERT_STREQ(f.status, "blocked");
	ASSERT_STREQ(f.status_msg, "need db");
	/* ops >= 3.5 */
	ASSERT_EQ(run(&f, "status-set", "--application=False", "maintenance", "--", "--odd msg",
		      NULL),
		  0);
	ASSERT_EQ(f.status_app, false);
	ASSERT_STREQ(f.status, "maintenance");
	ASSERT_STREQ(f.status_msg, "--odd msg");
	ASSERT_EQ(run(&f, "status-set", "--application=true", "waiting", "--", "db", NULL), 0);
	ASSERT_EQ(f.status_app, true);
	ASSERT_EQ(run(&f, "status-set", "--application=false", "active", NULL), 0);
	ASSERT_EQ(f.status_app, false);
	ASSERT_STREQ(f.status_msg, "");
	/* Every Go ParseBool spelling, and the bare flag. */
	const char *truths[] = { "1", "t", "T", "TRUE", "true", "True" };
	const char *lies[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (int i = 0; i < 6; i++) {
		char a[64];

		snprintf(a, sizeof(a), "--application=%s", truths[i]);
		ASSERT_EQ(run(&f, "status-set", a, "active", "x", NULL), 0);
		ASSERT_EQ(f.status_app, true);
		snprintf(a, sizeof(a), "--application=%s", lies[i]);
		ASSERT_EQ(run(&f, "status-set", a, "active", "x", NULL), 0);
		ASSERT_EQ(f.status_app, false);
	}
	ASSERT_EQ(run(&f, "status-set", "active", "msg", "--application", NULL), 0);
	ASSERT_EQ(f.status_app, true);
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_STREQ(ERR(&f), "");
	fake_done(&f);
}

static void test_status_set_errors(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "status-set", "bogus", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid status \"bogus\", expected one of [maintenance "
			      "blocked waiting active]\n");
	ASSERT_EQ(run(&f, "status-set", "unknown", NULL), 2);
	ASSERT_EQ(run(&f, "status-set", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid args, require <status> [message]\n");
	ASSERT_EQ(run(&f, "status-set", "active", "a", "b", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"b\"]\n");
	ASSERT_EQ(run(&f, "status-set", "--application=maybe", "active", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid value \"maybe\" for option --application: "
			      "strconv.ParseBool: parsing \"maybe\": invalid syntax\n");
	ASSERT_EQ(run(&f, "status-set", "--app", "active", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option provided but not defined: --app\n");
	ASSERT_EQ(f.status_calls, 0);
	/* The agent refuses application status to a non-leader. */
	f.leader = false;
	ASSERT_EQ(run(&f, "status-set", "--application=True", "active", "x", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR setting application status: unit is not the leader\n");
	ASSERT_EQ(f.status_calls, 0);
	fake_done(&f);
}

static void test_status_get_unit(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "status-get", NULL), 0);
	ASSERT_STREQ(OUT(&f), "active\n");
	/* ops <= 3.4 and >= 3.5 orders */
	ASSERT_EQ(run(&f, "status-get", "--include-data", "--application=False", "--format=json",
		      NULL),
		  0);
	ASSERT_STREQ(OUT(&f), "{\"message\":\"ready\",\"status\":\"active\",\"status-data\":{}}\n");
	ASSERT_EQ(run(&f, "status-get", "--include-data", "--format=json", "--application=false",
		      NULL),
		  0);
	ASSERT_STREQ(OUT(&f), "{\"message\":\"ready\",\"status\":\"active\",\"status-data\":{}}\n");
	ASSERT_EQ(run(&f, "status-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"status\":\"active\"}\n");
	ASSERT_EQ(run(&f, "status-get", "--include-data", NULL), 0);
	ASSERT_STREQ(OUT(&f), "message: ready\nstatus: active\nstatus-data: {}\n");
	ASSERT_EQ(run(&f, "status-get", "x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"x\"]\n");
	fake_done(&f);
}

static void test_status_get_app(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "status-get", "--include-data", "--application=True", "--format=json",
		      NULL),
		  0);
	ASSERT_STREQ(OUT(&f), "{\"application-status\":{\"message\":\"all good\",\"status\":"
			      "\"active\",\"status-data\":{\"k\":\"v\"},\"units\":{\"hello/0\":"
			      "{\"message\":\"ready\",\"status\":\"active\",\"status-data\":{}}}}}\n");
	ASSERT_EQ(run(&f, "status-get", "--application", NULL), 0);
	ASSERT_STREQ(OUT(&f), "active\n");
	ASSERT_EQ(run(&f, "status-get", "--application", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"application-status\":{\"status\":\"active\",\"units\":"
			      "{\"hello/0\":{\"status\":\"active\"}}}}\n");
	f.leader = false;
	ASSERT_EQ(run(&f, "status-get", "--application=true", "--format=json", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR finding application status: this unit is not the leader\n");
	ASSERT_STREQ(OUT(&f), "");
	fake_done(&f);
}

static void test_application_version_set(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "application-version-set", "--", "1.2.3", NULL), 0);
	ASSERT_STREQ(json_string_value(f.ctx.app_version), "1.2.3");
	ASSERT_TRUE(f.ctx.dirty);
	f.ctx.dirty = false;
	ASSERT_EQ(run(&f, "application-version-set", "1.2.3", NULL), 0);
	ASSERT_TRUE(!f.ctx.dirty);
	ASSERT_EQ(run(&f, "application-version-set", "--", "-rc1", NULL), 0);
	ASSERT_STREQ(json_string_value(f.ctx.app_version), "-rc1");
	ASSERT_EQ(run(&f, "application-version-set", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no version specified\n");
	ASSERT_EQ(run(&f, "application-version-set", "a", "b", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"b\"]\n");
	ASSERT_STREQ(json_string_value(f.ctx.app_version), "-rc1");
	fake_done(&f);
}

/* ---- state-get / state-set / state-delete ---- */

static void test_state_get_missing(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "state-get", "StoredStateData[_stored]", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_EQ(run(&f, "state-get", "--format=json", "k", NULL), 0);
	ASSERT_STREQ(OUT(&f), "\"\"\n");
	ASSERT_EQ(run(&f, "state-get", "--strict", "k", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR \"k\" not found\n");
	/* The whole (empty) store. */
	ASSERT_EQ(run(&f, "state-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	ASSERT_EQ(run(&f, "state-get", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{}\n");
	ASSERT_EQ(run(&f, "state-get", "a", "b", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"b\"]\n");
	ASSERT_TRUE(!f.ctx.dirty);
	fake_done(&f);
}

static void test_state_set_args_and_reads_see_writes(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "state-set", "a=1", "b=", " c = x y ", NULL), 0);
	ASSERT_TRUE(f.ctx.dirty);
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "a")), "1");
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "b")), "");
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "c")), "x y");
	ASSERT_EQ(run(&f, "state-get", "a", NULL), 0);
	ASSERT_STREQ(OUT(&f), "1\n");
	ASSERT_EQ(run(&f, "state-get", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"a\":\"1\",\"b\":\"\",\"c\":\"x y\"}\n");
	ASSERT_EQ(run(&f, "state-get", "-", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{\"a\":\"1\",\"b\":\"\",\"c\":\"x y\"}\n");
	/* Setting the same value again changes nothing. */
	f.ctx.dirty = false;
	ASSERT_EQ(run(&f, "state-set", "a=1", NULL), 0);
	ASSERT_TRUE(!f.ctx.dirty);
	ASSERT_EQ(run(&f, "state-delete", "a", NULL), 0);
	ASSERT_TRUE(f.ctx.dirty);
	ASSERT_EQ(run(&f, "state-get", "a", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	f.ctx.dirty = false;
	ASSERT_EQ(run(&f, "state-delete", "a", NULL), 0);
	ASSERT_EQ(run(&f, "state-delete", NULL), 0);
	ASSERT_TRUE(!f.ctx.dirty);
	ASSERT_EQ(run(&f, "state-delete", "b", "c", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"c\"]\n");
	fake_done(&f);
}

static void test_state_set_stdin_yaml_ops_2_20(void)
{
	struct fake f;
	const char *doc = "\"#notices#\": |\n"
			  "  - !!python/tuple ['C/on/config_changed[6]', C, _defer]\n"
			  "? |-\n"
			  "  StoredStateData[_stored]\n"
			  ": |\n"
			  "  {foo: 1}\n";

	fake_init(&f);
	ASSERT_EQ(run_stdin(&f, doc, "state-set", "--file", "-", NULL), 0);
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "#notices#")),
		     "- !!python/tuple ['C/on/config_changed[6]', C, _defer]\n");
	ASSERT_EQ(run(&f, "state-get", "StoredStateData[_stored]", NULL), 0);
	ASSERT_STREQ(OUT(&f), "{foo: 1}\n\n");
	ASSERT_EQ(run(&f, "state-get", "#notices#", NULL), 0);
	ASSERT_STREQ(OUT(&f), "- !!python/tuple ['C/on/config_changed[6]', C, _defer]\n\n");
	ASSERT_EQ(run(&f, "state-get", "--format=json", "#notices#", NULL), 0);
	ASSERT_STREQ(OUT(&f), "\"- !!python/tuple ['C/on/config_changed[6]', C, _defer]\\n\"\n");
	fake_done(&f);
}

static void test_state_set_stdin_json(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run_stdin(&f, "{\"k1\": \"v1\", \"k2\": \"{\\\"a\\\": [1]}\", \"n\": 5}",
			    "state-set", "--file=-", NULL),
		  0);
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "k2")), "{\"a\": [1]}");
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "n")), "5");
	/* Arguments override the file. */
	ASSERT_EQ(run_stdin(&f, "k1: from-file\nk3: three\n", "state-set", "k1=from-arg", "--file",
			    "-", NULL),
		  0);
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "k1")), "from-arg");
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "k3")), "three");
	/* An empty document sets nothing. */
	f.ctx.dirty = false;
	ASSERT_EQ(run_stdin(&f, "", "state-set", "--file", "-", NULL), 0);
	ASSERT_TRUE(!f.ctx.dirty);
	fake_done(&f);
}

static void test_state_set_file_path(void)
{
	struct fake f;
	char dir[] = "/tmp/test-tools-XXXXXX", path[256], want[300];
	FILE *fp;

	fake_init(&f);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/kv.yaml", dir);
	fp = fopen(path, "w");
	ASSERT_TRUE(fp != NULL);
	fputs("fk: fv\n", fp);
	fclose(fp);
	ASSERT_EQ(run_cwd(&f, dir, "state-set", "--file", "kv.yaml", NULL), 0);
	ASSERT_STREQ(json_string_value(json_object_get(f.ctx.state, "fk")), "fv");
	ASSERT_EQ(run_cwd(&f, dir, "state-set", "--file", "nope.yaml", NULL), 1);
	snprintf(want, sizeof(want), "ERROR open %s/nope.yaml: no such file or directory\n", dir);
	ASSERT_STREQ(ERR(&f), want);
	unlink(path);
	rmdir(dir);
	fake_done(&f);
}

static void test_state_set_errors(void)
{
	struct fake f;
	char *big;

	fake_init(&f);
	ASSERT_EQ(run(&f, "state-set", "novalue", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR expected \"key=value\", got \"novalue\"\n");
	ASSERT_EQ(run(&f, "state-set", "=v", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR expected \"key=value\", got \"=v\"\n");
	ASSERT_EQ(run(&f, "state-set", "a=1", "a=2", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR key \"a\" specified more than once\n");
	ASSERT_EQ(run(&f, "state-set", "--file", "-", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR hook tool requires stdin, none supplied\n");
	ASSERT_EQ(run_stdin(&f, "a: [unclosed", "state-set", "--file", "-", NULL), 1);
	ASSERT_CONTAINS(ERR(&f), "ERROR yaml: line");
	ASSERT_EQ(run_stdin(&f, "- a\n- b\n", "state-set", "--file", "-", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR yaml: unmarshal errors: cannot unmarshal !!seq into "
			      "map[string]string\n");
	ASSERT_EQ(run_stdin(&f, "a: {b: c}\n", "state-set", "--file", "-", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR yaml: unmarshal errors: cannot unmarshal !!map into "
			      "string\n");
	/* Quotas: nothing is stored when any pair is too big. */
	big = xmalloc(70000);
	memcpy(big, "big=", 4);
	memset(big + 4, 'x', 65537);
	big[4 + 65537] = '\0';
	ASSERT_EQ(run(&f, "state-set", "ok=1", big, NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR max allowed value length (65536) exceeded\n");
	memset(big, 'k', 300);
	strcpy(big + 300, "=v");
	ASSERT_EQ(run(&f, "state-set", big, NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR max allowed key length (256) exceeded\n");
	free(big);
	ASSERT_EQ(json_object_size(f.ctx.state), 0);
	ASSERT_TRUE(!f.ctx.dirty);
	fake_done(&f);
}

/* A status message past TOOLS_MAX_MESSAGE is refused; a juju-log message is cut there,
 * between characters. */
static void test_message_limits(void)
{
	struct fake f;
	char *msg = xmalloc(TOOLS_MAX_MESSAGE + 8);

	fake_init(&f);
	memset(msg, 'm', TOOLS_MAX_MESSAGE + 1);
	msg[TOOLS_MAX_MESSAGE + 1] = '\0';
	ASSERT_EQ(run(&f, "status-set", "active", msg, NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR status message too long: 131073 bytes (limit 131072)\n");
	msg[TOOLS_MAX_MESSAGE] = '\0';
	ASSERT_EQ(run(&f, "status-set", "active", msg, NULL), 0);
	/* "é" (2 bytes) straddling the limit: the log message ends before it. */
	memset(msg, 'l', TOOLS_MAX_MESSAGE + 4);
	msg[TOOLS_MAX_MESSAGE - 1] = (char)0xc3;
	msg[TOOLS_MAX_MESSAGE] = (char)0xa9;
	msg[TOOLS_MAX_MESSAGE + 4] = '\0';
	buf_reset(&f.log);
	ASSERT_EQ(run(&f, "juju-log", msg, NULL), 0);
	ASSERT_EQ(f.log.len, strlen("INFO: ") + TOOLS_MAX_MESSAGE - 1 + 1);
	free(msg);
	fake_done(&f);
}

/* The whole state's quotas: Juju's 2 MiB, the number of keys, the size as JSON.  A refused
 * state-set changes nothing; a smaller change still fits. */
static void test_state_total_quotas(void)
{
	struct fake f;
	char *arg = xmalloc(TOOLS_STATE_MAX_VALUE + 64);
	int i;

	fake_init(&f);
	for (i = 0; i < 32; i++) {
		int n = snprintf(arg, 64, "k%02d=", i);

		memset(arg + n, 'v', TOOLS_STATE_MAX_VALUE - 8);
		arg[n + TOOLS_STATE_MAX_VALUE - 8] = '\0';
		if (run(&f, "state-set", arg, NULL) != 0)
			break;
	}
	/* 32 x (64 KiB - 8 + 3) is just under 2 MiB; one more value is over. */
	ASSERT_EQ(i, 32);
	ASSERT_EQ(run(&f, "state-set", "k99=0123456789012345678901234567890123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR max allowed size (2097152) exceeded\n");
	ASSERT_EQ(json_object_size(f.ctx.state), 32);
	/* Replacing a value counts the new one only. */
	ASSERT_EQ(run(&f, "state-set", "k00=small", NULL), 0);
	ASSERT_EQ(run(&f, "state-set", "k99=fits now", NULL), 0);
	fake_done(&f);

	/* Many tiny keys: the protocol's key count. */
	fake_init(&f);
	for (i = 0; i < TOOLS_STATE_MAX_KEYS + 1; i++) {
		snprintf(arg, 64, "key%d=", i);
		if (run(&f, "state-set", arg, NULL) != 0)
			break;
	}
	ASSERT_EQ(i, TOOLS_STATE_MAX_KEYS);
	ASSERT_STREQ(ERR(&f), "ERROR max allowed number of keys (4096) exceeded\n");
	ASSERT_EQ(json_object_size(f.ctx.state), TOOLS_STATE_MAX_KEYS);
	fake_done(&f);

	/* Values of control characters: within 2 MiB, but six times that as JSON. */
	fake_init(&f);
	for (i = 0; i < 16; i++) {
		int n = snprintf(arg, 64, "c%02d=", i);

		memset(arg + n, '\x01', TOOLS_STATE_MAX_VALUE - 8);
		arg[n + TOOLS_STATE_MAX_VALUE - 8] = '\0';
		if (run(&f, "state-set", arg, NULL) != 0)
			break;
	}
	ASSERT_TRUE(i < 16);
	ASSERT_CONTAINS(ERR(&f), "ERROR charm state too large to commit: ");
	ASSERT_CONTAINS(ERR(&f), "bytes as JSON (limit 3145728)");
	ASSERT_EQ(json_object_size(f.ctx.state), (size_t)i);
	fake_done(&f);
	free(arg);
}

/* ---- ports ---- */

static void test_ports_open_close_list(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "open-port", "80", NULL), 0);
	ASSERT_TRUE(f.ctx.dirty);
	ASSERT_EQ(run(&f, "open-port", "8000-8999/udp", NULL), 0);
	ASSERT_EQ(run(&f, "open-port", "icmp", NULL), 0);
	ASSERT_EQ(run(&f, "open-port", "443/TCP", "--endpoints", "website,admin", NULL), 0);
	ASSERT_EQ(run(&f, "open-port", "--endpoints=website", "53/udp", NULL), 0);
	f.ctx.dirty = false;
	ASSERT_EQ(run(&f, "open-port", "80/tcp", NULL), 0); /* already open */
	ASSERT_TRUE(!f.ctx.dirty);
	ASSERT_EQ(json_array_size(f.ctx.ports), 5);
	ASSERT_STREQ(json_string_value(json_array_get(f.ctx.ports, 0)), "80/tcp");
	ASSERT_EQ(run(&f, "opened-ports", NULL), 0);
	ASSERT_STREQ(OUT(&f), "icmp\n80/tcp\n443/tcp\n53/udp\n8000-8999/udp\n");
	ASSERT_EQ(run(&f, "opened-ports", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[\"icmp\",\"80/tcp\",\"443/tcp\",\"53/udp\",\"8000-8999/udp\"]\n");
	ASSERT_EQ(run(&f, "opened-ports", "--endpoints", NULL), 0);
	ASSERT_CONTAINS(OUT(&f), "80/tcp (*)\n");
	ASSERT_EQ(run(&f, "close-port", "80", NULL), 0);
	ASSERT_TRUE(f.ctx.dirty);
	ASSERT_EQ(run(&f, "close-port", "icmp", NULL), 0);
	ASSERT_EQ(run(&f, "close-port", "8000-8999/UDP", NULL), 0);
	f.ctx.dirty = false;
	ASSERT_EQ(run(&f, "close-port", "9999", NULL), 0); /* not open: nothing to do */
	ASSERT_TRUE(!f.ctx.dirty);
	ASSERT_EQ(run(&f, "opened-ports", "--format", "yaml", NULL), 0);
	ASSERT_STREQ(OUT(&f), "- 443/tcp\n- 53/udp\n");
	ASSERT_EQ(run(&f, "close-port", "443", NULL), 0);
	ASSERT_EQ(run(&f, "close-port", "53/udp", NULL), 0);
	ASSERT_EQ(run(&f, "opened-ports", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_EQ(run(&f, "opened-ports", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "[]\n");
	/* The deprecated --format of open-port is accepted with a warning. */
	ASSERT_EQ(run(&f, "open-port", "80", "--format", "json", NULL), 0);
	ASSERT_STREQ(ERR(&f), "--format flag deprecated for command \"open-port\"");
	fake_done(&f);
}

static void test_ports_errors(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "open-port", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR no port or range specified\n");
	ASSERT_EQ(run(&f, "open-port", "abc", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid port \"abc\": strconv.Atoi: parsing \"abc\": "
			      "invalid syntax\n");
	ASSERT_EQ(run(&f, "open-port", "80-x/udp", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid port \"x\": strconv.Atoi: parsing \"x\": "
			      "invalid syntax\n");
	ASSERT_EQ(run(&f, "open-port", "99999999999999999999", NULL), 2);
	ASSERT_CONTAINS(ERR(&f), "value out of range");
	ASSERT_EQ(run(&f, "open-port", "80/sctp", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid protocol \"sctp\", expected \"tcp\", \"udp\", or "
			      "\"icmp\"\n");
	ASSERT_EQ(run(&f, "open-port", "90-80", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid port range 90-80/tcp\n");
	ASSERT_EQ(run(&f, "open-port", "1-2-3", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR invalid port range \"1-2-3\"\n");
	ASSERT_EQ(run(&f, "open-port", "70000", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR port range bounds must be between 0 and 65535, got "
			      "70000-70000\n");
	ASSERT_EQ(run(&f, "open-port", "80/icmp", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR protocol \"icmp\" doesn't support any ports; got \"80\"\n");
	ASSERT_EQ(run(&f, "close-port", "80", "81", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"81\"]\n");
	ASSERT_EQ(run(&f, "open-port", "-5", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR option provided but not defined: -5\n");
	ASSERT_EQ(json_array_size(f.ctx.ports), 0);
	ASSERT_TRUE(!f.ctx.dirty);
	/* Overlapping a different open range of the same protocol is refused. */
	ASSERT_EQ(run(&f, "open-port", "8000-8999/udp", NULL), 0);
	ASSERT_EQ(run(&f, "open-port", "8500/udp", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR cannot open 8500/udp (unit \"hello/0\"): port range "
			      "conflicts with 8000-8999/udp (unit \"hello/0\")\n");
	ASSERT_EQ(run(&f, "open-port", "8500/tcp", NULL), 0);
	ASSERT_EQ(json_array_size(f.ctx.ports), 2);
	fake_done(&f);
}

/* ---- parser details ---- */

static void test_help_and_parser_corners(void)
{
	struct fake f;

	fake_init(&f);
	ASSERT_EQ(run(&f, "config-get", "--help", NULL), 0);
	ASSERT_CONTAINS(OUT(&f), "Usage: config-get [options] [<key>]\n");
	ASSERT_CONTAINS(OUT(&f), "--format  (= smart)\n");
	ASSERT_CONTAINS(OUT(&f), "-o, --output (= \"\")\n    Specify an output file\n");
	ASSERT_CONTAINS(OUT(&f), "-a, --all  (= false)\n");
	ASSERT_EQ(run(&f, "status-set", "-h", NULL), 0);
	ASSERT_CONTAINS(OUT(&f), "Usage: status-set [options] <maintenance");
	ASSERT_EQ(run(&f, "config-get", "--=x", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR empty option in argument \"--=x\"\n");
	/* A cluster of single-rune options, then an attached value. */
	ASSERT_EQ(run(&f, "config-get", "-ao", "/dev/null", NULL), 0);
	ASSERT_STREQ(OUT(&f), "");
	/* "-" is a positional. */
	ASSERT_EQ(run(&f, "config-get", "-", "--format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "null\n");
	/* -format=json and a trailing --format win as the last one given. */
	ASSERT_EQ(run(&f, "is-leader", "--format=yaml", "-format=json", NULL), 0);
	ASSERT_STREQ(OUT(&f), "true\n");
	ASSERT_EQ(run(&f, "is-leader", "--format=json", "--format", "smart", NULL), 0);
	ASSERT_STREQ(OUT(&f), "True\n");
	fake_done(&f);
}

/* ---- the formatters ---- */

static void check_float(double d, const char *want)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	gofmt_float(&b, d, GOFMT_FLOAT_JSON);
	if (strcmp(buf_str(&b), want))
		printf("  float %.17g: got %s want %s\n", d, buf_str(&b), want);
	test_cur_failed |= strcmp(buf_str(&b), want) != 0;
	buf_done(&b);
}

static void test_go_float(void)
{
	check_float(0.1, "0.1");
	check_float(1.5, "1.5");
	check_float(3.0, "3");
	check_float(-2.25, "-2.25");
	check_float(123456789.0, "123456789");
	check_float(1e20, "100000000000000000000");
	check_float(1e21, "1e+21");
	check_float(1e-7, "1e-7");
	check_float(0.000001, "0.000001");
	check_float(1.0 / 3.0, "0.3333333333333333");
	check_float(0, "0");
}

static void test_json_escaping(void)
{
	struct buf b = BUF_INIT;
	json_t *v = json_pack("{s:s, s:s, s:s}", "html", "<a&b>", "ctl", "x\001\n\t\"\\",
			      "ls", "a\xe2\x80\xa8z");
	char *clean = tfmt_utf8_clean("ok\xff!");

	buf_init(&b);
	tfmt_json(&b, v);
	ASSERT_STREQ(buf_str(&b), "{\"ctl\":\"x\\u0001\\n\\t\\\"\\\\\",\"html\":"
				  "\"\\u003ca\\u0026b\\u003e\",\"ls\":\"a\\u2028z\"}");
	ASSERT_STREQ(clean, "ok\xef\xbf\xbd!");
	free(clean);
	json_decref(v);
	buf_done(&b);
}

int main(void)
{
	RUN(test_every_name_has_a_tool);
	RUN(test_unknown_tool);
	RUN(test_juju_log_forms);
	RUN(test_juju_log_bad_level_still_logs);
	RUN(test_juju_log_errors);
	RUN(test_is_leader);
	RUN(test_config_get_all);
	RUN(test_config_get_key);
	RUN(test_config_get_errors);
	RUN(test_output_file);
	RUN(test_status_set_forms);
	RUN(test_status_set_errors);
	RUN(test_status_get_unit);
	RUN(test_status_get_app);
	RUN(test_application_version_set);
	RUN(test_state_get_missing);
	RUN(test_state_set_args_and_reads_see_writes);
	RUN(test_state_set_stdin_yaml_ops_2_20);
	RUN(test_state_set_stdin_json);
	RUN(test_state_set_file_path);
	RUN(test_state_set_errors);
	RUN(test_state_total_quotas);
	RUN(test_message_limits);
	RUN(test_ports_open_close_list);
	RUN(test_ports_errors);
	RUN(test_help_and_parser_corners);
	RUN(test_go_float);
	RUN(test_json_escaping);
	return test_summary();
}
