/* check_exec.c - the exec probe (§14): runs the command (split shell-style, no shell) with
 * the daemon's environment plus the check's (service-context merged in), as its user and
 * group, in its working directory; it passes iff the command exits 0.  Otherwise the error
 * is "exit status N" and the details are the last lines of its combined output.
 *
 * The command is started with the services' launcher (launch.h: own process group, exec
 * errors reported asynchronously) and watched through the loop: its output pipe, its exec
 * status pipe and its pidfd.  Only the last CHECK_PROBE_MAX_BYTES of output are kept.
 * After the command exits the probe waits up to PROBE_EXEC_WAIT_MS for the output pipe to
 * close (a background child may hold it), as Go's exec.Cmd.WaitDelay does.  A cancelled
 * probe kills the command's process group; the loop reaps what is left. */
#include "check_probe.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "launch.h"
#include "lib/buf.h"
#include "servmgr.h"

struct exec_probe {
	struct check_probe base;
	struct loop *l;
	check_probe_cb cb;
	void *data;
	char *program;            /* argv[0], for exec errors */
	char *cwd;
	pid_t pid;                /* until reaped */
	int out_fd, status_fd;
	struct loop_io *out_io, *status_io;
	char ring[CHECK_PROBE_MAX_BYTES];
	size_t ring_len, ring_pos; /* bytes held; next write position */
	bool exited;
	int wstatus;
	struct loop_timer *timer; /* output wait after exit; also delivers start failures */
	struct check_result result;
	bool have_result;
};

static void close_fds(struct exec_probe *p)
{
	if (p->out_io) {
		loop_io_free(p->out_io);
		p->out_io = NULL;
	}
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	if (p->status_io) {
		loop_io_free(p->status_io);
		p->status_io = NULL;
	}
	if (p->status_fd >= 0) {
		close(p->status_fd);
		p->status_fd = -1;
	}
}

static void probe_free(struct exec_probe *p)
{
	if (p->pid > 0) {
		/* Still running: kill its group and let the loop reap it as an orphan. */
		loop_kill_child(p->l, p->pid, SIGKILL, true);
		loop_forget_child(p->l, p->pid);
	}
	close_fds(p);
	loop_timer_free(p->timer);
	free(p->program);
	free(p->cwd);
	free(p);
}

static void exec_cancel(struct check_probe *base)
{
	probe_free((struct exec_probe *)base);
}

static const struct check_probe_ops exec_ops = { .cancel = exec_cancel };

static void finish(struct exec_probe *p, const struct check_result *r)
{
	check_probe_cb cb = p->cb;
	void *data = p->data;
	struct check_result copy = *r;

	probe_free(p);
	cb(data, &copy);
}

static void fail_msg(struct exec_probe *p, const char *msg)
{
	struct check_result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.err, sizeof(r.err), "%s", msg);
	finish(p, &r);
}

/* The output in order (the ring unrolled). */
static void ring_get(const struct exec_probe *p, struct buf *out)
{
	if (p->ring_len < sizeof(p->ring)) {
		buf_add(out, p->ring, p->ring_len);
		return;
	}
	buf_add(out, p->ring + p->ring_pos, sizeof(p->ring) - p->ring_pos);
	buf_add(out, p->ring, p->ring_pos);
}

static void ring_put(struct exec_probe *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p->ring[p->ring_pos] = s[i];
		p->ring_pos = (p->ring_pos + 1) % sizeof(p->ring);
		if (p->ring_len < sizeof(p->ring))
			p->ring_len++;
	}
}

/* "signal: killed", as Go's ProcessState.String() (glibc's description, lower-cased). */
static void signal_text(int sig, char *out, size_t n)
{
	const char *d = strsignal(sig);

	snprintf(out, n, "signal: %s", d ? d : "unknown signal");
	if (strlen(out) > 8)
		out[8] = (char)tolower((unsigned char)out[8]);
}

/* The command exited and its output is in (or the wait for it ran out). */
static void complete(struct exec_probe *p)
{
	struct check_result r;
	struct buf out = BUF_INIT;

	memset(&r, 0, sizeof(r));
	if (WIFEXITED(p->wstatus) && WEXITSTATUS(p->wstatus) == 0) {
		r.ok = true;
		finish(p, &r);
		return;
	}
	if (WIFEXITED(p->wstatus))
		snprintf(r.err, sizeof(r.err), "exit status %d", WEXITSTATUS(p->wstatus));
	else
		signal_text(WTERMSIG(p->wstatus), r.err, sizeof(r.err));
	buf_init(&out);
	ring_get(p, &out);
	check_details_last_lines(out.data, out.len, r.details, sizeof(r.details));
	buf_done(&out);
	finish(p, &r);
}

/* Reads the output pipe until it would block.  Returns true if the probe finished (EOF
 * after the command exited). */
static bool drain(struct exec_probe *p)
{
	char chunk[4096];

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(p->out_fd, chunk, sizeof(chunk));

		if (n > 0) {
			ring_put(p, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		/* EOF: every writer is gone. */
		loop_io_free(p->out_io);
		p->out_io = NULL;
		close(p->out_fd);
		p->out_fd = -1;
		if (p->exited && p->status_fd < 0) {
			complete(p);
			return true;
		}
		return false;
	}
	return false;
}

static void out_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	(void)io;
	(void)fd;
	(void)events;
	drain(data);
}

