/* cfgsrc.h - builds the "config" source list that deploy, config and refresh send to the
 * controller (docs/protocol.md §1 "Config sources") from command-line values.
 *
 * Syntax checks (cfgsrc_split_pair) are argument errors (exit 2); reading files
 * (cfgsrc_read_value for `k=@file`, cfgsrc_file_source for YAML files) happens afterwards
 * and its failures are command failures (exit 1), as in Juju. */
#ifndef CAIRN_CLI_CFGSRC_H
#define CAIRN_CLI_CFGSRC_H

#include <jansson.h>

#include "argv.h"
#include "lib/errbuf.h"

/* Largest file read for a `k=@file` value (Juju's maxValueSize). */
#define CFGSRC_MAX_VALUE_FILE (5u * 1024u * 1024u)
/* Largest YAML config file accepted. */
#define CFGSRC_MAX_YAML_FILE (5u * 1024u * 1024u)

/* Splits "key=value" at the first '='.  Returns 0 with *ret_key (malloc'd) and *ret_value
 * (borrowed, points into arg), or -EINVAL with eb = `expected "key=value", got "=bar"`. */
int cfgsrc_split_pair(const char *arg, char **ret_key, const char **ret_value, struct errbuf *eb);

/* Resolves a value: a value starting with '@' is replaced by the contents of that file
 * (relative to the working directory, at most CFGSRC_MAX_VALUE_FILE bytes, valid UTF-8).
 * Returns 0 and a malloc'd string, or -errno with eb filled (Juju's messages:
 * `cannot read option from file "x": stat /abs/x: no such file or directory`,
 * `size of option file is larger than 5M`, `value for option "k" contains non-UTF-8
 * sequences`). */
int cfgsrc_read_value(const char *key, const char *value, char **ret, struct errbuf *eb);

/* Reads and parses a YAML config file ("-" = stdin) into {"file": <document>, "path":
 * <path>} (new reference).  Returns 0, or -errno with eb filled. */
int cfgsrc_file_source(const char *path, json_t **ret, struct errbuf *eb);

/* Checks the syntax of deploy/refresh `--config` values: each is either a file name (no
 * '=') or a key=value pair.  Returns 0 or -EINVAL (eb filled). */
int cfgsrc_check_flags(const struct argv_list *flags, struct errbuf *eb);

/* Builds the source array for `--config` values in command-line order: a file becomes a
 * "file" source, a pair a {"set": {k: v}} source (consecutive pairs share one).  Returns 0
 * and a new array, or -errno with eb filled. */
int cfgsrc_from_flags(const struct argv_list *flags, json_t **ret, struct errbuf *eb);

#endif
