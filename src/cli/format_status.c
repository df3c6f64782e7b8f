/* format_status.c - tabular/JSON/YAML rendering of the status document; see format_status.h. */
#include "format_status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gostr.h"
#include "lib/yamljson.h"
#include "table.h"

#define ELLIPSIS "..."

/* ---- small accessors that tolerate missing or mistyped fields ---- */

static const char *str_at(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* obj[block][key] as a string, e.g. ("workload-status", "current"). */
static const char *status_field(json_t *obj, const char *block, const char *key)
{
	return str_at(json_object_get(obj, block), key);
}

static int cmp_nat(const void *a, const void *b)
{
	return gostr_natcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Returns the keys of obj in natural order (array owned by the caller, keys borrowed). */
static const char **sorted_keys(json_t *obj, size_t *ret_n)
{
	size_t n = json_is_object(obj) ? json_object_size(obj) : 0, i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *v;

	if (n) {
		json_object_foreach(obj, k, v)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_nat);
	}
	*ret_n = n;
	return keys;
}

void format_status_truncate(const char *msg, size_t max, struct buf *out)
{
	size_t ell = strlen(ELLIPSIS);

	if (gostr_width(msg) <= max) {
		buf_adds(out, msg);
		return;
	}
	buf_add(out, msg, gostr_prefix_bytes(msg, max > ell ? max - ell : 0));
	buf_adds(out, ELLIPSIS);
}

/* ---- times ---- */

static int two(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

int format_status_parse_time(const char *ts, time_t *ret)
{
	struct tm tm;
	const char *p;
	int off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(ts) < 20 || ts[4] != '-' || ts[7] != '-' || (ts[10] != 'T' && ts[10] != 't') ||
	    ts[13] != ':' || ts[16] != ':')
		return -EINVAL;
	int y1 = two(ts), y2 = two(ts + 2), mo = two(ts + 5), d = two(ts + 8);
	int h = two(ts + 11), mi = two(ts + 14), s = two(ts + 17);

	if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return -EINVAL;
	p = ts + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh = two(p + 1), om = p[3] == ':' ? two(p + 4) : -1;

		if (oh < 0 || om < 0)
			return -EINVAL;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	*ret = t - off;
	return 0;
}

static void add_zone(const struct tm *tm, struct buf *out)
{
	long off = tm->tm_gmtoff;

	if (off == 0) {
		buf_addc(out, 'Z');
		return;
	}
	buf_addf(out, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
}

void format_status_long_time(time_t t, bool utc, struct buf *out)
{
	struct tm tm;
	char tmp[64];

	if (utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%d %b %Y %H:%M:%S", &tm);
	buf_adds(out, tmp);
	add_zone(&tm, out);
}

void format_status_time_of_day(const char *ts, struct buf *out)
{
	struct tm tm;
	char tmp[32];
	time_t t;

	if (format_status_parse_time(ts, &t) < 0) {
		buf_adds(out, ts);
		return;
	}
	localtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%H:%M:%S", &tm);
	buf_adds(out, tmp);
	add_zone(&tm, out);
}

/* ---- sections ---- */

static void model_section(json_t *doc, struct buf *out)
{
	json_t *model = json_object_get(doc, "model");
	const char *cloud = str_at(model, "cloud"), *region = str_at(model, "region");
	const char *sla = str_at(model, "sla");
	const char *ts = str_at(json_object_get(doc, "controller"), "timestamp");
	const char *notes = status_field(model, "model-status", "message");
	struct buf tmp = BUF_INIT;
	struct table t;

	table_init(&t);
	buf_init(&tmp);
	table_row(&t);
	table_cell(&t, "Model");
	table_cell(&t, "Controller");
	table_cell(&t, "Cloud/Region");
	table_cell(&t, "Version");
	if (*sla)
		table_cell(&t, "SLA");
	if (*ts)
		table_cell(&t, "Timestamp");
	if (*notes)
		table_cell(&t, "Notes");
	table_row(&t);
	table_cell(&t, str_at(model, "name"));
	table_cell(&t, str_at(model, "controller"));
	if (*region)
		table_cellf(&t, "%s/%s", cloud, region);
	else
		table_cell(&t, cloud);
	table_cell(&t, str_at(model, "version"));
	if (*sla)
		table_cell(&t, sla);
	if (*ts) {
		format_status_time_of_day(ts, &tmp);
		table_cell(&t, buf_str(&tmp));
	}
	if (*notes)
		table_cell(&t, notes);
	table_render(&t, out);
	table_done(&t);
	buf_done(&tmp);
}

/* Counts the units whose agent is idle or executing (Juju's "current" in Scale). */
static void app_scale(json_t *app, struct buf *out)
{
	json_t *units = json_object_get(app, "units");
	json_t *scale = json_object_get(app, "scale");
	long long current = 0, desired;
	const char *k;
	json_t *u;

	desired = json_is_integer(scale) ? (long long)json_integer_value(scale)
					  : (long long)(json_is_object(units) ? json_object_size(units) : 0);
	if (json_is_object(units)) {
		json_object_foreach(units, k, u) {
			const char *agent = status_field(u, "juju-status", "current");

			if (!strcmp(agent, "idle") || !strcmp(agent, "executing"))
				current++;
		}
	}
	if (current == desired)
		buf_addf(out, "%lld", current);
	else
		buf_addf(out, "%lld/%lld", current, desired);
}

static void applications_section(json_t *apps, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	size_t n;
	const char **names = sorted_keys(apps, &n);
	struct table t;

	table_init(&t);
	buf_init(&tmp);
	table_align_right(&t, 3);
	table_align_right(&t, 6);
	table_row(&t);
	table_cell(&t, "App");
	table_cell(&t, "Version");
	table_cell(&t, "Status");
	table_cell(&t, "Scale");
	table_cell(&t, "Charm");
	table_cell(&t, "Channel");
	table_cell(&t, "Rev");
	table_cell(&t, "Exposed");
	table_cell(&t, "Message");
	for (size_t i = 0; i < n; i++) {
		json_t *app = json_object_get(apps, names[i]);
		const char *version = str_at(app, "version");
		const char *charm = str_at(app, "charm-name");
		json_t *rev = json_object_get(app, "charm-rev");
		size_t vlen = strcspn(version, "\n");

		table_row(&t);
		table_cell(&t, names[i]);
		/* The workload version's first line, cut to the column's limit. */
		buf_reset(&tmp);
		buf_add(&tmp, version, vlen);
		if (gostr_width(buf_str(&tmp)) > FORMAT_STATUS_MAX_VERSION) {
			char *v = xstrdup(buf_str(&tmp));

			buf_reset(&tmp);
			format_status_truncate(v, FORMAT_STATUS_MAX_VERSION, &tmp);
			free(v);
		}
		table_cell(&t, buf_str(&tmp));
		table_cell(&t, status_field(app, "application-status", "current"));
		buf_reset(&tmp);
		app_scale(app, &tmp);
		table_cell(&t, buf_str(&tmp));
		table_cell(&t, *charm ? charm : str_at(app, "charm"));
		table_cell(&t, str_at(app, "charm-channel"));
		if (json_is_integer(rev))
			table_cellf(&t, "%lld", (long long)json_integer_value(rev));
		else
			table_cell(&t, json_is_string(rev) ? json_string_value(rev) : "");
		table_cell(&t, json_is_true(json_object_get(app, "exposed")) ? "yes" : "no");
		buf_reset(&tmp);
		format_status_truncate(status_field(app, "application-status", "message"),
				       FORMAT_STATUS_MAX_MESSAGE, &tmp);
		table_cell(&t, buf_str(&tmp));
	}
	table_render(&t, out);
	table_done(&t);
	buf_done(&tmp);
	free(names);
}

/* What the agent is doing, from its message: "running <hook> hook" or
 * "running action <name>" (Juju's agentDoing).  Appends nothing otherwise. */
static void agent_doing(json_t *unit, struct buf *out)
{
	const char *msg = status_field(unit, "juju-status", "message");
	const char *p;

	if (strcmp(status_field(unit, "juju-status", "current"), "executing"))
		return;
	p = strstr(msg, "running ");
	if (!p)
		return;
	p += strlen("running ");
	if (!strncmp(p, "action ", 7)) {
		buf_adds(out, p + 7);
		return;
	}
	size_t n = strcspn(p, " ");

	if (n && !strncmp(p + n, " hook", 5))
		buf_add(out, p, n);
}

static void unit_row(struct table *t, const char *name, json_t *u, int level)
{
	const char *msg = status_field(u, "workload-status", "message");
	json_t *ports = json_object_get(u, "open-ports");
	struct buf m = BUF_INIT, doing = BUF_INIT, tmp = BUF_INIT;
	size_t i;
	json_t *p;

	buf_init(&m);
	buf_init(&doing);
	buf_init(&tmp);
	if (!*msg && !strcmp(status_field(u, "juju-status", "current"), "allocating"))
		msg = status_field(u, "juju-status", "message");
	agent_doing(u, &doing);
	if (doing.len)
		buf_addf(&m, "(%s) %s", buf_str(&doing), msg);
	else
		buf_adds(&m, msg);

	table_row(t);
	for (int l = 0; l < level * 2; l++)
		buf_addc(&tmp, ' ');
	buf_adds(&tmp, name);
	if (json_is_true(json_object_get(u, "leader")))
		buf_addc(&tmp, '*');
	table_cell(t, buf_str(&tmp));
	table_cell(t, status_field(u, "workload-status", "current"));
	table_cell(t, status_field(u, "juju-status", "current"));
	table_cell(t, str_at(u, "machine"));
	table_cell(t, str_at(u, "public-address"));
	buf_reset(&tmp);
	if (json_is_array(ports)) {
		json_array_foreach(ports, i, p) {
			if (!json_is_string(p))
				continue;
			if (tmp.len)
				buf_addc(&tmp, ',');
			buf_adds(&tmp, json_string_value(p));
		}
	}
	table_cell(t, buf_str(&tmp));
	buf_reset(&tmp);
	format_status_truncate(buf_str(&m), FORMAT_STATUS_MAX_MESSAGE, &tmp);
	table_cell(t, buf_str(&tmp));
	buf_done(&m);
	buf_done(&doing);
	buf_done(&tmp);
}

/* Subordinates are listed under their principal, indented by two spaces per level. */
static void unit_rows(struct table *t, json_t *units, int level)
{
	size_t n;
	const char **names = sorted_keys(units, &n);

	for (size_t i = 0; i < n; i++) {
		json_t *u = json_object_get(units, names[i]);

		unit_row(t, names[i], u, level);
		if (level < 8)
			unit_rows(t, json_object_get(u, "subordinates"), level + 1);
	}
	free(names);
}

/* Returns true when a units section was written. */
static bool units_section(json_t *apps, struct buf *out)
{
	json_t *all = json_object();
	const char *k;
	json_t *app;
	struct table t;

	json_object_foreach(apps, k, app) {
		json_t *units = json_object_get(app, "units");
		const char *uk;
		json_t *u;

		if (!json_is_object(units))
			continue;
		json_object_foreach(units, uk, u)
			json_object_set(all, uk, u);
	}
	if (!json_object_size(all)) {
		json_decref(all);
		return false;
	}
	table_init(&t);
	table_row(&t);
	table_cell(&t, "Unit");
	table_cell(&t, "Workload");
	table_cell(&t, "Agent");
	table_cell(&t, "Machine");
	table_cell(&t, "Public address");
	table_cell(&t, "Ports");
	table_cell(&t, "Message");
	unit_rows(&t, all, 0);
	table_render(&t, out);
	table_done(&t);
	json_decref(all);
	return true;
}

/* The availability zone from a hardware string ("arch=amd64 availability-zone=az1"). */
static void hardware_az(const char *hw, struct buf *out)
{
	const char *p = hw;
	const char *key = "availability-zone=";

	while ((p = strstr(p, key))) {
		if (p == hw || p[-1] == ' ') {
			p += strlen(key);
			buf_add(out, p, strcspn(p, " "));
			return;
		}
		p += strlen(key);
	}
}

static void machine_rows(struct table *t, json_t *machines, int depth)
{
	size_t n;
	const char **ids = sorted_keys(machines, &n);
	struct buf tmp = BUF_INIT;

	buf_init(&tmp);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_object_get(machines, ids[i]);
		json_t *base = json_object_get(m, "base");
		const char *state = status_field(m, "juju-status", "current");
		const char *msg = status_field(m, "machine-status", "message");
		const char *bname = str_at(base, "name");

		/* A failed modification is shown over the agent status (Juju). */
		if (!strcmp(status_field(m, "modification-status", "current"), "error")) {
			state = "error";
			msg = status_field(m, "modification-status", "message");
		}
		table_row(t);
		table_cell(t, ids[i]);
		table_cell(t, state);
		table_cell(t, str_at(m, "dns-name"));
		table_cell(t, str_at(m, "instance-id"));
		if (*bname)
			table_cellf(t, "%s@%s", bname, str_at(base, "channel"));
		else
			table_cell(t, "");
		buf_reset(&tmp);
		hardware_az(str_at(m, "hardware"), &tmp);
		table_cell(t, buf_str(&tmp));
		buf_reset(&tmp);
		format_status_truncate(msg, FORMAT_STATUS_MAX_MESSAGE, &tmp);
		table_cell(t, buf_str(&tmp));
		if (depth < 8)
			machine_rows(t, json_object_get(m, "containers"), depth + 1);
	}
	buf_done(&tmp);
	free(ids);
}

void format_status_machines(json_t *machines, struct buf *out)
{
	struct table t;

	table_init(&t);
	table_row(&t);
	table_cell(&t, "Machine");
	table_cell(&t, "State");
	table_cell(&t, "Address");
	table_cell(&t, "Inst id");
	table_cell(&t, "Base");
	table_cell(&t, "AZ");
	table_cell(&t, "Message");
	machine_rows(&t, machines, 0);
	table_render(&t, out);
	table_done(&t);
}

void format_status_tabular(json_t *doc, struct buf *out)
{
	json_t *apps = json_object_get(doc, "applications");
	json_t *machines = json_object_get(doc, "machines");
	const char *type = str_at(json_object_get(doc, "model"), "type");

	model_section(doc, out);
	if (json_is_object(apps) && json_object_size(apps)) {
		buf_addc(out, '\n');
		applications_section(apps, out);
		/* units_section writes its own leading blank line only when it has rows. */
		struct buf units = BUF_INIT;

		buf_init(&units);
		if (units_section(apps, &units)) {
			buf_addc(out, '\n');
			buf_add(out, units.data, units.len);
		}
		buf_done(&units);
	}
	if (strcmp(type, "caas") && json_is_object(machines) && json_object_size(machines)) {
		buf_addc(out, '\n');
		format_status_machines(machines, out);
	}
}

bool format_status_is_empty(json_t *doc)
{
	json_t *apps = json_object_get(doc, "applications");
	json_t *machines = json_object_get(doc, "machines");

	return !(json_is_object(apps) && json_object_size(apps)) &&
	       !(json_is_object(machines) && json_object_size(machines));
}

void format_status(json_t *doc, enum format_status_kind kind, struct buf *out)
{
	char *s;

	switch (kind) {
	case FORMAT_STATUS_TABULAR:
		format_status_tabular(doc, out);
		break;
	case FORMAT_STATUS_JSON:
		s = gostr_json_compact(doc);
		buf_adds(out, s);
		buf_addc(out, '\n');
		free(s);
		break;
	case FORMAT_STATUS_YAML:
		json_to_yaml(out, doc, 2);
		break;
	}
}
