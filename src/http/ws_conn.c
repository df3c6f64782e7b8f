/* ws_conn.c - a websocket connection on the event loop; see ws_conn.h.
 *
 * Lifetime.  c->owned is true while the owner holds a reference.  c->fd >= 0 while the
 * socket is open.  The connection is freed once it is neither owned nor open, and not inside
 * one of its own callbacks (c->busy).  Input is parsed in place in the read buffer (on the
 * stack), so the pieces handed to on_message point into it; what a pause leaves unparsed
 * is kept in c->in and parsed first when reading resumes.
 *
 * Close states: open; close_sent (we closed: discard input, wait for the peer's close or
 * EOF, at most WS_CONN_LINGER_MS); finishing (the socket closes as soon as the output
 * queue is flushed). */
#include "http/ws_conn.h"

#include "http/sendq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/buf.h"

struct ws_conn {
	struct loop *loop;
	int fd;
	struct loop_io *io;
	uint32_t events;
	enum ws_role role;
	struct ws_conn_cbs cbs;
	bool owned;
	int busy;

	struct ws_parser parser;
	struct buf in;
	size_t in_off;
	struct buf text;          /* the text message being collected */
	struct buf out;
	size_t out_off;

	bool paused;
	bool peer_eof;            /* read returned 0 (or the socket hung up) */
	bool hup_while_paused;    /* the socket hung up while we were not reading */
	bool close_sent;
	bool finishing;           /* close the socket once the output is flushed */
	bool broken;              /* a write failed: on_close(1006) soon */
	bool was_pending;         /* the output queue was non-empty (for on_drain) */
	uint64_t rng;             /* mask keys (client role) */

	struct loop_timer *kick;  /* runs process() at the next iteration */
	struct loop_timer *linger;
	struct ws_conn_group *group;
	struct ws_conn *g_next, *g_prev;
};

static void conn_io_cb(struct loop_io *io, int fd, uint32_t ev, void *data);

static void conn_maybe_free(struct ws_conn *c)
{
	if (c->owned || c->fd >= 0 || c->busy)
		return;
	if (c->group) {
		if (c->g_prev)
			c->g_prev->g_next = c->g_next;
		else
			c->group->head = c->g_next;
		if (c->g_next)
			c->g_next->g_prev = c->g_prev;
	}
	loop_timer_free(c->kick);
	loop_timer_free(c->linger);
	buf_done(&c->in);
	buf_done(&c->text);
	buf_done(&c->out);
	free(c);
}

static void conn_close_fd(struct ws_conn *c)
{
	if (c->fd < 0)
		return;
	loop_io_free(c->io);
	c->io = NULL;
	close(c->fd);
	c->fd = -1;
	loop_timer_disarm(c->kick);
	loop_timer_disarm(c->linger);
}

static bool out_pending(const struct ws_conn *c)
{
	return c->out_off < c->out.len;
}

static void conn_update_events(struct ws_conn *c)
{
	uint32_t want = 0;

	if (c->fd < 0)
		return;
	if (!c->peer_eof && !c->hup_while_paused && !c->finishing && (!c->paused || c->close_sent))
		want |= EPOLLIN | EPOLLRDHUP;
	if (out_pending(c))
		want |= EPOLLOUT;
	if (c->hup_while_paused && !out_pending(c)) {
		/* A hung-up socket is reported by epoll whatever we ask for: stop watching it
		 * until we read again. */
		if (c->io) {
			loop_io_free(c->io);
			c->io = NULL;
		}
		return;
	}
	if (!c->io) {
		c->io = loop_io_new(c->loop, c->fd, want, conn_io_cb, c);
		c->events = want;
		return;
	}
	if (want != c->events && loop_io_set_events(c->io, want) == 0)
		c->events = want;
}

static void kick_soon(struct ws_conn *c)
{
	if (c->fd >= 0 && !loop_timer_armed(c->kick))
		loop_timer_arm_at(c->kick, 0);
}

/* Writes queued output plus extra[0..n_extra) (copied only if the socket is full). */
static void conn_write(struct ws_conn *c, const struct iovec *extra, size_t n_extra, bool writable)
{
	if (c->fd < 0 || c->broken)
		return;
	/* A socket known to be full gets no extra attempt: EPOLLOUT will tell. */
	if (sendq_write(c->fd, &c->out, &c->out_off, extra, n_extra, writable || !(c->events & EPOLLOUT),
			4 * WS_CONN_READ_CHUNK) < 0) {
		c->broken = true;
		kick_soon(c);
		return;
	}
	if (out_pending(c)) {
		c->was_pending = true;
		if (c->out.len - c->out_off > WS_CONN_MAX_BACKLOG) {
			/* The peer does not read: drop it rather than buffer without bound. */
			c->broken = true;
			kick_soon(c);
		}
	}
	conn_update_events(c);
}

