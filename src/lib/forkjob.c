/* forkjob.c - blocking jobs in forked children; see forkjob.h. */
#include "forkjob.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

struct forkjob {
	struct loop *l;
	pid_t pid;
	int chan;           /* the parent's end */
	forkjob_done_fn done;
	void *data;
};

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Closes every descriptor >= 3 but keep[0..n) (sorted here). */
static void close_all_but(int *keep, size_t n)
{
	unsigned from = 3;
	int r = 0;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < from)
			continue;
		if ((unsigned)keep[i] > from)
			r |= close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	r |= close_range(from, ~0u, 0);
	if (r == 0)
		return;
	/* A kernel without close_range (before 5.9): one by one. */
	for (int fd = 3; fd < 65536; fd++) {
		bool kept = false;

		for (size_t i = 0; i < n; i++)
			kept |= keep[i] == fd;
		if (!kept)
			close(fd);
	}
}

static void __attribute__((noreturn)) child_main(const char *name, forkjob_fn fn, void *arg, int chan, const int *keep,
						 size_t n_keep)
{
	int fds[FORKJOB_MAX_KEEP + 1];
	struct forkjob_result r;
	const char *p = (const char *)&r;
	size_t left = sizeof(r);

	prctl(PR_SET_NAME, name, 0, 0, 0);
	memcpy(fds, keep, n_keep * sizeof(*keep));
	fds[n_keep] = chan;
	close_all_but(fds, n_keep + 1);
	r = fn(arg, chan);
	while (left) {
		ssize_t w = write(chan, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		p += w;
		left -= (size_t)w;
	}
	_exit(0);
}

static void job_ended(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct forkjob *j = data;
	struct forkjob_result r;
	ssize_t n = -1;

	(void)l;
	(void)pid;
	/* The child wrote its result before it exited: it is in the socket already. */
	do
		n = recv(j->chan, &r, sizeof(r), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	j->done(j->data, n == (ssize_t)sizeof(r) ? &r : NULL, wstatus);
	close(j->chan);
	free(j);
}

int forkjob_start(struct loop *l, const char *name, forkjob_fn fn, void *arg, const int *keep, size_t n_keep,
		  forkjob_done_fn done, void *data, struct forkjob **ret, struct errbuf *eb)
{
	struct forkjob *j;
	int sp[2];
	pid_t pid;

	if (n_keep > FORKJOB_MAX_KEEP)
		return errbuf_set(eb, "cannot fork: too many descriptors to keep"), -EINVAL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		int e = errno;

		errbuf_set(eb, "cannot fork: socketpair: %s", strerror(e));
		return -e;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(sp[0]);
		close(sp[1]);
		errbuf_set(eb, "cannot fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(sp[0]);
		child_main(name, fn, arg, sp[1], keep, n_keep);
	}
	close(sp[1]);
	j = xcalloc(1, sizeof(*j));
	j->l = l;
	j->pid = pid;
	j->chan = sp[0];
	j->done = done;
	j->data = data;
	loop_add_child(l, pid, loop_pidfd_open(pid), job_ended, j);
	*ret = j;
	return 0;
}

int forkjob_send(struct forkjob *j, const void *p, size_t n)
{
	const char *s = p;

	if (j->chan < 0)
		return -EPIPE;
	while (n) {
		ssize_t w = send(j->chan, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

void forkjob_forget(struct forkjob *j)
{
	if (!j)
		return;
	/* The child is the loop's to reap as an orphan from now on, so nothing of the job is
	 * left to free, even if the loop ends before the child does. */
	loop_forget_child(j->l, j->pid);
	if (j->chan >= 0)
		close(j->chan);
	free(j);
}

void forkjob_wait(struct forkjob *j)
{
	if (!j)
		return;
	loop_forget_child(j->l, j->pid);
	while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (j->chan >= 0)
		close(j->chan);
	free(j);
}

pid_t forkjob_pid(const struct forkjob *j)
{
	return j->pid;
}

ssize_t forkjob_chan_read(int chan, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(chan, p, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}
