/* test-http-server.c - unit tests for the HTTP server: the loop and the server run in this
 * process and raw client sockets talk to them, stepping the loop with loop_run_once() while
 * they wait (no threads, no sleeps). */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/test.h"

#define STEP_MS 2
#define WAIT_MS 5000

static struct loop *L;
static struct http_server *S;
static char dir[64], sock_path[128];

/* ---- the handler under test ---- */

#define MAX_WAITING 256
static struct http_req *waiting[MAX_WAITING];
static size_t n_waiting;
static int cancel_count;
static int handled;
static struct http_req *stream_req;
static int stream_cancelled;
static struct {
	bool is_unix, cred_ok;
	uid_t uid;
	pid_t pid;
} last_peer;
static int taken_fd = -1;
static struct buf taken_leftover = BUF_INIT;

static void on_cancel(struct http_req *req, void *data)
{
	(void)data;
	cancel_count++;
	for (size_t i = 0; i < n_waiting; i++) {
		if (waiting[i] == req) {
			waiting[i] = waiting[--n_waiting];
			break;
		}
	}
}

static void on_stream_cancel(struct http_req *req, void *data)
{
	(void)data;
	if (req == stream_req)
		stream_req = NULL;
	stream_cancelled++;
}

static const char hello_json[] = "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":\"hi\"}";

static void reply_params(struct http_req *req)
{
	struct buf b = BUF_INIT;
	const char *names[16];
	size_t n;
	const char *xt = http_req_header(req, "x-test");

	buf_init(&b);
	buf_addf(&b, "path=%s\n", req->path);
	for (size_t i = 0; i < req->n_params; i++)
		buf_addf(&b, "%s=%s\n", req->params[i].key, req->params[i].value);
	n = http_req_param_all(req, "names", names, 16);
	buf_adds(&b, "names:");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "[%s]", names[i]);
	buf_addf(&b, "\nfirst=%s has_y=%d has_z=%d x-test=%s\n", http_req_param(req, "names") ?: "(null)",
		 http_req_has_param(req, "y"), http_req_has_param(req, "z"), xt ? xt : "(null)");
	http_reply(req, 200, "text/plain", b.data, b.len, NULL);
	buf_done(&b);
}

static void handler(struct http_server *s, struct http_req *req, void *data)
{
	(void)s;
	(void)data;
	handled++;
	last_peer.is_unix = req->is_unix;
	last_peer.cred_ok = req->peer_cred_ok;
	last_peer.uid = req->peer_uid;
	last_peer.pid = req->peer_pid;
	if (strcmp(req->path, "/hello") == 0) {
		http_reply(req, 200, "application/json", hello_json, strlen(hello_json), NULL);
	} else if (strcmp(req->path, "/echo") == 0) {
		char extra[64];

		snprintf(extra, sizeof(extra), "X-Method: %s\r\n", req->method);
		http_reply(req, 200, "text/plain", req->body.data, req->body.len, extra);
	} else if (strcmp(req->path, "/wait") == 0 || strcmp(req->path, "/wait-nocancel") == 0) {
		if (strcmp(req->path, "/wait") == 0)
			req->cancel_cb = on_cancel;
		waiting[n_waiting++] = req;
	} else if (strcmp(req->path, "/stream") == 0) {
		stream_req = req;
		if (!http_req_has_param(req, "nocancel"))
			req->cancel_cb = on_stream_cancel;
		http_reply_stream_begin(req, 200, "application/x-ndjson");
		http_reply_stream_write(req, "one\n", 4);
		http_reply_stream_write(req, "two\n", 4);
	} else if (strcmp(req->path, "/big") == 0) {
		size_t n = 4u << 20;
		char *p = xmalloc(n);

		for (size_t i = 0; i < n; i++)
			p[i] = (char)('a' + i % 26);
		http_reply(req, 200, "application/octet-stream", p, n, NULL);
		free(p);
	} else if (strcmp(req->path, "/params") == 0) {
		reply_params(req);
	} else if (strcmp(req->path, "/upgrade") == 0) {
		buf_init(&taken_leftover);
		taken_fd = http_req_take_conn(req, &taken_leftover);
	} else if (strcmp(req->path, "/nocontent") == 0) {
		http_reply(req, 204, NULL, NULL, 0, NULL);
	} else {
		static const char nf[] = "{\"type\":\"error\"}";

		http_reply(req, 404, "application/json", nf, strlen(nf), NULL);
	}
}

/* ---- a raw client that steps the loop while it waits ---- */

struct client {
	int fd;
	struct buf in;
	http_parser p;
};

struct rsp {
	int status;
	char reason[64];
	struct buf headers; /* "Name: value\n" lines */
	struct buf body;
	int chunks;
	bool complete, head, eof;
	int last;
};

static int rsp_on_status(http_parser *p, const char *at, size_t len)
{
	struct rsp *r = p->data;
	size_t l = strlen(r->reason);

	if (l + len < sizeof(r->reason)) {
		memcpy(r->reason + l, at, len);
		r->reason[l + len] = '\0';
	}
	return 0;
}

static int rsp_on_field(http_parser *p, const char *at, size_t len)
{
	struct rsp *r = p->data;

	if (r->last != 1 && r->headers.len)
		buf_addc(&r->headers, '\n');
	r->last = 1;
	buf_add(&r->headers, at, len);
	return 0;
}

static int rsp_on_value(http_parser *p, const char *at, size_t len)
{
	struct rsp *r = p->data;

	if (r->last != 2)
		buf_add(&r->headers, ": ", 2);
	r->last = 2;
	buf_add(&r->headers, at, len);
	return 0;
}

