/* cli_notices.c - `scree notices`, `notice` and `notify` (§19, §23), with upstream's flags
 * and output (internals/cli/cmd_notices.go, cmd_notice.go, cmd_notify.go).  `notices`
 * lists what was not yet okayed and remembers the newest one it showed in the client
 * state (cli_state.c), which `okay` then acknowledges. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strnum.h"

#define NOTICES_KEY_COLUMN 32 /* bytes of a key shown in the table */

static void add_param(struct buf *b, const char *key, const char *val)
{
	buf_addf(b, "%s%s=", strchr(b->data, '?') ? "&" : "?", key);
	cli_query_escape(b, val);
}

int cli_notices(int argc, char **argv, struct errbuf *eb)
{
	const char *users = NULL, *uid = NULL, *timeout_s = NULL;
	struct cli_strv types = CLI_STRV_INIT, keys = CLI_STRV_INIT;
	bool abs_time = false;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "abs-time", &abs_time), CLI_STRING(0, "users", &users), CLI_STRING(0, "uid", &uid),
		CLI_LIST(0, "type", &types), CLI_LIST(0, "key", &keys), CLI_STRING(0, "timeout", &timeout_s),
		CLI_OPT_END,
	};
	const struct cli_spec spec = { "pebble notices [notices-OPTIONS]", opts, NULL, false };
	size_t i;
	int64_t timeout = 0, v;
	struct cli_state st;
	struct buf target = BUF_INIT;
	json_t *env = NULL, *list, *n;
	struct cli_table t;
	struct cli c;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		goto out;
	rv = -1;
	if (uid && strnum_i64(uid, 0, UINT32_MAX, &v) < 0) {
		errbuf_set(eb, "invalid argument for flag `--uid' (expected *uint32): strconv.ParseUint: parsing \"%s\": invalid syntax",
			   uid);
		goto out;
	}
	if (timeout_s && cli_flag_duration("timeout", timeout_s, &timeout, eb) < 0)
		goto out;
	if (cli_open(&c, eb) < 0)
		goto out;
	if (cli_state_load(c.socket_path, &st, eb) < 0)
		goto close;
	buf_init(&target);
	buf_adds(&target, "/v1/notices");
	if (uid)
		add_param(&target, "user-id", uid);
	if (users)
		add_param(&target, "users", users);
	for (i = 0; i < types.n; i++)
		add_param(&target, "types", types.v[i]);
	for (i = 0; i < keys.n; i++)
		add_param(&target, "keys", keys.v[i]);
	if (cli_state_time_set(st.notices_last_okayed))
		add_param(&target, "after", st.notices_last_okayed);
	if (timeout) {
		char d[32];

		strnum_fmt_duration(timeout, d, sizeof(d));
		add_param(&target, "timeout", d);
	}
	rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
	if (rv < 0)
		goto close;
	list = json_object_get(env, "result");
	if (json_array_size(list) == 0) {
		if (timeout) {
			char d[32];

			strnum_fmt_duration(timeout, d, sizeof(d));
			fprintf(stderr, "No matching notices after waiting %s.\n", d);
		} else {
			fprintf(stderr, "No matching notices.\n");
		}
		goto close;
	}
	cli_table_init(&t, 7);
	cli_table_add(&t, (const char *[]){ "ID", "User", "Type", "Key", "First", "Repeated", "Occurrences" });
	json_array_foreach(list, i, n) {
		char first[64], repeated[64], occ[32], user[32], key[NOTICES_KEY_COLUMN + 1];
		const char *k = cli_str(n, "key");
		size_t kl = strlen(k);
		json_t *u = json_object_get(n, "user-id");

		/* Long keys keep their start and end (upstream truncates to 32 bytes). */
		if (kl > NOTICES_KEY_COLUMN)
			snprintf(key, sizeof(key), "%.14s...%s", k, k + kl - 15);
		else
			snprintf(key, sizeof(key), "%s", k);
		if (json_is_integer(u))
			snprintf(user, sizeof(user), "%lld", (long long)json_integer_value(u));
		else
			snprintf(user, sizeof(user), "public");
		cli_fmt_time(cli_str(n, "first-occurred"), abs_time, first, sizeof(first));
		cli_fmt_time(cli_str(n, "last-repeated"), abs_time, repeated, sizeof(repeated));
		snprintf(occ, sizeof(occ), "%lld", (long long)json_integer_value(json_object_get(n, "occurrences")));
		cli_table_add(&t, (const char *[]){ cli_str(n, "id"), user, cli_str(n, "type"), key, first, repeated, occ });
	}
	cli_table_print(&t);
	cli_table_done(&t);
	snprintf(st.notices_last_listed, sizeof(st.notices_last_listed), "%s",
		 cli_str(json_array_get(list, json_array_size(list) - 1), "last-repeated"));
	rv = cli_state_save(c.socket_path, &st, eb);
