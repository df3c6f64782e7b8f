/* command.h - Pebble's service command syntax (spec pebble-api.md §2.3).
 *
 * A command line is split shell-style (single and double quotes and backslash escapes
 * honoured, no shell involved, no expansion).  An optional trailing group of default
 * arguments is delimited by standalone "[" and "]" tokens:
 *     /usr/bin/d --db=/x [ --port 8080 ]
 * The executed argv is base + defaults, or base + the `--args` values (which replace the
 * defaults).  The same splitter serves exec checks' commands. */
#ifndef SCREE_COMMAND_H
#define SCREE_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

#define COMMAND_MAX_ARGS 4096

struct command {
	char **base;  /* NULL-terminated, n_base entries */
	size_t n_base;
	char **extra; /* NULL-terminated, n_extra entries (the [ ... ] group) */
	size_t n_extra;
	bool has_group; /* a [ ... ] group was present (possibly empty) */
};

/* Splits a string shell-style into *ret_argv (NULL-terminated, free with
 * command_argv_free).  Errors (-EINVAL): "EOF found when expecting closing quote",
 * "EOF found after escape character"; -E2BIG beyond COMMAND_MAX_ARGS. */
int command_split(const char *s, char ***ret_argv, size_t *ret_n, struct errbuf *eb);

/* Parses a command with its optional [ ... ] group.  On failure eb holds the bare reason
 * (e.g. "cannot nest [ ... ] groups", "cannot have any arguments after [ ... ] group",
 * "cannot start command with [ ... ] group", "cannot have ] outside of [ ... ] group", or a
 * split error); callers add the "plan service %q command invalid: cannot parse service %q
 * command: " context.  An empty command parses to zero base words. */
int command_parse(const char *cmdline, struct command *ret, struct errbuf *eb);
void command_done(struct command *c);

/* The argv to execute: base + (args if use_args else the default group).  Returns a new
 * NULL-terminated array (command_argv_free).  Errors as command_parse, plus -EINVAL
 * "empty command" when there is no base word. */
int command_argv(const char *cmdline, char *const *args, size_t n_args, bool use_args,
		 char ***ret_argv, size_t *ret_n, struct errbuf *eb);
void command_argv_free(char **argv);

/* Appends a word quoted so command_split() gives it back unchanged ('' for "", words of
 * only safe characters as they are, else single-quoted with ' written as '"'"'). */
void command_quote(struct buf *out, const char *word);
/* Rebuilds a command line: quoted base words, then " [ extra... ]" when with_group. */
char *command_join(char *const *base, size_t n_base, char *const *extra, size_t n_extra,
		   bool with_group);

#endif
