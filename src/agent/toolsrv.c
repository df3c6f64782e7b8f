/* toolsrv.c - hook-tool request server; see toolsrv.h. */
#include "toolsrv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/tools.h"
#include "lib/buf.h"
#include "lib/msg.h"

#define TOOLSRV_MAX_ARGS 4096

struct toolsrv_conn {
	struct toolsrv *s;
	int fd;
	struct loop_io *io;
	struct msg_reader rd;
	struct buf out;
	struct toolsrv_conn *prev, *next;
};

struct toolsrv {
	struct loop *l;
	int fd;
	char *path;
	struct loop_io *io;
	toolsrv_lookup_fn lookup;
	void *data;
	struct toolsrv_conn *conns;
	unsigned n_conns;
};

static void conn_free(struct toolsrv_conn *c)
{
	struct toolsrv *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	loop_io_free(c->io);
	close(c->fd);
	msg_reader_done(&c->rd);
	buf_done(&c->out);
	free(c);
}

static void reply(struct toolsrv_conn *c, int code, const char *out, const char *err)
{
	json_t *r = json_pack("{s:i, s:s, s:s}", "code", code, "stdout", out, "stderr", err);

	if (!r) /* invalid UTF-8 in the output: send it escaped as a last resort */
		r = json_pack("{s:i, s:s, s:s}", "code", code, "stdout", "", "stderr",
			      "ERROR tool output is not valid UTF-8\n");
	msg_encode(&c->out, r);
	json_decref(r);
	loop_io_set_events(c->io, EPOLLOUT);
}

static void handle_request(struct toolsrv_conn *c, json_t *req)
{
	const char *ctxid = NULL, *tool = NULL, *in = NULL;
	json_t *args = NULL;
	struct hook_ctx *ctx;
	struct buf out = BUF_INIT, err = BUF_INIT;
	char **argv = NULL;
	size_t argc, i;
	json_t *v;
	int code;

	if (json_unpack(req, "{s:s, s:s, s:o, s?s}", "context-id", &ctxid, "tool", &tool, "args",
			&args, "stdin", &in) < 0 ||
	    !json_is_array(args) || json_array_size(args) > TOOLSRV_MAX_ARGS) {
		reply(c, 1, "", "ERROR bad request: malformed hook tool request\n");
		return;
	}
	ctx = c->s->lookup(c->s->data, ctxid);
	if (!ctx) {
		reply(c, 1, "", "ERROR bad request: unknown context id\n");
		return;
	}
	argc = json_array_size(args);
	argv = xcalloc(argc + 1, sizeof(char *));
	json_array_foreach(args, i, v) {
		if (!json_is_string(v)) {
			free(argv);
			reply(c, 1, "", "ERROR bad request: arguments must be strings\n");
			return;
		}
		argv[i] = (char *)json_string_value(v);
	}
	buf_init(&out);
	buf_init(&err);
	code = tools_run_cwd(ctx, tool, json_string_value(json_object_get(req, "cwd")), (int)argc, argv,
			     in, &out, &err);
	reply(c, code, out.data, err.data);
	buf_done(&out);
	buf_done(&err);
	free(argv);
}

static void on_conn(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct toolsrv_conn *c = data;
	char chunk[16384];

	(void)io;
	if (c->out.len) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		ssize_t n = write(fd, c->out.data, c->out.len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			conn_free(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
		if (!c->out.len)
			conn_free(c); /* one request per connection */
		return;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_free(c);
			return;
		}
		buf_add(&c->rd.in, chunk, (size_t)n);
		if (c->rd.in.len > MSG_MAX + 4) {
			conn_free(c);
			return;
		}
	}
	json_t *req = NULL;
	struct errbuf eb;
	int r = msg_reader_next(&c->rd, &req, &eb);

	if (r == 0)
		return;
	if (r < 0) {
		reply(c, 1, "", "ERROR bad request: malformed frame\n");
		return;
	}
	handle_request(c, req);
	json_decref(req);
}

static void on_accept(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct toolsrv *s = data;

	(void)io;
	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0)
			return;
		if (s->n_conns >= TOOLSRV_MAX_CONNS) {
			close(cfd);
			continue;
		}
		struct toolsrv_conn *c = xcalloc(1, sizeof(*c));

		c->s = s;
		c->fd = cfd;
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
		s->n_conns++;
	}
}

int toolsrv_new(struct loop *l, const char *path, toolsrv_lookup_fn lookup, void *data,
		struct toolsrv **ret, struct errbuf *eb)
{
	struct toolsrv *s;
	int fd = msg_listen_unix(path, 0600, eb);

	if (fd < 0)
		return fd;
	s = xcalloc(1, sizeof(*s));
	s->l = l;
	s->fd = fd;
	s->path = xstrdup(path);
	s->lookup = lookup;
	s->data = data;
	s->io = loop_io_new(l, fd, EPOLLIN, on_accept, s);
	*ret = s;
	return 0;
}

void toolsrv_free(struct toolsrv *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	loop_io_free(s->io);
	close(s->fd);
	unlink(s->path);
	free(s->path);
	free(s);
}
