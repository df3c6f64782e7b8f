/* charm_zip.c - .charm archives: unpacking with safety checks, packing a charm directory, and
 * reading single entries (the loader reads metadata from an archive without unpacking it);
 * see charm.h. */
#include "charm/charm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
/* ======================= .charm archives ======================= */

/* Splits the relative path rel into its components, dropping empty and "." ones.  Returns
 * the count, or -1 when a ".." component is present or there are too many. */
static int split_path(char *rel, char **comps, int max)
{
	int n = 0;

	for (char *save = NULL, *p = strtok_r(rel, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, "..") || n == max)
			return -1;
		comps[n++] = p;
	}
	return n;
}

/* Whether the symlink target, resolved lexically from the directory at depth dir_depth
 * inside the charm, stays inside the charm. */
static bool symlink_target_inside(const char *target, int dir_depth)
{
	char *copy = xstrdup(target), *save = NULL;
	int depth = dir_depth;
	bool ok = target[0] != '/' && target[0] != '\0';

	for (char *p = strtok_r(copy, "/", &save); ok && p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, ".."))
			ok = --depth >= 0;
		else
			depth++;
	}
	free(copy);
	return ok;
}

/* Opens (creating as needed) the directories comps[0..n) below rootfd without following
 * symlinks.  Returns a directory fd or a negative errno. */
static int open_dirs(int rootfd, char **comps, int n)
{
	int fd = dup(rootfd);

	if (fd < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		int nfd;

		if (mkdirat(fd, comps[i], 0755) < 0 && errno != EEXIST) {
			int e = -errno;

			close(fd);
			return e;
		}
		nfd = openat(fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return errno == ELOOP ? -ENOTDIR : -errno;
		fd = nfd;
	}
	return fd;
}

/* Copies the current zip entry zf (size bytes declared) into fd, refusing more data than
 * declared. */
static int zip_copy(zip_file_t *zf, int fd, uint64_t size)
{
	char chunk[65536];
	uint64_t total = 0;
	zip_int64_t n;

	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0) {
		total += (uint64_t)n;
		if (total > size)
			return -EFBIG;
		for (zip_int64_t off = 0; off < n;) {
			ssize_t w = write(fd, chunk + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += w;
		}
	}
	return n < 0 ? -EIO : 0;
}

/* Reads a whole (small) zip entry into out. */
static int zip_read_small(zip_t *za, zip_uint64_t i, uint64_t size, struct buf *out)
{
	zip_file_t *zf;
	char chunk[4096];
	zip_int64_t n;

	if (size > PATH_MAX)
		return -ENAMETOOLONG;
	zf = zip_fopen_index(za, i, 0);
	if (!zf)
		return -EIO;
	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0 && out->len + (size_t)n <= PATH_MAX)
		buf_add(out, chunk, (size_t)n);
	zip_fclose(zf);
	if (n < 0)
		return -EIO;
	if (out->len > size || n > 0)
		return -ENAMETOOLONG;
	return 0;
}

struct unzip {
	zip_t *za;
	int rootfd;
	const char *dst;
	char **links;       /* relative paths of created symlinks */
	size_t n_links;
	struct errbuf *eb;
};

