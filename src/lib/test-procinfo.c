/* Unit tests for procinfo: parent, group and session of real processes; membership of a
 * process tree (the group, descendants) and of nothing else. */
#include "lib/procinfo.h"
#include "lib/test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks a child that runs fn and then waits to be killed; returns its pid. */
static pid_t child(void (*fn)(int wfd), int *ret_rfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	*ret_rfd = p[0];
	return pid;
}

static void own_group(int wfd)
{
	pid_t grand;

	setpgid(0, 0);
	grand = fork();
	if (grand == 0) {
		/* A grandchild that leaves the group: still in the tree by parentage. */
		pid_t me = getpid();

		setpgid(0, 0);
		if (write(wfd, &me, sizeof(me)) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	if (write(wfd, &grand, sizeof(grand)) < 0)
		_exit(1);
}

static void test_read_self(void)
{
	struct procinfo pi;

	ASSERT_EQ(procinfo_read(getpid(), &pi), 0);
	ASSERT_EQ(pi.ppid, getppid());
	ASSERT_EQ(pi.pgid, getpgrp());
	ASSERT_EQ(pi.sid, getsid(0));
	ASSERT_EQ(procinfo_read(0, &pi), -ESRCH);
	ASSERT_EQ(procinfo_read(0x3ffffff0, &pi), -ESRCH);
}

static void test_tree(void)
{
	int rfd;
	pid_t leader = child(own_group, &rfd), grand = 0, grand2 = 0;

	ASSERT_EQ(read(rfd, &grand, sizeof(grand)), (ssize_t)sizeof(grand));
	ASSERT_EQ(read(rfd, &grand2, sizeof(grand2)), (ssize_t)sizeof(grand2));
	ASSERT_EQ(grand, grand2);
	close(rfd);
	ASSERT_TRUE(procinfo_in_tree(leader, leader));
	ASSERT_TRUE(procinfo_in_tree(grand, leader));
	/* This process is the leader's parent, not its descendant. */
	ASSERT_TRUE(!procinfo_in_tree(getpid(), leader));
	ASSERT_TRUE(!procinfo_in_tree(leader, grand));
	ASSERT_TRUE(!procinfo_in_tree(1, leader));
	ASSERT_TRUE(!procinfo_in_tree(0, leader));
	kill(grand, SIGKILL);
	kill(leader, SIGKILL);
	waitpid(leader, NULL, 0);
	/* Gone: never in anything. */
	ASSERT_TRUE(!procinfo_in_tree(leader, getpid()));
}

int main(void)
{
	RUN(test_read_self);
	RUN(test_tree);
	return test_summary();
}
