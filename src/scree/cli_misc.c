/* cli_misc.c - `scree signal SIG SVC...` (§18) and `scree version`. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

int cli_signal(int argc, char **argv, struct errbuf *eb)
{
	const char *signame = NULL;
	struct cli_strv svcs = CLI_STRV_INIT;
	const struct cli_arg args[] = {
		CLI_ARG("<SIGNAL>", 1, &signame),
		CLI_ARGS("<service>", 1, &svcs),
		CLI_ARG_END,
	};
	const struct cli_spec spec = { "pebble signal <SIGNAL> <service>...", NULL, args, false };
	char sig[64];
	json_t *body = NULL, *names;
	struct cli c;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	/* "hup", "HUP" and "SIGHUP" all mean SIGHUP. */
	snprintf(sig, sizeof(sig), "%s%s", strncasecmp(signame, "SIG", 3) == 0 ? "" : "SIG", signame);
	for (char *p = sig; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	names = json_array();
	for (size_t k = 0; k < svcs.n; k++)
		json_array_append_new(names, json_string(svcs.v[k]));
	body = json_pack("{s:s, s:o}", "signal", sig, "services", names);
	rv = cli_open(&c, eb);
	if (rv < 0)
		goto out;
	rv = cli_call(&c, "POST", "/v1/signals", body, NULL, eb);
	cli_close(&c);
out:
	json_decref(body);
	cli_strv_done(&svcs);
	return rv < 0 ? -1 : 0;
}

int cli_version(int argc, char **argv, struct errbuf *eb)
{
	bool client_only = false;
	const struct cli_opt opts[] = { CLI_BOOL(0, "client", &client_only), CLI_OPT_END };
	const struct cli_spec spec = { "pebble version [version-OPTIONS]", opts, NULL, false };
	json_t *env = NULL;
	struct cli c;
	const char *v = NULL;
	struct errbuf ignored;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	printf("client  %s\n", SCREE_VERSION);
	if (client_only)
		return 0;
	if (cli_open(&c, &ignored) == 0) {
		if (cli_call(&c, "GET", "/v1/system-info", NULL, &env, &ignored) == 0)
			v = json_string_value(json_object_get(json_object_get(env, "result"), "version"));
		cli_close(&c);
	}
	printf("server  %s\n", v ? v : "(not available)");
	json_decref(env);
	return 0;
}
