/* spawn.c - fork/exec with error reporting over a CLOEXEC pipe; see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofmt.h"
#include "loop.h"

/* Looks file up in the PATH found in envp (or the default path). */
static void exec_search(const char *file, char *const *argv, char *const *envp)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char full[4096];
	int saved = ENOENT;

	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return;
	}
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		/* An empty PATH element means the current directory. */
		if (n + strlen(file) + 2 < sizeof(full)) {
			memcpy(full, n ? path : ".", n ? n : 1);
			size_t off = n ? n : 1;
			full[off] = '/';
			strcpy(full + off + 1, file);
			execve(full, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (!colon)
			break;
		path = colon + 1;
	}
	errno = saved;
}

static void child_dup(int from, int to)
{
	if (from == to) {
		/* Clear CLOEXEC so the fd survives exec. */
		int fl = fcntl(from, F_GETFD);
		if (fl >= 0)
			fcntl(from, F_SETFD, fl & ~FD_CLOEXEC);
		return;
	}
	dup2(from, to);
}

int spawn_run(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, struct errbuf *eb)
{
	sigset_t all, old;
	int ep[2] = { -1, -1 };
	int devnull = -1;
	pid_t pid;
	int err = 0, r;
	ssize_t n;
	char msg[128];

	if (pipe2(ep, O_CLOEXEC) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create pipe: %s", strerror(errno));
		return r;
	}
	if (o->stdin_fd < 0 || o->stdout_fd < 0 || o->stderr_fd < 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		int in = o->stdin_fd >= 0 ? o->stdin_fd : devnull;
		int out = o->stdout_fd >= 0 ? o->stdout_fd : devnull;
		int errfd = o->stderr_fd >= 0 ? o->stderr_fd : devnull;
		sigset_t none;

		for (int s = 1; s < 65; s++)
			signal(s, SIG_DFL);
		if (o->setsid)
			setsid();
		else if (o->setpgid)
			setpgid(0, 0);
		/* Move the fds out of the 0..2 range first so dup2 cannot clobber one with another. */
		in = fcntl(in, F_DUPFD_CLOEXEC, 3);
		out = fcntl(out, F_DUPFD_CLOEXEC, 3);
		errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
		child_dup(in, 0);
		child_dup(out, 1);
		child_dup(errfd, 2);
		if (o->cwd && chdir(o->cwd) < 0)
			goto child_fail;
		if (o->set_ids) {
			if (setgroups(0, NULL) < 0 && errno != EPERM)
				goto child_fail;
			if (setgid(o->gid) < 0 || setuid(o->uid) < 0)
				goto child_fail;
		}
		if (o->child_setup)
			o->child_setup(o->child_setup_data);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exec_search(o->file, o->argv, o->envp);
	child_fail:
		err = errno;
		n = write(ep[1], &err, sizeof(err));
		(void)n;
		_exit(127);
	}
	r = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (devnull >= 0)
		close(devnull);
	if (r < 0) {
		close(ep[0]);
		errbuf_set(eb, "fork/exec %s: %s", o->file, gofmt_strerror(-r, msg, sizeof(msg)));
		return r;
	}
	/* Open the pidfd before the child could possibly be reaped: we are its parent and the
	 * loop only reaps on its own, so the pid cannot be recycled before this call. */
	int pidfd = loop_pidfd_open(pid);

	do {
		n = read(ep[0], &err, sizeof(err));
	} while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(err)) {
		/* exec failed: the child is about to _exit(127); reap it here so no caller
		 * ever sees it. */
		errbuf_set(eb, "fork/exec %s: %s", o->file, gofmt_strerror(err, msg, sizeof(msg)));
		if (pidfd >= 0)
			close(pidfd);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -err;
	}
	*ret_pid = pid;
	*ret_pidfd = pidfd;
	return 0;
}