static int rsp_on_headers_complete(http_parser *p)
{
	struct rsp *r = p->data;

	buf_addc(&r->headers, '\n');
	r->status = (int)p->status_code;
	return r->head ? 1 : 0;
}

static int rsp_on_body(http_parser *p, const char *at, size_t len)
{
	struct rsp *r = p->data;

	buf_add(&r->body, at, len);
	return 0;
}

static int rsp_on_chunk_header(http_parser *p)
{
	struct rsp *r = p->data;

	if (p->content_length > 0)
		r->chunks++;
	return 0;
}

static int rsp_on_complete(http_parser *p)
{
	struct rsp *r = p->data;

	r->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings rsp_settings = {
	.on_status = rsp_on_status,
	.on_header_field = rsp_on_field,
	.on_header_value = rsp_on_value,
	.on_headers_complete = rsp_on_headers_complete,
	.on_body = rsp_on_body,
	.on_chunk_header = rsp_on_chunk_header,
	.on_message_complete = rsp_on_complete,
};

static void rsp_init(struct rsp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->headers);
	buf_init(&r->body);
}

static void rsp_done(struct rsp *r)
{
	buf_done(&r->headers);
	buf_done(&r->body);
}

static void step(void)
{
	loop_run_once(L, STEP_MS);
}

static void steps(int n)
{
	for (int i = 0; i < n; i++)
		step();
}

/* Steps the loop until cond holds (or WAIT_MS pass); the caller then asserts cond. */
#define STEP_UNTIL(cond)                                                       \
	do {                                                                   \
		uint64_t _dl = loop_now_ms() + WAIT_MS;                        \
		while (!(cond) && loop_now_ms() < _dl)                         \
			step();                                                \
	} while (0)

static int client_open_path(struct client *cl, const char *path)
{
	struct sockaddr_un sa;

	memset(cl, 0, sizeof(*cl));
	buf_init(&cl->in);
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl->fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		close(cl->fd);
		cl->fd = -1;
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(cl->fd);
		cl->fd = -1;
		return r;
	}
	fcntl(cl->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int client_open(struct client *cl)
{
	return client_open_path(cl, sock_path);
}

static void client_close(struct client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	buf_done(&cl->in);
}

/* Sends everything, stepping the loop while the socket is full.  Returns 0 or -errno. */
static int client_send_n(struct client *cl, const char *data, size_t len)
{
	uint64_t deadline = loop_now_ms() + WAIT_MS;

	while (len) {
		ssize_t n = send(cl->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return -errno;
		if (loop_now_ms() > deadline)
			return -ETIMEDOUT;
		step();
	}
	return 0;
}

static int client_send(struct client *cl, const char *s)
{
	return client_send_n(cl, s, strlen(s));
}

/* Pulls what the socket has into cl->in: 1 = got bytes, 0 = nothing yet, -1 = EOF/error. */
static int client_pull(struct client *cl)
{
	char tmp[65536];
	ssize_t n = recv(cl->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

	if (n > 0) {
		buf_add(&cl->in, tmp, (size_t)n);
		return 1;
	}
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		return -1;
	return 0;
}

/* Reads one response, stepping the loop.  Returns 0, or -1 on EOF/parse error/timeout. */
static int client_response_ex(struct client *cl, struct rsp *r, bool head, int timeout_ms)
{
	uint64_t deadline = loop_now_ms() + (uint64_t)timeout_ms;

	rsp_init(r);
	r->head = head;
	http_parser_init(&cl->p, HTTP_RESPONSE);
	cl->p.data = r;
	for (;;) {
		if (cl->in.len) {
			size_t n = http_parser_execute(&cl->p, &rsp_settings, cl->in.data, cl->in.len);
			enum http_errno e = HTTP_PARSER_ERRNO(&cl->p);

			buf_consume(&cl->in, n);
			if (e != HPE_OK && e != HPE_PAUSED)
				return -1;
			if (r->complete)
				return 0;
		}
		if (loop_now_ms() > deadline)
			return -1;
		step();
		if (client_pull(cl) < 0) {
			r->eof = true;
			http_parser_execute(&cl->p, &rsp_settings, NULL, 0);
			return r->complete ? 0 : -1;
		}
	}
}

static int client_response(struct client *cl, struct rsp *r)
{
	return client_response_ex(cl, r, false, WAIT_MS);
}

/* Steps the loop until the server closes the connection; true if it did. */
static bool client_wait_eof(struct client *cl)
{
	uint64_t deadline = loop_now_ms() + WAIT_MS;

	while (loop_now_ms() < deadline) {
		step();
		if (client_pull(cl) < 0)
			return true;
	}
	return false;
}

/* True if nothing arrives while the loop runs a few iterations. */
static bool client_quiet(struct client *cl)
{
	steps(5);
	return client_pull(cl) == 0 && cl->in.len == 0;
}

static int one_request(const char *req, struct rsp *r)
{
	struct client cl;
	int rc;

	if (client_open(&cl) < 0)
		return -1;
	rc = client_send(&cl, req) < 0 ? -1 : client_response(&cl, r);
	client_close(&cl);
	return rc;
}

/* ---- tests ---- */

static void test_simple_get(void)
{
	struct client cl;
	uint64_t deadline = loop_now_ms() + WAIT_MS;
	const char *want = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: ";

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"), 0);
	while (!strstr(buf_str(&cl.in), "\"hi\"}") && loop_now_ms() < deadline) {
		step();
		client_pull(&cl);
	}
	ASSERT_TRUE(strncmp(cl.in.data, want, strlen(want)) == 0);
	ASSERT_CONTAINS(cl.in.data, "\r\nContent-Length: 61\r\n\r\n{\"type\":\"sync\"");
	ASSERT_TRUE(strstr(cl.in.data, "Connection:") == NULL);
	client_close(&cl);
}

static void test_keep_alive(void)
{
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\n\r\n"), 0);
		ASSERT_EQ(client_response(&cl, &r), 0);
		ASSERT_EQ(r.status, 200);
		ASSERT_STREQ(r.reason, "OK");
		ASSERT_STREQ(r.body.data, hello_json);
		ASSERT_TRUE(!r.eof);
		rsp_done(&r);
	}
	ASSERT_TRUE(client_quiet(&cl));
	client_close(&cl);
}

static void test_connection_close(void)
{
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_CONTAINS(r.headers.data, "Connection: close\n");
	rsp_done(&r);
	ASSERT_TRUE(client_wait_eof(&cl));
	client_close(&cl);
}

static void test_http10(void)
{
	struct client cl;
	struct rsp r;

	/* HTTP/1.0 without keep-alive: answered, then closed. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.0\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_CONTAINS(r.headers.data, "Connection: close\n");
	rsp_done(&r);
	ASSERT_TRUE(client_wait_eof(&cl));
	client_close(&cl);

	/* HTTP/1.0 with keep-alive stays open. */
	ASSERT_EQ(client_open(&cl), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0);
		ASSERT_EQ(client_response(&cl, &r), 0);
		ASSERT_EQ(r.status, 200);
		ASSERT_CONTAINS(r.headers.data, "Connection: keep-alive\n");
		rsp_done(&r);
	}
	ASSERT_TRUE(client_quiet(&cl));
	client_close(&cl);
}

static void test_post_content_length(void)
{
	struct rsp r;

	ASSERT_EQ(one_request("POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", &r), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.body.data, "hello world");
	ASSERT_CONTAINS(r.headers.data, "X-Method: POST\n");
	ASSERT_CONTAINS(r.headers.data, "Content-Type: text/plain\n");
	rsp_done(&r);
}

static void test_post_chunked(void)
{
	struct rsp r;

	ASSERT_EQ(one_request("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
			      &r),
		  0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.body.data, "hello world");
	rsp_done(&r);
}

static void test_byte_at_a_time(void)
{
	static const char req[] = "POST /p%61rams?names=a%2Cb&names=c HTTP/1.1\r\nX-Test: split value\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	for (size_t i = 0; i < sizeof(req) - 1; i++) {
		ASSERT_EQ(client_send_n(&cl, req + i, 1), 0);
		step();
	}
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_CONTAINS(r.body.data, "path=/params\n");
	ASSERT_CONTAINS(r.body.data, "names:[a][b][c]\n");
	ASSERT_CONTAINS(r.body.data, "x-test=split value\n");
	rsp_done(&r);
	client_close(&cl);
}

