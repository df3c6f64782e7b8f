/* http_server.c - HTTP/1.1 server on the event loop, built on http-parser; see http_server.h.
 *
 * Connections.  Each accepted socket becomes a struct http_conn with one read buffer, one
 * write buffer, one http_parser and one embedded struct http_req that is reused for every
 * request on the connection, so a kept-alive connection serves requests without allocating
 * once its buffers have grown.  The URL, the header names and values and the decoded path and
 * query all live in one per-connection arena buffer; they are referred to by offset while
 * the request is being received (the arena may move) and turned into pointers once the
 * headers are complete (after which nothing is appended to the arena until the next request).
 *
 * Request states (conn->rstate, enum conn_rstate; the legal transitions are in
 * rstate_next[] and every change goes through conn_set_rstate()):
 *
 *   NONE --headers of a request with a body, head handler set--> HEAD
 *   HEAD --http_req_take_body--> BODY     HEAD --declined--> NONE (the body is buffered)
 *   HEAD, BODY --http_reply before the body's end--> DRAIN --body ends--> NONE (closing)
 *   NONE, BODY --whole request received--> PENDING --http_reply--> NONE
 *   PENDING --http_reply_stream_begin--> STREAMING --http_reply_stream_end--> NONE
 *   any --client gone, request cancelled--> NONE
 *
 * The parser is paused in on_headers_complete (when the head handler must see the
 * request) and in on_message_complete, and conn_process() acts on the pause outside
 * http-parser's callbacks.  A pipelined request is parsed only after the previous one is
 * answered, which keeps answers in request order.  A streamed body is delivered as it is
 * parsed, one socket read (at most HTTP_READ_CHUNK_BODY bytes) per I/O callback, so the
 * sink's work per loop iteration is bounded; an answer given before the body's end is
 * sent at once (with "Connection: close"), the rest of the body is read and dropped, and
 * the connection is closed after it.
 *
 * Pulled answers.  A streamed answer whose producer has a lot to send (file reads)
 * registers a fill callback (http_reply_stream_pull): the connection then watches
 * EPOLLOUT while its unsent output is below HTTP_STREAM_LOW_WATER and calls fill once per
 * writable event, so output is produced only as fast as the client reads it and never
 * more than one fill's worth ahead.
 *
 * Re-entrancy.  The handler is only ever called from the connection's I/O callback or from
 * the server's settle timer, never from inside an http_reply*() call: an answer given from
 * outside the connection's own callback (a long-poll) writes at once but leaves any further
 * work on the connection (parsing pipelined input, closing) to the settle timer.  This lets a
 * caller answer many waiting requests in a loop without its handler running underneath it.
 * conn->busy counts the frames (I/O callback, settle list) that hold the connection; it is
 * freed only when it is not busy, its socket is closed and no request is outstanding.
 *
 * Disconnects.  A connection whose client goes away while a request is outstanding calls the
 * request's cancel_cb (from the I/O callback or the settle timer, never from inside an
 * http_reply*() call); without a cancel_cb the request stays valid until it is answered. */
#include "http/http_server.h"

#include "http/sendq.h"

#include <errno.h>
#include <http_parser.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Bytes asked of each read(2). */
#define HTTP_READ_CHUNK 16384u
/* Bytes asked of each read(2) while a body is streamed to a sink. */
#define HTTP_READ_CHUNK_BODY (256u * 1024u)
/* Unparsed input kept behind an unanswered request before we stop reading the socket. */
#define HTTP_MAX_PENDING_INPUT (256u * 1024u)
/* Unsent streamed output after which a client that does not read is dropped. */
#define HTTP_MAX_STREAM_BACKLOG (16u * 1024u * 1024u)
/* Connections accepted per listener wake-up, and the pause after running out of fds. */
#define HTTP_ACCEPT_BATCH 64
#define HTTP_ACCEPT_RETRY_MS 100
/* A burst of clients connecting faster than one loop iteration accepts them waits in the
 * kernel: UNIX sockets refuse a connect with EAGAIN once the backlog is full. */
#define HTTP_LISTEN_BACKLOG SOMAXCONN
/* Buffers larger than these are released once empty, so idle connections stay small. */
#define HTTP_KEEP_IN_CAP (4u * HTTP_READ_CHUNK)
#define HTTP_KEEP_OUT_CAP (256u * 1024u)
#define HTTP_KEEP_BODY_CAP (1024u * 1024u)

enum conn_rstate {
	REQ_NONE,      /* reading the next request (or its buffered body) */
	REQ_HEAD,      /* the head handler is looking at the request */
	REQ_BODY,      /* a body sink receives the body as it arrives; no answer yet */
	REQ_DRAIN,     /* answered before the body ended: the rest is read and dropped */
	REQ_PENDING,   /* received whole, answer owed */
	REQ_STREAMING, /* a chunked answer is in progress */
	_REQ_MAX,
};

#define RS(s) (1u << (s))
static const unsigned rstate_next[_REQ_MAX] = {
	[REQ_NONE] = RS(REQ_HEAD) | RS(REQ_PENDING),
	[REQ_HEAD] = RS(REQ_NONE) | RS(REQ_BODY) | RS(REQ_DRAIN),
	[REQ_BODY] = RS(REQ_NONE) | RS(REQ_DRAIN) | RS(REQ_PENDING),
	[REQ_DRAIN] = RS(REQ_NONE),
	[REQ_PENDING] = RS(REQ_NONE) | RS(REQ_STREAMING),
	[REQ_STREAMING] = RS(REQ_NONE),
};
#undef RS

/* Why the parser was paused (acted on by conn_process). */
enum conn_pause { PAUSE_NONE, PAUSE_HEAD, PAUSE_END };
enum conn_last_cb { CB_NONE, CB_URL, CB_FIELD, CB_VALUE };

struct http_listener {
	struct http_server *s;
	struct http_listener *next;
	int fd;
	struct loop_io *io;
	bool is_unix;
	char *path; /* UNIX socket to unlink when we stop (if it is still ours) */
	dev_t dev;
	ino_t ino;
};

struct hdr_off {
	size_t name, value;
};

struct param_off {
	size_t key, value, split;
};

