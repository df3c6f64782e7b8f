/* http_aclient.h - one HTTP/1.1 GET over a UNIX socket, driven by the loop (the unit agent's
 * Pebble requests: notice long-polls and change lookups, which must never block it).
 *
 * A request connects (non-blocking), sends `GET <target>` with Connection: close, and
 * reads the response through http-parser: status and body (Content-Length, chunked or up
 * to EOF), at most max_body bytes.  The done callback runs exactly once, never from inside
 * http_aclient_get(), then the request frees itself: with the status and the body, or with
 * status 0 and what went wrong ("dial unix /x/pebble.socket: connect: no such file or
 * directory", "timed out", "response body over 8388608 bytes").  timeout_ms bounds the whole
 * exchange (a long-poll's server-side timeout plus a margin).
 *
 * Handles: a request is cancelled with http_aclient_cancel() (done does not run then), safe
 * from inside any callback but its own done. */
#ifndef CAIRN_HTTP_ACLIENT_H
#define CAIRN_HTTP_ACLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define HTTP_ACLIENT_MAX_HEADER 65536 /* response header bytes accepted */

struct http_areq;

/* body is NUL-terminated (len bytes before the NUL), borrowed for the call. */
typedef void (*http_aclient_done)(void *data, int status, const char *body, size_t len,
				  const char *error);

struct http_aclient_opts {
	const char *socket_path;
	const char *target;        /* "/v1/notices?after=..." (already escaped) */
	uint64_t timeout_ms;
	size_t max_body;
	http_aclient_done done;
	void *data;
};

/* Starts the request.  Returns 0 (done runs later) or a negative errno with eb set for what
 * cannot even start (a socket path too long); done never runs then. */
int http_aclient_get(struct loop *l, const struct http_aclient_opts *o, struct http_areq **ret,
		     struct errbuf *eb);
void http_aclient_cancel(struct http_areq *r);

#endif
