/* cli_warnings.c - `scree warnings` and `okay` (§23): client side only.  Warnings are
 * notices of type "warning" (/v1/notices?types=warning); what was listed last and what
 * was okayed are remembered in the client state (cli_state.c), as upstream's CLI does, and
 * later listings show only what repeated after the last okay. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"

/* x-go's quantity.FormatDuration, which upstream prints these durations with ("1d00h",
 * "28d0h", "5m30s"). */
static void format_duration(double dt, char *out, size_t n)
{
	if (dt < 60) {
		if (dt >= 9.995) {
			snprintf(out, n, "%.1fs", dt);
		} else if (dt >= .9995) {
			snprintf(out, n, "%.2fs", dt);
		} else {
			static const char *const prefixes[] = { "m", "µ", "n" };
			const char *prefix = "n";

			for (size_t i = 0; i < 3; i++) {
				dt *= 1000;
				prefix = prefixes[i];
				if (dt >= .9995)
					break;
			}
			if (dt > 9.5)
				snprintf(out, n, "%3.f%ss", dt, prefix);
			else
				snprintf(out, n, "%.1f%ss", dt, prefix);
		}
		return;
	}
	if (dt < 600) {
		double m = floor(dt / 60);

		snprintf(out, n, "%.fm%04.1fs", m, dt - m * 60);
		return;
	}
	dt = floor(dt + .5);
	if (dt < 3600) {
		double m = floor(dt / 60);

		snprintf(out, n, "%.fm%02.fs", m, dt - m * 60);
		return;
	}
	if (dt < 86400) {
		double h = floor(dt / 3600), m = floor((dt - h * 3600) / 60);

		snprintf(out, n, "%.fh%02.fm", h, m);
		return;
	}
	{
		double d = floor(dt / 86400), h = floor((dt - d * 86400) / 3600);

		if (d < 10)
			snprintf(out, n, "%.fd%02.fh", d, h);
		else if (d < 365)
			snprintf(out, n, "%.fd%.fh", d, h);
		else
			snprintf(out, n, "%.fy%03.fd", floor(d / 365), d - floor(d / 365) * 365);
	}
}

static void duration_field(json_t *w, const char *key, char *out, size_t n)
{
	int64_t ns = 0;

	if (strnum_duration(cli_str(w, key), &ns) < 0)
		ns = 0;
	format_duration((double)ns / 1e9, out, n);
}

/* One warning as upstream prints it: aligned "key:  value" lines, then the message as a
 * YAML-ish literal block. */
static void print_warning(json_t *w, bool verbose, bool abs_time)
{
	const char *keys[5], *vals[5];
	char t1[64], t2[64], t3[64], d1[32], d2[32];
	size_t n = 0, width = 0;
	const char *msg = cli_str(w, "key"), *line;
	size_t end;

	cli_fmt_time(cli_str(w, "first-occurred"), abs_time, t1, sizeof(t1));
	cli_fmt_time(cli_str(w, "last-occurred"), abs_time, t2, sizeof(t2));
	cli_fmt_time(cli_str(w, "last-repeated"), abs_time, t3, sizeof(t3));
	duration_field(w, "repeat-after", d1, sizeof(d1));
	duration_field(w, "expire-after", d2, sizeof(d2));
	if (verbose) {
		keys[n] = "first-occurrence:";
		vals[n++] = t1;
	}
	keys[n] = "last-occurrence:";
	vals[n++] = t2;
	if (verbose) {
		keys[n] = "last-repeated:";
		vals[n++] = t3;
		keys[n] = "repeats-after:";
		vals[n++] = d1;
		keys[n] = "expires-after:";
		vals[n++] = d2;
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(keys[i]) + 2 > width)
			width = strlen(keys[i]) + 2;
	for (size_t i = 0; i < n; i++)
		printf("%-*s%s\n", (int)width, keys[i], vals[i]);
	printf("warning: |\n");
	/* Trailing white space goes; each line is indented by two spaces. */
	end = strlen(msg);
	while (end > 0 && strchr(" \t\r\n\v\f", msg[end - 1]))
		end--;
	for (line = msg; line < msg + end;) {
		size_t len = strcspn(line, "\n");

		if (line + len > msg + end)
			len = (size_t)(msg + end - line);
		printf("  %.*s\n", (int)len, line);
		line += len + 1;
	}
}

