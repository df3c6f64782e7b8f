/* taskwait.c - waiting for and printing run/exec tasks; see taskwait.h. */
#include "taskwait.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "format_action.h"
#include "gostr.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/strnum.h"

int taskwait_parse_format(const char *s, enum taskwait_format *ret)
{
	if (!strcmp(s, "plain"))
		*ret = TASKWAIT_PLAIN;
	else if (!strcmp(s, "yaml"))
		*ret = TASKWAIT_YAML;
	else if (!strcmp(s, "json"))
		*ret = TASKWAIT_JSON;
	else
		return cli_error(CLI_EXIT_USAGE, "invalid value \"%s\" for option --format: unknown format \"%s\"",
				 s, s);
	return 0;
}

int taskwait_parse_wait(const char *s, int64_t *ret_ns)
{
	if (strnum_duration(s, ret_ns) < 0)
		return cli_error(CLI_EXIT_USAGE,
				 "invalid value \"%s\" for option --wait: time: invalid duration \"%s\"", s, s);
	return 0;
}

int taskwait_parse_opts(const char *format, const char *wait, bool background, bool utc,
			int64_t default_wait_ns, struct taskwait_opts *o)
{
	int r;

	if ((r = taskwait_parse_format(format, &o->format)))
		return r;
	if (wait && (r = taskwait_parse_wait(wait, &o->wait_ns)))
		return r;
	if (background && o->wait_ns > 0)
		return cli_error(CLI_EXIT_USAGE, "cannot specify both --wait and --background");
	if (!background && o->wait_ns == 0)
		o->wait_ns = default_wait_ns;
	o->background = background;
	o->utc = utc;
	return 0;
}

/* "web/0" -> "unit-web-0" (Juju prints receivers as tags). */
static void unit_tag(const char *unit, struct buf *out)
{
	buf_adds(out, "unit-");
	for (; *unit; unit++)
		buf_addc(out, *unit == '/' ? '-' : *unit);
}

/* Streams task-wait for task id: prints action-log lines (when logs) to stderr, and
 * returns the final task document (new reference) in *ret, *ret_timed_out set when the
 * wait ran out first.  Returns 0 or CLI_EXIT_FAIL with the error printed. */
