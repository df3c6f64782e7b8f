/* Unit tests for tool runs (real children on a real loop: exit status, stdout, stdin, stderr
 * reasons, deadlines, limits, a log file, a passed fd) and for the non-blocking boot-id
 * probe (against a small server in this process). */
#include "pod/probe.h"
#include "pod/tool.h"
#include "lib/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct outcome {
	int done;
	int status;
	char out[8192];
	size_t out_len;
	char err[TOOL_STDERR_TAIL + 1];
	char msg[ERRBUF_SIZE];
};

static void on_done(void *data, const struct tool_result *res)
{
	struct outcome *o = data;
	struct errbuf eb;

	o->done = 1;
	o->status = res->status;
	o->out_len = res->out->len;
	memcpy(o->out, res->out->data, res->out->len < sizeof(o->out) - 1 ? res->out->len : sizeof(o->out) - 1);
	o->out[res->out->len < sizeof(o->out) - 1 ? res->out->len : sizeof(o->out) - 1] = '\0';
	snprintf(o->err, sizeof(o->err), "%s", res->err_tail);
	tool_result_error(res, &eb);
	snprintf(o->msg, sizeof(o->msg), "%s", eb.msg);
}

static int run_sh(struct loop *l, const char *script, const void *in, size_t in_len, uint64_t timeout,
		  struct outcome *o)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct tool_opts opts = {
		.what = "sh", .argv = argv, .input = in, .input_len = in_len, .timeout_ms = timeout, .pass_fd = -1,
		.cb = on_done, .data = o,
	};
	struct errbuf eb;
	int r;

	memset(o, 0, sizeof(*o));
	r = tool_run(l, &opts, NULL, &eb);
	if (r < 0)
		return r;
	while (!o->done)
		loop_run_once(l, -1);
	return 0;
}

static void test_status_and_output(void)
{
	struct loop *l;
	struct outcome o;

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(run_sh(l, "echo hello; echo oops >&2", NULL, 0, 0, &o), 0);
	ASSERT_EQ(o.status, 0);
	ASSERT_STREQ(o.out, "hello\n");
	ASSERT_STREQ(o.err, "oops\n");
	ASSERT_EQ(run_sh(l, "echo 'first line' >&2; echo 'real reason' >&2; exit 3", NULL, 0, 0, &o), 0);
	ASSERT_EQ(o.status, 3);
	ASSERT_STREQ(o.msg, "sh: real reason");
	ASSERT_EQ(run_sh(l, "exit 4", NULL, 0, 0, &o), 0);
	ASSERT_STREQ(o.msg, "sh: exit status 4");
	ASSERT_EQ(run_sh(l, "kill -9 $$", NULL, 0, 0, &o), 0);
	ASSERT_EQ(o.status, 128 + 9);
	ASSERT_STREQ(o.msg, "sh: killed by signal 9");
	loop_free(l);
}

static void test_stdin(void)
{
	struct loop *l;
	struct outcome o;
	size_t big = 1u << 20;
	char *data = malloc(big);

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(run_sh(l, "cat", "{\"cniVersion\":\"1.0.0\"}", 22, 0, &o), 0);
	ASSERT_STREQ(o.out, "{\"cniVersion\":\"1.0.0\"}");
	/* More than a pipe holds: fed as the child reads. */
	memset(data, 'x', big);
	ASSERT_EQ(run_sh(l, "wc -c", data, big, 0, &o), 0);
	ASSERT_EQ(atoi(o.out), (int)big);
	/* A child that never reads its input still completes. */
	ASSERT_EQ(run_sh(l, "exit 0", data, big, 0, &o), 0);
	ASSERT_EQ(o.status, 0);
	free(data);
	loop_free(l);
}

static void test_limits_and_deadline(void)
{
	struct loop *l;
	struct outcome o;
	uint64_t t0;

	ASSERT_EQ(loop_new(&l), 0);
	t0 = loop_now_ms();
	ASSERT_EQ(run_sh(l, "echo stuck >&2; exec sleep 30", NULL, 0, 200, &o), 0);
	ASSERT_EQ(o.status, -ETIMEDOUT);
	ASSERT_STREQ(o.msg, "sh: timed out: stuck");
	ASSERT_TRUE(loop_now_ms() - t0 < 5000);
	ASSERT_EQ(run_sh(l, "head -c 5000000 /dev/zero", NULL, 0, 0, &o), 0);
	ASSERT_EQ(o.status, -EFBIG);
	/* Much stderr: only the tail is kept. */
	ASSERT_EQ(run_sh(l, "i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done; exit 1", NULL, 0, 0,
			 &o),
		  0);
	ASSERT_TRUE(strlen(o.err) <= TOOL_STDERR_TAIL);
	ASSERT_STREQ(o.msg, "sh: line1999");
	loop_free(l);
}