struct http_conn {
	struct http_server *s;
	struct http_conn *prev, *next;
	struct http_conn *settle_next;
	int fd;
	struct loop_io *io;
	uint32_t events; /* what is registered with the loop */
	bool is_unix, cred_ok;
	bool refusing; /* over HTTP_MAX_CONNS: its first request is answered 503, then closed */
	uid_t uid;
	pid_t pid;

	http_parser parser;
	struct buf in;
	size_t in_off;
	struct buf out;
	size_t out_off;

	/* The request being received or answered. */
	struct http_req req;
	struct buf arena;
	size_t url_off, url_len;
	enum conn_last_cb last_cb;
	struct hdr_off *hoff;
	struct http_header *hdrs;
	size_t n_hdr, hdr_cap;
	const char *split[HTTP_MAX_QUERY_PARAMS]; /* NUL-separated list items of each value */
	size_t n_split[HTTP_MAX_QUERY_PARAMS];
	int err_status; /* set by a parser callback that refuses the request */
	char err_msg[256];
	bool headers_done;
	bool body_expected; /* chunked, or a Content-Length above zero */
	bool keep_alive, http10, is_head, upgrade;

	enum conn_rstate rstate;
	enum conn_pause pause;
	const struct http_body_sink *sink; /* REQ_BODY: where the body goes */
	void *sink_arg;
	void (*pull_fill)(struct http_req *req, void *data); /* REQ_STREAMING, pulled */
	void *pull_data;
	bool stream_chunked;
	bool closing;  /* answer no more requests; close once the output is flushed */
	bool read_eof; /* the client shut its side */
	bool broken;   /* a write failed: close at the next settle */
	bool dead;     /* the socket is closed (or taken over) */
	bool in_settle;
	bool body_held; /* REQ_BODY: the sink asked for no more for now (http_req_hold_body) */
	int busy;
};

struct http_server {
	struct loop *loop;
	http_handler_fn handler;
	http_handler_fn head;
	void *data;
	struct http_listener *listeners;
	struct http_conn *conns;
	size_t n_conns; /* live (not dead) connections, refusing ones not included */
	size_t n_refusing;
	struct loop_timer *accept_timer;
	struct loop_timer *settle_timer;
	struct http_conn *settle_head;
	time_t date_sec;
	char date_hdr[64]; /* "Date: ...\r\n" for date_sec */
	size_t date_len;
};

static void conn_settle(struct http_conn *c);

static void conn_set_rstate(struct http_conn *c, enum conn_rstate to)
{
	if (c->rstate == to)
		return;
	if (!(rstate_next[c->rstate] & (1u << to)))
		abort(); /* a transition the table does not allow is a bug here */
	if (c->rstate == REQ_BODY)
		c->body_held = false;
	c->rstate = to;
	if (to == REQ_NONE || to == REQ_DRAIN) {
		c->sink = NULL;
		c->sink_arg = NULL;
	}
	if (to != REQ_STREAMING) {
		c->pull_fill = NULL;
		c->pull_data = NULL;
	}
}

/* The request is still being read from the socket (head, buffered or streamed body). */
static bool conn_receiving(const struct http_conn *c)
{
	return c->rstate == REQ_NONE || c->rstate == REQ_BODY || c->rstate == REQ_DRAIN;
}

/* ======================= reason phrases (Go's net/http StatusText) ======================= */

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 102: return "Processing";
	case 103: return "Early Hints";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 205: return "Reset Content";
	case 206: return "Partial Content";
	case 207: return "Multi-Status";
	case 208: return "Already Reported";
	case 226: return "IM Used";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 305: return "Use Proxy";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Request Entity Too Large";
	case 414: return "Request URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Requested Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 418: return "I'm a teapot";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Entity";
	case 423: return "Locked";
	case 424: return "Failed Dependency";
	case 425: return "Too Early";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 506: return "Variant Also Negotiates";
	case 507: return "Insufficient Storage";
	case 508: return "Loop Detected";
	case 510: return "Not Extended";
	case 511: return "Network Authentication Required";
	default: return "";
	}
}

/* ======================= URL decoding ======================= */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes the %XX escapes of s[0..n) into dst (room for n + 1 bytes) and NUL-terminates it;
 * with form, '+' means a space (query strings).  Returns the decoded length, or -1 on a
 * malformed escape or an escaped NUL (*bad then points at the escape). */
static ssize_t url_unescape(char *dst, const char *s, size_t n, bool form, const char **bad)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
			    (s[i + 1] == '0' && s[i + 2] == '0')) {
				*bad = s + i;
				return -1;
			}
			dst[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else if (ch == '+' && form) {
			dst[o++] = ' ';
		} else {
			dst[o++] = ch;
		}
	}
	dst[o] = '\0';
	return (ssize_t)o;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Writes the comma-separated items of v (trimmed, empty ones dropped) to dst as consecutive
 * NUL-terminated strings (room for strlen(v) + 1 bytes).  Returns the number of items. */
static size_t split_list(char *dst, const char *v)
{
	size_t n = 0;

	while (*v) {
		const char *e = strchr(v, ',');
		const char *end = e ? e : v + strlen(v);
		const char *b = v;

		while (b < end && is_space(*b))
			b++;
		while (end > b && is_space(end[-1]))
			end--;
		if (end > b) {
			memcpy(dst, b, (size_t)(end - b));
			dst += end - b;
			*dst++ = '\0';
			n++;
		}
		if (!e)
			break;
		v = e + 1;
	}
	return n;
}

/* Decodes the request target (arena[url_off], NUL-terminated) into req->path and
 * req->params, placing the decoded strings in the arena.  Sets err_status/err_msg and returns
 * -1 on a malformed path. */
