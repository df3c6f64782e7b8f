/* workload.c - supervision of one container's scree; see workload.h. */
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/spawn.h"

extern char **environ;

struct workload {
	struct loop *l;
	struct workload_opts o;
	char *name, *dir, *scree_path;
	char *socket_path, *state_dir, *pid_path, *log_path, *boot_path;
	char ready_buf[WORKLOAD_BOOT_ID_MAX + 2];
	size_t ready_len;
	pid_t pid;
	bool is_child;           /* started by us (reaped by the loop) vs adopted */
	int adopt_pidfd;         /* pidfd of an adopted scree, watched for its exit */
	struct loop_io *adopt_io;
	int ready_fd;            /* read end of the readiness pipe */
	struct loop_io *ready_io;
	struct loop_timer *restart_timer;
	bool stopping;           /* destroy/restart in progress: don't auto-restart */
	bool settled;            /* the running scree has reported its boot id */
	bool restart_after_exit;
};

static void wlog(struct workload *w, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void wlog(struct workload *w, const char *level, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (w->o.log)
		w->o.log(w->o.data, w, level, b.data);
	buf_done(&b);
}

bool workload_settled(const struct workload *w)
{
	return w->settled;
}



/* The scree's boot id is known: it is ready. */
static void announce(struct workload *w, const char *id)
{
	w->settled = true;
	if (w->o.ready)
		w->o.ready(w->o.data, w, id);
}

/* Records "<pid> <boot id>" beside the pid file, so a later agent that adopts this scree
 * knows its boot id without asking it. */
static void save_boot_id(struct workload *w, const char *id)
{
	char line[WORKLOAD_BOOT_ID_MAX + 32];
	int n = snprintf(line, sizeof(line), "%d %s\n", (int)w->pid, id);

	if (fs_write_atomic(w->boot_path, line, (size_t)n, 0600) < 0)
		wlog(w, "WARNING", "container %s: cannot record the boot id", w->name);
}

static void close_ready(struct workload *w)
{
	if (w->ready_io) {
		loop_io_free(w->ready_io);
		w->ready_io = NULL;
	}
	if (w->ready_fd >= 0) {
		close(w->ready_fd);
		w->ready_fd = -1;
	}
}

/* The scree writes its boot id and a newline on the ready pipe once its API listens
 * (scree daemon.c notify_ready), then closes it. */
static void on_ready(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct workload *w = data;
	char chunk[WORKLOAD_BOOT_ID_MAX + 2];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *nl;

	(void)io;
	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && w->ready_len + (size_t)n < sizeof(w->ready_buf)) {
		memcpy(w->ready_buf + w->ready_len, chunk, (size_t)n);
		w->ready_len += (size_t)n;
		w->ready_buf[w->ready_len] = '\0';
		nl = strchr(w->ready_buf, '\n');
		if (!nl)
			return;
		*nl = '\0';
		close_ready(w);
		if (!w->ready_buf[0]) {
			wlog(w, "WARNING", "container %s: pebble reported no boot id", w->name);
			return;
		}
		save_boot_id(w, w->ready_buf);
		announce(w, w->ready_buf);
		return;
	}
	close_ready(w);
	/* EOF without a boot id: the scree died before listening; its exit restarts it. */
}

static int spawn_scree(struct workload *w);

static void on_restart_timer(struct loop_timer *t, void *data)
{
	struct workload *w = data;

	(void)t;
	if (spawn_scree(w) < 0)
		loop_timer_arm_in(w->restart_timer, WORKLOAD_RESTART_DELAY_MS * 4);
}

static void exited(struct workload *w)
{
	w->pid = 0;
	w->settled = false;
	close_ready(w);
	unlink(w->pid_path);
	unlink(w->boot_path);
	if (w->restart_after_exit) {
		w->restart_after_exit = false;
		w->stopping = false;
		if (spawn_scree(w) < 0)
			loop_timer_arm_in(w->restart_timer, WORKLOAD_RESTART_DELAY_MS);
		return;
	}
	if (w->stopping)
		return;
	wlog(w, "WARNING", "container %s: pebble exited; restarting it", w->name);
	loop_timer_arm_in(w->restart_timer, WORKLOAD_RESTART_DELAY_MS);
}

static void on_child_exit(struct loop *l, pid_t pid, int ws, void *data)
{
	struct workload *w = data;

	(void)l;
	(void)pid;
	(void)ws;
	exited(w);
}

static void on_adopted_exit(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct workload *w = data;

	(void)io;
	(void)fd;
	(void)events;
	loop_io_free(w->adopt_io);
	w->adopt_io = NULL;
	close(w->adopt_pidfd);
	w->adopt_pidfd = -1;
	exited(w);
}

