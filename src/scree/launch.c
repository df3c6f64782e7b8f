/* launch.c - asynchronous fork/exec for services; see launch.h. */
#include "launch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/loop.h"

#define LAUNCH_MAX_PATH 4096

enum launch_stage {
	LAUNCH_STAGE_CHDIR = 1,
	LAUNCH_STAGE_IDS,
	LAUNCH_STAGE_EXEC,
};

struct launch_report {
	int stage;
	int err;
};

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int launch_look_path(const char *name, char *out, size_t n, struct errbuf *eb)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		snprintf(out, n, "%s", name);
		return 0;
	}
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0)
			snprintf(out, n, "./%s", name);
		else
			snprintf(out, n, "%.*s/%s", (int)len, p, name);
		if (is_executable(out))
			return 0;
		if (!end)
			break;
		p = end;
	}
	errbuf_set(eb, "exec: \"%s\": executable file not found in $PATH", name);
	return -ENOENT;
}

/* The limit the daemon was started with, restored in every child (launch_raise_nofile). */
static struct rlimit nofile_orig;
static bool nofile_raised;

int launch_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	nofile_orig = rl;
	if (rl.rlim_cur >= rl.rlim_max || rl.rlim_cur >= LAUNCH_NOFILE_MAX)
		return 0;
	rl.rlim_cur = rl.rlim_max > LAUNCH_NOFILE_MAX ? LAUNCH_NOFILE_MAX : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	nofile_raised = true;
	return 0;
}

static void child_fail(int fd, int stage)
{
	struct launch_report r = { stage, errno };
	ssize_t n = write(fd, &r, sizeof(r));

	(void)n;
	_exit(127);
}

int launch_start(const struct launch_opts *o, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd,
		 struct errbuf *eb)
{
	char prog[LAUNCH_MAX_PATH], msg[128];
	int ep[2] = { -1, -1 }, devnull, rv;
	sigset_t all, old;
	pid_t pid;

	if (!o->argv || !o->argv[0] || !o->argv[0][0])
		return errbuf_set(eb, "empty command"), -EINVAL;
	rv = launch_look_path(o->argv[0], prog, sizeof(prog), eb);
	if (rv < 0)
		return rv;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		rv = -errno;
		errbuf_set(eb, "cannot create pipe: %s", strerror(errno));
		return rv;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int in, out, err;

		if (o->gate_wfd >= 0)
			close(o->gate_wfd);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		if (o->setsid)
			setsid();
		else
			setpgid(0, 0);
		if (o->gate_rfd >= 0) {
			char c;

			while (read(o->gate_rfd, &c, 1) < 0 && errno == EINTR)
				;
			close(o->gate_rfd);
		}
		/* Move fds above 2 first so dup2 cannot clobber one with another. */
		in = o->stdio ? fcntl(o->in_fd, F_DUPFD_CLOEXEC, 3) : devnull;
		out = fcntl(o->out_fd, F_DUPFD_CLOEXEC, 3);
		err = o->stdio ? fcntl(o->err_fd, F_DUPFD_CLOEXEC, 3) : out;
		if (in >= 0)
			dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (o->ctty)
			ioctl(0, TIOCSCTTY, 0);
		if (o->cwd && chdir(o->cwd) < 0)
			child_fail(ep[1], LAUNCH_STAGE_CHDIR);
		if (o->set_ids) {
			if (setgroups(0, NULL) < 0 && errno != EPERM)
				child_fail(ep[1], LAUNCH_STAGE_IDS);
			if (setgid(o->gid) < 0 || setuid(o->uid) < 0)
				child_fail(ep[1], LAUNCH_STAGE_IDS);
		}
		if (nofile_raised)
			setrlimit(RLIMIT_NOFILE, &nofile_orig);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(prog, o->argv, o->envp);
		child_fail(ep[1], LAUNCH_STAGE_EXEC);
	}
	rv = pid < 0 ? -errno : 0;
	/* Also from the parent, so a signal to the group right after this call cannot miss
	 * a child that has not run yet (the classic job-control double setpgid).  Not for a
	 * new session: setsid() fails in a process that already leads a group. */
	if (pid > 0 && !o->setsid)
		setpgid(pid, pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (devnull >= 0)
		close(devnull);
	if (rv < 0) {
		close(ep[0]);
		errbuf_set(eb, "fork/exec %s: %s", prog, gofmt_strerror(-rv, msg, sizeof(msg)));
		return rv;
	}
	fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
	/* We are the parent and only the loop reaps, so the pid cannot be recycled yet. */
	*ret_pidfd = loop_pidfd_open(pid);
	*ret_pid = pid;
	*ret_status_fd = ep[0];
	return 0;
}

int launch_check(int fd, const char *program, const char *cwd, struct errbuf *eb)
{
	struct launch_report r;
	char msg[128];
	ssize_t n;

	do {
		n = read(fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n != (ssize_t)sizeof(r)) {
		errbuf_set(eb, "fork/exec %s: cannot read exec status", program);
		return -EIO;
	}
	gofmt_strerror(r.err, msg, sizeof(msg));
	if (r.stage == LAUNCH_STAGE_CHDIR)
		errbuf_set(eb, "chdir %s: %s", cwd ? cwd : "", msg);
	else
		errbuf_set(eb, "fork/exec %s: %s", program, msg);
	return -(r.err ? r.err : EIO);
}

extern char **environ;

void launch_env_set(char ***envp, size_t *n, const char *key, const char *val)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], key, klen) == 0 && (*envp)[i][klen] == '=') {
			free((*envp)[i]);
			(*envp)[i] = xasprintf("%s=%s", key, val);
			return;
		}
	}
	*envp = xrealloc(*envp, (*n + 2) * sizeof(char *));
	(*envp)[(*n)++] = xasprintf("%s=%s", key, val);
	(*envp)[*n] = NULL;
}

const char *launch_env_get(char *const *envp, size_t n, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=')
			return envp[i] + klen + 1;
	return NULL;
}

void launch_env_unset(char **envp, size_t *n, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < *n; i++) {
		if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=') {
			free(envp[i]);
			memmove(envp + i, envp + i + 1, (*n - i) * sizeof(char *)); /* with the NULL */
			(*n)--;
			return;
		}
	}
}

char **launch_env(const struct plan_strmap *overlay, size_t *ret_n)
{
	char **envp = xcalloc(1, sizeof(char *));
	size_t n = 0;

	for (char **e = environ; e && *e; e++) {
		envp = xrealloc(envp, (n + 2) * sizeof(char *));
		envp[n++] = xstrdup(*e);
		envp[n] = NULL;
	}
	for (size_t i = 0; overlay && i < overlay->n; i++)
		launch_env_set(&envp, &n, overlay->v[i].key, overlay->v[i].val);
	*ret_n = n;
	return envp;
}

void launch_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
