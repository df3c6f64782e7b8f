/* settings.h - an application's config settings: parsing, applying, describing, hashing.
 *
 * The controller keeps, per application, the *user settings*: a JSON object holding only the
 * keys the operator set explicitly, each with a value of its option's type.  Everything else
 * is derived from it and the charm's options:
 *   settings_apply      operator input (docs/protocol.md "Config sources") -> new user settings
 *   settings_effective  what config-get returns (set values, else non-null defaults)
 *   settings_describe   the `settings` map of `cairn config APP`
 *   settings_rebase     user settings carried over a refresh to a new charm
 *   settings_hash       a digest of the effective settings, to coalesce config-changed
 *
 * Parsing follows Juju's ParseSettingsStrings / ParseSettingsYAML (operator-cli.md §5):
 * errors read `unknown option "foo"` and `option "port" expected int, got "abc"`, the value
 * printed as Go's %#v would print it. */
#ifndef CAIRN_SETTINGS_H
#define CAIRN_SETTINGS_H

#include <jansson.h>

#include "charm/charm.h"
#include "lib/errbuf.h"

/* Parses one raw string for option o: int = base-10 64-bit, float = 64-bit finite float,
 * boolean = Go ParseBool spellings, string/secret kept as they are.  Returns 0 with a new
 * reference in *ret, or with *ret = NULL for the empty string ("unset"); -EINVAL with eb
 * set otherwise. */
int settings_parse_string(const struct charm_option *o, const char *raw, json_t **ret,
			  struct errbuf *eb);

/* Coerces a value read from a YAML settings file (or a default) to o's type: strings are
 * parsed as settings_parse_string does; null gives *ret = NULL ("unset"); an integer is a
 * valid float; a float with an integral value is a valid int; anything else that does not
 * fit fails with e.g. `option "x" expected int, got 1.5`.  v is borrowed. */
int settings_coerce(const struct charm_option *o, json_t *v, json_t **ret,
		    struct errbuf *eb);

/* Applies the ordered config sources (a JSON array; see docs/protocol.md) for application
 * app to the user settings user (borrowed; NULL = {}; sources NULL = none), the last occurrence of a key
 * winning.  Returns 0 and a new object in *ret_user; on any error (-EINVAL, eb set: e.g.
 * `unknown option "k"`, `no settings found for "app"`) nothing is returned and user is
 * unchanged. */
int settings_apply(const struct charm *c, const char *app, json_t *user, json_t *sources,
		   json_t **ret_user, struct errbuf *eb);

/* What config-get returns: every option that is set in user or has a non-null default,
 * with its typed value, in the charm's option order.  New reference. */
json_t *settings_effective(const struct charm *c, json_t *user);

/* Lower-case hex SHA-256 of the canonical (sorted keys, compact) JSON of effective. */
void settings_hash(json_t *effective, char out[65]);

/* The `settings` map of `cairn config APP`, options sorted by name, each
 * {"default"?, "description"?, "source": "default"|"user"|"unset", "type", "value"?} with the
 * keys in that (alphabetical) order.  New reference. */
json_t *settings_describe(const struct charm *c, json_t *user);

/* The user settings to keep when the application moves to new_charm: values of options that
 * still exist, re-coerced to the option's (possibly new) type; values that no longer fit
 * are dropped.  New reference. */
json_t *settings_rebase(const struct charm *new_charm, json_t *user);

/* Go %#v rendering of a JSON value (strings quoted with Go escapes), appended to out as a
 * NUL-terminated string of at most n bytes.  Used in error messages. */
void settings_go_repr(json_t *v, char *out, size_t n);

#endif
