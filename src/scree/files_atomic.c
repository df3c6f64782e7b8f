/* files_atomic.c - atomic writes by a writer child; see files_atomic.h.
 *
 * Transfer.  The daemon and its writer share a ring of FILES_ATOMIC_RING bytes (an
 * anonymous shared mapping made before the fork).  The daemon copies the request's bytes
 * into it and tells the child how far it got over the notify pipe ("produced up to N",
 * every NOTIFY_STEP bytes and at the commit); the child writes the ring's new bytes into
 * the file and answers over the ack pipe ("consumed up to N"), which frees that much of the
 * ring.  This costs one copy in user space on top of what a write(2) in the daemon cost;
 * a pipe would cost two copies in the kernel and its page allocations.  Bytes for which the
 * ring has no room yet wait in a buffer, whose size is the flow control of the header.
 *
 * The last notify message carries the commit flag: it is sent once every byte is in the
 * ring, so a child that sees it has the whole content.  Messages are FA_MSG_SIZE bytes,
 * written whole (a pipe write of at most PIPE_BUF bytes is atomic) and read in multiples
 * of their size, so they never split. */
#include "files_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/forkjob.h"
#include "lib/gopath.h"

#define TEMP_TRIES 10000 /* os.CreateTemp's */
/* Writeback is started every this many bytes (sync_file_range), so that the commit's
 * fsync finds little left to do and a large file's sync overlaps its transfer. */
#define WRITEBACK_STEP (4u << 20)
#define FILES_ATOMIC_RING (512u * 1024u) /* shared with the writer; a power of two */
#define NOTIFY_STEP (128u * 1024u)       /* the child is told of new bytes this often */

/* The writer's steps, in order; the child reports the one that failed. */
enum commit_step {
	STEP_DONE,
	STEP_WRITE,
	STEP_CHOWN,
	STEP_OPEN_DIR,
	STEP_SYNC_FILE,
	STEP_CLOSE_FILE,
	STEP_RENAME,
	STEP_SYNC_DIR,
	STEP_ABANDONED, /* EOF instead of the commit: the temporary file was removed */
};

/* daemon -> writer, over the notify pipe */
struct fa_msg {
	uint64_t produced; /* bytes put into the ring so far */
	uint64_t commit;   /* 1: that was all; commit it */
};
#define FA_MSG_SIZE sizeof(struct fa_msg)

enum fa_state {
	FA_WRITING,     /* data goes into the ring */
	FA_DRAINING,    /* committed: the buffered rest goes into the ring, then the commit */
	FA_COMMITTING,  /* commit sent: waiting for the child's result */
};