static int conn_decode_target(struct http_conn *c)
{
	struct http_req *req = &c->req;
	struct param_off poff[HTTP_MAX_QUERY_PARAMS];
	size_t n_params = 0, path_off;
	const char *url, *p, *q, *end, *bad = NULL;
	ssize_t r;

	/* Decoded strings are never longer than their source; reserve room for the path, every
	 * key and value, their split copies and the terminators, so that the arena does not move
	 * while we read the URL out of it. */
	buf_grow(&c->arena, 4 * c->url_len + 4 * HTTP_MAX_QUERY_PARAMS + 16);
	url = c->arena.data + c->url_off;
	end = url + c->url_len;

	p = url;
	if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "//") + 2;
		while (p < end && *p != '/' && *p != '?' && *p != '#')
			p++;
	}
	q = p;
	while (q < end && *q != '?' && *q != '#')
		q++;

	path_off = c->arena.len;
	if (q == p && p > url && *url != '/') {
		/* Absolute form without a path: "http://host" means "/". */
		c->arena.data[c->arena.len++] = '/';
		c->arena.data[c->arena.len++] = '\0';
	} else {
		r = url_unescape(c->arena.data + path_off, p, (size_t)(q - p), false, &bad);
		if (r < 0) {
			c->err_status = 400;
			snprintf(c->err_msg, sizeof(c->err_msg), "invalid URL escape \"%.*s\"",
				 (int)(end - bad < 3 ? end - bad : 3), bad);
			return -1;
		}
		c->arena.len += (size_t)r + 1;
	}

	if (q < end && *q == '?') {
		const char *qs = q + 1, *qe = qs;

		while (qe < end && *qe != '#')
			qe++;
		/* As Go's url.ParseQuery: pairs separated by '&'; a pair with a bad escape or a
		 * semicolon is dropped. */
		while (qs < qe) {
			const char *pe = memchr(qs, '&', (size_t)(qe - qs));
			const char *eq;
			size_t key_off = c->arena.len, val_off;

			if (!pe)
				pe = qe;
			if (pe == qs || memchr(qs, ';', (size_t)(pe - qs)))
				goto next;
			eq = memchr(qs, '=', (size_t)(pe - qs));
			if (!eq)
				eq = pe;
			r = url_unescape(c->arena.data + key_off, qs, (size_t)(eq - qs), true, &bad);
			if (r < 0)
				goto next;
			val_off = key_off + (size_t)r + 1;
			r = url_unescape(c->arena.data + val_off, eq < pe ? eq + 1 : pe,
					 eq < pe ? (size_t)(pe - eq - 1) : 0, true, &bad);
			if (r < 0)
				goto next;
			if (n_params == HTTP_MAX_QUERY_PARAMS) {
				c->err_status = 400;
				snprintf(c->err_msg, sizeof(c->err_msg),
					 "too many query parameters (limit %d)", HTTP_MAX_QUERY_PARAMS);
				return -1;
			}
			c->arena.len = val_off + (size_t)r + 1;
			poff[n_params].key = key_off;
			poff[n_params].value = val_off;
			poff[n_params].split = c->arena.len;
			c->n_split[n_params] = split_list(c->arena.data + c->arena.len,
							  c->arena.data + val_off);
			c->arena.len += (size_t)r + 1;
			n_params++;
next:
			qs = pe + 1;
		}
	}
	c->arena.data[c->arena.len] = '\0';

	req->url = c->arena.data + c->url_off;
	req->path = c->arena.data + path_off;
	for (size_t i = 0; i < n_params; i++) {
		req->params[i].key = c->arena.data + poff[i].key;
		req->params[i].value = c->arena.data + poff[i].value;
		c->split[i] = c->arena.data + poff[i].split;
	}
	req->n_params = n_params;
	return 0;
}

/* ======================= request accessors ======================= */

const char *http_req_param(const struct http_req *req, const char *key)
{
	for (size_t i = 0; i < req->n_params; i++)
		if (strcmp(req->params[i].key, key) == 0)
			return req->params[i].value;
	return NULL;
}

bool http_req_has_param(const struct http_req *req, const char *key)
{
	return http_req_param(req, key) != NULL;
}

