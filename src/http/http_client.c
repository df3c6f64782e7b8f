/* http_client.c - blocking HTTP/1.1 client over a UNIX socket; see http_client.h.
 *
 * The socket is non-blocking and every wait goes through poll(2), so timeout_ms bounds the
 * connect, each write and each read.  Responses are parsed with http-parser.  A kept-alive
 * connection that the server has closed in the meantime (idle timeout, restart) is noticed
 * when the request cannot be sent or when the connection ends before any byte of the
 * response; the request is then sent once more on a new connection.
 *
 * struct http_response: the call initialises it (any previous contents are not freed) and
 * leaves it empty on failure; release it with http_response_done(). */
#include "http/http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/fdio.h"

#define HTTP_CLIENT_READ_CHUNK 65536
/* Streamed responses (file downloads) are read in larger pieces: fewer system calls and
 * callbacks per megabyte.  The buffer is allocated for the first such request. */
#define HTTP_CLIENT_READ_CHUNK_STREAM (256u * 1024u)
#define HTTP_CLIENT_SEND_CHUNK (256u * 1024u) /* bytes asked of a body producer at once */

struct http_client {
	char *path;
	int fd;
	int timeout_ms;
	bool used; /* the connection has carried a request */
	char *in;
	size_t in_cap;
};

enum resp_last { RL_NONE, RL_FIELD, RL_VALUE };

/* The state of one response being read. */
struct resp_read {
	http_parser parser;
	struct buf *content_type; /* may be NULL */
	struct buf *body;         /* NULL when streaming */
	int (*on_data)(const char *p, size_t n, void *data);
	void *data;
	struct buf field;
	enum resp_last last;
	bool in_ct;
	bool done;
	bool stopped; /* on_data asked to stop */
	bool head;
	size_t received;
};

static void client_disconnect(struct http_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->used = false;
}

static int client_connect(struct http_client *c, struct errbuf *eb)
{
	struct sockaddr_un sa;
	struct timeval tv;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		errbuf_set(eb, "cannot connect to \"%s\": socket path too long", c->path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot create socket: %s", strerror(errno));
		return r;
	}
	/* A UNIX connect waits for room in a full backlog (a non-blocking one would fail with
	 * EAGAIN and not continue in the background); SO_SNDTIMEO bounds that wait. */
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = errno == EAGAIN ? -ETIMEDOUT : -errno;
		close(fd);
		errbuf_set(eb, "cannot connect to \"%s\": %s", c->path, r == -ETIMEDOUT ? "timeout" : strerror(-r));
		return r;
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		errbuf_set(eb, "cannot connect to \"%s\": %s", c->path, strerror(-r));
		return r;
	}
	c->fd = fd;
	c->used = false;
	return 0;
}

