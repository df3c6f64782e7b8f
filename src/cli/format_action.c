/* format_action.c - Juju's task, operation and action output; see format_action.h. */
#include "format_action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/gofmt.h"
#include "lib/yamljson.h"
#include "table.h"

void fa_time(struct buf *out, uint64_t ns, bool utc, enum fa_time_style style)
{
	time_t secs = (time_t)(ns / 1000000000ull);
	unsigned long frac = (unsigned long)(ns % 1000000000ull);
	struct tm tm;
	char b[64];

	if (!ns)
		return;
	if (utc)
		gmtime_r(&secs, &tm);
	else
		localtime_r(&secs, &tm);
	switch (style) {
	case FA_TIME_PROGRESS:
		strftime(b, sizeof(b), "%H:%M:%S", &tm);
		buf_adds(out, b);
		return;
	case FA_TIME_PLAIN:
		strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
		buf_adds(out, b);
		return;
	case FA_TIME_GO:
		break;
	}
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
	buf_adds(out, b);
	if (frac) {
		/* ".999999999": the fraction without its trailing zeros. */
		char f[16];
		int n = snprintf(f, sizeof(f), "%09lu", frac);

		while (n > 0 && f[n - 1] == '0')
			f[--n] = '\0';
		buf_addf(out, ".%s", f);
	}
	{
		long off = utc ? 0 : tm.tm_gmtoff;
		char sign = off < 0 ? '-' : '+';

		if (off < 0)
			off = -off;
		buf_addf(out, " %c%02ld%02ld %s", sign, off / 3600, (off / 60) % 60,
			 utc ? "UTC" : (tm.tm_zone ? tm.tm_zone : ""));
	}
}

