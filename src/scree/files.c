/* files.c - the files API's filesystem operations with Go's texts; see files.h. */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/gofmt.h"
#include "lib/gopath.h"

const char *const files_kind_names[_FILES_KIND_MAX] = {
	[FILES_OK] = "",
	[FILES_NOT_FOUND] = "not-found",
	[FILES_PERMISSION_DENIED] = "permission-denied",
	[FILES_GENERIC] = "generic-file-error",
};

/* ---- errors ---- */

void files_error_init(struct files_error *e)
{
	e->kind = FILES_OK;
	buf_init(&e->msg);
}

void files_error_done(struct files_error *e)
{
	buf_done(&e->msg);
	e->kind = FILES_OK;
}

void files_error_set(struct files_error *e, enum files_kind kind, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&e->msg);
	va_start(ap, fmt);
	buf_vaddf(&e->msg, fmt, ap);
	va_end(ap);
	e->kind = kind;
}

static enum files_kind kind_of(int err)
{
	if (err == ENOENT)
		return FILES_NOT_FOUND;
	if (err == EACCES || err == EPERM)
		return FILES_PERMISSION_DENIED;
	return FILES_GENERIC;
}

void files_error_sys(struct files_error *e, const char *op, const char *path, int err)
{
	char text[128];

	buf_reset(&e->msg);
	buf_addf(&e->msg, "%s %s: %s", op, path, gofmt_strerror(err, text, sizeof(text)));
	e->kind = kind_of(err);
}

void files_error_sys2(struct files_error *e, const char *op, const char *a, const char *b, int err)
{
	char text[128];

	buf_reset(&e->msg);
	buf_addf(&e->msg, "%s %s %s: %s", op, a, b, gofmt_strerror(err, text, sizeof(text)));
	e->kind = kind_of(err);
}

void files_error_wrap(struct files_error *e, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_add(&b, ": ", 2);
	buf_add(&b, e->msg.data, e->msg.len);
	buf_done(&e->msg);
	e->msg = b;
}

void files_error_copy(struct files_error *dst, const struct files_error *src)
{
	buf_reset(&dst->msg);
	buf_add(&dst->msg, src->msg.data, src->msg.len);
	dst->kind = src->kind;
}

json_t *files_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	struct buf b = BUF_INIT;
	json_t *j;

	j = json_stringn(s, n);
	if (j)
		return j;
	/* Not UTF-8: as Go's encoder, every byte of a bad sequence becomes U+FFFD. */
	buf_init(&b);
	while (i < n) {
		uint32_t cp;
		size_t k = gofmt_utf8_decode(p + i, n - i, &cp);

		if (k == 0) {
			buf_add(&b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_add(&b, p + i, k);
			i += k;
		}
	}
	j = json_stringn(b.data, b.len);
	buf_done(&b);
	return j ? j : json_string("");
}

json_t *files_error_json(const struct files_error *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "message", files_json_string(buf_str(&e->msg)));
	if (e->kind != FILES_OK && *files_kind_names[e->kind])
		json_object_set_new(o, "kind", json_string(files_kind_names[e->kind]));
	return o;
}

int files_error_status(const struct files_error *e)
{
	switch (e->kind) {
	case FILES_NOT_FOUND:
		return 404;
	case FILES_PERMISSION_DENIED:
		return 403;
	default:
		return 400;
	}
}

void files_quote(struct buf *out, const char *s)
{
	gofmt_quote(out, s, strlen(s), GOFMT_QUOTE_GO);
}

/* ---- arguments ---- */

bool files_check_abs(const char *path, struct files_error *e)
{
	struct buf q = BUF_INIT;

	if (gopath_is_abs(path))
		return true;
	buf_init(&q);
	files_quote(&q, path);
	files_error_set(e, FILES_GENERIC, "paths must be absolute, got %s", q.data);
	buf_done(&q);
	return false;
}

int files_parse_permissions(const char *s, mode_t def, mode_t *ret, struct files_error *e)
{
	if (!s || !*s) {
		*ret = def;
		return 0;
	}
	if (strlen(s) != 3 || strspn(s, "01234567") != 3) {
		struct buf q = BUF_INIT;

		buf_init(&q);
		files_quote(&q, s);
		files_error_set(e, FILES_GENERIC, "permissions must be a 3-digit octal string, got %s", q.data);
		buf_done(&q);
		return -1;
	}
	*ret = (mode_t)((s[0] - '0') << 6 | (s[1] - '0') << 3 | (s[2] - '0'));
	return 0;
}