int cli_warnings(int argc, char **argv, struct errbuf *eb)
{
	static const char *const unicode[] = { "auto", "never", "always", NULL };
	bool all = false, verbose = false, abs_time = false;
	const char *uni = NULL;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "all", &all), CLI_BOOL(0, "verbose", &verbose), CLI_BOOL(0, "abs-time", &abs_time),
		CLI_STRING(0, "unicode", &uni), CLI_OPT_END,
	};
	const struct cli_spec spec = { "pebble warnings [warnings-OPTIONS]", opts, NULL, false };
	struct cli_state st;
	struct buf target = BUF_INIT;
	json_t *env = NULL, *list, *w;
	struct cli c;
	size_t i;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		return rv < 0 ? -1 : 0;
	if (cli_flag_choice("unicode", uni, unicode, eb) < 0)
		return -1;
	rv = -1;
	if (cli_open(&c, eb) < 0)
		return -1;
	if (cli_state_load(c.socket_path, &st, eb) < 0)
		goto close;
	buf_init(&target);
	buf_adds(&target, "/v1/notices?types=warning");
	if (!all && cli_state_time_set(st.warnings_last_okayed)) {
		buf_adds(&target, "&after=");
		cli_query_escape(&target, st.warnings_last_okayed);
	}
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	if (rv < 0)
		goto close;
	list = json_object_get(env, "result");
	if (json_array_size(list) == 0) {
		fprintf(stderr, "%s\n", cli_state_time_set(st.warnings_last_listed) ? "No further warnings." : "No warnings.");
		goto close;
	}
	json_array_foreach(list, i, w) {
		if (i > 0)
			printf("---\n");
		print_warning(w, verbose, abs_time);
	}
	snprintf(st.warnings_last_listed, sizeof(st.warnings_last_listed), "%s",
		 cli_str(json_array_get(list, json_array_size(list) - 1), "last-repeated"));
	rv = cli_state_save(c.socket_path, &st, eb);
close:
	cli_close(&c);
	json_decref(env);
	if (target.data)
		buf_done(&target);
	return rv < 0 ? -1 : 0;
}

int cli_okay(int argc, char **argv, struct errbuf *eb)
{
	bool warnings_only = false, okayed_notices = false, okayed_warnings = false;
	const struct cli_opt opts[] = { CLI_BOOL(0, "warnings", &warnings_only), CLI_OPT_END };
	const struct cli_spec spec = { "pebble okay [okay-OPTIONS]", opts, NULL, false };
	struct cli_state st;
	char *socket_path;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		return rv < 0 ? -1 : 0;
	rv = -1;
	/* Purely client side: the socket path only names this daemon's part of the state. */
	socket_path = cli_socket_path();
	if (cli_state_load(socket_path, &st, eb) < 0)
		goto out;
	if (!warnings_only && cli_state_time_set(st.notices_last_listed)) {
		okayed_notices = true;
		snprintf(st.notices_last_okayed, sizeof(st.notices_last_okayed), "%s", st.notices_last_listed);
	}
	if (cli_state_time_set(st.warnings_last_listed)) {
		okayed_warnings = true;
		snprintf(st.warnings_last_okayed, sizeof(st.warnings_last_okayed), "%s", st.warnings_last_listed);
	}
	if ((okayed_notices || okayed_warnings) && cli_state_save(socket_path, &st, eb) < 0)
		goto out;
	if (warnings_only && !okayed_warnings) {
		errbuf_set(eb, "no warnings have been listed; try 'pebble warnings'");
		goto out;
	}
	if (!warnings_only && !okayed_notices && !okayed_warnings) {
		errbuf_set(eb, "no notices or warnings have been listed; try 'pebble notices' or 'pebble warnings'");
		goto out;
	}
	rv = 0;
out:
	free(socket_path);
	return rv;
}