close:
	cli_close(&c);
out:
	json_decref(env);
	if (target.data)
		buf_done(&target);
	cli_strv_done(&types);
	cli_strv_done(&keys);
	return rv < 0 ? -1 : 0;
}

static void print_notice(json_t *n)
{
	struct cli_yaml *y = cli_yaml_new();
	json_t *u = json_object_get(n, "user-id"), *data = json_object_get(n, "last-data"), *v;
	const char *k;
	char num[32];

	cli_yaml_str(y, "id", cli_str(n, "id"));
	if (json_is_integer(u)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(u));
		cli_yaml_raw(y, "user-id", num);
	} else {
		cli_yaml_raw(y, "user-id", "null");
	}
	cli_yaml_str(y, "type", cli_str(n, "type"));
	cli_yaml_str(y, "key", cli_str(n, "key"));
	cli_yaml_raw(y, "first-occurred", cli_str(n, "first-occurred"));
	cli_yaml_raw(y, "last-occurred", cli_str(n, "last-occurred"));
	cli_yaml_raw(y, "last-repeated", cli_str(n, "last-repeated"));
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(n, "occurrences")));
	cli_yaml_raw(y, "occurrences", num);
	if (json_object_size(data)) {
		const char **names = xcalloc(json_object_size(data), sizeof(char *));
		size_t nn = 0;

		/* yaml.v3 writes map keys sorted. */
		json_object_foreach(data, k, v)
			names[nn++] = k;
		for (size_t i = 1; i < nn; i++)
			for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
				const char *tmp = names[j];

				names[j] = names[j - 1];
				names[j - 1] = tmp;
			}
		cli_yaml_map_begin(y, "last-data");
		for (size_t i = 0; i < nn; i++)
			cli_yaml_str(y, names[i], json_string_value(json_object_get(data, names[i])) ? json_string_value(json_object_get(data, names[i])) : "");
		cli_yaml_map_end(y);
		free(names);
	}
	if (*cli_str(n, "repeat-after"))
		cli_yaml_str(y, "repeat-after", cli_str(n, "repeat-after"));
	if (*cli_str(n, "expire-after"))
		cli_yaml_str(y, "expire-after", cli_str(n, "expire-after"));
	cli_yaml_print(y);
}

