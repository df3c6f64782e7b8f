/* cmd_status.c - `cairn status` (operator-cli.md §8) and `cairn show-status-log`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "format_relations.h"
#include "format_status.h"
#include "gostr.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "table.h"

static int bad_format(const char *f)
{
	char *q = gostr_quoted(f);
	int r = cli_error(CLI_EXIT_USAGE, "invalid value %s for option --format: unknown format %s", q, q);

	free(q);
	return r;
}

/* --format json: the controller renders the document compact in the order Juju prints it
 * (docs/protocol.md §1), so it is written as it came - at 10,000 units parsing and
 * re-encoding 2 MB would cost more than the whole command should.  A response of another
 * shape (an error) is decoded as usual. */
static int status_json_passthrough(void)
{
	static const char prefix[] = "{\"ok\":true,\"result\":";
	json_t *req = json_pack("{s:s}", "op", "status"), *resp = NULL, *doc;
	struct buf body = BUF_INIT;
	struct errbuf eb;
	int r;

	buf_init(&body);
	errbuf_clear(&eb);
	r = client_request_text(req, &body, &eb);
	json_decref(req);
	if (r < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	if (body.len > sizeof(prefix) && !memcmp(body.data, prefix, sizeof(prefix) - 1) &&
	    body.data[body.len - 1] == '}') {
		body.data[body.len - 1] = '\n';
		r = cli_write_stdout(body.data + sizeof(prefix) - 1, body.len - (sizeof(prefix) - 1));
		goto out;
	}
	resp = json_loadb(body.data, body.len, 0, NULL);
	if (!resp) {
		r = cli_error(CLI_EXIT_FAIL, "malformed response from the controller");
		goto out;
	}
	if (client_check_response(resp, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	doc = json_object_get(resp, "result");
	{
		struct buf out = BUF_INIT;

		buf_init(&out);
		format_status(doc, FORMAT_STATUS_JSON, &out);
		r = cli_write_stdout(out.data, out.len);
		buf_done(&out);
	}
out:
	json_decref(resp);
	buf_done(&body);
	return r;
}

int cmd_status(int argc, char **argv)
{
	const char *format = "tabular";
	bool utc = false, color = false, relations = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ "color", 0, ARGV_BOOL, &color, NULL },
		{ "relations", 0, ARGV_BOOL, &relations, NULL },
		{ "integrations", 0, ARGV_BOOL, &relations, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	enum format_status_kind kind;
	json_t *doc = NULL;
	struct buf out = BUF_INIT;
	int r;

	buf_init(&out);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (!strcmp(format, "tabular")) {
		kind = FORMAT_STATUS_TABULAR;
	} else if (!strcmp(format, "json")) {
		kind = FORMAT_STATUS_JSON;
	} else if (!strcmp(format, "yaml")) {
		kind = FORMAT_STATUS_YAML;
	} else {
		r = bad_format(format);
		goto out;
	}
	if (pos.n) {
		/* Selectors (machine, application, unit, glob) are not supported. */
		r = cli_unrecognized(pos.v, pos.n);
		goto out;
	}
	if (utc) {
		setenv("TZ", "UTC", 1);
		tzset();
	}
	if (kind == FORMAT_STATUS_JSON) {
		/* As the controller rendered it (no relation rows: they only feed the table). */
		r = status_json_passthrough();
		goto out;
	}
	r = cli_call(json_pack("{s:s, s:b}", "op", "status", "relations", relations), &doc);
	if (r)
		goto out;
	/* The relation rows only feed the tabular section; Juju's JSON/YAML has no such key. */
	{
		json_t *rows = json_incref(json_object_get(doc, FORMAT_RELATIONS_KEY));

		json_object_del(doc, FORMAT_RELATIONS_KEY);
		format_status(doc, kind, &out);
		if (kind == FORMAT_STATUS_TABULAR && relations && json_array_size(rows)) {
			buf_addc(&out, '\n');
			format_relations_section(rows, &out);
		}
		json_decref(rows);
	}
	r = cli_write_stdout(out.data, out.len);
	if (r == CLI_EXIT_OK && kind == FORMAT_STATUS_TABULAR && format_status_is_empty(doc)) {
		const char *name = json_string_value(json_object_get(json_object_get(doc, "model"), "name"));

		fprintf(stderr, "\nModel \"%s\" is empty.\n", name ? name : "");
	}
out:
	json_decref(doc);
	buf_done(&out);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_show_status_log(int argc, char **argv)
{
	int64_t n = 20;
	bool utc = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ NULL, 'n', ARGV_INT, &n, NULL },
		{ "utc", 0, ARGV_BOOL, &utc, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *result = NULL, *entries, *e;
	struct buf out = BUF_INIT, tmp = BUF_INIT;
	struct table t;
	size_t i;
	int r;

	buf_init(&out);
	buf_init(&tmp);
	table_init(&t);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no unit specified");
		goto out;
	}
	if (pos.n > 1) {
		r = cli_unrecognized(pos.v + 1, pos.n - 1);
		goto out;
	}
	if (!names_valid_unit(pos.v[0])) {
		r = cli_invalid_name("unit", pos.v[0]);
		goto out;
	}
	if (n < 1) {
		r = cli_error(CLI_EXIT_USAGE, "invalid number of entries: -n must be a positive integer");
		goto out;
	}
	r = cli_call(json_pack("{s:s, s:s, s:I}", "op", "show-status-log", "unit", pos.v[0], "n",
			       (json_int_t)n), &result);
	if (r)
		goto out;
	entries = json_object_get(result, "entries");
	table_row(&t);
	table_cell(&t, "Time");
	table_cell(&t, "Type");
	table_cell(&t, "Status");
	table_cell(&t, "Message");
	json_array_foreach(entries, i, e) {
		json_t *jt = json_object_get(e, "time");
		const char *ts = json_string_value(jt);
		bool have = false;
		time_t when = 0;

		/* RFC 3339 text, or nanoseconds since the epoch. */
		if (ts && format_status_parse_time(ts, &when) == 0) {
			have = true;
		} else if (json_is_integer(jt)) {
			when = (time_t)(json_integer_value(jt) / 1000000000);
			have = true;
		}
		buf_reset(&tmp);
		if (have && utc) {
			struct tm tm;
			char iso[32];

			gmtime_r(&when, &tm);
			strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
			buf_adds(&tmp, iso);
		} else if (have) {
			format_status_long_time(when, false, &tmp);
		} else if (ts) {
			buf_adds(&tmp, ts);
		}
		table_row(&t);
		table_cell(&t, buf_str(&tmp));
		table_cell(&t, json_string_value(json_object_get(e, "type")));
		table_cell(&t, json_string_value(json_object_get(e, "status")));
		table_cell(&t, json_string_value(json_object_get(e, "message")));
	}
	table_render(&t, &out);
	r = cli_write_stdout(out.data, out.len);
out:
	json_decref(result);
	table_done(&t);
	buf_done(&out);
	buf_done(&tmp);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
