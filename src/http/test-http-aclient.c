/* Unit tests for http_aclient: a GET on the loop against a scripted server in a child process
 * - bodies by Content-Length, chunked and up to EOF; the request as sent; a missing socket,
 * a server that never answers, an oversized body and a malformed response each reported
 * once with its reason, never from inside the call; a cancelled request never calls back. */
#include "http/http_aclient.h"
#include "lib/buf.h"
#include "lib/test.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char sock_path[108];
static char request_seen[4096];

struct result {
	int calls;
	int status;
	char body[4096];
	char error[512];
};

static void on_done(void *data, int status, const char *body, size_t len, const char *error)
{
	struct result *r = data;

	r->calls++;
	r->status = status;
	snprintf(r->body, sizeof(r->body), "%.*s", (int)len, body);
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
}

/* A child that accepts one connection, keeps the request in a file, answers reply (NULL:
 * never answers) and closes. */
static pid_t serve(const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		char path[200];
		FILE *f;

		snprintf(path, sizeof(path), "%s.req", sock_path);
		f = fopen(path, "w");
		if (f && n > 0)
			fwrite(buf, 1, (size_t)n, f);
		if (f)
			fclose(f);
		if (!reply) {
			pause();
			_exit(0);
		}
		if (write(fd, reply, strlen(reply)) < 0)
			_exit(1);
		close(fd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static void finish_server(pid_t pid)
{
	char path[200];
	FILE *f;
	size_t n;

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), "%s.req", sock_path);
	request_seen[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		n = fread(request_seen, 1, sizeof(request_seen) - 1, f);
		request_seen[n] = '\0';
		fclose(f);
	}
	unlink(path);
	unlink(sock_path);
}

static void get(struct loop *l, const char *target, size_t max_body, uint64_t timeout_ms,
		struct result *res)
{
	struct http_aclient_opts o = { .socket_path = sock_path, .target = target,
				       .timeout_ms = timeout_ms, .max_body = max_body,
				       .done = on_done, .data = res };
	struct http_areq *r;
	struct errbuf eb;

	memset(res, 0, sizeof(*res));
	if (http_aclient_get(l, &o, &r, &eb) < 0) {
		res->calls = -1;
		return;
	}
	/* Never from inside the call. */
	if (res->calls)
		res->calls = 100;
	while (!res->calls)
		loop_run_once(l, 1000);
}

static void test_bodies(void)
{
	struct loop *l;
	struct result res;
	pid_t pid;

	ASSERT_EQ(loop_new(&l), 0);
	pid = serve("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
		    "{\"result\":[]}");
	get(l, "/v1/notices?users=all&after=2024-05-01T10%3A00%3A00Z&timeout=30s", 1024, 5000, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_EQ(res.status, 200);
	ASSERT_STREQ(res.body, "{\"result\":[]}");
	ASSERT_STREQ(res.error, "");
	ASSERT_CONTAINS(request_seen, "GET /v1/notices?users=all&after=2024-05-01T10%3A00%3A00Z&timeout=30s HTTP/1.1\r\n");
	ASSERT_CONTAINS(request_seen, "Host: localhost\r\n");
	ASSERT_CONTAINS(request_seen, "Connection: close\r\n\r\n");

	pid = serve("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	get(l, "/v1/changes/9", 1024, 5000, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_EQ(res.status, 404);
	ASSERT_STREQ(res.body, "hello world");

	pid = serve("HTTP/1.1 200 OK\r\n\r\nuntil the end");
	get(l, "/x", 1024, 5000, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_EQ(res.status, 200);
	ASSERT_STREQ(res.body, "until the end");
	loop_free(l);
}

static void test_failures(void)
{
	struct loop *l;
	struct result res;
	char want[300];
	pid_t pid;

	ASSERT_EQ(loop_new(&l), 0);
	unlink(sock_path);
	get(l, "/x", 1024, 5000, &res);
	ASSERT_EQ(res.calls, 1);
	ASSERT_EQ(res.status, 0);
	snprintf(want, sizeof(want), "dial unix %s: connect: no such file or directory", sock_path);
	ASSERT_STREQ(res.error, want);

	pid = serve(NULL);
	uint64_t t0 = loop_now_ms();
	get(l, "/x", 1024, 200, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_STREQ(res.error, "timed out");
	ASSERT_TRUE(loop_now_ms() - t0 >= 200);

	pid = serve("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789");
	get(l, "/x", 10, 5000, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_STREQ(res.error, "response body over 10 bytes");

	pid = serve("SMTP ready\r\n\r\n");
	get(l, "/x", 10, 5000, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_CONTAINS(res.error, "malformed HTTP response");

	pid = serve("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nshort");
	get(l, "/x", 1024, 5000, &res);
	finish_server(pid);
	ASSERT_EQ(res.calls, 1);
	ASSERT_STREQ(res.error, "connection closed before the response was complete");
	loop_free(l);
}

static void test_cancel(void)
{
	struct loop *l;
	struct result res = { 0 };
	struct http_aclient_opts o = { .socket_path = sock_path, .target = "/x", .timeout_ms = 100,
				       .max_body = 10, .done = on_done, .data = &res };
	struct http_areq *r;
	struct errbuf eb;
	pid_t pid;

	ASSERT_EQ(loop_new(&l), 0);
	pid = serve(NULL);
	ASSERT_EQ(http_aclient_get(l, &o, &r, &eb), 0);
	loop_run_once(l, 10);
	http_aclient_cancel(r);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 50);
	finish_server(pid);
	ASSERT_EQ(res.calls, 0);
	/* A request that could not even connect, cancelled before it reported. */
	unlink(sock_path);
	ASSERT_EQ(http_aclient_get(l, &o, &r, &eb), 0);
	http_aclient_cancel(r);
	loop_run_once(l, 10);
	ASSERT_EQ(res.calls, 0);
	loop_free(l);
}

int main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/test-aclient-%d.sock", (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	RUN(test_bodies);
	RUN(test_failures);
	RUN(test_cancel);
	return test_summary();
}
