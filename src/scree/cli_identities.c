/* cli_identities.c - `scree identities`, `identity`, `add-identities`, `update-identities`
 * and `remove-identities` (§20, §23), with upstream's flags, outputs and messages
 * (internals/cli/cmd_identities.go, cmd_identity.go, cmd_*-identities.go). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identities.h"
#include "lib/fsutil.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

/* ---- output ---- */

/* A string scalar as yaml.v3 writes it: plain; double-quoted when a plain scalar would read
 * back as something else (true, no, 1.5, null...); single-quoted when it starts with an
 * indicator or holds ": " / " #" (the masked "*****" is '*****'). */
static void yaml_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || yaml_plain_is_nonstring(s)) {
		gofmt_quote(b, s, n, GOFMT_QUOTE_YAML);
		return;
	}
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[n - 1] == ' ' || s[n - 1] == ':' || strstr(s, ": ") ||
	    strstr(s, " #")) {
		buf_addc(b, '\'');
		for (const char *p = s; *p; p++) {
			if (*p == '\'')
				buf_addc(b, '\'');
			buf_addc(b, *p);
		}
		buf_addc(b, '\'');
		return;
	}
	buf_adds(b, s);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* One identity's fields at indentation ind (yaml.v3 marshalling of client.Identity). */
static void yaml_identity(struct buf *b, json_t *id, int ind)
{
	json_t *local = json_object_get(id, "local"), *basic = json_object_get(id, "basic"),
	       *cert = json_object_get(id, "cert");

	buf_addf(b, "%*saccess: ", ind, "");
	yaml_str(b, str(id, "access"));
	buf_addc(b, '\n');
	if (json_is_object(local))
		buf_addf(b, "%*slocal:\n%*suser-id: %" JSON_INTEGER_FORMAT "\n", ind, "", ind + 4, "",
			 json_integer_value(json_object_get(local, "user-id")));
	if (json_is_object(basic)) {
		buf_addf(b, "%*sbasic:\n%*spassword: ", ind, "", ind + 4, "");
		yaml_str(b, str(basic, "password"));
		buf_addc(b, '\n');
	}
	if (json_is_object(cert)) {
		buf_addf(b, "%*scert:\n%*spem: ", ind, "", ind + 4, "");
		yaml_str(b, str(cert, "pem"));
		buf_addc(b, '\n');
	}
}

/* One identity as encoding/json marshals client.Identity (fields in declaration order). */
static void json_identity(struct buf *b, json_t *id)
{
	json_t *local = json_object_get(id, "local"), *basic = json_object_get(id, "basic"),
	       *cert = json_object_get(id, "cert");
	const char *s;

	buf_adds(b, "{\"access\":");
	s = str(id, "access");
	gofmt_json_string(b, s, strlen(s));
	if (json_is_object(local))
		buf_addf(b, ",\"local\":{\"user-id\":%" JSON_INTEGER_FORMAT "}",
			 json_integer_value(json_object_get(local, "user-id")));
	if (json_is_object(basic)) {
		buf_adds(b, ",\"basic\":{\"password\":");
		s = str(basic, "password");
		gofmt_json_string(b, s, strlen(s));
		buf_addc(b, '}');
	}
	if (json_is_object(cert)) {
		buf_adds(b, ",\"cert\":{\"pem\":");
		s = str(cert, "pem");
		gofmt_json_string(b, s, strlen(s));
		buf_addc(b, '}');
	}
	buf_addc(b, '}');
}

/* GET /v1/identities; *ret = the result object (new reference). */
static int fetch(json_t **ret, struct errbuf *eb)
{
	json_t *env = NULL;
	struct cli c;
	int rv;

	if (cli_open(&c, eb) < 0)
		return -1;
	rv = cli_call(&c, "GET", "/v1/identities", NULL, &env, eb);
	cli_close(&c);
	if (rv < 0)
		return -1;
	*ret = json_object_get(env, "result");
	if (!json_is_object(*ret))
		*ret = json_object();
	else
		json_incref(*ret);
	json_decref(env);
	return 0;
}

enum id_format { FMT_TEXT, FMT_JSON, FMT_YAML };

