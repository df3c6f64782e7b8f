/* spawn.h - fork/exec with a reported exec error, a pidfd, and a clean child.
 *
 * The parent blocks all signals around fork(); the child resets dispositions and the mask,
 * optionally calls setsid(), wires stdio, changes directory, group and user, then execs.  A
 * CLOEXEC pipe carries a failed exec's errno back, so spawn_run fails with the real reason
 * ("fork/exec /x: no such file or directory") instead of a child exiting 127 (libuv). */
#ifndef CAIRN_SPAWN_H
#define CAIRN_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "errbuf.h"

struct spawn_opts {
	const char *file;        /* path to execute; searched in PATH of envp when it has no '/' */
	char *const *argv;       /* NULL-terminated */
	char *const *envp;       /* NULL-terminated; the complete environment */
	const char *cwd;         /* NULL = inherit */
	int stdin_fd;            /* -1 = /dev/null */
	int stdout_fd;           /* -1 = /dev/null */
	int stderr_fd;           /* -1 = /dev/null; may equal stdout_fd */
	bool setsid;             /* own session and process group */
	bool setpgid;            /* own process group (ignored with setsid) */
	bool set_ids;            /* switch to uid/gid below */
	uid_t uid;
	gid_t gid;
	void (*child_setup)(void *data); /* runs in the child just before exec; may be NULL */
	void *child_setup_data;
};

/* Returns 0 and writes *ret_pid and *ret_pidfd (-1 when pidfds are unavailable), or a
 * negative errno with eb describing it. */
int spawn_run(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, struct errbuf *eb);

#endif
