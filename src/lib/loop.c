/* loop.c - epoll + signalfd + timerfd + pidfd event loop; see loop.h.
 *
 * Reaping.  The loop owns every wait.  Whenever SIGCHLD arrives or a pidfd becomes readable it
 * calls loop_reap(), which peeks at the next waitable child with WNOWAIT, reaps exactly that
 * pid, and hands it either to its registered callback or to the orphan callback.  Peeking
 * first matters: reaping with P_ALL directly would be the same, but the peek lets us keep the
 * pidfd registered until the very moment the pid is released, so a signal sent through the
 * pidfd can never reach a recycled pid. */
#include "loop.h"
#include "buf.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define LOOP_MAX_EVENTS 64
#define LOOP_CHILD_BUCKETS 1024
#define LOOP_FREE_DEFER_ROUNDS 4 /* rounds of deferred callbacks loop_free still runs */

enum watch_kind { WATCH_IO, WATCH_SIGNALFD, WATCH_TIMERFD, WATCH_PIDFD };

struct watch {
	enum watch_kind kind;
};

struct loop_io {
	struct watch w;
	struct loop *l;
	int fd;
	loop_io_cb cb;
	void *data;
	bool dead;
	struct loop_io *next_dead;
};

struct loop_timer {
	struct loop *l;
	loop_timer_cb cb;
	void *data;
	uint64_t deadline;
	size_t heap_idx; /* index in l->heap, or SIZE_MAX when disarmed */
};

struct child {
	struct watch w;
	pid_t pid;
	int pidfd;
	loop_child_cb cb;
	void *data;
	struct child *next;
};

struct sig_handler {
	loop_signal_cb cb;
	void *data;
};

struct defer {
	loop_defer_cb cb;
	void *data;
	struct defer *next;
};

struct loop {
	int epfd;
	int sigfd;
	int tfd;
	struct watch sig_watch;
	struct watch timer_watch;
	sigset_t sigmask;
	struct sig_handler sigs[65];
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t armed_deadline;
	struct child *children[LOOP_CHILD_BUCKETS];
	loop_child_cb orphan_cb;
	void *orphan_data;
	struct defer *defer_head, *defer_tail;
	struct loop_io *dead_ios;
	bool stop;
};

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ms(void)
{
	return loop_now_ns() / 1000000u;
}

uint64_t loop_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int loop_pidfd_open(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		/* pidfd_open sets O_CLOEXEC by definition. */
		return fd;
	}
	return -1;
}

int loop_new(struct loop **ret)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	struct epoll_event ev;
	int r;

	l->epfd = l->sigfd = l->tfd = -1;
	l->sig_watch.kind = WATCH_SIGNALFD;
	l->timer_watch.kind = WATCH_TIMERFD;
	l->armed_deadline = UINT64_MAX;
	sigemptyset(&l->sigmask);
	sigaddset(&l->sigmask, SIGCHLD);
	sigaddset(&l->sigmask, SIGTERM);
	sigaddset(&l->sigmask, SIGINT);
	sigaddset(&l->sigmask, SIGHUP);
	sigaddset(&l->sigmask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		goto fail;
	signal(SIGPIPE, SIG_IGN);

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto fail;
	l->sigfd = signalfd(-1, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		goto fail;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &l->sig_watch;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) < 0)
		goto fail;
	ev.data.ptr = &l->timer_watch;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0)
		goto fail;
	*ret = l;
	return 0;
fail:
	r = -errno;
	loop_free(l);
	return r;
}

static void free_dead_ios(struct loop *l)
{
	while (l->dead_ios) {
		struct loop_io *io = l->dead_ios;

		l->dead_ios = io->next_dead;
		free(io);
	}
}

static void run_defers(struct loop *l);

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < LOOP_CHILD_BUCKETS; i++) {
		struct child *c = l->children[i];

		while (c) {
			struct child *n = c->next;

			if (c->pidfd >= 0)
				close(c->pidfd);
			free(c);
			c = n;
		}
	}
	for (size_t i = 0; i < l->heap_len; i++)
		l->heap[i]->heap_idx = SIZE_MAX;
	free(l->heap);
	/* Deferred callbacks still queued are mostly the frees of handles closed during the
	 * last iteration (connections, forgotten children): run them rather than leak.  A
	 * few rounds cover callbacks that defer once more; whatever is left after that is
	 * dropped. */
	loop_run_deferred(l);
	while (l->defer_head) {
		struct defer *d = l->defer_head;

		l->defer_head = d->next;
		free(d);
	}
	free_dead_ios(l);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->tfd >= 0)
		close(l->tfd);
	free(l);
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

