/* cmd_debug_log.c - `cairn debug-log` (operator-cli.md §11.1): streams log lines from the
 * controller's debug-log op until it sends "end" (or, when tailing, until interrupted). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "gostr.h"

/* Juju parses -n and --limit as unsigned integers. */
static int negative(const char *opt, int64_t v)
{
	char num[32];
	char *q;
	int r;

	snprintf(num, sizeof(num), "%lld", (long long)v);
	q = gostr_quoted(num);
	r = cli_error(CLI_EXIT_USAGE,
		      "invalid value %s for option %s: strconv.ParseUint: parsing %s: invalid syntax", q,
		      opt, q);
	free(q);
	return r;
}

/* Reads frames until the end of the stream.  Returns the exit code. */
static int stream(struct client *c, int64_t limit)
{
	struct errbuf eb;
	int64_t printed = 0;

	for (;;) {
		json_t *frame = NULL, *lines, *l;
		size_t i;
		bool end;
		int r;

		errbuf_clear(&eb);
		r = client_recv(c, &frame, &eb);
		if (r == -EPIPE)
			return CLI_EXIT_OK; /* the controller went away: nothing more to show */
		if (r < 0)
			return cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		if (client_check_response(frame, &eb) < 0) {
			json_decref(frame);
			return cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		}
		lines = json_object_get(frame, "lines");
		json_array_foreach(lines, i, l) {
			if (limit > 0 && printed >= limit)
				break;
			if (!json_is_string(l))
				continue;
			fwrite(json_string_value(l), 1, json_string_length(l), stdout);
			fputc('\n', stdout);
			printed++;
		}
		end = json_is_true(json_object_get(frame, "end"));
		json_decref(frame);
		if (fflush(stdout) != 0)
			return cli_error(CLI_EXIT_FAIL, "cannot write output: %s", strerror(errno));
		if (end || (limit > 0 && printed >= limit))
			return CLI_EXIT_OK;
	}
}

int cmd_debug_log(int argc, char **argv)
{
	int64_t lines = 10, limit = 0;
	bool lines_seen = false, limit_seen = false;
	bool replay = false, tail = false, no_tail = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "lines", 'n', ARGV_INT, &lines, &lines_seen },
		{ "limit", 0, ARGV_INT, &limit, &limit_seen },
		{ "replay", 0, ARGV_BOOL, &replay, NULL },
		{ "tail", 0, ARGV_BOOL, &tail, NULL },
		{ "no-tail", 0, ARGV_BOOL, &no_tail, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct client c = { .fd = -1 };
	struct errbuf eb;
	json_t *req = NULL;
	bool follow;
	int r;

	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n) {
		r = cli_unrecognized(pos.v, pos.n);
		goto out;
	}
	if (lines < 0) {
		r = negative("-n", lines);
		goto out;
	}
	if (limit < 0) {
		r = negative("--limit", limit);
		goto out;
	}
	/* The rejected combinations of §11.1, in Juju's NotValidf wording. */
	if (tail && no_tail) {
		r = cli_error(CLI_EXIT_USAGE, "setting --tail and --no-tail not valid");
		goto out;
	}
	if (tail && limit_seen) {
		r = cli_error(CLI_EXIT_USAGE, "setting --tail and --limit not valid");
		goto out;
	}
	if (no_tail && lines_seen) {
		r = cli_error(CLI_EXIT_USAGE, "setting --no-tail and --lines not valid");
		goto out;
	}
	if (limit_seen && lines_seen) {
		r = cli_error(CLI_EXIT_USAGE, "setting --limit and --lines not valid");
		goto out;
	}
	if (replay && lines_seen) {
		r = cli_error(CLI_EXIT_USAGE, "setting --replay and --lines not valid");
		goto out;
	}
	/* Like Juju: follow by default only when a terminal is watching. */
	if (tail)
		follow = true;
	else if (no_tail || limit_seen)
		follow = false;
	else
		follow = isatty(STDOUT_FILENO);

	req = json_pack("{s:s, s:b, s:I, s:b}", "op", "debug-log", "replay", replay, "lines",
			(json_int_t)lines, "tail", follow);
	if (limit_seen)
		json_object_set_new(req, "limit", json_integer(limit));
	if (client_init(&c, &eb) < 0 || client_connect_or_start(&c, NULL, &eb) < 0 ||
	    client_send(&c, req, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	r = stream(&c, limit_seen ? limit : 0);
out:
	json_decref(req);
	client_done(&c);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