static void test_pipelined(void)
{
	struct client cl;
	struct rsp r;
	int before;

	ASSERT_EQ(client_open(&cl), 0);
	/* Three at once, the first a long-poll: nothing may overtake it. */
	ASSERT_EQ(client_send(&cl, "GET /wait HTTP/1.1\r\n\r\n"
				   "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
				   "GET /hello HTTP/1.1\r\n\r\n"),
		  0);
	STEP_UNTIL(n_waiting == 1);
	ASSERT_EQ(n_waiting, 1);
	before = handled;
	steps(5);
	ASSERT_EQ(handled, before); /* the second request is not parsed yet */
	ASSERT_TRUE(client_quiet(&cl));
	http_reply(waiting[0], 200, "text/plain", "first", 5, NULL);
	n_waiting = 0;
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_STREQ(r.body.data, "first");
	rsp_done(&r);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_STREQ(r.body.data, "abc");
	rsp_done(&r);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_STREQ(r.body.data, hello_json);
	rsp_done(&r);
	client_close(&cl);

	/* Many pipelined synchronous requests in one write, answered in order. */
	{
		struct buf b = BUF_INIT;

		buf_init(&b);
		for (int i = 0; i < 200; i++)
			buf_addf(&b, "POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n%d", i < 10 ? 1 : i < 100 ? 2 : 3, i);
		ASSERT_EQ(client_open(&cl), 0);
		ASSERT_EQ(client_send_n(&cl, b.data, b.len), 0);
		buf_done(&b);
		for (int i = 0; i < 200; i++) {
			char want[16];

			snprintf(want, sizeof(want), "%d", i);
			ASSERT_EQ(client_response(&cl, &r), 0);
			ASSERT_STREQ(r.body.data, want);
			rsp_done(&r);
		}
		client_close(&cl);
	}
}

