/* tool.h - one run of an external tool (skopeo, umoci, runc, a CNI plugin, ip, tar, rm) as a
 * child process whose completion is a loop event.
 *
 * Every long step of the pod module runs through here, so the loop never blocks: the child's
 * stdin is fed from a buffer, its stdout is collected (up to a limit), the tail of its stderr
 * is kept for the error message, and a deadline kills it.  The callback fires exactly once,
 * after the child has been reaped and both pipes are drained, unless the request is
 * abandoned first.
 *
 * A request is short-lived (libuv's "request"): it frees itself after its callback returns. */
#ifndef CAIRN_POD_TOOL_H
#define CAIRN_POD_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define TOOL_STDOUT_MAX (4u << 20)  /* stdout beyond this fails the run (-EFBIG) */
#define TOOL_STDERR_TAIL 4096       /* bytes of stderr kept for the error message */
#define TOOL_DEFAULT_TIMEOUT_MS 60000

struct tool_req;

struct tool_result {
	int status;               /* 0 = exit 0; -errno when it could not run or timed out
				   * (-ETIMEDOUT), was too chatty (-EFBIG); otherwise the
				   * exit status (positive) or 128 + signal number */
	const struct buf *out;    /* stdout (borrowed, valid during the callback) */
	const char *err_tail;     /* last TOOL_STDERR_TAIL bytes of stderr, NUL-terminated */
	const char *what;         /* the request's label, e.g. "runc run" */
};

typedef void (*tool_cb)(void *data, const struct tool_result *res);

struct tool_opts {
	const char *what;         /* label for messages, e.g. "skopeo copy" (copied) */
	char *const *argv;        /* argv[0] is the program path (copied) */
	char *const *env;         /* complete environment, NULL = a minimal PATH-only one (copied) */
	const void *input;        /* bytes written to stdin, then closed (copied); NULL = /dev/null */
	size_t input_len;
	const char *stdout_path;  /* non-NULL: stdout (and stderr) go to this file (O_APPEND),
				   * nothing is collected; for long-lived detached children */
	uint64_t timeout_ms;      /* 0 = TOOL_DEFAULT_TIMEOUT_MS */
	int pass_fd;              /* >= 0: made fd 3 in the child (runc --preserve-fds 1) */
	tool_cb cb;
	void *data;
};

/* Starts the tool.  Returns 0 and, when ret is not NULL, the request (valid until its
 * callback returns); or a negative errno with eb saying why the tool could not start (the
 * callback is then never called). */
int tool_run(struct loop *l, const struct tool_opts *o, struct tool_req **ret, struct errbuf *eb);

/* Drops a pending request without its callback: the child is killed (SIGKILL to its process
 * group) and reaped by the loop in the background.  NULL is accepted. */
void tool_abandon(struct tool_req *r);

/* Writes "<what>: <reason>" for a failed result into eb, the reason being the tool's own last
 * error line (see tool_stderr_reason) or its exit status when it printed nothing. */
void tool_result_error(const struct tool_result *res, struct errbuf *eb);

/* Extracts a readable reason from a tool's stderr: the last non-empty line, with a Go logrus
 * prefix (`time="..." level=fatal msg="..."`, as skopeo and runc print) reduced to the
 * unquoted msg.  Writes "" when there is no such line.  Pure; out is always terminated. */
void tool_stderr_reason(const char *err, char *out, size_t n);

#endif