/* ---- I/O ---- */

struct loop_io *loop_io_new(struct loop *l, int fd, uint32_t events, loop_io_cb cb, void *data)
{
	struct loop_io *io = xcalloc(1, sizeof(*io));
	struct epoll_event ev;

	io->w.kind = WATCH_IO;
	io->l = l;
	io->fd = fd;
	io->cb = cb;
	io->data = data;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

int loop_io_set_events(struct loop_io *io, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (epoll_ctl(io->l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	return 0;
}

void loop_io_free(struct loop_io *io)
{
	if (!io || io->dead)
		return;
	epoll_ctl(io->l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	/* The watch may still sit in the current epoll batch: free it after the iteration. */
	io->dead = true;
	io->next_dead = io->l->dead_ios;
	io->l->dead_ios = io;
}

/* ---- timers: a binary min-heap on deadline ---- */

static void heap_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = a;
	l->heap[b]->heap_idx = b;
}

static void heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (l->heap[p]->deadline <= l->heap[i]->deadline)
			break;
		heap_swap(l, p, i);
		i = p;
	}
}

static void heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->heap_len && l->heap[c]->deadline < l->heap[m]->deadline)
			m = c;
		if (c + 1 < l->heap_len && l->heap[c + 1]->deadline < l->heap[m]->deadline)
			m = c + 1;
		if (m == i)
			break;
		heap_swap(l, i, m);
		i = m;
	}
}

static void heap_remove(struct loop *l, size_t i)
{
	size_t last = l->heap_len - 1;

	l->heap[i]->heap_idx = SIZE_MAX;
	if (i != last) {
		l->heap[i] = l->heap[last];
		l->heap[i]->heap_idx = i;
	}
	l->heap_len--;
	if (i < l->heap_len) {
		heap_up(l, i);
		heap_down(l, i);
	}
}

static void timerfd_sync(struct loop *l)
{
	struct itimerspec its;
	uint64_t d = l->heap_len ? l->heap[0]->deadline : UINT64_MAX;

	if (d == l->armed_deadline)
		return;
	memset(&its, 0, sizeof(its));
	if (d != UINT64_MAX) {
		if (d == 0)
			d = 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000L;
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed_deadline = d;
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *data)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->l = l;
	t->cb = cb;
	t->data = data;
	t->heap_idx = SIZE_MAX;
	return t;
}

void loop_timer_arm_at(struct loop_timer *t, uint64_t deadline_ms)
{
	struct loop *l = t->l;

	if (t->heap_idx != SIZE_MAX)
		heap_remove(l, t->heap_idx);
	t->deadline = deadline_ms;
	if (l->heap_len == l->heap_cap) {
		l->heap_cap = l->heap_cap ? l->heap_cap * 2 : 16;
		l->heap = xrealloc(l->heap, l->heap_cap * sizeof(*l->heap));
	}
	t->heap_idx = l->heap_len;
	l->heap[l->heap_len++] = t;
	heap_up(l, t->heap_idx);
}

void loop_timer_arm_in(struct loop_timer *t, uint64_t delay_ms)
{
	/* Round the deadline up to the next millisecond: a timer never fires before its
	 * delay has fully passed (Pebble's 1 s okay delay is a lower bound clients check). */
	loop_timer_arm_at(t, (loop_now_ns() + delay_ms * 1000000u + 999999u) / 1000000u);
}

void loop_timer_disarm(struct loop_timer *t)
{
	if (t && t->heap_idx != SIZE_MAX)
		heap_remove(t->l, t->heap_idx);
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

uint64_t loop_timer_deadline(const struct loop_timer *t)
{
	return t->deadline;
}

void loop_timer_free(struct loop_timer *t)
{
	if (!t)
		return;
	loop_timer_disarm(t);
	free(t);
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();

	while (l->heap_len && l->heap[0]->deadline <= now) {
		struct loop_timer *t = l->heap[0];

		heap_remove(l, 0);
		t->cb(t, t->data); /* may re-arm or free t */
	}
}

/* ---- signals ---- */

int loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *data)
{
	if (signo <= 0 || signo > 64)
		return -EINVAL;
	if (!sigismember(&l->sigmask, signo)) {
		sigaddset(&l->sigmask, signo);
		if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
			return -errno;
		if (signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC) < 0)
			return -errno;
	}
	l->sigs[signo].cb = cb;
	l->sigs[signo].data = data;
	return 0;
}

/* ---- children ---- */

static struct child **child_slot(struct loop *l, pid_t pid)
{
	struct child **pp = &l->children[(unsigned)pid % LOOP_CHILD_BUCKETS];

	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	return pp;
}