int cli_identities(int argc, char **argv, struct errbuf *eb)
{
	const char *format = NULL;
	const struct cli_opt opts[] = { CLI_STRING(0, "format", &format), CLI_OPT_END };
	const struct cli_spec spec = { "pebble identities [identities-OPTIONS]", opts, NULL, false };
	enum id_format fmt = FMT_TEXT;
	json_t *ids = NULL;
	const char **names = NULL;
	struct buf b = BUF_INIT;
	size_t n = 0;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	if (!format || !*format || strcmp(format, "text") == 0) {
		fmt = FMT_TEXT;
	} else if (strcmp(format, "json") == 0) {
		fmt = FMT_JSON;
	} else if (strcmp(format, "yaml") == 0) {
		fmt = FMT_YAML;
	} else {
		buf_init(&b);
		gofmt_quote(&b, format, strlen(format), GOFMT_QUOTE_GO);
		errbuf_set(eb, "invalid output format (expected \"text\", \"json\", or \"yaml\", not %s)", b.data);
		buf_done(&b);
		return -1;
	}
	if (fetch(&ids, eb) < 0)
		return -1;
	if (json_object_size(ids) == 0) {
		fprintf(stderr, "No identities.\n");
		json_decref(ids);
		return 0;
	}
	names = ident_names_sorted(ids, &n);
	buf_init(&b);
	if (fmt == FMT_TEXT) {
		struct cli_table t;

		cli_table_init(&t, 3);
		cli_table_add(&t, (const char *[]){ "Name", "Access", "Types" });
		for (size_t i = 0; i < n; i++) {
			json_t *id = json_object_get(ids, names[i]);

			/* Types in alphabetical order, as upstream sorts them. */
			buf_reset(&b);
			if (json_is_object(json_object_get(id, "basic")))
				buf_adds(&b, "basic");
			if (json_is_object(json_object_get(id, "cert")))
				buf_addf(&b, "%scert", b.len ? "," : "");
			if (json_is_object(json_object_get(id, "local")))
				buf_addf(&b, "%slocal", b.len ? "," : "");
			cli_table_add(&t, (const char *[]){ names[i], str(id, "access"), b.len ? b.data : "unknown" });
		}
		cli_table_print(&t);
		cli_table_done(&t);
	} else if (fmt == FMT_YAML) {
		buf_adds(&b, "identities:\n");
		for (size_t i = 0; i < n; i++) {
			buf_adds(&b, "    ");
			yaml_str(&b, names[i]);
			buf_adds(&b, ":\n");
			yaml_identity(&b, json_object_get(ids, names[i]), 8);
		}
		fwrite(b.data, 1, b.len, stdout);
	} else {
		buf_adds(&b, "{\"identities\":{");
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addc(&b, ',');
			gofmt_json_string(&b, names[i], strlen(names[i]));
			buf_addc(&b, ':');
			json_identity(&b, json_object_get(ids, names[i]));
		}
		buf_adds(&b, "}}\n");
		fwrite(b.data, 1, b.len, stdout);
	}
	buf_done(&b);
	free(names);
	json_decref(ids);
	return 0;
}

int cli_identity(int argc, char **argv, struct errbuf *eb)
{
	const char *name = NULL;
	const struct cli_arg args[] = { CLI_ARG("<name>", 1, &name), CLI_ARG_END };
	const struct cli_spec spec = { "pebble identity <name>", NULL, args, false };
	json_t *ids = NULL, *id;
	struct buf b = BUF_INIT;
	int rv;

	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	if (fetch(&ids, eb) < 0)
		return -1;
	buf_init(&b);
	id = json_object_get(ids, name);
	if (!json_is_object(id)) {
		gofmt_quote(&b, name, strlen(name), GOFMT_QUOTE_GO);
		errbuf_set(eb, "cannot find identity %s", b.data);
		rv = -1;
	} else {
		yaml_identity(&b, id, 0);
		fwrite(b.data, 1, b.len, stdout);
	}
	buf_done(&b);
	json_decref(ids);
	return rv;
}

/* ---- changes ---- */

