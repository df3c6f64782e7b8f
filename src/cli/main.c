/* main.c - the `cairn` operator CLI: command dispatch, help and the shared command prologue.
 *
 * `cairn <command> [options] [args]`.  Unknown commands fail with Juju's
 * `ERROR unrecognized command: cairn foo` (exit 1, as Juju's plugin fallback does); flag
 * and argument errors exit 2; command failures exit 1 (operator-cli.md §1). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "gostr.h"
#include "lib/buf.h"
#include "lib/names.h"
#include "lib/yamljson.h"

static const struct cli_cmd commands[] = {
	{ "actions", "list-actions", cmd_actions, "[options] <application>",
	  "List actions defined for an application.",
	  "Options:\n"
	  "  --format (= default)  Output format: default|tabular|yaml|json\n"
	  "  --schema              Display the full action schema\n" },
	{ "add-machine", NULL, cmd_add_machine, "[options]",
	  "Enlists another host as a machine of the model.",
	  "Options:\n"
	  "  -n (= 1)  The number of machines to add\n"
	  "\n"
	  "Prints, for each new machine, a one-time join token and the command to run on\n"
	  "that host (cairn-agent join <controller address> <token>). The token is valid\n"
	  "for 24 hours and once; the host's agent then holds its own credentials.\n" },
	{ "add-unit", NULL, cmd_add_unit, "[options] <application name>",
	  "Adds one or more units to a deployed application.",
	  "Options:\n"
	  "  -n, --num-units (= 1)  Number of units to add\n"
	  "  --to <machine>         The machine(s) to place the units on (comma-separated);\n"
	  "                         the others go to the controller's machine (0)\n" },
	{ "attach-resource", NULL, cmd_attach_resource, "<application> <resource name>=<resource>",
	  "Update a resource for an application.",
	  "The resource is a path: for an oci-image resource a local OCI image layout\n"
	  "directory, an oci-archive or a docker-archive (what skopeo copy, podman save and\n"
	  "docker save write); for a file resource any file. The controller checks and\n"
	  "stores it as the resource's next revision; each unit then runs upgrade-charm ->\n"
	  "config-changed, and a container whose image changed restarts with it\n"
	  "(<container>-pebble-ready follows).\n"
	  "\n"
	  "Examples:\n"
	  "    cairn attach-resource web web-image=./web.oci.tar\n" },
	{ "bootstrap", NULL, cmd_bootstrap, "[options]",
	  "Starts the local controller (other commands start it on demand).",
	  "Options:\n"
	  "  --config <key=value>  Controller config (repeatable): api-port, api-address,\n"
	  "                        leadership-lease-duration, hook-timeout\n"
	  "\n"
	  "The controller runs in the background; its state and log live in $CAIRN_HOME\n"
	  "(default ~/.local/share/cairn). Does nothing when a controller already answers.\n" },
	{ "cancel-task", NULL, cmd_cancel_task, "<task-id> [...]", "Cancel pending or running tasks.",
	  "Options:\n"
	  "  --format (= yaml)  Output format: yaml|json\n" },
	{ "config", NULL, cmd_config,
	  "[options] <application name> [--reset <key[,key]>] [<attribute-key>][=<value>] ...]",
	  "Gets, sets, or resets configuration for a deployed application.",
	  "Options:\n"
	  "  --file <path>              Path to a YAML file with a single top-level key, the\n"
	  "                             application name\n"
	  "  --format (= yaml)          Output format: yaml|json (ignored when getting one key)\n"
	  "  --reset <key[,key]>        Reset the provided comma delimited keys (repeatable)\n"
	  "\n"
	  "A value starting with @ is read from the named file (key=@file).\n"
	  "\n"
	  "Examples:\n"
	  "    cairn config hello\n"
	  "    cairn config hello greeting\n"
	  "    cairn config hello greeting=hi port=8080\n"
	  "    cairn config hello --reset greeting,port\n"
	  "    cairn config hello --file cfg.yaml\n" },
	{ "debug-log", NULL, cmd_debug_log, "[options]",
	  "Displays log messages for a model.",
	  "Options:\n"
	  "  -n, --lines (= 10)  Show this many of the most recent lines, and continue to append\n"
	  "  --limit (= 0)       Exit once this many of the most recent lines are shown\n"
	  "  --replay            Show the entire log and continue to append\n"
	  "  --no-tail           Stop after returning existing log messages\n"
	  "  --tail              Wait for new logs (the default when stdout is a terminal)\n" },
	{ "deploy", NULL, cmd_deploy, "[options] <charm path> [<application name>]",
	  "Deploys a new application from a local charm directory or .charm file.",
	  "Options:\n"
	  "  -n, --num-units (= 1)    Number of application units to deploy\n"
	  "  --config <file|k=v>      Either a path to a YAML settings file or a key=value pair\n"
	  "                           (k=@file reads the value from a file); repeatable, the\n"
	  "                           last occurrence of a key wins\n"
	  "  --resource <name=path>   Resource to be uploaded to the controller (repeatable)\n"
	  "  --to <machine>           The machine(s) to place units on (comma-separated);\n"
	  "                           the others go to the controller's machine (0)\n" },
	{ "exec", NULL, cmd_exec, "[options] -- <commands>",
	  "Run the commands on the remote targets specified.",
	  "Options:\n"
	  "  -u, --unit <units>          One or more unit ids (app/leader allowed)\n"
	  "  -a, --application <apps>    One or more application names\n"
	  "  --machine <ids>             One or more machine ids\n"
	  "  --all                       Run the commands on all the machines\n"
	  "  --background                Run the task in the background\n"
	  "  --wait (= 5m)               Maximum wait time for a task to complete\n"
	  "  --format (= plain)          Output format: plain|yaml|json\n"
	  "  --utc                       Show times in UTC\n" },
	{ "help", NULL, cmd_help, "[<command>]", "Shows help on a command or the list of commands.",
	  NULL },
	{ "integrate", "relate", cmd_integrate, "<application>[:<endpoint>] <application>[:<endpoint>]",
	  "Integrate two applications.", NULL },
	{ "kill-controller", NULL, cmd_kill_controller, "[options]",
	  "Stops the local controller.",
	  "Options:\n"
	  "  -y, --no-prompt  Do not ask for confirmation\n"
	  "\n"
	  "Waits until the controller has closed its connections. Does nothing when no\n"
	  "controller is running.\n" },
	{ "machines", "list-machines", cmd_machines, "[options]",
	  "Lists machines in a model.",
	  "Options:\n"
	  "  --format (= tabular)  Output format: tabular|json|yaml\n" },
	{ "model-config", NULL, cmd_model_config,
	  "[options] [<model-key>[=<value>] ...]",
	  "Displays or sets configuration values on a model.",
	  "Options:\n"
	  "  --format (= tabular)  Output format: tabular|json|yaml\n"
	  "  --reset <key[,key]>   Reset the provided comma delimited keys (repeatable)\n" },
	{ "operations", "list-operations", cmd_operations, "[options]",
	  "Lists pending, running, or completed operations for specified application, units, machines, or all.",
	  "Options:\n"
	  "  --apps, --units, --machines, --actions, --status <a,b>  Filters (comma separated)\n"
	  "  --limit, --offset <n>   Batching of large result sets\n"
	  "  --format (= plain)      Output format: plain|yaml|json\n"
	  "  --utc                   Show times in UTC\n" },
	{ "refresh", "upgrade-charm", cmd_refresh, "[options] <application>",
	  "Refreshes an application to a new version of its local charm.",
	  "Options:\n"
	  "  --path <charm>        Refresh to a charm directory or .charm file (required)\n"
	  "  --config <file|k=v>   Config to apply with the refresh (repeatable)\n"
	  "  --resource <name=path>  Resource to be uploaded with the refresh (repeatable)\n" },
	{ "remove-application", NULL, cmd_remove_application,
	  "[options] <application> [<application>...]", "Remove applications from the model.",
	  "Options:\n"
	  "  --force            Completely remove an application and all its dependencies\n"
	  "  --no-prompt        Do not prompt for approval (cairn never prompts here)\n"
	  "  --destroy-storage  Destroy storage attached to application units\n" },
	{ "remove-machine", NULL, cmd_remove_machine, "[options] <machine number> ...",
	  "Removes one or more machines from a model.",
	  "Options:\n"
	  "  --force      Completely remove a machine and all its dependencies\n"
	  "  --no-prompt  Do not prompt for approval (cairn never prompts here)\n"
	  "\n"
	  "Machines running units can be removed only with --force, which also removes\n"
	  "those units without giving them an opportunity to shut down cleanly. The\n"
	  "controller's own machine (0) cannot be removed.\n" },
	{ "remove-relation", NULL, cmd_remove_relation,
	  "<application1>[:<relation name1>] <application2>[:<relation name2>] | <relation-id>",
	  "Removes an existing relation between two applications.",
	  "Options:\n"
	  "  --force    Force remove a relation\n"
	  "  --no-wait  Rush through relation removal without waiting for each step (with --force)\n" },
	{ "remove-unit", NULL, cmd_remove_unit, "[options] <unit> [...]",
	  "Remove application units from the model.",
	  "Options:\n"
	  "  --force            Completely remove a unit and all its dependencies\n"
	  "  --no-prompt        Do not prompt for approval (cairn never prompts here)\n"
	  "  --destroy-storage  Destroy storage attached to the unit\n" },
	{ "resources", "list-resources", cmd_resources, "[options] <application>",
	  "Show the resources for an application.",
	  "Options:\n"
	  "  --details             Show detailed information about resources used by each unit\n"
	  "  --format (= tabular)  Output format: tabular|json|yaml\n" },
	{ "resolved", "resolve", cmd_resolved, "[options] [<unit> ...]",
	  "Marks unit errors resolved and re-executes failed hooks.",
	  "Options:\n"
	  "  --all       Marks all units in error as resolved\n"
	  "  --no-retry  Do not re-execute failed hooks on the unit\n" },
	{ "run", NULL, cmd_run,
	  "<unit> [<unit> ...] <action-name> [<key>=<value> [<key>[.<key> ...]=<value>]]",
	  "Run an action on a specified unit.",
	  "Options:\n"
	  "  --params <file>     Path to yaml-formatted params file\n"
	  "  --string-args       Use raw string values of CLI args\n"
	  "  --background        Run the task in the background\n"
	  "  --wait (= 1m)       Maximum wait time for a task to complete\n"
	  "  --format (= plain)  Output format: plain|yaml|json\n"
	  "  --utc               Show times in UTC\n" },
	{ "show-action", NULL, cmd_show_action, "<application> <action>",
	  "Shows detailed information about an action.", NULL },
	{ "show-operation", NULL, cmd_show_operation, "<operation-id>", "Show results of an operation.",
	  "Options:\n"
	  "  --wait <duration>  Wait for results\n"
	  "  --watch            Wait indefinitely for results\n"
	  "  --format (= yaml)  Output format: yaml|json\n"
	  "  --utc              Show times in UTC\n" },
	{ "show-status-log", NULL, cmd_show_status_log, "[options] <unit>",
	  "Output past statuses for the specified unit.",
	  "Options:\n"
	  "  -n (= 20)  Returns the last N logged status entries\n"
	  "  --utc      Display time as UTC in RFC3339 format\n" },
	{ "show-task", NULL, cmd_show_task, "<task ID>", "Show results of a task by ID.",
	  "Options:\n"
	  "  --wait <duration>   Maximum wait time for a task to complete\n"
	  "  --watch             Wait indefinitely for results\n"
	  "  --format (= plain)  Output format: plain|yaml|json\n"
	  "  --utc               Show times in UTC\n" },
	{ "status", NULL, cmd_status, "[options]",
	  "Report the status of the model, its machines, applications and units.",
	  "Options:\n"
	  "  --format (= tabular)  Output format: tabular|json|yaml\n" },
	{ "version", NULL, cmd_version, "", "Print the cairn version.", NULL },
	{ "wait-for", NULL, cmd_wait_for,
	  "application|unit|model <name> [--query <query>] [--timeout <duration>]",
	  "Waits for an application, unit or model to reach a state.",
	  "Options:\n"
	  "  --query <query>       Condition to wait for (see below)\n"
	  "  --timeout (= 10m)     How long to wait (Go duration: 90s, 10m, 1h)\n"
	  "\n"
	  "A query is one or more terms joined by &&:\n"
	  "  status==\"<value>\"      the workload status (of the application, or of the unit)\n"
	  "  idle                   every agent involved is idle with nothing queued\n"
	  "  gone                   the entity has been removed\n"
	  "Defaults: status==\"active\" for applications and units, idle for the model.\n"
	  "\n"
	  "Examples:\n"
	  "    cairn wait-for application hello --query 'status==\"active\"' --timeout 2m\n"
	  "    cairn wait-for unit hello/0 --query 'status==\"blocked\" && idle'\n"
	  "    cairn wait-for model default --query idle\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct cli_cmd *cli_find_cmd(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name) ||
		    (commands[i].alias && !strcmp(commands[i].alias, name)))
			return &commands[i];
	return NULL;
}

void cli_print_cmd_help(const struct cli_cmd *c)
{
	printf("Usage: cairn %s%s%s\n\nSummary:\n%s\n", c->name, *c->args ? " " : "", c->args,
	       c->summary);
	if (c->alias)
		printf("\nAliases: %s\n", c->alias);
	if (c->doc)
		printf("\n%s", c->doc);
}

static void print_commands(void)
{
	printf("cairn provides easy, intelligent application orchestration on top of a local\n"
	       "controller, the way Juju does.\n\n"
	       "Usage: cairn <command> [options] [args]\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		printf("    %-20s - %s\n", commands[i].name, commands[i].summary);
		if (commands[i].alias)
			printf("    %-20s - Alias for '%s'.\n", commands[i].alias, commands[i].name);
	}
	printf("\nSee 'cairn help <command>' for the options of one command.\n");
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ERROR ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_unrecognized(const char *const *extra, size_t n)
{
	struct errbuf eb;

	argv_unrecognized(extra, n, &eb);
	return cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
}

int cli_check_placement(const char *to, struct errbuf *eb)
{
	const char *p = to;

	if (!*to)
		goto bad;
	while (*p) {
		size_t n = strspn(p, "0123456789");

		if (!n || (p[0] == '0' && n > 1) || (p[n] && p[n] != ','))
			goto bad;
		p += n;
		if (*p == ',' && !*++p)
			goto bad;
	}
	return 0;
bad:
	errbuf_set(eb, "invalid --to parameter \"%s\"", to);
	return -EINVAL;
}

int cli_invalid_name(const char *what, const char *name)
{
	char *q = gostr_quoted(name);
	int r = cli_error(CLI_EXIT_USAGE, "invalid %s name %s", what, q);

	free(q);
	return r;
}

int cli_one_application(const struct argv_list *pos)
{
	if (pos->n == 0)
		return cli_error(CLI_EXIT_USAGE, "no application specified");
	if (pos->n > 1)
		return cli_unrecognized(pos->v + 1, pos->n - 1);
	if (!names_valid_application(pos->v[0]))
		return cli_invalid_name("application", pos->v[0]);
	return 0;
}

int cli_parse(const struct argv_opt *opts, int argc, char **argv, struct argv_list *pos)
{
	struct errbuf eb;

	argv_list_init(pos);
	if (argv_wants_help(argc, argv, 1)) {
		const struct cli_cmd *c = cli_find_cmd(argv[0]);

		if (c)
			cli_print_cmd_help(c);
		return CLI_HELP_SHOWN;
	}
	errbuf_clear(&eb);
	if (argv_parse(opts, argc, argv, 1, pos, &eb) < 0)
		return cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
	return 0;
}

int cli_call(json_t *req, json_t **ret_result)
{
	struct errbuf eb;
	json_t *result = NULL;
	int r;

	errbuf_clear(&eb);
	r = client_request(req, &result, &eb);
	json_decref(req);
	if (r < 0)
		return cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
	if (ret_result)
		*ret_result = result;
	else
		json_decref(result);
	return CLI_EXIT_OK;
}

int cli_write_stdout(const char *s, size_t n)
{
	if (fwrite(s, 1, n, stdout) != n || fflush(stdout) != 0)
		return cli_error(CLI_EXIT_FAIL, "cannot write output: %s", strerror(errno));
	return CLI_EXIT_OK;
}

void cli_print_json(json_t *v)
{
	char *s = gostr_json_compact(v);

	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
}

void cli_print_yaml(json_t *v)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	json_to_yaml(&b, v, 2);
	fwrite(b.data, 1, b.len, stdout);
	buf_done(&b);
}

int cmd_help(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		print_commands();
		return CLI_EXIT_OK;
	}
	if (argc > 2) {
		struct errbuf eb;

		argv_unrecognized((const char *const *)argv + 2, (size_t)argc - 2, &eb);
		return cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
	}
	if (!strcmp(argv[1], "commands")) {
		print_commands();
		return CLI_EXIT_OK;
	}
	c = cli_find_cmd(argv[1]);
	if (!c)
		return cli_error(CLI_EXIT_FAIL, "unknown command or topic for %s", argv[1]);
	cli_print_cmd_help(c);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	/* A closed pipe on stdout (cairn status | head) must end us quietly with EPIPE
	 * errors, not kill us mid-way through a controller exchange. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		print_commands();
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	if (argv[1][0] == '-') {
		/* Juju's global flags come before the command; cairn has none. */
		return cli_error(CLI_EXIT_USAGE, "option provided but not defined: %s", argv[1]);
	}
	c = cli_find_cmd(argv[1]);
	if (!c)
		return cli_error(CLI_EXIT_FAIL, "unrecognized command: cairn %s", argv[1]);
	return c->run(argc - 1, argv + 1);
}
