/* cmd_controller.c - controller lifecycle: `bootstrap`, `kill-controller`, and `version`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "lib/buf.h"

static int no_args(const struct argv_list *pos)
{
	if (!pos->n)
		return 0;
	return cli_unrecognized(pos->v, pos->n);
}

int cmd_bootstrap(int argc, char **argv)
{
	struct argv_list config;
	const struct argv_opt opts[] = {
		{ "config", 0, ARGV_LIST, &config, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct client c = { .fd = -1 };
	const char **args = NULL;
	struct argv_list pos;
	struct errbuf eb;
	json_t *req = NULL, *result = NULL, *pid;
	bool started = false;
	int r;

	argv_list_init(&config);
	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r || (r = no_args(&pos)))
		goto out;
	args = xcalloc(2 * config.n + 1, sizeof(char *));
	for (size_t i = 0; i < config.n; i++) {
		if (!strchr(config.v[i], '=') || config.v[i][0] == '=') {
			r = cli_error(CLI_EXIT_USAGE, "invalid --config value \"%s\": expected key=value",
				      config.v[i]);
			goto out;
		}
		args[2 * i] = "--config";
		args[2 * i + 1] = config.v[i];
	}
	if (client_init(&c, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	c.start_args = args;
	c.n_start_args = 2 * config.n;
	if (client_connect_or_start(&c, &started, &eb) < 0) {
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
		fprintf(stderr, "Controller \"cairn\" is already running (pid %lld)%s.\n",
			(long long)json_integer_value(pid),
			config.n ? "; its config is kept, --config ignored" : "");
	r = CLI_EXIT_OK;
out:
	json_decref(req);
	json_decref(result);
	client_done(&c);
	free(args);
	argv_list_done(&config);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* Asks on the terminal; true for y/yes.  Only called when stdin is a terminal. */
static bool confirm(void)
{
	char line[64];

	fprintf(stderr, "WARNING! This command will destroy the \"cairn\" controller and everything it deployed\n"
			"(units, their workloads, machine agents, the model's state).\n"
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
	json_t *req = NULL, *ping = NULL;
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
	req = json_pack("{s:s}", "op", "ping");
	if (client_call(&c, req, &ping, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	json_decref(req);
	req = json_pack("{s:s}", "op", "shutdown");
	if (client_call(&c, req, NULL, &eb) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
		goto out;
	}
	/* The controller answers once everything deployed is gone, then exits: its connection
	 * closing and then its process ending are the proof. */
	if (client_wait_closed(&c, CLIENT_STOP_TIMEOUT_MS) < 0 ||
	    client_wait_pid((int)json_integer_value(json_object_get(ping, "pid")), CLIENT_STOP_TIMEOUT_MS) < 0) {
		r = cli_error(CLI_EXIT_FAIL, "controller did not stop within %d seconds",
			      CLIENT_STOP_TIMEOUT_MS / 1000);
		goto out;
	}
	fprintf(stderr, "Controller \"cairn\" destroyed.\n");
	r = CLI_EXIT_OK;
out:
	json_decref(req);
	json_decref(ping);
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