static uint64_t next_rand(struct ws_conn *c)
{
	/* xorshift64*: mask keys only need to be unpredictable to proxies, not secret. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ull;
}

/* Queues one frame without any checks. */
static void send_frame(struct ws_conn *c, enum ws_opcode op, const void *p, size_t n)
{
	uint8_t hdr[WS_MAX_HEADER];
	struct iovec iov[2];
	size_t h;

	if (c->role == WS_ROLE_CLIENT) {
		uint64_t r = next_rand(c);
		uint8_t mask[4] = { (uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24) };
		size_t start;

		/* The payload must be masked, so it is copied into the queue first. */
		h = ws_frame_header(hdr, true, op, n, mask);
		buf_add(&c->out, hdr, h);
		start = c->out.len;
		buf_add(&c->out, p, n);
		ws_mask((uint8_t *)c->out.data + start, n, mask, 0);
		conn_write(c, NULL, 0, false);
		return;
	}
	h = ws_frame_header(hdr, true, op, n, NULL);
	iov[0].iov_base = hdr;
	iov[0].iov_len = h;
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = n;
	conn_write(c, iov, 2, false);
}

static void send_close(struct ws_conn *c, uint16_t code, const char *reason)
{
	struct buf pl = BUF_INIT;

	if (c->close_sent)
		return;
	c->close_sent = true;
	buf_init(&pl);
	if (code != WS_CLOSE_NO_STATUS && code != WS_CLOSE_ABNORMAL)
		ws_close_payload(&pl, code, reason);
	send_frame(c, WS_OP_CLOSE, pl.data, pl.len);
	buf_done(&pl);
}

/* Tells the owner the connection is over (once) and lets it go. */
static void report_close(struct ws_conn *c, uint16_t code)
{
	if (!c->owned)
		return;
	c->owned = false;
	if (c->cbs.on_close)
		c->cbs.on_close(c, c->cbs.data, code);
}

/* Ends the connection: the socket closes once the output queue is flushed. */
static void finish(struct ws_conn *c, uint16_t code)
{
	c->finishing = true;
	report_close(c, code);
	if (!out_pending(c) || c->broken)
		conn_close_fd(c);
	else
		conn_update_events(c);
}

static void deliver(struct ws_conn *c, const struct ws_event *ev)
{
	if (!c->owned || c->close_sent)
		return;
	if (ev->opcode == WS_OP_TEXT) {
		buf_add(&c->text, ev->data, ev->len);
		if (!ev->last)
			return;
		c->cbs.on_message(c, c->cbs.data, WS_OP_TEXT, (const uint8_t *)c->text.data, c->text.len, true,
				  true);
		buf_reset(&c->text);
		return;
	}
	c->cbs.on_message(c, c->cbs.data, ev->opcode, ev->data, ev->len, ev->first, ev->last);
}

/* Parses data[0..len) (unmasking in place) and acts on it until paused, finished or out of
 * input.  Returns the bytes consumed. */
static size_t parse_input(struct ws_conn *c, uint8_t *data, size_t len)
{
	size_t off = 0;

	while (c->fd >= 0 && !c->finishing && off < len && (!c->paused || c->close_sent)) {
		struct ws_event ev;

		off += ws_parse(&c->parser, data + off, len - off, &ev);
		switch (ev.type) {
		case WS_EV_NONE:
			break;
		case WS_EV_DATA:
			deliver(c, &ev);
			break;
		case WS_EV_CONTROL:
			if (ev.opcode == WS_OP_PING && !c->close_sent) {
				send_frame(c, WS_OP_PONG, ev.data, ev.len);
			} else if (ev.opcode == WS_OP_CLOSE) {
				/* Echo the peer's code (RFC 6455 §5.5.1), then close. */
				send_close(c, ev.code, NULL);
				finish(c, ev.code);
				return off;
			}
			break;
		case WS_EV_ERROR:
			send_close(c, ev.code, ev.reason);
			finish(c, ev.code);
			return off;
		}
	}
	return off;
}

/* Parses what c->in holds (input left over while paused, or from the handshake), and ends
 * the connection once the peer's EOF has been reached. */
static void process(struct ws_conn *c)
{
	if (c->in_off < c->in.len)
		c->in_off += parse_input(c, (uint8_t *)c->in.data + c->in_off, c->in.len - c->in_off);
	if (c->in_off == c->in.len) {
		buf_done(&c->in);
		buf_init(&c->in);
		c->in_off = 0;
	} else if (c->in_off > WS_CONN_READ_CHUNK) {
		buf_consume(&c->in, c->in_off);
		c->in_off = 0;
	}
	if (c->fd >= 0 && !c->finishing && c->peer_eof && c->in_off == c->in.len)
		finish(c, c->close_sent ? WS_CLOSE_NORMAL : WS_CLOSE_ABNORMAL);
}

/* Reads once into a stack buffer and parses it there: a connection keeps no read buffer of
 * its own unless it is paused with input left (parsed pieces need no copy, and idle
 * connections cost no 64 KiB each). */
static void conn_read(struct ws_conn *c)
{
	uint8_t chunk[WS_CONN_READ_CHUNK];
	size_t used;
	ssize_t n;

	do
		n = read(c->fd, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		c->peer_eof = true;
		return;
	}
	if (n < 0)
		return;
	if (c->in_off < c->in.len) {
		/* Older input waits: keep the order. */
		buf_add(&c->in, chunk, (size_t)n);
		return;
	}
	used = parse_input(c, chunk, (size_t)n);
	if (used < (size_t)n && c->fd >= 0 && !c->finishing)
		buf_add(&c->in, chunk + used, (size_t)n - used);
}

/* After a callback: close or free what needs it, and settle the events. */
static void settle(struct ws_conn *c)
{
	if (c->fd >= 0 && c->broken)
		finish(c, WS_CLOSE_ABNORMAL);
	if (c->fd >= 0 && c->finishing && !out_pending(c))
		conn_close_fd(c);
	if (c->fd >= 0)
		conn_update_events(c);
}

static void conn_io_cb(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	struct ws_conn *c = data;

	(void)io;
	(void)fd;
	c->busy++;
	if (ev & EPOLLOUT) {
		conn_write(c, NULL, 0, true);
		if (!out_pending(c) && c->was_pending) {
			c->was_pending = false;
			if (c->owned && c->cbs.on_drain)
				c->cbs.on_drain(c, c->cbs.data);
		}
	}
	if (c->fd >= 0 && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		if (c->paused && !c->close_sent)
			c->hup_while_paused = (ev & (EPOLLHUP | EPOLLERR)) != 0;
		else
			conn_read(c);
	}
	if (c->fd >= 0 && !c->finishing)
		process(c);
	settle(c);
	c->busy--;
	conn_maybe_free(c);
}

static void kick_cb(struct loop_timer *t, void *data)
{
	struct ws_conn *c = data;

	(void)t;
	c->busy++;
	if (c->fd >= 0 && !c->finishing)
		process(c);
	settle(c);
	c->busy--;
	conn_maybe_free(c);
}

static void linger_cb(struct loop_timer *t, void *data)
{
	struct ws_conn *c = data;

	(void)t;
	conn_close_fd(c);
	conn_maybe_free(c);
}

int ws_conn_new(struct loop *l, int fd, enum ws_role role, const struct ws_conn_cbs *cbs,
		const void *initial_out, size_t n_out, const void *leftover, size_t n_left,
		struct ws_conn **ret)
{
	struct ws_conn *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->fd = fd;
	c->role = role;
	c->cbs = *cbs;
	c->owned = true;
	buf_init(&c->in);
	buf_init(&c->text);
	buf_init(&c->out);
	ws_parser_init(&c->parser, role);
	if (getrandom(&c->rng, sizeof(c->rng), 0) != (ssize_t)sizeof(c->rng) || !c->rng)
		c->rng = (uint64_t)loop_now_ns() | 1;
	c->kick = loop_timer_new(l, kick_cb, c);
	c->linger = loop_timer_new(l, linger_cb, c);
	c->events = EPOLLIN | EPOLLRDHUP;
	c->io = loop_io_new(l, fd, c->events, conn_io_cb, c);
	if (!c->io) {
		int r = errno ? -errno : -ENOMEM;

		close(fd);
		c->fd = -1;
		c->owned = false;
		conn_maybe_free(c);
		return r;
	}
	if (n_left) {
		buf_add(&c->in, leftover, n_left);
		kick_soon(c);
	}
	if (n_out) {
		struct iovec iov = { (void *)initial_out, n_out };

		conn_write(c, &iov, 1, false);
	}
	*ret = c;
	return 0;
}

int ws_conn_send(struct ws_conn *c, enum ws_opcode op, const void *p, size_t n)
{
	if (c->fd < 0 || c->broken || c->close_sent || c->finishing)
		return -EPIPE;
	send_frame(c, op, p, n);
	return c->broken ? -EPIPE : 0;
}

size_t ws_conn_pending(const struct ws_conn *c)
{
	return c->out.len - c->out_off;
}

void ws_conn_pause(struct ws_conn *c, bool paused)
{
	if (c->paused == paused)
		return;
	c->paused = paused;
	if (!paused) {
		c->hup_while_paused = false;
		kick_soon(c);
	}
	conn_update_events(c);
}

void ws_conn_shutdown(struct ws_conn *c, uint16_t code, const char *reason)
{
	c->owned = false;
	if (c->fd < 0 || c->finishing) {
		conn_maybe_free(c);
		return;
	}
	send_close(c, code, reason);
	/* Input is read (and discarded) until the peer's close arrives. */
	c->paused = false;
	c->hup_while_paused = false;
	loop_timer_arm_in(c->linger, WS_CONN_LINGER_MS);
	kick_soon(c);
	conn_update_events(c);
	conn_maybe_free(c);
}

void ws_conn_abort(struct ws_conn *c)
{
	c->owned = false;
	conn_close_fd(c);
	conn_maybe_free(c);
}

void ws_conn_set_group(struct ws_conn *c, struct ws_conn_group *g)
{
	c->group = g;
	c->g_prev = NULL;
	c->g_next = g->head;
	if (g->head)
		g->head->g_prev = c;
	g->head = c;
}

void ws_conn_group_abort(struct ws_conn_group *g)
{
	while (g->head) {
		struct ws_conn *c = g->head;

		c->owned = false;
		c->busy = 0;
		conn_close_fd(c);
		conn_maybe_free(c);
	}
}
