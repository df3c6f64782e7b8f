/* tool.c - external tools as children whose completion is an event; see tool.h.
 *
 * Completion needs two things: the child has been reaped, and its output pipes hold nothing
 * more.  Output is read as it arrives; when the exit is seen the pipes are drained once more
 * and the request completes even if a grandchild still holds a write end open (a daemon the
 * tool started must not keep the request pending forever). */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/spawn.h"
#include "lib/strv.h"

#define TOOL_DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct child_ctx {
	int pass_fd;             /* >= 0: becomes fd 3 */
	pid_t parent;            /* our pid, to notice a parent that died before prctl */
};

struct tool_req {
	struct loop *l;
	char *what;
	tool_cb cb;
	void *data;
	pid_t pid;
	bool exited;
	int wstatus;
	int status_override;     /* -ETIMEDOUT / -EFBIG, else 0 */
	int in_fd, out_fd, err_fd;
	struct loop_io *in_io, *out_io, *err_io;
	char *input;
	size_t input_len, input_off;
	struct buf out;
	char err_ring[TOOL_STDERR_TAIL];
	size_t err_len;          /* bytes held in err_ring (<= TOOL_STDERR_TAIL) */
	char *log_path;          /* stdout_path mode: the file and where this run began */
	off_t log_start;
	struct loop_timer *timer;
	struct child_ctx child;
};

static void close_io(struct loop_io **io, int *fd)
{
	if (*io) {
		loop_io_free(*io);
		*io = NULL;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void req_free(struct tool_req *r)
{
	close_io(&r->in_io, &r->in_fd);
	close_io(&r->out_io, &r->out_fd);
	close_io(&r->err_io, &r->err_fd);
	loop_timer_free(r->timer);
	buf_done(&r->out);
	free(r->input);
	free(r->what);
	free(r->log_path);
	free(r);
}

static void err_append(struct tool_req *r, const char *p, size_t n)
{
	if (n >= TOOL_STDERR_TAIL) {
		memcpy(r->err_ring, p + n - TOOL_STDERR_TAIL, TOOL_STDERR_TAIL);
		r->err_len = TOOL_STDERR_TAIL;
		return;
	}
	if (r->err_len + n > TOOL_STDERR_TAIL) {
		size_t drop = r->err_len + n - TOOL_STDERR_TAIL;

		memmove(r->err_ring, r->err_ring + drop, r->err_len - drop);
		r->err_len -= drop;
	}
	memcpy(r->err_ring + r->err_len, p, n);
	r->err_len += n;
}

/* Reads what is available; returns true at EOF or on a read error. */
static bool drain(struct tool_req *r, int fd, bool is_err)
{
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN;
		if (n == 0)
			return true;
		if (is_err) {
			err_append(r, chunk, (size_t)n);
		} else if (r->out.len + (size_t)n > TOOL_STDOUT_MAX) {
			r->status_override = -EFBIG;
			if (r->pid && !r->exited)
				loop_kill_child(r->l, r->pid, SIGKILL, true);
			return true;
		} else {
			buf_add(&r->out, chunk, (size_t)n);
		}
	}
}

/* stdout_path mode: the tail of what this run appended to the log file. */
static void read_log_tail(struct tool_req *r)
{
	struct stat st;
	int fd = open(r->log_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > r->log_start) {
		off_t from = st.st_size - r->log_start > TOOL_STDERR_TAIL ? st.st_size - TOOL_STDERR_TAIL
									  : r->log_start;
		ssize_t n = pread(fd, r->err_ring, TOOL_STDERR_TAIL, from);

		r->err_len = n > 0 ? (size_t)n : 0;
	}
	close(fd);
}

static void complete(struct tool_req *r)
{
	char tail[TOOL_STDERR_TAIL + 1];
	struct tool_result res;

	if (r->out_fd >= 0)
		drain(r, r->out_fd, false);
	if (r->err_fd >= 0)
		drain(r, r->err_fd, true);
	if (r->log_path)
		read_log_tail(r);
	memcpy(tail, r->err_ring, r->err_len);
	tail[r->err_len] = '\0';
	memset(&res, 0, sizeof(res));
	if (r->status_override)
		res.status = r->status_override;
	else if (WIFEXITED(r->wstatus))
		res.status = WEXITSTATUS(r->wstatus);
	else if (WIFSIGNALED(r->wstatus))
		res.status = 128 + WTERMSIG(r->wstatus);
	else
		res.status = 128;
	res.out = &r->out;
	res.err_tail = tail;
	res.what = r->what;
	if (r->cb)
		r->cb(r->data, &res);
	req_free(r);
}

static void on_exit_cb(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct tool_req *r = data;

	(void)l;
	(void)pid;
	r->exited = true;
	r->wstatus = wstatus;
	complete(r);
}

static void on_out(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct tool_req *r = data;

	(void)io;
	(void)events;
	if (drain(r, fd, false))
		close_io(&r->out_io, &r->out_fd);
}

static void on_err(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct tool_req *r = data;

	(void)io;
	(void)events;
	if (drain(r, fd, true))
		close_io(&r->err_io, &r->err_fd);
}

static void on_in(struct loop_io *io, int fd, uint32_t events, void *data);

/* Writes as much input as the pipe takes; closes stdin when done or when the child went. */
static void feed(struct tool_req *r)
{
	while (r->input_off < r->input_len) {
		ssize_t n = write(r->in_fd, r->input + r->input_off, r->input_len - r->input_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!r->in_io)
				r->in_io = loop_io_new(r->l, r->in_fd, EPOLLOUT, on_in, r);
			return;
		}
		if (n < 0)
			break; /* EPIPE: the tool did not want its input; its exit tells */
		r->input_off += (size_t)n;
	}
	close_io(&r->in_io, &r->in_fd);
}