size_t http_req_param_all(const struct http_req *req, const char *key, const char **out, size_t max)
{
	const struct http_conn *c = req->conn;
	size_t n = 0;

	for (size_t i = 0; i < req->n_params; i++) {
		const char *p;

		if (strcmp(req->params[i].key, key) != 0)
			continue;
		p = c->split[i];
		for (size_t j = 0; j < c->n_split[i]; j++) {
			if (n < max)
				out[n] = p;
			n++;
			p += strlen(p) + 1;
		}
	}
	return n < max ? n : max;
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* ======================= output ======================= */

static bool conn_out_pending(const struct http_conn *c)
{
	return c->out_off < c->out.len;
}

static size_t conn_out_unsent(const struct http_conn *c)
{
	return c->out.len - c->out_off;
}

static void conn_update_events(struct http_conn *c)
{
	uint32_t want = 0;

	if (c->dead)
		return;
	if (!c->closing && !c->read_eof) {
		want |= EPOLLRDHUP;
		/* A held body: the client waits on its full socket (a hang-up is still seen). */
		if (!c->body_held && (conn_receiving(c) || c->in.len - c->in_off < HTTP_MAX_PENDING_INPUT))
			want |= EPOLLIN;
	}
	if (conn_out_pending(c) || (c->pull_fill && conn_out_unsent(c) < HTTP_STREAM_LOW_WATER))
		want |= EPOLLOUT;
	if (want != c->events && loop_io_set_events(c->io, want) == 0)
		c->events = want;
}

/* Writes the buffered output followed by extra[0..n) (not copied unless the socket is full).
 * A write error marks the connection broken; it is closed at the next settle. */
static void conn_send_ex(struct http_conn *c, const struct iovec *extra, size_t n_extra, bool writable)
{
	if (c->dead || c->broken)
		return;
	/* A socket we already know to be full (output is still pending) gets no extra
	 * attempt: EPOLLOUT will tell.  (EPOLLOUT alone says nothing here: a pulled answer
	 * asks for it with nothing pending.)  A streamed answer keeps its buffer. */
	if (sendq_write(c->fd, &c->out, &c->out_off, extra, n_extra, writable || !conn_out_pending(c),
			c->rstate == REQ_STREAMING ? SIZE_MAX : HTTP_KEEP_OUT_CAP) < 0) {
		c->broken = true;
		return;
	}
	conn_update_events(c);
}

static void conn_send(struct http_conn *c, const struct iovec *extra, size_t n_extra)
{
	conn_send_ex(c, extra, n_extra, false);
}

/* Writes what is buffered; called when the socket is (or may be) writable. */
static void conn_flush(struct http_conn *c)
{
	conn_send_ex(c, NULL, 0, true);
}

static void out_uint(struct buf *b, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(b, tmp + i, sizeof(tmp) - i);
}

static void server_date(struct http_server *s)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == s->date_sec && s->date_len)
		return;
	s->date_sec = now;
	gmtime_r(&now, &tm);
	s->date_len = strftime(s->date_hdr, sizeof(s->date_hdr), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

/* Appends the status line and headers of an answer to c->out.  len < 0: no Content-Length
 * (chunked or close-delimited, as decided by the caller). */
static void conn_put_head(struct http_conn *c, int status, const char *content_type, long long len,
			  const char *extra_headers)
{
	struct buf *o = &c->out;
	const char *reason = http_reason(status);

	buf_grow(o, 256);
	buf_add(o, "HTTP/1.1 ", 9);
	out_uint(o, (unsigned)status);
	buf_addc(o, ' ');
	if (*reason) {
		buf_adds(o, reason);
	} else {
		buf_add(o, "status code ", 12);
		out_uint(o, (unsigned)status);
	}
	buf_add(o, "\r\n", 2);
	if (content_type) {
		buf_add(o, "Content-Type: ", 14);
		buf_adds(o, content_type);
		buf_add(o, "\r\n", 2);
	}
	server_date(c->s);
	buf_add(o, c->s->date_hdr, c->s->date_len);
	if (len >= 0) {
		buf_add(o, "Content-Length: ", 16);
		out_uint(o, (unsigned long long)len);
		buf_add(o, "\r\n", 2);
	} else if (len == -1) {
		buf_add(o, "Transfer-Encoding: chunked\r\n", 28);
	}
	if (!c->keep_alive)
		buf_add(o, "Connection: close\r\n", 19);
	else if (c->http10)
		buf_add(o, "Connection: keep-alive\r\n", 24);
	if (extra_headers)
		buf_adds(o, extra_headers);
	buf_add(o, "\r\n", 2);
}

/* Queues the connection for conn_settle() from the settle timer (see the file comment). */
static void conn_schedule_settle(struct http_conn *c)
{
	struct http_server *s = c->s;

	if (c->in_settle)
		return;
	c->in_settle = true;
	c->busy++;
	c->settle_next = s->settle_head;
	s->settle_head = c;
	if (!loop_timer_armed(s->settle_timer))
		loop_timer_arm_at(s->settle_timer, 0);
}

/* ======================= connection lifetime ======================= */

static void conn_free(struct http_conn *c)
{
	struct http_server *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	buf_done(&c->in);
	buf_done(&c->out);
	buf_done(&c->arena);
	buf_done(&c->req.body);
	free(c->hoff);
	free(c->hdrs);
	free(c);
}

static void conn_maybe_free(struct http_conn *c)
{
	if (c->dead && c->busy == 0 && c->rstate == REQ_NONE)
		conn_free(c);
}

/* Closes the socket.  With cancel, an outstanding request's cancel_cb is called (after which
 * the request is gone); without one the request stays valid until it is answered. */
static void conn_close(struct http_conn *c, bool cancel)
{
	if (!c->dead) {
		loop_io_free(c->io);
		c->io = NULL;
		close(c->fd);
		c->fd = -1;
		c->dead = true;
		if (c->refusing)
			c->s->n_refusing--;
		else
			c->s->n_conns--;
	}
	c->pull_fill = NULL;
	if (c->rstate == REQ_DRAIN) {
		/* Already answered: nobody holds the request any more. */
		conn_set_rstate(c, REQ_NONE);
	} else if (cancel && c->rstate != REQ_NONE && c->req.cancel_cb) {
		void (*cb)(struct http_req *, void *) = c->req.cancel_cb;

		c->req.cancel_cb = NULL;
		conn_set_rstate(c, REQ_NONE);
		c->busy++;
		cb(&c->req, c->req.cancel_data);
		c->busy--;
	}
}

/* Ends the current request after its answer was queued.  Answered before its body has
 * been read (HEAD, BODY), the request drains the rest of the body first. */
static void conn_req_finish(struct http_conn *c)
{
	if ((c->rstate == REQ_HEAD || c->rstate == REQ_BODY) && !c->dead)
		conn_set_rstate(c, REQ_DRAIN);
	else
		conn_set_rstate(c, REQ_NONE);
	c->req.cancel_cb = NULL;
	c->req.cancel_data = NULL;
	if (c->req.body.cap > HTTP_KEEP_BODY_CAP)
		buf_done(&c->req.body);
	if (c->out.cap > HTTP_KEEP_OUT_CAP && !conn_out_pending(c)) {
		buf_done(&c->out);
		c->out_off = 0;
	}
	if (c->rstate == REQ_NONE && (!c->keep_alive || c->upgrade))
		c->closing = true;
	if (c->busy == 0) {
		/* Answered from outside the connection's callbacks: finish up later. */
		if (c->dead)
			conn_maybe_free(c);
		else
			conn_schedule_settle(c);
	}
}

/* ======================= parser callbacks ======================= */

static int conn_refuse(struct http_conn *c, int status, const char *fmt, unsigned long long lim)
{
	c->err_status = status;
	snprintf(c->err_msg, sizeof(c->err_msg), fmt, lim);
	return -1;
}

static int arena_check(struct http_conn *c)
{
	if (c->arena.len > HTTP_MAX_HEADER)
		return conn_refuse(c, 431, "request header too large (limit %llu bytes)", HTTP_MAX_HEADER);
	return 0;
}

static int on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	buf_reset(&c->arena);
	buf_reset(&c->req.body);
	c->url_off = c->url_len = 0;
	c->n_hdr = 0;
	c->last_cb = CB_NONE;
	c->headers_done = false;
	c->body_expected = false;
	c->pause = PAUSE_NONE;
	c->err_status = 0;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->last_cb != CB_URL) {
		c->url_off = c->arena.len;
		c->last_cb = CB_URL;
	}
	buf_add(&c->arena, at, len);
	c->url_len += len;
	return arena_check(c);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->headers_done)
		return 0; /* chunked trailers are ignored */
	if (c->last_cb != CB_FIELD) {
		buf_addc(&c->arena, '\0'); /* ends the URL or the previous value */
		if (c->n_hdr == c->hdr_cap) {
			c->hdr_cap = c->hdr_cap ? 2 * c->hdr_cap : 16;
			c->hoff = xrealloc(c->hoff, c->hdr_cap * sizeof(*c->hoff));
			c->hdrs = xrealloc(c->hdrs, c->hdr_cap * sizeof(*c->hdrs));
		}
		c->hoff[c->n_hdr].name = c->arena.len;
		c->hoff[c->n_hdr].value = SIZE_MAX;
		c->n_hdr++;
		c->last_cb = CB_FIELD;
	}
	buf_add(&c->arena, at, len);
	return arena_check(c);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->headers_done)
		return 0;
	if (c->last_cb != CB_VALUE) {
		if (c->last_cb != CB_FIELD || !c->n_hdr)
			return 0; /* cannot happen with a well-behaved parser */
		buf_addc(&c->arena, '\0');
		c->hoff[c->n_hdr - 1].value = c->arena.len;
		c->last_cb = CB_VALUE;
	}
	buf_add(&c->arena, at, len);
	return arena_check(c);
}

