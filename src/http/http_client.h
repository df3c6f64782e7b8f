/* http_client.h - a small blocking HTTP/1.1 client for UNIX sockets (the scree CLI, the
 * unit agent's Pebble polls, tests and benchmarks).  One request at a time per connection;
 * keep-alive is used when the server allows it.  Responses may use Content-Length or chunked
 * encoding; streaming responses (logs -f) can be read incrementally with a callback. */
#ifndef CAIRN_HTTP_CLIENT_H
#define CAIRN_HTTP_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

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
/* Changes the bound on later connects, writes and reads (0 = none). */
void http_client_set_timeout(struct http_client *c, int timeout_ms);
void http_response_done(struct http_response *r);

/* Sends METHOD target with an optional body (content_type may be NULL) and reads the whole
 * response.  Reconnects once if a kept-alive connection was closed by the server. */
int http_client_request(struct http_client *c, const char *method, const char *target,
			const char *content_type, const void *body, size_t len,
			struct http_response *resp, struct errbuf *eb);
/* One request, with every option: a complete body (body/len) or a chunked body pulled
 * from produce (called until it returns 0 for the end, or a negative errno to abort;
 * a produced body is never retried on a new connection), an Accept header, and the
 * response body either buffered in resp->body or passed to on_data as it arrives
 * (on_data returning non-zero stops reading and closes the connection).  resp->status
 * and resp->content_type are always filled on success; resp->content_type is already
 * complete when on_data is first called (so a callback given resp can read it).  A server
 * that answers before the whole body is sent is heard: its answer is returned. */
struct http_client_req {
	const char *method;
	const char *target;
	const char *content_type;  /* NULL: none */
	const char *accept;        /* NULL: none */
	const void *body;
	size_t len;
	ssize_t (*produce)(char *buf, size_t cap, void *data);
	int (*on_data)(const char *p, size_t n, void *data);
	void *data;                /* for produce and on_data */
};
int http_client_request_ex(struct http_client *c, const struct http_client_req *rq, struct http_response *resp,
			   struct errbuf *eb);
/* Like http_client_request but passes body bytes to on_data as they arrive (for chunked
 * streams); on_data returning non-zero stops reading and closes the connection. */
int http_client_request_stream(struct http_client *c, const char *method, const char *target,
			       const char *content_type, const void *body, size_t len,
			       int (*on_data)(const char *p, size_t n, void *data), void *data,
			       int *ret_status, struct errbuf *eb);

#endif