static void test_long_poll(void)
{
	struct client a, b;
	struct rsp r;

	ASSERT_EQ(client_open(&a), 0);
	ASSERT_EQ(client_send(&a, "GET /wait HTTP/1.1\r\n\r\n"), 0);
	STEP_UNTIL(n_waiting == 1);
	ASSERT_EQ(n_waiting, 1);

	/* Another connection is served while the first waits. */
	ASSERT_EQ(client_open(&b), 0);
	ASSERT_EQ(client_send(&b, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&b, &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	ASSERT_TRUE(client_quiet(&a));

	/* The answer arrives later, from outside any server callback. */
	http_reply(waiting[0], 504, "application/json", "{}", 2, NULL);
	n_waiting = 0;
	ASSERT_EQ(client_response(&a, &r), 0);
	ASSERT_EQ(r.status, 504);
	ASSERT_STREQ(r.reason, "Gateway Timeout");
	rsp_done(&r);
	/* And the connection is still usable. */
	ASSERT_EQ(client_send(&a, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&a, &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	client_close(&a);
	client_close(&b);
}

static void test_many_waiters_answered_in_a_loop(void)
{
	enum { N = 100 };
	struct client cl[N];
	struct rsp r;

	for (int i = 0; i < N; i++) {
		ASSERT_EQ(client_open(&cl[i]), 0);
		/* Each also pipelines a second long-poll behind the first. */
		ASSERT_EQ(client_send(&cl[i], "GET /wait HTTP/1.1\r\n\r\nGET /wait HTTP/1.1\r\n\r\n"), 0);
		if (i % 32 == 0)
			step();
	}
	STEP_UNTIL(n_waiting == N);
	ASSERT_EQ(n_waiting, N);
	/* Answering every waiter in a loop must not run the handler underneath us (which would
	 * append the pipelined waits to the array we walk). */
	for (size_t i = 0; i < N; i++)
		http_reply(waiting[i], 200, "text/plain", "x", 1, NULL);
	ASSERT_EQ(n_waiting, N);
	n_waiting = 0;
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(client_response(&cl[i], &r), 0);
		ASSERT_STREQ(r.body.data, "x");
		rsp_done(&r);
	}
	STEP_UNTIL(n_waiting == N);
	ASSERT_EQ(n_waiting, N);
	for (size_t i = 0; i < N; i++)
		http_reply(waiting[i], 200, "text/plain", "y", 1, NULL);
	n_waiting = 0;
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(client_response(&cl[i], &r), 0);
		ASSERT_STREQ(r.body.data, "y");
		rsp_done(&r);
		client_close(&cl[i]);
	}
}

static void test_disconnect_cancels(void)
{
	struct client cl;
	uint64_t deadline = loop_now_ms() + WAIT_MS;
	int before = cancel_count;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /wait HTTP/1.1\r\n\r\n"), 0);
	STEP_UNTIL(n_waiting == 1);
	ASSERT_EQ(n_waiting, 1);
	client_close(&cl);
	while (cancel_count == before && loop_now_ms() < deadline)
		step();
	ASSERT_EQ(cancel_count, before + 1);
	ASSERT_EQ(n_waiting, 0);
}

static void test_disconnect_without_cancel_cb(void)
{
	struct client cl;

	/* Without a cancel_cb the request stays valid until it is answered. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /wait-nocancel HTTP/1.1\r\n\r\n"), 0);
	STEP_UNTIL(n_waiting == 1);
	ASSERT_EQ(n_waiting, 1);
	client_close(&cl);
	steps(10);
	ASSERT_STREQ(waiting[0]->path, "/wait-nocancel");
	http_reply(waiting[0], 200, "text/plain", "late", 4, NULL);
	n_waiting = 0;
	steps(3);
}

static void test_malformed_request_line(void)
{
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "BOGUS / HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 400);
	ASSERT_STREQ(r.reason, "Bad Request");
	ASSERT_CONTAINS(r.headers.data, "Content-Type: application/json\n");
	ASSERT_CONTAINS(r.headers.data, "Connection: close\n");
	ASSERT_STREQ(r.body.data, "{\"type\":\"error\",\"status-code\":400,\"status\":\"Bad Request\","
				  "\"result\":{\"message\":\"malformed HTTP request: invalid HTTP method\"}}");
	rsp_done(&r);
	ASSERT_TRUE(client_wait_eof(&cl));
	client_close(&cl);

	ASSERT_EQ(one_request("GET /hello HTTP/1.1 extra\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 400);
	ASSERT_CONTAINS(r.body.data, "\"message\":\"malformed HTTP request: ");
	rsp_done(&r);

	ASSERT_EQ(one_request("GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 400);
	ASSERT_CONTAINS(r.body.data, "invalid character in header");
	rsp_done(&r);

	ASSERT_EQ(one_request("POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 400);
	rsp_done(&r);

	ASSERT_EQ(one_request("GET /par%zzams HTTP/1.1\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 400);
	ASSERT_CONTAINS(r.body.data, "\"message\":\"invalid URL escape \\\"%zz\\\"\"");
	rsp_done(&r);

	ASSERT_EQ(one_request("GET /x%0 HTTP/1.1\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 400);
	rsp_done(&r);

	/* A valid request followed by garbage: the first is answered, then 400 and close. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\n\r\n\x01\x02garbage\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 400);
	rsp_done(&r);
	ASSERT_TRUE(client_wait_eof(&cl));
	client_close(&cl);
}

static void test_oversize_header(void)
{
	struct client cl;
	struct rsp r;
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, "GET /hello HTTP/1.1\r\nX-Big: ");
	for (unsigned i = 0; i < HTTP_MAX_HEADER + 100; i++)
		buf_addc(&b, 'a');
	buf_adds(&b, "\r\n\r\n");
	ASSERT_EQ(client_open(&cl), 0);
	client_send_n(&cl, b.data, b.len); /* the server may close before it has read it all */
	buf_done(&b);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 431);
	ASSERT_STREQ(r.reason, "Request Header Fields Too Large");
	ASSERT_STREQ(r.body.data, "{\"type\":\"error\",\"status-code\":431,\"status\":\"Request Header Fields Too "
				  "Large\",\"result\":{\"message\":\"request header too large (limit 65536 bytes)\"}}");
	rsp_done(&r);
	ASSERT_TRUE(client_wait_eof(&cl));
	client_close(&cl);

	/* Many small headers add up too. */
	buf_init(&b);
	buf_adds(&b, "GET /hello HTTP/1.1\r\n");
	for (int i = 0; i < 8000; i++)
		buf_addf(&b, "X-H%d: v\r\n", i);
	buf_adds(&b, "\r\n");
	ASSERT_EQ(client_open(&cl), 0);
	client_send_n(&cl, b.data, b.len);
	buf_done(&b);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 431);
	rsp_done(&r);
	client_close(&cl);

	/* So does a long URL. */
	buf_init(&b);
	buf_adds(&b, "GET /");
	for (unsigned i = 0; i < HTTP_MAX_HEADER + 10; i++)
		buf_addc(&b, 'u');
	buf_adds(&b, " HTTP/1.1\r\n\r\n");
	ASSERT_EQ(client_open(&cl), 0);
	client_send_n(&cl, b.data, b.len);
	buf_done(&b);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 431);
	rsp_done(&r);
	client_close(&cl);
}

