/* proto_conn.c - framed protocol connections, clear or TLS; see proto_conn.h. */
#include "proto/proto_conn.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "proto/tls.h"

#define READ_CHUNK 65536
#define READ_BUDGET (4u * 1024u * 1024u) /* bytes read per event before others get a turn */
#define FINISH_GRACE_MS 5000

enum conn_state { CONN_CONNECTING, CONN_HANDSHAKE, CONN_OPEN, CONN_FINISHING, CONN_CLOSED };

struct proto_conn {
	struct loop *l;
	int fd;
	struct loop_io *io;
	SSL *ssl;
	struct proto_conn_opts o;
	struct proto_conn_cbs cbs;
	enum conn_state state;
	bool want_write;          /* TLS: the last operation wants the socket writable */
	struct buf in, out;
	struct loop_timer *finish_timer;
	uint32_t events;          /* what the watch currently asks for */
	bool overflow;            /* output limit hit: closing from the loop */
	bool want_drained;        /* the owner waits for the output to drain */
};

static void conn_release(void *data)
{
	struct proto_conn *c = data;

	loop_timer_free(c->finish_timer);
	buf_done(&c->in);
	buf_done(&c->out);
	free(c);
}

static void shut(struct proto_conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	c->state = CONN_CLOSED;
	loop_timer_disarm(c->finish_timer);
	loop_io_free(c->io);
	c->io = NULL;
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	c->fd = -1;
}

/* The connection ended by itself: tell the owner once, then free. */
static void fail(struct proto_conn *c, const char *why)
{
	bool notify = c->state != CONN_FINISHING && c->state != CONN_CLOSED;

	shut(c);
	if (notify && c->cbs.closed)
		c->cbs.closed(c, why, c->cbs.data);
	loop_defer(c->l, conn_release, c);
}

void proto_conn_free(struct proto_conn *c)
{
	if (!c || c->state == CONN_CLOSED)
		return;
	shut(c);
	loop_defer(c->l, conn_release, c);
}

static void update_events(struct proto_conn *c)
{
	uint32_t ev = EPOLLIN;

	if (c->state == CONN_CLOSED)
		return;
	if (c->state == CONN_CONNECTING || c->want_write ||
	    ((c->state == CONN_OPEN || c->state == CONN_FINISHING) && c->out.len))
		ev |= EPOLLOUT;
	if (ev != c->events) {
		c->events = ev;
		loop_io_set_events(c->io, ev);
	}
}

static void on_finish_timer(struct loop_timer *t, void *data)
{
	struct proto_conn *c = data;

	(void)t;
	shut(c);
	loop_defer(c->l, conn_release, c);
}

void proto_conn_finish(struct proto_conn *c)
{
	if (!c || c->state == CONN_CLOSED || c->state == CONN_FINISHING)
		return;
	if (c->state != CONN_OPEN || !c->out.len) {
		proto_conn_free(c);
		return;
	}
	c->state = CONN_FINISHING;
	c->finish_timer = loop_timer_new(c->l, on_finish_timer, c);
	loop_timer_arm_in(c->finish_timer, FINISH_GRACE_MS);
	update_events(c);
}

size_t proto_conn_pending(const struct proto_conn *c)
{
	return c->out.len;
}

bool proto_conn_ready(const struct proto_conn *c)
{
	return c && c->state == CONN_OPEN;
}

SSL *proto_conn_ssl(struct proto_conn *c)
{
	return c->ssl;
}

/* ---- raw I/O: clear or TLS ---- */

/* Returns bytes read, 0 at EOF, -EAGAIN when nothing is available, or another -errno. */
static ssize_t raw_read(struct proto_conn *c, void *p, size_t n)
{
	if (!c->ssl) {
		ssize_t r = read(c->fd, p, n);

		if (r < 0)
			return errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno;
		return r;
	}
	int r = SSL_read(c->ssl, p, (int)n);

	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		return -EPROTO;
	}
}

