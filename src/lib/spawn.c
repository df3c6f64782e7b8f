/* spawn.c - clone(CLONE_VM | CLONE_VFORK) spawning with an exec report; see spawn.h.
 *
 * The report: a child that fails before its exec writes {stage, errno} into the parent's
 * memory, which it shares (spawn_run), or on a CLOEXEC pipe (spawn_start, whose callers read
 * it from their loop).  The memory report needs no pipe and no wait: a vfork parent is
 * released only once the child has exec'd (past the point where execve can return) or
 * exited, so when clone returns the report is final. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofmt.h"
#include "loop.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* The child's stack: its frames, the PATH search buffer and child_setup's.  Sanitizer
 * builds need roomier frames. */
#define SPAWN_STACK_SIZE (256u * 1024u)

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_ASAN 1
#endif
#endif
#ifdef SPAWN_ASAN
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif

struct spawn_msg {
	int stage;
	int err;
};

/* What the child reads, prepared by the parent; the child writes only report, and only
 * when it fails. */
struct spawn_child {
	const struct spawn_opts *o;
	int in, out, err;          /* stdio, /dev/null substituted */
	int report_fd;             /* write end of the CLOEXEC report pipe, or -1: report */
	const char *path;          /* PATH for a file without '/' */
	volatile struct spawn_msg report; /* err 0 until the child fails */
};

/* The kernel's struct sigaction (the generic layout: x86-64, arm64, riscv): the raw call
 * reaches the two signals glibc keeps for itself (SIGCANCEL, SIGSETXID) too, which its
 * sigaction() refuses - an ignored one would survive exec. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

/* ---- the child: system calls only ---- */

/* The child's end: the system call itself, not _exit() (sanitizer runtimes intercept that,
 * and would run their exit work in the parent's memory). */
SPAWN_CHILD_FN void spawn_child_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

SPAWN_CHILD_FN static void child_fail(struct spawn_child *c, int stage)
{
	struct spawn_msg m = { stage, errno > 0 ? errno : EIO };

	if (c->report_fd >= 0) {
		ssize_t n = write(c->report_fd, &m, sizeof(m));

		(void)n;
	} else {
		c->report.stage = m.stage;
		c->report.err = m.err;
	}
	spawn_child_exit(127);
}

/* execve of file, or of each PATH candidate as execvpe does. */
SPAWN_CHILD_FN static void child_exec(const struct spawn_child *c)
{
	const struct spawn_opts *o = c->o;
	const char *path = c->path;
	char full[4096];
	int saved = ENOENT;
	size_t flen;

	if (strchr(o->file, '/')) {
		execve(o->file, o->argv, o->envp);
		return;
	}
	flen = strlen(o->file);
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		/* An empty PATH element means the current directory. */
		if (n + flen + 2 < sizeof(full)) {
			size_t off = n ? n : 1;

			memcpy(full, n ? path : ".", off);
			full[off] = '/';
			memcpy(full + off + 1, o->file, flen + 1);
			execve(full, o->argv, o->envp);
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (!colon)
			break;
		path = colon + 1;
	}
	errno = saved;
}

/* fd to slot (0..2), clearing CLOEXEC when it already is there. */
SPAWN_CHILD_FN static int child_dup(int from, int to)
{
	if (from == to) {
		int fl = fcntl(from, F_GETFD);

		return fl < 0 ? -1 : fcntl(from, F_SETFD, fl & ~FD_CLOEXEC);
	}
	return dup2(from, to) < 0 ? -1 : 0;
}

SPAWN_CHILD_FN static int child_main(void *arg)
{
	struct spawn_child *c = arg;
	const struct spawn_opts *o = c->o;
	struct kernel_sigaction ksa = { SIG_DFL, 0, NULL, 0 };
	sigset_t none;
	int in, out, err;

	/* Handlers would run here, in the parent's memory, once the mask is emptied: every
	 * disposition goes back to the default first (SIG_IGN too: it would survive exec). */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			syscall(SYS_rt_sigaction, s, &ksa, NULL, sizeof(ksa.mask));
	if (o->setsid)
		setsid();
	else if (o->setpgid)
		setpgid(0, 0);
	/* Move the fds out of 0..2 first so dup2 cannot clobber one with another. */
	in = fcntl(c->in, F_DUPFD_CLOEXEC, 3);
	out = fcntl(c->out, F_DUPFD_CLOEXEC, 3);
	err = fcntl(c->err, F_DUPFD_CLOEXEC, 3);
	if (in < 0 || out < 0 || err < 0 || child_dup(in, 0) < 0 || child_dup(out, 1) < 0 ||
	    child_dup(err, 2) < 0)
		child_fail(c, SPAWN_STAGE_STDIO);
	if (o->setsid && o->ctty)
		ioctl(0, TIOCSCTTY, 0);
	if (o->cwd && chdir(o->cwd) < 0)
		child_fail(c, SPAWN_STAGE_CHDIR);
	if (o->set_ids) {
		/* Raw system calls: glibc's wrappers may signal other threads to switch theirs. */
		if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
			child_fail(c, SPAWN_STAGE_IDS);
		if (syscall(SYS_setgid, o->gid) < 0 || syscall(SYS_setuid, o->uid) < 0)
			child_fail(c, SPAWN_STAGE_IDS);
	}
	if (o->child_setup)
		o->child_setup(o->child_setup_data);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	child_exec(c);
	child_fail(c, SPAWN_STAGE_EXEC);
	return 127;
}

