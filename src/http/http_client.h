/* http_client.h - a small blocking HTTP/1.1 client for UNIX sockets (the scree CLI, the
 * unit agent's Pebble polls, tests and benchmarks).  One request at a time per connection;
 * keep-alive is used when the server allows it.  Responses may use Content-Length or chunked
 * encoding; streaming responses (logs -f) can be read incrementally with a callback. */
#ifndef CAIRN_HTTP_CLIENT_H
#define CAIRN_HTTP_CLIENT_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

struct http_client;

struct http_response {
	int status;
	struct buf content_type;
	struct buf body;
};

/* Connects to the UNIX socket at path. timeout_ms bounds connect and each read (0 = none). */
int http_client_open_unix(const char *path, int timeout_ms, struct http_client **ret, struct errbuf *eb);
void http_client_free(struct http_client *c);
void http_response_done(struct http_response *r);

/* Sends METHOD target with an optional body (content_type may be NULL) and reads the whole
 * response.  Reconnects once if a kept-alive connection was closed by the server. */
int http_client_request(struct http_client *c, const char *method, const char *target,
			const char *content_type, const void *body, size_t len,
			struct http_response *resp, struct errbuf *eb);
/* Like http_client_request but passes body bytes to on_data as they arrive (for chunked
 * streams); on_data returning non-zero stops reading and closes the connection. */
int http_client_request_stream(struct http_client *c, const char *method, const char *target,
			       const char *content_type, const void *body, size_t len,
			       int (*on_data)(const char *p, size_t n, void *data), void *data,
			       int *ret_status, struct errbuf *eb);

#endif