int http_client_open_unix(const char *path, int timeout_ms, struct http_client **ret, struct errbuf *eb)
{
	struct http_client *c;
	int r;

	if (!path || !*path) {
		errbuf_set(eb, "cannot connect: no socket path");
		return -EINVAL;
	}
	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	c->fd = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
	r = client_connect(c, eb);
	if (r < 0) {
		http_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	client_disconnect(c);
	free(c->path);
	free(c->in);
	free(c);
}

void http_client_set_timeout(struct http_client *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

void http_response_done(struct http_response *r)
{
	if (!r)
		return;
	buf_done(&r->content_type);
	buf_done(&r->body);
	r->status = 0;
}

/* ---- response parsing ---- */

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct resp_read *rr = p->data;

	if (rr->last != RL_FIELD) {
		buf_reset(&rr->field);
		rr->last = RL_FIELD;
	}
	if (rr->field.len < 64)
		buf_add(&rr->field, at, len);
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct resp_read *rr = p->data;

	if (rr->last != RL_VALUE) {
		rr->last = RL_VALUE;
		rr->in_ct = strcasecmp(buf_str(&rr->field), "Content-Type") == 0;
		if (rr->in_ct && rr->content_type)
			buf_reset(rr->content_type);
	}
	if (rr->in_ct && rr->content_type)
		buf_add(rr->content_type, at, len);
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct resp_read *rr = p->data;

	/* 1 tells http-parser that this response has no body (HEAD). */
	return rr->head ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct resp_read *rr = p->data;

	if (rr->on_data) {
		if (rr->on_data(at, len, rr->data) != 0) {
			rr->stopped = true;
			return -1;
		}
		return 0;
	}
	buf_add(rr->body, at, len);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct resp_read *rr = p->data;

	rr->done = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings resp_settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* ---- one exchange ---- */

enum exch_result {
	EXCH_OK,
	EXCH_RETRY, /* the kept-alive connection was gone before the server answered */
	EXCH_FAIL,
};

static int send_all(struct http_client *c, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr mh;
		ssize_t w;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int r = fd_wait(c->fd, POLLOUT, c->timeout_ms);

				if (r < 0)
					return r;
				continue;
			}
			return -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Sends a chunked body from rq->produce, one chunk per call.  A server that answers and
 * closes before the end makes the send fail; the answer may still be readable, so that
 * failure is reported as -EPIPE for the caller to go on reading. */
static int send_produced(struct http_client *c, const struct http_client_req *rq, struct errbuf *eb)
{
	char *chunk = xmalloc(HTTP_CLIENT_SEND_CHUNK);
	int r = 0;

	for (;;) {
		char hdr[24];
		struct iovec iov[3];
		ssize_t n = rq->produce(chunk, HTTP_CLIENT_SEND_CHUNK, rq->data);

		if (n < 0) {
			r = (int)n;
			errbuf_set(eb, "cannot send request body: %s", strerror(-r));
			break;
		}
		if (n == 0) {
			iov[0].iov_base = (void *)"0\r\n\r\n";
			iov[0].iov_len = 5;
			r = send_all(c, iov, 1);
			break;
		}
		iov[0].iov_base = hdr;
		iov[0].iov_len = (size_t)snprintf(hdr, sizeof(hdr), "%zx\r\n", (size_t)n);
		iov[1].iov_base = chunk;
		iov[1].iov_len = (size_t)n;
		iov[2].iov_base = (void *)"\r\n";
		iov[2].iov_len = 2;
		r = send_all(c, iov, 3);
		if (r < 0)
			break;
	}
	free(chunk);
	return r;
}

static enum exch_result exchange(struct http_client *c, const struct buf *head, const struct http_client_req *rq,
				 struct resp_read *rr, int *ret_err, struct errbuf *eb)
{
	struct iovec iov[2];
	size_t want = rq->on_data ? HTTP_CLIENT_READ_CHUNK_STREAM : HTTP_CLIENT_READ_CHUNK;
	char *in;
	bool reused = c->used;
	enum exch_result res = EXCH_FAIL;
	int r;

	if (c->in_cap < want) {
		free(c->in);
		c->in = xmalloc(want);
		c->in_cap = want;
	}
	in = c->in;
	c->used = true;
	iov[0].iov_base = head->data;
	iov[0].iov_len = head->len;
	iov[1].iov_base = (void *)rq->body;
	iov[1].iov_len = rq->body && !rq->produce ? rq->len : 0;
	r = send_all(c, iov, 2);
	if (r < 0) {
		if (reused && (r == -EPIPE || r == -ECONNRESET)) {
			res = EXCH_RETRY;
			goto out;
		}
		errbuf_set(eb, "cannot send request: %s", r == -ETIMEDOUT ? "timeout" : strerror(-r));
		*ret_err = r;
		goto out;
	}
	if (rq->produce) {
		r = send_produced(c, rq, eb);
		if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
			if (!*eb->msg)
				errbuf_set(eb, "cannot send request: %s", r == -ETIMEDOUT ? "timeout" : strerror(-r));
			*ret_err = r;
			goto out;
		}
		/* Sent, or refused early by the server: its answer says which. */
	}

	/* The answer is rarely there yet: wait before the first read, and again only when a
	 * read finds nothing (saves a read(2) per request). */
	bool wait = true;

	while (!rr->done) {
		ssize_t n;
		enum http_errno e;

		if (wait) {
			r = fd_wait(c->fd, POLLIN, c->timeout_ms);
			if (r < 0) {
				errbuf_set(eb, "cannot read response: %s", r == -ETIMEDOUT ? "timeout" : strerror(-r));
				*ret_err = r;
				goto out;
			}
			wait = false;
		}
		n = read(c->fd, in, c->in_cap);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				wait = true;
				continue;
			}
			r = -errno;
			if (reused && !rr->received && r == -ECONNRESET) {
				res = EXCH_RETRY;
				goto out;
			}
			errbuf_set(eb, "cannot read response: %s", strerror(-r));
			*ret_err = r;
			goto out;
		}
		if (n == 0 && reused && !rr->received) {
			res = EXCH_RETRY;
			goto out;
		}
		rr->received += (size_t)n;
		/* n == 0 tells the parser about the end of the stream (close-delimited bodies). */
		http_parser_execute(&rr->parser, &resp_settings, in, (size_t)n);
		e = HTTP_PARSER_ERRNO(&rr->parser);
		if (rr->stopped)
			break;
		if (n == 0 && !rr->done) {
			errbuf_set(eb, "cannot read response: connection closed before the response was complete");
			*ret_err = -ECONNRESET;
			goto out;
		}
		if (e != HPE_OK && e != HPE_PAUSED) {
			errbuf_set(eb, "cannot parse response: %s", http_errno_description(e));
			*ret_err = -EPROTO;
			goto out;
		}
	}
	res = EXCH_OK;
