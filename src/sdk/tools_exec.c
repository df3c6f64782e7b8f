/* tools_exec.c - hook tools as processes found on PATH, as ops runs them; see tools.h.
 *
 * This is the portable path: it works under any Juju-compatible agent, at the price of one
 * process per call.  stdin is fed and stdout/stderr drained through poll(2) in one loop, so
 * a tool that writes a lot while we still write its input cannot deadlock us. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "lib/spawn.h"
#include "sdk/error.h"
#include "sdk/tools.h"

struct tools_exec {
	struct tools base;
	char **envp;
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads what is there into b; returns 1 at EOF, 0 to go on, negative on error. */
static int drain(int fd, struct buf *b)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 1;
	if (b->len + (size_t)n <= TOOLS_MAX_OUTPUT)
		buf_add(b, chunk, (size_t)n);
	return 0;
}

static int exec_call(struct tools *t, const char *tool, const char *const *argv, size_t argc, const char *in,
		     size_t in_len, struct tools_result *res, struct cairn_error *err)
{
	struct tools_exec *x = (struct tools_exec *)t;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char **args = xcalloc(argc + 2, sizeof(char *));
	struct errbuf eb;
	pid_t pid = -1;
	int pidfd = -1, r, status;
	size_t in_off = 0;

	args[0] = (char *)tool;
	for (size_t i = 0; i < argc; i++)
		args[i + 1] = (char *)argv[i];
	if ((in && pipe2(inp, O_CLOEXEC) < 0) || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = sdk_err(err, CAIRN_ERR_MODEL, "cannot run %s: %s", tool, strerror(errno));
		goto out;
	}
	struct spawn_opts o = {
		.file = tool,
		.argv = args,
		.envp = x->envp,
		.stdin_fd = inp[0],
		.stdout_fd = outp[1],
		.stderr_fd = errp[1],
	};
	errbuf_clear(&eb);
	r = spawn_run(&o, &pid, &pidfd, &eb);
	close_fd(&inp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	if (r < 0) {
		/* ops: "command not found: X" when the tool is not on PATH. */
		r = r == -ENOENT ? sdk_err(err, CAIRN_ERR_MODEL, "command not found: %s", tool)
				 : sdk_err(err, CAIRN_ERR_MODEL, "cannot run %s: %s", tool, eb.msg);
		goto out;
	}
	if (in && inp[1] >= 0)
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
	if (in && in_len == 0)
		close_fd(&inp[1]);
	while (outp[0] >= 0 || errp[0] >= 0 || inp[1] >= 0) {
		struct pollfd p[3] = {
			{ .fd = outp[0], .events = POLLIN },
			{ .fd = errp[0], .events = POLLIN },
			{ .fd = inp[1], .events = POLLOUT },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents && drain(outp[0], &res->out) != 0)
			close_fd(&outp[0]);
		if (p[1].revents && drain(errp[0], &res->err) != 0)
			close_fd(&errp[0]);
		if (p[2].revents) {
			ssize_t w = (p[2].revents & POLLOUT) ? write(inp[1], in + in_off, in_len - in_off) : -1;

			if (w > 0)
				in_off += (size_t)w;
			if ((w < 0 && errno != EINTR && errno != EAGAIN) || in_off >= in_len)
				close_fd(&inp[1]);
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = sdk_err(err, CAIRN_ERR_MODEL, "cannot wait for %s: %s", tool, strerror(errno));
			goto out;
		}
	}
	res->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	close_fd(&inp[0]);
	close_fd(&inp[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	free(args);
	return r;
}

static void exec_free(struct tools *t)
{
	struct tools_exec *x = (struct tools_exec *)t;

	for (char **p = x->envp; p && *p; p++)
		free(*p);
	free(x->envp);
	free(x);
}

static const struct tools_ops exec_ops = { exec_call, exec_free };

struct tools *tools_exec_new(char *const *envp)
{
	struct tools_exec *x = xcalloc(1, sizeof(*x));
	size_t n = 0;

	x->base.ops = &exec_ops;
	while (envp && envp[n])
		n++;
	x->envp = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		x->envp[i] = xstrdup(envp[i]);
	return &x->base;
}
