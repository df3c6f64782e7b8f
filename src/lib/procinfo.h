/* procinfo.h - what /proc says about a process: its parent, process group and session, and
 * whether it belongs to another process's tree.
 *
 * Used to bind a request from a local peer (SO_PEERCRED pid) to the process that is allowed
 * to make it: the hook-tool server accepts a tool call only from the hook it names (the
 * hook's process group, or its descendants). */
#ifndef CAIRN_PROCINFO_H
#define CAIRN_PROCINFO_H

#include <stdbool.h>
#include <sys/types.h>

#define PROCINFO_MAX_DEPTH 256 /* parent links followed before giving up */

struct procinfo {
	pid_t ppid;
	pid_t pgid;
	pid_t sid;
};

/* Reads /proc/PID/stat.  Returns 0, -ESRCH when there is no such process, -EINVAL when the
 * file cannot be parsed, or another negative errno. */
int procinfo_read(pid_t pid, struct procinfo *ret);

/* Whether pid is leader itself, is in leader's process group, or descends from leader
 * (following parent links at most PROCINFO_MAX_DEPTH times).  False for pids <= 0 and for
 * processes that are gone. */
bool procinfo_in_tree(pid_t pid, pid_t leader);

#endif
