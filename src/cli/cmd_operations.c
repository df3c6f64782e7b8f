/* cmd_operations.c - `cairn operations`, `show-operation`, `show-task`, `cancel-task`
 * (operator-cli.md §11.3; Juju 3's cmd/juju/action listoperations.go, showoperation.go,
 * showtask.go, cancel.go). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action/operation.h"
#include "cli.h"
#include "client.h"
#include "format_action.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/names.h"
#include "lib/yamljson.h"
#include "lib/strnum.h"
#include "taskwait.h"

/* A task or operation id: a decimal number from 1, without leading zeros. */
static bool parse_id(const char *s, int64_t *ret)
{
	return s[0] != '0' && strnum_i64(s, 1, 2147483647LL, ret) == 0;
}

/* The one positional id of show-task / show-operation ("task", "operation"): 0, or the usage
 * exit code with Juju's text printed. */
static int one_id(const struct argv_list *pos, const char *what, int64_t *ret)
{
	if (pos->n == 0)
		return cli_error(CLI_EXIT_USAGE, "no %s ID specified", what);
	if (pos->n > 1)
		return cli_unrecognized(pos->v + 1, pos->n - 1);
	if (!parse_id(pos->v[0], ret))
		return cli_error(CLI_EXIT_USAGE, "%s ID \"%s\" not valid", what, pos->v[0]);
	return 0;
}

static void print_doc(json_t *v, bool json)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	if (json) {
		gofmt_json(&b, v);
		buf_addc(&b, '\n');
	} else {
		json_to_yaml(&b, v, 2);
	}
	cli_write_stdout(b.data, b.len);
	buf_done(&b);
}

/* Waits (streaming) for task id for at most timeout_ms (-1: forever).  Returns 0 with the
 * task in *ret, or the exit code (error printed); *ret_timed_out when the time ran out. */
static int wait_for(int64_t id, int64_t timeout_ms, bool logs, bool utc, json_t **ret,
		    bool *ret_timed_out)
{
	bool had_logs = false;
	int r;

	*ret_timed_out = false;
	r = taskwait_task(id, timeout_ms, logs, utc, &had_logs, ret, ret_timed_out);
	if (r == CLI_EXIT_OK && had_logs)
		fputc('\n', stderr);
	return r;
}

/* ---- show-task ---- */

int cmd_show_task(int argc, char **argv)
{
	const char *wait_s = NULL, *format = "plain";
	bool watch = false, utc = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "wait", 0, ARGV_STRING, &wait_s, NULL },
		{ "watch", 0, ARGV_BOOL, &watch, NULL },
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	enum taskwait_format fmt;
	json_t *task = NULL, *formatted = NULL;
	int64_t wait_ns = -1000000000LL, id = 0;
	bool timed_out = false;
	int r, code;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if ((r = taskwait_parse_format(format, &fmt)))
		goto out;
	if (wait_s && (r = taskwait_parse_wait(wait_s, &wait_ns)))
		goto out;
	if (watch) {
		if (wait_s) {
			r = cli_error(CLI_EXIT_USAGE, "specify either --watch or --wait but not both");
			goto out;
		}
		wait_ns = 0; /* indefinitely */
	}
	if ((r = one_id(&pos, "task", &id)))
		goto out;
	if (wait_ns >= 0) {
		if ((r = wait_for(id, wait_ns == 0 ? -1 : wait_ns / 1000000, true, utc, &task, &timed_out)))
			goto out;
		if (timed_out) {
			r = cli_error(CLI_EXIT_FAIL, "maximum wait time reached");
			goto out;
		}
	} else if ((r = cli_call(json_pack("{s:s, s:I}", "op", "task", "id", (json_int_t)id), &task))) {
		goto out;
	}
	formatted = fa_task(task, utc, &code);
	if (fmt == TASKWAIT_PLAIN) {
		json_t *info = json_object();
		struct buf b = BUF_INIT;

		json_object_set(info, pos.v[0], formatted);
		buf_init(&b);
		fa_plain(&b, info);
		r = cli_write_stdout(b.data, b.len);
		buf_done(&b);
		json_decref(info);
	} else {
		struct buf b = BUF_INIT;

		buf_init(&b);
		if (fmt == TASKWAIT_JSON) {
			gofmt_json(&b, formatted);
			buf_addc(&b, '\n');
		} else {
			gofmt_yaml(&b, formatted);
		}
		r = cli_write_stdout(b.data, b.len);
		buf_done(&b);
	}
out:
	json_decref(formatted);
	json_decref(task);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* ---- show-operation ---- */

static int parse_yaml_json(const char *format, bool *ret_json)
{
	if (!strcmp(format, "yaml"))
		*ret_json = false;
	else if (!strcmp(format, "json"))
		*ret_json = true;
	else
		return cli_error(CLI_EXIT_USAGE, "invalid value \"%s\" for option --format: unknown format \"%s\"",
				 format, format);
	return 0;
}