out:
	return res;
}

static int do_request(struct http_client *c, const struct http_client_req *rq, struct resp_read *rr,
		      struct errbuf *eb)
{
	struct buf head = BUF_INIT;
	int r = 0, err = 0;
	const char *method = rq->method, *target = rq->target, *content_type = rq->content_type;
	bool head_method = strcmp(method, "HEAD") == 0;

	if (!target || target[0] != '/' || strpbrk(target, " \r\n") || strpbrk(method, " \r\n/") ||
	    (content_type && strpbrk(content_type, "\r\n")) || (rq->accept && strpbrk(rq->accept, "\r\n"))) {
		errbuf_set(eb, "invalid request \"%s %s\"", method, target ? target : "");
		return -EINVAL;
	}
	buf_init(&head);
	buf_addf(&head, "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cairn\r\n", method, target);
	if (content_type)
		buf_addf(&head, "Content-Type: %s\r\n", content_type);
	if (rq->accept)
		buf_addf(&head, "Accept: %s\r\n", rq->accept);
	if (rq->produce)
		buf_adds(&head, "Transfer-Encoding: chunked\r\n");
	else if (rq->body || rq->len || (strcmp(method, "GET") != 0 && !head_method))
		buf_addf(&head, "Content-Length: %zu\r\n", rq->body ? rq->len : 0);
	buf_adds(&head, "\r\n");

	/* A produced body cannot be sent twice: no retry on a fresh connection. */
	for (int attempt = 0; attempt < (rq->produce ? 1 : 2); attempt++) {
		enum exch_result res;

		if (c->fd < 0) {
			r = client_connect(c, eb);
			if (r < 0)
				goto out;
		}
		http_parser_init(&rr->parser, HTTP_RESPONSE);
		rr->parser.data = rr;
		rr->done = rr->stopped = false;
		rr->received = 0;
		rr->last = RL_NONE;
		rr->head = head_method;
		if (rr->body)
			buf_reset(rr->body);
		if (rr->content_type)
			buf_reset(rr->content_type);
		res = exchange(c, &head, rq, rr, &err, eb);
		if (res == EXCH_OK) {
			if (rr->stopped || !http_should_keep_alive(&rr->parser))
				client_disconnect(c);
			r = 0;
			goto out;
		}
		client_disconnect(c);
		if (res == EXCH_FAIL) {
			r = err ? err : -EIO;
			goto out;
		}
		/* EXCH_RETRY: once, on a fresh connection. */
	}
	errbuf_set(eb, "cannot read response: connection closed by server");
	r = -ECONNRESET;
out:
	buf_done(&head);
	return r;
}

int http_client_request_ex(struct http_client *c, const struct http_client_req *rq, struct http_response *resp,
			   struct errbuf *eb)
{
	struct resp_read rr;
	int r;

	memset(&rr, 0, sizeof(rr));
	buf_init(&rr.field);
	buf_init(&resp->content_type);
	buf_init(&resp->body);
	resp->status = 0;
	rr.content_type = &resp->content_type;
	rr.body = rq->on_data ? NULL : &resp->body;
	rr.on_data = rq->on_data;
	rr.data = rq->data;
	r = do_request(c, rq, &rr, eb);
	if (r == 0)
		resp->status = (int)rr.parser.status_code;
	else
		http_response_done(resp);
	buf_done(&rr.field);
	return r;
}

int http_client_request(struct http_client *c, const char *method, const char *target, const char *content_type,
			const void *body, size_t len, struct http_response *resp, struct errbuf *eb)
{
	struct http_client_req rq = { .method = method, .target = target, .content_type = content_type,
				      .body = body, .len = len };

	return http_client_request_ex(c, &rq, resp, eb);
}

int http_client_request_stream(struct http_client *c, const char *method, const char *target,
			       const char *content_type, const void *body, size_t len,
			       int (*on_data)(const char *p, size_t n, void *data), void *data, int *ret_status,
			       struct errbuf *eb)
{
	struct http_client_req rq = { .method = method, .target = target, .content_type = content_type,
				      .body = body, .len = len, .on_data = on_data, .data = data };
	struct http_response resp;
	int r = http_client_request_ex(c, &rq, &resp, eb);

	if (r == 0 && ret_status)
		*ret_status = resp.status;
	http_response_done(&resp);
	return r;
}