/* upstream readIdentities: the --from file as the API's {name: identity|null}. */
static int read_identities(const char *path, json_t **ret, struct errbuf *eb)
{
	struct buf text = BUF_INIT;
	char why[128];
	int rv;

	buf_init(&text);
	rv = fs_read_file(path, IDENT_FILE_MAX, &text);
	if (rv < 0)
		errbuf_set(eb, "open %s: %s", path, gofmt_strerror(-rv, why, sizeof(why)));
	else
		rv = ident_file_parse(text.data, text.len, ret, eb);
	buf_done(&text);
	return rv;
}

static int post(const char *action, json_t *ids, struct errbuf *eb)
{
	json_t *body = json_pack("{s:s, s:O}", "action", action, "identities", ids);
	struct cli c;
	int rv = -1;

	if (cli_open(&c, eb) == 0) {
		rv = cli_call(&c, "POST", "/v1/identities", body, NULL, eb);
		cli_close(&c);
	}
	json_decref(body);
	return rv;
}

/* The three change verbs differ only in what they send and how they say it was done
 * (upstream's numItems wording: "Added 1 new identity.", "Removed 2 identities."). */
struct change_verb {
	const char *usage;
	const char *action, *done;                 /* without --replace */
	const char *replace_action, *replace_done; /* with --replace; NULL: no such flag */
	const char *singular, *plural;
	bool values_null;                          /* remove: every value must be null */
};

static const struct change_verb add_verb = {
	"pebble add-identities [add-identities-OPTIONS]", "add", "Added", NULL, NULL,
	"new identity", "new identities", false,
};
static const struct change_verb update_verb = {
	"pebble update-identities [update-identities-OPTIONS]", "update", "Updated", "replace", "Replaced",
	"identity", "identities", false,
};
static const struct change_verb remove_verb = {
	"pebble remove-identities [remove-identities-OPTIONS]", "remove", "Removed", NULL, NULL,
	"identity", "identities", true,
};

/* upstream's remove-identities check, first name in order (Go's map order is random). */
static int check_null_values(json_t *ids, struct errbuf *eb)
{
	size_t n;
	const char **names = ident_names_sorted(ids, &n);
	struct buf q = BUF_INIT;
	int rv = 0;

	buf_init(&q);
	for (size_t i = 0; i < n && rv == 0; i++) {
		if (json_is_null(json_object_get(ids, names[i])))
			continue;
		gofmt_quote(&q, names[i], strlen(names[i]), GOFMT_QUOTE_GO);
		errbuf_set(eb, "value of identity %s must be null in YAML when removing", q.data);
		rv = -EINVAL;
	}
	buf_done(&q);
	free(names);
	return rv;
}

static int change_identities(const struct change_verb *v, int argc, char **argv, struct errbuf *eb)
{
	const char *from = NULL;
	bool replace = false;
	struct cli_opt opts[] = {
		CLI_REQUIRED_STRING(0, "from", &from),
		CLI_BOOL(0, "replace", &replace),
		CLI_OPT_END,
	};
	const struct cli_opt end = CLI_OPT_END;
	const struct cli_spec spec = { v->usage, opts, NULL, false };
	json_t *ids = NULL;
	size_t n;
	int rv;

	if (!v->replace_action)
		opts[1] = end;
	rv = cli_opts_parse(&spec, argc, argv, eb);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	rv = read_identities(from, &ids, eb);
	if (rv == 0 && v->values_null)
		rv = check_null_values(ids, eb);
	if (rv == 0)
		rv = post(replace ? v->replace_action : v->action, ids, eb);
	if (rv == 0) {
		n = json_object_size(ids);
		printf("%s %zu %s.\n", replace ? v->replace_done : v->done, n, n == 1 ? v->singular : v->plural);
	}
	json_decref(ids);
	return rv < 0 ? -1 : 0;
}

int cli_add_identities(int argc, char **argv, struct errbuf *eb)
{
	return change_identities(&add_verb, argc, argv, eb);
}

int cli_update_identities(int argc, char **argv, struct errbuf *eb)
{
	return change_identities(&update_verb, argc, argv, eb);
}

int cli_remove_identities(int argc, char **argv, struct errbuf *eb)
{
	return change_identities(&remove_verb, argc, argv, eb);
}