int loop_add_child(struct loop *l, pid_t pid, int pidfd, loop_child_cb cb, void *data)
{
	struct child *c = xcalloc(1, sizeof(*c));
	struct child **pp = child_slot(l, pid);

	if (*pp) {
		free(c);
		return -EEXIST;
	}
	c->w.kind = WATCH_PIDFD;
	c->pid = pid;
	c->pidfd = pidfd;
	c->cb = cb;
	c->data = data;
	if (pidfd >= 0) {
		struct epoll_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
			close(pidfd);
			c->pidfd = -1;
		}
	}
	*pp = c;
	return 0;
}

static struct child *child_unlink(struct loop *l, pid_t pid)
{
	struct child **pp = child_slot(l, pid);
	struct child *c = *pp;

	if (!c)
		return NULL;
	*pp = c->next;
	if (c->pidfd >= 0) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
		close(c->pidfd);
		c->pidfd = -1;
	}
	return c;
}

void loop_forget_child(struct loop *l, pid_t pid)
{
	struct child *c = child_unlink(l, pid);

	if (c) {
		/* The pidfd may sit in the current batch; the struct is freed after the iteration. */
		loop_defer(l, free, c);
		c->cb = NULL;
	}
}

int loop_kill_child(struct loop *l, pid_t pid, int sig, bool group)
{
	struct child *c = *child_slot(l, pid);

	if (!c)
		return -ESRCH;
	if (group)
		return kill(-pid, sig) < 0 ? -errno : 0;
	if (c->pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0)
			return -errno;
		return 0;
	}
	return kill(pid, sig) < 0 ? -errno : 0;
}

void loop_set_orphan_cb(struct loop *l, loop_child_cb cb, void *data)
{
	l->orphan_cb = cb;
	l->orphan_data = data;
}

static int siginfo_to_wstatus(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return 0;
	}
}

static void loop_reap(struct loop *l)
{
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		pid_t pid = si.si_pid;
		struct child *c = child_unlink(l, pid);

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0) {
			if (c) {
				/* Should not happen; put it back rather than lose it. */
				c->next = NULL;
				*child_slot(l, pid) = c;
			}
			return;
		}
		int ws = siginfo_to_wstatus(&si);

		if (c) {
			if (c->cb)
				c->cb(l, pid, ws, c->data);
			loop_defer(l, free, c);
		} else if (l->orphan_cb) {
			l->orphan_cb(l, pid, ws, l->orphan_data);
		}
	}
}

/* ---- defer ---- */

void loop_defer(struct loop *l, loop_defer_cb cb, void *data)
{
	struct defer *d = xcalloc(1, sizeof(*d));

	d->cb = cb;
	d->data = data;
	if (l->defer_tail)
		l->defer_tail->next = d;
	else
		l->defer_head = d;
	l->defer_tail = d;
}

static void run_defers(struct loop *l)
{
	/* Only run what was queued before we started, so a defer that re-queues itself cannot
	 * starve the loop. */
	struct defer *d = l->defer_head, *end = l->defer_tail;

	l->defer_head = l->defer_tail = NULL;
	while (d) {
		struct defer *n = d->next;
		bool last = d == end;

		d->cb(d->data);
		free(d);
		if (last)
			break;
		d = n;
	}
}

void loop_run_deferred(struct loop *l)
{
	for (int round = 0; round < LOOP_FREE_DEFER_ROUNDS && l->defer_head; round++)
		run_defers(l);
}

/* ---- the loop ---- */

static void handle_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo == SIGCHLD)
			loop_reap(l);
		if (signo > 0 && signo <= 64 && l->sigs[signo].cb)
			l->sigs[signo].cb(l, signo, l->sigs[signo].data);
	}
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int n;

	if (l->defer_head)
		timeout_ms = 0;
	timerfd_sync(l);
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;

		switch (w->kind) {
		case WATCH_IO: {
			struct loop_io *io = (struct loop_io *)w;

			if (!io->dead)
				io->cb(io, io->fd, evs[i].events, io->data);
			break;
		}
		case WATCH_SIGNALFD:
			handle_signals(l);
			break;
		case WATCH_TIMERFD: {
			uint64_t ticks;

			while (read(l->tfd, &ticks, sizeof(ticks)) > 0)
				;
			l->armed_deadline = UINT64_MAX;
			break;
		}
		case WATCH_PIDFD:
			loop_reap(l);
			break;
		}
	}
	run_timers(l);
	run_defers(l);
	free_dead_ios(l);
	return 0;
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int r = loop_run_once(l, -1);

		if (r < 0)
			return r;
	}
	return 0;
}
