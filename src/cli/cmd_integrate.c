/* cmd_integrate.c - `cairn integrate` (alias relate) and `cairn remove-relation`
 * (issue 12; Juju's cmd/juju/application/integrate.go and removerelation.go).
 *
 *   cairn integrate <application>[:<endpoint>] <application>[:<endpoint>]
 *   cairn remove-relation <application1>[:<endpoint>] <application2>[:<endpoint>] | <id>
 *
 * Arguments are checked before the controller is asked (exit 2): "an integration must
 * involve two applications", "endpoint \"a:\" not valid", "application name \"A\" not
 * valid".  The controller infers the endpoints and answers Juju's errors (exit 1); an
 * integration that exists already is reported as Juju 3 does, one clause per line and a
 * pointer to `status --relations`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "lib/strnum.h"

/* Juju's names.RelationSnippet for an endpoint name: [a-z][a-z0-9]*(?:[_-][a-z0-9]+)*. */
static bool valid_endpoint_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			continue;
		if ((*s == '-' || *s == '_') && s[1] && s[1] != '-' && s[1] != '_')
			continue;
		return false;
	}
	return true;
}

/* validateLocalEndpoint: 0 or the usage exit code (error printed). */
static int check_endpoint(const char *ep)
{
	const char *colon = strchr(ep, ':');
	char app[256];

	if (colon) {
		if (colon == ep || !colon[1] || strchr(colon + 1, ':') || !valid_endpoint_name(colon + 1))
			return cli_error(CLI_EXIT_USAGE, "endpoint \"%s\" not valid", ep);
		snprintf(app, sizeof(app), "%.*s", (int)(colon - ep), ep);
	} else {
		snprintf(app, sizeof(app), "%s", ep);
	}
	if (!names_valid_application(app))
		return cli_error(CLI_EXIT_USAGE, "application name \"%s\" not valid", app);
	return 0;
}

int cmd_integrate(int argc, char **argv)
{
	const char *via = NULL;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "via", 0, ARGV_STRING, &via, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct errbuf eb;
	json_t *req;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (pos.n != 2) {
		r = cli_error(CLI_EXIT_USAGE, "an integration must involve two applications");
		goto out;
	}
	if ((r = check_endpoint(pos.v[0])) || (r = check_endpoint(pos.v[1])))
		goto out;
	if (via && *via) {
		r = cli_error(CLI_EXIT_USAGE, "--via is only for cross-model integrations, which cairn does not support");
		goto out;
	}
	req = json_pack("{s:s, s:[s, s]}", "op", "integrate", "endpoints", pos.v[0], pos.v[1]);
	errbuf_clear(&eb);
	if (client_request(req, NULL, &eb) < 0) {
		const char *msg = eb.msg;
		size_t n = strlen(msg);

		if (n > 15 && !strcmp(msg + n - 15, " already exists")) {
			/* Juju 3: the clauses on their own lines, then where to look. */
			struct buf b = BUF_INIT;

			buf_init(&b);
			for (const char *p = msg; *p; p++) {
				if (p[0] == ':' && p[1] == ' ') {
					buf_addc(&b, '\n');
					p++;
				} else {
					buf_addc(&b, *p);
				}
			}
			buf_adds(&b, ": \n\nUse 'cairn status --relations' to view the current relations.");
			r = cli_error(CLI_EXIT_FAIL, "%s", b.data);
			buf_done(&b);
		} else {
			r = cli_error(CLI_EXIT_FAIL, "%s", msg);
		}
	}
	json_decref(req);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_remove_relation(int argc, char **argv)
{
	bool force = false, no_wait = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ "no-wait", 0, ARGV_BOOL, &no_wait, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	json_t *req;
	int64_t id;
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (no_wait && !force) {
		r = cli_error(CLI_EXIT_USAGE, "--no-wait without --force not valid");
		goto out;
	}
	if (pos.n == 1) {
		if (strnum_i64(pos.v[0], 0, 2147483647LL, &id) < 0) {
			r = cli_error(CLI_EXIT_USAGE, "relation ID \"%s\" not valid", pos.v[0]);
			goto out;
		}
		req = json_pack("{s:s, s:I, s:b}", "op", "remove-relation", "id", (json_int_t)id, "force", force);
	} else if (pos.n == 2) {
		if ((r = check_endpoint(pos.v[0])) || (r = check_endpoint(pos.v[1])))
			goto out;
		req = json_pack("{s:s, s:[s, s], s:b}", "op", "remove-relation", "endpoints", pos.v[0],
				pos.v[1], "force", force);
	} else {
		r = cli_error(CLI_EXIT_USAGE, "a relation must involve two applications");
		goto out;
	}
	r = cli_call(req, NULL);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
