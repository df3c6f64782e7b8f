/* walckpt.c - SQLite WAL checkpoints in a thread of their own; see walckpt.h. */
#include "walckpt.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

/* Checkpoint rounds per request at most (each copies what the writer added during the last). */
#define WALCKPT_ROUNDS_MAX 16
/* Busy answers taken per request before it ends as "not now" (see thread_main). */
#define WALCKPT_BUSY_MAX 8

struct walckpt {
	sqlite3 *db;              /* the loop's connection */
	sqlite3 *ck;              /* the thread's */
	int frames;
	int req_fd, done_fd;      /* eventfds: loop -> thread, thread -> loop */
	struct loop_io *io;
	pthread_t thread;
	bool busy;                /* a checkpoint was asked and has not ended (loop's view) */
	bool tail;                /* it ended with frames left that commits added meanwhile */
	int log_now;              /* the log's size after the last commit */
	atomic_bool stop;
	/* Written by the thread before it signals done_fd, read by the loop after. */
	atomic_int rc, log_frames, copied_frames;
	char errmsg[256];
	char *path;               /* the database file, for the log */
	void (*on_error)(void *data, const char *reason);
	void *data;
	struct walckpt_stats stats;
};

static void wake(int fd)
{
	uint64_t one = 1;

	/* An eventfd write fails only when its counter would overflow: it is then readable. */
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static bool take(int fd)
{
	uint64_t v;
	ssize_t n;

	do {
		n = read(fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(v);
}

static void *thread_main(void *arg)
{
	struct walckpt *w = arg;

	while (take(w->req_fd) && !atomic_load(&w->stop)) {
		int log_frames = -1, copied = -1, rc;

		/* The writer goes on meanwhile: what it added during a round is copied by the next,
		 * shorter one, until a round copies the whole log - then the writer's next commit
		 * starts the log again from its beginning. */
		for (int round = 0, busy = 0; round < WALCKPT_ROUNDS_MAX; round++) {
			rc = sqlite3_wal_checkpoint_v2(w->ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
			/* Busy: the log's header was being written by a commit as this round read it;
			 * another round reads it again (a few at most: a commit writes it in
			 * microseconds). */
			if (rc == SQLITE_BUSY && ++busy < WALCKPT_BUSY_MAX) {
				sched_yield();
				continue;
			}
			if (rc != SQLITE_OK || copied >= log_frames || atomic_load(&w->stop))
				break;
		}
		if (rc != SQLITE_OK)
			snprintf(w->errmsg, sizeof(w->errmsg), "%s", sqlite3_errmsg(w->ck));
		atomic_store(&w->log_frames, log_frames);
		atomic_store(&w->copied_frames, copied);
		atomic_store(&w->rc, rc);
		wake(w->done_fd);
	}
	return NULL;
}

static void on_done(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct walckpt *w = data;
	char reason[400];
	int rc;

	(void)io;
	(void)events;
	if (!take(fd))
		return;
	w->busy = false;
	rc = atomic_load(&w->rc);
	w->stats.done++;
	w->stats.last_log_frames = atomic_load(&w->log_frames);
	w->stats.last_copied_frames = atomic_load(&w->copied_frames);
	/* Commits since the last round began added frames it did not copy. */
	w->tail = rc == SQLITE_OK && (w->stats.last_copied_frames < w->stats.last_log_frames ||
				      w->log_now > w->stats.last_copied_frames);
	if (rc == SQLITE_BUSY) {
		/* Not now: the next commit over the threshold asks again. */
		w->stats.busy++;
	} else if (rc != SQLITE_OK) {
		w->stats.failed++;
		snprintf(reason, sizeof(reason), "checkpoint failed (%d pages in the log): %s",
			 w->stats.last_log_frames, w->errmsg);
		if (w->on_error)
			w->on_error(w->data, reason);
		else
			log_warn("%s: %s", w->path, reason);
	}
}

/* After every commit of the loop's connection: frames is the log's size in pages. */
static int on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct walckpt *w = arg;

	(void)name;
	if (frames < w->log_now)
		w->stats.restarts++;
	w->log_now = frames;
	if (frames > w->stats.max_log_frames)
		w->stats.max_log_frames = frames;
	if (w->busy)
		return SQLITE_OK;
	if (w->tail) {
		/* The thread's last rounds left what commits added meanwhile: this commit copies
		 * that little rest itself, so that the log can start again at the next. */
		w->tail = false;
		w->stats.inline_checkpoints++;
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else if (frames >= w->frames) {
		w->busy = true;
		w->stats.started++;
		wake(w->req_fd);
	}
	return SQLITE_OK;
}

static int wal_mode(sqlite3 *db, struct errbuf *eb)
{
	sqlite3_stmt *q = NULL;
	int r = -EIO;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		errbuf_set(eb, "cannot read the journal mode: %s", sqlite3_errmsg(db));
	} else if (sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal") != 0) {
		errbuf_set(eb, "not a WAL database (journal mode %s)", sqlite3_column_text(q, 0));
		r = -EINVAL;
	} else {
		r = 0;
	}
	sqlite3_finalize(q);
	return r;
}

/* The connection's wal_autocheckpoint: the threshold it had set for itself. */
static int autocheckpoint_pages(sqlite3 *db)
{
	sqlite3_stmt *q = NULL;
	int pages = 1000; /* SQLite's default */

	if (sqlite3_prepare_v2(db, "PRAGMA wal_autocheckpoint", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) > 0)
		pages = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return pages;
}

int walckpt_attach(struct loop *l, sqlite3 *db, const char *path, int frames,
		   void (*on_error)(void *data, const char *reason), void *data, struct walckpt **ret,
		   struct errbuf *eb)
{
	struct walckpt *w;
	sigset_t all, old;
	int r;

	if (!sqlite3_threadsafe()) {
		errbuf_set(eb, "this SQLite is not thread-safe: checkpoints stay in the commits");
		return -ENOTSUP;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errbuf_set(eb, "out of memory");
		return -ENOMEM;
	}
	w->db = db;
	if (!path)
		path = sqlite3_db_filename(db, "main");
	w->path = strdup(path ? path : "");
	w->frames = frames > 0 ? frames : autocheckpoint_pages(db);
	w->on_error = on_error;
	w->data = data;
	w->stats.last_log_frames = w->stats.last_copied_frames = -1;
	w->req_fd = eventfd(0, EFD_CLOEXEC);
	w->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->req_fd < 0 || w->done_fd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create eventfd: %s", strerror(errno));
		goto fail;
	}
	if (sqlite3_open_v2(path, &w->ck, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		errbuf_set(eb, "cannot open %s for checkpoints: %s", path,
			   w->ck ? sqlite3_errmsg(w->ck) : "out of memory");
		r = -EIO;
		goto fail;
	}
	/* The second connection knows the file is a WAL database only once it has read it: until
	 * then its checkpoints do nothing. */
	r = wal_mode(w->ck, eb);
	if (r < 0)
		goto fail;
	w->io = loop_io_new(l, w->done_fd, EPOLLIN, on_done, w);
	if (!w->io) {
		r = -ENOMEM;
		errbuf_set(eb, "cannot watch the checkpoint thread");
		goto fail;
	}
	/* The thread never takes a signal: the loop's signalfd must see them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, NULL, thread_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		errbuf_set(eb, "cannot start the checkpoint thread: %s", strerror(-r));
		goto fail;
	}
	sqlite3_wal_hook(db, on_commit, w);
	*ret = w;
	return 0;
fail:
	loop_io_free(w->io);
	if (w->ck)
		sqlite3_close(w->ck);
	if (w->req_fd >= 0)
		close(w->req_fd);
	if (w->done_fd >= 0)
		close(w->done_fd);
	free(w->path);
	free(w);
	return r;
}

void walckpt_free(struct walckpt *w)
{
	if (!w)
		return;
	sqlite3_wal_hook(w->db, NULL, NULL);
	atomic_store(&w->stop, true);
	wake(w->req_fd);
	pthread_join(w->thread, NULL);
	loop_io_free(w->io);
	sqlite3_close(w->ck);
	close(w->req_fd);
	close(w->done_fd);
	free(w->path);
	free(w);
}

void walckpt_get_stats(const struct walckpt *w, struct walckpt_stats *out)
{
	*out = w->stats;
}
