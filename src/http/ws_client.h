/* ws_client.h - the client side of the websocket opening handshake (RFC 6455 §4.1) over a
 * UNIX socket, blocking, for the scree CLI and tests: connect, send the upgrade request,
 * read and check the 101 answer.  The upgraded socket then goes to ws_conn_new() in the
 * client role. */
#ifndef CAIRN_WS_CLIENT_H
#define CAIRN_WS_CLIENT_H

#include "lib/buf.h"
#include "lib/errbuf.h"

#define WS_CLIENT_MAX_RESPONSE (64u * 1024)  /* bytes of a refusal we read */

/* Connects to the UNIX socket path and upgrades GET target ("/v1/tasks/2/websocket/stdio").
 * timeout_ms bounds the connect and each read and write (0 = none).  Returns 0 with
 * *ret_fd (non-blocking, CLOEXEC) and any bytes read past the answer appended to leftover;
 * or a negative errno with eb set: the server's error message when it refused with a JSON
 * error envelope (e.g. `cannot find task "9"`), else what went wrong. */
int ws_client_connect_unix(const char *path, const char *target, int timeout_ms, int *ret_fd,
			   struct buf *leftover, struct errbuf *eb);

#endif
