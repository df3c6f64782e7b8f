/* worker.c - forked workers with a JSON result; see worker.h. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"

struct worker {
	struct loop *l;
	pid_t pid;
	int fd;
	struct loop_io *io;
	struct buf in;
	bool eof, exited, cancelled;
	bool finishing; /* finish() is deferred */
	int wstatus;
	worker_done_fn done;
	void *data;
};

static void child_run(int fd, worker_fn fn, void *arg)
{
	struct errbuf eb;
	json_t *res;
	struct buf out = BUF_INIT;
	size_t off = 0;

	errbuf_clear(&eb);
	res = fn(arg, &eb);
	if (!res)
		res = json_pack("{s:s}", "error", eb.msg[0] ? eb.msg : "worker failed");
	else
		res = json_pack("{s:o}", "result", res);
	buf_init(&out);
	msg_encode(&out, res);
	while (off < out.len) {
		ssize_t n = write(fd, out.data + off, out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		off += (size_t)n;
	}
	_exit(0);
}

static void finish(void *data)
{
	struct worker *w = data;
	json_t *frame = NULL;
	struct errbuf eb;
	char msg[128];
	const char *err = NULL;

	if (w->cancelled) {
		buf_done(&w->in);
		free(w);
		return;
	}
	errbuf_clear(&eb);
	if (w->in.len > 4) {
		struct msg_reader rd = { w->in };

		if (msg_reader_next(&rd, &frame, &eb) <= 0)
			err = eb.msg[0] ? eb.msg : "malformed worker result";
		w->in = rd.in;
	}
	if (!err && !frame) {
		if (WIFSIGNALED(w->wstatus))
			snprintf(msg, sizeof(msg), "worker killed by signal %d", WTERMSIG(w->wstatus));
		else
			snprintf(msg, sizeof(msg), "worker exited with status %d without a result",
				 WIFEXITED(w->wstatus) ? WEXITSTATUS(w->wstatus) : -1);
		err = msg;
	}
	if (!err && json_is_string(json_object_get(frame, "error")))
		err = json_string_value(json_object_get(frame, "error"));
	if (err)
		w->done(w->data, NULL, err);
	else
		w->done(w->data, json_object_get(frame, "result"), NULL);
	json_decref(frame);
	buf_done(&w->in);
	free(w);
}

static void maybe_finish(struct worker *w)
{
	if (w->eof && w->exited && !w->finishing) {
		w->finishing = true;
		loop_defer(w->l, finish, w);
	}
}

static void on_read(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct worker *w = data;
	char chunk[65536];

	(void)io;
	(void)events;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0 && w->in.len + (size_t)n <= WORKER_RESULT_MAX + 4) {
			buf_add(&w->in, chunk, (size_t)n);
			continue;
		}
		/* EOF, an error, or more than a result may hold: stop reading. */
		loop_io_free(w->io);
		w->io = NULL;
		close(w->fd);
		w->fd = -1;
		w->eof = true;
		maybe_finish(w);
		return;
	}
}

static void on_exit_cb(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct worker *w = data;

	(void)l;
	(void)pid;
	w->exited = true;
	w->wstatus = wstatus;
	maybe_finish(w);
}

int worker_start(struct loop *l, worker_fn fn, void *arg, worker_done_fn done, void *data,
		 struct worker **ret, struct errbuf *eb)
{
	int p[2];
	pid_t pid;
	int pidfd;

	if (pipe2(p, O_CLOEXEC) < 0) {
		errbuf_set(eb, "cannot create a pipe for a worker: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		errbuf_set(eb, "cannot fork a worker: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		child_run(p[1], fn, arg);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pidfd = loop_pidfd_open(pid);
	struct worker *w = xcalloc(1, sizeof(*w));

	w->l = l;
	w->pid = pid;
	w->fd = p[0];
	w->done = done;
	w->data = data;
	buf_init(&w->in);
	w->io = loop_io_new(l, p[0], EPOLLIN, on_read, w);
	loop_add_child(l, pid, pidfd, on_exit_cb, w);
	*ret = w;
	return 0;
}

void worker_wait(struct worker *w)
{
	if (!w)
		return;
	if (w->exited) {
		worker_cancel(w);
		return;
	}
	loop_forget_child(w->l, w->pid);
	while (waitpid(w->pid, &w->wstatus, 0) < 0 && errno == EINTR)
		;
	w->exited = true;
	worker_cancel(w);
}

void worker_cancel(struct worker *w)
{
	if (!w)
		return;
	if (!w->exited) {
		loop_kill_child(w->l, w->pid, SIGKILL, false);
		loop_forget_child(w->l, w->pid);
		/* SIGKILL ends it at once: reap it here, so no zombie outlives its parent. */
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (w->finishing) {
		/* finish() is already deferred: it frees w without calling done.  (worker_wait
		 * reaps a child the loop never saw exit: then nothing is deferred, and w is freed
		 * here.) */
		w->cancelled = true;
		return;
	}
	if (w->io)
		loop_io_free(w->io);
	if (w->fd >= 0)
		close(w->fd);
	buf_done(&w->in);
	free(w);
}