static void test_oversize_body(void)
{
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "POST /echo HTTP/1.1\r\nContent-Length: 67108865\r\n\r\nabc"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 413);
	ASSERT_STREQ(r.reason, "Request Entity Too Large");
	ASSERT_STREQ(r.body.data, "{\"type\":\"error\",\"status-code\":413,\"status\":\"Request Entity Too Large\","
				  "\"result\":{\"message\":\"request body too large (limit 67108864 bytes)\"}}");
	rsp_done(&r);
	ASSERT_TRUE(client_wait_eof(&cl));
	client_close(&cl);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_garbage(void)
{
	static const char *valid[] = {
		"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
		"GET /params?names=a,b&x=%41 HTTP/1.1\r\nX-Test: 1\r\n\r\n",
		"GET /wait HTTP/1.1\r\n\r\n",
		"GET /stream HTTP/1.1\r\n\r\n",
	};
	char data[4096];
	struct rsp r;

	for (int iter = 0; iter < 600; iter++) {
		struct client cl;
		const char *v = valid[rng() % (sizeof(valid) / sizeof(valid[0]))];
		size_t vl = strlen(v), len = 0;

		switch (iter % 4) {
		case 0: /* random bytes */
			len = 1 + rng() % sizeof(data);
			for (size_t i = 0; i < len; i++)
				data[i] = (char)rng();
			break;
		case 1: /* a valid request cut short */
			len = rng() % vl;
			memcpy(data, v, len);
			break;
		case 2: /* a valid request with a few bytes changed */
			len = vl;
			memcpy(data, v, len);
			for (int k = 0; k < 3; k++)
				data[rng() % len] = (char)rng();
			break;
		case 3: /* printable junk that looks like HTTP */
			len = 0;
			while (len < 200) {
				static const char *tok[] = { "GET", " ", "/", "\r\n", ":", "HTTP/1.1", "%", "chunked",
							     "Content-Length", "Transfer-Encoding", "9999999999", "?a=",
							     ",", "0", "\n", "Connection", "close", "Upgrade" };
				const char *t = tok[rng() % (sizeof(tok) / sizeof(tok[0]))];

				memcpy(data + len, t, strlen(t));
				len += strlen(t);
			}
			break;
		}
		ASSERT_EQ(client_open(&cl), 0);
		client_send_n(&cl, data, len);
		if (rng() % 2)
			steps(1 + (int)(rng() % 3));
		client_close(&cl);
	}
	{
		uint64_t deadline = loop_now_ms() + WAIT_MS;

		while ((n_waiting || stream_req) && loop_now_ms() < deadline)
			step();
	}
	/* The server survived and still answers. */
	ASSERT_EQ(one_request("GET /hello HTTP/1.1\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	/* Long-polls and streams the garbage started were cancelled when their clients left. */
	ASSERT_EQ(n_waiting, 0);
	ASSERT_TRUE(stream_req == NULL);
}

static void test_peer_credentials(void)
{
	struct rsp r;

	memset(&last_peer, 0, sizeof(last_peer));
	ASSERT_EQ(one_request("GET /hello HTTP/1.1\r\n\r\n", &r), 0);
	rsp_done(&r);
	ASSERT_TRUE(last_peer.is_unix);
	ASSERT_TRUE(last_peer.cred_ok);
	ASSERT_EQ(last_peer.uid, getuid());
	ASSERT_EQ(last_peer.pid, getpid());
}

static void test_socket_mode(void)
{
	struct stat st;

	ASSERT_EQ(stat(sock_path, &st), 0);
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	ASSERT_EQ(st.st_mode & 0777, 0666);
}

static void test_stale_and_live_socket(void)
{
	char path[160];
	struct sockaddr_un sa;
	struct http_server *s2;
	struct errbuf eb;
	struct client cl;
	struct rsp r;
	int fd;

	/* A live socket is refused. */
	s2 = http_server_new(L, handler, NULL);
	errbuf_clear(&eb);
	ASSERT_EQ(http_server_listen_unix(s2, sock_path, &eb), -EADDRINUSE);
	{
		char want[300];

		snprintf(want, sizeof(want), "socket \"%s\" already in use", sock_path);
		ASSERT_STREQ(eb.msg, want);
	}
	/* A stale one (bound, never listening, closed) is replaced. */
	snprintf(path, sizeof(path), "%s/stale.socket", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	ASSERT_TRUE(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path));
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ASSERT_EQ(http_server_listen_unix(s2, path, &eb), 0);
	ASSERT_EQ(client_open_path(&cl, path), 0);
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	client_close(&cl);
	/* Stopping removes the socket file. */
	http_server_stop_listening(s2);
	ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
	/* A regular file in the way is replaced too (as Pebble does). */
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	ASSERT_EQ(http_server_listen_unix(s2, path, &eb), 0);
	http_server_free(s2);
	ASSERT_TRUE(access(path, F_OK) < 0);

	/* Bad paths. */
	s2 = http_server_new(L, handler, NULL);
	ASSERT_EQ(http_server_listen_unix(s2, "", &eb), -EINVAL);
	ASSERT_TRUE(http_server_listen_unix(s2, "/nonexistent-dir/x/y.socket", &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "/nonexistent-dir/x/y.socket");
	http_server_free(s2);
}

static void test_streaming(void)
{
	struct client cl;
	struct rsp r;
	uint64_t deadline = loop_now_ms() + WAIT_MS;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /stream HTTP/1.1\r\n\r\n"), 0);
	while (!strstr(buf_str(&cl.in), "two\n") && loop_now_ms() < deadline) {
		step();
		client_pull(&cl);
	}
	ASSERT_CONTAINS(cl.in.data, "Transfer-Encoding: chunked\r\n");
	ASSERT_CONTAINS(cl.in.data, "\r\n\r\n4\r\none\n\r\n4\r\ntwo\n\r\n");
	ASSERT_TRUE(stream_req != NULL);
	ASSERT_EQ(http_reply_stream_write(stream_req, "three\n", 6), 0);
	ASSERT_EQ(http_reply_stream_write(stream_req, "", 0), 0);
	http_reply_stream_end(stream_req);
	stream_req = NULL;
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.chunks, 3);
	ASSERT_STREQ(r.body.data, "one\ntwo\nthree\n");
	ASSERT_CONTAINS(r.headers.data, "Content-Type: application/x-ndjson\n");
	rsp_done(&r);
	/* The connection is kept alive after the stream. */
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	client_close(&cl);

	/* HTTP/1.0: no chunks, the body ends when the server closes. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /stream HTTP/1.0\r\n\r\n"), 0);
	STEP_UNTIL(stream_req != NULL);
	ASSERT_TRUE(stream_req != NULL);
	http_reply_stream_write(stream_req, "three\n", 6);
	http_reply_stream_end(stream_req);
	stream_req = NULL;
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_STREQ(r.body.data, "one\ntwo\nthree\n");
	ASSERT_TRUE(r.eof);
	rsp_done(&r);
	client_close(&cl);
}

static void test_stream_client_gone(void)
{
	struct client cl;
	uint64_t deadline = loop_now_ms() + WAIT_MS;
	int before = stream_cancelled;

	/* With a cancel_cb: called when the client disconnects mid-stream. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /stream HTTP/1.1\r\n\r\n"), 0);
	STEP_UNTIL(stream_req != NULL);
	ASSERT_TRUE(stream_req != NULL);
	client_close(&cl);
	while (stream_cancelled == before && loop_now_ms() < deadline)
		step();
	ASSERT_EQ(stream_cancelled, before + 1);
	ASSERT_TRUE(stream_req == NULL);

	/* Without one: writes fail with -EPIPE until the handler ends the stream. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /stream?nocancel HTTP/1.1\r\n\r\n"), 0);
	STEP_UNTIL(stream_req != NULL);
	ASSERT_TRUE(stream_req != NULL);
	client_close(&cl);
	deadline = loop_now_ms() + WAIT_MS;
	while (http_reply_stream_write(stream_req, "more\n", 5) == 0 && loop_now_ms() < deadline)
		step();
	ASSERT_EQ(http_reply_stream_write(stream_req, "more\n", 5), -EPIPE);
	steps(3);
	http_reply_stream_end(stream_req);
	stream_req = NULL;
	steps(3);
}

static void test_big_reply(void)
{
	struct client cl;
	struct rsp r;
	bool ok = true;

	/* 4 MiB does not fit the socket buffer: the rest goes out on EPOLLOUT. */
	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /big HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response_ex(&cl, &r, false, 20000), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.body.len, 4u << 20);
	for (size_t i = 0; i < r.body.len && ok; i++)
		ok = r.body.data[i] == (char)('a' + i % 26);
	ASSERT_TRUE(ok);
	rsp_done(&r);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_STREQ(r.body.data, hello_json);
	rsp_done(&r);
	client_close(&cl);
}

static void test_query_and_path(void)
{
	struct rsp r;

	ASSERT_EQ(one_request("GET /p%61rams?names=a,%20b,,c%20&names=d&x=1+2&bad=%zz&y&semi=a;b&e%3D=%26 HTTP/1.1\r\n"
			      "x-TEST: yes\r\n\r\n",
			      &r),
		  0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.body.data, "path=/params\n"
				  "names=a, b,,c \n"
				  "names=d\n"
				  "x=1 2\n"
				  "y=\n"
				  "e==&\n"
				  "names:[a][b][c][d]\n"
				  "first=a, b,,c  has_y=1 has_z=0 x-test=yes\n");
	rsp_done(&r);

	/* Absolute-form targets. */
	ASSERT_EQ(one_request("GET http://localhost/params?names=q HTTP/1.1\r\n\r\n", &r), 0);
	ASSERT_CONTAINS(r.body.data, "path=/params\n");
	ASSERT_CONTAINS(r.body.data, "names:[q]\n");
	rsp_done(&r);

	/* Too many parameters. */
	{
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "GET /params?");
		for (int i = 0; i <= HTTP_MAX_QUERY_PARAMS; i++)
			buf_addf(&b, "k%d=v&", i);
		buf_adds(&b, " HTTP/1.1\r\n\r\n");
		ASSERT_EQ(one_request(b.data, &r), 0);
		buf_done(&b);
		ASSERT_EQ(r.status, 400);
		ASSERT_CONTAINS(r.body.data, "too many query parameters (limit 64)");
		rsp_done(&r);
	}
}

