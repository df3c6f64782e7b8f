/* files_atomic.c - atomic writes committed in a child; see files_atomic.h. */
#include "files_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/gopath.h"

#define TEMP_TRIES 10000 /* os.CreateTemp's */
/* Writeback is started every this many bytes (sync_file_range), so that the commit's
 * fsync finds little left to do and a large file's sync overlaps its transfer. */
#define WRITEBACK_STEP (4u << 20)

/* The commit's steps, in order; the child reports the one that failed. */
enum commit_step {
	STEP_DONE,
	STEP_OPEN_DIR,
	STEP_SYNC_FILE,
	STEP_CLOSE_FILE,
	STEP_RENAME,
	STEP_SYNC_DIR,
};

struct commit_result {
	int step; /* enum commit_step */
	int err;
};

struct files_atomic {
	char *target, *tmp, *dir;
	int fd;
	bool chown;
	uid_t uid;
	gid_t gid;
	int werr;          /* first write error */
	off_t written;     /* bytes written so far */
	off_t flushed;     /* writeback started up to here */
	char *buf;         /* coalescing buffer, FILES_ATOMIC_BUF_SIZE, allocated on demand */
	size_t len;
	/* While committing. */
	int rfd;           /* the child's result pipe */
	files_atomic_done_fn done;
	void *data;
	bool forgotten;
};

static void atomic_free(struct files_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->rfd >= 0)
		close(a->rfd);
	free(a->target);
	free(a->tmp);
	free(a->dir);
	free(a->buf);
	free(a);
}

const char *files_atomic_tmp_path(const struct files_atomic *a)
{
	return a->tmp;
}

static unsigned next_random(void)
{
	unsigned v = 0;

	while (getrandom(&v, sizeof(v), 0) < 0 && errno == EINTR)
		;
	return v;
}

int files_atomic_open(const char *target, mode_t mode, bool chown, uid_t uid, gid_t gid, struct files_atomic **ret,
		      struct files_error *e)
{
	struct files_atomic *a;
	char *base = gopath_base(target);
	int fd = -1;

