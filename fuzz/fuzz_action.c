/* fuzz_action.c - actions and their parameters (src/action): a charm's actions.yaml made into
 * JSON schemas (actionspec_parse), an operator's parameters checked against each schema and
 * given its defaults (actionspec_validate, actionspec_with_defaults), and the key=value forms
 * of `cairn run` and the action-set / action-get hook tools (actionargs_parse,
 * actionargs_yaml_value, actionargs_insert, actionargs_lookup).
 *
 * Input: the actions.yaml text, a line "---8<---", then the parameters: a JSON object, or
 * else lines of key=value arguments, each parsed as both `run` and action-set take it and
 * inserted into the parameters `run` would send.
 *
 * Checked: a validation failure says "validation failed: ..."; a key=value argument that
 * parses can be looked up again where it was put. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "action/actionargs.h"
#include "action/actionspec.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/yamljson.h"

#define MAX_ACTIONS 8
#define MAX_ARGS 32

static const char sep[] = "---8<---\n";

/* Builds params from key=value lines as `run` does (values through YAML unless they do
 * not parse). */
static json_t *params_from_args(const char *text, size_t n)
{
	json_t *params = json_object();
	char *copy = xstrndup(text, n), *save = NULL;
	int args = 0;

	for (char *line = strtok_r(copy, "\n", &save); line && args < MAX_ARGS;
	     line = strtok_r(NULL, "\n", &save), args++) {
		struct actionarg a, set;
		struct errbuf eb;
		json_t *v = NULL;

		if (actionargs_parse(line, ACTIONARGS_SET, &set, &eb) == 0)
			actionargs_done(&set);
		if (actionargs_parse(line, ACTIONARGS_RUN, &a, &eb) < 0)
			continue;
		if (actionargs_yaml_value(a.value, &v, &eb) < 0)
			v = json_string(a.value); /* as --string-args sends it */
		if (!v) {
			actionargs_done(&a); /* not UTF-8: `run` refuses it */
			continue;
		}
		actionargs_insert(params, a.keys, a.n_keys, v);
		{
			struct buf dotted = BUF_INIT;

			buf_init(&dotted);
			for (size_t i = 0; i < a.n_keys; i++)
				buf_addf(&dotted, "%s%s", i ? "." : "", a.keys[i]);
			/* The last occurrence wins: what was just put is what is found. */
			if (actionargs_lookup(params, dotted.data) != v)
				abort();
			buf_done(&dotted);
		}
		json_decref(v);
		actionargs_done(&a);
	}
	free(copy);
	return params;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *cut;
	size_t yaml_len = size;
	struct action_specs *specs = NULL;
	json_t *doc = NULL, *params = NULL;
	struct errbuf eb;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	cut = memmem(text, size, sep, sizeof(sep) - 1);
	if (cut) {
		const char *p = cut + sizeof(sep) - 1;
		size_t n = size - (size_t)(p - text);

		yaml_len = (size_t)(cut - text);
		params = json_loadb(p, n, 0, NULL);
		if (!json_is_object(params)) {
			json_decref(params);
			params = params_from_args(p, n);
		}
	}
	if (yaml_to_json(text, yaml_len, &doc, &eb) == 0 && actionspec_parse(doc, &specs, &eb) == 0) {
		for (size_t i = 0; i < specs->n && i < MAX_ACTIONS; i++) {
			const struct action_spec *a = &specs->v[i];
			json_t *full;

			if (actionspec_find(specs, a->name) != a)
				abort();
			if (actionspec_validate(a, params, &eb) < 0 && strncmp(eb.msg, "validation failed: ", 19))
				abort();
			full = actionspec_with_defaults(a, params);
			if (!json_is_object(full))
				abort();
			actionspec_validate(a, full, &eb);
			json_decref(full);
		}
		actionspec_free(specs);
	}
	json_decref(doc);
	json_decref(params);
	return 0;
}