static int spawn_scree(struct workload *w)
{
	int p[2] = { -1, -1 };
	int logfd = -1, pidfd = -1, r;
	char **envp = NULL;
	size_t n = 0;
	struct errbuf eb;
	pid_t pid;

	fs_mkdir_p(w->state_dir, 0700);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* The write end must survive exec: the scree writes its readiness byte there. */
	int wfd = fcntl(p[1], F_DUPFD, 3);

	close(p[1]);
	p[1] = wfd;
	logfd = open(w->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	for (char **e = environ; e && *e; e++) {
		if (!strncmp(*e, "PEBBLE", 6) || !strncmp(*e, "SCREE_", 6) || !strncmp(*e, "NOTIFY_", 7))
			continue;
		envp = xrealloc(envp, (n + 2) * sizeof(char *));
		envp[n++] = xstrdup(*e);
	}
	envp = xrealloc(envp, (n + 4) * sizeof(char *));
	envp[n++] = xasprintf("PEBBLE=%s", w->state_dir);
	envp[n++] = xasprintf("PEBBLE_SOCKET=%s", w->socket_path);
	envp[n++] = xasprintf("SCREE_READY_FD=%d", p[1]);
	envp[n] = NULL;
	char *argv[] = { w->scree_path, "run", "--create-dirs", NULL };
	struct spawn_opts o = {
		.file = w->scree_path, .argv = argv, .envp = envp, .cwd = w->dir,
		.stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd, .setsid = true,
	};

	r = spawn_run(&o, &pid, &pidfd, &eb);
	close(p[1]);
	if (logfd >= 0)
		close(logfd);
	for (size_t i = 0; i < n; i++)
		free(envp[i]);
	free(envp);
	if (r < 0) {
		close(p[0]);
		wlog(w, "ERROR", "container %s: cannot start pebble: %s", w->name, eb.msg);
		return r;
	}
	w->pid = pid;
	w->is_child = true;
	w->settled = false;
	w->ready_len = 0;
	w->ready_fd = p[0];
	w->ready_io = loop_io_new(w->l, p[0], EPOLLIN, on_ready, w);
	loop_add_child(w->l, pid, pidfd, on_child_exit, w);
	{
		char pidbuf[32];
		int len = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)pid);

		fs_write_atomic(w->pid_path, pidbuf, (size_t)len, 0600);
	}
	wlog(w, "INFO", "container %s: started pebble (pid %d)", w->name, (int)pid);
	return 0;
}