	if (strchr(base, '*')) {
		struct buf q = BUF_INIT;

		buf_init(&q);
		files_quote(&q, base);
		files_error_set(e, FILES_GENERIC, "cannot create tempfile for filename containing '*': %s", q.data);
		buf_done(&q);
		free(base);
		return -1;
	}
	if (strchr(base, '/')) {
		/* Only for a target of "/": os.CreateTemp refuses such a pattern. */
		files_error_set(e, FILES_GENERIC, "createtemp %s.*~: pattern contains path separator", base);
		free(base);
		return -1;
	}
	a = xcalloc(1, sizeof(*a));
	a->fd = a->rfd = -1;
	a->target = xstrdup(target);
	a->dir = gopath_dir(target);
	a->chown = chown;
	a->uid = uid;
	a->gid = gid;
	for (int i = 0; i < TEMP_TRIES; i++) {
		free(a->tmp);
		a->tmp = xasprintf("%s%s%s.%u~", a->dir, strcmp(a->dir, "/") == 0 ? "" : "/", base, next_random());
		fd = open(a->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	free(base);
	if (fd < 0) {
		files_error_sys(e, "open", a->tmp, errno);
		atomic_free(a);
		return -1;
	}
	a->fd = fd;
	if (fchmod(fd, mode & 0777) < 0) {
		files_error_sys(e, "chmod", a->tmp, errno);
		files_atomic_abort(a);
		return -1;
	}
	*ret = a;
	return 0;
}

static void write_out(struct files_atomic *a, const char *p, size_t n)
{
	while (n && !a->werr) {
		ssize_t w = write(a->fd, p, n);

		if (w < 0) {
			if (errno != EINTR)
				a->werr = errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
		a->written += w;
	}
	if (!a->werr && a->written - a->flushed >= (off_t)WRITEBACK_STEP) {
		/* Only starts the writeback (no wait); a failure shows in the commit's fsync. */
		sync_file_range(a->fd, a->flushed, a->written - a->flushed, SYNC_FILE_RANGE_WRITE);
		a->flushed = a->written;
	}
}

static void flush(struct files_atomic *a)
{
	if (a->len)
		write_out(a, a->buf, a->len);
	a->len = 0;
}

void files_atomic_write(struct files_atomic *a, const char *p, size_t n)
{
	if (a->werr || !n)
		return;
	if (a->len + n > FILES_ATOMIC_BUF_SIZE || n >= FILES_ATOMIC_BUF_SIZE / 2)
		flush(a);
	if (n >= FILES_ATOMIC_BUF_SIZE / 2) {
		write_out(a, p, n); /* large pieces go straight through, after what is buffered */
		return;
	}
	if (!a->buf)
		a->buf = xmalloc(FILES_ATOMIC_BUF_SIZE);
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void files_atomic_abort(struct files_atomic *a)
{
	if (!a)
		return;
	unlink(a->tmp);
	atomic_free(a);
}

static int close_span(unsigned lo, unsigned hi)
{
	return lo > hi ? 0 : close_range(lo, hi, 0);
}

/* Closes every descriptor but 0-2 and the two the child needs, so that the child holds
 * no socket of the daemon open while it syncs. */
static void child_close_others(int keep1, int keep2)
{
	unsigned keep[2] = { (unsigned)(keep1 < keep2 ? keep1 : keep2), (unsigned)(keep1 < keep2 ? keep2 : keep1) };
	unsigned from = 3;
	int r = 0;

	for (int i = 0; i < 2; i++) {
		if (keep[i] < from)
			continue;
		r |= close_span(from, keep[i] - 1);
		from = keep[i] + 1;
	}
	r |= close_span(from, ~0u);
	if (r == 0)
		return;
	for (int fd = 3; fd < 65536; fd++)
		if (fd != keep1 && fd != keep2)
			close(fd);
}

static void child_report(int wfd, int step, int err)
{
	struct commit_result r = { step, err };

	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(1);
	_exit(0);
}

/* The child: Go's AtomicFile.commit order (the chown was done by the parent). */
static void __attribute__((noreturn)) child_commit(struct files_atomic *a, int wfd)
{
	int dfd;

	child_close_others(a->fd, wfd);
	dfd = open(a->dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (dfd < 0)
		child_report(wfd, STEP_OPEN_DIR, errno);
	if (fsync(a->fd) < 0)
		child_report(wfd, STEP_SYNC_FILE, errno);
	if (close(a->fd) < 0)
		child_report(wfd, STEP_CLOSE_FILE, errno);
	if (rename(a->tmp, a->target) < 0)
		child_report(wfd, STEP_RENAME, errno);
	if (fsync(dfd) < 0)
		child_report(wfd, STEP_SYNC_DIR, errno);
	child_report(wfd, STEP_DONE, 0);
	_exit(0);
}

static void commit_ended(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct files_atomic *a = data;
	struct commit_result r = { -1, 0 };
	struct files_error e;
	ssize_t n;

	(void)l;
	(void)pid;
	files_error_init(&e);
	do
		n = read(a->rfd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r)) {
		files_error_set(&e, FILES_GENERIC, "cannot commit %s: committing process %s %d", a->tmp,
				WIFSIGNALED(wstatus) ? "killed by signal" : "exited with",
				WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
		r.step = STEP_OPEN_DIR; /* before the rename: the temporary file goes */
	} else {
		switch (r.step) {
		case STEP_DONE:
			break;
		case STEP_OPEN_DIR:
			files_error_sys(&e, "open", a->dir, r.err);
			break;
		case STEP_SYNC_FILE:
			files_error_sys(&e, "sync", a->tmp, r.err);
			break;
		case STEP_CLOSE_FILE:
			files_error_sys(&e, "close", a->tmp, r.err);
			break;
		case STEP_RENAME:
			files_error_sys2(&e, "rename", a->tmp, a->target, r.err);
			break;
		default:
			files_error_sys(&e, "sync", a->dir, r.err);
			break;
		}
	}
	if (r.step != STEP_DONE && r.step != STEP_SYNC_DIR)
		unlink(a->tmp); /* not renamed: nothing of it may stay */
	if (!a->forgotten && a->done)
		a->done(a->data, &e);
	files_error_done(&e);
	atomic_free(a);
}

int files_atomic_commit(struct files_atomic *a, struct loop *l, files_atomic_done_fn done, void *data,
			struct files_error *e)
{
	int p[2];
	pid_t pid;

	flush(a);
	free(a->buf);
	a->buf = NULL;
	if (a->werr) {
		files_error_sys(e, "write", a->tmp, a->werr);
		files_atomic_abort(a);
		return -1;
	}
	if (a->chown && fchown(a->fd, a->uid, a->gid) < 0) {
		files_error_sys(e, "chown", a->tmp, errno);
		files_atomic_abort(a);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		files_error_set(e, FILES_GENERIC, "cannot commit %s: pipe: %s", a->tmp, strerror(errno));
		files_atomic_abort(a);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		files_error_set(e, FILES_GENERIC, "cannot commit %s: fork: %s", a->tmp, strerror(err));
		files_atomic_abort(a);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child_commit(a, p[1]);
	}
	close(p[1]);
	/* The child owns the file now; the daemon's copy is not needed. */
	close(a->fd);
	a->fd = -1;
	a->rfd = p[0];
	a->done = done;
	a->data = data;
	loop_add_child(l, pid, loop_pidfd_open(pid), commit_ended, a);
	return 0;
}

void files_atomic_forget(struct files_atomic *a)
{
	a->forgotten = true;
}