static int unzip_entry(struct unzip *u, zip_uint64_t i)
{
	zip_stat_t zs;
	zip_uint8_t opsys = 0;
	zip_uint32_t attr = 0;
	mode_t mode = 0;
	char *rel = NULL, *comps[CHARM_MAX_DEPTH + 1];
	const char *name;
	bool is_dir;
	int n, dfd = -1, fd = -1, r = 0;
	struct buf target = BUF_INIT;
	zip_file_t *zf = NULL;

	buf_init(&target);
	if (zip_stat_index(u->za, i, 0, &zs) < 0 || !(zs.valid & ZIP_STAT_NAME) ||
	    !(zs.valid & ZIP_STAT_SIZE)) {
		errbuf_set(u->eb, "charm archive entry %llu: %s", (unsigned long long)i,
			   zip_strerror(u->za));
		r = -EINVAL;
		goto out;
	}
	name = zs.name;
	if (zip_file_get_external_attributes(u->za, i, 0, &opsys, &attr) == 0 &&
	    opsys == ZIP_OPSYS_UNIX)
		mode = (mode_t)(attr >> 16);
	if (!name[0]) {
		errbuf_set(u->eb, "charm archive has an entry with an empty name");
		r = -EINVAL;
		goto out;
	}
	if (name[0] == '/') {
		errbuf_set(u->eb, "charm archive entry \"%s\" has an absolute path", name);
		r = -EINVAL;
		goto out;
	}
	is_dir = name[strlen(name) - 1] == '/' || S_ISDIR(mode);
	rel = xstrdup(name);
	n = split_path(rel, comps, CHARM_MAX_DEPTH + 1);
	if (n < 0) {
		errbuf_set(u->eb, "charm archive entry \"%s\" escapes the charm directory", name);
		r = -EINVAL;
		goto out;
	}
	if (n > CHARM_MAX_DEPTH) {
		errbuf_set(u->eb, "charm archive entry \"%s\" is nested too deeply (at most %d levels)",
			   name, CHARM_MAX_DEPTH);
		r = -EINVAL;
		goto out;
	}
	if (n == 0) /* "./" */
		goto out;
	dfd = open_dirs(u->rootfd, comps, is_dir ? n : n - 1);
	if (dfd < 0) {
		errbuf_set(u->eb, "charm archive entry \"%s\": cannot create its directory: %s", name,
			   dfd == -ENOTDIR ? "a parent is not a directory" : strerror(-dfd));
		r = -EINVAL;
		goto out;
	}
	if (is_dir)
		goto out;
	if (S_ISLNK(mode)) {
		r = zip_read_small(u->za, i, zs.size, &target);
		if (r < 0 || memchr(target.data, '\0', target.len)) {
			errbuf_set(u->eb, "charm archive entry \"%s\": invalid symlink", name);
			r = -EINVAL;
			goto out;
		}
		if (!symlink_target_inside(buf_str(&target), n - 1)) {
			errbuf_set(u->eb, "charm archive entry \"%s\" (a symlink to \"%s\") escapes the charm directory",
				   name, buf_str(&target));
			r = -EINVAL;
			goto out;
		}
		if (symlinkat(buf_str(&target), dfd, comps[n - 1]) < 0) {
			r = -errno;
			errbuf_set(u->eb, "charm archive entry \"%s\": %s", name,
				   r == -EEXIST ? "duplicate entry" : strerror(-r));
			goto out;
		}
		u->links = xrealloc(u->links, (u->n_links + 1) * sizeof(*u->links));
		u->links[u->n_links++] = xstrdup(name);
		goto out;
	}
	/* Some zip writers record permission bits without a file type: those are files. */
	if ((mode & S_IFMT) && !S_ISREG(mode)) {
		errbuf_set(u->eb, "charm archive entry \"%s\" is not a regular file, directory or symlink",
			   name);
		r = -EINVAL;
		goto out;
	}
	/* Executable bits are kept (charmcraft records unix modes); everything else is
	 * normalised, so an archive cannot plant setuid or world-writable files. */
	mode = (mode & 0111) ? 0755 : 0644;
	fd = openat(dfd, comps[n - 1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		r = -errno;
		errbuf_set(u->eb, "charm archive entry \"%s\": %s", name,
			   r == -EEXIST ? "duplicate entry" : strerror(-r));
		goto out;
	}
	zf = zip_fopen_index(u->za, i, 0);
	if (!zf) {
		errbuf_set(u->eb, "charm archive entry \"%s\": %s", name, zip_strerror(u->za));
		r = -EINVAL;
		goto out;
	}
	r = zip_copy(zf, fd, zs.size);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r < 0) {
		errbuf_set(u->eb, "charm archive entry \"%s\": %s", name,
			   r == -EFBIG ? "more data than its declared size" :
			   r == -EIO   ? zip_file_strerror(zf) : strerror(-r));
		if (r == -EFBIG || r == -EIO)
			r = -EINVAL;
		goto out;
	}
out:
	if (zf)
		zip_fclose(zf);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	buf_done(&target);
	free(rel);
	return r;
}

