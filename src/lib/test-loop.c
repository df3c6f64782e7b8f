/* Unit tests for the event loop: timers in order, io, deferred calls, children and orphans
 * reaped with their real exit status, signals through the signalfd. */
#include "lib/loop.h"
#include "lib/spawn.h"
#include "lib/test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int order[8], norder;

static void timer_cb(struct loop_timer *t, void *data)
{
	(void)t;
	order[norder++] = (int)(long)data;
}

static void test_timers(void)
{
	struct loop *l;
	struct loop_timer *t[3];

	ASSERT_EQ(loop_new(&l), 0);
	norder = 0;
	t[0] = loop_timer_new(l, timer_cb, (void *)1L);
	t[1] = loop_timer_new(l, timer_cb, (void *)2L);
	t[2] = loop_timer_new(l, timer_cb, (void *)3L);
	loop_timer_arm_in(t[2], 30);
	loop_timer_arm_in(t[0], 10);
	loop_timer_arm_in(t[1], 20);
	loop_timer_disarm(t[1]);
	uint64_t start = loop_now_ms();
	while (norder < 2)
		loop_run_once(l, -1);
	ASSERT_EQ(order[0], 1);
	ASSERT_EQ(order[1], 3);
	ASSERT_TRUE(loop_now_ms() - start >= 30);
	for (int i = 0; i < 3; i++)
		loop_timer_free(t[i]);
	loop_free(l);
}

static int child_status = -1;
static pid_t child_pid;

static void child_cb(struct loop *l, pid_t pid, int ws, void *data)
{
	(void)l;
	(void)data;
	child_pid = pid;
	child_status = ws;
}

static int orphans;

static void orphan_cb(struct loop *l, pid_t pid, int ws, void *data)
{
	(void)l;
	(void)pid;
	(void)ws;
	(void)data;
	orphans++;
}

static void test_child(void)
{
	struct loop *l;
	struct errbuf eb;
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn_opts o = { .file = "sh", .argv = argv, .envp = envp,
				.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
	pid_t pid;
	int pidfd;

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(spawn_run(&o, &pid, &pidfd, &eb), 0);
	ASSERT_EQ(loop_add_child(l, pid, pidfd, child_cb, NULL), 0);
	child_status = -1;
	while (child_status == -1)
		loop_run_once(l, -1);
	ASSERT_EQ(child_pid, pid);
	ASSERT_TRUE(WIFEXITED(child_status));
	ASSERT_EQ(WEXITSTATUS(child_status), 7);
	loop_free(l);
}

static void test_exec_error(void)
{
	struct errbuf eb;
	char *argv[] = { "/nonexistent/prog", NULL };
	char *envp[] = { NULL };
	struct spawn_opts o = { .file = "/nonexistent/prog", .argv = argv, .envp = envp,
				.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
	pid_t pid;
	int pidfd;

	ASSERT_TRUE(spawn_run(&o, &pid, &pidfd, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "fork/exec /nonexistent/prog: no such file or directory");
}

static void test_orphans(void)
{
	struct loop *l;
	struct errbuf eb;
	/* The shell forks a grandchild that outlives it: as a subreaper we must reap it. */
	char *argv[] = { "sh", "-c", "(sleep 0.05; exit 3) & exit 0", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn_opts o = { .file = "sh", .argv = argv, .envp = envp,
				.stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
	pid_t pid;
	int pidfd;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(loop_new(&l), 0);
	loop_set_orphan_cb(l, orphan_cb, NULL);
	ASSERT_EQ(spawn_run(&o, &pid, &pidfd, &eb), 0);
	ASSERT_EQ(loop_add_child(l, pid, pidfd, child_cb, NULL), 0);
	orphans = 0;
	child_status = -1;
	while (child_status == -1 || orphans < 1)
		loop_run_once(l, -1);
	ASSERT_EQ(orphans, 1);
	ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0); /* nothing left to reap */
	loop_free(l);
}

static int got_signal;

static void sig_cb(struct loop *l, int signo, void *data)
{
	(void)l;
	(void)data;
	got_signal = signo;
}

static void test_signal(void)
{
	struct loop *l;

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(loop_add_signal(l, SIGHUP, sig_cb, NULL), 0);
	got_signal = 0;
	kill(getpid(), SIGHUP);
	while (!got_signal)
		loop_run_once(l, -1);
	ASSERT_EQ(got_signal, SIGHUP);
	loop_free(l);
}

static int ndefer;

static void defer_cb(void *data)
{
	(void)data;
	ndefer++;
}

static void io_cb(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	char c;

	(void)ev;
	(void)data;
	if (read(fd, &c, 1) == 1)
		loop_io_free(io);
}

static void test_io_defer(void)
{
	struct loop *l;
	int p[2];

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(pipe(p), 0);
	ASSERT_TRUE(loop_io_new(l, p[0], 1 /* EPOLLIN */, io_cb, NULL));
	ndefer = 0;
	loop_defer(l, defer_cb, NULL);
	ASSERT_EQ(write(p[1], "x", 1), 1);
	loop_run_once(l, 1000);
	ASSERT_EQ(ndefer, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

int main(void)
{
	RUN(test_timers);
	RUN(test_child);
	RUN(test_exec_error);
	RUN(test_orphans);
	RUN(test_signal);
	RUN(test_io_defer);
	return test_summary();
}
