/* cli_state.c - the client's own state file, as upstream's CLI keeps it (cli.json: when
 * notices and warnings were last listed and okayed, per socket path); see cli.h. */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"

#define CLI_STATE_MAX_BYTES (1024u * 1024u)
#define GO_ZERO_TIME "0001-01-01T00:00:00Z"

static const struct {
	const char *key;
	size_t off;
} fields[] = {
	{ "notices-last-listed", offsetof(struct cli_state, notices_last_listed) },
	{ "notices-last-okayed", offsetof(struct cli_state, notices_last_okayed) },
	{ "warnings-last-listed", offsetof(struct cli_state, warnings_last_listed) },
	{ "warnings-last-okayed", offsetof(struct cli_state, warnings_last_okayed) },
};

static char *state_path(void)
{
	const char *cfg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (cfg && *cfg)
		return xasprintf("%s/pebble/cli.json", cfg);
	return xasprintf("%s/.config/pebble/cli.json", home ? home : "");
}

bool cli_state_time_set(const char *t)
{
	return t && *t && strcmp(t, GO_ZERO_TIME) != 0;
}

/* The whole file ({"pebble": {socket: state}}), or an empty one. */
static json_t *load_full(const char *path, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *root;
	int rv;

	buf_init(&b);
	rv = fs_read_file(path, CLI_STATE_MAX_BYTES, &b);
	if (rv == -ENOENT) {
		buf_done(&b);
		return json_pack("{s:{}}", "pebble");
	}
	if (rv < 0) {
		errbuf_set(eb, "cannot load CLI state: open %s: %s", path, strerror(-rv));
		buf_done(&b);
		return NULL;
	}
	root = json_loadb(b.data, b.len, 0, &jerr);
	buf_done(&b);
	if (!json_is_object(root) || (json_object_get(root, "pebble") && !json_is_object(json_object_get(root, "pebble")))) {
		json_decref(root);
		errbuf_set(eb, "cannot load CLI state: %s", root ? "invalid state" : jerr.text);
		return NULL;
	}
	if (!json_object_get(root, "pebble"))
		json_object_set_new(root, "pebble", json_object());
	return root;
}

int cli_state_load(const char *socket_path, struct cli_state *ret, struct errbuf *eb)
{
	char *path = state_path();
	json_t *root = load_full(path, eb), *st;

	free(path);
	if (!root)
		return -1;
	memset(ret, 0, sizeof(*ret));
	st = json_object_get(json_object_get(root, "pebble"), socket_path);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = json_string_value(json_object_get(st, fields[i].key));

		snprintf((char *)ret + fields[i].off, 64, "%s", v ? v : GO_ZERO_TIME);
	}
	json_decref(root);
	return 0;
}

int cli_state_save(const char *socket_path, const struct cli_state *st, struct errbuf *eb)
{
	char *path = state_path(), *dir = xstrdup(path), *text;
	json_t *root = load_full(path, eb), *o;
	int rv = -1;

	if (!root)
		goto out;
	o = json_object();
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = (const char *)st + fields[i].off;

		json_object_set_new(o, fields[i].key, json_string(*v ? v : GO_ZERO_TIME));
	}
	json_object_set_new(json_object_get(root, "pebble"), socket_path, o);
	text = json_dumps(root, JSON_COMPACT);
	rv = fs_mkdir_p(dirname(dir), 0700);
	if (rv == 0)
		rv = fs_write_atomic(path, text, strlen(text), 0600);
	if (rv < 0) {
		errbuf_set(eb, "cannot save CLI state: %s: %s", path, strerror(-rv));
		rv = -1;
	}
	free(text);
out:
	json_decref(root);
	free(dir);
	free(path);
	return rv;
}
