/* supervise.c - machine 0's agent; see supervise.h. */
#include "cairnd/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/spawn.h"

extern char **environ;

struct supervisor {
	struct loop *l;
	char *home, *agent, *pid_path, *log_path;
	void (*log)(void *data, const char *level, const char *msg);
	void *data;
	pid_t pid;
	bool is_child;         /* spawned by us (reaped by the loop) vs adopted */
	int pidfd;             /* adopted: watched for its exit */
	struct loop_io *pid_io;
	struct loop_timer *restart;
	uint64_t delay_ms;
	uint64_t started_ms;
	bool stopping;
};

static void slog(struct supervisor *s, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void slog(struct supervisor *s, const char *level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->log)
		s->log(s->data, level, msg);
}

static int spawn_agent(struct supervisor *s);

static void exited(struct supervisor *s, int wstatus, bool known)
{
	uint64_t lived = loop_now_ms() - s->started_ms;

	s->pid = 0;
	if (s->stopping)
		return;
	if (known && WIFEXITED(wstatus))
		slog(s, "WARNING", "machine 0 agent exited with status %d; starting it again",
		     WEXITSTATUS(wstatus));
	else if (known && WIFSIGNALED(wstatus))
		slog(s, "WARNING", "machine 0 agent killed by signal %d; starting it again",
		     WTERMSIG(wstatus));
	else
		slog(s, "WARNING", "machine 0 agent died; starting it again");
	if (lived >= SUPERVISE_STABLE_MS)
		s->delay_ms = SUPERVISE_RESTART_MIN_MS;
	loop_timer_arm_in(s->restart, s->delay_ms);
	s->delay_ms = s->delay_ms * 2 > SUPERVISE_RESTART_MAX_MS ? SUPERVISE_RESTART_MAX_MS : s->delay_ms * 2;
}

static void on_child(struct loop *l, pid_t pid, int wstatus, void *data)
{
	(void)l;
	(void)pid;
	exited(data, wstatus, true);
}

static void on_adopted_exit(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct supervisor *s = data;

	(void)io;
	(void)fd;
	(void)events;
	loop_io_free(s->pid_io);
	s->pid_io = NULL;
	close(s->pidfd);
	s->pidfd = -1;
	exited(s, 0, false);
}

static void on_restart(struct loop_timer *t, void *data)
{
	struct supervisor *s = data;

	(void)t;
	if (spawn_agent(s) < 0)
		exited(s, 0, false);
}

static int spawn_agent(struct supervisor *s)
{
	char *argv[] = { s->agent, "run", "--home", s->home, NULL };
	struct spawn_opts o;
	struct errbuf eb;
	int logfd, pidfd = -1, r;
	pid_t pid;

	{
		char *dir = xasprintf("%s/agents/machine-0", s->home);

		fs_mkdir_p(dir, 0700);
		free(dir);
	}
	logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	memset(&o, 0, sizeof(o));
	o.file = s->agent;
	o.argv = argv;
	o.envp = environ;
	o.cwd = "/";
	o.stdin_fd = -1;
	o.stdout_fd = logfd;
	o.stderr_fd = logfd;
	/* Its own session: the agent (and the hooks and screes it runs) outlive cairnd. */
	o.setsid = true;
	r = spawn_run(&o, &pid, &pidfd, &eb);
	if (logfd >= 0)
		close(logfd);
	if (r < 0) {
		slog(s, "ERROR", "cannot start machine 0 agent: %s", eb.msg);
		return r;
	}
	s->pid = pid;
	s->is_child = true;
	s->started_ms = loop_now_ms();
	loop_add_child(s->l, pid, pidfd, on_child, s);
	slog(s, "INFO", "started machine 0 agent (pid %d)", (int)pid);
	return 0;
}