int cmd_show_operation(int argc, char **argv)
{
	const char *wait_s = NULL, *format = "yaml";
	bool watch = false, utc = false, json = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "wait", 0, ARGV_STRING, &wait_s, NULL },
		{ "watch", 0, ARGV_BOOL, &watch, NULL },
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *op = NULL, *formatted = NULL;
	int64_t wait_ns = -1000000000LL, id = 0;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if ((r = parse_yaml_json(format, &json)))
		goto out;
	if (wait_s && (r = taskwait_parse_wait(wait_s, &wait_ns)))
		goto out;
	if (watch) {
		if (wait_s) {
			r = cli_error(CLI_EXIT_USAGE, "specify either --watch or --wait but not both");
			goto out;
		}
		wait_ns = 0;
	}
	if ((r = one_id(&pos, "operation", &id)))
		goto out;
	if ((r = cli_call(json_pack("{s:s, s:I}", "op", "operation", "id", (json_int_t)id), &op)))
		goto out;
	if (wait_ns >= 0) {
		/* Wait for each unfinished task in turn, within one budget, then look again. */
		struct timespec t0, t1;
		json_t *t;
		size_t i;
		bool timed_out = false;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		json_array_foreach(json_object_get(op, "tasks"), i, t) {
			enum task_status st = task_status_from_name(json_string_value(json_object_get(t, "status")));
			json_t *done = NULL;
			int64_t left = -1;

			if (task_status_final(st))
				continue;
			if (wait_ns > 0) {
				clock_gettime(CLOCK_MONOTONIC, &t1);
				left = wait_ns / 1000000 - ((t1.tv_sec - t0.tv_sec) * 1000 +
							    (t1.tv_nsec - t0.tv_nsec) / 1000000);
				if (left < 0)
					left = 0;
			}
			r = wait_for((int64_t)json_integer_value(json_object_get(t, "id")), left, false,
				     utc, &done, &timed_out);
			json_decref(done);
			if (r)
				goto out;
			if (timed_out)
				break;
		}
		json_decref(op);
		op = NULL;
		if ((r = cli_call(json_pack("{s:s, s:I}", "op", "operation", "id", (json_int_t)id), &op)))
			goto out;
		if (timed_out) {
			r = cli_error(CLI_EXIT_FAIL, "timeout reached");
			goto out;
		}
	}
	formatted = fa_operation(op, utc);
	print_doc(formatted, json);
out:
	json_decref(formatted);
	json_decref(op);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* ---- operations ---- */

