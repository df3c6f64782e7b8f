/* launch.h - starting service processes, exec commands and exec checks, on lib/spawn.h.
 *
 * Every child is started by the one spawner of lib/spawn.h (clone with CLONE_VM|CLONE_VFORK:
 * the cost does not grow with the daemon, so starting 100 services in one loop iteration
 * costs 100 short spawns, not 100 copies of scree's page tables).  The exec result reaches
 * the caller through the spawn's CLOEXEC report pipe, which the loop watches (EOF = exec
 * succeeded, bytes = the failure): a failed exec takes the same asynchronous path as a
 * process that exits, as before, so the service state machine sees one kind of event.
 *
 * The child: default signal dispositions and an empty mask, its own process group
 * (setpgid), stdin /dev/null, stdout and stderr on out_fd, working directory, group and
 * user, then execve.  An exec (launch_opts.stdio/setsid/ctty) wires all three streams and
 * gets its own session instead, optionally with its terminal as the controlling one.  A
 * program name without '/' is looked up in the daemon's PATH first (Go's exec.LookPath),
 * so "not found" is reported synchronously with upstream's text. */
#ifndef SCREE_LAUNCH_H
#define SCREE_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/errbuf.h"
#include "plan.h"

struct launch_opts {
	char *const *argv;  /* NULL-terminated; argv[0] is the program */
	char *const *envp;  /* complete environment */
	const char *cwd;    /* NULL = inherit */
	int out_fd;         /* stdout and stderr */
	bool set_ids;
	uid_t uid;
	gid_t gid;
	/* Exec (§16); zero values keep the service behaviour above. */
	bool stdio;         /* stdin from in_fd and stderr to err_fd (not /dev/null, out_fd) */
	int in_fd;
	int err_fd;         /* may equal out_fd */
	bool setsid;        /* a new session (no controlling terminal) instead of a group */
	bool ctty;          /* with setsid: stdin, a terminal, becomes the controlling one */
};

/* exec.LookPath against the daemon's PATH: a name with a '/' is used as is, else the first
 * executable regular file PATH gives.  Writes the path to out; returns 0, or -ENOENT with
 * eb = `exec: "x": executable file not found in $PATH`. */
int launch_look_path(const char *name, char *out, size_t n, struct errbuf *eb);

/* Starts the child.  Returns 0 with *ret_pid, *ret_pidfd (-1 without pidfd support) and
 * *ret_status_fd (non-blocking, CLOEXEC: read it with launch_check when readable), or a
 * negative errno with eb set (e.g. `exec: "x": executable file not found in $PATH`). */
int launch_start(const struct launch_opts *o, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd,
		 struct errbuf *eb);

/* Reads the exec status pipe.  Returns 1 when exec succeeded (EOF), 0 when nothing is
 * known yet (EAGAIN), or a negative errno with eb describing the failure
 * ("fork/exec /x: permission denied", "chdir /x: no such file or directory").  The caller
 * closes fd once the result is final. */
int launch_check(int fd, const char *program, const char *cwd, struct errbuf *eb);

/* Raises the daemon's soft limit of open files to the hard limit (at most LAUNCH_NOFILE_MAX),
 * so the API's connection limit (HTTP_MAX_CONNS) is reached before the kernel's; every
 * process launch_start() runs afterwards gets the limit the daemon was started with, as Go
 * (and so Pebble) does.  Call once at startup.  Returns 0 or a negative errno. */
#define LAUNCH_NOFILE_MAX 65536
int launch_raise_nofile(void);

/* The daemon's environment with overlay's variables set on top (services and exec checks
 * inherit it, §13, §2.4): a new NULL-terminated array (launch_strv_free) and its length. */
char **launch_env(const struct plan_strmap *overlay, size_t *ret_n);
/* Sets key=val in the array built by launch_env (replacing an existing key). */
void launch_env_set(char ***envp, size_t *n, const char *key, const char *val);
/* The value of key in such an array (borrowed), or NULL; and key's removal (exec, §16). */
const char *launch_env_get(char *const *envp, size_t n, const char *key);
void launch_env_unset(char **envp, size_t *n, const char *key);
/* Frees a NULL-terminated string array; NULL is ignored. */
void launch_strv_free(char **v);

#endif
