/* procinfo.c - /proc/PID/stat readers; see procinfo.h. */
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int procinfo_read(pid_t pid, struct procinfo *ret)
{
	char path[48], buf[1024], *p;
	long ppid, pgrp, sid;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so
	 * the fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %ld %ld %ld", &ppid, &pgrp, &sid) != 3)
		return -EINVAL;
	ret->ppid = (pid_t)ppid;
	ret->pgid = (pid_t)pgrp;
	ret->sid = (pid_t)sid;
	return 0;
}

bool procinfo_in_tree(pid_t pid, pid_t leader)
{
	struct procinfo pi;

	if (pid <= 0 || leader <= 0)
		return false;
	if (pid == leader)
		return true;
	if (procinfo_read(pid, &pi) < 0)
		return false;
	if (pi.pgid == leader)
		return true;
	for (int depth = 0; depth < PROCINFO_MAX_DEPTH; depth++) {
		if (pi.ppid == leader)
			return true;
		if (pi.ppid <= 1 || procinfo_read(pi.ppid, &pi) < 0)
			return false;
	}
	return false;
}