/* The pid in the agent's pid file, if it is a cairn-agent run for this home. */
static pid_t running_agent(struct supervisor *s)
{
	struct buf b = BUF_INIT;
	char path[64], exe[4096];
	const char *base;
	long pid;
	ssize_t n;
	pid_t r = 0;

	buf_init(&b);
	if (fs_read_file(s->pid_path, 64, &b) < 0)
		goto out;
	pid = strtol(b.data, NULL, 10);
	if (pid <= 1)
		goto out;
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		goto out;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	if (strcmp(base ? base + 1 : exe, "cairn-agent"))
		goto out;
	/* Same home: its command line is "cairn-agent run --home <home>". */
	buf_reset(&b);
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (fs_read_file(path, 8192, &b) < 0)
		goto out;
	for (size_t i = 0; i + 7 < b.len; i++) {
		if (!strcmp(b.data + i, "--home") && i + 7 < b.len && !strcmp(b.data + i + 7, s->home)) {
			r = (pid_t)pid;
			break;
		}
		i += strlen(b.data + i);
	}
out:
	buf_done(&b);
	return r;
}

int supervise_start(struct loop *l, const char *home, const char *agent,
		    void (*log)(void *data, const char *level, const char *msg), void *data,
		    struct supervisor **ret, struct errbuf *eb)
{
	struct supervisor *s = xcalloc(1, sizeof(*s));
	pid_t pid;

	s->l = l;
	s->home = xstrdup(home);
	s->agent = xstrdup(agent);
	s->pid_path = xasprintf("%s/agents/machine-0/agent.pid", home);
	s->log_path = xasprintf("%s/agents/machine-0/agent.log", home);
	s->log = log;
	s->data = data;
	s->pidfd = -1;
	s->delay_ms = SUPERVISE_RESTART_MIN_MS;
	s->restart = loop_timer_new(l, on_restart, s);
	pid = running_agent(s);
	if (pid) {
		s->pidfd = loop_pidfd_open(pid);
		if (s->pidfd >= 0) {
			s->pid = pid;
			s->is_child = false;
			s->started_ms = loop_now_ms();
			s->pid_io = loop_io_new(l, s->pidfd, EPOLLIN, on_adopted_exit, s);
			/* It is probably waiting out a reconnect delay: come now. */
			kill(pid, SIGHUP);
			slog(s, "INFO", "adopted the running machine 0 agent (pid %d)", (int)pid);
			*ret = s;
			return 0;
		}
	}
	if (spawn_agent(s) < 0) {
		errbuf_set(eb, "cannot start the machine agent %s", agent);
		loop_timer_arm_in(s->restart, s->delay_ms);
	}
	*ret = s;
	return 0;
}

pid_t supervise_pid(const struct supervisor *s)
{
	return s ? s->pid : 0;
}

/* Waits (blocking) for the agent to exit, at most timeout_ms; true when it did. */
static bool wait_exit(struct supervisor *s, int timeout_ms)
{
	int fd = s->pidfd >= 0 ? s->pidfd : loop_pidfd_open(s->pid);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	bool gone;

	if (fd < 0)
		return kill(s->pid, 0) < 0;
	gone = poll(&p, 1, timeout_ms) > 0;
	if (fd != s->pidfd)
		close(fd);
	if (gone && s->is_child) {
		loop_forget_child(s->l, s->pid);
		waitpid(s->pid, NULL, WNOHANG);
	}
	return gone;
}

static void release(struct supervisor *s)
{
	loop_io_free(s->pid_io);
	if (s->pidfd >= 0)
		close(s->pidfd);
	loop_timer_free(s->restart);
	free(s->home);
	free(s->agent);
	free(s->pid_path);
	free(s->log_path);
	free(s);
}

void supervise_stop(struct supervisor *s, int timeout_ms)
{
	if (!s)
		return;
	s->stopping = true;
	if (s->pid) {
		kill(s->pid, SIGTERM);
		if (!wait_exit(s, timeout_ms)) {
			kill(s->pid, SIGKILL);
			wait_exit(s, 2000);
		}
	}
	release(s);
}

void supervise_release(struct supervisor *s, int timeout_ms)
{
	if (!s)
		return;
	s->stopping = true;
	if (s->pid && !wait_exit(s, timeout_ms)) {
		kill(s->pid, SIGKILL);
		wait_exit(s, 2000);
	}
	release(s);
}
