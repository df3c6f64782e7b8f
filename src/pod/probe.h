/* probe.h - asks a scree for its boot id (GET /v1/system-info on its UNIX socket) without
 * blocking the loop.
 *
 * The unit agent's blocking client is fine for a hook's short calls; a supervisor that
 * watches many containers must not stall on one that accepted the connection and went
 * quiet, so this is a small non-blocking exchange with a deadline: connect, send one request
 * with "Connection: close", read the answer to its end (at most PROBE_RESPONSE_MAX bytes),
 * parse it with http-parser.  A request is short-lived and frees itself after its callback. */
#ifndef CAIRN_POD_PROBE_H
#define CAIRN_POD_PROBE_H

#include <stdint.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define PROBE_RESPONSE_MAX 65536
#define PROBE_BOOT_ID_MAX 64
#define PROBE_TIMEOUT_MS 5000

struct probe_req;

/* status 0: boot_id holds the scree's boot id.  Otherwise a negative errno (-ENOENT or
 * -ECONNREFUSED: nothing listens yet; -ETIMEDOUT; -EPROTO: not a Pebble answer) and msg says
 * what went wrong.  Both strings are borrowed for the call. */
typedef void (*probe_cb)(void *data, int status, const char *boot_id, const char *msg);

/* Starts a probe of the socket at path.  Returns 0 (cb will be called exactly once, never
 * from inside this call) or a negative errno with eb set. */
int probe_boot_id(struct loop *l, const char *path, uint64_t timeout_ms, probe_cb cb, void *data,
		  struct probe_req **ret, struct errbuf *eb);
/* Drops a pending probe without calling back.  NULL is accepted. */
void probe_cancel(struct probe_req *p);

/* Parses a complete HTTP/1.1 response to GET /v1/system-info and copies result.boot-id
 * (pure).  Returns 0, or -EPROTO with eb naming the problem. */
int probe_parse_response(const char *raw, size_t len, char boot_id[PROBE_BOOT_ID_MAX], struct errbuf *eb);

#endif