static void test_spawn_failure(void)
{
	struct loop *l;
	char *argv[] = { "/nonexistent/tool", NULL };
	struct tool_opts opts = { .what = "frob", .argv = argv, .pass_fd = -1, .cb = on_done };
	struct errbuf eb;

	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(tool_run(l, &opts, NULL, &eb), -ENOENT);
	ASSERT_CONTAINS(eb.msg, "frob");
	ASSERT_CONTAINS(eb.msg, "no such file or directory");
	loop_free(l);
}

static void test_log_file_and_fd(void)
{
	struct loop *l;
	char dir[] = "/tmp/test-tool-XXXXXX", path[64];
	char *argv[] = { "/bin/sh", "-c", "echo to-log; echo 'why it failed' >&2; echo R >&3; exit 2", NULL };
	struct tool_opts opts = { .what = "runc run", .argv = argv, .stdout_path = path, .cb = on_done };
	struct outcome o;
	struct errbuf eb;
	int p[2];
	char c = 0;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	opts.pass_fd = p[1];
	opts.data = &o;
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(tool_run(l, &opts, NULL, &eb), 0);
	close(p[1]);
	while (!o.done)
		loop_run_once(l, -1);
	ASSERT_EQ(o.status, 2);
	ASSERT_STREQ(o.msg, "runc run: why it failed");
	ASSERT_EQ(read(p[0], &c, 1), 1);
	ASSERT_EQ(c, 'R');
	close(p[0]);
	unlink(path);
	rmdir(dir);
	loop_free(l);
}

static void test_abandon(void)
{
	struct loop *l;
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct tool_opts opts = { .argv = argv, .pass_fd = -1, .cb = on_done };
	struct tool_req *r;
	struct outcome o;
	struct errbuf eb;

	memset(&o, 0, sizeof(o));
	opts.data = &o;
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(tool_run(l, &opts, &r, &eb), 0);
	tool_abandon(r);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 20);
	ASSERT_EQ(o.done, 0);
	loop_free(l);
}

static void test_stderr_reason(void)
{
	char out[256];

	tool_stderr_reason("time=\"2026-12-01T20:17:40Z\" level=fatal msg=\"writing blob: Digest did not match, "
			   "expected \\\"a\\\"\"\n",
			   out, sizeof(out));
	ASSERT_STREQ(out, "writing blob: Digest did not match, expected \"a\"");
	tool_stderr_reason("tar: Unexpected EOF in archive\ntar: Error is not recoverable: exiting now\n\n", out,
			   sizeof(out));
	ASSERT_STREQ(out, "tar: Error is not recoverable: exiting now");
	tool_stderr_reason("", out, sizeof(out));
	ASSERT_STREQ(out, "");
	tool_stderr_reason("\n\n", out, sizeof(out));
	ASSERT_STREQ(out, "");
	tool_stderr_reason("a msg=\"no level here\"", out, sizeof(out));
	ASSERT_STREQ(out, "a msg=\"no level here\"");
}

/* ---- probe ---- */

static void test_probe_parse(void)
{
	char id[PROBE_BOOT_ID_MAX];
	struct errbuf eb;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n"
			 "{\"type\":\"sync\",\"status-code\":200,\"result\":{\"boot-id\":\"1234-abcd\",\"version\":\"x\"}}";
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "f\r\n{\"result\":{\"boo\r\n11\r\nt-id\":\"b-2\"}}    \r\n0\r\n\r\n";
	const char *eof = "HTTP/1.1 200 OK\r\n\r\n{\"result\":{\"boot-id\":\"b-3\"}}";

	ASSERT_EQ(probe_parse_response(ok, strlen(ok), id, &eb), 0);
	ASSERT_STREQ(id, "1234-abcd");
	ASSERT_EQ(probe_parse_response(chunked, strlen(chunked), id, &eb), 0);
	ASSERT_STREQ(id, "b-2");
	ASSERT_EQ(probe_parse_response(eof, strlen(eof), id, &eb), 0);
	ASSERT_STREQ(id, "b-3");
	ASSERT_EQ(probe_parse_response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 45, id, &eb), -EPROTO);
	ASSERT_CONTAINS(eb.msg, "answered 404");
	ASSERT_EQ(probe_parse_response("SSH-2.0-OpenSSH\r\n", 17, id, &eb), -EPROTO);
	ASSERT_EQ(probe_parse_response("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{", 40, id, &eb), -EPROTO);
	ASSERT_EQ(probe_parse_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 40, id, &eb), -EPROTO);
	ASSERT_CONTAINS(eb.msg, "no usable boot-id");
}