/* Reads the exec status pipe.  Returns true if the probe finished (exec failed). */
static bool exec_status(struct exec_probe *p)
{
	struct errbuf eb;
	int rv;

	if (p->status_fd < 0)
		return false;
	errbuf_clear(&eb);
	rv = launch_check(p->status_fd, p->program, p->cwd, &eb);
	if (rv == 0)
		return false;
	loop_io_free(p->status_io);
	p->status_io = NULL;
	close(p->status_fd);
	p->status_fd = -1;
	if (rv > 0)
		return false;
	/* The child could not exec (it exits 127, which is not the command's status). */
	if (p->pid > 0)
		loop_forget_child(p->l, p->pid);
	p->pid = 0;
	fail_msg(p, eb.msg);
	return true;
}

static void status_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct exec_probe *p = data;

	(void)io;
	(void)fd;
	(void)events;
	if (exec_status(p))
		return;
	if (p->exited && p->out_fd < 0 && p->status_fd < 0)
		complete(p);
}

static void child_cb(struct loop *l, pid_t pid, int wstatus, void *data)
{
	struct exec_probe *p = data;

	(void)l;
	(void)pid;
	p->pid = 0;
	/* A child that could not exec exits at once: its status pipe says why. */
	if (exec_status(p))
		return;
	p->exited = true;
	p->wstatus = wstatus;
	/* Whatever it wrote is in the pipe now. */
	if (p->out_fd >= 0 && drain(p))
		return;
	if (p->out_fd < 0 && p->status_fd < 0) {
		complete(p);
		return;
	}
	loop_timer_arm_in(p->timer, PROBE_EXEC_WAIT_MS);
}

static void timer_cb(struct loop_timer *t, void *data)
{
	struct exec_probe *p = data;

	(void)t;
	if (p->have_result) {
		finish(p, &p->result);
		return;
	}
	/* The output wait ran out: a background process keeps the pipe open. */
	if (p->exited)
		complete(p);
}

/* Reports msg from the timer (start failures must not call back from inside start). */
static struct check_probe *fail_later(struct exec_probe *p, const char *msg)
{
	memset(&p->result, 0, sizeof(p->result));
	snprintf(p->result.err, sizeof(p->result.err), "%.*s", (int)sizeof(p->result.err) - 1, msg);
	p->have_result = true;
	loop_timer_arm_in(p->timer, 0);
	return &p->base;
}

struct check_probe *check_exec_start(struct loop *l, const struct plan_exec_check *x,
				     const struct check_exec_ctx *ctx, check_probe_cb cb, void *data)
{
	struct exec_probe *p = xcalloc(1, sizeof(*p));
	struct plan_exec_ctx pctx;
	struct launch_opts o;
	struct errbuf eb;
	char **argv = NULL, **envp = NULL;
	size_t nargv = 0, nenv = 0;
	int pipefd[2] = { -1, -1 }, pidfd = -1, rv;
	bool has_ids = false;
	uid_t uid = 0;
	gid_t gid = 0;

	p->base.ops = &exec_ops;
	p->l = l;
	p->cb = cb;
	p->data = data;
	p->out_fd = p->status_fd = -1;
	p->timer = loop_timer_new(l, timer_cb, p);
	errbuf_clear(&eb);

	if (command_split(x->command ? x->command : "", &argv, &nargv, &eb) < 0) {
		char msg[ERRBUF_SIZE + 32];

		snprintf(msg, sizeof(msg), "cannot parse command: %s", eb.msg);
		return fail_later(p, msg);
	}
	if (nargv == 0) {
		command_argv_free(argv);
		return fail_later(p, "cannot parse command: empty command");
	}
	memset(&pctx, 0, sizeof(pctx));
	pctx.user_id = &ctx->user_id;
	pctx.group_id = &ctx->group_id;
	pctx.user = ctx->user;
	pctx.group = ctx->group;
	pctx.working_dir = ctx->working_dir;
	if (servmgr_resolve_ids(&pctx, &has_ids, &uid, &gid, &eb) < 0) {
		command_argv_free(argv);
		return fail_later(p, eb.msg);
	}
	envp = launch_env(&ctx->environment, &nenv);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		char msg[ERRBUF_SIZE];

		snprintf(msg, sizeof(msg), "cannot create pipe: %s", strerror(errno));
		command_argv_free(argv);
		launch_strv_free(envp);
		return fail_later(p, msg);
	}
	p->program = xstrdup(argv[0]);
	p->cwd = ctx->working_dir ? xstrdup(ctx->working_dir) : NULL;
	memset(&o, 0, sizeof(o));
	o.argv = argv;
	o.envp = envp;
	o.cwd = ctx->working_dir;
	o.out_fd = pipefd[1];
	o.set_ids = has_ids && (uid != getuid() || gid != getgid());
	o.uid = uid;
	o.gid = gid;
	rv = launch_start(&o, &p->pid, &pidfd, &p->status_fd, &eb);
	close(pipefd[1]);
	command_argv_free(argv);
	launch_strv_free(envp);
	if (rv < 0) {
		close(pipefd[0]);
		p->pid = 0;
		p->status_fd = -1;
		return fail_later(p, eb.msg);
	}
	fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
	p->out_fd = pipefd[0];
	p->out_io = loop_io_new(l, p->out_fd, EPOLLIN, out_cb, p);
	p->status_io = loop_io_new(l, p->status_fd, EPOLLIN, status_cb, p);
	loop_add_child(l, p->pid, pidfd, child_cb, p);
	return &p->base;
}