static int on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_req *req = &c->req;
	const char *expect;

	buf_addc(&c->arena, '\0');
	if (arena_check(c) < 0)
		return -1;
	c->headers_done = true;
	if (c->refusing)
		return conn_refuse(c, 503, "too many connections (limit %llu)", HTTP_MAX_CONNS);
	req->method = http_method_str((enum http_method)p->method);
	c->http10 = p->http_major == 1 && p->http_minor == 0;
	c->is_head = p->method == HTTP_HEAD;
	c->body_expected = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0);
	/* The limit applies to buffered bodies; the head handler may stream a larger one. */
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > HTTP_MAX_BODY && !c->s->head)
		return conn_refuse(c, 413, "request body too large (limit %llu bytes)", HTTP_MAX_BODY);
	if (conn_decode_target(c) < 0)
		return -1;
	/* The arena does not move any more: turn header offsets into pointers. */
	for (size_t i = 0; i < c->n_hdr; i++) {
		c->hdrs[i].name = c->arena.data + c->hoff[i].name;
		c->hdrs[i].value = c->hoff[i].value == SIZE_MAX ? c->arena.data + c->arena.len
							      : c->arena.data + c->hoff[i].value;
	}
	req->headers = c->hdrs;
	req->n_headers = c->n_hdr;

	/* We read bodies eagerly, so a client that asks may go ahead at once. */
	expect = http_req_header(req, "Expect");
	if (expect && strcasecmp(expect, "100-continue") == 0 && !c->http10 &&
	    ((p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0))) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		struct iovec iov = { (void *)cont, sizeof(cont) - 1 };

		conn_send(c, &iov, 1);
	}
	if (c->body_expected && c->s->head) {
		/* Let the head handler see the request before any of its body is read. */
		c->pause = PAUSE_HEAD;
		http_parser_pause(p, 1);
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	switch (c->rstate) {
	case REQ_BODY:
		c->sink->data(&c->req, at, len, c->sink_arg);
		return 0;
	case REQ_DRAIN:
		return 0; /* answered already: dropped */
	default:
		break;
	}
	if (c->req.body.len + len > HTTP_MAX_BODY)
		return conn_refuse(c, 413, "request body too large (limit %llu bytes)", HTTP_MAX_BODY);
	buf_add(&c->req.body, at, len);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	if (c->rstate != REQ_DRAIN) {
		c->keep_alive = http_should_keep_alive(p) != 0;
		c->upgrade = p->upgrade != 0;
	}
	/* Stop here: the next pipelined request waits until this one is answered. */
	c->pause = PAUSE_END;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings parser_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ======================= request processing ======================= */

/* Answers a request we refuse (malformed, too large) and closes the connection after it.  The
 * body is Pebble's error envelope. */
static void conn_fail(struct http_conn *c, int status, const char *msg)
{
	json_t *j;
	char *body;
	struct iovec iov;

	j = json_pack("{s:s,s:i,s:s,s:{s:s}}", "type", "error", "status-code", status, "status",
		      http_reason(status), "result", "message", msg);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	c->keep_alive = false;
	c->http10 = false;
	conn_put_head(c, status, "application/json", body ? (long long)strlen(body) : 0, NULL);
	iov.iov_base = body;
	iov.iov_len = body ? strlen(body) : 0;
	conn_send(c, &iov, 1);
	free(body);
	c->closing = true;
}

static void conn_parse_error(struct http_conn *c)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
	char msg[300];

	if (c->rstate == REQ_DRAIN) {
		/* The answer is out; a body that turns out malformed just ends the connection. */
		conn_set_rstate(c, REQ_NONE);
		c->closing = true;
		return;
	}
	if (c->rstate == REQ_BODY) {
		/* A streamed body turned out malformed: the request is abandoned (its handler
		 * is told through cancel_cb, as if the client had gone) and refused below. */
		void (*cb)(struct http_req *, void *) = c->req.cancel_cb;

		c->req.cancel_cb = NULL;
		conn_set_rstate(c, REQ_NONE);
		if (cb) {
			c->busy++;
			cb(&c->req, c->req.cancel_data);
			c->busy--;
		}
	}

	if (c->err_status) {
		conn_fail(c, c->err_status, c->err_msg);
		return;
	}
	if (e == HPE_HEADER_OVERFLOW) {
		snprintf(msg, sizeof(msg), "request header too large (limit %u bytes)", HTTP_MAX_HEADER);
		conn_fail(c, 431, msg);
		return;
	}
	snprintf(msg, sizeof(msg), "malformed HTTP request: %s", http_errno_description(e));
	conn_fail(c, 400, msg);
}

static void req_set_peer(struct http_conn *c)
{
	struct http_req *req = &c->req;

	req->is_unix = c->is_unix;
	req->peer_cred_ok = c->cred_ok;
	req->peer_uid = c->uid;
	req->peer_pid = c->pid;
	req->conn = c;
}

/* The whole request is in: hand it to the handler (buffered body), or tell the sink. */
static void conn_message_end(struct http_conn *c)
{
	struct http_req *req = &c->req;

	switch (c->rstate) {
	case REQ_NONE:
		req_set_peer(c);
		req->cancel_cb = NULL;
		req->cancel_data = NULL;
		conn_set_rstate(c, REQ_PENDING);
		c->s->handler(c->s, req, c->s->data);
		break;
	case REQ_BODY: {
		const struct http_body_sink *sink = c->sink;
		void *arg = c->sink_arg;

		conn_set_rstate(c, REQ_PENDING);
		sink->end(req, arg);
		break;
	}
	case REQ_DRAIN:
		/* The early answer is out and the body is consumed: close after the answer. */
		conn_set_rstate(c, REQ_NONE);
		c->closing = true;
		break;
	default:
		break;
	}
}