int cmd_operations(int argc, char **argv)
{
	const char *format = "plain";
	bool utc = false;
	int64_t limit = 0, offset = 0;
	struct argv_list pos, apps, units, machines, actions, status;
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ "applications", 0, ARGV_LIST, &apps, NULL },
		{ "apps", 0, ARGV_LIST, &apps, NULL },
		{ "units", 0, ARGV_LIST, &units, NULL },
		{ "machines", 0, ARGV_LIST, &machines, NULL },
		{ "actions", 0, ARGV_LIST, &actions, NULL },
		{ "status", 0, ARGV_LIST, &status, NULL },
		{ "limit", 0, ARGV_INT, &limit, NULL },
		{ "offset", 0, ARGV_INT, &offset, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *ja = json_array(), *ju = json_array(), *jm = json_array(), *jc = json_array(),
	       *js = json_array(), *result = NULL, *ops, *v;
	enum taskwait_format fmt;
	struct buf bad = BUF_INIT;
	size_t i;
	int r;

	argv_list_init(&apps);
	argv_list_init(&units);
	argv_list_init(&machines);
	argv_list_init(&actions);
	argv_list_init(&status);
	buf_init(&bad);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if ((r = taskwait_parse_format(format, &fmt)))
		goto out;
	if (limit < 0 || offset < 0) {
		r = cli_error(CLI_EXIT_USAGE, "invalid value \"%lld\" for option --%s: strconv.ParseUint: "
					     "parsing \"%lld\": invalid syntax",
			      (long long)(limit < 0 ? limit : offset), limit < 0 ? "limit" : "offset",
			      (long long)(limit < 0 ? limit : offset));
		goto out;
	}
	argv_list_split_json(&apps, ja);
	argv_list_split_json(&units, ju);
	argv_list_split_json(&machines, jm);
	argv_list_split_json(&actions, jc);
	argv_list_split_json(&status, js);
	json_array_foreach(ja, i, v)
		if (!names_valid_application(json_string_value(v)))
			buf_addf(&bad, "%sinvalid application name \"%s\"", bad.len ? "\n" : "", json_string_value(v));
	json_array_foreach(ju, i, v)
		if (!names_valid_unit(json_string_value(v)))
			buf_addf(&bad, "%sinvalid unit name \"%s\"", bad.len ? "\n" : "", json_string_value(v));
	json_array_foreach(jm, i, v) {
		const char *m = json_string_value(v);
		int64_t n;

		if (strnum_i64(m, 0, 2147483647LL, &n) < 0 || (m[0] == '0' && m[1]))
			buf_addf(&bad, "%sinvalid machine id \"%s\"", bad.len ? "\n" : "", m);
	}
	json_array_foreach(js, i, v)
		if (task_status_from_name(json_string_value(v)) == _TASK_STATUS_INVALID)
			buf_addf(&bad, "%s\"%s\" is not a valid task status, want one of [pending running "
				       "completed failed cancelled aborting aborted error]",
				 bad.len ? "\n" : "", json_string_value(v));
	if (bad.len) {
		r = cli_error(CLI_EXIT_USAGE, "%s", bad.data);
		goto out;
	}
	if (pos.n) {
		r = cli_unrecognized(pos.v, pos.n);
		goto out;
	}
	r = cli_call(json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:I, s:I}", "op", "operations",
			       "applications", ja, "units", ju, "machines", jm, "actions", jc, "status",
			       js, "offset", (json_int_t)offset, "limit", (json_int_t)limit),
		     &result);
	if (r)
		goto out;
	ops = json_object_get(result, "operations");
	if (!json_array_size(ops)) {
		fprintf(stderr, "no matching operations\n");
		goto out;
	}
	if (fmt == TASKWAIT_PLAIN) {
		struct buf b = BUF_INIT;
		bool truncated = json_is_true(json_object_get(result, "truncated"));

		buf_init(&b);
		if (offset > 0 || truncated) {
			buf_addf(&b, "Displaying operation results %lld to %lld.\n", (long long)offset + 1,
				 (long long)offset + (long long)json_array_size(ops));
			if (truncated)
				buf_addf(&b, "Run the command again with --offset=%lld --limit=%lld to see the "
					     "next batch.\n\n",
					 (long long)(offset + (limit ? limit : 50)), (long long)(limit ? limit : 50));
		}
		fa_operations_table(&b, ops, utc);
		r = cli_write_stdout(b.data, b.len);
		buf_done(&b);
	} else {
		json_t *out = json_object(), *op;
		struct buf b = BUF_INIT;

		json_array_foreach(ops, i, op) {
			char id[32];

			snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(op, "id")));
			json_object_set_new(out, id, fa_operation(op, utc));
		}
		buf_init(&b);
		if (fmt == TASKWAIT_JSON) {
			gofmt_json(&b, out);
			buf_addc(&b, '\n');
		} else {
			/* Sorted ids at the top, struct order inside. */
			json_t *sorted = json_object();
			const char **keys = calloc(json_object_size(out) + 1, sizeof(*keys));
			const char *k;
			size_t n = 0;

			json_object_foreach(out, k, v)
				keys[n++] = k;
			for (size_t a = 1; a < n; a++)
				for (size_t c = a; c > 0 && strcmp(keys[c - 1], keys[c]) > 0; c--) {
					const char *t = keys[c];

					keys[c] = keys[c - 1];
					keys[c - 1] = t;
				}
			for (size_t a = 0; a < n; a++)
				json_object_set(sorted, keys[a], json_object_get(out, keys[a]));
			json_to_yaml(&b, sorted, 2);
			json_decref(sorted);
			free(keys);
		}
		r = cli_write_stdout(b.data, b.len);
		buf_done(&b);
		json_decref(out);
	}
out:
	buf_done(&bad);
	json_decref(result);
	json_decref(ja);
	json_decref(ju);
	json_decref(jm);
	json_decref(jc);
	json_decref(js);
	argv_list_done(&apps);
	argv_list_done(&units);
	argv_list_done(&machines);
	argv_list_done(&actions);
	argv_list_done(&status);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* ---- cancel-task ---- */

int cmd_cancel_task(int argc, char **argv)
{
	const char *format = "yaml";
	bool json = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *ids = json_array(), *result = NULL, *out = NULL, *list, *t;
	size_t i;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if ((r = parse_yaml_json(format, &json)))
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_FAIL, "no task IDs specified");
		goto out;
	}
	for (i = 0; i < pos.n; i++) {
		int64_t id;

		if (!parse_id(pos.v[i], &id)) {
			r = cli_error(CLI_EXIT_FAIL, "no tasks found matching prefix %s, no tasks have been "
						    "canceled", pos.v[i]);
			goto out;
		}
		json_array_append_new(ids, json_integer(id));
	}
	if ((r = cli_call(json_pack("{s:s, s:O}", "op", "cancel-task", "ids", ids), &result)))
		goto out;
	list = json_array();
	json_array_foreach(json_object_get(result, "tasks"), i, t)
		json_array_append_new(list, json_pack("{s:O, s:o, s:O, s:O}", "action",
						      json_object_get(t, "action"), "id",
						      json_sprintf("%lld", (long long)json_integer_value(json_object_get(t, "id"))),
						      "status", json_object_get(t, "status"), "unit",
						      json_object_get(t, "unit")));
	out = json_pack("{s:o}", "actions", list);
	print_doc(out, json);
out:
	json_decref(out);
	json_decref(result);
	json_decref(ids);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