static ssize_t raw_write(struct proto_conn *c, const void *p, size_t n)
{
	if (!c->ssl) {
		ssize_t r = write(c->fd, p, n);

		if (r < 0)
			return errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno;
		return r;
	}
	int r = SSL_write(c->ssl, p, (int)(n > (1u << 30) ? (1u << 30) : n));

	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		return -EAGAIN;
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	default:
		ERR_clear_error();
		return -EPIPE;
	}
}

static void drained_deferred(void *data)
{
	struct proto_conn *c = data;

	/* Queued before any release of c (releases are deferred too, after this). */
	if (c->state == CONN_OPEN && c->cbs.drained)
		c->cbs.drained(c, c->cbs.data);
}

static void check_drained(struct proto_conn *c)
{
	if (c->want_drained && c->out.len <= PROTO_CONN_LOW_WATER) {
		c->want_drained = false;
		loop_defer(c->l, drained_deferred, c);
	}
}

void proto_conn_want_drained(struct proto_conn *c)
{
	c->want_drained = true;
	check_drained(c);
}

/* Returns false when c failed. */
static bool flush(struct proto_conn *c)
{
	while (c->out.len) {
		ssize_t n = raw_write(c, c->out.data, c->out.len);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			fail(c, "connection lost while writing");
			return false;
		}
		buf_consume(&c->out, (size_t)n);
	}
	check_drained(c);
	if (!c->out.len && c->state == CONN_FINISHING) {
		shut(c);
		loop_defer(c->l, conn_release, c);
		return false;
	}
	return true;
}

static void dispatch(struct proto_conn *c)
{
	struct errbuf eb;

	while (c->state == CONN_OPEN) {
		json_t *obj = NULL;
		struct proto_msg m;
		int r = proto_next_frame(&c->in, &obj, &eb);

		if (r == 0)
			break;
		if (r < 0 || proto_decode(obj, c->o.in, &m, &eb) < 0) {
			json_decref(obj);
			fail(c, eb.msg);
			break;
		}
		json_decref(obj);
		c->cbs.message(c, &m, c->cbs.data);
		proto_msg_done(&m);
	}
}

static void do_read(struct proto_conn *c)
{
	char chunk[READ_CHUNK];
	size_t budget = READ_BUDGET;

	while (budget && c->state == CONN_OPEN) {
		ssize_t n = raw_read(c, chunk, sizeof(chunk));

		if (n == -EAGAIN)
			break;
		if (n == 0) {
			dispatch(c);
			if (c->state == CONN_OPEN)
				fail(c, "connection closed by peer");
			return;
		}
		if (n < 0) {
			fail(c, n == -EPROTO ? "TLS error" : "connection lost");
			return;
		}
		buf_add(&c->in, chunk, (size_t)n);
		budget = budget > (size_t)n ? budget - (size_t)n : 0;
		/* Decode as we go so that the input buffer holds at most one frame and a chunk. */
		if (c->in.len >= 4)
			dispatch(c);
	}
	/* With the budget spent, level-triggered epoll calls again for the rest. */
}

