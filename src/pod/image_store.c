/* image_store.c - image import, storage and shared root filesystems; see image_store.h.
 *
 * Requests (imports and acquires) live on the store's list until their callback has run, so
 * image_store_free() can drop them all.  Every outcome, success or failure, reaches the
 * caller through the callback from a later loop iteration: a request's own zero-delay timer
 * carries results known at once (a missing path, a root filesystem already unpacked). */
#include "image_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "tool.h"

#define IMAGE_TAG "image"

enum rootfs_state { RF_ABSENT, RF_UNPACKING, RF_READY };

struct rootfs {
	struct image_store *s;
	char hex[65];
	char *path;                 /* <store>/rootfs/<hex> */
	unsigned refs;
	enum rootfs_state state;
	char *staging;              /* tmp/unpack-...: holds rootfs/ while umoci writes it */
	struct tool_req *unpack;
	struct rootfs *next;
};

struct entry {
	struct image img;
	struct entry *next;
};

enum req_kind { REQ_IMPORT, REQ_ACQUIRE };
enum import_step { IMP_LIST, IMP_COPY };

struct image_req {
	struct image_store *s;
	enum req_kind kind;
	void *data;
	struct loop_timer *timer;   /* delivers an outcome known without a child */
	int d_status;
	char d_msg[ERRBUF_SIZE];
	struct image_req *next;     /* the store's list */
	/* import */
	image_import_cb icb;
	char *path;
	enum image_source_kind src;
	enum import_step step;
	char *staging;
	struct tool_req *tool;
	/* acquire */
	image_rootfs_cb rcb;
	struct rootfs *rf;
	bool waiting;               /* on rf's unpack rather than on the timer */
};

struct job {
	struct image_store *s;
	struct tool_req *t;
	struct job *next;
};

struct image_store {
	struct loop *l;
	char *dir, *images_dir, *rootfs_dir, *tmp_dir;
	char *skopeo, *umoci, *tar, *rm;
	const char *host_arch;
	struct entry *entries;
	struct rootfs *rootfs;
	struct image_req *reqs;
	struct job *jobs;
	size_t n_jobs;
	void (*idle_cb)(void *data);
	void *idle_data;
	uint64_t counter;
	uint32_t nonce;
};

/* ---- small helpers ---- */

static const char *hex_of(const char *digest)
{
	return digest + 7; /* after "sha256:" (digests are validated before use) */
}

static char *staging_name(struct image_store *s, const char *what)
{
	return xasprintf("%s/%s-%d-%08x-%llu", s->tmp_dir, what, (int)getpid(), s->nonce,
			 (unsigned long long)++s->counter);
}