struct files_atomic {
	char *target, *tmp, *dir;
	bool chown;
	uid_t uid;
	gid_t gid;
	struct loop *l;
	enum fa_state state;
	char *ring;        /* shared with the child */
	uint64_t produced, notified, acked;
	int fd;            /* the temporary file (the parent's copy is closed after the fork) */
	int nrd, nwr;      /* notify pipe: the child reads, the daemon writes (non-blocking) */
	int ard, awr;      /* ack pipe: the child writes, the daemon reads (non-blocking) */
	struct loop_io *aio; /* watches ard while the child owes acks */
	struct buf pend;   /* bytes the ring has no room for yet, from pend_off */
	size_t pend_off;
	int werr;          /* a pipe broke (the writer is gone) */
	bool full;         /* "full" was reported */
	files_atomic_pressure_fn pressure;
	void *pdata;
	struct forkjob *job;
	bool writer_gone;  /* the child ended before the commit */
	int writer_status;
	files_atomic_done_fn done;
	void *data;
	bool forgotten;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void atomic_free(struct files_atomic *a)
{
	loop_io_free(a->aio);
	close_fd(&a->fd);
	close_fd(&a->nrd);
	close_fd(&a->nwr);
	close_fd(&a->ard);
	close_fd(&a->awr);
	if (a->ring)
		munmap(a->ring, FILES_ATOMIC_RING);
	buf_done(&a->pend);
	free(a->target);
	free(a->tmp);
	free(a->dir);
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

/* ======================= the writer child ======================= */

static struct forkjob_result result(int step, int err)
{
	return (struct forkjob_result){ step, err };
}

/* Writes ring bytes [from, to) (stream offsets) to the file.  Returns 0 or an errno. */
static int child_write(struct files_atomic *a, uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t off = (size_t)(from & (FILES_ATOMIC_RING - 1));
		size_t n = FILES_ATOMIC_RING - off;
		ssize_t w;

		if (n > to - from)
			n = (size_t)(to - from);
		w = write(a->fd, a->ring + off, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		from += (uint64_t)w;
	}
	return 0;
}

/* Writes what the daemon produces until its commit message.  Returns 1 at the commit
 * (with *err the first write error, 0 if none), 0 when the daemon gave up or died. */
static int child_receive(struct files_atomic *a, int *err)
{
	struct fa_msg m[64];
	uint64_t consumed = 0, flushed = 0;

	*err = 0;
	for (;;) {
		ssize_t n = read(a->nrd, m, sizeof(m));
		const struct fa_msg *last;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (size_t)n % FA_MSG_SIZE != 0)
			return 0;
		last = &m[(size_t)n / FA_MSG_SIZE - 1];
		if (last->produced < consumed || last->produced - consumed > FILES_ATOMIC_RING)
			return 0; /* cannot happen: the daemon never overruns the ring */
		if (!*err)
			*err = child_write(a, consumed, last->produced);
		consumed = last->produced;
		if (!*err && consumed - flushed >= WRITEBACK_STEP) {
			/* Only starts the writeback (no wait); a failure shows in the fsync. */
			sync_file_range(a->fd, (off_t)flushed, (off_t)(consumed - flushed), SYNC_FILE_RANGE_WRITE);
			flushed = consumed;
		}
		if (last->commit)
			return 1;
		/* After a write error the bytes are still taken (and dropped): the daemon
		 * must never wait on a ring that does not drain. */
		while (write(a->awr, &consumed, sizeof(consumed)) < 0 && errno == EINTR)
			;
	}
}

/* Go's AtomicFile.commit order, after the whole content. */
static struct forkjob_result writer_main(void *arg, int chan)
{
	struct files_atomic *a = arg;
	int err, dfd;

