/* charm_install.c - putting a charm's files into a unit's charm directory (install and
 * refresh); see charm.h. */
#include "charm/charm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
/* ======================= installing into a unit ======================= */

/* Copies the regular file src to dst through a temporary file in dst's directory and a
 * rename, so a reader never sees a half-written file and a symlink at dst is replaced,
 * never followed. */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char *tmp = xasprintf("%s.cairn-new", dst);
	int in = -1, out = -1, r = 0;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		r = -errno;
		goto out;
	}
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	if ((r = fs_copy_fd(in, out)) < 0)
		goto out;
	if (fchmod(out, mode & 07777) < 0 || close(out) < 0) {
		out = -1;
		r = -errno;
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) < 0 && (errno != EISDIR || rmdir(dst) < 0 || rename(tmp, dst) < 0))
		r = -errno;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

static int copy_link(const char *src, const char *dst)
{
	char target[PATH_MAX];
	char *tmp = xasprintf("%s.cairn-new", dst);
	ssize_t n = readlink(src, target, sizeof(target) - 1);
	int r = 0;

	if (n < 0) {
		r = -errno;
		goto out;
	}
	target[n] = '\0';
	unlink(tmp);
	if (symlink(target, tmp) < 0 ||
	    (rename(tmp, dst) < 0 && (errno != EISDIR || rmdir(dst) < 0 || rename(tmp, dst) < 0))) {
		r = -errno;
		unlink(tmp);
	}
out:
	free(tmp);
	return r;
}

/* Makes dst a real directory (replacing a file or symlink there). */
static int ensure_dir(const char *dst, mode_t mode)
{
	struct stat st;

	if (lstat(dst, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return chmod(dst, mode & 07777) < 0 ? -errno : 0;
		if (unlink(dst) < 0)
			return -errno;
	}
	return mkdir(dst, mode & 07777) < 0 ? -errno : 0;
}

struct install {
	const char *src, *dst, *old;
	struct errbuf *eb;
};

static char *join(const char *a, const char *rel)
{
	return rel[0] ? xasprintf("%s/%s", a, rel) : xstrdup(a);
}

/* Copies src/rel (a directory) into dst/rel, recursively. */
static int install_dir(struct install *in, const char *rel, int depth)
{
	char *sp = join(in->src, rel);
	DIR *d = opendir(sp);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		errbuf_set(in->eb, "cannot read %s: %s", sp, strerror(errno));
		free(sp);
		return r;
	}
	if (depth > CHARM_MAX_DEPTH) {
		errbuf_set(in->eb, "%s: charm directories are nested too deeply (at most %d levels)",
			   sp, CHARM_MAX_DEPTH);
		r = -ELOOP;
		goto out;
	}
	while (r == 0 && (de = readdir(d))) {
		char *crel, *s, *t;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		crel = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		s = join(in->src, crel);
		t = join(in->dst, crel);
		if (lstat(s, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = ensure_dir(t, st.st_mode | 0700);
		else if (S_ISREG(st.st_mode))
			r = copy_file(s, t, st.st_mode);
		else if (S_ISLNK(st.st_mode))
			r = copy_link(s, t);
		else {
			errbuf_set(in->eb, "%s: not a regular file, directory or symlink", s);
			r = -EINVAL;
		}
		if (r < 0 && r != -EINVAL)
			errbuf_set(in->eb, "cannot install %s: %s", t, strerror(-r));
		if (r == 0 && S_ISDIR(st.st_mode))
			r = install_dir(in, crel, depth + 1);
		free(s);
		free(t);
		free(crel);
	}
out:
	closedir(d);
	free(sp);
	return r;
}

/* Removes from dst what old/rel holds and src does not; directories only when empty. */
static int remove_stale(struct install *in, const char *rel, int depth)
{
	char *op = join(in->old, rel);
	DIR *d = opendir(op);
	struct dirent *de;

	if (!d || depth > CHARM_MAX_DEPTH) {
		/* A missing or unreadable old tree only means nothing more to clean. */
		if (d)
			closedir(d);
		free(op);
		return 0;
	}
	while ((de = readdir(d))) {
		char *crel, *o, *s, *t;
		struct stat ost, sst;
		bool gone;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		crel = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		o = join(in->old, crel);
		s = join(in->src, crel);
		t = join(in->dst, crel);
		gone = lstat(s, &sst) < 0 && (errno == ENOENT || errno == ENOTDIR);
		if (lstat(o, &ost) == 0) {
			if (S_ISDIR(ost.st_mode)) {
				/* Clean inside first; a directory the new charm still has stays. */
				struct stat tst;

				if (lstat(t, &tst) == 0 && S_ISDIR(tst.st_mode)) {
					remove_stale(in, crel, depth + 1);
					if (gone)
						rmdir(t); /* fails, as wanted, if the charm wrote files there */
				}
			} else if (gone) {
				struct stat tst;

				if (lstat(t, &tst) == 0 && !S_ISDIR(tst.st_mode))
					unlink(t);
			}
		}
		free(o);
		free(s);
		free(t);
		free(crel);
	}
	closedir(d);
	free(op);
	return 0;
}

int charm_install_files(const char *src_dir, const char *dst_dir, const char *old_src_dir,
			struct errbuf *eb)
{
	struct install in = { .src = src_dir, .dst = dst_dir, .old = old_src_dir, .eb = eb };
	struct stat st;
	int r;

	if (stat(src_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errbuf_set(eb, "cannot install charm from %s: not a directory", src_dir);
		return -ENOTDIR;
	}
	r = fs_mkdir_p(dst_dir, 0755);
	if (r < 0) {
		errbuf_set(eb, "cannot create %s: %s", dst_dir, strerror(-r));
		return r;
	}
	if (old_src_dir)
		remove_stale(&in, "", 0);
	return install_dir(&in, "", 0);
}
