/* resstore.c - resources by content; see resstore.h.
 *
 * A request goes through these steps, each a child process whose end is an event:
 *   file:      COPY (worker: copy and hash into a temporary file, rename to the fingerprint)
 *   oci-image: HASH (worker: SHA-256 of a file given; a known one ends here) ->
 *              IMPORT (image_import: skopeo into oci/, checked) ->
 *              ARCHIVE (worker: tar of the imported layout, hashed, renamed) */
#include "cairnd/resstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "charm/charm.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/spawn.h"
#include "lib/worker.h"
#include "pod/image_store.h"

enum req_step { STEP_COPY, STEP_HASH, STEP_IMPORT, STEP_ARCHIVE };

struct resstore {
	struct loop *l;
	char *dir, *sources_dir, *oci_dir;
	struct image_store *images;    /* opened on the first image */
	struct resstore_req *reqs;
};

struct resstore_req {
	struct resstore *rs;
	struct resstore_req *next;
	bool image;
	char *path;
	enum req_step step;
	char source[65];               /* SHA-256 of an image given as a file, or "" */
	char image_digest[RESSTORE_IMAGE_DIGEST_MAX];
	struct worker *w;
	struct image_req *ir;
	resstore_done_fn done;
	void *data;
};

/* ---- worker side (runs in a forked child: files only) ---- */

struct copy_arg {
	const char *src, *dir;
};