/* Adopts the scree named by the pid file if it is alive and answers. */
static bool try_adopt(struct workload *w)
{
	struct buf b = BUF_INIT;
	char exe[4096], link[64];
	long pid;
	ssize_t n;
	int fd;

	buf_init(&b);
	if (fs_read_file(w->pid_path, 64, &b) < 0) {
		buf_done(&b);
		return false;
	}
	pid = strtol(b.data, NULL, 10);
	buf_done(&b);
	if (pid <= 1)
		return false;
	snprintf(link, sizeof(link), "/proc/%ld/exe", pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	{
		const char *base = strrchr(exe, '/');

		base = base ? base + 1 : exe;
		if (strncmp(base, "scree", 5) != 0)
			return false; /* the pid was recycled by something else */
	}
	fd = loop_pidfd_open((pid_t)pid);
	if (fd < 0)
		return false;
	w->pid = (pid_t)pid;
	w->is_child = false;
	w->adopt_pidfd = fd;
	w->adopt_io = loop_io_new(w->l, fd, EPOLLIN, on_adopted_exit, w);
	wlog(w, "INFO", "container %s: adopted running pebble (pid %ld)", w->name, pid);
	return true;
}

/* The boot id recorded for the adopted pid, if any. */
static int adopted_boot_id(struct workload *w, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	long pid;
	char *end;
	int r = -ENOENT;

	buf_init(&b);
	if (fs_read_file(w->boot_path, 256, &b) == 0) {
		pid = strtol(b.data, &end, 10);
		if (pid == (long)w->pid && *end == ' ') {
			end++;
			end[strcspn(end, "\n")] = '\0';
			if (*end && strlen(end) < n) {
				snprintf(out, n, "%s", end);
				r = 0;
			}
		}
	}
	buf_done(&b);
	return r;
}

int workload_start(struct loop *l, const struct workload_opts *o, struct workload **ret)
{
	struct workload *w = xcalloc(1, sizeof(*w));
	int r;

	w->l = l;
	w->o = *o;
	w->name = xstrdup(o->name);
	w->dir = xstrdup(o->dir);
	w->scree_path = xstrdup(o->scree_path);
	w->o.name = w->name;
	w->o.dir = w->dir;
	w->o.scree_path = w->scree_path;
	w->socket_path = xasprintf("%s/pebble.socket", o->dir);
	w->state_dir = xasprintf("%s/state", o->dir);
	w->pid_path = xasprintf("%s/scree.pid", o->dir);
	w->log_path = xasprintf("%s/scree.log", o->dir);
	w->boot_path = xasprintf("%s/scree.boot-id", o->dir);
	w->ready_fd = -1;
	w->adopt_pidfd = -1;
	w->restart_timer = loop_timer_new(l, on_restart_timer, w);
	r = fs_mkdir_p(o->dir, 0755);
	if (r < 0) {
		workload_detach(w);
		return r;
	}
	if (try_adopt(w)) {
		char id[WORKLOAD_BOOT_ID_MAX];

		if (adopted_boot_id(w, id, sizeof(id)) == 0) {
			announce(w, id);
		} else {
			/* Adopted before it ever reported ready: start it afresh to learn its id. */
			wlog(w, "INFO", "container %s: restarting pebble (boot id unknown)", w->name);
			workload_restart(w);
		}
	} else if ((r = spawn_scree(w)) < 0) {
		loop_timer_arm_in(w->restart_timer, WORKLOAD_RESTART_DELAY_MS);
	}
	*ret = w;
	return 0;
}

static void terminate(struct workload *w)
{
	if (!w->pid)
		return;
	if (w->is_child)
		loop_kill_child(w->l, w->pid, SIGTERM, false);
	else if (w->adopt_pidfd >= 0)
		kill(w->pid, SIGTERM);
}

void workload_restart(struct workload *w)
{
	if (!w->pid) {
		loop_timer_disarm(w->restart_timer);
		if (spawn_scree(w) < 0)
			loop_timer_arm_in(w->restart_timer, WORKLOAD_RESTART_DELAY_MS);
		return;
	}
	w->stopping = true;
	w->restart_after_exit = true;
	w->settled = false;
	wlog(w, "INFO", "container %s: restarting pebble", w->name);
	terminate(w);
}

static void workload_free(struct workload *w)
{
	close_ready(w);
	if (w->adopt_io)
		loop_io_free(w->adopt_io);
	if (w->adopt_pidfd >= 0)
		close(w->adopt_pidfd);
	if (w->pid && w->is_child)
		loop_forget_child(w->l, w->pid);
	loop_timer_free(w->restart_timer);
	free(w->name);
	free(w->dir);
	free(w->scree_path);
	free(w->socket_path);
	free(w->state_dir);
	free(w->pid_path);
	free(w->log_path);
	free(w->boot_path);
	free(w);
}

/* Screes told to stop by workload_destroy, until they are gone. */
static struct dying {
	pid_t pid;
	int pidfd;
	struct loop_io *io;
	struct dying *next;
} *dying;

static void dying_drop(struct dying *d)
{
	struct dying **pp = &dying;

	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	loop_io_free(d->io);
	if (d->pidfd >= 0)
		close(d->pidfd);
	free(d);
}

/* A stopped scree is gone: forget it (the loop reaps it as an orphan). */
static void on_dying_exit(struct loop_io *io, int fd, uint32_t events, void *data)
{
	(void)io;
	(void)fd;
	(void)events;
	dying_drop(data);
}

void workload_wait_destroyed(int timeout_ms)
{
	uint64_t deadline = loop_now_ms() + (uint64_t)timeout_ms;

	while (dying) {
		struct dying *d = dying;
		struct pollfd p = { .fd = d->pidfd, .events = POLLIN };
		uint64_t now = loop_now_ms();
		int left = now < deadline ? (int)(deadline - now) : 0;

		if (d->pidfd < 0 || poll(&p, 1, left) <= 0) {
			kill(d->pid, SIGKILL);
			if (d->pidfd >= 0)
				poll(&p, 1, 2000);
		}
		waitpid(d->pid, NULL, WNOHANG);
		dying_drop(d);
	}
}

void workload_destroy(struct workload *w)
{
	if (!w)
		return;
	w->stopping = true;
	if (w->pid) {
		struct dying *d = xcalloc(1, sizeof(*d));

		d->pid = w->pid;
		d->pidfd = loop_pidfd_open(w->pid);
		if (d->pidfd >= 0)
			d->io = loop_io_new(w->l, d->pidfd, EPOLLIN, on_dying_exit, d);
		d->next = dying;
		dying = d;
	}
	terminate(w);
	unlink(w->pid_path);
	unlink(w->boot_path);
	workload_free(w);
}

void workload_detach(struct workload *w)
{
	if (w)
		workload_free(w);
}