int files_resolve_owner(const struct userids_req *r, uid_t *ret_uid, gid_t *ret_gid, struct files_error *e)
{
	struct errbuf eb;
	int k;

	errbuf_clear(&eb);
	k = userids_normalize(r, ret_uid, ret_gid, &eb);
	if (k < 0)
		files_error_set(e, FILES_GENERIC, "cannot look up user and group: %s", eb.msg);
	return k;
}

/* ---- listing ---- */

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "directory";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISFIFO(m))
		return "named-pipe";
	if (S_ISBLK(m) || S_ISCHR(m))
		return "device";
	return "unknown";
}

/* A small per-call cache of uid/gid names (Pebble's userCache/groupCache). */
struct name_cache {
	struct {
		unsigned id;
		char name[256];
	} v[16];
	size_t n;
};

static const char *cached_name(struct name_cache *c, unsigned id, bool group)
{
	size_t slot;

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return c->v[i].name;
	slot = c->n < 16 ? c->n++ : id % 16;
	c->v[slot].id = id;
	if (group)
		userids_group_name((gid_t)id, c->v[slot].name, sizeof(c->v[slot].name));
	else
		userids_user_name((uid_t)id, c->v[slot].name, sizeof(c->v[slot].name));
	return c->v[slot].name;
}

static json_t *info_json(const char *full, const struct stat *st, struct name_cache *users, struct name_cache *groups)
{
	json_t *o = json_object();
	char *name = gopath_base(full), perm[8], when[96];

	json_object_set_new(o, "path", files_json_string(full));
	json_object_set_new(o, "name", files_json_string(name));
	json_object_set_new(o, "type", json_string(type_name(st->st_mode)));
	if (S_ISREG(st->st_mode))
		json_object_set_new(o, "size", json_integer((json_int_t)st->st_size));
	snprintf(perm, sizeof(perm), "%03o", (unsigned)(st->st_mode & 0777));
	json_object_set_new(o, "permissions", json_string(perm));
	gofmt_rfc3339_local(st->st_mtim.tv_sec, when, sizeof(when));
	json_object_set_new(o, "last-modified", json_string(when));
	json_object_set_new(o, "user-id", json_integer(st->st_uid));
	json_object_set_new(o, "user", files_json_string(cached_name(users, st->st_uid, false)));
	json_object_set_new(o, "group-id", json_integer(st->st_gid));
	json_object_set_new(o, "group", files_json_string(cached_name(groups, st->st_gid, true)));
	free(name);
	return o;
}

/* Go's os basename (what FileInfo.Name() of os.Stat(path) is): trailing slashes
 * removed, then the part after the last slash; "/" stays "/". */
