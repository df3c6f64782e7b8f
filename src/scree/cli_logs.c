/* cli_logs.c - `scree logs [-f] [-n N] [SVC...]` (§15): prints each entry as
 * "TIME [svc] message". */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/strnum.h"

struct logs_state {
	struct buf pending;   /* an incomplete ndjson line */
};

static void print_entry(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	uint64_t ns;
	time_t secs;
	struct tm tm;
	char base[32];

	if (!o)
		return;
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

		print_entry(st->pending.data, len);
		buf_consume(&st->pending, len + 1);
	}
	return 0;
}

int cli_logs(int argc, char **argv, struct errbuf *eb)
{
	bool follow = false;
	const char *n = NULL;
	struct buf target = BUF_INIT;
	struct logs_state st;
	int nsvc = 0, status = 0, rv = -1;
	struct cli c;

	buf_init(&target);
	buf_init(&st.pending);
	buf_adds(&target, "/v1/logs?");
	for (int k = 0; k < argc; k++) {
		if (strcmp(argv[k], "-f") == 0 || strcmp(argv[k], "--follow") == 0) {
			follow = true;
		} else if (strcmp(argv[k], "-n") == 0 && k + 1 < argc) {
			n = argv[++k];
		} else if (strncmp(argv[k], "-n=", 3) == 0 || strncmp(argv[k], "--n=", 4) == 0) {
			n = strchr(argv[k], '=') + 1;
		} else if (argv[k][0] == '-') {
			errbuf_set(eb, "unknown flag `%s'", argv[k]);
			goto out;
		} else {
			buf_adds(&target, nsvc++ ? "," : "services=");
			cli_query_escape(&target, argv[k]);
		}
	}
	if (n) {
		int64_t v;

		if (strcmp(n, "all") == 0)
			n = "-1";
		else if (strnum_i64(n, 0, INT32_MAX, &v) < 0) {
			errbuf_set(eb, "expected n to be a non-negative integer or \"all\", not \"%s\"", n);
			goto out;
		}
	}
	buf_addf(&target, "%sn=%s&follow=%s", nsvc ? "&" : "", n ? n : follow ? "30" : "30",
		 follow ? "true" : "false");
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
		print_entry(st.pending.data, st.pending.len);
	rv = 0;
out:
	buf_done(&st.pending);
	buf_done(&target);
	return rv < 0 ? -1 : 0;
}