static void hex_of(const unsigned char *md, unsigned n, char out[65])
{
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static json_t *item_json(const char *fp, uint64_t size)
{
	return json_pack("{s:s, s:I}", "fingerprint", fp, "size", (json_int_t)size);
}

/* Renames tmp to dir/<fp> (content already there: tmp goes). */
static int keep_as(const char *tmp, const char *dir, const char *fp, struct errbuf *eb)
{
	char *final = xasprintf("%s/%s", dir, fp);
	int r = 0;

	if (rename(tmp, final) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot store the resource: %s", strerror(errno));
		unlink(tmp);
	}
	free(final);
	return r;
}

static json_t *copy_fn(void *arg, struct errbuf *eb)
{
	struct copy_arg *a = arg;
	char *tmp = xasprintf("%s/.new-%d", a->dir, (int)getpid());
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	char chunk[65536], fp[65];
	uint64_t size = 0;
	int in = -1, out = -1;
	json_t *res = NULL;
	struct stat st;
	ssize_t got;

	in = open(a->src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		errbuf_set(eb, "%s: %s", a->src, errno == ENOENT ? "no such file or directory" : strerror(errno));
		goto out;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		errbuf_set(eb, "%s: not a regular file", a->src);
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		errbuf_set(eb, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	while ((got = read(in, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || write(out, chunk, (size_t)got) != got) {
			errbuf_set(eb, "cannot copy %s: %s", a->src, strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(md, chunk, (size_t)got);
		size += (uint64_t)got;
	}
	if (fsync(out) < 0 || close(out) < 0) {
		out = -1;
		errbuf_set(eb, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	out = -1;
	EVP_DigestFinal_ex(md, dg, &n);
	hex_of(dg, n, fp);
	if (keep_as(tmp, a->dir, fp, eb) < 0)
		goto out;
	res = item_json(fp, size);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (!res)
		unlink(tmp);
	EVP_MD_CTX_free(md);
	free(tmp);
	return res;
}

static json_t *hash_fn(void *arg, struct errbuf *eb)
{
	struct copy_arg *a = arg;
	char fp[CHARM_DIGEST_HEX];
	uint64_t size;

	if (charm_digest_file(a->src, fp, &size, eb) < 0)
		return NULL;
	return item_json(fp, size);
}

/* tar of an image layout: the members an oci-archive holds (oci-layout, index.json, blobs/). */
static json_t *archive_fn(void *arg, struct errbuf *eb)
{
	struct copy_arg *a = arg;
	char *tmp = xasprintf("%s/.new-%d.tar", a->dir, (int)getpid());
	char *argv[] = { "tar", "--sort=name", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@0",
			 "-C", (char *)a->src, "-cf", tmp, "oci-layout", "index.json", "blobs", NULL };
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL };
	struct spawn_opts o = { .file = "tar", .argv = argv, .envp = envp, .stdin_fd = -1,
				.stdout_fd = -1, .stderr_fd = -1 };
	char fp[CHARM_DIGEST_HEX];
	uint64_t size = 0;
	json_t *res = NULL;
	int pidfd = -1, ws = 0;
	pid_t pid;

	if (spawn_run(&o, &pid, &pidfd, eb) < 0)
		goto out;
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		errbuf_set(eb, "cannot archive the image (tar exited with %d)", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
		goto out;
	}
	if (charm_digest_file(tmp, fp, &size, eb) < 0 || keep_as(tmp, a->dir, fp, eb) < 0)
		goto out;
	res = item_json(fp, size);
out:
	if (!res)
		unlink(tmp);
	free(tmp);
	return res;
}

/* ---- requests ---- */

static void req_free(struct resstore_req *r)
{
	struct resstore *rs = r->rs;

	for (struct resstore_req **pp = &rs->reqs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	worker_cancel(r->w);
	image_req_cancel(r->ir);
	free(r->path);
	free(r);
}

static void finish(struct resstore_req *r, const struct resstore_item *item, const char *error)
{
	resstore_done_fn done = r->done;
	void *data = r->data;
	char copy[1024];

	snprintf(copy, sizeof(copy), "%s", error ? error : "");
	r->w = NULL;
	r->ir = NULL;
	req_free(r);
	done(data, item, error ? copy : NULL);
}

static int fill_item(json_t *result, const char *image, struct resstore_item *it)
{
	const char *fp = json_string_value(json_object_get(result, "fingerprint"));
	json_t *size = json_object_get(result, "size");

	if (!charm_valid_digest(fp) || !json_is_integer(size))
		return -EINVAL;
	memset(it, 0, sizeof(*it));
	snprintf(it->fingerprint, sizeof(it->fingerprint), "%s", fp);
	it->size = json_integer_value(size);
	snprintf(it->image, sizeof(it->image), "%s", image ? image : "");
	return 0;
}

static void on_copied(void *data, json_t *result, const char *error)
{
	struct resstore_req *r = data;
	struct resstore_item it;

	r->w = NULL;
	if (error) {
		finish(r, NULL, error);
		return;
	}
	if (fill_item(result, NULL, &it) < 0) {
		finish(r, NULL, "malformed worker result");
		return;
	}
	finish(r, &it, NULL);
}

static char *source_path(struct resstore *rs, const char *sha)
{
	return xasprintf("%s/%s.json", rs->sources_dir, sha);
}

/* What an image file imported to before, if its content is still there. */
static bool known_source(struct resstore *rs, const char *sha, struct resstore_item *it)
{
	char *p = source_path(rs, sha), *blob = NULL;
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	const char *image;
	bool ok = false;

	buf_init(&b);
	if (fs_read_file(p, 4096, &b) == 0)
		v = json_loadb(b.data, b.len, 0, NULL);
	image = json_string_value(json_object_get(v, "image"));
	if (v && image && image_digest_valid(image) && fill_item(v, image, it) == 0) {
		blob = resstore_path(rs, it->fingerprint);
		ok = blob && access(blob, R_OK) == 0;
	}
	json_decref(v);
	buf_done(&b);
	free(blob);
	free(p);
	return ok;
}

static void remember_source(struct resstore *rs, const char *sha, const struct resstore_item *it)
{
	json_t *v = json_pack("{s:s, s:I, s:s}", "fingerprint", it->fingerprint, "size", (json_int_t)it->size,
			      "image", it->image);
	char *text = json_dumps(v, JSON_COMPACT), *p = source_path(rs, sha);

	/* Only a shortcut: a lost write means one more import later. */
	if (text)
		fs_write_atomic(p, text, strlen(text), 0644);
	free(text);
	free(p);
	json_decref(v);
}

static void on_archived(void *data, json_t *result, const char *error)
{
	struct resstore_req *r = data;
	struct resstore_item it;

	r->w = NULL;
	if (error) {
		finish(r, NULL, error);
		return;
	}
	if (fill_item(result, r->image_digest, &it) < 0) {
		finish(r, NULL, "malformed worker result");
		return;
	}
	if (r->source[0])
		remember_source(r->rs, r->source, &it);
	finish(r, &it, NULL);
}

static void on_imported(void *data, int status, const struct image *img, const char *msg)
{
	struct resstore_req *r = data;
	struct resstore *rs = r->rs;
	struct copy_arg a;
	struct errbuf eb;

	r->ir = NULL;
	if (status < 0) {
		finish(r, NULL, msg && *msg ? msg : "cannot import the image");
		return;
	}
	snprintf(r->image_digest, sizeof(r->image_digest), "%s", img->digest);
	a.src = img->layout_dir;
	a.dir = rs->dir;
	r->step = STEP_ARCHIVE;
	if (worker_start(rs->l, archive_fn, &a, on_archived, r, &r->w, &eb) < 0)
		finish(r, NULL, eb.msg);
}

static int open_images(struct resstore *rs, struct errbuf *eb)
{
	struct image_store_opts o = { .dir = rs->oci_dir };

	if (rs->images)
		return 0;
	return image_store_open(rs->l, &o, &rs->images, eb);
}

static void start_import(struct resstore_req *r)
{
	struct errbuf eb;

	r->step = STEP_IMPORT;
	if (open_images(r->rs, &eb) < 0 || image_import(r->rs->images, r->path, on_imported, r, &r->ir, &eb) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s: %s", r->path, eb.msg);
		finish(r, NULL, strncmp(eb.msg, r->path, strlen(r->path)) ? msg : eb.msg);
	}
}

static void on_hashed(void *data, json_t *result, const char *error)
{
	struct resstore_req *r = data;
	const char *sha = json_string_value(json_object_get(result, "fingerprint"));
	struct resstore_item it;

	r->w = NULL;
	if (error) {
		finish(r, NULL, error);
		return;
	}
	if (charm_valid_digest(sha)) {
		snprintf(r->source, sizeof(r->source), "%s", sha);
		if (known_source(r->rs, sha, &it))
			{
		finish(r, &it, NULL);
		return;
	}
	}
	start_import(r);
}

int resstore_add(struct resstore *rs, const char *type, const char *path, resstore_done_fn done,
		 void *data, struct resstore_req **ret, struct errbuf *eb)
{
	struct resstore_req *r;
	struct copy_arg a;
	struct stat st;
	int rv = 0;

	if (!path || path[0] != '/')
		return errbuf_set(eb, "resource path must be absolute"), -EINVAL;
	if (strcmp(type, "file") && strcmp(type, "oci-image"))
		return errbuf_set(eb, "unknown resource type \"%s\"", type), -EINVAL;
	r = xcalloc(1, sizeof(*r));
	r->rs = rs;
	r->image = !strcmp(type, "oci-image");
	r->path = xstrdup(path);
	r->done = done;
	r->data = data;
	r->next = rs->reqs;
	rs->reqs = r;
	a.src = r->path;
	a.dir = rs->dir;
	if (!r->image) {
		r->step = STEP_COPY;
		rv = worker_start(rs->l, copy_fn, &a, on_copied, r, &r->w, eb);
	} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		r->step = STEP_HASH;
		rv = worker_start(rs->l, hash_fn, &a, on_hashed, r, &r->w, eb);
	} else {
		/* A directory (or nothing): the import names what is wrong. */
		r->step = STEP_IMPORT;
		if ((rv = open_images(rs, eb)) == 0)
			rv = image_import(rs->images, r->path, on_imported, r, &r->ir, eb);
	}
	if (rv < 0) {
		r->w = NULL;
		r->ir = NULL;
		req_free(r);
		return rv;
	}
	if (ret)
		*ret = r;
	return 0;
}

void resstore_cancel(struct resstore_req *r)
{
	if (r)
		req_free(r);
}

/* ---- the store ---- */

int resstore_new(struct loop *l, const char *home, struct resstore **ret, struct errbuf *eb)
{
	struct resstore *rs = xcalloc(1, sizeof(*rs));
	int r;

	rs->l = l;
	rs->dir = xasprintf("%s/resources", home);
	rs->sources_dir = xasprintf("%s/sources", rs->dir);
	rs->oci_dir = xasprintf("%s/oci", rs->dir);
	if ((r = fs_mkdir_p(rs->sources_dir, 0755)) < 0) {
		errbuf_set(eb, "cannot create %s: %s", rs->sources_dir, strerror(-r));
		resstore_free(rs);
		return r;
	}
	*ret = rs;
	return 0;
}

void resstore_free(struct resstore *rs)
{
	if (!rs)
		return;
	while (rs->reqs)
		req_free(rs->reqs);
	image_store_free(rs->images);
	free(rs->dir);
	free(rs->sources_dir);
	free(rs->oci_dir);
	free(rs);
}

char *resstore_path(struct resstore *rs, const char *fingerprint)
{
	return charm_valid_digest(fingerprint) ? xasprintf("%s/%s", rs->dir, fingerprint) : NULL;
}

/* Whether any application refers to value under key in one of its resources. */
static bool referenced(struct model *m, const char *key, const char *value)
{
	for (size_t i = 0; i < m->n_apps; i++) {
		const char *k;
		json_t *r;

		json_object_foreach(m->apps[i]->resources, k, r) {
			const char *v = json_string_value(json_object_get(r, key));

			if (v && !strcmp(v, value))
				return true;
		}
	}
	return false;
}

struct gc_images {
	struct model *m;
	char (*drop)[RESSTORE_IMAGE_DIGEST_MAX];
	size_t n;
};

static void gc_image(void *data, const struct image *img)
{
	struct gc_images *g = data;

	if (referenced(g->m, "image", img->digest))
		return;
	g->drop = xrealloc(g->drop, (g->n + 1) * sizeof(*g->drop));
	snprintf(g->drop[g->n++], RESSTORE_IMAGE_DIGEST_MAX, "%s", img->digest);
}

void resstore_gc(struct resstore *rs, struct model *m)
{
	DIR *d;
	struct dirent *de;

	if (rs->reqs)
		return; /* a request may be about to refer to what looks unused */
	d = opendir(rs->dir);
	while (d && (de = readdir(d))) {
		if (!charm_valid_digest(de->d_name) || referenced(m, "fingerprint", de->d_name))
			continue;
		char *p = xasprintf("%s/%s", rs->dir, de->d_name);

		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	/* Shortcuts to content that is gone are dropped too. */
	d = opendir(rs->sources_dir);
	while (d && (de = readdir(d))) {
		struct resstore_item it;
		char sha[65];

		if (strlen(de->d_name) != 64 + 5 || strcmp(de->d_name + 64, ".json"))
			continue;
		snprintf(sha, sizeof(sha), "%.64s", de->d_name);
		if (!known_source(rs, sha, &it)) {
			char *p = source_path(rs, sha);

			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	if (rs->images) {
		struct gc_images g = { .m = m };
		struct errbuf eb;

		image_store_each(rs->images, gc_image, &g);
		for (size_t i = 0; i < g.n; i++)
			image_store_remove(rs->images, g.drop[i], &eb);
		free(g.drop);
	}
}
