/* cli_enter.c - `scree enter [run-OPTIONS] [--run] [<subcommand> ...]` (§22, upstream
 * internals/cli/cmd_enter.go): scree as a container entrypoint.  Without a subcommand it is
 * `run`.  With one, the daemon is started (services held unless --run), the subcommand runs
 * against it, and the daemon is stopped again, except after a successful `start`, which
 * leaves the daemon running (and waits for it, forwarding SIGTERM/SIGINT/SIGQUIT/SIGHUP).
 *
 * The daemon runs in a child process; it signals readiness on a pipe (SCREE_READY_FD, as
 * the cairn agent uses it).  For subcommands that print their own results (exec, plan,
 * services, version), the daemon's log goes to a pipe that is dropped once the daemon is
 * ready, so only the subcommand's output is seen, unless -v; if the daemon fails to start,
 * what it logged is shown. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

#define ENTER_MAX_LOG (64u * 1024)

enum enter_flags {
	ENTER_SILENCE = 1 << 0,           /* no daemon log unless -v */
	ENTER_NO_DAEMON = 1 << 1,         /* runs without a daemon */
	ENTER_KEEP_DAEMON = 1 << 2,       /* the daemon keeps running after success */
	ENTER_REQUIRE_RUN = 1 << 3,       /* needs --run */
	ENTER_PROHIBIT_RUN = 1 << 4,      /* refuses --run */
};

static const struct enter_sub {
	const char *name;
	unsigned flags;
} subs[] = {
	{ "exec", ENTER_SILENCE },
	{ "help", ENTER_NO_DAEMON },
	{ "version", ENTER_SILENCE | ENTER_PROHIBIT_RUN },
	{ "plan", ENTER_SILENCE | ENTER_PROHIBIT_RUN },
	{ "services", ENTER_SILENCE | ENTER_PROHIBIT_RUN },
	{ "start", ENTER_KEEP_DAEMON },
	{ "stop", ENTER_KEEP_DAEMON | ENTER_REQUIRE_RUN },
};

static int run_sub(const char *name, int argc, char **argv, struct errbuf *eb)
{
	if (strcmp(name, "exec") == 0)
		return cli_exec(argc, argv, eb);
	if (strcmp(name, "version") == 0)
		return cli_version(argc, argv, eb);
	if (strcmp(name, "plan") == 0)
		return cli_plan(argc, argv, eb);
	if (strcmp(name, "services") == 0)
		return cli_services(argc, argv, eb);
	if (strcmp(name, "start") == 0 || strcmp(name, "stop") == 0)
		return cli_service_action(name, argc, argv, eb);
	fputs("Usage: scree enter [run-OPTIONS] [--run] [<subcommand> [...]]\n"
	      "Subcommands: exec, help, plan, services, start, stop, version\n", stdout);
	return 0;
}

/* Waits for the daemon child to exit, forwarding termination signals to it.  Returns its
 * exit code. */
static int wait_daemon(pid_t pid)
{
	sigset_t set, old;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (;;) {
		siginfo_t si;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno == ECHILD) {
			status = 0;
			break;
		}
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD)
			kill(pid, si.si_signo);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Starts the daemon in a child and waits until it listens.  Returns its pid, or -1 with
 * eb set (its log is printed). */
static pid_t start_daemon(const struct scree_opts *o, bool silence, struct errbuf *eb)
{
	int ready[2] = { -1, -1 }, logp[2] = { -1, -1 };
	struct buf log = BUF_INIT;
	bool is_ready = false;
	pid_t pid;

	buf_init(&log);
	if (pipe2(ready, O_CLOEXEC) < 0 || (silence && pipe2(logp, O_CLOEXEC) < 0)) {
		errbuf_set(eb, "cannot create pipe: %s", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		errbuf_set(eb, "cannot start daemon: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		char fd[16];
		int wfd = fcntl(ready[1], F_DUPFD, 3); /* without CLOEXEC: the daemon writes it */

		snprintf(fd, sizeof(fd), "%d", wfd);
		setenv("SCREE_READY_FD", fd, 1);
		if (silence)
			dup2(logp[1], STDERR_FILENO);
		_exit(scree_run(o));
	}
	close(ready[1]);
	ready[1] = -1;
	if (logp[1] >= 0)
		close(logp[1]);
	logp[1] = -1;
	for (;;) {
		struct pollfd pfd[2] = { { .fd = ready[0], .events = POLLIN }, { .fd = logp[0], .events = POLLIN } };
		char chunk[4096];
		ssize_t n;

		if (poll(pfd, logp[0] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (logp[0] >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			n = read(logp[0], chunk, sizeof(chunk));
			if (n > 0 && log.len + (size_t)n <= ENTER_MAX_LOG)
				buf_add(&log, chunk, (size_t)n);
			if (n <= 0) {
				close(logp[0]);
				logp[0] = -1;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			n = read(ready[0], chunk, 1);
			is_ready = n == 1;
			break;
		}
	}
	close(ready[0]);
	ready[0] = -1;
	if (!is_ready) {
		int code = wait_daemon(pid);

		/* What the daemon said, e.g. "error: cannot run daemon: ...". */
		fwrite(log.data, 1, log.len, stderr);
		errbuf_set(eb, "enter: daemon exited with code %d before it was ready", code);
		goto fail;
	}
	/* From now on its log has no reader (SIGPIPE is ignored in the daemon). */
	if (logp[0] >= 0)
		close(logp[0]);
	buf_done(&log);
	return pid;
fail:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (logp[i] >= 0)
			close(logp[i]);
	}
	buf_done(&log);
	return -1;
}

int cli_enter(struct scree_opts *o, bool run, int argc, char **argv, struct errbuf *eb)
{
	const struct enter_sub *sub = NULL;
	pid_t pid;
	int rv;

	if (argc == 0)
		return scree_run(o);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(subs[i].name, argv[0]) == 0)
			sub = &subs[i];
	if (!sub) {
		errbuf_set(eb, "enter: subcommand \"%s\" is not supported", argv[0]);
		return -1;
	}
	if ((sub->flags & ENTER_REQUIRE_RUN) && !run) {
		errbuf_set(eb, "enter: must use --run before \"%s\" subcommand", sub->name);
		return -1;
	}
	if ((sub->flags & (ENTER_PROHIBIT_RUN | ENTER_NO_DAEMON)) && run) {
		errbuf_set(eb, "enter: cannot provide --run before \"%s\" subcommand", sub->name);
		return -1;
	}
	if (sub->flags & ENTER_NO_DAEMON)
		return run_sub(sub->name, argc - 1, argv + 1, eb);
	o->hold = !run;
	pid = start_daemon(o, (sub->flags & ENTER_SILENCE) && !o->verbose, eb);
	if (pid < 0)
		return -1;
	rv = run_sub(sub->name, argc - 1, argv + 1, eb);
	if (rv >= 0 && (sub->flags & ENTER_KEEP_DAEMON))
		return wait_daemon(pid);
	kill(pid, SIGTERM);
	wait_daemon(pid);
	return rv;
}
