/* test-http-client.c - unit tests for the blocking HTTP client.  The server side runs in a
 * forked child: either the real http_server on its own loop, or a "canned" server that
 * answers each request with scripted raw bytes (to test odd and broken responses). */
#include "http/http_client.h"
#include "http/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/test.h"

static char dir[64], sock_path[128], canned_path[128];
static pid_t server_pid = -1;

/* ======================= the real server, in a child ======================= */

struct child_state {
	struct loop *loop;
	struct loop_timer *timer;
	struct http_req *forever;
	int ticks;
};

static void forever_cancel(struct http_req *req, void *data)
{
	struct child_state *cs = data;

	(void)req;
	cs->forever = NULL;
	loop_timer_disarm(cs->timer);
}

static void forever_tick(struct loop_timer *t, void *data)
{
	struct child_state *cs = data;
	char line[32];
	int n;

	if (!cs->forever)
		return;
	n = snprintf(line, sizeof(line), "tick %d\n", cs->ticks++);
	if (http_reply_stream_write(cs->forever, line, (size_t)n) == 0)
		loop_timer_arm_in(t, 5);
}

static void ignore_cancel(struct http_req *req, void *data)
{
	(void)req;
	(void)data;
}

static void child_handler(struct http_server *s, struct http_req *req, void *data)
{
	struct child_state *cs = data;

	(void)s;
	if (strcmp(req->path, "/hello") == 0) {
		char body[128];
		int n = snprintf(body, sizeof(body), "{\"uid\":%d,\"method\":\"%s\"}", (int)req->peer_uid, req->method);

		http_reply(req, 200, "application/json", body, (size_t)n, NULL);
	} else if (strcmp(req->path, "/echo") == 0) {
		const char *ct = http_req_header(req, "Content-Type");

		http_reply(req, 200, ct ? ct : "text/plain", req->body.data, req->body.len, NULL);
	} else if (strcmp(req->path, "/stream") == 0) {
		size_t total = (size_t)atoi(http_req_param(req, "bytes") ?: "0");
		char chunk[4096];

		http_reply_stream_begin(req, 200, "application/x-ndjson");
		if (!total) {
			http_reply_stream_write(req, "a\n", 2);
			http_reply_stream_write(req, "bb\n", 3);
			http_reply_stream_write(req, "ccc\n", 4);
		}
		for (size_t off = 0; off < total; off += sizeof(chunk)) {
			size_t n = total - off < sizeof(chunk) ? total - off : sizeof(chunk);

			for (size_t i = 0; i < n; i++)
				chunk[i] = (char)('0' + (off + i) % 10);
			http_reply_stream_write(req, chunk, n);
		}
		http_reply_stream_end(req);
	} else if (strcmp(req->path, "/forever") == 0) {
		cs->forever = req;
		cs->ticks = 0;
		req->cancel_cb = forever_cancel;
		req->cancel_data = cs;
		http_reply_stream_begin(req, 200, "text/plain");
		forever_tick(cs->timer, cs);
	} else if (strcmp(req->path, "/slow") == 0) {
		req->cancel_cb = ignore_cancel; /* never answered; the client times out */
	} else {
		http_reply(req, 404, "application/json", "{}", 2, NULL);
	}
}

static void child_stop(struct loop *l, int signo, void *data)
{
	(void)signo;
	(void)data;
	loop_stop(l);
}

static void child_server_main(int ready_fd)
{
	struct child_state cs;
	struct http_server *s;
	struct errbuf eb;

	memset(&cs, 0, sizeof(cs));
	if (loop_new(&cs.loop) < 0)
		_exit(2);
	cs.timer = loop_timer_new(cs.loop, forever_tick, &cs);
	loop_add_signal(cs.loop, SIGTERM, child_stop, NULL);
	s = http_server_new(cs.loop, child_handler, &cs);
	if (http_server_listen_unix(s, sock_path, &eb) < 0)
		_exit(3);
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	close(ready_fd);
	loop_run(cs.loop);
	http_server_free(s);
	loop_timer_free(cs.timer);
	loop_free(cs.loop);
	_exit(0);
}

