/* cli.c - shared client pieces; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "daemon.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/strnum.h"
#include "lib/yamljson.h"

char *cli_socket_path(void)
{
	const char *sock = getenv("PEBBLE_SOCKET"), *dir = getenv("PEBBLE");

	if (sock && *sock)
		return xstrdup(sock);
	return xasprintf("%s/.pebble.socket", dir && *dir ? dir : SCREE_DEFAULT_DIR);
}

int cli_open(struct cli *c, struct errbuf *eb)
{
	int rv;

	memset(c, 0, sizeof(*c));
	c->socket_path = cli_socket_path();
	rv = http_client_open_unix(c->socket_path, 0, &c->http, eb);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot communicate with server");
		free(c->socket_path);
		memset(c, 0, sizeof(*c));
	}
	return rv;
}

void cli_close(struct cli *c)
{
	http_client_free(c->http);
	free(c->socket_path);
	memset(c, 0, sizeof(*c));
}

int cli_call(struct cli *c, const char *method, const char *target, json_t *body, json_t **ret_env,
	     struct errbuf *eb)
{
	struct http_response resp;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_t *env = NULL;
	json_error_t jerr;
	const char *type;
	int rv;

	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.content_type);
	buf_init(&resp.body);
	rv = http_client_request(c->http, method, target, text ? "application/json" : NULL, text,
				 text ? strlen(text) : 0, &resp, eb);
	free(text);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot communicate with server");
		goto out;
	}
	env = json_loadb(resp.body.data, resp.body.len, 0, &jerr);
	if (!json_is_object(env)) {
		errbuf_set(eb, "cannot decode server response (status %d): %s", resp.status,
			   env ? "not an object" : jerr.text);
		rv = -EPROTO;
		goto out;
	}
	type = json_string_value(json_object_get(env, "type"));
	if (!type || strcmp(type, "error") == 0) {
		json_t *res = json_object_get(env, "result");
		const char *msg = json_string_value(json_object_get(res, "message"));
		const char *kind = json_string_value(json_object_get(res, "kind"));

		errbuf_set(eb, "%s%s", msg ? msg : "server error",
			   kind && strcmp(kind, "login-required") == 0 && getuid() != 0 ? " (try with sudo)" : "");
		rv = -EIO;
		goto out;
	}
	if (ret_env) {
		*ret_env = env;
		env = NULL;
	}
	rv = 0;
out:
	json_decref(env);
	http_response_done(&resp);
	return rv;
}

int cli_wait_change(struct cli *c, const char *id, struct errbuf *eb)
{
	char target[128];
	json_t *env = NULL;
	const char *err;
	int rv;

	snprintf(target, sizeof(target), "/v1/changes/%s/wait", id);
	rv = cli_call(c, "GET", target, NULL, &env, eb);
	if (rv < 0)
		return rv;
	err = json_string_value(json_object_get(json_object_get(env, "result"), "err"));
	if (err) {
		errbuf_set(eb, "%s", err);
		rv = -EIO;
	}
	json_decref(env);
	return rv;
}

void cli_table_init(struct cli_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void cli_table_add(struct cli_table *t, const char *const *row)
{
	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(row[i] ? row[i] : "");
	t->nrows++;
}

/* Display width: counts UTF-8 code points, not bytes. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void cli_table_print(struct cli_table *t)
{
	size_t wid[CLI_MAX_COLS] = { 0 };
	struct buf b = BUF_INIT;

	buf_init(&b);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c + 1 < t->ncols && c < CLI_MAX_COLS; c++) {
			size_t w = width(t->cells[r * t->ncols + c]) + 2;

			if (w > wid[c])
				wid[c] = w;
		}
	for (size_t c = 0; c < CLI_MAX_COLS; c++)
		if (wid[c] && wid[c] < 5)
			wid[c] = 5;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			buf_adds(&b, cell);
			if (c + 1 < t->ncols)
				for (size_t k = width(cell); k < wid[c]; k++)
					buf_addc(&b, ' ');
		}
		buf_addc(&b, '\n');
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_done(&b);
}

void cli_table_done(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

uint64_t cli_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	long off = 0;
	uint64_t ns = 0, scale = 100000000ull;

	if (!s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;

		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2)
			off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	}
	return ((uint64_t)(timegm(&tm) - off)) * 1000000000ull + ns;
}

void cli_human_time(const char *rfc3339, char *out, size_t n)
{
	uint64_t ns = cli_parse_time(rfc3339);
	time_t then, now = time(NULL);
	struct tm tt, tn;
	char hm[32];
	long days;

	if (!ns) {
		snprintf(out, n, "-");
		return;
	}
	then = (time_t)(ns / 1000000000ull);
	localtime_r(&then, &tt);
	localtime_r(&now, &tn);
	/* Calendar-day distance, as upstream timeutil.Human. */
	{
		struct tm a = tt, b = tn;

		a.tm_hour = b.tm_hour = 12;
		a.tm_min = b.tm_min = a.tm_sec = b.tm_sec = 0;
		a.tm_isdst = b.tm_isdst = -1;
		days = (long)((mktime(&a) - mktime(&b)) / 86400);
	}
	strftime(hm, sizeof(hm), "%H:%M %Z", &tt);
	if (days < -60 || days > 60)
		strftime(out, n, "%Y-%m-%d", &tt);
	else if (days < -1)
		snprintf(out, n, "%ld days ago, at %s", -days, hm);
	else if (days == -1)
		snprintf(out, n, "yesterday at %s", hm);
	else if (days == 0)
		snprintf(out, n, "today at %s", hm);
	else if (days == 1)
		snprintf(out, n, "tomorrow at %s", hm);
	else
		snprintf(out, n, "in %ld days, at %s", days, hm);
}

