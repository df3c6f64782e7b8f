/* api.c - the controller's API socket: framed JSON requests from the CLI (docs/protocol.md
 * §1), dispatched to the operations of ctl_ops.c.  Connections are non-blocking; a request
 * is answered before the next one on the same connection is read; streams (debug-log,
 * wait-for) keep their connection until they finish or the client leaves. */
#include "controller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/msg.h"

#define API_MAX_CONNS 1024

struct api_conn {
	struct api *api;
	int fd;
	struct loop_io *io;
	struct msg_reader rd;
	struct buf out;
	bool streaming;      /* a stream owns the connection */
	bool finish;         /* close once out is flushed */
	bool closed;
	void (*on_close)(struct api_conn *, void *);
	void *on_close_data;
	struct api_conn *prev, *next;
};

struct api {
	struct controller *c;
	int fd;
	char *path;
	struct loop_io *io;
	struct api_conn *conns;
	unsigned n_conns;
};

static void conn_update_events(struct api_conn *conn)
{
	uint32_t ev = conn->out.len ? EPOLLOUT : 0;

	if (!conn->streaming && !conn->finish)
		ev |= EPOLLIN;
	else
		ev |= EPOLLRDHUP | EPOLLIN; /* notice a client that goes away */
	loop_io_set_events(conn->io, ev);
}

static void conn_free_deferred(void *data)
{
	struct api_conn *conn = data;

	msg_reader_done(&conn->rd);
	buf_done(&conn->out);
	free(conn);
}

static void conn_close(struct api_conn *conn)
{
	struct api *a = conn->api;

	if (conn->closed)
		return;
	conn->closed = true;
	if (conn->on_close) {
		void (*cb)(struct api_conn *, void *) = conn->on_close;

		conn->on_close = NULL;
		cb(conn, conn->on_close_data);
	}
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		a->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	a->n_conns--;
	loop_io_free(conn->io);
	close(conn->fd);
	/* Callers up the stack may still hold conn in this iteration. */
	loop_defer(a->c->l, conn_free_deferred, conn);
}

void api_conn_send(struct api_conn *conn, json_t *msg)
{
	if (conn->closed)
		return;
	msg_encode(&conn->out, msg);
	conn_update_events(conn);
}

void api_conn_on_close(struct api_conn *conn, void (*cb)(struct api_conn *, void *), void *data)
{
	conn->on_close = cb;
	conn->on_close_data = data;
}

void api_conn_finish(struct api_conn *conn)
{
	if (conn->closed)
		return;
	conn->finish = true;
	conn->on_close = NULL;
	if (!conn->out.len)
		conn_close(conn);
	else
		conn_update_events(conn);
}

static void send_error(struct api_conn *conn, const char *msg)
{
	json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", msg);

	api_conn_send(conn, r);
	json_decref(r);
}

static void dispatch(struct api_conn *conn, json_t *req)
{
	struct controller *c = conn->api->c;
	const char *op = json_string_value(json_object_get(req, "op"));
	ctl_op_fn fn = ctl_find_op(op);
	struct errbuf eb;
	json_t *result = NULL;
	int r;

	if (!fn) {
		char msg[256];

		snprintf(msg, sizeof(msg), "unknown operation \"%s\"", op ? op : "");
		send_error(conn, msg);
		return;
	}
	errbuf_clear(&eb);
	r = fn(c, conn, req, &result, &eb);
	if (r == 1) {
		if (!conn->finish && !conn->closed) {
			conn->streaming = true;
			conn_update_events(conn);
		}
		return;
	}
	if (r < 0) {
		send_error(conn, eb.msg[0] ? eb.msg : strerror(-r));
		return;
	}
	json_t *resp = json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_object());

	api_conn_send(conn, resp);
	json_decref(resp);
}

static void on_conn(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct api_conn *conn = data;
	char chunk[65536];

	(void)io;
	if (events & EPOLLOUT) {
		while (conn->out.len) {
			ssize_t n = write(fd, conn->out.data, conn->out.len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				conn_close(conn);
				return;
			}
			buf_consume(&conn->out, (size_t)n);
		}
		if (!conn->out.len && conn->finish) {
			conn_close(conn);
			return;
		}
		conn_update_events(conn);
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	if (conn->streaming || conn->finish) {
		/* Nothing more is expected from the client: any readable event is EOF. */
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(conn);
		return;
	}
	bool eof = false;

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_close(conn);
			return;
		}
		if (n == 0) {
			/* The client finished sending: still answer what it sent. */
			eof = true;
			break;
		}
		buf_add(&conn->rd.in, chunk, (size_t)n);
		if (conn->rd.in.len > MSG_MAX + 4)
			break;
	}
	while (!conn->closed && !conn->streaming && !conn->finish) {
		json_t *req = NULL;
		struct errbuf eb;
		int r = msg_reader_next(&conn->rd, &req, &eb);

		if (r == 0)
			break;
		if (r < 0) {
			send_error(conn, eb.msg);
			api_conn_finish(conn);
			break;
		}
		dispatch(conn, req);
		json_decref(req);
	}
	if (eof && !conn->closed && !conn->streaming)
		api_conn_finish(conn);
}

static void on_accept(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct api *a = data;

	(void)io;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0)
			return;
		if (a->n_conns >= API_MAX_CONNS) {
			close(cfd);
			continue;
		}
		struct api_conn *conn = xcalloc(1, sizeof(*conn));

		conn->api = a;
		conn->fd = cfd;
		msg_reader_init(&conn->rd);
		buf_init(&conn->out);
		conn->io = loop_io_new(a->c->l, cfd, EPOLLIN, on_conn, conn);
		if (!conn->io) {
			close(cfd);
			free(conn);
			continue;
		}
		conn->next = a->conns;
		if (a->conns)
			a->conns->prev = conn;
		a->conns = conn;
		a->n_conns++;
	}
}

int api_new(struct controller *c, const char *path, struct api **ret, struct errbuf *eb)
{
	int fd = msg_listen_unix(path, 0600, eb);
	struct api *a;

	if (fd < 0)
		return fd;
	a = xcalloc(1, sizeof(*a));
	a->c = c;
	a->fd = fd;
	a->path = xstrdup(path);
	a->io = loop_io_new(c->l, fd, EPOLLIN, on_accept, a);
	*ret = a;
	return 0;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	/* Flush what is pending (the shutdown answer) on a best-effort basis. */
	for (struct api_conn *conn = a->conns; conn; conn = conn->next)
		if (conn->out.len && write(conn->fd, conn->out.data, conn->out.len) < 0)
			continue;
	while (a->conns)
		conn_close(a->conns);
	loop_io_free(a->io);
	close(a->fd);
	unlink(a->path);
	free(a->path);
	free(a);
}
