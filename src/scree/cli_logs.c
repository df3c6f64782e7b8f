/* cli_logs.c - `scree logs [-f] [-n N] [--format text|json] [SVC...]` (§15): prints each
 * entry as "TIME [svc] message", or with --format json as the JSON line upstream's client
 * writes ({"time":...,"service":...,"message":...}, Go's encoder without HTML escaping). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/gofmt.h"
#include "lib/strnum.h"

struct logs_state {
	struct buf pending;   /* an incomplete ndjson line */
	bool json;            /* --format json */
};

/* The entry re-encoded as Go's json.Encoder (SetEscapeHTML(false)) writes client.LogEntry:
 * the server's RFC 3339 time is what Go's time.Time marshals back to. */
static void print_json(json_t *o)
{
	struct buf b = BUF_INIT;
	json_t *f;
	const char *keys[] = { "time", "service", "message" };

	buf_init(&b);
	for (size_t i = 0; i < 3; i++) {
		f = json_object_get(o, keys[i]);
		buf_addf(&b, "%s\"%s\":", i ? "," : "{", keys[i]);
		if (i == 0 && !json_is_string(f))
			buf_adds(&b, "\"0001-01-01T00:00:00Z\"");
		else
			gofmt_json_string_nohtml(&b, json_is_string(f) ? json_string_value(f) : "",
						 json_is_string(f) ? json_string_length(f) : 0);
	}
	buf_adds(&b, "}\n");
	fwrite(b.data, 1, b.len, stdout);
	fflush(stdout);
	buf_done(&b);
}

static void print_entry(const char *line, size_t len, bool json)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	uint64_t ns;
	time_t secs;
	struct tm tm;
	char base[32];

	if (!o)
		return;
	if (json) {
		print_json(o);
		json_decref(o);
		return;
	}
	ns = cli_parse_time(json_string_value(json_object_get(o, "time")));
	secs = (time_t)(ns / 1000000000ull);
	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03uZ [%s] %s\n", base, (unsigned)((ns / 1000000ull) % 1000),
	       json_string_value(json_object_get(o, "service")) ?: "",
	       json_string_value(json_object_get(o, "message")) ?: "");
	fflush(stdout);
	json_decref(o);
}

static int on_data(const char *p, size_t n, void *data)
{
	struct logs_state *st = data;
	char *nl;

	buf_add(&st->pending, p, n);
	while ((nl = memchr(st->pending.data, '\n', st->pending.len))) {
		size_t len = (size_t)(nl - st->pending.data);

		print_entry(st->pending.data, len, st->json);
		buf_consume(&st->pending, len + 1);
	}
	return 0;
}

int cli_logs(int argc, char **argv, struct errbuf *eb)
{
	bool follow = false;
	const char *n = NULL, *format = NULL;
	struct cli_strv svcs = CLI_STRV_INIT;
	const struct cli_opt opts[] = {
		CLI_BOOL('f', "follow", &follow),
		CLI_STRING(0, "format", &format),
		CLI_STRING('n', NULL, &n),
		CLI_OPT_END,
	};
	const struct cli_arg args[] = { CLI_ARGS("<service>", 0, &svcs), CLI_ARG_END };
	const struct cli_spec spec = { "pebble logs [logs-OPTIONS] [<service>...]", opts, args, false };
	struct buf target = BUF_INIT;
	struct logs_state st;
	int status = 0, rv;
	struct cli c;

	buf_init(&target);
	buf_init(&st.pending);
	st.json = false;
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	rv = -1;
	if (n && *n) {
		int64_t v;

		if (strcmp(n, "all") == 0) {
			n = "-1";
		} else if (strnum_i64(n, 0, INT32_MAX, &v) < 0) {
			errbuf_set(eb, "expected n to be a non-negative integer or \"all\", not \"%s\"", n);
			goto out;
		}
	} else {
		n = "30";
	}
	if (format && *format && strcmp(format, "text") != 0) {
		if (strcmp(format, "json") != 0) {
			errbuf_set(eb, "invalid output format (expected \"json\" or \"text\", not \"%s\")", format);
			goto out;
		}
		st.json = true;
	}
	buf_adds(&target, "/v1/logs?");
	for (size_t k = 0; k < svcs.n; k++) {
		buf_adds(&target, k ? "," : "services=");
		cli_query_escape(&target, svcs.v[k]);
	}
	buf_addf(&target, "%sn=%s&follow=%s", svcs.n ? "&" : "", n, follow ? "true" : "false");
	if (cli_open(&c, eb) < 0)
		goto out;
	rv = http_client_request_stream(c.http, "GET", target.data, NULL, NULL, 0, on_data, &st, &status, eb);
	cli_close(&c);
	if (rv < 0) {
		errbuf_wrap(eb, "cannot communicate with server");
		goto out;
	}
	if (status != 200) {
		json_t *env = json_loadb(st.pending.data, st.pending.len, 0, NULL);
		const char *msg = json_string_value(json_object_get(json_object_get(env, "result"), "message"));

		errbuf_set(eb, "%s", msg ? msg : "cannot read logs");
		json_decref(env);
		rv = -1;
		goto out;
	}
	if (st.pending.len)
		print_entry(st.pending.data, st.pending.len, st.json);
	rv = 0;
out:
	buf_done(&st.pending);
	buf_done(&target);
	cli_strv_done(&svcs);
	return rv < 0 ? -1 : 0;
}