static void on_in(struct loop_io *io, int fd, uint32_t events, void *data)
{
	(void)io;
	(void)fd;
	(void)events;
	feed(data);
}

static void on_timeout(struct loop_timer *t, void *data)
{
	struct tool_req *r = data;

	(void)t;
	r->status_override = -ETIMEDOUT;
	loop_kill_child(r->l, r->pid, SIGKILL, true);
}

/* In the child before exec: die with the supervisor (a tool left running after a crash would
 * go on writing into the store behind the next supervisor's back; the next one redoes the
 * step), and move the passed fd to 3.  PR_SET_PDEATHSIG is not inherited by the tool's own
 * children, so a container runc starts outlives us. */
SPAWN_CHILD_FN static void child_setup(void *data)
{
	struct child_ctx *cc = data;
	int fd = cc->pass_fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != cc->parent)
		spawn_child_exit(127); /* the parent died before the line above */
	if (fd < 0)
		return;
	if (fd == 3) {
		int fl = fcntl(3, F_GETFD);

		if (fl >= 0)
			fcntl(3, F_SETFD, fl & ~FD_CLOEXEC);
	} else {
		dup2(fd, 3);
	}
}

int tool_run(struct loop *l, const struct tool_opts *o, struct tool_req **ret, struct errbuf *eb)
{
	struct tool_req *r = xcalloc(1, sizeof(*r));
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int logfd = -1, pidfd = -1, rv;
	char *default_env[] = { TOOL_DEFAULT_PATH, NULL };
	char **argv = strv_dup(o->argv), **env = strv_dup(o->env ? o->env : default_env);

	r->l = l;
	r->what = xstrdup(o->what ? o->what : o->argv[0]);
	r->cb = o->cb;
	r->data = o->data;
	r->in_fd = r->out_fd = r->err_fd = -1;
	r->child.pass_fd = o->pass_fd;
	r->child.parent = getpid();
	buf_init(&r->out);
	r->timer = loop_timer_new(l, on_timeout, r);
	if (o->input && (pipe2(inp, O_CLOEXEC) < 0 || fcntl(inp[1], F_SETFL, O_NONBLOCK) < 0))
		goto fail_errno;
	if (o->stdout_path) {
		struct stat st;

		logfd = open(o->stdout_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (logfd < 0 || fstat(logfd, &st) < 0)
			goto fail_errno;
		r->log_path = xstrdup(o->stdout_path);
		r->log_start = st.st_size;
	} else if (pipe2(outp, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0) {
		goto fail_errno;
	}
	/* The child ends must block: tools do not expect non-blocking stdio. */
	if (outp[1] >= 0 && (fcntl(outp[1], F_SETFL, 0) < 0 || fcntl(errp[1], F_SETFL, 0) < 0))
		goto fail_errno;
	struct spawn_opts so = {
		.file = argv[0],
		.argv = argv,
		.envp = env,
		.stdin_fd = inp[0],
		.stdout_fd = logfd >= 0 ? logfd : outp[1],
		.stderr_fd = logfd >= 0 ? logfd : errp[1],
		.setsid = true,
		.child_setup = child_setup,
		.child_setup_data = &r->child,
	};
	rv = spawn_run(&so, &r->pid, &pidfd, eb);
	if (rv < 0) {
		errbuf_wrap(eb, "%s", r->what);
		goto fail;
	}
	if (inp[0] >= 0)
		close(inp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (logfd >= 0)
		close(logfd);
	strv_free(argv);
	strv_free(env);
	r->out_fd = outp[0];
	r->err_fd = errp[0];
	if (r->out_fd >= 0)
		r->out_io = loop_io_new(l, r->out_fd, EPOLLIN, on_out, r);
	if (r->err_fd >= 0)
		r->err_io = loop_io_new(l, r->err_fd, EPOLLIN, on_err, r);
	if (o->input) {
		r->in_fd = inp[1];
		r->input = xmalloc(o->input_len + 1);
		memcpy(r->input, o->input, o->input_len);
		r->input_len = o->input_len;
		feed(r);
	}
	loop_timer_arm_in(r->timer, o->timeout_ms ? o->timeout_ms : TOOL_DEFAULT_TIMEOUT_MS);
	loop_add_child(l, r->pid, pidfd, on_exit_cb, r);
	if (ret)
		*ret = r;
	return 0;

fail_errno:
	rv = -errno;
	errbuf_set(eb, "%s: %s", r->what, strerror(errno));
fail:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (logfd >= 0)
		close(logfd);
	strv_free(argv);
	strv_free(env);
	req_free(r);
	return rv;
}

void tool_abandon(struct tool_req *r)
{
	if (!r)
		return;
	if (!r->exited) {
		loop_kill_child(r->l, r->pid, SIGKILL, true);
		loop_forget_child(r->l, r->pid);
	}
	req_free(r);
}

/* Copies a Go-quoted string body (after the opening quote) into out, unescaping \" \\ \n \t. */
static void unquote_go(const char *p, char *out, size_t n)
{
	size_t k = 0;

	for (; *p && *p != '"' && k + 1 < n; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			out[k++] = *p == 'n' ? ' ' : *p == 't' ? ' ' : *p;
		} else {
			out[k++] = *p;
		}
	}
	out[k] = '\0';
}

void tool_stderr_reason(const char *err, char *out, size_t n)
{
	const char *end, *start, *msg;
	size_t len;

	out[0] = '\0';
	if (!err || n == 0)
		return;
	end = err + strlen(err);
	/* Skip trailing blank lines. */
	while (end > err && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (end == err)
		return;
	start = end;
	while (start > err && start[-1] != '\n')
		start--;
	len = (size_t)(end - start);
	{
		char line[TOOL_STDERR_TAIL + 1];

		if (len > TOOL_STDERR_TAIL)
			len = TOOL_STDERR_TAIL;
		memcpy(line, start, len);
		line[len] = '\0';
		msg = strstr(line, " msg=\"");
		if (msg && strstr(line, "level=")) {
			unquote_go(msg + 6, out, n);
			return;
		}
		snprintf(out, n, "%s", line);
	}
}

void tool_result_error(const struct tool_result *res, struct errbuf *eb)
{
	char reason[ERRBUF_SIZE];

	tool_stderr_reason(res->err_tail, reason, sizeof(reason));
	if (res->status == -ETIMEDOUT)
		errbuf_set(eb, "%s: timed out%s%s", res->what, *reason ? ": " : "", reason);
	else if (res->status == -EFBIG)
		errbuf_set(eb, "%s: output larger than %u bytes", res->what, TOOL_STDOUT_MAX);
	else if (res->status < 0)
		errbuf_set(eb, "%s: %s", res->what, strerror(-res->status));
	else if (*reason)
		errbuf_set(eb, "%s: %s", res->what, reason);
	else if (res->status > 128)
		errbuf_set(eb, "%s: killed by signal %d", res->what, res->status - 128);
	else
		errbuf_set(eb, "%s: exit status %d", res->what, res->status);
}
