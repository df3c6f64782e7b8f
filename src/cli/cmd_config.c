/* cmd_config.c - `cairn config` (application settings, operator-cli.md §5) and
 * `cairn model-config` (§9).
 *
 * Both share Juju's argument rules (cmd/juju/config): no positional key = show everything,
 * one bare key = print its raw value, key=value pairs = set, --reset k1,k2 = back to the
 * defaults (and may be combined with sets, but not with a get). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgsrc.h"
#include "cli.h"
#include "gostr.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/names.h"
#include "lib/yamljson.h"
#include "table.h"

enum cfg_action { CFG_GET_ALL, CFG_GET_ONE, CFG_SET };

struct cfg_args {
	enum cfg_action action;
	const char *key;  /* CFG_GET_ONE */
	json_t *pairs;    /* {key: raw value} from the command line, values not yet resolved */
	json_t *reset;    /* [keys] */
	bool has_file;
};

static void cfg_args_done(struct cfg_args *a)
{
	json_decref(a->pairs);
	json_decref(a->reset);
}

/* Splits every --reset value at commas.  Returns 0 or -EINVAL (eb filled). */
static int parse_reset(const struct argv_list *l, json_t *out, struct errbuf *eb)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->v[i];

		while (*p == ',')
			p++;
		while (*p) {
			size_t n = strcspn(p, ",");
			char *k = xstrndup(p, n);

			if (strchr(k, '=')) {
				char *q = gostr_quoted(k);

				errbuf_set(eb, "--reset accepts a comma delimited set of keys \"a,b,c\", received: %s", q);
				free(q);
				free(k);
				return -EINVAL;
			}
			if (*k)
				json_array_append_new(out, json_string(k));
			free(k);
			p += n;
			while (*p == ',')
				p++;
		}
	}
	return 0;
}

/* Classifies the positionals after the application/model (Juju's configbase rules).
 * Returns 0 or -EINVAL (eb filled). */
static int classify(const char *const *args, size_t n, const struct argv_list *reset_flags,
		    bool has_file, struct cfg_args *a, struct errbuf *eb)
{
	size_t pairs = 0;
	size_t i;
	json_t *k;

	a->pairs = json_object();
	a->reset = json_array();
	a->has_file = has_file;
	a->key = NULL;
	if (parse_reset(reset_flags, a->reset, eb) < 0)
		return -EINVAL;
	for (size_t j = 0; j < n; j++)
		if (strchr(args[j], '='))
			pairs++;
	if (n == 0) {
		a->action = has_file || json_array_size(a->reset) ? CFG_SET : CFG_GET_ALL;
		return 0;
	}
	if (pairs == 0) {
		if (n > 1) {
			errbuf_set(eb, "cannot specify multiple keys to get");
			return -EINVAL;
		}
		if (json_array_size(a->reset)) {
			errbuf_set(eb, "cannot use --reset flag and get value simultaneously");
			return -EINVAL;
		}
		if (has_file) {
			errbuf_set(eb, "cannot use --file flag and get value simultaneously");
			return -EINVAL;
		}
		a->action = CFG_GET_ONE;
		a->key = args[0];
		return 0;
	}
	if (pairs != n) {
		errbuf_set(eb, "cannot get value and set key=value pairs simultaneously");
		return -EINVAL;
	}
	for (size_t j = 0; j < n; j++) {
		char *key;
		const char *value;

		if (cfgsrc_split_pair(args[j], &key, &value, eb) < 0)
			return -EINVAL;
		if (json_object_get(a->pairs, key)) {
			char *q = gostr_quoted(key);

			errbuf_set(eb, "key %s specified more than once", q);
			free(q);
			free(key);
			return -EINVAL;
		}
		json_object_set_new(a->pairs, key, json_string(value));
		free(key);
	}
	json_array_foreach(a->reset, i, k) {
		if (json_object_get(a->pairs, json_string_value(k))) {
			char *q = gostr_quoted(json_string_value(k));

			errbuf_set(eb, "cannot set and reset key %s simultaneously", q);
			free(q);
			return -EINVAL;
		}
	}
	a->action = CFG_SET;
	return 0;
}

/* Checks a --format value against the allowed names (NULL-terminated). */
static int check_format(const char *f, const char *const *allowed, struct errbuf *eb)
{
	for (const char *const *p = allowed; *p; p++)
		if (!strcmp(f, *p))
			return 0;
	char *q = gostr_quoted(f);

	errbuf_set(eb, "invalid value %s for option --format: unknown format %s", q, q);
	free(q);
	return -EINVAL;
}