static char *os_basename(const char *path)
{
	size_t n = strlen(path);
	const char *s;

	while (n > 1 && path[n - 1] == '/')
		n--;
	s = path + n;
	while (s > path && s[-1] != '/')
		s--;
	if (s == path + n)
		return xstrndup(path, n); /* "/" (or a path of only slashes) */
	return xstrndup(s, (size_t)(path + n - s));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pattern_ok(const char *pattern, const char *name, bool *ret, struct files_error *e)
{
	int m;

	if (!pattern || !*pattern) {
		*ret = true;
		return 0;
	}
	m = gopath_match(pattern, name);
	if (m < 0) {
		files_error_set(e, FILES_GENERIC, "%s", GOPATH_BAD_PATTERN);
		return -1;
	}
	*ret = m == 1;
	return 0;
}

int files_list(const char *path, const char *pattern, bool itself, json_t **ret, struct files_error *e)
{
	struct name_cache *users = xcalloc(1, sizeof(*users)), *groups = xcalloc(1, sizeof(*groups));
	json_t *out = json_array();
	struct stat st;
	char **names = NULL;
	size_t nn = 0, cap = 0;
	DIR *d = NULL;
	int rv = -1;

	if (stat(path, &st) < 0) {
		files_error_sys(e, "stat", path, errno);
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || itself) {
		/* The entry itself, named as Pebble names it: Join(Dir(path), base). */
		char *name = os_basename(path), *dir = gopath_dir(path), *full;
		bool match;

		if (pattern_ok(pattern, name, &match, e) < 0) {
			free(name);
			free(dir);
			goto out;
		}
		full = gopath_join(dir, name);
		if (match)
			json_array_append_new(out, info_json(full, &st, users, groups));
		free(full);
		free(name);
		free(dir);
		rv = 0;
		goto out;
	}
	/* A directory: its entries in name order, each as lstat sees it. */
	d = opendir(path);
	if (!d) {
		files_error_sys(e, "open", path, errno);
		goto out;
	}
	for (;;) {
		struct dirent *de;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				files_error_sys(e, "readdirent", path, errno);
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (nn == cap) {
			cap = cap ? 2 * cap : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[nn++] = xstrdup(de->d_name);
	}
	if (nn > 1)
		qsort(names, nn, sizeof(*names), name_cmp);
	for (size_t i = 0; i < nn; i++) {
		struct stat est;
		bool match;
		char *full;

		if (pattern_ok(pattern, names[i], &match, e) < 0)
			goto out;
		if (!match)
			continue;
		if (fstatat(dirfd(d), names[i], &est, AT_SYMLINK_NOFOLLOW) < 0) {
			char *lpath = xasprintf("%s/%s", path, names[i]);

			files_error_sys(e, "lstat", lpath, errno);
			free(lpath);
			goto out;
		}
		full = gopath_join(path, names[i]);
		json_array_append_new(out, info_json(full, &est, users, groups));
		free(full);
	}
	rv = 0;
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(users);
	free(groups);
	if (rv == 0)
		*ret = out;
	else
		json_decref(out);
	return rv;
}

/* ---- directories ---- */

static int sync_dir(const char *dir, struct files_error *e)
{
	int fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);

	if (fd < 0) {
		files_error_sys(e, "open", dir, errno);
		return -1;
	}
	if (fsync(fd) < 0) {
		files_error_sys(e, "sync", dir, errno);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* One directory: made under a temporary name, owned and moded, then renamed into place,
 * so that nobody sees it with the wrong mode or owner.  Unlike upstream, which takes
 * whatever already has the temporary name and chowns it by path, the owner and mode are
 * set through a descriptor of the directory made here: a symlink planted at the (guessable)
 * temporary name by someone who may write the parent can neither have its target chowned
 * nor be renamed into place.  An empty directory left there by an interrupted call is made
 * again; anything else is refused ("mkdir <path>.mkdir-new: file exists"). */
static int mkdir_one(const char *path, const struct files_mkdir_opts *o, struct files_error *e)
{
	char *cand = xasprintf("%s.mkdir-new", path), *parent = NULL;
	struct stat st, made;
	int fd = -1, rv = -1;

	if (mkdir(cand, o->mode) < 0) {
		if (errno != EEXIST) {
			files_error_sys(e, "mkdir", cand, errno);
			goto out;
		}
		if (lstat(cand, &st) < 0 || !S_ISDIR(st.st_mode) || rmdir(cand) < 0 || mkdir(cand, o->mode) < 0) {
			files_error_sys(e, "mkdir", cand, EEXIST);
			goto out;
		}
	}
	fd = open(cand, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &made) < 0) {
		files_error_sys(e, "open", cand, errno);
		goto out;
	}
	if (o->chown && fchown(fd, o->uid, o->gid) < 0) {
		files_error_sys(e, "chown", cand, errno);
		goto out;
	}
	if (fchmod(fd, o->mode) < 0) {
		files_error_sys(e, "chmod", cand, errno);
		goto out;
	}
	if (rename(cand, path) < 0) {
		files_error_sys2(e, "rename", cand, path, errno);
		goto out;
	}
	/* What went into place must be the directory owned and moded above. */
	if (lstat(path, &st) < 0 || st.st_dev != made.st_dev || st.st_ino != made.st_ino) {
		files_error_sys2(e, "rename", cand, path, EEXIST);
		goto out;
	}
	parent = gopath_dir(path);
	rv = sync_dir(parent, e);
out:
	if (fd >= 0)
		close(fd);
	free(cand);
	free(parent);
	return rv;
}

static int mkdir_all(const char *path, const struct files_mkdir_opts *o, struct files_error *e)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		files_error_sys(e, "mkdir", path, ENOTDIR);
		return -1;
	}
	if (o->make_parents) {
		char *parent = gopath_dir(path);
		int r = strcmp(parent, "/") == 0 ? 0 : mkdir_all(parent, o, e);

		free(parent);
		if (r < 0)
			return r;
	}
	return mkdir_one(path, o, e);
}

int files_mkdir(const char *path, const struct files_mkdir_opts *o, struct files_error *e)
{
	char *clean = gopath_clean(path);
	struct stat st;
	int rv;

	if (stat(clean, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			files_error_sys(e, "mkdir", clean, ENOTDIR);
			rv = -1;
		} else if (o->exist_ok) {
			rv = 0;
		} else {
			files_error_sys(e, "mkdir", clean, EEXIST);
			rv = -1;
		}
	} else {
		rv = mkdir_all(clean, o, e);
	}
	free(clean);
	return rv;
}

/* ---- removal ---- */

/* Go's os.Remove: unlink, then rmdir; the rmdir error wins unless it is ENOTDIR.
 * Returns 0 or the errno. */
