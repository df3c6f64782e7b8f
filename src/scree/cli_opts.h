/* cli_opts.h - the one option parser of the scree CLI, behaving as upstream Pebble's
 * go-flags parser does (its error texts reach users and scripts, §23).
 *
 * A verb describes its options and positional arguments in two small tables and calls
 * cli_opts_parse() once:
 *
 *     bool follow = false;
 *     const char *format = NULL, *n = NULL;
 *     struct cli_strv services = CLI_STRV_INIT;
 *     const struct cli_opt opts[] = {
 *             CLI_BOOL('f', "follow", &follow),
 *             CLI_STRING(0, "format", &format),
 *             CLI_STRING('n', NULL, &n),
 *             CLI_OPT_END,
 *     };
 *     const struct cli_arg args[] = { CLI_ARGS("<service>", 0, &services), CLI_ARG_END };
 *     const struct cli_spec spec = { "pebble logs [logs-OPTIONS] [<service>...]", opts, args };
 *
 *     rv = cli_opts_parse(&spec, argc, argv, eb);
 *     if (rv != 0)
 *             return rv < 0 ? -1 : 0;     (1: --help was asked for and printed)
 *     ...
 *     cli_strv_done(&services);
 *
 * Syntax (go-flags with PassDoubleDash): `--name value`, `--name=value`, `-n value`,
 * `-nvalue`, `-n=value`; bundled short booleans (`-fv`; only the last letter of a bundle may
 * take the next argument); options and positionals in any order; `--` ends the options; a
 * lone `-` is a positional.  -h and --help print spec->usage and return 1.
 *
 * Errors (-EINVAL, eb set), checked in go-flags' order:
 *   while parsing:   unknown flag `x'                 (name without dashes)
 *                    expected argument for flag `-n, --name'
 *                    expected argument for flag `--format', but got option `-f'
 *                    bool flag `-f, --follow' cannot have an argument
 *   then:            the required flag `--from' was not specified
 *                    the required argument `<name>` was not provided
 *                    the required arguments `<SIGNAL>` and `<service> (at least 1 argument)`
 *                    were not provided
 *   then (upstream's ErrExtraArgs): too many arguments for command
 *
 * Values are borrowed from argv (valid as long as argv); only the arrays inside struct
 * cli_strv and struct cli_groups are allocated and must be freed with cli_strv_done() /
 * cli_groups_done(), also after a failed parse. */
#ifndef SCREE_CLI_OPTS_H
#define SCREE_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/errbuf.h"

#define CLI_OPTS_HELP 1

enum cli_opt_type {
	CLI_OPT_BOOL,       /* no argument; sets *(bool *)dest */
	CLI_OPT_STRING,     /* one argument; *(const char **)dest = value (the last one wins) */
	CLI_OPT_LIST,       /* one argument, repeatable; appended to *(struct cli_strv *)dest */
	CLI_OPT_TERMINATED, /* the arguments up to `terminator` (or the end) form one group,
			     * appended to *(struct cli_groups *)dest; repeatable (run --args) */
};

struct cli_opt {
	char shortname;         /* 'n', or 0 for none */
	const char *longname;   /* "follow", or NULL for none */
	enum cli_opt_type type;
	void *dest;
	bool required;          /* go-flags required:"1" */
	const char *terminator; /* CLI_OPT_TERMINATED only */
};

#define CLI_BOOL(s, l, d) { (s), (l), CLI_OPT_BOOL, (d), false, NULL }
#define CLI_STRING(s, l, d) { (s), (l), CLI_OPT_STRING, (d), false, NULL }
#define CLI_REQUIRED_STRING(s, l, d) { (s), (l), CLI_OPT_STRING, (d), true, NULL }
#define CLI_LIST(s, l, d) { (s), (l), CLI_OPT_LIST, (d), false, NULL }
#define CLI_TERMINATED(s, l, term, d) { (s), (l), CLI_OPT_TERMINATED, (d), false, (term) }
#define CLI_OPT_END { 0, NULL, CLI_OPT_BOOL, NULL, false, NULL }

enum cli_arg_type {
	CLI_ARG_ONE,  /* one value: *(const char **)dest */
	CLI_ARG_REST, /* every remaining positional: *(struct cli_strv *)dest; must be last */
};

struct cli_arg {
	const char *name;       /* "<service>", as shown in messages */
	enum cli_arg_type type;
	unsigned required;      /* ONE: 1 = required; REST: the minimum count (0 = optional) */
	void *dest;
};

#define CLI_ARG(name, req, d) { (name), CLI_ARG_ONE, (req), (d) }
#define CLI_ARGS(name, min, d) { (name), CLI_ARG_REST, (min), (d) }
#define CLI_ARG_END { NULL, CLI_ARG_ONE, 0, NULL }

struct cli_spec {
	const char *usage;            /* "pebble logs [logs-OPTIONS] [<service>...]" for --help */
	const struct cli_opt *opts;   /* ended by CLI_OPT_END; NULL = none */
	const struct cli_arg *args;   /* ended by CLI_ARG_END; NULL = none */
	bool pass_after_non_option;   /* everything after the first positional is positional */
};

/* A growable list of borrowed strings. */
struct cli_strv {
	const char **v;
	size_t n;
};
#define CLI_STRV_INIT { NULL, 0 }

struct cli_groups {
	struct cli_strv *g;
	size_t n;
};
#define CLI_GROUPS_INIT { NULL, 0 }

/* Parses argv[0..argc) (the verb's arguments, without the verb) into the spec's
 * destinations.  Returns 0, CLI_OPTS_HELP after printing the usage to stdout, or -EINVAL
 * with eb set.  Destinations not mentioned in argv are left as they were. */
int cli_opts_parse(const struct cli_spec *spec, int argc, char **argv, struct errbuf *eb);

void cli_strv_done(struct cli_strv *v);
void cli_groups_done(struct cli_groups *g);

#endif
