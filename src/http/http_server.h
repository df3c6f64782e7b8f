/* http_server.h - HTTP/1.1 server on the event loop (UNIX and TCP listeners), built on
 * http-parser.
 *
 * One struct http_server owns its listeners and connections.  Each complete request is handed
 * to the server's handler with a struct http_req, which stays valid until the handler (or a
 * later callback) answers it with one of the http_reply functions.  A handler may answer later
 * (long-polls: /v1/changes/{id}/wait, /v1/notices?timeout=...): it keeps the req pointer and is
 * told through the req's cancel callback if the client goes away first, after which the req
 * must not be used.  Requests on one connection are answered in order (pipelining is
 * allowed but the next request is not parsed until the current one is answered).
 *
 * Limits (named, with a defined refusal): header bytes > HTTP_MAX_HEADER -> 431; body >
 * HTTP_MAX_BODY -> 413; malformed syntax -> 400 with a JSON error body naming the problem;
 * more than HTTP_MAX_CONNS connections -> a new one's first request is answered 503 "too many
 * connections (limit N)" and it is closed (beyond HTTP_MAX_REFUSING such clients waiting for
 * that answer, closed at once); the others are served as before.
 *
 * Streaming: http_reply_stream_begin() sends the status line and headers with chunked
 * transfer encoding; http_reply_stream_write() sends one chunk; http_reply_stream_end() ends
 * it.  A producer with much to send (file reads) pulls instead of pushing:
 * http_reply_stream_pull() registers a fill callback that the server calls whenever the
 * client has taken the previous output, so output never runs more than one fill ahead of
 * the client.  A websocket upgrade takes over the connection with http_req_take_conn().
 *
 * Streamed request bodies: a head handler (http_server_set_head_handler) sees each request
 * that has a body as soon as its headers are complete, before any of the body is read.
 * It may take the body with http_req_take_body() (it then arrives piecewise, de-chunked,
 * through a struct http_body_sink, without the HTTP_MAX_BODY limit, and the request is
 * answered as usual once the body's end has been reported, or earlier), answer at once
 * with http_reply() (the body is then read and dropped), or do nothing (the body is
 * buffered and the request goes to the handler when complete).  An answer given before
 * the body's end carries "Connection: close"; the rest of the body is read and dropped
 * and the connection closed after it. */
#ifndef CAIRN_HTTP_SERVER_H
#define CAIRN_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define HTTP_MAX_HEADER (64u * 1024u)
#define HTTP_MAX_BODY (64u * 1024u * 1024u)
#define HTTP_MAX_CONNS 1024
#define HTTP_MAX_REFUSING 64
#define HTTP_MAX_QUERY_PARAMS 64
/* A pulled answer's fill is called while less than this much output is unsent. */
#define HTTP_STREAM_LOW_WATER (256u * 1024u)

struct http_server;
struct http_req;

struct http_header {
	char *name;  /* as received */
	char *value;
};

struct http_query_param {
	char *key;   /* percent-decoded */
	char *value; /* percent-decoded */
};

struct http_req {
	const char *method;       /* "GET", "POST", ... */
	char *url;                /* raw request target */
	char *path;               /* percent-decoded path without the query */
	struct http_query_param params[HTTP_MAX_QUERY_PARAMS];
	size_t n_params;
	struct http_header *headers;
	size_t n_headers;
	struct buf body;          /* de-chunked body */
	/* Peer identity. */
	bool is_unix;             /* arrived on the UNIX socket */
	bool peer_cred_ok;        /* SO_PEERCRED succeeded */
	uid_t peer_uid;
	pid_t peer_pid;
	/* Set by the handler when it answers later: called if the client disconnects first. */
	void (*cancel_cb)(struct http_req *req, void *data);
	void *cancel_data;
	void *conn;               /* private */
};

typedef void (*http_handler_fn)(struct http_server *s, struct http_req *req, void *data);

/* Receives a streamed request body (see the file comment).  Both are called from the
 * connection's I/O callback. */
struct http_body_sink {
	/* The next n > 0 bytes of the (de-chunked) body. */
	void (*data)(struct http_req *req, const char *p, size_t n, void *arg);
	/* The body is complete; the request now waits for its answer (which may be given
	 * from here).  Not called if the request was answered before. */
	void (*end)(struct http_req *req, void *arg);
};

struct http_server *http_server_new(struct loop *l, http_handler_fn handler, void *data);
/* Sets the head handler (NULL: none), called with the server's data for every request
 * with a body once its headers are complete.  The request's method, path, query, headers
 * and peer are valid; its body is empty. */
