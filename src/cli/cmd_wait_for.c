/* cmd_wait_for.c - `cairn wait-for application|unit|machine|model <name> [--query Q] [--timeout D]`.
 *
 * Juju's wait-for accepts a full expression language; cairn keeps a small, documented
 * subset that maps onto the controller's wait-for op: terms joined by `&&`, each one of
 *   status=="<value>"   (or status=='<value>'; workload-status is accepted as a synonym)
 *   idle                 every agent involved idle with nothing queued
 *   gone                 the entity has been removed
 * Without --query, applications and units wait for status=="active" and the model for
 * idle.  The controller answers once the condition holds or fails with
 * `timed out waiting for ...` when --timeout (default 10m) passes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gostr.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "lib/strnum.h"

#define WAIT_FOR_DEFAULT_TIMEOUT "10m"

struct wait_query {
	char *status; /* NULL when not asked for */
	bool idle;
	bool gone;
};

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Parses one term.  Returns 0 or -EINVAL. */
static int parse_term(const char *t, size_t n, struct wait_query *q)
{
	static const char *const keys[] = { "status", "workload-status" };

	trim(&t, &n);
	if (n == 4 && !strncmp(t, "idle", 4)) {
		q->idle = true;
		return 0;
	}
	if (n == 4 && !strncmp(t, "gone", 4)) {
		q->gone = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t kl = strlen(keys[i]);
		const char *p = t;
		size_t m = n;

		if (m < kl || strncmp(p, keys[i], kl))
			continue;
		p += kl;
		m -= kl;
		trim(&p, &m);
		if (m < 2 || strncmp(p, "==", 2))
			return -EINVAL;
		p += 2;
		m -= 2;
		trim(&p, &m);
		if (m < 2 || (p[0] != '"' && p[0] != '\'') || p[m - 1] != p[0])
			return -EINVAL;
		if (m == 2 || memchr(p + 1, p[0], m - 2))
			return -EINVAL;
		free(q->status);
		q->status = xstrndup(p + 1, m - 2);
		return 0;
	}
	return -EINVAL;
}

static int parse_query(const char *s, struct wait_query *q, struct errbuf *eb)
{
	const char *p = s;

	for (;;) {
		const char *amp = strstr(p, "&&");
		size_t n = amp ? (size_t)(amp - p) : strlen(p);

		if (parse_term(p, n, q) < 0) {
			char *qs = gostr_quoted(s);

			errbuf_set(eb, "invalid --query %s: expected terms status==\"<value>\", idle or gone joined by &&",
				   qs);
			free(qs);
			return -EINVAL;
		}
		if (!amp)
			return 0;
		p = amp + 2;
	}
}

int cmd_wait_for(int argc, char **argv)
{
	const char *query = NULL, *timeout = WAIT_FOR_DEFAULT_TIMEOUT;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "query", 0, ARGV_STRING, &query, NULL },
		{ "timeout", 0, ARGV_STRING, &timeout, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct wait_query q = { NULL, false, false };
	struct errbuf eb;
	const char *kind, *name;
	int64_t ns;
	json_t *req;
	int r;

	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n == 0) {
		r = cli_error(CLI_EXIT_USAGE, "no entity kind specified: expected application, unit, machine or model");
		goto out;
	}
	kind = pos.v[0];
	if (strcmp(kind, "application") && strcmp(kind, "unit") && strcmp(kind, "machine") &&
	    strcmp(kind, "model")) {
		char *qk = gostr_quoted(kind);

		r = cli_error(CLI_EXIT_USAGE, "invalid entity kind %s: expected application, unit, machine or model", qk);
		free(qk);
		goto out;
	}
	if (pos.n < 2) {
		r = cli_error(CLI_EXIT_USAGE, "expected %s %s name", !strcmp(kind, "application") ? "an" : "a",
			      kind);
		goto out;
	}
	if (pos.n > 2) {
		r = cli_unrecognized(pos.v + 2, pos.n - 2);
		goto out;
	}
	name = pos.v[1];
	if ((!strcmp(kind, "application") && !names_valid_application(name)) ||
	    (!strcmp(kind, "unit") && !names_valid_unit(name)) ||
	    (!strcmp(kind, "machine") && cli_check_placement(name, &eb) < 0) || !*name ||
	    (!strcmp(kind, "machine") && strchr(name, ','))) {
		r = cli_invalid_name(kind, name);
		goto out;
	}
	if (strnum_duration(timeout, &ns) < 0 || ns < 0) {
		char *qt = gostr_quoted(timeout);

		r = cli_error(CLI_EXIT_USAGE, "invalid value %s for option --timeout: time: invalid duration %s",
			      qt, qt);
		free(qt);
		goto out;
	}
	if (query) {
		if (parse_query(query, &q, &eb) < 0) {
			r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
			goto out;
		}
	} else if (!strcmp(kind, "model")) {
		q.idle = true;
	} else if (!strcmp(kind, "machine")) {
		q.status = xstrdup("started");
	} else {
		q.status = xstrdup("active");
	}
	req = json_pack("{s:s, s:s, s:s, s:I}", "op", "wait-for", "kind", kind, "name", name,
			"timeout-ms", (json_int_t)(ns / 1000000));
	if (q.status)
		json_object_set_new(req, "status", json_string(q.status));
	if (q.idle)
		json_object_set_new(req, "idle", json_true());
	if (q.gone)
		json_object_set_new(req, "gone", json_true());
	r = cli_call(req, NULL);
out:
	free(q.status);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