/* Prints a value like Go's fmt.Println after a JSON decode: raw strings, true/false. */
static void print_raw_value(json_t *v)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	if (v && !json_is_null(v))
		gofmt_value(&b, v);
	buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, stdout);
	buf_done(&b);
}

static void print_doc(json_t *doc, const char *format)
{
	json_t *sorted = gostr_sorted(doc);

	if (!strcmp(format, "json"))
		cli_print_json(sorted);
	else
		cli_print_yaml(sorted);
	json_decref(sorted);
}

/* ---- config ---- */

static int config_get(const char *app, const struct cfg_args *a, const char *format)
{
	json_t *result = NULL, *doc, *settings;
	int r;

	r = cli_call(json_pack("{s:s, s:s}", "op", "config-get", "app", app), &result);
	if (r)
		return r;
	settings = json_object_get(result, "settings");
	if (a->action == CFG_GET_ONE) {
		json_t *opt = json_object_get(settings, a->key);

		if (!json_is_object(opt))
			opt = json_object_get(json_object_get(result, "application-config"), a->key);
		if (!json_is_object(opt)) {
			char *qk = gostr_quoted(a->key), *qa = gostr_quoted(app);

			r = cli_error(CLI_EXIT_FAIL,
				      "key %s not found in %s application config or charm settings.", qk, qa);
			free(qk);
			free(qa);
		} else {
			print_raw_value(json_object_get(opt, "value"));
		}
		json_decref(result);
		return r;
	}
	/* Juju prints a map, so its encoders sort every level's keys. */
	doc = json_object();
	json_object_set_new(doc, "application", json_string(app));
	json_object_set_new(doc, "charm", json_string(""));
	json_object_set_new(doc, "settings", json_object());
	if (json_object_get(result, "application"))
		json_object_set(doc, "application", json_object_get(result, "application"));
	if (json_object_get(result, "charm"))
		json_object_set(doc, "charm", json_object_get(result, "charm"));
	if (settings)
		json_object_set(doc, "settings", settings);
	if (json_is_object(json_object_get(result, "application-config")) &&
	    json_object_size(json_object_get(result, "application-config")))
		json_object_set(doc, "application-config", json_object_get(result, "application-config"));
	print_doc(doc, format);
	json_decref(doc);
	json_decref(result);
	return CLI_EXIT_OK;
}

/* Builds the ordered config sources of a set: the file, then the pairs (overriding it),
 * then the resets.  Reads files; returns 0 or CLI_EXIT_FAIL (printed). */
static int build_sources(const struct cfg_args *a, const char *file, json_t **ret)
{
	json_t *sources = json_array(), *set, *v;
	struct errbuf eb;
	const char *k;

	errbuf_clear(&eb);
	if (file) {
		json_t *src;

		if (cfgsrc_file_source(file, &src, &eb) < 0)
			goto fail;
		json_array_append_new(sources, src);
	}
	if (json_object_size(a->pairs)) {
		set = json_object();
		json_object_foreach(a->pairs, k, v) {
			char *val;

			if (cfgsrc_read_value(k, json_string_value(v), &val, &eb) < 0) {
				json_decref(set);
				goto fail;
			}
			json_object_set_new(set, k, json_string(val));
			free(val);
		}
		json_array_append_new(sources, json_pack("{s:o}", "set", set));
	}
	if (json_array_size(a->reset))
		json_array_append_new(sources, json_pack("{s:O}", "reset", a->reset));
	*ret = sources;
	return 0;
fail:
	json_decref(sources);
	return cli_error(CLI_EXIT_FAIL, "%s", eb.msg);
}