	(void)chan;
	if (!child_receive(a, &err)) {
		/* The daemon gave up on the file, or died: nothing of it may stay. */
		unlink(a->tmp);
		return result(STEP_ABANDONED, 0);
	}
	if (err) {
		unlink(a->tmp);
		return result(STEP_WRITE, err);
	}
	if (a->chown && fchown(a->fd, a->uid, a->gid) < 0) {
		err = errno;
		unlink(a->tmp);
		return result(STEP_CHOWN, err);
	}
	dfd = open(a->dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
	if (dfd < 0) {
		err = errno;
		unlink(a->tmp);
		return result(STEP_OPEN_DIR, err);
	}
	if (fsync(a->fd) < 0) {
		err = errno;
		unlink(a->tmp);
		return result(STEP_SYNC_FILE, err);
	}
	if (close(a->fd) < 0) {
		err = errno;
		unlink(a->tmp);
		return result(STEP_CLOSE_FILE, err);
	}
	if (rename(a->tmp, a->target) < 0) {
		err = errno;
		unlink(a->tmp);
		return result(STEP_RENAME, err);
	}
	if (fsync(dfd) < 0)
		return result(STEP_SYNC_DIR, errno);
	return result(STEP_DONE, 0);
}

/* ======================= the daemon's side ======================= */

static void report_failure(struct files_atomic *a, const struct forkjob_result *r, int wstatus,
			   struct files_error *e)
{
	if (!r) {
		files_error_set(e, FILES_GENERIC, "cannot commit %s: writing process %s %d", a->tmp,
				WIFSIGNALED(wstatus) ? "killed by signal" : "exited with",
				WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
		return;
	}
	switch (r->step) {
	case STEP_DONE:
		break;
	case STEP_WRITE:
		files_error_sys(e, "write", a->tmp, r->err);
		break;
	case STEP_CHOWN:
		files_error_sys(e, "chown", a->tmp, r->err);
		break;
	case STEP_OPEN_DIR:
		files_error_sys(e, "open", a->dir, r->err);
		break;
	case STEP_SYNC_FILE:
		files_error_sys(e, "sync", a->tmp, r->err);
		break;
	case STEP_CLOSE_FILE:
		files_error_sys(e, "close", a->tmp, r->err);
		break;
	case STEP_RENAME:
		files_error_sys2(e, "rename", a->tmp, a->target, r->err);
		break;
	case STEP_SYNC_DIR:
		files_error_sys(e, "sync", a->dir, r->err);
		break;
	default:
		files_error_set(e, FILES_GENERIC, "cannot commit %s: abandoned", a->tmp);
		break;
	}
}

static void set_pressure(struct files_atomic *a, bool full)
{
	if (a->full == full)
		return;
	a->full = full;
	if (a->pressure)
		a->pressure(a->pdata, full);
}

/* The end of a commit, from the loop: tells the caller and frees a. */
static void finish(struct files_atomic *a, const struct forkjob_result *r, int wstatus)
{
	struct files_error e;

	set_pressure(a, false);
	files_error_init(&e);
	report_failure(a, r, wstatus, &e);
	if (e.kind != FILES_OK && (!r || r->step < STEP_RENAME))
		unlink(a->tmp); /* the child did, unless it died first */
	if (!a->forgotten && a->done)
		a->done(a->data, &e);
	files_error_done(&e);
	atomic_free(a);
}

static void writer_ended(void *data, const struct forkjob_result *r, int wstatus)
{
	struct files_atomic *a = data;

	a->job = NULL;
	if (a->state != FA_WRITING) {
		finish(a, r, wstatus);
		return;
	}
	/* Before its commit: it was killed.  The commit will say so. */
	a->writer_gone = true;
	a->writer_status = wstatus;
	a->werr = EPIPE;
}

static size_t unsent(const struct files_atomic *a)
{
	return a->pend.len - a->pend_off;
}

/* Copies what fits of p into the ring; returns the count. */
static size_t ring_put(struct files_atomic *a, const char *p, size_t n)
{
	size_t room = FILES_ATOMIC_RING - (size_t)(a->produced - a->acked), done = 0;

	if (n > room)
		n = room;
	while (done < n) {
		size_t off = (size_t)(a->produced & (FILES_ATOMIC_RING - 1));
		size_t k = FILES_ATOMIC_RING - off;

		if (k > n - done)
			k = n - done;
		memcpy(a->ring + off, p + done, k);
		a->produced += k;
		done += k;
	}
	return done;
}

static void ack_cb(struct loop_io *io, int fd, uint32_t events, void *data);

/* Tells the child of new bytes (or of the end).  A broken pipe means the writer is gone. */
static void notify(struct files_atomic *a, bool commit)
{
	struct fa_msg m = { a->produced, commit ? 1 : 0 };
	ssize_t w;

	if (a->werr)
		return;
	do
		w = write(a->nwr, &m, sizeof(m));
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof(m)) {
		/* EPIPE; never EAGAIN: at most FILES_ATOMIC_RING / NOTIFY_STEP + 1 messages
		 * are ever unread, far less than a pipe holds. */
		a->werr = w < 0 ? errno : EIO;
		return;
	}
	a->notified = a->produced;
	if (!commit && !a->aio)
		a->aio = loop_io_new(a->l, a->ard, EPOLLIN, ack_cb, a);
}

static void send_commit(struct files_atomic *a)
{
	loop_io_free(a->aio);
	a->aio = NULL;
	notify(a, true);
	close_fd(&a->nwr);
	/* If that failed, the child is gone already: writer_ended reports it. */
	a->state = FA_COMMITTING;
}

/* Moves buffered bytes into the ring, as far as it has room. */
static void refill(struct files_atomic *a)
{
	if (unsent(a)) {
		a->pend_off += ring_put(a, a->pend.data + a->pend_off, unsent(a));
		if (!unsent(a)) {
			a->pend.len = a->pend_off = 0;
			if (a->pend.cap > FILES_ATOMIC_BUF_SIZE * 2)
				buf_done(&a->pend); /* a large backlog is not kept around */
		} else if (a->pend_off > FILES_ATOMIC_BUF_SIZE) {
			buf_consume(&a->pend, a->pend_off);
			a->pend_off = 0;
		}
	}
	if (a->produced - a->notified >= NOTIFY_STEP || (a->produced > a->notified && a->produced == a->acked + FILES_ATOMIC_RING))
		notify(a, false);
}

static void ack_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct files_atomic *a = data;
	uint64_t acks[64];
	ssize_t n;