struct server {
	struct loop *l;
	int lfd;
	struct loop_io *io;
	const char *answer;    /* NULL: accept and stay silent */
	int conns[4];
	int nconns;
};

struct conn {
	struct server *s;
	int fd;
	struct loop_io *io;
};

/* Answers once the request has arrived (the probe and the server share this thread). */
static void on_conn(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct conn *c = data;
	char req[1024];
	ssize_t n = read(fd, req, sizeof(req));

	(void)events;
	if (n > 0) {
		n = write(fd, c->s->answer, strlen(c->s->answer));
		(void)n;
	}
	loop_io_free(io);
	close(fd);
	free(c);
}

static void on_accept(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct server *s = data;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)io;
	(void)events;
	if (c < 0)
		return;
	if (s->answer) {
		struct conn *k = calloc(1, sizeof(*k));

		k->s = s;
		k->fd = c;
		k->io = loop_io_new(s->l, c, EPOLLIN, on_conn, k);
	} else if (s->nconns < 4) {
		s->conns[s->nconns++] = c;
	} else {
		close(c);
	}
}

struct probe_out {
	int done, status;
	char id[PROBE_BOOT_ID_MAX];
	char msg[ERRBUF_SIZE];
};

static void on_probe(void *data, int status, const char *boot_id, const char *msg)
{
	struct probe_out *p = data;

	p->done = 1;
	p->status = status;
	snprintf(p->id, sizeof(p->id), "%s", boot_id ? boot_id : "");
	snprintf(p->msg, sizeof(p->msg), "%s", msg ? msg : "");
}

static void test_probe_live(void)
{
	char dir[] = "/tmp/test-probe-XXXXXX", path[80];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct server srv = { .answer = "HTTP/1.1 200 OK\r\nContent-Length: 33\r\n\r\n{\"result\":{\"boot-id\":\"live-1\"}}\n\n" };
	struct probe_out po;
	struct errbuf eb;
	struct loop *l;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s", dir);
	ASSERT_EQ(loop_new(&l), 0);

	/* Nothing listening: reported through the callback, never from inside the call. */
	memset(&po, 0, sizeof(po));
	ASSERT_EQ(probe_boot_id(l, path, 1000, on_probe, &po, NULL, &eb), 0);
	ASSERT_EQ(po.done, 0);
	while (!po.done)
		loop_run_once(l, -1);
	ASSERT_EQ(po.status, -ENOENT);

	srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ASSERT_EQ(bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ(listen(srv.lfd, 8), 0);
	srv.l = l;
	srv.io = loop_io_new(l, srv.lfd, EPOLLIN, on_accept, &srv);
	memset(&po, 0, sizeof(po));
	ASSERT_EQ(probe_boot_id(l, path, 1000, on_probe, &po, NULL, &eb), 0);
	while (!po.done)
		loop_run_once(l, -1);
	ASSERT_EQ(po.status, 0);
	ASSERT_STREQ(po.id, "live-1");

	/* A server that accepts and says nothing: the deadline ends the probe. */
	srv.answer = NULL;
	memset(&po, 0, sizeof(po));
	ASSERT_EQ(probe_boot_id(l, path, 100, on_probe, &po, NULL, &eb), 0);
	while (!po.done)
		loop_run_once(l, -1);
	ASSERT_EQ(po.status, -ETIMEDOUT);

	/* Cancelled: no callback. */
	{
		struct probe_req *pr;

		memset(&po, 0, sizeof(po));
		ASSERT_EQ(probe_boot_id(l, path, 100, on_probe, &po, &pr, &eb), 0);
		probe_cancel(pr);
		for (int i = 0; i < 5; i++)
			loop_run_once(l, 30);
		ASSERT_EQ(po.done, 0);
	}
	for (int i = 0; i < srv.nconns; i++)
		close(srv.conns[i]);
	loop_io_free(srv.io);
	close(srv.lfd);
	unlink(path);
	rmdir(dir);
	loop_free(l);
}

int main(void)
{
	RUN(test_status_and_output);
	RUN(test_stdin);
	RUN(test_limits_and_deadline);
	RUN(test_spawn_failure);
	RUN(test_log_file_and_fd);
	RUN(test_abandon);
	RUN(test_stderr_reason);
	RUN(test_probe_parse);
	RUN(test_probe_live);
	return test_summary();
}
