/* exec.h - the exec task runtime (§16, upstream's cmdstate): one struct exec per `exec`
 * task, which waits for its websockets, runs the command with pipes or a pty, streams its
 * output as binary frames and its input from binary frames, obeys control messages, and
 * finishes the task with the exit code once the child has exited *and* every output has
 * reached EOF with its {"command":"end"} frame written out.
 *
 * Life of an exec (exec_state; the one transition function checks each step):
 *   SETUP      created with its task (status Do) by execmgr_add(); no process yet
 *   CONNECTING the task runs: waits up to EXEC_CONNECT_TIMEOUT_MS for the stdio websocket
 *              (and stderr with split-stderr); control is optional
 *   RUNNING    the child runs
 *   DRAINING   the child has exited (or never started): the control websocket is closed and
 *              the outputs are drained to EOF, each followed by its end frame
 *   DONE       the task is finished; the websockets are closed and the exec is freed
 *
 * Nothing here blocks: pipes, the pty master and the websockets are non-blocking and
 * watched by the loop, the child is spawned without waiting for its exec (launch.h) and
 * reaped by the loop.  Input is never buffered without bound: while the child's stdin is
 * full the stdio websocket stops being read; output is read only while less than
 * EXEC_OUT_HIGH_WATER bytes wait to be written to its websocket. */
#ifndef SCREE_EXEC_H
#define SCREE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "change.h"
#include "http/ws_conn.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define EXEC_CONNECT_TIMEOUT_MS 5000      /* upstream connectTimeout */
#define EXEC_READ_CHUNK (128u * 1024)     /* one output read = one binary frame (§16) */
#define EXEC_OUT_HIGH_WATER (256u * 1024) /* queued output that pauses reading a pipe */
#define EXEC_MAX_RUNNING 256              /* execs not yet finished; more are refused */

/* The websockets of an exec task, by their ids in /v1/tasks/{id}/websocket/{ws-id}. */
enum exec_ws {
	EXEC_WS_CONTROL,
	EXEC_WS_STDIO,
	EXEC_WS_STDERR,
	_EXEC_WS_MAX,
};

enum exec_state {
	EXEC_SETUP,
	EXEC_CONNECTING,
	EXEC_RUNNING,
	EXEC_DRAINING,
	EXEC_DONE,
	_EXEC_STATE_MAX,
};

/* What to run, fully resolved by the API (environment and working dir with their defaults,
 * ids normalized).  execmgr_add() takes ownership of the strings. */
struct exec_args {
	char **argv;          /* NULL-terminated */
	char **envp;          /* NULL-terminated, the complete environment */
	char *working_dir;
	int64_t timeout_ns;   /* 0 = none */
	bool set_ids;         /* switch to uid/gid (they differ from the daemon's) */
	uid_t uid;
	gid_t gid;
	bool pty_owner;       /* chown the pty to uid/gid (a user was requested) */
	bool terminal, interactive, split_stderr;
	int width, height;
};

void exec_args_done(struct exec_args *a);

struct exec;

struct execmgr_hooks {
	/* The exec of task_id has started (CONNECTING): websocket connects that arrived
	 * earlier may proceed now. */
	void (*started)(void *data, int task_id);
};

struct execmgr {
	struct loop *loop;
	struct exec *list;
	size_t n;
	const struct execmgr_hooks *hooks;
	void *data;
	char *rbuf;           /* EXEC_READ_CHUNK bytes shared by every output read */
	struct ws_conn_group conns; /* every exec websocket, also those still closing */
};

void execmgr_init(struct execmgr *m, struct loop *l, const struct execmgr_hooks *hooks, void *data);
/* Kills every running command (its process group, SIGKILL), closes every websocket and
 * frees every exec.  Their tasks are left as they are (the daemon is exiting). */
void execmgr_done(struct execmgr *m);

/* Creates the exec of task t (kind "exec", status Do); takes ownership of *args (zeroed). */
void execmgr_add(struct execmgr *m, struct task *t, struct exec_args *args);
/* Execs that are not finished yet. */
size_t execmgr_count(const struct execmgr *m);

/* Task runner entry points (chg_ops). */
void execmgr_do_task(struct execmgr *m, struct task *t);
void execmgr_abort_task(struct execmgr *m, struct task *t);

/* The exec of task id, or NULL (finished, or not an exec this daemon knows). */
struct exec *execmgr_find(struct execmgr *m, int task_id);
enum exec_state exec_state(const struct exec *e);

/* Websocket ids: "control", "stdio", "stderr" -> 0 with *ret; an id the exec does not have
 * ("stderr" without split-stderr, anything else) -> -ENOENT. */
int exec_ws_lookup(const struct exec *e, const char *id, enum exec_ws *ret);
/* True if websocket w has been connected already (a second connect is refused). */
bool exec_ws_connected(const struct exec *e, enum exec_ws w);
/* True while the exec accepts websocket connections (CONNECTING, RUNNING). */
bool exec_accepts_ws(const struct exec *e);

/* Attaches an upgraded socket as websocket w (ownership of fd passes; response is sent
 * first, leftover holds bytes read past the request).  Starts the command when the I/O
 * websockets are all there.  0 or a negative errno (fd closed). */
int exec_attach_ws(struct exec *e, enum exec_ws w, int fd, const void *response, size_t n_response,
		   const void *leftover, size_t n_left);

#endif