void cli_fmt_time(const char *rfc3339, bool abs, char *out, size_t n)
{
	const char *p, *zone;

	if (!abs || !rfc3339 || strlen(rfc3339) < 20 || !cli_parse_time(rfc3339)) {
		cli_human_time(rfc3339, out, n);
		return;
	}
	/* Go's t.Format(time.RFC3339) keeps the parsed offset and drops the fraction. */
	p = rfc3339 + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	zone = p;
	if (strcmp(zone, "+00:00") == 0 || strcmp(zone, "-00:00") == 0 || strcmp(zone, "z") == 0)
		zone = "Z";
	snprintf(out, n, "%.19s%s", rfc3339, zone);
}

void cli_query_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			buf_addc(b, (char)ch);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[ch >> 4]);
			buf_addc(b, hex[ch & 15]);
		}
	}
}

int cli_flag_duration(const char *flag, const char *val, int64_t *ret_ns, struct errbuf *eb)
{
	if (strnum_duration(val, ret_ns) < 0) {
		errbuf_set(eb, "invalid argument for flag `--%s' (expected time.Duration): time: invalid duration \"%s\"",
			   flag, val);
		return -1;
	}
	return 0;
}

int cli_flag_int(const char *flag, const char *val, int64_t *ret, struct errbuf *eb)
{
	int r = strnum_i64(val, INT64_MIN, INT64_MAX, ret);

	if (r < 0) {
		struct buf q = BUF_INIT;

		buf_init(&q);
		gofmt_quote(&q, val, strlen(val), GOFMT_QUOTE_GO);
		errbuf_set(eb, "invalid argument for flag `--%s' (expected *int): strconv.ParseInt: parsing %s: %s", flag,
			   q.data, r == -ERANGE ? "value out of range" : "invalid syntax");
		buf_done(&q);
		return -1;
	}
	return 0;
}

int cli_flag_choice(const char *flag, const char *val, const char *const *choices, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	size_t n = 0;

	if (!val)
		return 0;
	for (n = 0; choices[n]; n++)
		if (strcmp(val, choices[n]) == 0)
			return 0;
	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", choices[i]);
	errbuf_set(eb, "Invalid value `%s' for option `--%s'. Allowed values are: %s", val, flag, b.data);
	buf_done(&b);
	return -1;
}

/* ---- YAML output ---- */

struct cli_yaml {
	yaml_emitter_t em;
	struct buf out;
	bool failed;
};

static int yaml_write(void *data, unsigned char *buffer, size_t size)
{
	buf_add(&((struct cli_yaml *)data)->out, buffer, size);
	return 1;
}

static void yaml_emit(struct cli_yaml *y, yaml_event_t *ev)
{
	if (!y->failed && !yaml_emitter_emit(&y->em, ev))
		y->failed = true;
}

struct cli_yaml *cli_yaml_new(void)
{
	struct cli_yaml *y = xcalloc(1, sizeof(*y));
	yaml_event_t ev;

	buf_init(&y->out);
	yaml_emitter_initialize(&y->em);
	yaml_emitter_set_output(&y->em, yaml_write, y);
	yaml_emitter_set_indent(&y->em, 4);
	yaml_emitter_set_width(&y->em, -1);
	yaml_emitter_set_unicode(&y->em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	yaml_emit(y, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	yaml_emit(y, &ev);
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	yaml_emit(y, &ev);
	return y;
}

/* Untagged scalars in the requested style (the emitter keeps it where YAML allows it). */
static void yaml_scalar(struct cli_yaml *y, const char *v, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v), 1, 1, style);
	yaml_emit(y, &ev);
}

void cli_yaml_str(struct cli_yaml *y, const char *key, const char *val)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;

	if (strchr(val, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	else if (yaml_plain_is_nonstring(val))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	yaml_scalar(y, key, YAML_PLAIN_SCALAR_STYLE);
	yaml_scalar(y, val, style);
}

void cli_yaml_raw(struct cli_yaml *y, const char *key, const char *val)
{
	yaml_scalar(y, key, YAML_PLAIN_SCALAR_STYLE);
	yaml_scalar(y, val, YAML_PLAIN_SCALAR_STYLE);
}

void cli_yaml_map_begin(struct cli_yaml *y, const char *key)
{
	yaml_event_t ev;

	yaml_scalar(y, key, YAML_PLAIN_SCALAR_STYLE);
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	yaml_emit(y, &ev);
}

void cli_yaml_map_end(struct cli_yaml *y)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	yaml_emit(y, &ev);
}

void cli_yaml_print(struct cli_yaml *y)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	yaml_emit(y, &ev);
	yaml_document_end_event_initialize(&ev, 1);
	yaml_emit(y, &ev);
	yaml_stream_end_event_initialize(&ev);
	yaml_emit(y, &ev);
	yaml_emitter_flush(&y->em);
	if (y->failed) /* cannot happen with well-formed events; never print half a document */
		fprintf(stderr, "error: cannot format YAML: %s\n", y->em.problem ? y->em.problem : "unknown error");
	else {
		/* libyaml leaves the last line open after a plain scalar; yaml.v3 ends it. */
		if (y->out.len && y->out.data[y->out.len - 1] != '\n')
			buf_addc(&y->out, '\n');
		fwrite(y->out.data, 1, y->out.len, stdout);
	}
	yaml_emitter_delete(&y->em);
	buf_done(&y->out);
	free(y);
}


const char *cli_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}
