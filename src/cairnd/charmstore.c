/* charmstore.c - charm archives by digest; see charmstore.h. */
#include "cairnd/charmstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"

struct add_req {
	struct model *m;
	char *src, *dir;   /* dir: home/charms */
	charmstore_done_fn done;
	void *data;
};

static int copy_file(const char *src, const char *dst, struct errbuf *eb)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = 0;
	char chunk[65536];
	ssize_t n;

	if (in < 0) {
		errbuf_set(eb, "cannot read %s: %s", src, strerror(errno));
		return -errno;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create %s: %s", dst, strerror(errno));
		close(in);
		return r;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(out, chunk, (size_t)n) != n) {
			r = -errno;
			errbuf_set(eb, "cannot copy %s: %s", src, strerror(errno));
			break;
		}
	}
	if (r == 0 && (fsync(out) < 0 || close(out) < 0)) {
		r = -errno;
		errbuf_set(eb, "cannot write %s: %s", dst, strerror(errno));
		out = -1;
	}
	if (out >= 0)
		close(out);
	close(in);
	return r;
}

/* In the worker: validate, produce the archive, name it by its digest. */
static json_t *add_fn(void *arg, struct errbuf *eb)
{
	struct add_req *q = arg;
	char *tmp = xasprintf("%s/.new-%d.charm", q->dir, (int)getpid());
	char *scratch = xasprintf("%s/.unpack-%d", q->dir, (int)getpid());
	char digest[CHARM_DIGEST_HEX];
	struct charm *c = NULL;
	struct stat st;
	uint64_t size = 0;
	json_t *res = NULL;
	char *final = NULL;

	if (fs_mkdir_p(q->dir, 0755) < 0) {
		errbuf_set(eb, "cannot create %s: %s", q->dir, strerror(errno));
		goto out;
	}
	if (stat(q->src, &st) < 0) {
		errbuf_set(eb, "charm or bundle at \"%s\" not found", q->src);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if (charm_load_dir(q->src, &c, eb) < 0 || charm_pack(q->src, tmp, eb) < 0)
			goto out;
	} else {
		/* Unpacking it once proves every entry is safe and the charm loads. */
		fs_rm_rf(scratch);
		if (charm_open(q->src, scratch, &c, eb) < 0)
			goto out;
		fs_rm_rf(scratch);
		if (copy_file(q->src, tmp, eb) < 0)
			goto out;
	}
	if (charm_digest_file(tmp, digest, &size, eb) < 0)
		goto out;
	final = xasprintf("%s/%s.charm", q->dir, digest);
	if (rename(tmp, final) < 0) {
		errbuf_set(eb, "cannot store the charm: %s", strerror(errno));
		goto out;
	}
	res = json_pack("{s:s, s:I}", "digest", digest, "size", (json_int_t)size);
out:
	if (!res)
		unlink(tmp);
	fs_rm_rf(scratch);
	charm_free(c);
	free(tmp);
	free(scratch);
	free(final);
	return res;
}

static void add_done(void *data, json_t *result, const char *error)
{
	struct add_req *q = data;
	struct charm *c = NULL;
	struct errbuf eb;

	if (error) {
		q->done(q->data, NULL, 0, NULL, error);
	} else {
		const char *digest = json_string_value(json_object_get(result, "digest"));
		int64_t size = json_integer_value(json_object_get(result, "size"));
		char *path = digest ? model_charm_path(q->m, digest) : NULL;

		/* A small read of three YAML files from the archive: what the model keeps. */
		if (!path || charm_load_archive(path, &c, &eb) < 0)
			q->done(q->data, NULL, 0, NULL, path ? eb.msg : "malformed worker result");
		else
			q->done(q->data, digest, size, c, NULL);
		free(path);
	}
	free(q->src);
	free(q->dir);
	free(q);
}

int charmstore_add(struct loop *l, struct model *m, const char *path, charmstore_done_fn done,
		   void *data, struct worker **ret, struct errbuf *eb)
{
	struct add_req *q = xcalloc(1, sizeof(*q));
	int r;

	q->m = m;
	q->src = xstrdup(path);
	q->dir = xasprintf("%s/charms", m->home);
	q->done = done;
	q->data = data;
	r = worker_start(l, add_fn, q, add_done, q, ret, eb);
	if (r < 0) {
		free(q->src);
		free(q->dir);
		free(q);
	}
	return r;
}

void charmstore_gc(struct model *m)
{
	char *dir = xasprintf("%s/charms", m->home);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char digest[CHARM_DIGEST_HEX];
		bool used = false;

		if (n != 64 + 6 || strcmp(de->d_name + 64, ".charm"))
			continue;
		snprintf(digest, sizeof(digest), "%.64s", de->d_name);
		for (size_t i = 0; i < m->n_apps && !used; i++)
			used = model_app_has_digest(m->apps[i], digest);
		if (!used) {
			char *p = xasprintf("%s/%s", dir, de->d_name);

			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(dir);
}