/* ---- the parent ---- */

/* The child's stack, mapped once per process and reused: spawns never overlap (the parent
 * sleeps until the child has exec'd), and a munmap after each one cost a TLB shootdown on
 * every CPU the shared memory had run on. */
static void *child_stack(void)
{
	static void *stack;

	if (!stack) {
		void *p = mmap(NULL, SPAWN_STACK_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		stack = p;
	}
#ifdef SPAWN_ASAN
	/* Instrumented code an earlier child ran may have left redzones on it. */
	__asan_unpoison_memory_region(stack, SPAWN_STACK_SIZE);
#endif
	return stack;
}

static const char *env_path(char *const *envp)
{
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			return *e + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* Starts the child described by c->o.  With ret_report_fd, the report goes on a pipe whose
 * read end (blocking) goes to the caller; without, into c->report. */
static int start(struct spawn_child *c, pid_t *ret_pid, int *ret_pidfd, int *ret_report_fd,
		 struct errbuf *eb)
{
	const struct spawn_opts *o = c->o;
	int ep[2] = { -1, -1 }, devnull = -1, pidfd = -1, r;
	sigset_t all, old;
	char msg[128];
	void *stack;
	pid_t pid;

	if (ret_report_fd && pipe2(ep, O_CLOEXEC) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create pipe: %s", strerror(errno));
		return r;
	}
	if (o->stdin_fd < 0 || o->stdout_fd < 0 || o->stderr_fd < 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0) {
			r = -errno;
			errbuf_set(eb, "cannot open /dev/null: %s", strerror(errno));
			goto fail;
		}
	}
	stack = child_stack();
	if (!stack) {
		r = -errno;
		errbuf_set(eb, "fork/exec %s: %s", o->file, gofmt_strerror(-r, msg, sizeof(msg)));
		goto fail;
	}
	c->in = o->stdin_fd >= 0 ? o->stdin_fd : devnull;
	c->out = o->stdout_fd >= 0 ? o->stdout_fd : devnull;
	c->err = o->stderr_fd >= 0 ? o->stderr_fd : devnull;
	c->report_fd = ep[1];
	c->path = env_path(o->envp);
	c->report.stage = 0;
	c->report.err = 0;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* The parent sleeps until the child has exec'd or exited (CLONE_VFORK); the pidfd
	 * comes with the clone, so the pid is pinned from the start. */
	pid = clone(child_main, (char *)stack + SPAWN_STACK_SIZE,
		    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, c, &pidfd);
	if (pid < 0 && errno == EINVAL) {
		pidfd = -1;
		pid = clone(child_main, (char *)stack + SPAWN_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD,
			    c);
		if (pid > 0)
			pidfd = loop_pidfd_open(pid);
	}
	r = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ep[1] >= 0)
		close(ep[1]);
	ep[1] = -1;
	if (r < 0) {
		errbuf_set(eb, "fork/exec %s: %s", o->file, gofmt_strerror(-r, msg, sizeof(msg)));
		goto fail;
	}
	if (devnull >= 0)
		close(devnull);
	*ret_pid = pid;
	*ret_pidfd = pidfd;
	if (ret_report_fd)
		*ret_report_fd = ep[0];
	return 0;
fail:
	if (devnull >= 0)
		close(devnull);
	for (int i = 0; i < 2; i++)
		if (ep[i] >= 0)
			close(ep[i]);
	return r;
}

int spawn_start(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, int *ret_report_fd,
		struct errbuf *eb)
{
	struct spawn_child c = { .o = o };
	int r = start(&c, ret_pid, ret_pidfd, ret_report_fd, eb);

	if (r == 0)
		fcntl(*ret_report_fd, F_SETFL, O_NONBLOCK);
	return r;
}

/* The error of a child's report: "fork/exec <file>: ..." or "chdir <cwd>: ...". */
static int report_error(const struct spawn_msg *m, const char *file, const char *cwd,
			struct errbuf *eb)
{
	char msg[128];

	gofmt_strerror(m->err, msg, sizeof(msg));
	if (m->stage == SPAWN_STAGE_CHDIR)
		errbuf_set(eb, "chdir %s: %s", cwd ? cwd : "", msg);
	else
		errbuf_set(eb, "fork/exec %s: %s", file, msg);
	return -m->err;
}

int spawn_report(int fd, const char *file, const char *cwd, struct errbuf *eb)
{
	struct spawn_msg m;
	ssize_t n;

	do {
		n = read(fd, &m, sizeof(m));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n != (ssize_t)sizeof(m) || m.err <= 0) {
		errbuf_set(eb, "fork/exec %s: cannot read exec status", file);
		return -EIO;
	}
	return report_error(&m, file, cwd, eb);
}

int spawn_run(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, struct errbuf *eb)
{
	struct spawn_child c = { .o = o };
	pid_t pid;
	int pidfd, r;

	r = start(&c, &pid, &pidfd, NULL, eb);
	if (r < 0)
		return r;
	/* The child has exec'd or exited by now (CLONE_VFORK): its report, if any, is there. */
	if (c.report.err) {
		struct spawn_msg m = { c.report.stage, c.report.err };

		r = report_error(&m, o->file, o->cwd, eb);
	}
	if (r < 0) {
		/* The child is about to _exit(127), or has: reap it here so no caller ever sees
		 * it. */
		if (pidfd >= 0)
			close(pidfd);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return r;
	}
	*ret_pid = pid;
	*ret_pidfd = pidfd;
	return 0;
}