/* The headers of a request with a body are complete: the head handler may take the body,
 * answer at once, or leave the body to be buffered. */
static void conn_head(struct http_conn *c)
{
	struct http_req *req = &c->req;

	req_set_peer(c);
	req->cancel_cb = NULL;
	req->cancel_data = NULL;
	conn_set_rstate(c, REQ_HEAD);
	c->s->head(c->s, req, c->s->data);
	if (c->rstate != REQ_HEAD)
		return; /* taken or answered */
	conn_set_rstate(c, REQ_NONE);
	if ((c->parser.flags & F_CONTENTLENGTH) && c->parser.content_length > HTTP_MAX_BODY) {
		char msg[128];

		snprintf(msg, sizeof(msg), "request body too large (limit %u bytes)", HTTP_MAX_BODY);
		conn_fail(c, 413, msg);
	}
}

/* Parses buffered input: request heads, bodies, and complete requests, while no answer
 * is outstanding. */
static void conn_process(struct http_conn *c)
{
	while (!c->dead && !c->closing && !c->broken && conn_receiving(c) && !c->body_held && c->in_off < c->in.len) {
		size_t avail = c->in.len - c->in_off;
		size_t n = http_parser_execute(&c->parser, &parser_settings, c->in.data + c->in_off, avail);
		enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);

		c->in_off += n <= avail ? n : avail;
		if (e == HPE_PAUSED) {
			enum conn_pause why = c->pause;

			c->pause = PAUSE_NONE;
			http_parser_pause(&c->parser, 0);
			if (why == PAUSE_HEAD)
				conn_head(c);
			else
				conn_message_end(c);
		} else if (e != HPE_OK) {
			conn_parse_error(c);
			break;
		}
	}
	if (c->in_off == c->in.len) {
		/* A streamed body keeps its large read buffer until the request is done. */
		if (c->in.cap > HTTP_KEEP_IN_CAP && c->rstate != REQ_BODY && c->rstate != REQ_DRAIN)
			buf_done(&c->in);
		c->in.len = c->in_off = 0;
	} else if (c->in_off > HTTP_READ_CHUNK && c->in_off * 2 > c->in.len) {
		buf_consume(&c->in, c->in_off);
		c->in_off = 0;
	}
}

/* Does whatever the connection's state asks for: parse more input, close a broken, finished
 * or abandoned connection, and register the right events.  Must not be called from inside
 * an http_reply*() (it may call the handler or a cancel_cb). */
static void conn_settle(struct http_conn *c)
{
	if (!c->dead && conn_receiving(c))
		conn_process(c);
	if (c->dead) {
		/* A zombie whose client went away: cancel what is still outstanding. */
		conn_close(c, true);
		return;
	}
	if (c->broken) {
		conn_close(c, true);
		return;
	}
	if (c->read_eof && c->rstate != REQ_NONE) {
		/* The client went away while we owe it an answer (as Go, a half-close counts). */
		conn_close(c, true);
		return;
	}
	if (c->read_eof && c->rstate == REQ_NONE)
		c->closing = true;
	/* Between a pulled answer's fills nothing else is due; conn_update_events below
	 * asks for EPOLLOUT, which calls fill again. */
	if (c->closing && c->rstate == REQ_NONE && !conn_out_pending(c)) {
		conn_close(c, true);
		return;
	}
	conn_update_events(c);
}

static void conn_read(struct http_conn *c, uint32_t ev)
{
	ssize_t n;

	if (!(c->events & EPOLLIN)) {
		/* Not reading (input backlog, or closing): only a hang-up matters. */
		if (ev & (EPOLLHUP | EPOLLERR))
			c->broken = true;
		else if (ev & EPOLLRDHUP)
			c->read_eof = true;
		return;
	}
	/* Streamed bodies are read in larger pieces: fewer wake-ups per megabyte.  One read
	 * takes at most that piece even when the buffer has grown larger (a sink that holds
	 * the body gets at most one read's worth after it asked: http_req_hold_body). */
	size_t chunk = c->rstate == REQ_BODY || c->rstate == REQ_DRAIN ? HTTP_READ_CHUNK_BODY : HTTP_READ_CHUNK;
	size_t room;

	buf_grow(&c->in, chunk);
	room = c->in.cap - c->in.len - 1;
	if (room > chunk)
		room = chunk;
	do
		n = read(c->fd, c->in.data + c->in.len, room);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in.len += (size_t)n;
		c->in.data[c->in.len] = '\0';
	} else if (n == 0) {
		c->read_eof = true;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		c->broken = true;
	}
}

