/* tools_args.h - the hook tools' argv parser, with the rules of Juju's gnuflag.
 *
 * Hook tools must accept what charms in the wild send (charm-runtime.md §3.1), which is what
 * Juju's cmd package accepts: options interspersed with positionals, `--opt=value` and
 * `--opt value`, single-rune options clustered (`-ab`, `-lDEBUG`), booleans given bare or as
 * `--opt=<Go ParseBool>`, and `--` ending the options.  A lone `-` and the empty string are
 * positionals.  On top of gnuflag we accept a single-dash spelling of a long option
 * (`-format json`) when the whole word names a long option: gnuflag would read it as a
 * cluster of single-rune options and fail, so nothing valid changes meaning.
 *
 * Error texts are Juju's (the FlagKnownAs "option" wording): "option provided but not
 * defined: --x", "option needs an argument: --format", "invalid value \"x\" for option
 * --application: strconv.ParseBool: parsing \"x\": invalid syntax". */
#ifndef CAIRN_TOOLS_ARGS_H
#define CAIRN_TOOLS_ARGS_H

#include <stdbool.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

enum targ_kind {
	TARG_BOOL,   /* *flag set to true, or to the parsed value of `--opt=VALUE` */
	TARG_STRING, /* *value points into argv (borrowed) */
};

/* One option.  names lists its spellings without dashes, separated by '|', shortest first
 * ("o|output", "format", "l|log-level"). */
struct targ_opt {
	const char *names;
	enum targ_kind kind;
	bool *flag;          /* TARG_BOOL */
	const char **value;  /* TARG_STRING */
	const char *usage;   /* one line for --help */
	const char *defval;  /* the default as --help shows it ("false", "smart", "") */
	bool custom;         /* a gnuflag.Value of its own (--format): default shown unquoted */
};

/* Parse results. */
enum {
	TARG_OK = 0,
	TARG_HELP = 1, /* -h/--help was given and is not an option of the tool */
};

/* Parses argv[0..argc) (the tool's arguments, without its name) against opts (nopts
 * entries).  Positionals are returned in order as *ret_pos (a new array of borrowed argv
 * pointers, NULL-terminated, caller frees) with their count in *ret_npos.
 * Returns TARG_OK, TARG_HELP, or -EINVAL with eb holding the usage error (the caller exits 2).
 * On failure nothing is returned in ret_pos. */
int targ_parse(const struct targ_opt *opts, int nopts, int argc, char **argv, char ***ret_pos,
	       int *ret_npos, struct errbuf *eb);

/* Appends the option list of --help in gnuflag's PrintDefaults layout:
 * "-o, --output (= \"\")\n    Specify an output file\n". */
void targ_help(const struct targ_opt *opts, int nopts, struct buf *out);

/* Go's %q of a string, byte by byte (gofmt_quote, GOFMT_QUOTE_GO_BYTES), appended to out. */
void targ_quote(struct buf *out, const char *s);

/* Juju's CheckEmpty text for leftover positionals: `unrecognized args: ["a" "b"]`. */
void targ_unrecognized(struct errbuf *eb, char **args, int n);

#endif
