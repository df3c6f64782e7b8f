/* cli.c - shared client pieces; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "lib/buf.h"

int cli_open(struct cli *c, struct errbuf *eb)
{
	const char *sock = getenv("PEBBLE_SOCKET"), *dir = getenv("PEBBLE");
	int rv;

	memset(c, 0, sizeof(*c));
	if (sock && *sock)
		c->socket_path = xstrdup(sock);
	else
		c->socket_path = xasprintf("%s/.pebble.socket", dir && *dir ? dir : SCREE_DEFAULT_DIR);
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
