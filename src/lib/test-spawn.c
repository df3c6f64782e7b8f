/* Unit tests for lib/spawn: what the child gets (stdio, directory, session, default signal
 * dispositions and an empty mask, fds set up by child_setup), every failure stage reported
 * with its real cause and nothing left to reap, PATH search, the asynchronous report, and a
 * parent whose memory is untouched by the child it spawned. */
#include "lib/spawn.h"
#include "lib/test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *envp[] = { "PATH=/usr/bin:/bin", "SPAWN_TEST=1", NULL };

/* Runs argv with stdout on a pipe; returns its output (static) and exit status. */
static const char *run_capture(struct spawn_opts *o, int *ret_status)
{
	static char out[8192];
	int p[2];
	pid_t pid;
	int pidfd, st = -1;
	size_t len = 0;
	ssize_t n;
	struct errbuf eb;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	o->stdout_fd = p[1];
	if (spawn_run(o, &pid, &pidfd, &eb) < 0) {
		close(p[0]);
		close(p[1]);
		printf("# spawn: %s\n", eb.msg);
		return NULL;
	}
	close(p[1]);
	while ((n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	if (pidfd >= 0)
		close(pidfd);
	waitpid(pid, &st, 0);
	*ret_status = st;
	return out;
}

static const char *status_field(const char *status, const char *name, char *val, size_t n)
{
	const char *p = strstr(status, name);

	val[0] = '\0';
	if (!p)
		return val;
	p += strlen(name);
	while (*p == ' ' || *p == '\t')
		p++;
	size_t i = 0;
	while (p[i] && p[i] != '\n' && i + 1 < n) {
		val[i] = p[i];
		i++;
	}
	val[i] = '\0';
	return val;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void test_clean_child(void)
{
	char *argv[] = { "cat", "/proc/self/status", NULL };
	struct spawn_opts o = { .file = "cat", .argv = argv, .envp = envp, .stdin_fd = -1,
				.stderr_fd = -1, .setsid = true };
	struct sigaction sa, old_usr1, old_hup;
	sigset_t block, old_mask;
	char v[64];
	int st;

	/* A handler, an ignored signal and a blocked one in the parent: none reaches the
	 * child. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, &old_usr1);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, &old_hup);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	const char *out = run_capture(&o, &st);

	sigaction(SIGUSR1, &old_usr1, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	ASSERT_TRUE(out != NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_STREQ(status_field(out, "SigBlk:", v, sizeof(v)), "0000000000000000");
	ASSERT_STREQ(status_field(out, "SigIgn:", v, sizeof(v)), "0000000000000000");
	ASSERT_STREQ(status_field(out, "SigCgt:", v, sizeof(v)), "0000000000000000");
}

static void test_session_and_dir(void)
{
	char *argv[] = { "sh", "-c", "echo $(pwd) $SPAWN_TEST; ps -o sid= -o pgid= -p $$; read x || echo eof", NULL };
	struct spawn_opts o = { .file = "sh", .argv = argv, .envp = envp, .cwd = "/tmp",
				.stdin_fd = -1, .stderr_fd = -1, .setsid = true };
	int st;
	const char *out = run_capture(&o, &st);

	ASSERT_TRUE(out != NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_CONTAINS(out, "/tmp 1\n");
	ASSERT_CONTAINS(out, "eof"); /* stdin was /dev/null */
	/* The shell leads its own session and group: both ids equal its pid. */
	int sid = 0, pgid = 0;
	const char *line = strchr(out, '\n');

	ASSERT_TRUE(line && sscanf(line + 1, "%d %d", &sid, &pgid) == 2);
	ASSERT_EQ(sid, pgid);
	ASSERT_TRUE(sid != getsid(0));
}

static void test_pgid(void)
{
	char *argv[] = { "sh", "-c", "ps -o sid= -o pgid= -p $$; echo $$", NULL };
	struct spawn_opts o = { .file = "/bin/sh", .argv = argv, .envp = envp, .stdin_fd = -1,
				.stderr_fd = -1, .setpgid = true };
	int st, sid = 0, pgid = 0, pid = 0;
	const char *out = run_capture(&o, &st);

	ASSERT_TRUE(out != NULL);
	ASSERT_EQ(sscanf(out, "%d %d %d", &sid, &pgid, &pid), 3);
	ASSERT_EQ(pgid, pid);
	ASSERT_EQ(sid, getsid(0));
}

struct setup_arg {
	int fd;
};

/* child_setup: keeps one fd across exec as fd 3 (what the CLI and pod tools do). */
SPAWN_CHILD_FN static void keep_fd3(void *data)
{
	struct setup_arg *a = data;

	if (dup2(a->fd, 3) < 0)
		spawn_child_exit(127);
}

static void test_child_setup(void)
{
	char *argv[] = { "sh", "-c", "echo through-fd3 >&3", NULL };
	struct setup_arg a;
	struct spawn_opts o = { .file = "sh", .argv = argv, .envp = envp, .stdin_fd = -1,
				.stdout_fd = -1, .stderr_fd = -1, .child_setup = keep_fd3,
				.child_setup_data = &a };
	struct errbuf eb;
	int p[2], pidfd, st;
	char buf[64] = "";
	pid_t pid;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	a.fd = p[1];
	ASSERT_EQ(spawn_run(&o, &pid, &pidfd, &eb), 0);
	close(p[1]);
	ASSERT_TRUE(read(p[0], buf, sizeof(buf) - 1) > 0);
	close(p[0]);
	ASSERT_STREQ(buf, "through-fd3\n");
	waitpid(pid, &st, 0);
	if (pidfd >= 0)
		close(pidfd);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Every failure: the real reason, and no child left behind (waitpid finds none). */
static void test_failures(void)
{
	char *argv[] = { "x", NULL };
	struct spawn_opts o = { .argv = argv, .envp = envp, .stdin_fd = -1, .stdout_fd = -1,
				.stderr_fd = -1 };
	struct errbuf eb;
	pid_t pid;
	int pidfd, r;

	o.file = "/nonexistent/prog";
	ASSERT_TRUE(spawn_run(&o, &pid, &pidfd, &eb) == -ENOENT);
	ASSERT_STREQ(eb.msg, "fork/exec /nonexistent/prog: no such file or directory");
	char plain[] = "/tmp/test-spawn-XXXXXX";
	int fd = mkstemp(plain);
	char want[128];

	ASSERT_TRUE(fd >= 0);
	close(fd);
	o.file = plain; /* not executable */
	snprintf(want, sizeof(want), "fork/exec %s: permission denied", plain);
	r = spawn_run(&o, &pid, &pidfd, &eb);
	unlink(plain);
	ASSERT_EQ(r, -EACCES);
	ASSERT_STREQ(eb.msg, want);
	o.file = "no-such-program-anywhere";
	ASSERT_TRUE(spawn_run(&o, &pid, &pidfd, &eb) == -ENOENT);
	ASSERT_CONTAINS(eb.msg, "no such file or directory");
	o.file = "/bin/true";
	o.cwd = "/nonexistent-dir";
	ASSERT_TRUE(spawn_run(&o, &pid, &pidfd, &eb) == -ENOENT);
	ASSERT_STREQ(eb.msg, "chdir /nonexistent-dir: no such file or directory");
	o.cwd = NULL;
	if (getuid() == 0) {
		/* Root may switch ids; an unprivileged child switching to root may not. */
	} else {
		o.set_ids = true;
		o.uid = 0;
		o.gid = 0;
		ASSERT_TRUE(spawn_run(&o, &pid, &pidfd, &eb) < 0);
		ASSERT_CONTAINS(eb.msg, "fork/exec /bin/true: operation not permitted");
	}
	ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

static void test_ids(void)
{
	char *argv[] = { "id", "-u", NULL };
	struct spawn_opts o = { .file = "id", .argv = argv, .envp = envp, .stdin_fd = -1,
				.stderr_fd = -1, .set_ids = true, .uid = 65534, .gid = 65534 };
	int st;
	const char *out;

	if (getuid() != 0)
		return;
	out = run_capture(&o, &st);
	ASSERT_TRUE(out != NULL);
	ASSERT_STREQ(out, "65534\n");
}

static void test_async_report(void)
{
	char *argv[] = { "x", NULL };
	struct spawn_opts o = { .file = "/nonexistent/prog", .argv = argv, .envp = envp,
				.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
	struct errbuf eb;
	pid_t pid;
	int pidfd, fd, r, st;

	/* A failed exec: a child exists (it exits 127), and the report says why. */
	ASSERT_EQ(spawn_start(&o, &pid, &pidfd, &fd, &eb), 0);
	ASSERT_TRUE((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	r = spawn_report(fd, "/nonexistent/prog", NULL, &eb);
	ASSERT_EQ(r, -ENOENT);
	ASSERT_STREQ(eb.msg, "fork/exec /nonexistent/prog: no such file or directory");
	close(fd);
	waitpid(pid, &st, 0);
	if (pidfd >= 0)
		close(pidfd);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 127);

	/* A good exec: EOF (1), perhaps after EAGAIN (0) for a moment. */
	o.file = "/bin/true";
	ASSERT_EQ(spawn_start(&o, &pid, &pidfd, &fd, &eb), 0);
	for (int i = 0; i < 100000 && (r = spawn_report(fd, o.file, NULL, &eb)) == 0; i++)
		usleep(10);
	ASSERT_EQ(r, 1);
	close(fd);
	waitpid(pid, &st, 0);
	if (pidfd >= 0)
		close(pidfd);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The child runs in the parent's memory until exec: a big parent is no slower to spawn from,
 * and its memory is as it was (a fork would have copied it; a careless vfork child would
 * have scribbled on it). */
static void test_big_parent(void)
{
	size_t size = 256u << 20;
	unsigned char *big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *argv[] = { "true", NULL };
	struct spawn_opts o = { .file = "/bin/true", .argv = argv, .envp = envp, .stdin_fd = -1,
				.stdout_fd = -1, .stderr_fd = -1, .setpgid = true };
	struct errbuf eb;
	struct timespec t0, t1;
	double best = 1e9;

	ASSERT_TRUE(big != MAP_FAILED);
	for (size_t i = 0; i < size; i += 4096)
		big[i] = (unsigned char)(i >> 12);
	for (int k = 0; k < 20; k++) {
		pid_t pid;
		int pidfd;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(spawn_run(&o, &pid, &pidfd, &eb), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		double dt = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;

		if (dt < best)
			best = dt;
	}
	for (size_t i = 0; i < size; i += 4096)
		ASSERT_EQ(big[i], (unsigned char)(i >> 12));
	munmap(big, size);
	printf("# spawn from a parent with 256 MiB resident: best %.3f ms\n", best);
	/* A fork would copy 64k page table entries; this stays well below that cost. */
	ASSERT_TRUE(best < 20.0);
}

int main(void)
{
	RUN(test_clean_child);
	RUN(test_session_and_dir);
	RUN(test_pgid);
	RUN(test_child_setup);
	RUN(test_failures);
	RUN(test_ids);
	RUN(test_async_report);
	RUN(test_big_parent);
	return test_summary();
}