static int remove_plain(const char *path)
{
	int e1, e2;

	if (unlink(path) == 0)
		return 0;
	e1 = errno;
	if (rmdir(path) == 0)
		return 0;
	e2 = errno;
	return e2 != ENOTDIR ? e2 : e1;
}

/* Go's removeAllFrom: removes name (and, for a directory, everything below it) from the
 * directory open at dfd, without following symlinks.  Everything that can go goes; the
 * first failure is reported as "<op> <where>/<name>...: ..." (where = the path of dfd as
 * the caller spells it). */
static int remove_from(int dfd, const char *name, const char *where, struct files_error *e)
{
	char *here = xasprintf("%s/%s", where, name);
	char **names = NULL;
	size_t nn = 0, cap = 0;
	int fd, uerr, rv = 0;
	bool failed = false;
	DIR *d;
	struct dirent *de;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		goto out;
	uerr = errno;
	if (uerr != EISDIR && uerr != EPERM && uerr != EACCES) {
		files_error_sys(e, "unlinkat", here, uerr);
		rv = -1;
		goto out;
	}
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT)
			goto out;
		if (err == ENOTDIR || err == ELOOP)
			files_error_sys(e, "unlinkat", here, uerr); /* not a directory: unlink's error */
		else
			files_error_sys(e, "openfdat", here, err);
		rv = -1;
		goto out;
	}
	d = fdopendir(fd);
	if (!d) {
		files_error_sys(e, "openfdat", here, errno);
		close(fd);
		rv = -1;
		goto out;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (nn == cap) {
			cap = cap ? 2 * cap : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[nn++] = xstrdup(de->d_name);
	}
	for (size_t i = 0; i < nn; i++) {
		struct files_error sub;

		files_error_init(&sub);
		if (remove_from(dirfd(d), names[i], here, &sub) < 0 && !failed) {
			failed = true;
			files_error_copy(e, &sub);
		}
		files_error_done(&sub);
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		goto out;
	if (!failed)
		files_error_sys(e, "unlinkat", here, errno);
	rv = -1;
out:
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(here);
	return rv;
}

/* Go's splitPath: the parent ("." without a slash, "/" at the root) and the last
 * element, ignoring trailing slashes and all but one leading slash. */
static void split_path(const char *path, char **ret_dir, char **ret_base)
{
	size_t n;
	const char *s;

	while (path[0] == '/' && path[1] == '/')
		path++;
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	s = path + n;
	while (s > path && s[-1] != '/')
		s--;
	*ret_base = xstrndup(s, (size_t)(path + n - s));
	if (s == path)
		*ret_dir = xstrdup(".");
	else if (s - path == 1)
		*ret_dir = xstrdup("/");
	else
		*ret_dir = xstrndup(path, (size_t)(s - path) - 1);
}

int files_remove(const char *path, bool recursive, struct files_error *e)
{
	size_t n = strlen(path);
	char *dir, *base;
	int err, dfd, rv;

	if (!recursive) {
		err = remove_plain(path);
		if (err)
			files_error_sys(e, "remove", path, err);
		return err ? -1 : 0;
	}
	/* os.RemoveAll. */
	if (n == 0)
		return 0;
	if ((n == 1 && path[0] == '.') || (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/')) {
		files_error_sys(e, "RemoveAll", path, EINVAL);
		return -1;
	}
	err = remove_plain(path);
	if (err == 0 || err == ENOENT)
		return 0;
	split_path(path, &dir, &base);
	dfd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (dfd < 0) {
		rv = errno == ENOENT ? 0 : -1;
		if (rv < 0)
			files_error_sys(e, "open", dir, errno);
	} else {
		rv = remove_from(dfd, base, dir, e);
		close(dfd);
	}
	free(dir);
	free(base);
	return rv;
}

/* ---- reading ---- */

int files_open_read(const char *path, int *ret_fd, struct files_error *e)
{
	struct stat st;
	int fd;

	if (!files_check_abs(path, e))
		return -1;
	if (stat(path, &st) < 0) {
		files_error_sys(e, "stat", path, errno);
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		/* O_NONBLOCK: should a FIFO replace the file after the stat, open must not wait
		 * for a writer (it does nothing for a regular file). */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0) {
			files_error_sys(e, "open", path, errno);
			return -1;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			*ret_fd = fd;
			return 0;
		}
		close(fd);
	}
	{
		struct buf q = BUF_INIT;

		buf_init(&q);
		files_quote(&q, path);
		files_error_set(e, FILES_GENERIC, "can only read a regular file: %s", q.data);
		buf_done(&q);
	}
	return -1;
}
