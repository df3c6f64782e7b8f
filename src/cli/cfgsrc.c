/* cfgsrc.c - config sources from command-line values; see cfgsrc.h. */
#include "cfgsrc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gostr.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/yamljson.h"

int cfgsrc_split_pair(const char *arg, char **ret_key, const char **ret_value, struct errbuf *eb)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg) {
		char *q = gostr_quoted(arg);

		errbuf_set(eb, "expected \"key=value\", got %s", q);
		free(q);
		return -EINVAL;
	}
	*ret_key = xstrndup(arg, (size_t)(eq - arg));
	*ret_value = eq + 1;
	return 0;
}

int cfgsrc_read_value(const char *key, const char *value, char **ret, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char *abs = NULL, *qname = NULL;
	char ebuf[128];
	struct stat st;
	int r = 0;

	buf_init(&b);
	if (value[0] != '@') {
		if (!gostr_valid_utf8(value, strlen(value)))
			goto bad_utf8;
		*ret = xstrdup(value);
		goto out;
	}
	qname = gostr_quoted(value + 1);
	abs = gostr_abs_path(value + 1);
	if (!abs) {
		r = -errno;
		errbuf_set(eb, "cannot read option from file %s: getwd: %s", qname,
			   gostr_strerror(-r, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (stat(abs, &st) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot read option from file %s: stat %s: %s", qname, abs,
			   gostr_strerror(-r, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (st.st_size > (off_t)CFGSRC_MAX_VALUE_FILE) {
		r = -EFBIG;
		errbuf_set(eb, "size of option file is larger than 5M");
		goto out;
	}
	r = fs_read_file(abs, CFGSRC_MAX_VALUE_FILE, &b);
	if (r < 0) {
		if (r == -EFBIG)
			errbuf_set(eb, "size of option file is larger than 5M");
		else
			errbuf_set(eb, "cannot read option from file %s: read %s: %s", qname, abs,
				   gostr_strerror(-r, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (!gostr_valid_utf8(b.data, b.len) || memchr(b.data, '\0', b.len))
		goto bad_utf8;
	*ret = buf_detach(&b);
	goto out;
bad_utf8:
	free(qname);
	qname = gostr_quoted(key);
	errbuf_set(eb, "value for option %s contains non-UTF-8 sequences", qname);
	r = -EINVAL;
out:
	free(qname);
	free(abs);
	buf_done(&b);
	return r;
}

/* Reads all of stdin (at most max bytes; -EFBIG beyond). */
static int read_stdin(struct buf *b, size_t max)
{
	char tmp[8192];
	ssize_t n;

	for (;;) {
		n = read(0, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > max)
			return -EFBIG;
		buf_add(b, tmp, (size_t)n);
	}
}

int cfgsrc_file_source(const char *path, json_t **ret, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	json_t *doc = NULL;
	char *abs = NULL, *q = NULL;
	char ebuf[128];
	int r;

	buf_init(&b);
	q = gostr_quoted(path);
	if (!strcmp(path, "-")) {
		r = read_stdin(&b, CFGSRC_MAX_YAML_FILE);
		if (r < 0) {
			errbuf_set(eb, "cannot read config from stdin: %s",
				   r == -EFBIG ? "larger than 5M" : gostr_strerror(-r, ebuf, sizeof(ebuf)));
			goto out;
		}
		goto parse;
	}
	abs = gostr_abs_path(path);
	if (!abs) {
		r = -errno;
		errbuf_set(eb, "cannot read config file %s: getwd: %s", q,
			   gostr_strerror(-r, ebuf, sizeof(ebuf)));
		goto out;
	}
	r = fs_read_file(abs, CFGSRC_MAX_YAML_FILE, &b);
	if (r == -EFBIG) {
		errbuf_set(eb, "cannot read config file %s: larger than 5M", q);
		goto out;
	}
	if (r < 0) {
		errbuf_set(eb, "cannot read config file %s: open %s: %s", q, abs,
			   gostr_strerror(-r, ebuf, sizeof(ebuf)));
		goto out;
	}
parse:
	r = yaml_to_json(b.data, b.len, &doc, eb);
	if (r < 0) {
		errbuf_wrap(eb, "cannot parse config file %s", q);
		goto out;
	}
	*ret = json_pack("{s:o, s:s}", "file", doc, "path", path);
	doc = NULL;
	r = 0;
out:
	json_decref(doc);
	free(abs);
	free(q);
	buf_done(&b);
	return r;
}

int cfgsrc_check_flags(const struct argv_list *flags, struct errbuf *eb)
{
	for (size_t i = 0; i < flags->n; i++) {
		char *key;
		const char *value;

		if (!strchr(flags->v[i], '='))
			continue;
		if (cfgsrc_split_pair(flags->v[i], &key, &value, eb) < 0)
			return -EINVAL;
		free(key);
	}
	return 0;
}

int cfgsrc_from_flags(const struct argv_list *flags, json_t **ret, struct errbuf *eb)
{
	json_t *arr = json_array();
	json_t *set = NULL; /* the "set" object of the current run of pairs, borrowed */
	int r = 0;

	for (size_t i = 0; i < flags->n; i++) {
		const char *arg = flags->v[i];
		char *key = NULL, *val = NULL;
		const char *raw;
		json_t *src;

		if (!strchr(arg, '=')) {
			r = cfgsrc_file_source(arg, &src, eb);
			if (r < 0)
				goto fail;
			json_array_append_new(arr, src);
			set = NULL;
			continue;
		}
		r = cfgsrc_split_pair(arg, &key, &raw, eb);
		if (r < 0)
			goto fail;
		r = cfgsrc_read_value(key, raw, &val, eb);
		if (r < 0) {
			free(key);
			goto fail;
		}
		if (!set) {
			set = json_object();
			json_array_append_new(arr, json_pack("{s:o}", "set", set));
		}
		json_object_set_new(set, key, json_string(val));
		free(key);
		free(val);
	}
	*ret = arr;
	return 0;
fail:
	json_decref(arr);
	return r;
}