	(void)io;
	(void)events;
	do
		n = read(fd, acks, sizeof(acks));
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		/* The writer is gone (writer_ended follows). */
		a->werr = EPIPE;
		loop_io_free(a->aio);
		a->aio = NULL;
		set_pressure(a, false);
		return;
	}
	if (n >= (ssize_t)sizeof(uint64_t)) {
		uint64_t v = acks[(size_t)n / sizeof(uint64_t) - 1];

		if (v > a->acked && v <= a->produced)
			a->acked = v;
	}
	refill(a);
	if (!unsent(a))
		set_pressure(a, false);
	if (a->state == FA_DRAINING && !unsent(a))
		send_commit(a);
}

int files_atomic_open(const char *target, mode_t mode, bool chown, uid_t uid, gid_t gid, struct loop *l,
		      files_atomic_pressure_fn pressure, void *pdata, struct files_atomic **ret, struct files_error *e)
{
	struct files_atomic *a;
	char *base = gopath_base(target);
	struct errbuf eb;
	int fd = -1, np[2], ap[2];
	void *ring;

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
	a->fd = a->nrd = a->nwr = a->ard = a->awr = -1;
	a->l = l;
	a->pressure = pressure;
	a->pdata = pdata;
	buf_init(&a->pend);
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
		goto fail;
	}
	ring = mmap(NULL, FILES_ATOMIC_RING, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ring == MAP_FAILED) {
		files_error_set(e, FILES_GENERIC, "open %s: cannot map a transfer buffer: %s", a->tmp, strerror(errno));
		goto fail;
	}
	a->ring = ring;
	if (pipe2(np, O_CLOEXEC) < 0) {
		files_error_set(e, FILES_GENERIC, "open %s: pipe: %s", a->tmp, strerror(errno));
		goto fail;
	}
	a->nrd = np[0];
	a->nwr = np[1];
	if (pipe2(ap, O_CLOEXEC) < 0) {
		files_error_set(e, FILES_GENERIC, "open %s: pipe: %s", a->tmp, strerror(errno));
		goto fail;
	}
	a->ard = ap[0];
	a->awr = ap[1];
	fcntl(a->nwr, F_SETFL, O_NONBLOCK);
	fcntl(a->ard, F_SETFL, O_NONBLOCK);
	errbuf_clear(&eb);
	{
		int keep[3] = { a->fd, a->nrd, a->awr };

		if (forkjob_start(l, "scree-push", writer_main, a, keep, 3, writer_ended, a, &a->job, &eb) < 0) {
			files_error_set(e, FILES_GENERIC, "open %s: %s", a->tmp, eb.msg);
			goto fail;
		}
	}
	/* The child owns the file and its ends of the pipes now. */
	close_fd(&a->fd);
	close_fd(&a->nrd);
	close_fd(&a->awr);
	*ret = a;
	return 0;
fail:
	unlink(a->tmp);
	atomic_free(a);
	return -1;
}

void files_atomic_write(struct files_atomic *a, const char *p, size_t n)
{
	size_t put = 0;

	if (a->werr || !n || a->state != FA_WRITING)
		return;
	if (!unsent(a))
		put = ring_put(a, p, n);
	if (put < n)
		buf_add(&a->pend, p + put, n - put);
	refill(a);
	if (unsent(a) > FILES_ATOMIC_BUF_SIZE)
		set_pressure(a, true);
}

int files_atomic_commit(struct files_atomic *a, files_atomic_done_fn done, void *data, struct files_error *e)
{
	a->done = done;
	a->data = data;
	if (a->writer_gone || a->werr) {
		set_pressure(a, false);
		if (a->writer_gone)
			report_failure(a, NULL, a->writer_status, e);
		else
			files_error_sys(e, "write", a->tmp, a->werr);
		unlink(a->tmp);
		forkjob_forget(a->job);
		atomic_free(a);
		return -1;
	}
	a->state = FA_DRAINING;
	if (!unsent(a))
		send_commit(a);
	return 0;
}

void files_atomic_forget(struct files_atomic *a)
{
	a->forgotten = true;
}

void files_atomic_wait(struct files_atomic *a)
{
	if (!a)
		return;
	if (a->state != FA_COMMITTING || !a->job) {
		files_atomic_abort(a);
		return;
	}
	forkjob_wait(a->job);
	a->job = NULL;
	atomic_free(a);
}

void files_atomic_abort(struct files_atomic *a)
{
	if (!a)
		return;
	/* The writer reads EOF where the commit should be and removes the file too; it is
	 * removed here at once so that nothing of it is seen after the abort. */
	unlink(a->tmp);
	forkjob_forget(a->job);
	atomic_free(a);
}