static void on_job_done(void *data, const struct tool_result *res)
{
	struct job *j = data, **pp;

	(void)res; /* a tree rm could not delete stays in tmp/ and is swept at the next open */
	for (pp = &j->s->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	struct image_store *s = j->s;

	s->n_jobs--;
	free(j);
	if (s->n_jobs == 0 && s->idle_cb)
		s->idle_cb(s->idle_data);
}

/* Runs rm -rf on paths (NULL-terminated) in the background. */
static int rm_trees(struct image_store *s, char *const *paths)
{
	size_t n = 0;
	char **argv;
	struct errbuf eb;
	struct job *j;
	int r;

	while (paths[n])
		n++;
	if (n == 0)
		return 0;
	argv = xcalloc(n + 4, sizeof(char *));
	argv[0] = s->rm;
	argv[1] = "-rf";
	argv[2] = "--";
	for (size_t i = 0; i < n; i++)
		argv[3 + i] = paths[i];
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	struct tool_opts o = {
		.what = "rm -rf", .argv = argv, .timeout_ms = IMAGE_UNPACK_TIMEOUT_MS, .pass_fd = -1,
		.cb = on_job_done, .data = j,
	};
	r = tool_run(s->l, &o, &j->t, &eb);
	free(argv);
	if (r < 0) {
		free(j);
		return r;
	}
	j->next = s->jobs;
	s->jobs = j;
	s->n_jobs++;
	return 0;
}

int image_store_discard(struct image_store *s, const char *path)
{
	struct stat st;
	char *to;
	int r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	to = staging_name(s, "discard");
	if (rename(path, to) < 0) {
		/* Not on the store's filesystem: delete it where it is. */
		char *const one[] = { (char *)path, NULL };

		free(to);
		return rm_trees(s, one);
	}
	{
		char *const one[] = { to, NULL };

		r = rm_trees(s, one);
	}
	free(to);
	return r;
}

size_t image_store_pending(const struct image_store *s)
{
	return s->n_jobs;
}

void image_store_set_idle_cb(struct image_store *s, void (*cb)(void *data), void *data)
{
	s->idle_cb = cb;
	s->idle_data = data;
}

/* Reads a blob of the layout at dir. */
static int read_blob(const char *dir, const char *digest, struct buf *out, struct errbuf *eb)
{
	char *p = xasprintf("%s/blobs/sha256/%s", dir, hex_of(digest));
	int r = fs_read_file(p, IMAGE_JSON_MAX, out);

	if (r < 0)
		errbuf_set(eb, "cannot read blob %s: %s", digest, r == -EFBIG ? "too large" : strerror(-r));
	free(p);
	return r < 0 ? -EBADMSG : 0;
}

/* Reads the image of an OCI layout written by skopeo: index -> manifest -> config. */
static int load_layout(const char *dir, char digest[IMAGE_DIGEST_MAX], struct image_config *cfg, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char *p = xasprintf("%s/index.json", dir);
	char cdigest[IMAGE_DIGEST_MAX];
	int r;

	buf_init(&b);
	r = fs_read_file(p, IMAGE_JSON_MAX, &b);
	free(p);
	if (r < 0) {
		errbuf_set(eb, "cannot read index.json: %s", strerror(-r));
		r = -EBADMSG;
		goto out;
	}
	r = image_index_manifest(b.data, b.len, IMAGE_TAG, digest, eb);
	if (r < 0)
		goto out;
	buf_reset(&b);
	if ((r = read_blob(dir, digest, &b, eb)) < 0 || (r = image_manifest_config(b.data, b.len, cdigest, eb)) < 0)
		goto out;
	buf_reset(&b);
	if ((r = read_blob(dir, cdigest, &b, eb)) < 0)
		goto out;
	r = image_config_parse(b.data, b.len, cfg, eb);
out:
	buf_done(&b);
	return r;
}

static struct entry *find_entry(struct image_store *s, const char *d)
{
	for (struct entry *e = s->entries; e; e = e->next)
		if (strcmp(e->img.digest, d) == 0)
			return e;
	return NULL;
}

static struct rootfs *find_rootfs(struct image_store *s, const char *hex, bool create)
{
	struct rootfs *rf;

	for (rf = s->rootfs; rf; rf = rf->next)
		if (strcmp(rf->hex, hex) == 0)
			return rf;
	if (!create)
		return NULL;
	rf = xcalloc(1, sizeof(*rf));
	rf->s = s;
	snprintf(rf->hex, sizeof(rf->hex), "%s", hex);
	rf->path = xasprintf("%s/%s", s->rootfs_dir, hex);
	rf->next = s->rootfs;
	s->rootfs = rf;
	return rf;
}

static bool is_hex64(const char *s)
{
	char d[IMAGE_DIGEST_MAX];

	if (strlen(s) != 64)
		return false;
	snprintf(d, sizeof(d), "sha256:%.64s", s);
	return image_digest_valid(d);
}

static struct entry *add_entry(struct image_store *s, const char *digest, struct image_config *cfg)
{
	struct entry *e = xcalloc(1, sizeof(*e));

	snprintf(e->img.digest, sizeof(e->img.digest), "%s", digest);
	e->img.config = *cfg;
	e->img.layout_dir = xasprintf("%s/%s", s->images_dir, hex_of(digest));
	e->next = s->entries;
	s->entries = e;
	return e;
}

/* ---- requests ---- */

static void req_unlink(struct image_req *r)
{
	for (struct image_req **pp = &r->s->reqs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

static void req_free(struct image_req *r)
{
	req_unlink(r);
	loop_timer_free(r->timer);
	tool_abandon(r->tool);
	free(r->path);
	free(r->staging);
	free(r);
}

static void on_req_timer(struct loop_timer *t, void *data);

static struct image_req *req_new(struct image_store *s, enum req_kind kind, void *data)
{
	struct image_req *r = xcalloc(1, sizeof(*r));

	r->s = s;
	r->kind = kind;
	r->data = data;
	r->timer = loop_timer_new(s->l, on_req_timer, r);
	r->next = s->reqs;
	s->reqs = r;
	return r;
}

/* Schedules the outcome for the next loop iteration. */
static void req_later(struct image_req *r, int status, const char *msg)
{
	r->d_status = status;
	snprintf(r->d_msg, sizeof(r->d_msg), "%.*s", (int)sizeof(r->d_msg) - 1, msg ? msg : "");
	loop_timer_arm_in(r->timer, 0);
}

/* ---- import ---- */

static void import_finish(struct image_req *r, int status, const struct image *img, const char *msg)
{
	image_import_cb cb = r->icb;
	void *data = r->data;
	char copy[2 * ERRBUF_SIZE];

	/* msg may live in r (a deferred outcome): keep it past the free (cut to fit). */
	snprintf(copy, sizeof(copy), "%.*s", (int)sizeof(copy) - 1, msg ? msg : "");
	msg = msg ? copy : NULL;

	if (r->staging) {
		image_store_discard(r->s, r->staging);
		free(r->staging);
		r->staging = NULL;
	}
	r->tool = NULL; /* finished (or never started); nothing to abandon */
	req_free(r);
	cb(data, status, img, msg);
}

static void import_fail(struct image_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void import_fail(struct image_req *r, int status, const char *fmt, ...)
{
	char reason[ERRBUF_SIZE], msg[ERRBUF_SIZE + PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s: %s", r->path, reason);
	import_finish(r, status, NULL, msg);
}

static void on_copy_done(void *data, const struct tool_result *res)
{
	struct image_req *r = data;
	struct image_store *s = r->s;
	char digest[IMAGE_DIGEST_MAX];
	struct image_config cfg;
	struct errbuf eb;
	struct entry *e;
	char *layout;
	int rv;

	r->tool = NULL;
	if (res->status != 0) {
		tool_result_error(res, &eb);
		import_fail(r, -EBADMSG, "cannot read %s: %s", image_source_kind_name(r->src), eb.msg);
		return;
	}
	layout = xasprintf("%s/layout", r->staging);
	rv = load_layout(layout, digest, &cfg, &eb);
	if (rv < 0) {
		free(layout);
		import_fail(r, -EBADMSG, "corrupt %s: %s", image_source_kind_name(r->src), eb.msg);
		return;
	}
	rv = image_config_check_platform(&cfg, s->host_arch, &eb);
	if (rv < 0) {
		free(layout);
		image_config_done(&cfg);
		import_fail(r, rv, "%s", eb.msg);
		return;
	}
	e = find_entry(s, digest);
	if (e) {
		/* Already stored (same manifest digest): the new copy is dropped. */
		image_config_done(&cfg);
	} else {
		char *final = xasprintf("%s/%s", s->images_dir, hex_of(digest));

		if (rename(layout, final) < 0) {
			int err = errno;

			free(final);
			free(layout);
			image_config_done(&cfg);
			import_fail(r, -err, "cannot store image: %s", strerror(err));
			return;
		}
		free(final);
		{
			int dfd = open(s->images_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
		}
		e = add_entry(s, digest, &cfg);
	}
	free(layout);
	import_finish(r, 0, &e->img, NULL);
}

static int start_copy(struct image_req *r, struct errbuf *eb)
{
	struct image_store *s = r->s;
	char *src = xasprintf("%s:%s", image_source_transport(r->src), r->path);
	char *dst, *home = xasprintf("HOME=%s", s->tmp_dir), *tmpdir = xasprintf("TMPDIR=%s", s->tmp_dir);
	char *env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", home, tmpdir, NULL };
	int rv;

	r->staging = staging_name(s, "import");
	rv = fs_mkdir_p(r->staging, 0700);
	if (rv < 0) {
		errbuf_set(eb, "cannot create %s: %s", r->staging, strerror(-rv));
		goto out_nodst;
	}
	dst = xasprintf("oci:%s/layout:%s", r->staging, IMAGE_TAG);
	{
		char *argv[] = { s->skopeo, "--insecure-policy", "--tmpdir", s->tmp_dir, "copy", "--quiet", src, dst, NULL };
		struct tool_opts o = {
			.what = "skopeo copy", .argv = argv, .env = env, .timeout_ms = IMAGE_IMPORT_TIMEOUT_MS,
			.pass_fd = -1, .cb = on_copy_done, .data = r,
		};

		r->step = IMP_COPY;
		rv = tool_run(s->l, &o, &r->tool, eb);
	}
	free(dst);
out_nodst:
	free(src);
	free(home);
	free(tmpdir);
	return rv;
}

static void on_list_done(void *data, const struct tool_result *res)
{
	struct image_req *r = data;
	struct errbuf eb;
	int rv;

	r->tool = NULL;
	if (res->status != 0) {
		char reason[ERRBUF_SIZE];

		tool_stderr_reason(res->err_tail, reason, sizeof(reason));
		if (strstr(res->err_tail, "does not look like a tar archive"))
			import_fail(r, -EMEDIUMTYPE, "not an OCI image: not a tar archive or directory");
		else {
			tool_result_error(res, &eb);
			import_fail(r, -EBADMSG, "corrupt archive: %s", eb.msg);
		}
		return;
	}
	rv = image_source_classify_tar(res->out->data, res->out->len, &r->src, &eb);
	if (rv < 0) {
		import_fail(r, rv, "not an OCI image: %s", eb.msg);
		return;
	}
	rv = start_copy(r, &eb);
	if (rv < 0)
		import_fail(r, rv, "%s", eb.msg);
}

static int start_list(struct image_req *r, struct errbuf *eb)
{
	char *argv[] = { r->s->tar, "-tf", r->path, NULL };
	char *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	struct tool_opts o = {
		.what = "tar", .argv = argv, .env = env, .timeout_ms = IMAGE_IMPORT_TIMEOUT_MS, .pass_fd = -1,
		.cb = on_list_done, .data = r,
	};

	r->step = IMP_LIST;
	return tool_run(r->s->l, &o, &r->tool, eb);
}

/* Decides what path is from stat and its first bytes; returns 0 to go on (r->src set or a
 * listing needed: *need_list) or a status with msg filled. */
static int classify_path(struct image_req *r, bool *need_list, char *msg, size_t n)
{
	struct stat st;
	struct errbuf eb;

	*need_list = false;
	if (stat(r->path, &st) < 0) {
		int e = errno;

		snprintf(msg, n, "%s: %s", r->path, e == ENOENT ? "no such file or directory" : strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		char *lay = xasprintf("%s/oci-layout", r->path);
		int ok = access(lay, R_OK) == 0;

		free(lay);
		if (!ok) {
			snprintf(msg, n, "%s: not an OCI image: a directory without an oci-layout file", r->path);
			return -EMEDIUMTYPE;
		}
		r->src = IMAGE_SOURCE_OCI_LAYOUT;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		unsigned char head[512];
		ssize_t got;
		int fd = open(r->path, O_RDONLY | O_CLOEXEC), rv;

		if (fd < 0) {
			int e = errno;

			snprintf(msg, n, "%s: %s", r->path, strerror(e));
			return -e;
		}
		got = read(fd, head, sizeof(head));
		close(fd);
		rv = image_source_sniff(head, got > 0 ? (size_t)got : 0, &eb);
		if (rv < 0) {
			snprintf(msg, n, "%s: not an OCI image: %s", r->path, eb.msg);
			return rv;
		}
		*need_list = true;
		return 0;
	}
	snprintf(msg, n, "%s: not an OCI image: not a regular file or directory", r->path);
	return -EMEDIUMTYPE;
}

int image_import(struct image_store *s, const char *path, image_import_cb cb, void *data, struct image_req **ret,
		 struct errbuf *eb)
{
	struct image_req *r;
	char msg[ERRBUF_SIZE + PATH_MAX];
	bool need_list;
	int rv;

	if (!path || !*path)
		return errbuf_set(eb, "no image path"), -EINVAL;
	if (strchr(path, ':'))
		return errbuf_set(eb, "%s: paths holding ':' are not supported (skopeo reads it as a tag separator)",
				  path),
		       -EINVAL;
	r = req_new(s, REQ_IMPORT, data);
	r->icb = cb;
	if (path[0] == '/') {
		r->path = xstrdup(path);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd))) {
			rv = -errno;
			req_free(r);
			return errbuf_set(eb, "getcwd: %s", strerror(-rv)), rv;
		}
		r->path = xasprintf("%s/%s", cwd, path);
	}
	rv = classify_path(r, &need_list, msg, sizeof(msg));
	if (rv < 0) {
		req_later(r, rv, msg);
	} else {
		rv = need_list ? start_list(r, eb) : start_copy(r, eb);
		if (rv < 0) {
			req_free(r);
			return rv;
		}
	}
	if (ret)
		*ret = r;
	return 0;
}

/* ---- root filesystems ---- */

static void rootfs_drop_if_unused(struct image_store *s, struct rootfs *rf)
{
	if (rf->refs == 0 && rf->state == RF_READY) {
		image_store_discard(s, rf->path);
		rf->state = RF_ABSENT;
	}
}

static void acquire_finish(struct image_req *r, int status, const char *msg)
{
	image_rootfs_cb cb = r->rcb;
	void *data = r->data;
	struct rootfs *rf = r->rf;
	struct image_store *s = r->s;
	char *path = xstrdup(rf->path);
	char copy[2 * ERRBUF_SIZE];

	/* msg may live in r (a deferred outcome): keep it past the free (cut to fit). */
	snprintf(copy, sizeof(copy), "%.*s", (int)sizeof(copy) - 1, msg ? msg : "");
	msg = msg ? copy : NULL;

	if (status < 0 && rf->refs > 0) {
		rf->refs--;
		rootfs_drop_if_unused(s, rf);
	}
	req_free(r);
	if (cb)
		cb(data, status, status == 0 ? path : NULL, msg);
	free(path);
}

static void req_dispatch_waiters(struct image_store *s, struct rootfs *rf, int status, const char *msg)
{
	struct image_req *r = s->reqs, *next;

	for (; r; r = next) {
		next = r->next;
		if (r->kind == REQ_ACQUIRE && r->rf == rf && r->waiting) {
			r->waiting = false;
			acquire_finish(r, status, msg);
			/* acquire_finish may free requests; restart from the head. */
			next = s->reqs;
		}
	}
}

static void on_unpack_result(void *data, const struct tool_result *res)
{
	struct rootfs *rf = data;
	struct image_store *s = rf->s;
	char msg[2 * ERRBUF_SIZE];
	int status = 0;

	rf->unpack = NULL;
	if (res->status != 0) {
		struct errbuf eb;

		tool_result_error(res, &eb);
		snprintf(msg, sizeof(msg), "cannot unpack image sha256:%s: %s", rf->hex, eb.msg);
		status = -EBADMSG;
		rf->state = RF_ABSENT;
	} else {
		char *tree = xasprintf("%s/rootfs", rf->staging);

		if (rename(tree, rf->path) < 0) {
			status = -errno;
			snprintf(msg, sizeof(msg), "cannot store the root filesystem of sha256:%s: %s", rf->hex,
				 strerror(errno));
			rf->state = RF_ABSENT;
		} else {
			rf->state = RF_READY;
			msg[0] = '\0';
		}
		free(tree);
	}
	image_store_discard(s, rf->staging);
	free(rf->staging);
	rf->staging = NULL;
	req_dispatch_waiters(s, rf, status, status ? msg : NULL);
	rootfs_drop_if_unused(s, rf);
}

static int rootfs_unpack(struct image_store *s, struct entry *e, struct rootfs *rf, struct errbuf *eb)
{
	char *image, *dest;
	int rv;

	rf->staging = staging_name(s, "unpack");
	rv = fs_mkdir_p(rf->staging, 0700);
	if (rv < 0) {
		errbuf_set(eb, "cannot create %s: %s", rf->staging, strerror(-rv));
		free(rf->staging);
		rf->staging = NULL;
		return rv;
	}
	image = xasprintf("%s:%s", e->img.layout_dir, IMAGE_TAG);
	dest = xasprintf("%s/rootfs", rf->staging);
	{
		char *argv[] = { s->umoci, "--log", "error", "raw", "unpack", "--image", image, dest, NULL };
		struct tool_opts o = {
			.what = "umoci unpack", .argv = argv, .timeout_ms = IMAGE_UNPACK_TIMEOUT_MS, .pass_fd = -1,
			.cb = on_unpack_result, .data = rf,
		};

		rv = tool_run(s->l, &o, &rf->unpack, eb);
	}
	free(image);
	free(dest);
	if (rv < 0) {
		image_store_discard(s, rf->staging);
		free(rf->staging);
		rf->staging = NULL;
		return rv;
	}
	rf->state = RF_UNPACKING;
	return 0;
}

int image_rootfs_acquire(struct image_store *s, const char *d, image_rootfs_cb cb, void *data,
			 struct image_req **ret, struct errbuf *eb)
{
	struct entry *e = image_digest_valid(d) ? find_entry(s, d) : NULL;
	struct rootfs *rf;
	struct image_req *r;
	int rv;

	if (!e)
		return errbuf_set(eb, "image %s is not in the store", d), -ENOENT;
	rf = find_rootfs(s, hex_of(d), true);
	r = req_new(s, REQ_ACQUIRE, data);
	r->rcb = cb;
	r->rf = rf;
	rf->refs++;
	switch (rf->state) {
	case RF_READY:
		req_later(r, 0, NULL);
		break;
	case RF_UNPACKING:
		r->waiting = true;
		break;
	case RF_ABSENT:
		rv = rootfs_unpack(s, e, rf, eb);
		if (rv < 0) {
			req_later(r, rv, eb->msg);
			break;
		}
		r->waiting = true;
		break;
	}
	if (ret)
		*ret = r;
	return 0;
}

void image_rootfs_release(struct image_store *s, const char *d)
{
	struct rootfs *rf = image_digest_valid(d) ? find_rootfs(s, hex_of(d), false) : NULL;

	if (!rf || rf->refs == 0)
		return;
	rf->refs--;
	rootfs_drop_if_unused(s, rf);
}

unsigned image_rootfs_refs(struct image_store *s, const char *d)
{
	struct rootfs *rf = image_digest_valid(d) ? find_rootfs(s, hex_of(d), false) : NULL;

	return rf ? rf->refs : 0;
}

static void on_req_timer(struct loop_timer *t, void *data)
{
	struct image_req *r = data;

	(void)t;
	if (r->kind == REQ_IMPORT)
		import_finish(r, r->d_status, NULL, r->d_msg);
	else
		acquire_finish(r, r->d_status, r->d_status ? r->d_msg : NULL);
}

void image_req_cancel(struct image_req *r)
{
	if (!r)
		return;
	if (r->kind == REQ_ACQUIRE && r->rf->refs > 0) {
		r->rf->refs--;
		if (r->rf->state == RF_READY)
			rootfs_drop_if_unused(r->s, r->rf);
	}
	if (r->kind == REQ_IMPORT && r->staging) {
		tool_abandon(r->tool);
		r->tool = NULL;
		image_store_discard(r->s, r->staging);
	}
	req_free(r);
}

void image_req_keep(struct image_req *r)
{
	if (r && r->kind == REQ_ACQUIRE)
		r->rcb = NULL;
	else
		image_req_cancel(r);
}

void image_store_gc(struct image_store *s)
{
	for (struct rootfs *rf = s->rootfs; rf; rf = rf->next)
		rootfs_drop_if_unused(s, rf);
}

/* ---- images ---- */

const struct image *image_store_get(struct image_store *s, const char *d)
{
	struct entry *e = d ? find_entry(s, d) : NULL;

	return e ? &e->img : NULL;
}

void image_store_each(struct image_store *s, void (*fn)(void *data, const struct image *img), void *data)
{
	for (struct entry *e = s->entries; e; e = e->next)
		fn(data, &e->img);
}

static void entry_free(struct entry *e)
{
	image_config_done(&e->img.config);
	free(e->img.layout_dir);
	free(e);
}

int image_store_remove(struct image_store *s, const char *d, struct errbuf *eb)
{
	struct entry **pp, *e = NULL;
	struct rootfs *rf;

	for (pp = &s->entries; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->img.digest, d) == 0) {
			e = *pp;
			break;
		}
	if (!e)
		return errbuf_set(eb, "image %s is not in the store", d), -ENOENT;
	rf = find_rootfs(s, hex_of(d), false);
	if (rf && (rf->refs > 0 || rf->state == RF_UNPACKING))
		return errbuf_set(eb, "image %s is in use by %u container(s)", d, rf->refs), -EBUSY;
	if (rf)
		rootfs_drop_if_unused(s, rf);
	*pp = e->next;
	image_store_discard(s, e->img.layout_dir);
	entry_free(e);
	return 0;
}

/* ---- open/free ---- */

static void load_images(struct image_store *s)
{
	DIR *dir = opendir(s->images_dir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char digest[IMAGE_DIGEST_MAX], expect[IMAGE_DIGEST_MAX];
		struct image_config cfg;
		struct errbuf eb;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", s->images_dir, de->d_name);
		snprintf(expect, sizeof(expect), "sha256:%.64s", de->d_name);
		if (!is_hex64(de->d_name) || load_layout(p, digest, &cfg, &eb) < 0) {
			image_store_discard(s, p);
		} else if (strcmp(digest, expect) != 0) {
			image_config_done(&cfg);
			image_store_discard(s, p);
		} else {
			add_entry(s, digest, &cfg);
		}
		free(p);
	}
	closedir(dir);
}

static void load_rootfs(struct image_store *s)
{
	DIR *dir = opendir(s->rootfs_dir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (!is_hex64(de->d_name)) {
			char *p = xasprintf("%s/%s", s->rootfs_dir, de->d_name);

			image_store_discard(s, p);
			free(p);
			continue;
		}
		find_rootfs(s, de->d_name, true)->state = RF_READY;
	}
	closedir(dir);
}

static void sweep_tmp(struct image_store *s)
{
	DIR *dir = opendir(s->tmp_dir);
	struct dirent *de;
	char **paths = xcalloc(1, sizeof(char *));
	size_t n = 0;

	if (dir) {
		while ((de = readdir(dir))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			paths = xrealloc(paths, (n + 2) * sizeof(char *));
			paths[n++] = xasprintf("%s/%s", s->tmp_dir, de->d_name);
			paths[n] = NULL;
		}
		closedir(dir);
	}
	rm_trees(s, paths);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static char *tool_path(const char *given, const char *name)
{
	return xstrdup(given ? given : name);
}

int image_store_open(struct loop *l, const struct image_store_opts *o, struct image_store **ret,
		     struct errbuf *eb)
{
	struct image_store *s;
	const char *dirs[3];
	int rv;

	if (!o->dir || o->dir[0] != '/')
		return errbuf_set(eb, "image store directory must be an absolute path"), -EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->l = l;
	s->dir = xstrdup(o->dir);
	s->images_dir = xasprintf("%s/images", o->dir);
	s->rootfs_dir = xasprintf("%s/rootfs", o->dir);
	s->tmp_dir = xasprintf("%s/tmp", o->dir);
	s->skopeo = tool_path(o->skopeo, "skopeo");
	s->umoci = tool_path(o->umoci, "umoci");
	s->tar = tool_path(o->tar, "tar");
	s->rm = tool_path(o->rm, "rm");
	s->host_arch = image_host_arch();
	if (getrandom(&s->nonce, sizeof(s->nonce), GRND_NONBLOCK) != (ssize_t)sizeof(s->nonce))
		s->nonce = (uint32_t)loop_now_ns();
	dirs[0] = s->images_dir;
	dirs[1] = s->rootfs_dir;
	dirs[2] = s->tmp_dir;
	for (size_t i = 0; i < 3; i++) {
		rv = fs_mkdir_p(dirs[i], 0700);
		if (rv < 0) {
			errbuf_set(eb, "cannot create %s: %s", dirs[i], strerror(-rv));
			image_store_free(s);
			return rv;
		}
	}
	sweep_tmp(s);
	load_images(s);
	load_rootfs(s);
	*ret = s;
	return 0;
}

void image_store_free(struct image_store *s)
{
	if (!s)
		return;
	while (s->reqs) {
		struct image_req *r = s->reqs;

		if (r->kind == REQ_IMPORT) {
			tool_abandon(r->tool);
			r->tool = NULL;
		}
		req_free(r);
	}
	for (struct rootfs *rf = s->rootfs, *next; rf; rf = next) {
		next = rf->next;
		tool_abandon(rf->unpack);
		free(rf->staging);
		free(rf->path);
		free(rf);
	}
	for (struct entry *e = s->entries, *next; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	for (struct job *j = s->jobs, *next; j; j = next) {
		next = j->next;
		tool_abandon(j->t);
		free(j);
	}
	free(s->dir);
	free(s->images_dir);
	free(s->rootfs_dir);
	free(s->tmp_dir);
	free(s->skopeo);
	free(s->umoci);
	free(s->tar);
	free(s->rm);
	free(s);
}