static pid_t fork_ready(void (*fn)(int))
{
	int p[2];
	char ch;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ch, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static void stop_child(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	waitpid(*pid, &st, 0);
	*pid = -1;
}

static void start_server(void)
{
	server_pid = fork_ready(child_server_main);
}

/* ======================= the canned server, in a child ======================= */

/* Each entry answers one request; "" means: close without answering.  After each answer
 * the connection is closed if the entry starts with "!" (the '!' is not sent). */
static const char *const *canned_script;

static void canned_main(int ready_fd)
{
	struct sockaddr_un sa;
	int lfd, cfd = -1;
	char buf[65536];
	size_t have = 0;

	signal(SIGTERM, SIG_DFL);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, canned_path, strlen(canned_path));
	unlink(canned_path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		_exit(3);
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	close(ready_fd);
	for (const char *const *step = canned_script; *step; step++) {
		const char *ans = *step;
		char *end;

		for (;;) {
			ssize_t n;

			if (cfd < 0) {
				cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				have = 0;
			}
			end = memmem(buf, have, "\r\n\r\n", 4);
			if (end)
				break;
			n = read(cfd, buf + have, sizeof(buf) - have);
			if (n <= 0) {
				close(cfd);
				cfd = -1;
				continue;
			}
			have += (size_t)n;
		}
		/* Drop the request (bodies are not used with the canned server). */
		have -= (size_t)(end + 4 - buf);
		memmove(buf, end + 4, have);
		if (!*ans || *ans == '!') {
			if (*ans && write(cfd, ans + 1, strlen(ans + 1)) < 0)
				_exit(5);
			close(cfd);
			cfd = -1;
		} else if (write(cfd, ans, strlen(ans)) < 0) {
			_exit(5);
		}
	}
	pause();
	_exit(0);
}

static pid_t start_canned(const char *const *script)
{
	canned_script = script;
	return fork_ready(canned_main);
}

/* ======================= tests ======================= */

static void test_simple_requests(void)
{
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;
	char want[64];

	ASSERT_EQ(http_client_open_unix(sock_path, 5000, &c, &eb), 0);
	snprintf(want, sizeof(want), "{\"uid\":%d,\"method\":\"GET\"}", (int)getuid());
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(http_client_request(c, "GET", "/hello", NULL, NULL, 0, &r, &eb), 0);
		ASSERT_EQ(r.status, 200);
		ASSERT_STREQ(r.content_type.data, "application/json");
		ASSERT_STREQ(r.body.data, want);
		http_response_done(&r);
	}
	ASSERT_EQ(http_client_request(c, "GET", "/missing", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 404);
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "POST", "/echo", "application/json", "{\"a\":1}", 7, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.content_type.data, "application/json");
	ASSERT_STREQ(r.body.data, "{\"a\":1}");
	http_response_done(&r);
	/* HEAD: no body is read, and the connection stays in step. */
	ASSERT_EQ(http_client_request(c, "HEAD", "/hello", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.body.len, 0);
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "POST", "/hello", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_CONTAINS(r.body.data, "\"method\":\"POST\"");
	http_response_done(&r);
	http_client_free(c);
}

static void test_large_bodies(void)
{
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;
	size_t n = 3u << 20;
	char *big = xmalloc(n);
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		big[i] = (char)('A' + i % 23);
	ASSERT_EQ(http_client_open_unix(sock_path, 5000, &c, &eb), 0);
	ASSERT_EQ(http_client_request(c, "POST", "/echo", "application/octet-stream", big, n, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.body.len, n);
	ASSERT_TRUE(memcmp(r.body.data, big, n) == 0);
	http_response_done(&r);
	free(big);

	/* A chunked answer is de-chunked. */
	ASSERT_EQ(http_client_request(c, "GET", "/stream?bytes=1000000", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.body.len, 1000000);
	for (size_t i = 0; i < r.body.len && ok; i++)
		ok = r.body.data[i] == (char)('0' + i % 10);
	ASSERT_TRUE(ok);
	http_response_done(&r);
	http_client_free(c);
}

struct producer {
	size_t total, sent, calls;
};

static ssize_t produce_pattern(char *buf, size_t cap, void *data)
{
	struct producer *p = data;
	size_t n = p->total - p->sent < cap ? p->total - p->sent : cap;

	if (n > 100000)
		n = 100000 + p->calls % 7; /* uneven chunks */
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)('a' + (p->sent + i) % 19);
	p->sent += n;
	p->calls++;
	return (ssize_t)n;
}

static void test_produced_body(void)
{
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;
	struct producer p = { 3u << 20, 0, 0 };
	struct http_client_req rq = { .method = "POST", .target = "/echo", .content_type = "application/x-test",
				      .accept = "application/json", .produce = produce_pattern, .data = &p };
	bool ok = true;

	ASSERT_EQ(http_client_open_unix(sock_path, 5000, &c, &eb), 0);
	ASSERT_EQ(http_client_request_ex(c, &rq, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.content_type.data, "application/x-test");
	ASSERT_EQ(r.body.len, p.total);
	for (size_t i = 0; i < r.body.len && ok; i++)
		ok = r.body.data[i] == (char)('a' + i % 19);
	ASSERT_TRUE(ok);
	ASSERT_TRUE(p.calls > 30);
	http_response_done(&r);
	http_client_free(c);
}

struct collect {
	struct buf all;
	int calls;
	int stop_after;
};

static int collect_cb(const char *p, size_t n, void *data)
{
	struct collect *col = data;

	buf_add(&col->all, p, n);
	col->calls++;
	return col->stop_after && col->calls >= col->stop_after;
}

static void test_streaming(void)
{
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;
	struct collect col;
	int status = 0;

	ASSERT_EQ(http_client_open_unix(sock_path, 5000, &c, &eb), 0);
	memset(&col, 0, sizeof(col));
	buf_init(&col.all);
	ASSERT_EQ(http_client_request_stream(c, "GET", "/stream", NULL, NULL, 0, collect_cb, &col, &status, &eb), 0);
	ASSERT_EQ(status, 200);
	ASSERT_STREQ(col.all.data, "a\nbb\nccc\n");
	ASSERT_EQ(col.calls, 3); /* one call per chunk */
	buf_done(&col.all);

	/* An endless stream, stopped by the callback. */
	memset(&col, 0, sizeof(col));
	buf_init(&col.all);
	col.stop_after = 4;
	ASSERT_EQ(http_client_request_stream(c, "GET", "/forever", NULL, NULL, 0, collect_cb, &col, &status, &eb), 0);
	ASSERT_EQ(col.calls, 4);
	ASSERT_STREQ(col.all.data, "tick 0\ntick 1\ntick 2\ntick 3\n");
	buf_done(&col.all);

	/* The client is still usable (on a new connection). */
	ASSERT_EQ(http_client_request(c, "GET", "/hello", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	http_response_done(&r);
	http_client_free(c);
}

static void test_timeout(void)
{
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;
	uint64_t t0;

	ASSERT_EQ(http_client_open_unix(sock_path, 200, &c, &eb), 0);
	t0 = loop_now_ms();
	ASSERT_EQ(http_client_request(c, "GET", "/slow", NULL, NULL, 0, &r, &eb), -ETIMEDOUT);
	ASSERT_TRUE(loop_now_ms() - t0 >= 150);
	ASSERT_STREQ(eb.msg, "cannot read response: timeout");
	ASSERT_EQ(r.status, 0);
	ASSERT_EQ(r.body.len, 0);
	http_response_done(&r);
	/* The next request gets a fresh connection. */
	ASSERT_EQ(http_client_request(c, "GET", "/hello", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	http_response_done(&r);
	http_client_free(c);
}

static void test_reconnect_after_server_restart(void)
{
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;

	ASSERT_EQ(http_client_open_unix(sock_path, 5000, &c, &eb), 0);
	ASSERT_EQ(http_client_request(c, "GET", "/hello", NULL, NULL, 0, &r, &eb), 0);
	http_response_done(&r);
	/* The kept-alive connection dies with the server; a new server takes the socket. */
	stop_child(&server_pid);
	start_server();
	ASSERT_TRUE(server_pid > 0);
	ASSERT_EQ(http_client_request(c, "GET", "/hello", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	http_response_done(&r);
	http_client_free(c);
}

static void test_connect_errors(void)
{
	struct http_client *c = NULL;
	struct errbuf eb;
	char path[160], want[256];
	struct http_response r;

	snprintf(path, sizeof(path), "%s/missing.socket", dir);
	ASSERT_EQ(http_client_open_unix(path, 1000, &c, &eb), -ENOENT);
	snprintf(want, sizeof(want), "cannot connect to \"%s\": No such file or directory", path);
	ASSERT_STREQ(eb.msg, want);
	ASSERT_TRUE(c == NULL);
	ASSERT_EQ(http_client_open_unix("", 1000, &c, &eb), -EINVAL);

	ASSERT_EQ(http_client_open_unix(sock_path, 1000, &c, &eb), 0);
	ASSERT_EQ(http_client_request(c, "GET", "no-slash", NULL, NULL, 0, &r, &eb), -EINVAL);
	ASSERT_EQ(http_client_request(c, "GET", "/a b", NULL, NULL, 0, &r, &eb), -EINVAL);
	ASSERT_EQ(http_client_request(c, "GET", "/x", "text/plain\r\nX: y", NULL, 0, &r, &eb), -EINVAL);
	http_client_free(c);
}

static void test_canned_responses(void)
{
	static const char *const script[] = {
		/* 1: keep-alive answer */
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		/* 2: the server drops the kept-alive connection: the client retries once... */
		"",
		/* 3: ...and gets this on the new connection, body delimited by the close */
		"!HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\n\r\nuntil close",
		/* 4: truncated */
		"!HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
		/* 5: not HTTP */
		"!NOT HTTP AT ALL\r\n\r\n",
		/* 6: chunked with a trailer */
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
		/* 7: closed without an answer on the kept-alive connection... */
		"",
		/* 8: ...retried once on a fresh one, closed again: that is an error */
		"",
		NULL,
	};
	struct http_client *c = NULL;
	struct http_response r;
	struct errbuf eb;
	pid_t pid = start_canned(script);

	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(http_client_open_unix(canned_path, 5000, &c, &eb), 0);
	ASSERT_EQ(http_client_request(c, "GET", "/1", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STREQ(r.body.data, "ok");
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "GET", "/2", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_EQ(r.status, 201);
	ASSERT_STREQ(r.content_type.data, "text/plain");
	ASSERT_STREQ(r.body.data, "until close");
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "GET", "/4", NULL, NULL, 0, &r, &eb), -ECONNRESET);
	ASSERT_STREQ(eb.msg, "cannot read response: connection closed before the response was complete");
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "GET", "/5", NULL, NULL, 0, &r, &eb), -EPROTO);
	ASSERT_CONTAINS(eb.msg, "cannot parse response: ");
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "GET", "/6", NULL, NULL, 0, &r, &eb), 0);
	ASSERT_STREQ(r.body.data, "abcde");
	http_response_done(&r);
	ASSERT_EQ(http_client_request(c, "GET", "/7", NULL, NULL, 0, &r, &eb), -ECONNRESET);
	ASSERT_STREQ(eb.msg, "cannot read response: connection closed before the response was complete");
	http_response_done(&r);
	http_client_free(c);
	stop_child(&pid);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test-http-client.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/scree.socket", dir);
	snprintf(canned_path, sizeof(canned_path), "%s/canned.socket", dir);
	start_server();
	if (server_pid <= 0) {
		printf("cannot start the server child\n");
		return 1;
	}
	if (!only || strstr("test_simple_requests", only))
		RUN(test_simple_requests);
	if (!only || strstr("test_large_bodies", only))
		RUN(test_large_bodies);
	if (!only || strstr("test_produced_body", only))
		RUN(test_produced_body);
	if (!only || strstr("test_streaming", only))
		RUN(test_streaming);
	if (!only || strstr("test_timeout", only))
		RUN(test_timeout);
	if (!only || strstr("test_reconnect_after_server_restart", only))
		RUN(test_reconnect_after_server_restart);
	if (!only || strstr("test_connect_errors", only))
		RUN(test_connect_errors);
	if (!only || strstr("test_canned_responses", only))
		RUN(test_canned_responses);
	stop_child(&server_pid);
	unlink(canned_path);
	rmdir(dir);
	return test_summary();
}
