/* cli.h - the cairn operator CLI: command table, exit codes and the error printer.
 *
 * Every command is one function `int cmd_<verb>(int argc, char **argv)` that receives its
 * own arguments (argv[0] is the command word) and returns the process exit status:
 * CLI_EXIT_OK, CLI_EXIT_FAIL when the command itself failed (the controller refused, a file
 * could not be read), CLI_EXIT_USAGE when flag parsing or argument validation failed
 * (operator-cli.md §1).  Commands validate everything they can before they contact the
 * controller, so an argument error never starts one. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "argv.h"
#include "lib/errbuf.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* The version the CLI reports (and the agent version the controller reports). */
#define CAIRN_VERSION "3.6.8"

struct cli_cmd {
	const char *name;
	const char *alias;   /* NULL when none */
	int (*run)(int argc, char **argv);
	const char *args;    /* usage line after the command name */
	const char *summary; /* one line for `cairn help` */
	const char *doc;     /* flag and behaviour notes for `cairn help <cmd>`; may be NULL */
};

/* Looks a command up by name or alias; NULL when unknown. */
const struct cli_cmd *cli_find_cmd(const char *name);
/* Prints the help of one command to stdout. */
void cli_print_cmd_help(const struct cli_cmd *c);

/* Prints "ERROR <message>" on stderr and returns code, so that commands can write
 * `return cli_error(CLI_EXIT_USAGE, "no application specified");`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_error(CLI_EXIT_USAGE) with argv_unrecognized()'s "unrecognized args: [...]" for the n
 * arguments at extra. */
int cli_unrecognized(const char *const *extra, size_t n);
/* cli_error(CLI_EXIT_USAGE) with "invalid <what> name <%q of name>", e.g. what "unit". */
int cli_invalid_name(const char *what, const char *name);

/* Checks that pos holds exactly one argument and that it is a valid application name
 * (lib/names.h).  Returns 0, or CLI_EXIT_USAGE after printing "no application specified",
 * the unrecognized extra arguments or "invalid application name ...". */
int cli_one_application(const struct argv_list *pos);

/* Returned by cli_parse when it printed the command's help (the command then exits 0). */
#define CLI_HELP_SHOWN (-1)

/* Common prologue of every command: prints the command's help for -h/--help, otherwise
 * parses argv[1..] against opts into pos (initialised here).  Returns 0, CLI_HELP_SHOWN, or
 * CLI_EXIT_USAGE after printing the error. */
int cli_parse(const struct argv_opt *opts, int argc, char **argv, struct argv_list *pos);

/* Checks a --to value: machine numbers separated by commas ("1", "0,2"); placement
 * directives cairn has no use for (lxd, zone=...) are refused with
 * `invalid --to parameter "x"`.  0 or -EINVAL (eb set). */
int cli_check_placement(const char *to, struct errbuf *eb);

/* Sends req (reference stolen) to the controller, starting one when none answers.  Returns
 * CLI_EXIT_OK with *ret_result (new reference; may be NULL when not wanted), or prints the
 * error and returns CLI_EXIT_FAIL. */
int cli_call(json_t *req, json_t **ret_result);

/* The --resource values of deploy and refresh (NAME=PATH each, PATH made absolute) as
 * {name: path}; -EINVAL with eb ("invalid --resource value \"x\": expected name=path
 * format") for a malformed one. */
int cli_resource_values(const struct argv_list *values, json_t **ret, struct errbuf *eb);

/* Writes v to stdout as compact JSON or as YAML (two-space indent), each ending in a
 * newline. */
void cli_print_json(json_t *v);
void cli_print_yaml(json_t *v);
/* Writes s to stdout completely; returns CLI_EXIT_OK or CLI_EXIT_FAIL (error printed). */
int cli_write_stdout(const char *s, size_t n);

/* Commands (one cmd_<verb>.c file each, or a few related verbs together). */
int cmd_deploy(int argc, char **argv);
int cmd_add_unit(int argc, char **argv);
int cmd_remove_unit(int argc, char **argv);
int cmd_remove_application(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_model_config(int argc, char **argv);
int cmd_refresh(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_show_status_log(int argc, char **argv);
int cmd_debug_log(int argc, char **argv);
int cmd_bootstrap(int argc, char **argv);
int cmd_kill_controller(int argc, char **argv);
int cmd_wait_for(int argc, char **argv);
int cmd_resolved(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_add_machine(int argc, char **argv);
int cmd_machines(int argc, char **argv);
int cmd_remove_machine(int argc, char **argv);
int cmd_attach_resource(int argc, char **argv);
int cmd_resources(int argc, char **argv);
int cmd_integrate(int argc, char **argv);
int cmd_remove_relation(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_operations(int argc, char **argv);
int cmd_show_operation(int argc, char **argv);
int cmd_show_task(int argc, char **argv);
int cmd_cancel_task(int argc, char **argv);
int cmd_actions(int argc, char **argv);
int cmd_show_action(int argc, char **argv);
int cmd_help(int argc, char **argv);

#endif
