/* actionargs.h - the key=value forms of action parameters and results: `cairn run U act
 * a.b=c` (operator-cli.md §11.3) and the action-set hook tool (charm-runtime.md §3.4).
 *
 * Both split the key on "." and check every part with Juju's action name rule; a dotted key
 * builds nested maps, an existing non-map value on the way is replaced by a map, and the
 * last occurrence of a key wins (Juju's addValueToMap).  action-set also refuses the keys
 * Juju reserves for its own results (stdout, stdout-encoding, stderr, stderr-encoding).
 * Error texts are Juju's:
 *   run:        argument "x" must be of the form key.key.key...=value
 *               key "X" must start and end with lowercase alphanumeric, and contain only
 *               lowercase alphanumeric and hyphens
 *   action-set: argument "x" must be of the form key...=value
 *               key "X" must start and end with lowercase alphanumeric, and contain only
 *               lowercase alphanumeric, hyphens and periods
 *               cannot set reserved action key "stdout"
 * The module is pure. */
#ifndef CAIRN_ACTIONARGS_H
#define CAIRN_ACTIONARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/errbuf.h"

#define ACTIONARGS_MAX_KEYS 64 /* dotted parts in one key */

enum actionargs_kind { ACTIONARGS_RUN, ACTIONARGS_SET };

/* One parsed "k1.k2...=value": the key parts and the raw value (both owned). */
struct actionarg {
	char *keys[ACTIONARGS_MAX_KEYS];
	size_t n_keys;
	char *value;
};

/* Parses arg; on failure -EINVAL with eb holding the text for kind, *ret untouched. */
int actionargs_parse(const char *arg, enum actionargs_kind kind, struct actionarg *ret,
		     struct errbuf *eb);
void actionargs_done(struct actionarg *a);

/* Sets target[k1][k2]... = value (takes a reference to value). */
void actionargs_insert(json_t *target, char *const *keys, size_t n, json_t *value);

/* action-get KEY: the value at the dotted path in params, or NULL (borrowed). */
json_t *actionargs_lookup(json_t *params, const char *dotted);

/* Whether key is one of the result keys Juju reserves. */
bool actionargs_reserved(const char *key);

/* The value yaml.v2 gives a command-line value (`run` without --string-args): YAML 1.1
 * booleans (y, yes, on, true, n, no, off, false in their spellings), null (~, null, ""),
 * integers and floats as numbers, flow sequences and maps as such, anything else the string
 * itself.  0 with a new reference in *ret, or -EINVAL with yaml's error in eb. */
int actionargs_yaml_value(const char *s, json_t **ret, struct errbuf *eb);

#endif
