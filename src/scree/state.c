/* state.c - the state file, written by forked writers; see state.h. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/forkjob.h"
#include "lib/fsutil.h"
#include "lib/gopath.h"

/* The writer's steps; the child reports the one that failed. */
enum write_step {
	STEP_DONE,
	STEP_ENCODE,
	STEP_WRITE,
	STEP_SYNC_DIR,
};

struct state_waiter {
	struct state_waiter *next;
	uint64_t gen;
	state_synced_fn cb;
	void *data;
};

static void start_write(void *data);

static void kick_cb(struct loop_timer *t, void *data)
{
	(void)t;
	start_write(data);
}

void state_init(struct state *st, struct loop *l, const char *path, bool persist, const struct state_hooks *hooks,
		void *data)
{
	memset(st, 0, sizeof(*st));
	st->st_dirfd = -1;
	st->st_loop = l;
	st->st_hooks = hooks;
	st->st_data = data;
	st->st_waiters_tail = &st->st_waiters;
	st->st_kick = loop_timer_new(l, kick_cb, st);
	if (persist && path)
		st->st_path = xstrdup(path);
}

/* Calls (and frees) the waiters whose generation is covered by gen. */
static void wake_waiters(struct state *st, uint64_t gen, int err, const char *msg)
{
	while (st->st_waiters && st->st_waiters->gen <= gen) {
		struct state_waiter *w = st->st_waiters;

		st->st_waiters = w->next;
		if (!st->st_waiters)
			st->st_waiters_tail = &st->st_waiters;
		w->cb(w->data, err, msg);
		free(w);
	}
}

void state_done(struct state *st)
{
	if (!st->st_loop)
		return; /* never initialised */
	forkjob_wait(st->st_job);
	st->st_job = NULL;
	wake_waiters(st, UINT64_MAX, -ECANCELED, "daemon stopped");
	loop_timer_free(st->st_kick);
	st->st_kick = NULL;
	if (st->st_dirfd >= 0)
		close(st->st_dirfd);
	st->st_dirfd = -1;
	free(st->st_path);
	st->st_path = NULL;
}

int state_lock(struct state *st, struct errbuf *eb)
{
	char *dir;
	int r;

	if (!st->st_path || st->st_dirfd >= 0)
		return 0;
	dir = gopath_dir(st->st_path);
	st->st_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->st_dirfd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open state directory %s: %s", dir, strerror(-r));
		free(dir);
		return r;
	}
	free(dir);
	/* Only the writers of a daemon that died can hold it this long (a live daemon on
	 * this directory owns its socket too, and was refused before we got here). */
	while ((r = flock(st->st_dirfd, LOCK_EX)) < 0 && errno == EINTR)
		;
	/* Without flock (some network file systems) we go on unlocked. */
	return 0;
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

/* Encodes and writes the state: <path>.new, fsync, rename, fsync of the directory. */
static struct forkjob_result write_file(struct state *st)
{
	json_t *root = st->st_hooks->build(st->st_data);
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	struct forkjob_result r = { STEP_DONE, 0 };
	int rv;

	json_decref(root);
	if (!text)
		return (struct forkjob_result){ STEP_ENCODE, ENOMEM };
	rv = fs_write_atomic(st->st_path, text, strlen(text), 0600);
	free(text);
	if (rv < 0)
		return (struct forkjob_result){ STEP_WRITE, -rv };
	/* The rename itself is durable only once the directory is synced. */
	if (st->st_dirfd >= 0 && fsync(st->st_dirfd) < 0)
		r = (struct forkjob_result){ STEP_SYNC_DIR, errno };
	return r;
}

static struct forkjob_result writer_main(void *arg, int chan)
{
	(void)chan;
	return write_file(arg);
}

