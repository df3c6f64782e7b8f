/* check_probe.h - running one check (§14) on the daemon's loop: the HTTP, TCP and exec
 * probes, one file each (check_http.c, check_tcp.c, check_exec.c), and the loop-backed
 * struct checks_io the daemon gives the check manager (loop timers plus these probes).
 *
 * A probe never blocks: connects are non-blocking, names are resolved by a child
 * (check_net.h), the HTTP response is parsed with http-parser as it arrives, and an exec
 * check's command is a child watched through the loop's pidfds.  What a probe keeps from
 * its peer is bounded (CHECK_PROBE_MAX_BYTES of body or output, PROBE_HTTP_MAX_HEADER of
 * response headers).  Timeouts are the manager's business: it cancels a probe whose run
 * took too long.
 *
 * Each probe copies what it needs from the check at start, so the check may change or go
 * away while a cancelled probe's child is still being reaped. */
#ifndef SCREE_CHECK_PROBE_H
#define SCREE_CHECK_PROBE_H

#include "checks.h"
#include "lib/loop.h"

#define CHECK_PROBE_MAX_BYTES 512      /* body/output kept for error details (upstream maxErrorBytes) */
#define CHECK_PROBE_MAX_LINES 5        /* lines of it shown (upstream maxErrorLines) */
#define PROBE_HTTP_MAX_HEADER (64u * 1024u) /* response header bytes accepted */
#define PROBE_HTTP_MAX_REDIRECTS 10
#define PROBE_EXEC_WAIT_MS 1000        /* after the command exits, wait this long for its output (upstream WaitDelay) */

struct check_probe;

/* Called once with the outcome (never from inside the start function).  After it, the
 * probe is gone. */
typedef void (*check_probe_cb)(void *data, const struct check_result *r);

struct check_probe_ops {
	void (*cancel)(struct check_probe *p);
};

/* Every probe starts with this header. */
struct check_probe {
	const struct check_probe_ops *ops;
};

/* Starts the probe for ck's kind.  Never NULL: a probe that cannot even start reports
 * why through cb. */
struct check_probe *check_probe_start(struct loop *l, const struct check *ck, check_probe_cb cb, void *data);
/* Cancels a probe in flight (cb will not be called) and frees it.  NULL is ignored. */
void check_probe_cancel(struct check_probe *p);

/* The kinds (one file each). */
struct check_probe *check_http_start(struct loop *l, const struct plan_http_check *h, check_probe_cb cb,
				     void *data);
struct check_probe *check_tcp_start(struct loop *l, const struct plan_tcp_check *t, check_probe_cb cb,
				    void *data);
struct check_probe *check_exec_start(struct loop *l, const struct plan_exec_check *x,
				     const struct check_exec_ctx *ctx, check_probe_cb cb, void *data);

/* Error details as upstream keeps them from body or output (at most
 * CHECK_PROBE_MAX_BYTES of input): the first CHECK_PROBE_MAX_LINES lines of the trimmed
 * text, then "(...)" when there were more (HTTP bodies). */
void check_details_first_lines(const char *s, size_t n, char *out, size_t outlen);
/* The last CHECK_PROBE_MAX_LINES lines (exec output). */
void check_details_last_lines(const char *s, size_t n, char *out, size_t outlen);

/* The checks_io of the daemon; io_data is the struct loop. */
extern const struct checks_io check_probe_io;

#endif