/* A second line of defence behind the lexical symlink check: once everything is unpacked,
 * every symlink that resolves must resolve inside the charm (chains of links could
 * otherwise combine into an escape). */
static int check_links(struct unzip *u)
{
	char *root = realpath(u->dst, NULL);
	size_t rl = root ? strlen(root) : 0;
	int r = 0;

	if (!root) {
		errbuf_set(u->eb, "cannot resolve %s: %s", u->dst, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < u->n_links && r == 0; i++) {
		char *p = xasprintf("%s/%s", u->dst, u->links[i]);
		char *res = realpath(p, NULL);

		if (res && !(strncmp(res, root, rl) == 0 && (res[rl] == '/' || res[rl] == '\0'))) {
			errbuf_set(u->eb, "charm archive entry \"%s\" (a symlink) escapes the charm directory",
				   u->links[i]);
			r = -EINVAL;
		}
		free(res);
		free(p);
	}
	free(root);
	return r;
}

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

int charm_unzip(const char *path, const char *dst, struct errbuf *eb)
{
	return charm_unzip_limited(path, dst, CHARM_ZIP_MAX_ENTRIES, CHARM_ZIP_MAX_BYTES, eb);
}

int charm_unzip_limited(const char *path, const char *dst, uint64_t max_entries,
			uint64_t max_bytes, struct errbuf *eb)
{
	struct unzip u = { .rootfd = -1, .dst = dst, .eb = eb };
	struct stat st;
	bool existed = false;
	zip_int64_t n;
	uint64_t total = 0;
	int zerr = 0, r;

	if (stat(dst, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !dir_is_empty(dst)) {
			errbuf_set(eb, "cannot unpack charm into %s: not an empty directory", dst);
			return -EEXIST;
		}
		existed = true;
	}
	u.za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!u.za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		errbuf_set(eb, "cannot open charm archive %s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -EINVAL;
	}
	n = zip_get_num_entries(u.za, 0);
	if (n < 0 || (uint64_t)n > max_entries) {
		errbuf_set(eb, "charm archive %s has too many entries (more than %llu)", path,
			   (unsigned long long)max_entries);
		r = -EFBIG;
		goto out;
	}
	/* The sizes are checked up front from the central directory; zip_copy() then refuses
	 * entries whose data outgrows their declared size, so the limit holds for real. */
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t zs;

		if (zip_stat_index(u.za, (zip_uint64_t)i, 0, &zs) < 0 ||
		    !(zs.valid & ZIP_STAT_SIZE)) {
			errbuf_set(eb, "charm archive %s: entry %lld: %s", path, (long long)i,
				   zip_strerror(u.za));
			r = -EINVAL;
			goto out;
		}
		total += zs.size;
		if (total > max_bytes) {
			errbuf_set(eb, "charm archive %s is too large (more than %llu bytes unpacked)",
				   path, (unsigned long long)max_bytes);
			r = -EFBIG;
			goto out;
		}
	}
	if (!existed && (r = fs_mkdir_p(dst, 0755)) < 0) {
		errbuf_set(eb, "cannot create %s: %s", dst, strerror(-r));
		goto out;
	}
	u.rootfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u.rootfd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open %s: %s", dst, strerror(errno));
		goto out;
	}
	for (zip_int64_t i = 0; i < n; i++)
		if ((r = unzip_entry(&u, (zip_uint64_t)i)) < 0)
			goto out;
	r = check_links(&u);
out:
	if (r < 0 && u.rootfd >= 0) {
		fs_rm_rf(dst);
		if (existed)
			mkdir(dst, 0755);
	}
	if (u.rootfd >= 0)
		close(u.rootfd);
	for (size_t i = 0; i < u.n_links; i++)
		free(u.links[i]);
	free(u.links);
	zip_discard(u.za);
	return r;
}

