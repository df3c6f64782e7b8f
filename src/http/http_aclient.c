/* http_aclient.c - one GET over a UNIX socket on the loop; see http_aclient.h. */
#include "http/http_aclient.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/gofmt.h"

struct http_areq {
	struct loop *l;
	struct http_aclient_opts o;
	char *path, *target;
	int fd;
	struct loop_io *io;
	struct loop_timer *timer;
	struct buf out;            /* the request, from out_off on still to send */
	size_t out_off;
	http_parser parser;
	struct buf body;
	size_t header_bytes;
	bool complete;
	bool too_big;
	char error[300];           /* a failure waiting for the timer to report it */
};

static void areq_free(struct http_areq *r)
{
	loop_io_free(r->io);
	if (r->fd >= 0)
		close(r->fd);
	loop_timer_free(r->timer);
	buf_done(&r->out);
	buf_done(&r->body);
	free(r->path);
	free(r->target);
	free(r);
}

/* Ends r: done runs once, then r is gone. */
static void finish(struct http_areq *r, int status, const char *error)
{
	http_aclient_done done = r->o.done;
	void *data = r->o.data;
	struct buf body = r->body;
	char msg[sizeof(r->error)];

	/* Everything done needs is taken out of r before it goes (error may point into it). */
	if (error)
		snprintf(msg, sizeof(msg), "%s", error);
	memset(&r->body, 0, sizeof(r->body));
	r->o.done = NULL;
	areq_free(r);
	done(data, error ? 0 : status, error ? "" : buf_str(&body), error ? 0 : body.len,
	     error ? msg : NULL);
	buf_done(&body);
}

static void fail_errno(struct http_areq *r, const char *op, int err)
{
	char msg[128], full[sizeof(r->error)];

	snprintf(full, sizeof(full), "%s %s: %s", op, r->path, gofmt_strerror(err, msg, sizeof(msg)));
	finish(r, 0, full);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_areq *r = p->data;

	(void)at;
	r->header_bytes += len;
	return r->header_bytes > HTTP_ACLIENT_MAX_HEADER ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	(void)at;
	return on_header_field(p, NULL, len);
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_areq *r = p->data;

	if (r->body.len + len > r->o.max_body) {
		r->too_big = true;
		return -1;
	}
	buf_add(&r->body, at, len);
	return 0;
}

static int on_complete(http_parser *p)
{
	struct http_areq *r = p->data;

	r->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

/* Feeds n bytes (n = 0: the peer closed).  Returns true when r is finished (and freed). */
static bool feed(struct http_areq *r, const char *p, size_t n)
{
	char msg[sizeof(r->error)];

	http_parser_execute(&r->parser, &settings, p, n);
	if (r->complete) {
		finish(r, (int)r->parser.status_code, NULL);
		return true;
	}
	if (r->too_big) {
		snprintf(msg, sizeof(msg), "response body over %zu bytes", r->o.max_body);
		finish(r, 0, msg);
		return true;
	}
	if (n == 0) {
		finish(r, 0, "connection closed before the response was complete");
		return true;
	}
	if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
		snprintf(msg, sizeof(msg), "malformed HTTP response: %s",
			 r->header_bytes > HTTP_ACLIENT_MAX_HEADER ? "header too large" :
			 http_errno_description(HTTP_PARSER_ERRNO(&r->parser)));
		finish(r, 0, msg);
		return true;
	}
	return false;
}

static void on_io(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct http_areq *r = data;
	char chunk[16384];

	(void)io;
	if (r->out_off < r->out.len) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		ssize_t w = send(fd, r->out.data + r->out_off, r->out.len - r->out_off, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w < 0) {
			fail_errno(r, "write unix", errno);
			return;
		}
		r->out_off += (size_t)w;
		if (r->out_off == r->out.len)
			loop_io_set_events(r->io, EPOLLIN);
		return;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			fail_errno(r, "read unix", errno);
			return;
		}
		if (feed(r, chunk, (size_t)n) || n == 0)
			return;
	}
}

static void on_timer(struct loop_timer *t, void *data)
{
	struct http_areq *r = data;

	(void)t;
	finish(r, 0, r->error[0] ? r->error : "timed out");
}

int http_aclient_get(struct loop *l, const struct http_aclient_opts *o, struct http_areq **ret,
		     struct errbuf *eb)
{
	struct sockaddr_un sa;
	struct http_areq *r;
	char msg[128];

	if (strlen(o->socket_path) >= sizeof(sa.sun_path)) {
		errbuf_set(eb, "socket path too long: %s", o->socket_path);
		return -ENAMETOOLONG;
	}
	r = xcalloc(1, sizeof(*r));
	r->l = l;
	r->o = *o;
	r->path = xstrdup(o->socket_path);
	r->target = xstrdup(o->target);
	r->o.socket_path = r->path;
	r->o.target = r->target;
	r->fd = -1;
	buf_init(&r->out);
	buf_init(&r->body);
	http_parser_init(&r->parser, HTTP_RESPONSE);
	r->parser.data = r;
	r->timer = loop_timer_new(l, on_timer, r);
	buf_addf(&r->out, "GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: cairn-agent\r\n"
			  "Connection: close\r\n\r\n", r->target);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, r->path, strlen(r->path) + 1);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || (connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
			  errno != EINPROGRESS)) {
		/* Reported from the loop, never from inside this call. */
		snprintf(r->error, sizeof(r->error), "dial unix %s: connect: %s", r->path,
			 gofmt_strerror(errno, msg, sizeof(msg)));
		loop_timer_arm_in(r->timer, 0);
		*ret = r;
		return 0;
	}
	r->io = loop_io_new(l, r->fd, EPOLLOUT, on_io, r);
	loop_timer_arm_in(r->timer, o->timeout_ms);
	*ret = r;
	return 0;
}

void http_aclient_cancel(struct http_areq *r)
{
	if (r)
		areq_free(r);
}
