/* cmd_controller.c - controller lifecycle: `bootstrap`, `kill-controller`, and `version`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"

static int no_args(const struct argv_list *pos)
{
	if (!pos->n)
		return 0;
	return cli_unrecognized(pos->v, pos->n);
}

int cmd_bootstrap(int argc, char **argv)
{
	const struct argv_opt opts[] = { { NULL, 0, 0, NULL, NULL } };
	struct client c = { .fd = -1 };
	struct argv_list pos;
	struct errbuf eb;
	json_t *req = NULL, *result = NULL, *pid;
	bool started = false;
	int r;

	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r || (r = no_args(&pos)))
		goto out;
	if (client_init(&c, &eb) < 0 || client_connect_or_start(&c, &started, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	req = json_pack("{s:s}", "op", "ping");
	if (client_call(&c, req, &result, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	pid = json_object_get(result, "pid");

	if (started)
		fprintf(stderr, "Bootstrap complete, controller \"cairn\" is running (pid %lld).\n",
			(long long)json_integer_value(pid));
	else
		fprintf(stderr, "Controller \"cairn\" is already running (pid %lld).\n",
			(long long)json_integer_value(pid));
	r = CLI_EXIT_OK;
out:
	json_decref(req);
	json_decref(result);
	client_done(&c);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* Asks on the terminal; true for y/yes.  Only called when stdin is a terminal. */
static bool confirm(void)
{
	char line[64];

	fprintf(stderr, "WARNING! This command will stop the \"cairn\" controller and all its units.\n"
			"\nContinue? (y/N): ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

int cmd_kill_controller(int argc, char **argv)
{
	bool no_prompt = false;
	const struct argv_opt opts[] = {
		{ "no-prompt", 'y', ARGV_BOOL, &no_prompt, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct client c = { .fd = -1 };
	struct argv_list pos;
	struct errbuf eb;
	json_t *req = NULL;
	int r;

	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r || (r = no_args(&pos)))
		goto out;
	if (client_init(&c, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	r = client_connect(&c, &eb);
	if (r == -ECONNREFUSED || r == -ENOENT) {
		fprintf(stderr, "No controller is running.\n");
		r = CLI_EXIT_OK;
		goto out;
	}
	if (r < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	/* Scripts run without a terminal; only a person at one is asked. */
	if (!no_prompt && isatty(STDIN_FILENO) && !confirm()) {
		r = cli_error(CLI_EXIT_FAIL, "controller destruction aborted");
		goto out;
	}
	req = json_pack("{s:s}", "op", "shutdown");
	if (client_call(&c, req, NULL, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	/* The controller closes every connection as it exits: EOF is the proof it is gone. */
	if (client_wait_closed(&c, CLIENT_STOP_TIMEOUT_MS) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "controller did not stop within %d seconds",
			      CLIENT_STOP_TIMEOUT_MS / 1000);
		goto out;
	}
	fprintf(stderr, "Controller \"cairn\" stopped.\n");
	r = CLI_EXIT_OK;
out:
	json_decref(req);
	client_done(&c);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

int cmd_version(int argc, char **argv)
{
	const struct argv_opt opts[] = { { NULL, 0, 0, NULL, NULL } };
	struct argv_list pos;
	struct utsname u;
	const char *arch = "amd64";
	int r;

	r = cli_parse(opts, argc, argv, &pos);
	if (r || (r = no_args(&pos)))
		goto out;
	if (uname(&u) == 0) {
		if (!strcmp(u.machine, "x86_64"))
			arch = "amd64";
		else if (!strcmp(u.machine, "aarch64"))
			arch = "arm64";
		else
			arch = u.machine;
	}
	printf("%s-genericlinux-%s\n", CAIRN_VERSION, arch);
out:
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
