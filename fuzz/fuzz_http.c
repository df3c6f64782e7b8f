/* fuzz_http.c - the HTTP/1.1 server (http/http_server.c) on a client's raw bytes: request
 * lines, headers, Content-Length and chunked bodies, pipelining, Expect, upgrades.  The
 * real server code runs on a loop with one end of a socketpair adopted as a connection; the
 * input is written to the other end in pieces (sizes from the first byte), the loop running
 * between pieces, then the client half-closes.  The handler answers by path the way scree's
 * handlers do: at once, streamed (pushed and pulled), later from a timer (long-poll, with
 * its cancel callback), by taking the connection (websocket upgrade); the head handler
 * (second byte) takes bodies as streams, answers before the body, or leaves it buffered.
 *
 * Checked: every answer starts with a status line; after the half-close the server closes
 * the connection within a bounded number of loop iterations; nothing leaks (each input
 * gets its own server). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "http/http_server.h"

#define MAX_PARKED 16
#define SETTLE_ROUNDS 2000

struct parked {
	struct http_req *req;
};

static struct loop *loop;
static struct loop_timer *later_timer;
static struct parked parked[MAX_PARKED];
static size_t n_parked;
static size_t body_bytes;

static void parked_remove(struct http_req *req)
{
	for (size_t i = 0; i < n_parked; i++)
		if (parked[i].req == req) {
			parked[i] = parked[--n_parked];
			return;
		}
	abort(); /* a cancel for a request we never parked */
}

static void on_cancel(struct http_req *req, void *data)
{
	(void)data;
	parked_remove(req);
}

static void later_cb(struct loop_timer *t, void *data)
{
	(void)t;
	(void)data;
	while (n_parked) {
		struct http_req *req = parked[--n_parked].req;

		http_reply(req, 200, "text/plain", "later", 5, NULL);
	}
}

static void answer_params(struct http_req *req)
{
	const char *vals[8];
	size_t n = http_req_param_all(req, "a", vals, 8);
	struct buf b = BUF_INIT;

	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s;", vals[i]);
	for (size_t i = 0; i < req->n_params; i++)
		buf_addf(&b, "%s=%s&", req->params[i].key, req->params[i].value);
	if (http_req_header(req, "X-Extra"))
		buf_adds(&b, http_req_header(req, "X-Extra"));
	http_reply(req, 200, "text/plain", b.data, b.len, "X-Echo: 1\r\n");
	buf_done(&b);
}

static void pull_fill(struct http_req *req, void *data)
{
	int *left = data;

	if ((*left)-- > 0) {
		if (http_reply_stream_write(req, "0123456789abcdef", 16) < 0)
			http_reply_stream_pull(req, NULL, NULL);
		return;
	}
	http_reply_stream_end(req);
}

static int pull_left;

static void handler(struct http_server *s, struct http_req *req, void *data)
{
	const char *p = req->path;

	(void)s;
	(void)data;
	if (!strcmp(p, "/echo")) {
		http_reply(req, 200, "application/octet-stream", req->body.data, req->body.len, NULL);
	} else if (!strcmp(p, "/params")) {
		answer_params(req);
	} else if (!strcmp(p, "/stream")) {
		http_reply_stream_begin(req, 200, "text/plain");
		for (int i = 0; i < 3; i++)
			http_reply_stream_write(req, "chunk", 5);
		http_reply_stream_end(req);
	} else if (!strcmp(p, "/pull")) {
		pull_left = 4;
		http_reply_stream_begin(req, 200, "text/plain");
		http_reply_stream_pull(req, pull_fill, &pull_left);
	} else if (!strcmp(p, "/later") && n_parked < MAX_PARKED) {
		parked[n_parked++].req = req;
		req->cancel_cb = on_cancel;
		req->cancel_data = NULL;
		if (!loop_timer_armed(later_timer))
			loop_timer_arm_at(later_timer, 0);
	} else if (!strcmp(p, "/upgrade")) {
		struct buf left = BUF_INIT;
		int fd;

		buf_init(&left);
		fd = http_req_take_conn(req, &left);
		if (fd >= 0)
			close(fd);
		else
			http_reply(req, 500, NULL, NULL, 0, NULL);
		buf_done(&left);
	} else if (!strcmp(p, "/nobody")) {
		http_reply(req, 204, NULL, NULL, 0, NULL);
	} else {
		http_reply(req, 404, "application/json", "{}", 2, NULL);
	}
}

static void sink_data(struct http_req *req, const char *p, size_t n, void *arg)
{
	(void)req;
	(void)arg;
	if (n == 0 || !p)
		abort();
	body_bytes += n;
}

static void sink_end(struct http_req *req, void *arg)
{
	char msg[32];

	(void)arg;
	snprintf(msg, sizeof(msg), "%zu", body_bytes);
	http_reply(req, 200, "text/plain", msg, strlen(msg), NULL);
}

static void sink_cancel(struct http_req *req, void *data)
{
	(void)req;
	(void)data;
}

static const struct http_body_sink sink = { sink_data, sink_end };

static void head_handler(struct http_server *s, struct http_req *req, void *data)
{
	(void)s;
	(void)data;
	if (!strcmp(req->path, "/upload")) {
		body_bytes = 0;
		req->cancel_cb = sink_cancel;
		http_req_take_body(req, &sink, NULL);
	} else if (!strcmp(req->path, "/early")) {
		http_reply(req, 413, "text/plain", "no", 2, NULL);
	}
	/* Anything else: the body is buffered and goes to handler(). */
}

/* Reads what the server wrote; returns false once the server closed its end. */
static bool drain(int fd, struct buf *out)
{
	char tmp[65536];

	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));

		if (n > 0) {
			if (out->len < 1024 * 1024)
				buf_add(out, tmp, (size_t)n);
			continue;
		}
		if (n == 0)
			return false;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return true;
		return false; /* ECONNRESET: closed too */
	}
}

static void pump(int fd, struct buf *out, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		if (loop_run_once(loop, 0) < 0)
			abort();
		drain(fd, out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_server *srv;
	struct buf out = BUF_INIT;
	int sv[2];
	size_t pos = 0, step;
	bool open = true;

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	if (!loop) {
		if (loop_new(&loop) < 0)
			abort();
		later_timer = loop_timer_new(loop, later_cb, NULL);
	}
	step = 1 + data[0] % 97;
	srv = http_server_new(loop, handler, NULL);
	if (data[1] & 1)
		http_server_set_head_handler(srv, head_handler);
	data += 2;
	size -= 2;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (http_server_adopt(srv, sv[0], true) < 0)
		abort();
	buf_init(&out);
	while (pos < size && open) {
		size_t n = size - pos < step ? size - pos : step;
		ssize_t w = write(sv[1], data + pos, n);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pump(sv[1], &out, 1);
			continue;
		}
		if (w <= 0)
			break; /* the server closed the connection */
		pos += (size_t)w;
		pump(sv[1], &out, 2);
	}
	shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < SETTLE_ROUNDS && open; i++) {
		if (loop_run_once(loop, 0) < 0)
			abort();
		open = drain(sv[1], &out);
	}
	if (open)
		abort(); /* the server kept a half-closed connection open */
	if (out.len && memcmp(out.data, "HTTP/1.", 7) != 0)
		abort();
	if (n_parked)
		abort(); /* a parked request was neither answered nor cancelled */
	close(sv[1]);
	http_server_free(srv);
	loop_timer_disarm(later_timer);
	buf_done(&out);
	return 0;
}
