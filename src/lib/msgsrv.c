/* msgsrv.c - framed JSON message server; see msgsrv.h. */
#include "msgsrv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/msg.h"

struct msgsrv_conn {
	struct msgsrv *s;
	int fd;
	struct loop_io *io;
	struct msg_reader rd;
	struct buf out;
	size_t head_left;    /* bytes of out's first frame still unwritten after a partial write */
	bool held;           /* a request owns the connection */
	bool finish;         /* close once out is flushed */
	bool closed;
	bool refusing;       /* over the connection limit: answered busy, then closed */
	bool cred_ok;
	pid_t peer_pid;
	uid_t peer_uid;
	struct loop_timer *abort_timer;
	void (*on_close)(struct msgsrv_conn *, void *);
	void *on_close_data;
	struct msgsrv_conn *prev, *next;
};

struct msgsrv {
	struct loop *l;
	int fd;
	char *path;
	struct loop_io *io;
	struct msgsrv_cbs cbs;
	unsigned max_conns;
	struct msgsrv_conn *conns;
	unsigned n_conns;     /* served connections (refusing ones not included) */
	unsigned n_refusing;
};

static void update_events(struct msgsrv_conn *c)
{
	uint32_t ev = EPOLLIN | (c->out.len ? EPOLLOUT : 0);

	/* Held or finishing connections are still read, only to notice the client leaving. */
	if (c->held || c->finish)
		ev |= EPOLLRDHUP;
	loop_io_set_events(c->io, ev);
}

static void conn_free_deferred(void *data)
{
	struct msgsrv_conn *c = data;

	msg_reader_done(&c->rd);
	buf_done(&c->out);
	loop_timer_free(c->abort_timer);
	free(c);
}

static void conn_close(struct msgsrv_conn *c)
{
	struct msgsrv *s = c->s;

	if (c->closed)
		return;
	c->closed = true;
	if (c->on_close) {
		void (*cb)(struct msgsrv_conn *, void *) = c->on_close;

		c->on_close = NULL;
		cb(c, c->on_close_data);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->refusing)
		s->n_refusing--;
	else
		s->n_conns--;
	loop_timer_disarm(c->abort_timer);
	loop_io_free(c->io);
	close(c->fd);
	/* Callers up the stack may still hold c in this iteration. */
	loop_defer(s->l, conn_free_deferred, c);
}

int msgsrv_send(struct msgsrv_conn *c, json_t *msg)
{
	if (c->closed || c->finish)
		return -EPIPE;
	if (c->out.len >= MSGSRV_MAX_OUT)
		return -ENOBUFS;
	msg_encode(&c->out, msg);
	update_events(c);
	return 0;
}

int msgsrv_send_text(struct msgsrv_conn *c, const char *json, size_t n)
{
	if (c->closed || c->finish)
		return -EPIPE;
	if (c->out.len >= MSGSRV_MAX_OUT)
		return -ENOBUFS;
	msg_encode_text(&c->out, json, n);
	update_events(c);
	return 0;
}

size_t msgsrv_pending(const struct msgsrv_conn *c)
{
	return c->out.len;
}

static void on_abort_timer(struct loop_timer *t, void *data)
{
	(void)t;
	conn_close(data);
}

void msgsrv_abort(struct msgsrv_conn *c, json_t *msg)
{
	if (c->closed)
		return;
	c->on_close = NULL;
	if (!c->finish) {
		/* Keep only the unwritten tail of a frame the client is in the middle of. */
		buf_truncate(&c->out, c->head_left);
		if (msg)
			msg_encode(&c->out, msg);
	}
	msgsrv_finish(c);
	if (!c->closed) {
		c->abort_timer = loop_timer_new(c->s->l, on_abort_timer, c);
		loop_timer_arm_in(c->abort_timer, MSGSRV_ABORT_MS);
	}
}

bool msgsrv_peer(const struct msgsrv_conn *c, pid_t *ret_pid, uid_t *ret_uid)
{
	if (!c->cred_ok)
		return false;
	if (ret_pid)
		*ret_pid = c->peer_pid;
	if (ret_uid)
		*ret_uid = c->peer_uid;
	return true;
}

/* A client over the connection limit: its answer says so, then it is closed. */
static void refuse(struct msgsrv_conn *c)
{
	struct msgsrv *s = c->s;
	char msg[96];
	json_t *reply;

	snprintf(msg, sizeof(msg), "too many connections (limit %u)", s->max_conns);
	reply = (s->cbs.busy ? s->cbs.busy : s->cbs.malformed)(msg, s->cbs.data);
	msgsrv_send(c, reply);
	json_decref(reply);
	msgsrv_finish(c);
}

static void on_refuse_timer(struct loop_timer *t, void *data)
{
	struct msgsrv_conn *c = data;

	(void)t;
	if (c->finish) {
		conn_close(c); /* it did not even read its answer */
		return;
	}
	refuse(c);
	if (!c->closed)
		loop_timer_arm_in(c->abort_timer, MSGSRV_REFUSE_MS);
}

void msgsrv_on_close(struct msgsrv_conn *c, void (*cb)(struct msgsrv_conn *, void *), void *data)
{
	c->on_close = cb;
	c->on_close_data = data;
}