static void test_head_and_no_content(void)
{
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "HEAD /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response_ex(&cl, &r, true, WAIT_MS), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_CONTAINS(r.headers.data, "Content-Length: 61\n");
	ASSERT_EQ(r.body.len, 0);
	rsp_done(&r);
	ASSERT_EQ(client_send(&cl, "GET /nocontent HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 204);
	ASSERT_STREQ(r.reason, "No Content");
	ASSERT_TRUE(strstr(r.headers.data, "Content-Length") == NULL);
	rsp_done(&r);
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_STREQ(r.body.data, hello_json);
	rsp_done(&r);
	client_close(&cl);
}

static void test_expect_continue(void)
{
	struct client cl;
	struct rsp r;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 100);
	rsp_done(&r);
	ASSERT_EQ(client_send(&cl, "body"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.body.data, "body");
	rsp_done(&r);
	client_close(&cl);
}

static void test_take_conn(void)
{
	struct client cl;
	char got[16] = "";
	uint64_t deadline = loop_now_ms() + WAIT_MS;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /upgrade HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nEXTRA"), 0);
	while (taken_fd < 0 && loop_now_ms() < deadline)
		step();
	ASSERT_TRUE(taken_fd >= 0);
	ASSERT_STREQ(taken_leftover.data, "EXTRA");
	ASSERT_EQ(write(taken_fd, "pong", 4), 4);
	STEP_UNTIL(client_pull(&cl) != 0);
	ASSERT_EQ(cl.in.len, 4);
	memcpy(got, cl.in.data, 4);
	ASSERT_STREQ(got, "pong");
	close(taken_fd);
	taken_fd = -1;
	buf_done(&taken_leftover);
	client_close(&cl);
}

static void test_many_clients(void)
{
	enum { N = 200 };
	static struct client cl[N];
	struct rsp r;

	for (int i = 0; i < N; i++) {
		ASSERT_EQ(client_open(&cl[i]), 0);
		ASSERT_EQ(client_send(&cl[i], "GET /hello HTTP/1.1\r\n\r\n"), 0);
		if (i % 32 == 0)
			step(); /* let the server accept: connect blocks on a full backlog */
	}
	for (int i = N - 1; i >= 0; i--) {
		ASSERT_EQ(client_response(&cl[i], &r), 0);
		ASSERT_EQ(r.status, 200);
		rsp_done(&r);
	}
	for (int i = 0; i < N; i++)
		client_close(&cl[i]);
}

static void test_tcp(void)
{
	struct http_server *s2 = http_server_new(L, handler, NULL);
	struct errbuf eb;
	struct sockaddr_in sa;
	struct client cl;
	struct rsp r;
	int port = -1;

	ASSERT_EQ(http_server_listen_tcp(s2, "127.0.0.1:0", &port, &eb), 0);
	ASSERT_TRUE(port > 0);
	memset(&cl, 0, sizeof(cl));
	buf_init(&cl.in);
	cl.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(connect(cl.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(cl.fd, F_SETFL, O_NONBLOCK);
	memset(&last_peer, 0, sizeof(last_peer));
	last_peer.is_unix = true;
	ASSERT_EQ(client_send(&cl, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&cl, &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	ASSERT_TRUE(!last_peer.is_unix);
	ASSERT_TRUE(!last_peer.cred_ok);
	client_close(&cl);

	/* ":port" listens on every interface. */
	ASSERT_EQ(http_server_listen_tcp(s2, ":0", &port, &eb), 0);
	ASSERT_TRUE(port > 0);

	ASSERT_EQ(http_server_listen_tcp(s2, "nonsense", NULL, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "invalid address \"nonsense\"");
	ASSERT_EQ(http_server_listen_tcp(s2, "127.0.0.1:99999", NULL, &eb), -EINVAL);
	ASSERT_EQ(http_server_listen_tcp(s2, "127.0.0.1:", NULL, &eb), -EINVAL);
	ASSERT_TRUE(http_server_listen_tcp(s2, "[::1:80", NULL, &eb) < 0);
	http_server_free(s2);
}

static void test_reason_phrases(void)
{
	ASSERT_STREQ(http_reason(200), "OK");
	ASSERT_STREQ(http_reason(202), "Accepted");
	ASSERT_STREQ(http_reason(400), "Bad Request");
	ASSERT_STREQ(http_reason(401), "Unauthorized");
	ASSERT_STREQ(http_reason(403), "Forbidden");
	ASSERT_STREQ(http_reason(404), "Not Found");
	ASSERT_STREQ(http_reason(405), "Method Not Allowed");
	ASSERT_STREQ(http_reason(500), "Internal Server Error");
	ASSERT_STREQ(http_reason(502), "Bad Gateway");
	ASSERT_STREQ(http_reason(504), "Gateway Timeout");
	ASSERT_STREQ(http_reason(799), "");
}

static void test_free_cancels_pending(void)
{
	struct client cl;
	int before = cancel_count;

	ASSERT_EQ(client_open(&cl), 0);
	ASSERT_EQ(client_send(&cl, "GET /wait HTTP/1.1\r\n\r\n"), 0);
	STEP_UNTIL(n_waiting == 1);
	ASSERT_EQ(n_waiting, 1);
	http_server_free(S);
	S = NULL;
	ASSERT_EQ(cancel_count, before + 1);
	ASSERT_EQ(n_waiting, 0);
	ASSERT_TRUE(access(sock_path, F_OK) < 0);
	client_close(&cl);
}

/* HTTP_MAX_CONNS clients held open: one more is answered 503 with the reason once its
 * request is in, and closed; the held ones are still served; once one leaves, a new client
 * is served again. */
static void test_connection_limit(void)
{
	struct rlimit rl;
	struct client *held = xcalloc(HTTP_MAX_CONNS, sizeof(*held));
	struct client extra;
	struct rsp r;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * HTTP_MAX_CONNS + 64) {
		rl.rlim_cur = rl.rlim_max < 2 * HTTP_MAX_CONNS + 64 ? rl.rlim_max : 2 * HTTP_MAX_CONNS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 2 * HTTP_MAX_CONNS + 64) {
		printf("skip: not enough file descriptors\n");
		free(held);
		return;
	}
	/* The listener's backlog is smaller than the limit: let it accept as we go. */
	for (size_t i = 0; i < HTTP_MAX_CONNS; i++) {
		ASSERT_EQ(client_open(&held[i]), 0);
		if (i % 32 == 31)
			steps(2);
	}
	steps(20);
	ASSERT_EQ(client_open(&extra), 0);
	ASSERT_EQ(client_send(&extra, "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&extra, &r), 0);
	ASSERT_EQ(r.status, 503);
	ASSERT_CONTAINS(r.body.data, "too many connections (limit 1024)");
	ASSERT_TRUE(client_wait_eof(&extra));
	rsp_done(&r);
	client_close(&extra);
	/* A held connection is served. */
	ASSERT_EQ(client_send(&held[7], "GET /hello HTTP/1.1\r\n\r\n"), 0);
	ASSERT_EQ(client_response(&held[7], &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	/* One leaves: room for a new one. */
	client_close(&held[0]);
	steps(20);
	ASSERT_EQ(one_request("GET /hello HTTP/1.1\r\n\r\n", &r), 0);
	ASSERT_EQ(r.status, 200);
	rsp_done(&r);
	for (size_t i = 1; i < HTTP_MAX_CONNS; i++)
		client_close(&held[i]);
	steps(20);
	free(held);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	struct errbuf eb;

	snprintf(dir, sizeof(dir), "/tmp/test-http-server.XXXXXX");
	if (!mkdtemp(dir) || loop_new(&L) < 0)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/scree.socket", dir);
	S = http_server_new(L, handler, NULL);
	if (http_server_listen_unix(S, sock_path, &eb) < 0) {
		printf("listen: %s\n", eb.msg);
		return 1;
	}
	if (!only || strstr("test_simple_get", only))
		RUN(test_simple_get);
	if (!only || strstr("test_connection_limit", only))
		RUN(test_connection_limit);
	if (!only || strstr("test_keep_alive", only))
		RUN(test_keep_alive);
	if (!only || strstr("test_connection_close", only))
		RUN(test_connection_close);
	if (!only || strstr("test_http10", only))
		RUN(test_http10);
	if (!only || strstr("test_post_content_length", only))
		RUN(test_post_content_length);
	if (!only || strstr("test_post_chunked", only))
		RUN(test_post_chunked);
	if (!only || strstr("test_byte_at_a_time", only))
		RUN(test_byte_at_a_time);
	if (!only || strstr("test_pipelined", only))
		RUN(test_pipelined);
	if (!only || strstr("test_long_poll", only))
		RUN(test_long_poll);
	if (!only || strstr("test_many_waiters_answered_in_a_loop", only))
		RUN(test_many_waiters_answered_in_a_loop);
	if (!only || strstr("test_disconnect_cancels", only))
		RUN(test_disconnect_cancels);
	if (!only || strstr("test_disconnect_without_cancel_cb", only))
		RUN(test_disconnect_without_cancel_cb);
	if (!only || strstr("test_malformed_request_line", only))
		RUN(test_malformed_request_line);
	if (!only || strstr("test_oversize_header", only))
		RUN(test_oversize_header);
	if (!only || strstr("test_oversize_body", only))
		RUN(test_oversize_body);
	if (!only || strstr("test_garbage", only))
		RUN(test_garbage);
	if (!only || strstr("test_peer_credentials", only))
		RUN(test_peer_credentials);
	if (!only || strstr("test_socket_mode", only))
		RUN(test_socket_mode);
	if (!only || strstr("test_stale_and_live_socket", only))
		RUN(test_stale_and_live_socket);
	if (!only || strstr("test_streaming", only))
		RUN(test_streaming);
	if (!only || strstr("test_stream_client_gone", only))
		RUN(test_stream_client_gone);
	if (!only || strstr("test_big_reply", only))
		RUN(test_big_reply);
	if (!only || strstr("test_query_and_path", only))
		RUN(test_query_and_path);
	if (!only || strstr("test_head_and_no_content", only))
		RUN(test_head_and_no_content);
	if (!only || strstr("test_expect_continue", only))
		RUN(test_expect_continue);
	if (!only || strstr("test_take_conn", only))
		RUN(test_take_conn);
	if (!only || strstr("test_many_clients", only))
		RUN(test_many_clients);
	if (!only || strstr("test_tcp", only))
		RUN(test_tcp);
	if (!only || strstr("test_reason_phrases", only))
		RUN(test_reason_phrases);
	if (!only || strstr("test_free_cancels_pending", only))
		RUN(test_free_cancels_pending);
	http_server_free(S);
	loop_free(L);
	rmdir(dir);
	return test_summary();
}