/* The string value of v, or "" when it is not a string. */
static const char *str_or(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

/* A new reference to v, or to JSON null when v is NULL. */
static json_t *or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

static uint64_t num_ns(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static json_t *time_str(uint64_t ns, bool utc, enum fa_time_style style)
{
	struct buf b = BUF_INIT;
	json_t *v;

	buf_init(&b);
	fa_time(&b, ns, utc, style);
	v = json_string(buf_str(&b));
	buf_done(&b);
	return v;
}

/* Replaces every "\r\n" with "\n". */
static json_t *crlf(const char *s)
{
	struct buf b = BUF_INIT;
	json_t *v;

	buf_init(&b);
	for (; *s; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			buf_addc(&b, *s);
	v = json_string(buf_str(&b));
	buf_done(&b);
	return v;
}

json_t *fa_task(json_t *task, bool utc, int *ret_code)
{
	json_t *res = json_object(), *results = json_object_get(task, "results"), *v;
	json_t *log = json_object_get(task, "log"), *e;
	const char *msg = json_string_value(json_object_get(task, "message"));
	uint64_t enq = num_ns(json_object_get(task, "enqueued")),
		 sta = num_ns(json_object_get(task, "started")),
		 com = num_ns(json_object_get(task, "completed"));
	size_t i;

	*ret_code = -1;
	json_object_set_new(res, "id", json_sprintf("%lld", (long long)json_integer_value(json_object_get(task, "id"))));
	json_object_set(res, "status", json_object_get(task, "status"));
	if (json_is_string(json_object_get(task, "unit")))
		json_object_set(res, "unit", json_object_get(task, "unit"));
	if (msg && *msg)
		json_object_set_new(res, "message", json_string(msg));
	if (json_is_object(results) && json_object_size(results)) {
		json_t *out = json_deep_copy(results);

		v = json_object_get(out, "stdout");
		if (json_is_string(v) && json_string_length(v))
			json_object_set_new(out, "stdout", crlf(json_string_value(v)));
		else
			json_object_del(out, "stdout");
		v = json_object_get(out, "stderr");
		if (json_is_string(v) && json_string_length(v))
			json_object_set_new(out, "stderr", crlf(json_string_value(v)));
		else
			json_object_del(out, "stderr");
		v = json_object_get(out, "return-code");
		if (json_is_integer(v))
			*ret_code = (int)json_integer_value(v);
		else if (json_is_real(v))
			*ret_code = (int)json_real_value(v);
		else
			json_object_del(out, "return-code");
		json_object_set_new(res, "results", out);
	}
	if (json_array_size(log)) {
		json_t *lines = json_array();

		json_array_foreach(log, i, e) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			fa_time(&b, num_ns(json_object_get(e, "timestamp")), utc, FA_TIME_GO);
			buf_addf(&b, " %s", str_or(json_object_get(e, "message")));
			json_array_append_new(lines, json_string(buf_str(&b)));
			buf_done(&b);
		}
		json_object_set_new(res, "log", lines);
	}
	if (enq || sta || com) {
		json_t *t = json_object();

		if (com)
			json_object_set_new(t, "completed", time_str(com, utc, FA_TIME_GO));
		if (enq)
			json_object_set_new(t, "enqueued", time_str(enq, utc, FA_TIME_GO));
		if (sta)
			json_object_set_new(t, "started", time_str(sta, utc, FA_TIME_GO));
		json_object_set_new(res, "timing", t);
	}
	return res;
}

static void yaml_marshal(struct buf *out, json_t *v)
{
	gofmt_yaml(out, v);
}

static bool filtered(const char *k)
{
	static const char *const keys[] = { "return-code", "stdout", "stderr", "stdout-encoding",
					    "stderr-encoding" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

static void add_trimmed_line(struct buf *out, const char *s)
{
	size_t n = strlen(s);

	while (n && *s == '\n')
		s++, n--;
	while (n && s[n - 1] == '\n')
		n--;
	buf_add(out, s, n);
	buf_addc(out, '\n');
}

void fa_plain(struct buf *out, json_t *info)
{
	json_t *summary = json_object(), *meta;
	const char *key, *stdout_s = NULL, *stderr_s = NULL;

	json_object_foreach(info, key, meta) {
		json_t *results = json_object_get(meta, "results"), *one = json_object(), *v;
		struct buf o = BUF_INIT;

		buf_init(&o);
		if (json_is_object(results)) {
			json_t *copy = json_object();
			const char *k;

			json_object_foreach(results, k, v) {
				if (!strcmp(k, "stdout") && json_string_length(v))
					stdout_s = json_string_value(v);
				if (!strcmp(k, "stderr") && json_string_length(v))
					stderr_s = json_string_value(v);
				if (!filtered(k))
					json_object_set(copy, k, v);
			}
			if (json_object_size(copy))
				yaml_marshal(&o, copy);
			json_decref(copy);
		} else {
			const char *st = json_string_value(json_object_get(meta, "status"));

			buf_addf(&o, "Task %s %s\n", str_or(json_object_get(meta, "id")),
				 st ? st : "has unknown status");
		}
		json_object_set(one, "id", json_object_get(meta, "id"));
		json_object_set_new(one, "output", json_string(buf_str(&o)));
		json_object_set(one, "status", json_object_get(meta, "status"));
		if (json_object_get(meta, "message"))
			json_object_set(one, "message", json_object_get(meta, "message"));
		json_object_set_new(summary, key, one);
		buf_done(&o);
	}
	if (json_object_size(summary) > 1) {
		yaml_marshal(out, summary);
	} else {
		json_object_foreach(summary, key, meta) {
			const char *st = json_string_value(json_object_get(meta, "status"));

			if (st && !strcmp(st, "failed")) {
				json_t *m = json_object_get(meta, "message");

				buf_addf(out, "Action id %s failed: %s\n",
					 str_or(json_object_get(meta, "id")),
					 json_is_string(m) ? json_string_value(m) : "<nil>");
			}
			buf_addf(out, "%s\n", json_string_value(json_object_get(meta, "output")));
		}
	}
	if (stdout_s)
		add_trimmed_line(out, stdout_s);
	if (stderr_s)
		add_trimmed_line(out, stderr_s);
	json_decref(summary);
}

/* Natural order of names ("u/2" before "u/10"). */
static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);

			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++, b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int natcmp_p(const void *a, const void *b)
{
	return natcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_forced_newline(struct buf *out, json_t *v)
{
	size_t n = json_string_length(v);

	if (!json_is_string(v) || !n)
		return;
	buf_add(out, json_string_value(v), n);
	if (json_string_value(v)[n - 1] != '\n')
		buf_addc(out, '\n');
}

void fa_exec_plain(struct buf *out, json_t *info)
{
	size_t n = json_object_size(info), i = 0, with_output = 0;
	const char **names = calloc(n + 1, sizeof(*names));
	const char *k;
	json_t *v;

	json_object_foreach(info, k, v) {
		names[i++] = k;
		if (json_is_object(json_object_get(v, "results")))
			with_output++;
	}
	qsort(names, n, sizeof(*names), natcmp_p);
	for (i = 0; i < n; i++) {
		json_t *res = json_object_get(json_object_get(info, names[i]), "results");

		if (with_output > 1)
			buf_addf(out, "%s:\n", names[i]);
		add_forced_newline(out, json_object_get(res, "stdout"));
		add_forced_newline(out, json_object_get(res, "stderr"));
		if (with_output > 1)
			buf_addc(out, '\n');
	}
	free(names);
}

static json_t *timing(json_t *o, bool utc)
{
	json_t *t = json_object();
	uint64_t enq = num_ns(json_object_get(o, "enqueued")), sta = num_ns(json_object_get(o, "started")),
		 com = num_ns(json_object_get(o, "completed"));

	/* timingInfo's field order. */
	if (enq)
		json_object_set_new(t, "enqueued", time_str(enq, utc, FA_TIME_GO));
	if (sta)
		json_object_set_new(t, "started", time_str(sta, utc, FA_TIME_GO));
	if (com)
		json_object_set_new(t, "completed", time_str(com, utc, FA_TIME_GO));
	return t;
}

static int cmp_str_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *fa_operation(json_t *op, bool utc)
{
	json_t *res = json_object(), *tasks = json_object_get(op, "tasks"), *t, *out_tasks, *first = NULL;
	bool single = true;
	size_t i, n = json_array_size(tasks);
	char **ids = calloc(n + 1, sizeof(*ids));
	json_t *by_id = json_object();

	json_object_set(res, "summary", json_object_get(op, "summary"));
	json_object_set(res, "status", json_object_get(op, "status"));
	json_array_foreach(tasks, i, t) {
		json_t *ti = json_object(), *log = json_object_get(t, "log"), *e;
		const char *msg = json_string_value(json_object_get(t, "message"));
		size_t k;

		json_object_set(ti, "host", json_object_get(t, "unit"));
		json_object_set(ti, "status", json_object_get(t, "status"));
		json_object_set_new(ti, "timing", timing(t, utc));
		if (json_array_size(log)) {
			json_t *lines = json_array();

			json_array_foreach(log, k, e) {
				struct buf b = BUF_INIT;

				buf_init(&b);
				fa_time(&b, num_ns(json_object_get(e, "timestamp")), utc, FA_TIME_GO);
				buf_addf(&b, " %s", str_or(json_object_get(e, "message")));
				json_array_append_new(lines, json_string(buf_str(&b)));
				buf_done(&b);
			}
			json_object_set_new(ti, "log", lines);
		}
		if (msg && *msg)
			json_object_set_new(ti, "message", json_string(msg));
		if (json_object_size(json_object_get(t, "results")))
			json_object_set_new(ti, "results", gofmt_sorted_copy(json_object_get(t, "results")));
		ids[i] = xasprintf("%lld", (long long)json_integer_value(json_object_get(t, "id")));
		json_object_set_new(by_id, ids[i], ti);
		if (!first)
			first = t;
		else if (single)
			single = json_equal(json_object_get(t, "action"), json_object_get(first, "action")) &&
				 json_equal(json_object_get(t, "parameters"), json_object_get(first, "parameters"));
	}
	if (first && single) {
		json_object_set_new(res, "action",
				    json_pack("{s:O, s:o}", "name", json_object_get(first, "action"),
					      "parameters",
					      gofmt_sorted_copy(json_object_get(first, "parameters"))));
	} else {
		json_array_foreach(tasks, i, t) {
			json_t *ti = json_object_get(by_id, ids[i]), *copy = json_object();
			const char *k;
			json_t *v;

			/* "name" leads taskInfo's fields. */
			json_object_set(copy, "name", json_object_get(t, "action"));
			json_object_foreach(ti, k, v)
				json_object_set(copy, k, v);
			json_object_set_new(by_id, ids[i], copy);
		}
	}
	json_object_set_new(res, "timing", timing(op, utc));
	/* Go marshals the tasks map with its keys sorted (as strings). */
	qsort(ids, n, sizeof(*ids), cmp_str_p);
	out_tasks = json_object();
	for (i = 0; i < n; i++) {
		json_object_set(out_tasks, ids[i], json_object_get(by_id, ids[i]));
		free(ids[i]);
	}
	free(ids);
	json_decref(by_id);
	if (json_object_size(out_tasks))
		json_object_set_new(res, "tasks", out_tasks);
	else
		json_decref(out_tasks);
	return res;
}

void fa_operations_table(struct buf *out, json_t *ops, bool utc)
{
	struct table t;
	json_t *op;
	size_t i;

	table_init(&t);
	table_align_right(&t, 0);
	table_row(&t);
	table_cell(&t, "ID");
	table_cell(&t, "Status");
	table_cell(&t, "Started");
	table_cell(&t, "Finished");
	table_cell(&t, "Task IDs");
	table_cell(&t, "Summary");
	json_array_foreach(ops, i, op) {
		json_t *tasks = json_object_get(op, "tasks"), *tk;
		struct buf ids = BUF_INIT, st = BUF_INIT, fi = BUF_INIT;
		size_t k;

		buf_init(&ids);
		buf_init(&st);
		buf_init(&fi);
		json_array_foreach(tasks, k, tk) {
			if (k == 5) {
				buf_adds(&ids, "...");
				break;
			}
			buf_addf(&ids, "%s%lld", k ? "," : "", (long long)json_integer_value(json_object_get(tk, "id")));
		}
		fa_time(&st, num_ns(json_object_get(op, "started")), utc, FA_TIME_PLAIN);
		fa_time(&fi, num_ns(json_object_get(op, "completed")), utc, FA_TIME_PLAIN);
		table_row(&t);
		table_cellf(&t, "%lld", (long long)json_integer_value(json_object_get(op, "id")));
		table_cell(&t, json_string_value(json_object_get(op, "status")));
		table_cell(&t, buf_str(&st));
		table_cell(&t, buf_str(&fi));
		table_cell(&t, buf_str(&ids));
		table_cell(&t, json_string_value(json_object_get(op, "summary")));
		buf_done(&ids);
		buf_done(&st);
		buf_done(&fi);
	}
	table_render(&t, out);
	table_done(&t);
}

static int spec_cmp(const void *a, const void *b)
{
	return natcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
		      json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

void fa_actions_table(struct buf *out, json_t *specs)
{
	size_t n = json_array_size(specs), i;
	json_t **v = calloc(n + 1, sizeof(*v));
	struct table t;

	for (i = 0; i < n; i++)
		v[i] = json_array_get(specs, i);
	qsort(v, n, sizeof(*v), spec_cmp);
	table_init(&t);
	table_row(&t);
	table_cell(&t, "Action");
	table_cell(&t, "Description");
	for (i = 0; i < n; i++) {
		const char *d = json_string_value(json_object_get(v[i], "description"));
		char *dup = xstrdup(d && *d ? d : "No description"), *p, *line;
		size_t len = strlen(dup);
		bool first = true;

		/* Trimmed; continuation lines sit in the description column. */
		while (len && strchr(" \t\n\r", dup[len - 1]))
			dup[--len] = '\0';
		p = dup;
		while (*p && strchr(" \t\n\r", *p))
			p++;
		while ((line = strsep(&p, "\n"))) {
			table_row(&t);
			table_cell(&t, first ? json_string_value(json_object_get(v[i], "name")) : "");
			table_cell(&t, line);
			first = false;
		}
		free(dup);
	}
	table_render(&t, out);
	table_done(&t);
	free(v);
}

void fa_show_action(struct buf *out, json_t *spec)
{
	json_t *props = json_object_get(json_object_get(spec, "params"), "properties"), *args, *p;
	const char *name;

	buf_addf(out, "%s\n\nArguments\n", str_or(json_object_get(spec, "description")));
	args = json_object();
	json_object_foreach(props, name, p) {
		json_t *a = json_object();

		if (!json_is_object(p)) {
			json_decref(a);
			continue;
		}
		/* actionArg is a struct: type, then description, nil when absent. */
		json_object_set_new(a, "type", or_null(json_object_get(p, "type")));
		json_object_set_new(a, "description",
				    or_null(json_object_get(p, "description")));
		json_object_set_new(args, name, a);
	}
	{
		json_t *sorted = gofmt_sorted_copy(args);
		/* Keep type before description inside each entry (struct order). */
		const char *k;
		json_t *e;

		json_object_foreach(sorted, k, e) {
			json_t *fixed = json_object();

			json_object_set(fixed, "type", json_object_get(e, "type"));
			json_object_set(fixed, "description", json_object_get(e, "description"));
			json_object_set_new(sorted, k, fixed);
		}
		if (json_object_size(sorted))
			json_to_yaml(out, sorted, 2);
		else
			buf_adds(out, "{}\n");
		json_decref(sorted);
	}
	buf_addc(out, '\n');
	json_decref(args);
}