static void handshake(struct proto_conn *c)
{
	int r = SSL_do_handshake(c->ssl);
	char e[256];

	c->want_write = false;
	if (r == 1) {
		c->state = CONN_OPEN;
		if (c->cbs.ready)
			c->cbs.ready(c, c->cbs.data);
		if (c->state == CONN_OPEN && !flush(c))
			return;
		update_events(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		break;
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		break;
	default: {
		long v = SSL_get_verify_result(c->ssl);
		char why[512];

		if (v != X509_V_OK)
			snprintf(why, sizeof(why), "TLS handshake failed: %s", X509_verify_cert_error_string(v));
		else
			snprintf(why, sizeof(why), "TLS handshake failed: %s", tls_error(e, sizeof(e)));
		fail(c, why);
		return;
	}
	}
	update_events(c);
}

static void start_session(struct proto_conn *c)
{
	if (!c->o.tls) {
		c->state = CONN_OPEN;
		if (c->cbs.ready)
			c->cbs.ready(c, c->cbs.data);
		if (c->state == CONN_OPEN && flush(c))
			update_events(c);
		return;
	}
	c->state = CONN_HANDSHAKE;
	handshake(c);
}

static void on_io(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct proto_conn *c = data;

	(void)io;
	(void)fd;
	if (c->state == CONN_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			char why[256];

			snprintf(why, sizeof(why), "cannot connect: %s", strerror(err));
			fail(c, why);
			return;
		}
		start_session(c);
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		handshake(c);
		return;
	}
	if ((events & EPOLLOUT) || c->want_write) {
		c->want_write = false;
		if (!flush(c))
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (c->state == CONN_FINISHING) {
			char tmp[4096];

			/* Nothing more is wanted from the peer; its EOF ends the grace period. */
			if (raw_read(c, tmp, sizeof(tmp)) == 0) {
				shut(c);
				loop_defer(c->l, conn_release, c);
				return;
			}
		} else {
			do_read(c);
		}
	}
	update_events(c);
}

int proto_conn_new(struct loop *l, int fd, const struct proto_conn_opts *o,
		   const struct proto_conn_cbs *cbs, struct proto_conn **ret, struct errbuf *eb)
{
	struct proto_conn *c = xcalloc(1, sizeof(*c));
	char e[256];

	c->l = l;
	c->fd = fd;
	c->o = *o;
	c->cbs = *cbs;
	buf_init(&c->in);
	buf_init(&c->out);
	if (o->tls) {
		c->ssl = SSL_new(o->tls);
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
			errbuf_set(eb, "cannot start TLS: %s", tls_error(e, sizeof(e)));
			goto fail;
		}
		if (o->tls_server)
			SSL_set_accept_state(c->ssl);
		else
			SSL_set_connect_state(c->ssl);
	}
	c->events = EPOLLIN | EPOLLOUT;
	c->io = loop_io_new(l, fd, c->events, on_io, c);
	if (!c->io) {
		errbuf_set(eb, "cannot watch the connection");
		goto fail;
	}
	c->state = CONN_CONNECTING;
	*ret = c;
	if (!o->connecting)
		start_session(c);
	return 0;
fail:
	if (c->ssl)
		SSL_free(c->ssl);
	close(fd);
	buf_done(&c->in);
	buf_done(&c->out);
	free(c);
	return -EIO;
}

static void on_overflow(void *data)
{
	struct proto_conn *c = data;

	if (c->state != CONN_CLOSED)
		fail(c, "peer is not reading (output limit reached)");
}

/* Sending only queues: writing (and so failing) happens from the loop, never inside the
 * caller's call, so an owner is never told of a close while it is in the middle of a send. */
int proto_conn_send(struct proto_conn *c, const struct proto_msg *m, struct errbuf *eb)
{
	int r;

	if (c->state == CONN_CLOSED || c->state == CONN_FINISHING || c->overflow)
		return -ENOTCONN;
	if (c->out.len > PROTO_CONN_MAX_OUT) {
		c->overflow = true;
		loop_defer(c->l, on_overflow, c);
		return -ENOBUFS;
	}
	r = proto_frame(m, &c->out, eb);
	if (r < 0)
		return r;
	update_events(c);
	return 0;
}

void proto_conn_flush_sync(struct proto_conn *c, int timeout_ms)
{
	struct pollfd p;

	if (!c || c->state != CONN_OPEN)
		return;
	p.fd = c->fd;
	while (c->out.len && c->state == CONN_OPEN) {
		p.events = POLLOUT | POLLIN;
		if (poll(&p, 1, timeout_ms) <= 0)
			return;
		c->want_write = false;
		if (!flush(c))
			return;
	}
}