static void conn_io_cb(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	struct http_conn *c = data;

	(void)io;
	(void)fd;
	c->busy++;
	if (ev & EPOLLOUT) {
		conn_flush(c);
		/* A pulled answer produces its next piece once the client has room for it. */
		if (c->pull_fill && !c->broken && !c->dead && !c->read_eof &&
		    conn_out_unsent(c) < HTTP_STREAM_LOW_WATER)
			c->pull_fill(&c->req, c->pull_data);
	}
	if (!c->broken && !c->dead && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		conn_read(c, ev);
	conn_settle(c);
	c->busy--;
	conn_maybe_free(c);
}

static void settle_timer_cb(struct loop_timer *t, void *data)
{
	struct http_server *s = data;

	(void)t;
	while (s->settle_head) {
		struct http_conn *c = s->settle_head;

		s->settle_head = c->settle_next;
		c->in_settle = false;
		c->busy--;
		if (c->busy == 0) {
			c->busy++;
			conn_settle(c);
			c->busy--;
		}
		conn_maybe_free(c);
	}
}

/* ======================= answers ======================= */

void http_reply(struct http_req *req, int status, const char *content_type, const void *body, size_t len,
		const char *extra_headers)
{
	struct http_conn *c = req->conn;
	bool no_body = status < 200 || status == 204 || status == 304;
	struct iovec iov;

	if (c->rstate != REQ_PENDING && c->rstate != REQ_HEAD && c->rstate != REQ_BODY)
		return; /* already answered (a caller bug; do no harm) */
	if (c->rstate != REQ_PENDING)
		c->keep_alive = false; /* answered before the body's end: close after it */
	if (!c->dead && !c->broken) {
		conn_put_head(c, status, content_type, no_body ? -2 : (long long)len, extra_headers);
		iov.iov_base = (void *)body;
		iov.iov_len = no_body || c->is_head || !body ? 0 : len;
		conn_send(c, &iov, 1);
	}
	conn_req_finish(c);
}

void http_reply_stream_begin(struct http_req *req, int status, const char *content_type)
{
	struct http_conn *c = req->conn;

	if (c->rstate != REQ_PENDING)
		return;
	/* HTTP/1.0 has no chunked encoding: the body then ends when we close. */
	c->stream_chunked = !c->http10;
	if (!c->stream_chunked)
		c->keep_alive = false;
	conn_set_rstate(c, REQ_STREAMING);
	if (c->dead || c->broken)
		return;
	conn_put_head(c, status, content_type, c->stream_chunked ? -1 : -2, NULL);
	conn_send(c, NULL, 0);
}

int http_reply_stream_write(struct http_req *req, const void *data, size_t len)
{
	struct http_conn *c = req->conn;
	char hdr[24];
	struct iovec iov[3];
	int n;

	if (c->rstate != REQ_STREAMING)
		return -EINVAL;
	if (c->dead || c->broken || c->read_eof)
		return -EPIPE;
	if (!len)
		return 0; /* an empty chunk would end the stream */
	if (c->out.len - c->out_off > HTTP_MAX_STREAM_BACKLOG) {
		/* The client does not read: drop it rather than buffer without bound. */
		c->broken = true;
	} else if (c->stream_chunked) {
		n = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)n;
		iov[1].iov_base = (void *)data;
		iov[1].iov_len = len;
		iov[2].iov_base = (void *)"\r\n";
		iov[2].iov_len = 2;
		conn_send(c, iov, 3);
	} else {
		iov[0].iov_base = (void *)data;
		iov[0].iov_len = len;
		conn_send(c, iov, 1);
	}
	if (c->broken) {
		/* Close (and cancel) from the settle timer, not underneath the caller. */
		conn_schedule_settle(c);
		return -EPIPE;
	}
	return 0;
}

void http_reply_stream_end(struct http_req *req)
{
	struct http_conn *c = req->conn;

	if (c->rstate != REQ_STREAMING)
		return;
	if (c->stream_chunked && !c->dead && !c->broken) {
		struct iovec iov = { (void *)"0\r\n\r\n", 5 };

		conn_send(c, &iov, 1);
	}
	conn_req_finish(c);
}

void http_reply_stream_pull(struct http_req *req, void (*fill)(struct http_req *req, void *data), void *data)
{
	struct http_conn *c = req->conn;

	if (c->rstate != REQ_STREAMING)
		return;
	c->pull_fill = fill;
	c->pull_data = data;
	if (!c->dead)
		conn_update_events(c);
}

size_t http_reply_stream_unsent(const struct http_req *req)
{
	return conn_out_unsent(req->conn);
}

void http_req_take_body(struct http_req *req, const struct http_body_sink *sink, void *arg)
{
	struct http_conn *c = req->conn;

	if (c->rstate != REQ_HEAD)
		return;
	c->sink = sink;
	c->sink_arg = arg;
	conn_set_rstate(c, REQ_BODY);
}

void http_req_hold_body(struct http_req *req, bool hold)
{
	struct http_conn *c = req->conn;

	if (c->rstate != REQ_BODY || c->body_held == hold)
		return;
	c->body_held = hold;
	if (hold)
		conn_update_events(c);
	else
		conn_schedule_settle(c); /* parses what is buffered, then reads again */
}

void http_server_set_head_handler(struct http_server *s, http_handler_fn head)
{
	s->head = head;
}

int http_req_take_conn(struct http_req *req, struct buf *leftover)
{
	struct http_conn *c = req->conn;
	int fd;

	if (c->rstate != REQ_PENDING)
		return -EINVAL;
	if (c->dead || c->broken)
		return -EPIPE;
	if (conn_out_pending(c)) {
		conn_flush(c);
		if (conn_out_pending(c))
			return -EAGAIN;
	}
	if (leftover && c->in_off < c->in.len)
		buf_add(leftover, c->in.data + c->in_off, c->in.len - c->in_off);
	c->in.len = c->in_off = 0;
	fd = c->fd;
	loop_io_free(c->io);
	c->io = NULL;
	c->fd = -1;
	c->dead = true;
	c->s->n_conns--;
	conn_set_rstate(c, REQ_NONE);
	c->req.cancel_cb = NULL;
	if (c->busy == 0)
		conn_maybe_free(c);
	return fd;
}

/* ======================= listeners ======================= */

static int conn_new(struct http_server *s, int fd, bool is_unix, bool refusing)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->refusing = refusing;
	c->fd = fd;
	c->is_unix = is_unix;
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->arena);
	buf_init(&c->req.body);
	c->req.conn = c;
	c->req.method = "";
	c->req.url = c->req.path = (char *)"";
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	if (is_unix) {
		struct ucred cred;
		socklen_t sl = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0 && sl == sizeof(cred)) {
			c->cred_ok = true;
			c->uid = cred.uid;
			c->pid = cred.pid;
		}
	} else {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	c->events = EPOLLIN | EPOLLRDHUP;
	c->io = loop_io_new(s->loop, fd, c->events, conn_io_cb, c);
	if (!c->io) {
		int r = errno ? -errno : -ENOMEM;

		close(fd);
		buf_done(&c->req.body);
		free(c);
		return r;
	}
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (refusing)
		s->n_refusing++;
	else
		s->n_conns++;
	return 0;
}

int http_server_adopt(struct http_server *s, int fd, bool is_unix)
{
	if (s->n_conns >= HTTP_MAX_CONNS) {
		close(fd);
		return -EMFILE;
	}
	return conn_new(s, fd, is_unix, false);
}

