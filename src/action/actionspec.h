/* actionspec.h - a charm's actions (actions.yaml) as Juju reads them, and the checking of the
 * parameters an operator gives an action (charm-runtime.md §6, §9; operator-cli.md §12.4).
 *
 * Each action becomes a JSON schema (draft 4) built as Juju builds it (internal/charm/
 * actions.go ReadActionsYaml): {"title": name, "description": ..., "type": "object",
 * "properties": <params>, "additionalProperties": false, "required": [...]}, where any other
 * key of the action's entry (e.g. "definitions") is copied in and "additionalProperties" /
 * "title" / "required" may be overridden by the entry.  "$ref" and "$schema" are refused.
 *
 * actionspec_validate() checks params against that schema before anything runs and fails
 * with Juju's text, one message per problem joined with "; " behind "validation failed: ":
 *   (root).quality : must be of type integer, given "two"
 *   (root) : "outfile" property is missing and required, given {"quality":5}
 *   (root) : additional property "bar" is not allowed, given {"bar":"foo"}
 * The schema subset implemented is what charms use: type (one or a list), enum, minimum,
 * maximum and their draft-4 exclusive flags, multipleOf, minLength, maxLength, pattern
 * (POSIX extended syntax), items (one schema or a list), minItems, maxItems, uniqueItems,
 * properties, required, additionalProperties (boolean or schema), minProperties,
 * maxProperties; default, title and description are annotations.
 *
 * The module is pure (no I/O); it is shared by the controller (validation at enqueue) and
 * anything that shows schemas (`cairn actions --schema`). */
#ifndef CAIRN_ACTIONSPEC_H
#define CAIRN_ACTIONSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/errbuf.h"

#define ACTIONSPEC_MAX_ACTIONS 4096 /* actions in one charm */
#define ACTIONSPEC_MAX_DEPTH 32     /* schema / parameter nesting checked */

/* One action of a charm. */
struct action_spec {
	char *name;
	char *description;     /* "No description" when absent, as Juju */
	bool parallel;         /* `parallel: true` */
	char *execution_group; /* "" when absent */
	json_t *schema;        /* the params schema described above (owned) */
};

/* A charm's actions, sorted by name. */
struct action_specs {
	struct action_spec *v;
	size_t n;
};

/* Builds the specs from actions.yaml as parsed JSON (NULL, null or {} for none).  Errors
 * (-EINVAL, eb) are Juju's: "bad action name Foo", "value for schema key \"required\" must
 * be a YAML list", "params failed to parse as a map", "schema key \"$ref\" not compatible
 * with this version of juju", "invalid params schema for action schema x: ...". */
int actionspec_parse(json_t *actions_yaml, struct action_specs **ret, struct errbuf *eb);
void actionspec_free(struct action_specs *s);

/* The action called name, or NULL.  Borrowed from s. */
const struct action_spec *actionspec_find(const struct action_specs *s, const char *name);

/* Checks params (an object; NULL means {}) against the action's schema.  0, or -EINVAL with
 * eb holding "validation failed: ..." as described above. */
int actionspec_validate(const struct action_spec *a, json_t *params, struct errbuf *eb);

/* Returns a new object: a deep copy of params (NULL = {}) with the schema's defaults filled
 * in where a property is absent, recursing into object properties that are present. */
json_t *actionspec_with_defaults(const struct action_spec *a, json_t *params);

/* Juju's action (and action parameter key) name rule: ^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$. */
bool actionspec_valid_name(const char *s);

#endif