static void format_error(const struct state *st, const struct forkjob_result *r, int wstatus, struct errbuf *eb)
{
	if (!r)
		errbuf_set(eb, "cannot write state file %s: writer %s %d", st->st_path,
			   WIFSIGNALED(wstatus) ? "killed by signal" : "exited with status",
			   WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
	else if (r->step == STEP_ENCODE)
		errbuf_set(eb, "cannot encode state");
	else if (r->step == STEP_SYNC_DIR)
		errbuf_set(eb, "cannot write state file %s: sync directory: %s", st->st_path, strerror(r->err));
	else
		errbuf_set(eb, "cannot write state file %s: %s", st->st_path, strerror(r->err));
}

static void write_ended(void *data, const struct forkjob_result *r, int wstatus)
{
	struct state *st = data;
	uint64_t gen = st->st_writing;
	struct errbuf eb;

	st->st_job = NULL;
	st->st_writing = 0;
	if (r && r->step == STEP_DONE) {
		st->st_saved = gen;
		st->st_writes++;
		st->st_failing = false;
		wake_waiters(st, gen, 0, NULL);
	} else {
		errbuf_clear(&eb);
		format_error(st, r, wstatus, &eb);
		st->st_failing = true;
		wake_waiters(st, gen, r && r->err ? -r->err : -EIO, eb.msg);
		if (!st->st_scheduled)
			loop_timer_arm_in(st->st_kick, STATE_RETRY_MS); /* unless a mark comes first */
		return;
	}
	/* Marks made during the write: the next one starts at once. */
	if (st->st_marked > st->st_saved)
		start_write(st);
}

/* Starts a write of everything marked so far, unless one runs (its end starts the next). */
static void start_write(void *data)
{
	struct state *st = data;
	struct errbuf eb;
	uint64_t gen;

	st->st_scheduled = false;
	loop_timer_disarm(st->st_kick);
	if (st->st_hooks->before_write)
		st->st_hooks->before_write(st->st_data);
	if (!st->st_path || st->st_job || st->st_marked <= st->st_saved)
		return;
	gen = st->st_marked;
	errbuf_clear(&eb);
	if (forkjob_start(st->st_loop, "scree-state", writer_main, st, &st->st_dirfd, st->st_dirfd >= 0 ? 1 : 0,
			  write_ended, st, &st->st_job, &eb) < 0) {
		/* Cannot fork (out of processes or memory): like a failed write. */
		struct forkjob_result r = { STEP_WRITE, EAGAIN };

		st->st_writing = gen;
		write_ended(st, &r, 0);
		return;
	}
	st->st_writing = gen;
}

/* The write starts at the next loop iteration: every mark of this one is in it. */
static void schedule(struct state *st)
{
	if (st->st_scheduled)
		return;
	st->st_scheduled = true;
	loop_timer_arm_at(st->st_kick, 0);
}

void state_mark_dirty(struct state *st)
{
	st->st_marked++;
	schedule(st);
}

void state_sync(struct state *st, state_synced_fn cb, void *data)
{
	struct state_waiter *w = xcalloc(1, sizeof(*w));

	w->gen = st->st_marked;
	w->cb = cb;
	w->data = data;
	*st->st_waiters_tail = w;
	st->st_waiters_tail = &w->next;
	if (st->st_marked <= st->st_saved) {
		/* Nothing new to write; still answered from the loop, after a fresh write. */
		st->st_marked++;
		w->gen = st->st_marked;
	}
	if (!st->st_job)
		schedule(st);
}

int state_write_now(struct state *st, struct errbuf *eb)
{
	struct forkjob_result r;
	uint64_t gen = st->st_marked;

	if (!st->st_path)
		return 0;
	if (st->st_job) {
		forkjob_wait(st->st_job);
		st->st_job = NULL;
		st->st_writing = 0;
	}
	if (st->st_hooks->before_write)
		st->st_hooks->before_write(st->st_data);
	gen = st->st_marked;
	r = write_file(st);
	if (r.step != STEP_DONE) {
		format_error(st, &r, 0, eb);
		return r.err ? -r.err : -EIO;
	}
	st->st_saved = gen;
	st->st_writes++;
	wake_waiters(st, gen, 0, NULL);
	return 0;
}