int cmd_config(int argc, char **argv)
{
	const char *file = NULL, *format = "yaml";
	struct argv_list reset, pos;
	const struct argv_opt opts[] = {
		{ "file", 0, ARGV_STRING, &file, NULL },
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "reset", 0, ARGV_LIST, &reset, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	static const char *const formats[] = { "yaml", "json", NULL };
	struct cfg_args a = { 0 };
	json_t *sources = NULL;
	struct errbuf eb;
	int r;

	argv_list_init(&reset);
	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (check_format(format, formats, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}
	if (pos.n == 0 || strchr(pos.v[0], '=')) {
		r = cli_error(CLI_EXIT_USAGE, "no application name specified");
		goto out;
	}
	if (!names_valid_application(pos.v[0])) {
		r = cli_invalid_name("application", pos.v[0]);
		goto out;
	}
	if (classify(pos.v + 1, pos.n - 1, &reset, file != NULL, &a, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}
	if (a.action != CFG_SET) {
		r = config_get(pos.v[0], &a, format);
		goto out;
	}
	r = build_sources(&a, file, &sources);
	if (r)
		goto out;
	r = cli_call(json_pack("{s:s, s:s, s:O}", "op", "config-set", "app", pos.v[0], "config",
			       sources), NULL);
out:
	json_decref(sources);
	cfg_args_done(&a);
	argv_list_done(&reset);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}

/* ---- model-config ---- */

/* The model name, for Juju's "not found" message (best effort). */
static char *model_name(void)
{
	json_t *result = NULL;
	char *name;

	if (cli_call(json_pack("{s:s}", "op", "ping"), &result) != CLI_EXIT_OK)
		return xstrdup("default");
	name = json_string_value(json_object_get(result, "model"))
		       ? xstrdup(json_string_value(json_object_get(result, "model")))
		       : xstrdup("default");
	json_decref(result);
	return name;
}

/* Juju's tabular model-config: Attribute, From, Value (the value as YAML, one line). */
static void print_model_table(json_t *attrs)
{
	json_t *sorted = gostr_sorted(attrs);
	struct buf out = BUF_INIT, val = BUF_INIT;
	struct table t;
	const char *k;
	json_t *info;

	buf_init(&out);
	buf_init(&val);
	table_init(&t);
	table_row(&t);
	table_cell(&t, "Attribute");
	table_cell(&t, "From");
	table_cell(&t, "Value");
	json_object_foreach(sorted, k, info) {
		json_t *v = json_object_get(info, "value");

		buf_reset(&val);
		json_to_yaml(&val, v ? v : json_null(), 2);
		while (val.len && val.data[val.len - 1] == '\n')
			val.data[--val.len] = '\0';
		/* Go's yaml.v2 double-quotes the strings it cannot write plainly ("" for an
		 * empty value), where our emitter uses single quotes. */
		if (json_is_string(v) && val.len && val.data[0] == '\'') {
			buf_reset(&val);
			gostr_quote(&val, json_string_value(v));
		}
		table_row(&t);
		table_cell(&t, k);
		table_cell(&t, json_string_value(json_object_get(info, "source")));
		table_cell(&t, buf_str(&val));
	}
	table_render(&t, &out);
	fwrite(out.data, 1, out.len, stdout);
	table_done(&t);
	buf_done(&val);
	buf_done(&out);
	json_decref(sorted);
}

int cmd_model_config(int argc, char **argv)
{
	const char *format = "tabular";
	struct argv_list reset, pos;
	const struct argv_opt opts[] = {
		{ "format", 0, ARGV_STRING, &format, NULL },
		{ "reset", 0, ARGV_LIST, &reset, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	static const char *const formats[] = { "tabular", "yaml", "json", NULL };
	struct cfg_args a = { 0 };
	json_t *req, *result = NULL;
	struct errbuf eb;
	int r;

	argv_list_init(&reset);
	errbuf_clear(&eb);
	r = cli_parse(opts, argc, argv, &pos);
	if (r)
		goto out;
	if (check_format(format, formats, &eb) < 0 ||
	    classify(pos.v, pos.n, &reset, false, &a, &eb) < 0) {
		r = cli_error(CLI_EXIT_USAGE, "%s", eb.msg);
		goto out;
	}
	req = json_pack("{s:s}", "op", "model-config");
	if (a.action == CFG_SET) {
		if (json_object_size(a.pairs))
			json_object_set(req, "set", a.pairs);
		if (json_array_size(a.reset))
			json_object_set(req, "reset", a.reset);
	}
	r = cli_call(req, &result);
	if (r || a.action == CFG_SET)
		goto out;
	if (a.action == CFG_GET_ONE) {
		json_t *info = json_object_get(result, a.key);

		if (!json_is_object(info)) {
			char *name = model_name();
			char *qk = gostr_quoted(a.key), *qm = gostr_quoted(name);

			r = cli_error(CLI_EXIT_FAIL, "key %s not found in %s model.", qk, qm);
			free(qk);
			free(qm);
			free(name);
		} else {
			print_raw_value(json_object_get(info, "value"));
		}
		goto out;
	}
	if (!strcmp(format, "tabular"))
		print_model_table(result);
	else
		print_doc(result, format);
out:
	json_decref(result);
	cfg_args_done(&a);
	argv_list_done(&reset);
	argv_list_done(&pos);
	return r == CLI_HELP_SHOWN ? CLI_EXIT_OK : r;
}
