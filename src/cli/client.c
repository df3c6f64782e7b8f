/* client.c - controller discovery, auto-start and request/response; see client.h. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/msg.h"
#include "lib/spawn.h"

extern char **environ;

int client_init(struct client *c, struct errbuf *eb)
{
	const char *home = getenv("CAIRN_HOME");

	c->fd = -1;
	c->home = NULL;
	c->sock_path = NULL;
	c->start_args = NULL;
	c->n_start_args = 0;
	if (home && *home) {
		c->home = xstrdup(home);
	} else {
		const char *h = getenv("HOME");

		if (!h || !*h) {
			errbuf_set(eb, "cannot find the cairn home: neither CAIRN_HOME nor HOME is set");
			return -ENOENT;
		}
		c->home = xasprintf("%s/.local/share/cairn", h);
	}
	c->sock_path = xasprintf("%s/cairnd.sock", c->home);
	return 0;
}

void client_done(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->home);
	free(c->sock_path);
	c->home = NULL;
	c->sock_path = NULL;
}

int client_connect(struct client *c, struct errbuf *eb)
{
	int fd = msg_connect_unix(c->sock_path);

	if (fd == -ENAMETOOLONG) {
		errbuf_set(eb, "controller socket path %s is too long", c->sock_path);
		return fd;
	}
	if (fd < 0) {
		errbuf_set(eb, "cannot connect to the controller at %s: %s", c->sock_path,
			   strerror(-fd));
		return fd;
	}
	c->fd = fd;
	return 0;
}

/* Directory of the running binary (the controller binary is installed beside it). */
static char *self_dir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xstrdup(slash == path ? "/" : path);
}

/* Runs in the spawned child just before exec: the ready pipe's write end must survive. */
SPAWN_CHILD_FN static void keep_ready_fd(void *data)
{
	int fd = *(int *)data;
	int fl = fcntl(fd, F_GETFD);

	if (fl >= 0)
		fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
}