static void listeners_set_events(struct http_server *s, uint32_t ev)
{
	for (struct http_listener *l = s->listeners; l; l = l->next)
		loop_io_set_events(l->io, ev);
}

static void accept_timer_cb(struct loop_timer *t, void *data)
{
	(void)t;
	listeners_set_events(data, EPOLLIN);
}

static void listener_cb(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	struct http_listener *l = data;
	struct http_server *s = l->s;

	(void)io;
	(void)ev;
	for (int i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of resources: stop accepting for a moment rather than spin. */
				listeners_set_events(s, 0);
				loop_timer_arm_in(s->accept_timer, HTTP_ACCEPT_RETRY_MS);
			}
			return;
		}
		if (s->n_conns >= HTTP_MAX_CONNS && s->n_refusing >= HTTP_MAX_REFUSING) {
			close(cfd);
			continue;
		}
		/* Over the limit, a client is told why once its request is in (closing at once
		 * would meet a client still sending, which then sees only a broken pipe). */
		conn_new(s, cfd, l->is_unix, s->n_conns >= HTTP_MAX_CONNS);
	}
}

static void listener_free(struct http_listener *l)
{
	struct stat st;

	loop_io_free(l->io);
	close(l->fd);
	/* As Go's UnixListener: remove the socket file, unless someone replaced it. */
	if (l->path && stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
	free(l->path);
	free(l);
}

static int listener_add(struct http_server *s, int fd, bool is_unix, const char *path)
{
	struct http_listener *l = xcalloc(1, sizeof(*l));
	struct stat st;

	l->s = s;
	l->fd = fd;
	l->is_unix = is_unix;
	if (path) {
		l->path = xstrdup(path);
		if (stat(path, &st) == 0) {
			l->dev = st.st_dev;
			l->ino = st.st_ino;
		}
	}
	l->io = loop_io_new(s->loop, fd, EPOLLIN, listener_cb, l);
	if (!l->io) {
		int r = -errno;

		free(l->path);
		free(l);
		return r ? r : -ENOMEM;
	}
	l->next = s->listeners;
	s->listeners = l;
	return 0;
}

int http_server_listen_unix(struct http_server *s, const char *path, struct errbuf *eb)
{
	struct sockaddr_un sa;
	int fd = -1, probe = -1, r;
	mode_t old;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		errbuf_set(eb, "invalid socket path \"%s\"", path ? path : "");
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path));

	/* As Pebble: a socket somebody answers on is in use; anything else there is replaced. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create socket: %s", strerror(errno));
		goto fail;
	}
	if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		errbuf_set(eb, "socket \"%s\" already in use", path);
		r = -EADDRINUSE;
		goto fail;
	}
	close(probe);
	probe = -1;
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		errbuf_set(eb, "cannot remove stale socket \"%s\": %s", path, strerror(errno));
		goto fail;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create socket: %s", strerror(errno));
		goto fail;
	}
	/* Mode 0666: access is decided per request from the peer's credentials (spec §9.2). */
	old = umask(0111);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot listen on socket \"%s\": %s", path, strerror(-r));
		goto fail;
	}
	r = listener_add(s, fd, true, path);
	if (r < 0) {
		unlink(path);
		errbuf_set(eb, "cannot watch socket \"%s\": %s", path, strerror(-r));
		goto fail;
	}
	return 0;
fail:
	if (probe >= 0)
		close(probe);
	if (fd >= 0)
		close(fd);
	return r;
}

int http_server_listen_tcp(struct http_server *s, const char *addr, int *ret_port, struct errbuf *eb)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon, *port, *h;
	int fd = -1, r, gai, one = 1, zero = 0;
	size_t hl;

	colon = addr ? strrchr(addr, ':') : NULL;
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535) {
		errbuf_set(eb, "invalid address \"%s\": want HOST:PORT or :PORT", addr ? addr : "");
		return -EINVAL;
	}
	port = colon + 1;
	h = addr;
	hl = (size_t)(colon - addr);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host) || memchr(h, '[', hl) || memchr(h, ']', hl)) {
		errbuf_set(eb, "invalid address \"%s\": bad host", addr);
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (gai != 0) {
		errbuf_set(eb, "cannot resolve \"%s\": %s", addr, gai_strerror(gai));
		return -EINVAL;
	}
	/* An empty host means every interface: prefer a dual-stack IPv6 socket, as Go does. */
	r = -EADDRNOTAVAIL;
	for (int pass = 0; pass < 2 && fd < 0; pass++) {
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			if (!hl && (pass == 0) != (ai->ai_family == AF_INET6))
				continue;
			if (hl && pass == 1)
				break;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
			if (fd < 0) {
				r = -errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6 && !hl)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, HTTP_LISTEN_BACKLOG) == 0)
				break;
			r = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errbuf_set(eb, "cannot listen on \"%s\": %s", addr, strerror(-r));
		return r;
	}
	if (ret_port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		*ret_port = 0;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET)
				*ret_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			else if (ss.ss_family == AF_INET6)
				*ret_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		}
	}
	r = listener_add(s, fd, false, NULL);
	if (r < 0) {
		close(fd);
		errbuf_set(eb, "cannot watch \"%s\": %s", addr, strerror(-r));
		return r;
	}
	return 0;
}

void http_server_stop_listening(struct http_server *s)
{
	while (s->listeners) {
		struct http_listener *l = s->listeners;

		s->listeners = l->next;
		listener_free(l);
	}
	loop_timer_disarm(s->accept_timer);
}

/* ======================= server ======================= */

struct http_server *http_server_new(struct loop *l, http_handler_fn handler, void *data)
{
	struct http_server *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	s->handler = handler;
	s->data = data;
	s->accept_timer = loop_timer_new(l, accept_timer_cb, s);
	s->settle_timer = loop_timer_new(l, settle_timer_cb, s);
	return s;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	http_server_stop_listening(s);
	/* Close every socket first (cancelling what is outstanding), then free. */
	for (struct http_conn *c = s->conns; c; c = c->next)
		conn_close(c, true);
	while (s->conns) {
		struct http_conn *c = s->conns;

		conn_set_rstate(c, REQ_NONE);
		conn_free(c);
	}
	loop_timer_free(s->accept_timer);
	loop_timer_free(s->settle_timer);
	free(s);
}
