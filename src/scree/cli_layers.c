/* cli_layers.c - `scree plan` and `scree add LABEL FILE [--combine]` (§6, §7). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "plan.h"

int cli_plan(int argc, char **argv, struct errbuf *eb)
{
	const struct cli_spec spec = { "pebble plan", NULL, NULL, false };
	json_t *env = NULL;
	const char *yaml;
	struct cli c;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	if (cli_open(&c, eb) < 0)
		return -1;
	rv = cli_call(&c, "GET", "/v1/plan?format=yaml", NULL, &env, eb);
	cli_close(&c);
	if (rv == 0) {
		yaml = json_string_value(json_object_get(env, "result"));
		fputs(yaml ? yaml : "", stdout);
	}
	json_decref(env);
	return rv < 0 ? -1 : 0;
}

int cli_add(int argc, char **argv, struct errbuf *eb)
{
	const char *label = NULL, *file = NULL;
	bool combine = false, inner = false;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "combine", &combine),
		CLI_BOOL(0, "inner", &inner),
		CLI_OPT_END,
	};
	const struct cli_arg args[] = {
		CLI_ARG("<label>", 1, &label),
		CLI_ARG("<layer-path>", 1, &file),
		CLI_ARG_END,
	};
	const struct cli_spec spec = { "pebble add [add-OPTIONS] <label> <layer-path>", opts, args, false };
	struct buf text = BUF_INIT;
	json_t *body = NULL;
	struct cli c;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	buf_init(&text);
	rv = fs_read_file(file, PLAN_MAX_LAYER_BYTES, &text);
	if (rv < 0) {
		char why[128];

		errbuf_set(eb, "open %s: %s", file, gofmt_strerror(-rv, why, sizeof(why)));
		goto out;
	}
	body = json_pack("{s:s, s:b, s:b, s:s, s:s, s:s%}", "action", "add", "combine", combine, "inner", inner,
			 "label", label, "format", "yaml", "layer", text.data, text.len);
	if (!body) {
		errbuf_set(eb, "layer file %s is not valid UTF-8", file);
		rv = -1;
		goto out;
	}
	if ((rv = cli_open(&c, eb)) < 0)
		goto out;
	rv = cli_call(&c, "POST", "/v1/layers", body, NULL, eb);
	cli_close(&c);
	if (rv == 0)
		printf("Layer \"%s\" added successfully from \"%s\"\n", label, file);
out:
	json_decref(body);
	buf_done(&text);
	return rv < 0 ? -1 : 0;
}