void http_server_set_head_handler(struct http_server *s, http_handler_fn head);
/* From a head handler only: the body goes to sink (borrowed; must outlive the request)
 * with arg as it arrives.  The caller should set req->cancel_cb: it is called if the
 * client goes away, or the body's framing turns out malformed (the server then refuses
 * the request with 400 itself), before the request is answered. */
void http_req_take_body(struct http_req *req, const struct http_body_sink *sink, void *arg);
/* Flow control for a streamed body: hold=true asks the server to read and parse no more of
 * it for now (what one socket read brought in may still arrive; the client then waits on
 * its full socket); false resumes (the buffered rest is parsed from the server's settle
 * timer, never from inside this call).  A hang-up is still noticed while held.  Only while
 * the body streams; ignored otherwise. */
void http_req_hold_body(struct http_req *req, bool hold);
/* Stops listening, closes every connection (cancelling pending requests) and frees. */
void http_server_free(struct http_server *s);

/* Listens on a UNIX socket at path (mode 0666 via umask 0111).  A stale socket file is
 * replaced; a live one fails with -EADDRINUSE and eb = `socket "PATH" already in use`. */
int http_server_listen_unix(struct http_server *s, const char *path, struct errbuf *eb);
/* Listens on TCP "host:port" or ":port" (Go style; empty host = all interfaces).
 * *ret_port receives the bound port (useful with port 0); may be NULL. */
int http_server_listen_tcp(struct http_server *s, const char *addr, int *ret_port, struct errbuf *eb);
/* Serves fd, a connected stream socket (non-blocking, CLOEXEC), as if a listener had
 * accepted it (is_unix: its peer credentials are read).  Takes ownership of fd, also on
 * failure.  Returns 0, -EMFILE with HTTP_MAX_CONNS connections open, or another negative
 * errno. */
int http_server_adopt(struct http_server *s, int fd, bool is_unix);
/* Stops accepting new connections (existing ones continue). */
void http_server_stop_listening(struct http_server *s);

/* Query/header lookup.  http_req_param returns the first value or NULL; http_req_param_all
 * collects every value of a repeated key, splitting comma-separated values, trimming spaces
 * and dropping empty items (Pebble's list parameters); the strings are borrowed from req. */
const char *http_req_param(const struct http_req *req, const char *key);
bool http_req_has_param(const struct http_req *req, const char *key);
size_t http_req_param_all(const struct http_req *req, const char *key, const char **out, size_t max);
const char *http_req_header(const struct http_req *req, const char *name); /* case-insensitive */

/* Answers req with a complete response (Content-Length set).  reason = standard phrase for
 * status (http_reason()).  extra_headers: NULL or "Name: value\r\n..." lines.  After this call
 * req is gone. */
void http_reply(struct http_req *req, int status, const char *content_type,
		const void *body, size_t len, const char *extra_headers);
/* Chunked streaming answer.  After stream_end, req is gone.  stream_write returns -EPIPE if
 * the client has gone (the req is then still valid until stream_end or the cancel callback). */
void http_reply_stream_begin(struct http_req *req, int status, const char *content_type);
int http_reply_stream_write(struct http_req *req, const void *data, size_t len);
void http_reply_stream_end(struct http_req *req);
/* Pulled streaming: after http_reply_stream_begin(), fill(req, data) is called from the
 * connection's I/O callback whenever less than HTTP_STREAM_LOW_WATER bytes of output are
 * unsent, once per writable event, until the stream ends or fill is replaced by NULL.
 * fill writes with http_reply_stream_write() or ends the stream; a fill that does
 * neither must set NULL (or it is called again at once).  If the client goes away the
 * req's cancel_cb is called instead. */
void http_reply_stream_pull(struct http_req *req, void (*fill)(struct http_req *req, void *data), void *data);
/* Bytes of the answer queued but not yet taken by the client. */
size_t http_reply_stream_unsent(const struct http_req *req);

/* The standard reason phrase ("OK", "Not Found", "Gateway Timeout"...). */
const char *http_reason(int status);

/* Takes over the connection's socket (for a websocket upgrade): the server forgets the
 * connection; the caller owns the returned fd (non-blocking, CLOEXEC) and any bytes already
 * read past the request are appended to leftover.  req is gone afterwards. */
int http_req_take_conn(struct http_req *req, struct buf *leftover);

#endif
