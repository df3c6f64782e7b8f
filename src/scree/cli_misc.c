/* cli_misc.c - `scree signal SIG SVC...` (§18) and `scree version`. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

int cli_signal(int argc, char **argv, struct errbuf *eb)
{
	char sig[64];
	json_t *body, *names;
	struct cli c;
	int rv;

	if (argc < 2) {
		errbuf_set(eb, "the required arguments `<SIGNAL>` and `<service> (at least 1 argument)` were not provided");
		return -1;
	}
	/* "hup", "HUP" and "SIGHUP" all mean SIGHUP. */
	snprintf(sig, sizeof(sig), "%s%s", strncasecmp(argv[0], "SIG", 3) == 0 ? "" : "SIG", argv[0]);
	for (char *p = sig; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	names = json_array();
	for (int k = 1; k < argc; k++)
		json_array_append_new(names, json_string(argv[k]));
	body = json_pack("{s:s, s:o}", "signal", sig, "services", names);
	if (cli_open(&c, eb) < 0) {
		json_decref(body);
		return -1;
	}
	rv = cli_call(&c, "POST", "/v1/signals", body, NULL, eb);
	cli_close(&c);
	json_decref(body);
	return rv < 0 ? -1 : 0;
}

int cli_version(int argc, char **argv, struct errbuf *eb)
{
	json_t *env = NULL;
	struct cli c;
	const char *v = NULL;
	struct errbuf ignored;

	(void)argv;
	if (argc > 0) {
		errbuf_set(eb, "too many arguments for command");
		return -1;
	}
	printf("client  %s\n", SCREE_VERSION);
	if (cli_open(&c, &ignored) == 0) {
		if (cli_call(&c, "GET", "/v1/system-info", NULL, &env, &ignored) == 0)
			v = json_string_value(json_object_get(json_object_get(env, "result"), "version"));
		cli_close(&c);
	}
	printf("server  %s\n", v ? v : "(not available)");
	json_decref(env);
	return 0;
}