int cli_notice(int argc, char **argv, struct errbuf *eb)
{
	const char *uid = NULL, *pos[2] = { NULL, NULL };
	const struct cli_opt opts[] = { CLI_STRING(0, "uid", &uid), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARG("<id-or-type>", 1, &pos[0]), CLI_ARG("<key>", 0, &pos[1]), CLI_ARG_END };
	const struct cli_spec spec = { "pebble notice [notice-OPTIONS] <id-or-type> [<key>]", opts, args, false };
	int npos, rv = cli_opts_parse(&spec, argc, argv, eb);
	struct buf target = BUF_INIT;
	json_t *env = NULL, *notice = NULL;
	struct cli c;
	int64_t v;

	if (rv != 0)
		return rv < 0 ? -1 : 0;
	rv = -1;
	npos = pos[1] ? 2 : 1;
	if (uid && strnum_i64(uid, 0, UINT32_MAX, &v) < 0)
		return errbuf_set(eb, "invalid argument for flag `--uid' (expected *uint32): strconv.ParseUint: parsing \"%s\": invalid syntax",
				  uid), -1;
	if (npos == 1 && uid)
		return errbuf_set(eb, "cannot use --uid option when looking up notice by key"), -1;
	if (cli_open(&c, eb) < 0)
		return -1;
	buf_init(&target);
	if (npos == 2) {
		json_t *list;
		size_t i;

		buf_adds(&target, "/v1/notices");
		if (uid)
			add_param(&target, "user-id", uid);
		add_param(&target, "types", pos[0]);
		add_param(&target, "keys", pos[1]);
		rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
		if (rv < 0)
			goto out;
		list = json_object_get(env, "result");
		if (json_array_size(list) == 0) {
			errbuf_set(eb, "cannot find %s notice with key \"%s\"", pos[0], pos[1]);
			rv = -1;
			goto out;
		}
		/* With the caller's own and a public notice of that key, the user's wins. */
		notice = json_array_get(list, 0);
		for (i = 1; i < json_array_size(list); i++)
			if (json_is_integer(json_object_get(json_array_get(list, i), "user-id"))) {
				notice = json_array_get(list, i);
				break;
			}
	} else {
		buf_adds(&target, "/v1/notices/");
		cli_query_escape(&target, pos[0]);
		rv = cli_call(&c, "GET", target.data, NULL, &env, eb);
		if (rv < 0)
			goto out;
		notice = json_object_get(env, "result");
	}
	print_notice(notice);
out:
	cli_close(&c);
	json_decref(env);
	buf_done(&target);
	return rv < 0 ? -1 : 0;
}

int cli_notify(int argc, char **argv, struct errbuf *eb)
{
	const char *key = NULL, *repeat = NULL;
	struct cli_strv pairs = CLI_STRV_INIT;
	const struct cli_opt opts[] = { CLI_STRING(0, "repeat-after", &repeat), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARG("<key>", 1, &key), CLI_ARGS("<name=value>", 0, &pairs), CLI_ARG_END };
	const struct cli_spec spec = { "pebble notify [notify-OPTIONS] <key> [<name=value>...]", opts, args, false };
	int64_t repeat_ns = 0;
	json_t *data = json_object(), *body = NULL, *env = NULL;
	struct cli c;
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0)
		goto out;
	rv = -1;
	for (size_t k = 0; k < pairs.n; k++) {
		const char *eq = strchr(pairs.v[k], '=');
		char *name;

		if (!eq) {
			errbuf_set(eb, "data args must be in \"name=value\" format, not \"%s\"", pairs.v[k]);
			goto out;
		}
		name = xstrndup(pairs.v[k], (size_t)(eq - pairs.v[k]));
		json_object_set_new(data, name, json_string(eq + 1));
		free(name);
	}
	if (repeat && cli_flag_duration("repeat-after", repeat, &repeat_ns, eb) < 0)
		goto out;
	body = json_pack("{s:s, s:s, s:s}", "action", "add", "type", "custom", "key", key);
	if (!body) {
		errbuf_set(eb, "key is not valid UTF-8");
		goto out;
	}
	if (repeat_ns) {
		char d[32];

		strnum_fmt_duration(repeat_ns, d, sizeof(d));
		json_object_set_new(body, "repeat-after", json_string(d));
	}
	if (json_object_size(data))
		json_object_set(body, "data", data);
	if (cli_open(&c, eb) < 0)
		goto out;
	rv = cli_call(&c, "POST", "/v1/notices", body, &env, eb);
	cli_close(&c);
	if (rv == 0)
		printf("Recorded notice %s\n", cli_str(json_object_get(env, "result"), "id"));
out:
	json_decref(data);
	json_decref(body);
	json_decref(env);
	cli_strv_done(&pairs);
	return rv < 0 ? -1 : 0;
}