int taskwait_task(int64_t id, int64_t timeout_ms, bool logs, bool utc, bool *ret_had_logs,
		  json_t **ret, bool *ret_timed_out)
{
	struct client c = { .fd = -1 };
	struct errbuf eb;
	json_t *req = json_pack("{s:s, s:I, s:I, s:b}", "op", "task-wait", "id", (json_int_t)id,
				"timeout-ms", (json_int_t)timeout_ms, "logs", logs);
	int r = CLI_EXIT_FAIL;

	errbuf_clear(&eb);
	*ret = NULL;
	if (client_init(&c, &eb) < 0 || client_connect_or_start(&c, NULL, &eb) < 0 ||
	    client_send(&c, req, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	for (;;) {
		json_t *frame = NULL, *log, *e;
		size_t i;

		if (client_recv(&c, &frame, &eb) < 0) {
			r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
			goto out;
		}
		if (client_check_response(frame, &eb) < 0) {
			json_decref(frame);
			r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
			goto out;
		}
		log = json_object_get(frame, "log");
		json_array_foreach(log, i, e) {
			struct buf b = BUF_INIT;
			json_t *ts = json_object_get(e, "timestamp");

			buf_init(&b);
			fa_time(&b, json_is_integer(ts) ? (uint64_t)json_integer_value(ts) : 0, utc,
				FA_TIME_PROGRESS);
			buf_addf(&b, " %s\n", json_string_value(json_object_get(e, "message")));
			fputs(buf_str(&b), stderr);
			buf_done(&b);
			*ret_had_logs = true;
		}
		if (json_is_true(json_object_get(frame, "end"))) {
			*ret = json_incref(json_object_get(frame, "task"));
			*ret_timed_out = json_is_true(json_object_get(frame, "timed-out"));
			json_decref(frame);
			r = *ret ? CLI_EXIT_OK : cli_error(CLI_EXIT_FAIL, "task %lld not found", (long long)id);
			goto out;
		}
		json_decref(frame);
	}
out:
	json_decref(req);
	client_done(&c);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is left of a budget of budget_ms started at start_ms (-1: no limit; 0 once spent). */
static int64_t remaining_ms(int64_t start_ms, int64_t budget_ms)
{
	int64_t left;

	if (budget_ms < 0)
		return -1;
	left = budget_ms - (now_ms() - start_ms);
	return left > 0 ? left : 0;
}

static void print_info(json_t *info, const struct taskwait_opts *o)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	switch (o->format) {
	case TASKWAIT_PLAIN:
		if (o->exec)
			fa_exec_plain(&b, info);
		else
			fa_plain(&b, info);
		break;
	case TASKWAIT_YAML:
		gofmt_yaml(&b, info);
		break;
	case TASKWAIT_JSON:
		gofmt_json(&b, info);
		buf_addc(&b, '\n');
		break;
	}
	cli_write_stdout(b.data, b.len);
	buf_done(&b);
}

int taskwait_run(json_t *enqueued, const struct taskwait_opts *o)
{
	json_t *tasks = json_object_get(enqueued, "tasks"), *t, *info = json_object();
	long long opid = (long long)json_integer_value(json_object_get(enqueued, "operation"));
	struct buf errs = BUF_INIT, failed = BUF_INIT;
	size_t i, ntasks = 0, nfailed = 0;
	long long last_id = 0;
	int r = CLI_EXIT_OK;
	bool progress = !o->exec;
	int64_t deadline_ms = -1, start_ms = 0;

	buf_init(&errs);
	buf_init(&failed);
	json_array_foreach(tasks, i, t) {
		if (json_is_string(json_object_get(t, "error"))) {
			buf_addf(&errs, "%s%s", errs.len ? "\n" : "", json_string_value(json_object_get(t, "error")));
			continue;
		}
		ntasks++;
	}
	if (!o->background && ntasks && progress)
		fprintf(stderr, "Running operation %lld with %zu task%s\n", opid, ntasks, ntasks > 1 ? "s" : "");
	json_array_foreach(tasks, i, t) {
		struct buf tag = BUF_INIT;

		if (json_object_get(t, "error"))
			continue;
		last_id = (long long)json_integer_value(json_object_get(t, "id"));
		buf_init(&tag);
		unit_tag(json_string_value(json_object_get(t, "unit")), &tag);
		if (!o->background && progress)
			fprintf(stderr, "  - task %lld on %s\n", last_id, tag.data);
		json_object_set_new(info, json_string_value(json_object_get(t, "unit")),
				    json_pack("{s:o}", "id", json_sprintf("%lld", last_id)));
		buf_done(&tag);
	}
	if (!o->background && progress && ntasks)
		fprintf(stderr, "\n");
	if (ntasks == 0) {
		fprintf(stderr, "Operation %lld failed to schedule any tasks:\n%s\n", opid, buf_str(&errs));
		goto out;
	}
	if (errs.len)
		fprintf(stderr, "Some actions could not be scheduled:\n%s\n\n", buf_str(&errs));
	if (o->background) {
		if (ntasks == 1) {
			fprintf(stderr, "Scheduled operation %lld with task %lld\n", opid, last_id);
			fprintf(stderr, "Check operation status with 'cairn show-operation %lld'\n", opid);
			fprintf(stderr, "Check task status with 'cairn show-task %lld'\n", last_id);
		} else {
			struct buf y = BUF_INIT;

			fprintf(stderr, "Scheduled operation %lld with %zu tasks\n", opid, ntasks);
			buf_init(&y);
			gofmt_yaml(&y, info);
			cli_write_stdout(y.data, y.len);
			buf_done(&y);
			fprintf(stderr, "Check operation status with 'cairn show-operation %lld'\n", opid);
			fprintf(stderr, "Check task status with 'cairn show-task <id>'\n");
		}
		goto out;
	}
	if (o->wait_ns >= 0)
		deadline_ms = o->wait_ns / 1000000;
	start_ms = now_ms();
	{
		bool first = true, had_logs = false;
		struct buf timed_out = BUF_INIT;

		buf_init(&timed_out);
		json_array_foreach(tasks, i, t) {
			json_t *doc = NULL, *formatted;
			bool to = false;
			int code;
			long long id = (long long)json_integer_value(json_object_get(t, "id"));
			const char *unit = json_string_value(json_object_get(t, "unit"));

			if (json_object_get(t, "error"))
				continue;
			if (progress)
				fprintf(stderr, "Waiting for task %lld...\n", id);
			/* One overall budget, as Juju's single timer. */
			r = taskwait_task(id, remaining_ms(start_ms, deadline_ms), first, o->utc, &had_logs,
					  &doc, &to);
			if (first && had_logs && progress)
				fprintf(stderr, "\n");
			first = false;
			if (r) {
				json_decref(doc);
				buf_done(&timed_out);
				goto out;
			}
			if (to) {
				buf_addf(&timed_out, "%sunit %s", timed_out.len ? ", " : "", unit);
				json_decref(doc);
				continue;
			}
			formatted = fa_task(doc, o->utc, &code);
			json_decref(doc);
			json_object_set_new(info, unit, formatted);
			if (code >= 1) {
				buf_addf(&failed, "%s - id \"%lld\" with return code %d", nfailed ? "\n" : "", id, code);
				nfailed++;
			}
		}
		if (timed_out.len) {
			r = cli_error(CLI_EXIT_FAIL, "timed out waiting for results from: %s", timed_out.data);
			buf_done(&timed_out);
			goto out;
		}
		buf_done(&timed_out);
	}
	print_info(info, o);
	if (nfailed)
		r = cli_error(CLI_EXIT_FAIL,
			      "the following task%s failed:\n%s\n\nuse 'cairn show-task' to inspect the failure%s\n",
			      nfailed > 1 ? "s" : "", failed.data, nfailed > 1 ? "s" : "");
out:
	buf_done(&errs);
	buf_done(&failed);
	json_decref(info);
	return r;
}
