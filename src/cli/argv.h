/* argv.h - the small gnuflag-style option parser shared by every cairn command.
 *
 * Each command describes its options in a table terminated by an entry whose long_name and
 * short_name are both unset.  argv_parse() walks the arguments once: options may come
 * before, between or after positionals ("interspersed", as juju/gnuflag allows), a value is
 * given as `--flag value`, `--flag=value`, `-n value`, `-n=value` or `-n3`, booleans take
 * no value (or an explicit `--force=false`), and `--` ends option parsing.  A lone `-` is a
 * positional.  Error texts are juju/gnuflag's:
 *   option provided but not defined: --x
 *   option needs an argument: --reset
 *   invalid value "abc" for option -n: strconv.ParseInt: parsing "abc": invalid syntax
 * The caller prints them as `ERROR <message>` and exits 2. */
#ifndef CAIRN_CLI_ARGV_H
#define CAIRN_CLI_ARGV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

/* Largest number of values one list option or the positionals may collect. */
#define ARGV_MAX_LIST 4096

enum argv_kind {
	ARGV_BOOL,   /* dest: bool * */
	ARGV_STRING, /* dest: const char ** (borrowed from argv; the last occurrence wins) */
	ARGV_INT,    /* dest: int64_t * (base-10 integer, the last occurrence wins) */
	ARGV_LIST,   /* dest: struct argv_list * (every occurrence is appended) */
};

/* A list of strings borrowed from argv (the array itself is owned; see argv_list_done). */
struct argv_list {
	const char **v;
	size_t n;
	size_t cap;
};

struct argv_opt {
	const char *long_name; /* "num-units" (no dashes), or NULL */
	char short_name;       /* 'n', or 0 */
	enum argv_kind kind;
	void *dest;
	bool *seen;            /* optional: set to true when the option was given */
};

void argv_list_init(struct argv_list *l);
void argv_list_done(struct argv_list *l);
void argv_list_add(struct argv_list *l, const char *s);
/* Appends the comma-separated items of every value of l (empty items left out) to out, a
 * JSON array, as strings: a repeated "--unit a/0,a/1 --unit b/0" flag as one list. */
void argv_list_split_json(const struct argv_list *l, json_t *out);

/* Parses argv[first..argc-1] against opts.  Positionals are appended to pos (initialised by
 * the caller).  Returns 0, or -EINVAL with eb holding the gnuflag message.  On error the
 * destinations may have been partly written. */
int argv_parse(const struct argv_opt *opts, int argc, char **argv, int first,
	       struct argv_list *pos, struct errbuf *eb);

/* True when the arguments ask for help (-h or --help before any `--`). */
bool argv_wants_help(int argc, char **argv, int first);

/* Fills eb with juju/cmd's CheckEmpty message for extra positionals:
 * `unrecognized args: ["a" "b"]`.  Returns -EINVAL. */
int argv_unrecognized(const char *const *extra, size_t n, struct errbuf *eb);

#endif
