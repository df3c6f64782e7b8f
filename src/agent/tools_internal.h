/* tools_internal.h - what the hook-tool implementations (tools_*.c) share.
 *
 * Each tool is one function taking a struct tool_call (one request: the hook context, the
 * caller's cwd and stdin, and the out/err buffers) and its argv; it returns the exit code.
 * Like Juju's cmd.Main, a tool runs in two phases: argument checking ("Init"; failures are
 * usage errors, exit 2) and the action ("Run"; failures exit 1).  Both print
 * "ERROR <message>\n" on stderr. */
#ifndef CAIRN_TOOLS_INTERNAL_H
#define CAIRN_TOOLS_INTERNAL_H

#include <stdbool.h>

#include "agent/hookctx.h"
#include "agent/tools.h"
#include "agent/tools_args.h"
#include "agent/tools_fmt.h"
#include "lib/buf.h"

#define TOOLS_EXIT_OK 0
#define TOOLS_EXIT_FAIL 1
#define TOOLS_EXIT_USAGE 2
#define TOOLS_EXIT_PENDING (-1) /* the tool finishes later with tool_finish() */

#define TOOLS_MAX_FILE (16u * 1024u * 1024u) /* largest --file a tool reads */

/* One hook-tool request. */
struct tool_call {
	struct hook_ctx *ctx;
	const char *name;       /* the tool's name */
	const char *cwd;        /* the caller's working directory; NULL = the agent's */
	const char *stdin_data; /* NULL when the client sent no stdin */
	struct buf *out;
	struct buf *err;
	tools_done_fn done;     /* see tools_start() */
	void *done_data;
};

/* What --help shows (juju/cmd Info). */
struct tool_info {
	const char *name;
	const char *args;    /* "<key>", "" */
	const char *purpose;
};

typedef int (*tool_fn)(struct tool_call *c, int argc, char **argv);

/* The --format/-o/--output options every formatting tool has (cmd.Output.AddFlags). */
struct tool_output {
	const char *format; /* default "smart" */
	const char *path;   /* -o/--output; NULL = stdout */
	enum tfmt fmt;      /* set by tool_parse */
};

#define TOOL_OUTPUT_OPTS(o)                                                              \
	{ "format", TARG_STRING, NULL, &(o)->format,                                     \
	  "Specify output format (json|smart|yaml)", "smart", true },                    \
	{ "o|output", TARG_STRING, NULL, &(o)->path, "Specify an output file", "", false }

/* A tool that returned TOOLS_EXIT_PENDING ends here: calls the caller's done with code and
 * frees c.  c must be the call the tool was given (it lives on the heap until then). */
void tool_finish(struct tool_call *c, int code);

/* Parses argv against opts.  Returns true when the tool should go on; otherwise *ret_code
 * holds the exit code (0 after --help, 2 after a usage error, both already printed).  When
 * output is given its --format is checked too.  *ret_pos is freed by the caller. */
bool tool_parse(struct tool_call *c, const struct tool_info *info, const struct targ_opt *opts,
		int nopts, struct tool_output *output, int argc, char **argv, char ***ret_pos,
		int *ret_npos, int *ret_code);

/* Prints "ERROR <message>\n" and returns 2 (usage) or 1 (failure). */
int tool_usage(struct tool_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tool_fail(struct tool_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Go's os.PathError text, "ERROR open /x: no such file or directory"; returns 1. */
int tool_fail_path(struct tool_call *c, const char *op, const char *path, int err);

/* Writes v (NULL = Go nil) in the chosen format to stdout or to -o FILE; returns the exit
 * code (1 when the file cannot be written). */
int tool_emit(struct tool_call *c, const struct tool_output *o, json_t *v);

/* Resolves path against the caller's cwd; returns a new string. */
char *tool_abspath(struct tool_call *c, const char *path);

/* key=value arguments as juju/utils keyvalues.Parse reads them (trimmed, empty values
 * allowed, a key given twice refused): added to kvs as strings.  Returns 0, or the usage
 * exit code (2) with the error printed. */
int tool_parse_kv_args(struct tool_call *c, char **pos, int npos, json_t *kvs);
/* Reads --file (a path relative to the caller's cwd, or "-" for stdin) as a YAML/JSON
 * mapping decoded into map[string]string as yaml.v2 does; the pairs are added to kvs.
 * Returns 0, or the failure exit code (1) with the error printed. */
int tool_read_kv_file(struct tool_call *c, const char *file, json_t *kvs);

/* Parses the -r/--relation option's value as Juju's relationIdValue does: "N" or "name:N"
 * (the integer after the last ':'), which must name a relation the unit is in.  With
 * neither given, the hook's own relation (if any).  On success 0 and *ret_id (-1 when there
 * is none); on failure the usage exit code (2) with Juju's text printed
 * ("invalid value \"x\" for option -r: invalid relation id", "... relation not found"). */
int tool_relation_opt(struct tool_call *c, const char *r, const char *relation, int *ret_id);

/* The tools (one function each; tools.c maps names to them). */
int tool_juju_log(struct tool_call *c, int argc, char **argv);
int tool_is_leader(struct tool_call *c, int argc, char **argv);
int tool_status_set(struct tool_call *c, int argc, char **argv);
int tool_status_get(struct tool_call *c, int argc, char **argv);
int tool_application_version_set(struct tool_call *c, int argc, char **argv);
int tool_config_get(struct tool_call *c, int argc, char **argv);
int tool_state_get(struct tool_call *c, int argc, char **argv);
int tool_state_set(struct tool_call *c, int argc, char **argv);
int tool_state_delete(struct tool_call *c, int argc, char **argv);
int tool_open_port(struct tool_call *c, int argc, char **argv);
int tool_close_port(struct tool_call *c, int argc, char **argv);
int tool_opened_ports(struct tool_call *c, int argc, char **argv);
int tool_relation_ids(struct tool_call *c, int argc, char **argv);
int tool_relation_list(struct tool_call *c, int argc, char **argv);
int tool_relation_get(struct tool_call *c, int argc, char **argv);
int tool_relation_set(struct tool_call *c, int argc, char **argv);
int tool_relation_model_get(struct tool_call *c, int argc, char **argv);
int tool_network_get(struct tool_call *c, int argc, char **argv);
int tool_unit_get(struct tool_call *c, int argc, char **argv);
int tool_goal_state(struct tool_call *c, int argc, char **argv);
int tool_leader_get(struct tool_call *c, int argc, char **argv);
int tool_leader_set(struct tool_call *c, int argc, char **argv);
int tool_action_get(struct tool_call *c, int argc, char **argv);
int tool_action_set(struct tool_call *c, int argc, char **argv);
int tool_action_log(struct tool_call *c, int argc, char **argv);
int tool_action_fail(struct tool_call *c, int argc, char **argv);
int tool_resource_get(struct tool_call *c, int argc, char **argv);
/* Every Juju 3.6 hook tool cairn does not implement yet: fails with
 * "ERROR <tool> is not supported by this controller", exit 1. */
int tool_unsupported(struct tool_call *c, int argc, char **argv);

#endif