/* Blocks until the ready pipe yields a byte (1), EOF (0) or the deadline passes (-ETIMEDOUT). */
static int wait_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char byte;
	ssize_t n;
	int r;

	do {
		r = poll(&p, 1, CLIENT_START_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	do {
		n = read(fd, &byte, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 1 ? 1 : 0;
}

/* Starts a controller and waits for its readiness byte.  Returns 0 or -errno (eb filled). */
static int start_controller(struct client *c, struct errbuf *eb)
{
	char *dir = NULL, *exe = NULL, *log_path = NULL;
	int pipefd[2] = { -1, -1 };
	int log_fd = -1, pidfd = -1;
	char fdarg[16];
	char **argv = xcalloc(c->n_start_args + 5, sizeof(char *));
	struct spawn_opts o;
	pid_t pid = -1;
	int r, status;

	r = fs_mkdir_p(c->home, 0700);
	if (r < 0) {
		errbuf_set(eb, "cannot create %s: %s", c->home, strerror(-r));
		goto out;
	}
	dir = self_dir();
	if (!dir) {
		r = -ENOENT;
		errbuf_set(eb, "cannot start controller: cannot find the cairn binary's directory");
		goto out;
	}
	exe = xasprintf("%s/%s", dir, CLIENT_DAEMON_NAME);
	log_path = xasprintf("%s/cairnd.log", c->home);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot start controller: cannot open %s: %s", log_path, strerror(-r));
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot start controller: pipe: %s", strerror(-r));
		goto out;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", pipefd[1]);
	argv[0] = exe;
	argv[1] = "--daemon";
	argv[2] = "--ready-fd";
	argv[3] = fdarg;
	for (size_t i = 0; i < c->n_start_args; i++)
		argv[4 + i] = (char *)c->start_args[i];
	argv[4 + c->n_start_args] = NULL;
	memset(&o, 0, sizeof(o));
	o.file = exe;
	o.argv = argv;
	o.envp = environ;
	o.cwd = "/";
	o.stdin_fd = -1;
	o.stdout_fd = log_fd;
	o.stderr_fd = log_fd;
	/* Its own session: a Ctrl-C aimed at this CLI must not reach the controller. */
	o.setsid = true;
	o.child_setup = keep_ready_fd;
	o.child_setup_data = &pipefd[1];

	r = spawn_run(&o, &pid, &pidfd, eb);
	if (r < 0) {
		errbuf_wrap(eb, "cannot start controller");
		goto out;
	}
	/* Only the child may hold the write end now, so EOF means it exited or gave up. */
	close(pipefd[1]);
	pipefd[1] = -1;
	r = wait_ready(pipefd[0]);
	if (r == 1) {
		r = 0;
		goto out;
	}
	if (r == -ETIMEDOUT) {
		errbuf_set(eb, "cannot start controller: not ready after %d seconds (see %s)",
			   CLIENT_START_TIMEOUT_MS / 1000, log_path);
		goto out;
	}
	/* EOF without the byte.  Another CLI may have started a controller at the same time
	 * (ours then fails to bind); the caller retries the connection before giving up. */
	/* Every holder of the write end has closed it, so the child we started has exited or
	 * is exiting right now (the pipe closes before the process becomes waitable): wait. */
	if (waitpid(pid, &status, 0) == pid) {
		if (WIFEXITED(status))
			errbuf_set(eb, "cannot start controller: cairnd exited with status %d (see %s)",
				   WEXITSTATUS(status), log_path);
		else if (WIFSIGNALED(status))
			errbuf_set(eb, "cannot start controller: cairnd killed by signal %d (see %s)",
				   WTERMSIG(status), log_path);
		else
			errbuf_set(eb, "cannot start controller (see %s)", log_path);
	} else {
		errbuf_set(eb, "cannot start controller: cairnd closed its ready pipe without reporting ready (see %s)",
			   log_path);
	}
	r = -ECHILD;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pidfd >= 0)
		close(pidfd);
	if (log_fd >= 0)
		close(log_fd);
	free(dir);
	free(exe);
	free(log_path);
	free(argv);
	return r;
}

int client_connect_or_start(struct client *c, bool *ret_started, struct errbuf *eb)
{
	struct errbuf start_eb;
	int r;

	if (ret_started)
		*ret_started = false;
	r = client_connect(c, eb);
	if (r != -ECONNREFUSED && r != -ENOENT)
		return r;
	errbuf_clear(&start_eb);
	r = start_controller(c, &start_eb);
	if (r < 0) {
		/* A concurrent start may have won the race for the socket. */
		if (client_connect(c, eb) == 0)
			return 0;
		errbuf_set(eb, "%s", start_eb.msg);
		return r;
	}
	if (ret_started)
		*ret_started = true;
	r = client_connect(c, eb);
	if (r < 0)
		errbuf_wrap(eb, "controller reported ready but does not answer");
	return r;
}

int client_send(struct client *c, json_t *req, struct errbuf *eb)
{
	int r = msg_send(c->fd, req);

	if (r < 0)
		errbuf_set(eb, "cannot send request to the controller: %s", strerror(-r));
	return r;
}

int client_recv(struct client *c, json_t **ret, struct errbuf *eb)
{
	int r = msg_recv(c->fd, ret, eb);

	if (r == -EPIPE)
		errbuf_set(eb, "connection to the controller closed");
	else if (r < 0)
		errbuf_wrap(eb, "cannot read the controller's response");
	return r;
}

int client_check_response(json_t *resp, struct errbuf *eb)
{
	json_t *ok = json_object_get(resp, "ok");
	const char *msg;

	if (json_is_true(ok))
		return 0;
	if (!json_is_false(ok)) {
		errbuf_set(eb, "malformed response from the controller: no \"ok\" field");
		return -EPROTO;
	}
	msg = json_string_value(json_object_get(resp, "error"));
	errbuf_set(eb, "%s", msg && *msg ? msg : "unknown error");
	return -CLIENT_EREMOTE;
}

int client_call(struct client *c, json_t *req, json_t **ret_result, struct errbuf *eb)
{
	json_t *resp = NULL, *result;
	int r;

	r = client_send(c, req, eb);
	if (r < 0)
		return r;
	r = client_recv(c, &resp, eb);
	if (r < 0)
		return r;
	r = client_check_response(resp, eb);
	if (r == 0 && ret_result) {
		result = json_object_get(resp, "result");
		*ret_result = result ? json_incref(result) : json_null();
	}
	json_decref(resp);
	return r;
}

int client_wait_closed(struct client *c, int timeout_ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char tmp[4096];
	ssize_t n;
	int r = 0;

	for (;;) {
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			r = -ETIMEDOUT;
			break;
		}
		if (r < 0) {
			r = -errno;
			break;
		}
		n = read(c->fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = 0;
			break;
		}
	}
	close(c->fd);
	c->fd = -1;
	return r;
}

int client_wait_pid(int pid, int timeout_ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	if (fd < 0)
		return 0; /* already gone (or no pidfds: nothing to wait on) */
	do {
		r = poll(&p, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	close(fd);
	return r > 0 ? 0 : -ETIMEDOUT;
}

int client_request_text(json_t *req, struct buf *ret_body, struct errbuf *eb)
{
	struct client c;
	int r;

	r = client_init(&c, eb);
	if (r < 0)
		return r;
	r = client_connect_or_start(&c, NULL, eb);
	if (r == 0)
		r = client_send(&c, req, eb);
	if (r == 0) {
		r = msg_recv_text(c.fd, ret_body, eb);
		if (r == -EPIPE)
			errbuf_set(eb, "connection to the controller closed");
		else if (r < 0)
			errbuf_wrap(eb, "cannot read the controller's response");
	}
	client_done(&c);
	return r;
}

int client_request(json_t *req, json_t **ret_result, struct errbuf *eb)
{
	struct client c;
	int r;

	r = client_init(&c, eb);
	if (r < 0)
		return r;
	r = client_connect_or_start(&c, NULL, eb);
	if (r == 0)
		r = client_call(&c, req, ret_result, eb);
	client_done(&c);
	return r;
}