int charm_open(const char *path, const char *scratch_dir, struct charm **ret,
	       struct errbuf *eb)
{
	struct stat st;
	bool existed;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open charm %s: %s", path, strerror(errno));
		return r;
	}
	if (S_ISDIR(st.st_mode))
		return charm_load_dir(path, ret, eb);
	if (!S_ISREG(st.st_mode)) {
		errbuf_set(eb, "cannot open charm %s: not a directory or a .charm file", path);
		return -EINVAL;
	}
	if (!scratch_dir) {
		errbuf_set(eb, "cannot open charm %s: no directory to unpack it into", path);
		return -EINVAL;
	}
	existed = stat(scratch_dir, &st) == 0;
	r = charm_unzip(path, scratch_dir, eb);
	if (r < 0)
		return r;
	r = charm_load_dir(scratch_dir, ret, eb);
	if (r < 0) {
		fs_rm_rf(scratch_dir);
		if (existed)
			mkdir(scratch_dir, 0755);
	}
	return r;
}


/* ======================= reading an archive without unpacking it ======================= */

struct zsrc {
	zip_t *za;
};

static int zsrc_read(void *data, const char *rel, size_t max, struct buf *out)
{
	struct zsrc *z = data;
	zip_stat_t zs;
	zip_file_t *zf;
	char chunk[65536];
	zip_int64_t n;

	if (zip_stat(z->za, rel, 0, &zs) < 0)
		return -ENOENT;
	if ((zs.valid & ZIP_STAT_SIZE) && zs.size > max)
		return -EFBIG;
	zf = zip_fopen(z->za, rel, 0);
	if (!zf)
		return -EIO;
	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > max) {
			zip_fclose(zf);
			return -EFBIG;
		}
		buf_add(out, chunk, (size_t)n);
	}
	zip_fclose(zf);
	return n < 0 ? -EIO : 0;
}

/* The unix mode recorded for entry i (0 when none). */
static mode_t entry_mode(zip_t *za, zip_uint64_t i)
{
	zip_uint8_t opsys = 0;
	zip_uint32_t attr = 0;

	if (zip_file_get_external_attributes(za, i, 0, &opsys, &attr) == 0 && opsys == ZIP_OPSYS_UNIX)
		return (mode_t)(attr >> 16);
	return 0;
}

static enum charm_src_kind entry_kind(zip_t *za, zip_int64_t i, const char *name)
{
	mode_t mode;

	if (i < 0)
		return CHARM_SRC_NONE;
	mode = entry_mode(za, (zip_uint64_t)i);
	if (name[0] && name[strlen(name) - 1] == '/')
		return CHARM_SRC_OTHER;
	if ((mode & S_IFMT) && !S_ISREG(mode))
		return CHARM_SRC_OTHER;
	return (mode & 0111) ? CHARM_SRC_EXEC : CHARM_SRC_FILE;
}

static enum charm_src_kind zsrc_kind(void *data, const char *rel)
{
	struct zsrc *z = data;

	return entry_kind(z->za, zip_name_locate(z->za, rel, 0), rel);
}

static bool zsrc_any_exec(void *data, const char *rel)
{
	struct zsrc *z = data;
	zip_int64_t n = zip_get_num_entries(z->za, 0);
	size_t rl = strlen(rel);

	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(z->za, (zip_uint64_t)i, 0);

		if (!name || strncmp(name, rel, rl) || name[rl] != '/' || !name[rl + 1] ||
		    strchr(name + rl + 1, '/') || name[rl + 1] == '.')
			continue;
		if (entry_kind(z->za, i, name) == CHARM_SRC_EXEC)
			return true;
	}
	return false;
}

int charm_load_archive(const char *path, struct charm **ret, struct errbuf *eb)
{
	struct zsrc z;
	struct charm_src src = { .read = zsrc_read, .kind = zsrc_kind, .any_exec = zsrc_any_exec,
				 .data = &z };
	char *where;
	int zerr = 0, r;

	z.za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!z.za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		errbuf_set(eb, "cannot open charm archive %s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -EINVAL;
	}
	if (zip_get_num_entries(z.za, 0) > (zip_int64_t)CHARM_ZIP_MAX_ENTRIES) {
		errbuf_set(eb, "charm archive %s has too many entries (more than %u)", path,
			   CHARM_ZIP_MAX_ENTRIES);
		zip_discard(z.za);
		return -EFBIG;
	}
	where = xasprintf("charm archive %s", path);
	src.where = where;
	r = charm_load(&src, path, ret, eb);
	free(where);
	zip_discard(z.za);
	return r;
}

/* ======================= packing a directory ======================= */