void msgsrv_finish(struct msgsrv_conn *c)
{
	if (c->closed)
		return;
	c->finish = true;
	c->on_close = NULL;
	if (!c->out.len)
		conn_close(c);
	else
		update_events(c);
}

void msgsrv_hold(struct msgsrv_conn *c)
{
	if (c->closed || c->finish)
		return;
	c->held = true;
	update_events(c);
}

/* Removes n written bytes from the front of out, keeping head_left: how much of the frame
 * at the front is left to write when a write ended inside it.  Frames are a 4-byte
 * big-endian length and that many bytes (msg.h), always queued whole. */
static void consume_written(struct msgsrv_conn *c, size_t n)
{
	size_t off = 0;

	while (off < n) {
		if (c->head_left == 0) {
			const unsigned char *h = (const unsigned char *)c->out.data + off;

			c->head_left = 4 + ((size_t)h[0] << 24 | (size_t)h[1] << 16 |
					    (size_t)h[2] << 8 | (size_t)h[3]);
		}
		size_t take = n - off < c->head_left ? n - off : c->head_left;

		c->head_left -= take;
		off += take;
	}
	buf_consume(&c->out, n);
}

static bool flush(struct msgsrv_conn *c)
{
	while (c->out.len) {
		ssize_t n = write(c->fd, c->out.data, c->out.len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_close(c);
			return false;
		}
		consume_written(c, (size_t)n);
	}
	if (!c->out.len && c->finish) {
		conn_close(c);
		return false;
	}
	update_events(c);
	return true;
}

static void on_conn(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct msgsrv_conn *c = data;
	char chunk[65536];
	bool eof = false;

	(void)io;
	if ((events & EPOLLOUT) && !flush(c))
		return;
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	if (c->held || c->finish) {
		/* Nothing more is expected from the client: a readable event is its EOF. */
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_close(c);
			return;
		}
		if (n == 0) {
			/* The client finished sending: still answer what it sent. */
			eof = true;
			break;
		}
		buf_add(&c->rd.in, chunk, (size_t)n);
		if (c->rd.in.len > MSG_MAX + 4)
			break;
	}
	while (!c->closed && !c->held && !c->finish) {
		json_t *req = NULL;
		struct errbuf eb;
		int r = msg_reader_next(&c->rd, &req, &eb);

		if (r == 0)
			break;
		if (c->refusing) {
			/* Its request is in (or is malformed): now it reads the refusal. */
			json_decref(req);
			refuse(c);
			break;
		}
		if (r < 0) {
			json_t *reply = c->s->cbs.malformed(eb.msg, c->s->cbs.data);

			msgsrv_send(c, reply);
			json_decref(reply);
			msgsrv_finish(c);
			break;
		}
		c->s->cbs.request(c, req, c->s->cbs.data);
		json_decref(req);
	}
	if (eof && !c->closed && !c->held) {
		if (c->refusing && !c->finish)
			refuse(c);
		else
			msgsrv_finish(c);
	}
}

static void on_accept(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct msgsrv *s = data;

	(void)io;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct msgsrv_conn *c;

		struct ucred cred;
		socklen_t sl = sizeof(cred);
		bool over;

		if (cfd < 0)
			return;
		over = s->n_conns >= s->max_conns;
		if (over && s->n_refusing >= MSGSRV_MAX_REFUSING) {
			close(cfd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = cfd;
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) == 0 && sl == sizeof(cred)) {
			c->cred_ok = true;
			c->peer_pid = cred.pid;
			c->peer_uid = cred.uid;
		}
		msg_reader_init(&c->rd);
		buf_init(&c->out);
		c->io = loop_io_new(s->l, cfd, EPOLLIN, on_conn, c);
		if (!c->io) {
			close(cfd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		if (over) {
			/* Answered once its request is in, so the client reads why (a refusal
			 * before it sent anything would meet a broken pipe). */
			c->refusing = true;
			s->n_refusing++;
			c->abort_timer = loop_timer_new(s->l, on_refuse_timer, c);
			loop_timer_arm_in(c->abort_timer, MSGSRV_REFUSE_MS);
		} else {
			s->n_conns++;
		}
	}
}

int msgsrv_new(struct loop *l, const char *path, int mode, unsigned max_conns,
	       const struct msgsrv_cbs *cbs, struct msgsrv **ret, struct errbuf *eb)
{
	int fd = msg_listen_unix(path, mode, eb);
	struct msgsrv *s;

	if (fd < 0)
		return fd;
	s = xcalloc(1, sizeof(*s));
	s->l = l;
	s->fd = fd;
	s->path = xstrdup(path);
	s->cbs = *cbs;
	s->max_conns = max_conns;
	s->io = loop_io_new(l, fd, EPOLLIN, on_accept, s);
	*ret = s;
	return 0;
}

void msgsrv_free(struct msgsrv *s)
{
	if (!s)
		return;
	/* Flush what is pending (e.g. the answer to a shutdown request) on a best-effort basis. */
	for (struct msgsrv_conn *c = s->conns; c; c = c->next)
		if (c->out.len && write(c->fd, c->out.data, c->out.len) < 0)
			continue;
	while (s->conns)
		conn_close(s->conns);
	loop_io_free(s->io);
	close(s->fd);
	unlink(s->path);
	free(s->path);
	free(s);
}
