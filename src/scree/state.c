/* state.c - atomic JSON state file; see state.h. */
#include "state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"

void state_init(struct state *st, const char *path, bool persist)
{
	memset(st, 0, sizeof(*st));
	if (persist && path)
		st->st_path = xstrdup(path);
}

void state_done(struct state *st)
{
	free(st->st_path);
	st->st_path = NULL;
}

int state_load(struct state *st, json_t **ret, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *root;
	int rv;

	if (!st->st_path) {
		*ret = json_object();
		return 0;
	}
	buf_init(&b);
	rv = fs_read_file(st->st_path, STATE_MAX_BYTES, &b);
	if (rv == -ENOENT) {
		buf_done(&b);
		*ret = json_object();
		return 0;
	}
	if (rv < 0) {
		errbuf_set(eb, "cannot read state file %s: %s", st->st_path, strerror(-rv));
		buf_done(&b);
		return rv;
	}
	root = json_loadb(b.data, b.len, 0, &jerr);
	buf_done(&b);
	if (!json_is_object(root)) {
		json_decref(root);
		errbuf_set(eb, "cannot read state file %s: invalid JSON: %s", st->st_path,
			   root ? "not an object" : jerr.text);
		return -EINVAL;
	}
	*ret = root;
	return 0;
}

int state_save(struct state *st, json_t *root, struct errbuf *eb)
{
	char *text;
	int rv;

	st->st_dirty = false;
	if (!st->st_path)
		return 0;
	text = json_dumps(root, JSON_COMPACT);
	if (!text)
		return errbuf_set(eb, "cannot encode state"), -ENOMEM;
	rv = fs_write_atomic(st->st_path, text, strlen(text), 0600);
	free(text);
	if (rv < 0)
		errbuf_set(eb, "cannot write state file %s: %s", st->st_path, strerror(-rv));
	return rv;
}