#define PACK_MTIME 315532800 /* 1980-01-01T00:00:00Z, the earliest time a zip can hold */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pack_entry_attrs(zip_t *za, zip_int64_t idx, mode_t mode)
{
	if (zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
					     (zip_uint32_t)mode << 16) < 0 ||
	    zip_file_set_mtime(za, (zip_uint64_t)idx, PACK_MTIME, 0) < 0)
		return -EIO;
	return 0;
}

/* Adds dir/rel (a directory) and everything below it, in name order. */
static int pack_dir(zip_t *za, const char *root, const char *rel, int depth, struct errbuf *eb)
{
	char *path = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(path);
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		errbuf_set(eb, "cannot read %s: %s", path, strerror(errno));
		free(path);
		return r;
	}
	if (depth > CHARM_MAX_DEPTH) {
		errbuf_set(eb, "%s: charm directories are nested too deeply (at most %d levels)", path,
			   CHARM_MAX_DEPTH);
		closedir(d);
		free(path);
		return -ELOOP;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && r == 0; i++) {
		char *crel = rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *full = xasprintf("%s/%s", root, crel);
		struct stat st;
		zip_int64_t idx = -1;

		if (lstat(full, &st) < 0) {
			r = -errno;
			errbuf_set(eb, "cannot read %s: %s", full, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			char *dname = xasprintf("%s/", crel);

			idx = zip_dir_add(za, dname, ZIP_FL_ENC_UTF_8);
			free(dname);
			if (idx < 0 || pack_entry_attrs(za, idx, S_IFDIR | 0755) < 0)
				r = -EIO;
			else
				r = pack_dir(za, root, crel, depth + 1, eb);
		} else if (S_ISREG(st.st_mode)) {
			zip_source_t *zs = zip_source_file(za, full, 0, -1);

			if (zs && (idx = zip_file_add(za, crel, zs, ZIP_FL_ENC_UTF_8)) < 0)
				zip_source_free(zs);
			if (!zs || idx < 0 ||
			    pack_entry_attrs(za, idx, S_IFREG | ((st.st_mode & 0111) ? 0755 : 0644)) < 0)
				r = -EIO;
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl = readlink(full, target, sizeof(target) - 1);
			int slashes = 0;

			for (const char *p = crel; *p; p++)
				slashes += *p == '/';
			if (tl < 0) {
				r = -errno;
				errbuf_set(eb, "cannot read %s: %s", full, strerror(errno));
			} else if (target[tl] = '\0', !symlink_target_inside(target, slashes)) {
				errbuf_set(eb, "%s: symlink to \"%s\" escapes the charm directory", crel, target);
				r = -EINVAL;
			} else {
				char *copy = xstrndup(target, (size_t)tl);
				zip_source_t *zs = zip_source_buffer(za, copy, (zip_uint64_t)tl, 1);

				if (!zs)
					free(copy);
				if (zs && (idx = zip_file_add(za, crel, zs, ZIP_FL_ENC_UTF_8)) < 0)
					zip_source_free(zs);
				if (!zs || idx < 0 || pack_entry_attrs(za, idx, S_IFLNK | 0777) < 0)
					r = -EIO;
			}
		} else {
			errbuf_set(eb, "%s: not a regular file, directory or symlink", full);
			r = -EINVAL;
		}
		if (r == -EIO)
			errbuf_set(eb, "cannot pack %s: %s", full, zip_strerror(za));
		free(full);
		free(crel);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return r;
}

int charm_pack(const char *dir, const char *out, struct errbuf *eb)
{
	zip_t *za;
	int zerr = 0, r;

	unlink(out);
	za = zip_open(out, ZIP_CREATE | ZIP_EXCL, &zerr);
	if (!za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		errbuf_set(eb, "cannot create %s: %s", out, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -EIO;
	}
	r = pack_dir(za, dir, "", 0, eb);
	if (r < 0) {
		zip_discard(za);
		unlink(out);
		return r;
	}
	if (zip_close(za) < 0) {
		errbuf_set(eb, "cannot write %s: %s", out, zip_strerror(za));
		zip_discard(za);
		unlink(out);
		return -EIO;
	}
	return 0;
}
