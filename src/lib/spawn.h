/* spawn.h - starting a program the cheap way: clone(CLONE_VM | CLONE_VFORK), a clean child,
 * an exec error reported through the memory it shares with the parent (or a CLOEXEC pipe),
 * a pidfd.
 *
 * The one spawner of every daemon here (cairnd's machine agent, the agent's hooks and
 * screes, scree's services, exec and exec checks, pod tools).  fork() copies the page tables
 * of the whole parent: from an agent holding 10,000 units that is most of the cost of a hook
 * (perf: copy_page_range), and it grows with the parent.  Here the child shares the parent's
 * memory on a stack of its own until it calls execve (or _exits), while the parent waits, as
 * glibc's posix_spawn does; the cost does not depend on the parent's size.
 *
 * So everything the child needs is prepared by the parent (argv, envp, fds, paths), and the
 * child only makes system calls: it blocks nothing, allocates nothing and writes no memory
 * but its own stack, errno and its failure report.  The parent blocks all signals around the
 * clone; the child resets every disposition to the default, optionally calls setsid() or
 * setpgid(), wires stdio, makes its terminal the controlling one, changes directory, group
 * and user, runs child_setup, empties its signal mask and execs.  When a step fails it writes {stage, errno}
 * and _exits 127: the spawn then fails with the real reason ("fork/exec /x: no such file or
 * directory", "chdir /x: ...") instead of a child exiting 127 (libuv).  spawn_run's child
 * writes it into the parent's memory, which is final when clone returns (a vfork parent is
 * released only once the child has exec'd or exited): no pipe, no wait, as glibc's
 * posix_spawn does; spawn_start's child writes it on a CLOEXEC pipe its caller watches. */
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
	bool ctty;               /* with setsid: stdin (a terminal) becomes the controlling one */
	bool set_ids;            /* switch to uid/gid below (supplementary groups dropped) */
	uid_t uid;
	gid_t gid;
	/* Runs in the child just before exec.  It shares the parent's memory while the parent
	 * waits: only async-signal-safe calls, no allocation, no blocking, no writes outside its
	 * own stack frame.  It may end the child with spawn_child_exit(127) to fail the spawn
	 * (seen as a child that exits 127).  Define it with SPAWN_CHILD_FN.  May be NULL. */
	void (*child_setup)(void *data);
	void *child_setup_data;
};

/* Marks a function that runs in the spawned child (child_setup and what it calls): without
 * AddressSanitizer's instrumentation, which assumes the thread's own stack (a no-return call
 * such as spawn_child_exit on the child's stack makes ASan report a stack switch). */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_CHILD_FN __attribute__((no_sanitize("address")))
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_CHILD_FN __attribute__((no_sanitize("address")))
#endif
#endif
#ifndef SPAWN_CHILD_FN
#define SPAWN_CHILD_FN
#endif

/* Where a child failed (the report it writes). */
enum spawn_stage {
	SPAWN_STAGE_EXEC = 0,    /* execve, or child_setup */
	SPAWN_STAGE_CHDIR,
	SPAWN_STAGE_IDS,
	SPAWN_STAGE_STDIO,
	_SPAWN_STAGE_MAX,
};

/* Ends a spawned child before its exec (from child_setup): the exit system call itself, as
 * _exit() may be intercepted (sanitizer runtimes) and run exit work in the parent's memory. */
__attribute__((noreturn)) void spawn_child_exit(int code);

/* Starts o and waits for its exec.  Returns 0 and writes *ret_pid and *ret_pidfd (-1 when
 * pidfds are unavailable), or a negative errno with eb describing it; a child that failed
 * before exec has been reaped then. */
int spawn_run(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, struct errbuf *eb);

/* Like spawn_run, but leaves the report to the caller: *ret_report_fd is the pipe's read
 * end (non-blocking, CLOEXEC), to read with spawn_report() from the loop (the kernel wakes a
 * vfork parent before the new program has closed its CLOEXEC fds, so EOF can follow the
 * call by a few microseconds).  The child always
 * exists on success (one whose exec failed exits 127 and is reaped like any other).  Returns
 * 0, or a negative errno with eb set when no child could be started. */
int spawn_start(const struct spawn_opts *o, pid_t *ret_pid, int *ret_pidfd, int *ret_report_fd,
		struct errbuf *eb);

/* Reads a report pipe.  Returns 1 when the exec succeeded (EOF), 0 when nothing is known yet
 * (EAGAIN), or a negative errno with eb = "fork/exec <file>: <Go's errno text>" or
 * "chdir <cwd>: ...".  The caller closes fd once the answer is final. */
int spawn_report(int fd, const char *file, const char *cwd, struct errbuf *eb);

#endif
