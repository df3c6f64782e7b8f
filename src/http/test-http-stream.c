/* test-http-stream.c - unit tests for the HTTP server's streamed request bodies (head
 * handler, body sinks, early answers, draining, cancellation) and pulled answers
 * (backpressure).  The server and its loop run in this process; each client is a forked
 * child doing plain blocking socket I/O, so that a client can send or read tens of
 * megabytes while the loop runs undisturbed.  A child reports through its exit status. */
#include "http/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/test.h"

#define WAIT_MS 20000
#define BIG (70u << 20) /* above HTTP_MAX_BODY: only a streamed body may be this large */

static struct loop *L;
static struct http_server *S;
static char dir[64], sock_path[96];

/* ---- what the server saw ---- */

struct sink_state {
	struct http_req *req;
	size_t bytes, calls, max_piece;
	uint32_t sum;        /* Adler-like checksum of the bytes */
	size_t answer_after; /* /mid: answer once this many bytes arrived */
	bool answered, ended;
	bool hold;           /* /held: hold the body after every piece, release 1 ms later */
	bool held;
	size_t holds, since_hold, max_since_hold;
};

static struct sink_state sink;
static int cancels;
static int heads;

struct pull_state {
	struct http_req *req;
	size_t size, sent, fills;
	size_t max_unsent;
	bool done;
};

static struct pull_state pull;

static uint32_t sum_update(uint32_t s, const char *p, size_t n)
{
	uint32_t a = s & 0xffff, b = s >> 16;

	for (size_t i = 0; i < n; i++) {
		a = (a + (unsigned char)p[i]) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

static char pattern_byte(size_t i)
{
	return (char)((i * 131 + (i >> 13)) & 0xff);
}

static void on_cancel(struct http_req *req, void *data)
{
	(void)req;
	(void)data;
	cancels++;
	sink.req = NULL;
	pull.req = NULL;
}

static struct loop_timer *release_timer;

static void release_cb(struct loop_timer *t, void *data)
{
	struct sink_state *st = data;

	(void)t;
	st->held = false;
	if (st->req)
		http_req_hold_body(st->req, false);
}

static void sink_data(struct http_req *req, const char *p, size_t n, void *arg)
{
	struct sink_state *st = arg;

	if (st->held) {
		/* Only what the same socket read brought in may still arrive. */
		st->since_hold += n;
		if (st->since_hold > st->max_since_hold)
			st->max_since_hold = st->since_hold;
	} else if (st->hold) {
		st->held = true;
		st->holds++;
		st->since_hold = 0;
		http_req_hold_body(req, true);
		loop_timer_arm_in(release_timer, 1);
	}
	st->bytes += n;
	st->calls++;
	if (n > st->max_piece)
		st->max_piece = n;
	st->sum = sum_update(st->sum, p, n);
	if (st->answer_after && !st->answered && st->bytes >= st->answer_after) {
		static const char msg[] = "enough";

		st->answered = true;
		st->req = NULL;
		http_reply(req, 400, "text/plain", msg, sizeof(msg) - 1, NULL);
	}
}

static void sink_end(struct http_req *req, void *arg)
{
	struct sink_state *st = arg;
	char out[64];
	int n = snprintf(out, sizeof(out), "%zu %u", st->bytes, (unsigned)st->sum);

	st->ended = true;
	st->req = NULL;
	http_reply(req, 200, "text/plain", out, (size_t)n, NULL);
}

static const struct http_body_sink sink_ops = { sink_data, sink_end };

static void head_handler(struct http_server *s, struct http_req *req, void *data)
{
	(void)s;
	(void)data;
	heads++;
	if (strcmp(req->path, "/sink") == 0 || strcmp(req->path, "/mid") == 0 || strcmp(req->path, "/held") == 0) {
		memset(&sink, 0, sizeof(sink));
		sink.sum = 1;
		sink.req = req;
		sink.hold = strcmp(req->path, "/held") == 0;
		if (strcmp(req->path, "/mid") == 0)
			sink.answer_after = 100000;
		req->cancel_cb = on_cancel;
		http_req_take_body(req, &sink_ops, &sink);
	} else if (strcmp(req->path, "/early") == 0) {
		static const char msg[] = "no thanks";

		http_reply(req, 400, "text/plain", msg, sizeof(msg) - 1, NULL);
	}
	/* Anything else: buffered as usual. */
}

static void pull_fill(struct http_req *req, void *data)
{
	struct pull_state *st = data;
	static char chunk[300000]; /* more than a socket buffer takes at once */
	size_t n = st->size - st->sent < sizeof(chunk) ? st->size - st->sent : sizeof(chunk);
	size_t unsent = http_reply_stream_unsent(req);

	st->fills++;
	if (unsent > st->max_unsent)
		st->max_unsent = unsent;
	for (size_t i = 0; i < n; i++)
		chunk[i] = pattern_byte(st->sent + i);
	if (n && http_reply_stream_write(req, chunk, n) < 0)
		return; /* the cancel callback follows */
	st->sent += n;
	if (st->sent == st->size) {
		st->done = true;
		st->req = NULL;
		http_reply_stream_end(req);
	}
}

static void handler(struct http_server *s, struct http_req *req, void *data)
{
	(void)s;
	(void)data;
	if (strcmp(req->path, "/echo") == 0) {
		http_reply(req, 200, "application/octet-stream", req->body.data, req->body.len, NULL);
	} else if (strcmp(req->path, "/hello") == 0) {
		http_reply(req, 200, "text/plain", "hello", 5, NULL);
	} else if (strcmp(req->path, "/pull") == 0) {
		memset(&pull, 0, sizeof(pull));
		pull.req = req;
		pull.size = (size_t)strtoull(http_req_param(req, "size") ?: "0", NULL, 10);
		req->cancel_cb = on_cancel;
		http_reply_stream_begin(req, 200, "application/octet-stream");
		http_reply_stream_pull(req, pull_fill, &pull);
	} else {
		http_reply(req, 404, "text/plain", "nope", 4, NULL);
	}
}

/* ---- children ---- */

static bool child_exited;
static int child_status;

static void child_cb(struct loop *l, pid_t pid, int wstatus, void *data)
{
	(void)l;
	(void)pid;
	(void)data;
	child_exited = true;
	child_status = wstatus;
}

/* Runs fn in a child and the loop until it exits; returns its exit code (-1 if killed or
 * too slow). */
static int run_child(int (*fn)(void))
{
	pid_t pid;
	uint64_t deadline = loop_now_ms() + WAIT_MS;

	child_exited = false;
	pid = fork();
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		_exit(fn());
	}
	loop_add_child(L, pid, loop_pidfd_open(pid), child_cb, NULL);
	while (!child_exited && loop_now_ms() < deadline)
		loop_run_once(L, 10);
	if (!child_exited) {
		kill(pid, SIGKILL);
		while (!child_exited)
			loop_run_once(L, 10);
		return -1;
	}
	return WIFEXITED(child_status) ? WEXITSTATUS(child_status) : -1;
}

/* Lets the loop settle (cancellations, closes) after a child is gone. */
static void settle(void)
{
	for (int i = 0; i < 20; i++)
		loop_run_once(L, 5);
}

static int connect_server(void)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_str(int fd, const char *s)
{
	return send_all(fd, s, strlen(s));
}

/* Sends the pattern bytes [from, to) as chunks of chunk bytes (chunked) or raw. */
static int send_pattern(int fd, size_t from, size_t to, size_t chunk, bool chunked)
{
	char buf[70000];

	while (from < to) {
		size_t n = to - from < chunk ? to - from : chunk;
		char hdr[32];

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(from + i);
		if (chunked) {
			snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
			if (send_str(fd, hdr) < 0)
				return -1;
		}
		if (send_all(fd, buf, n) < 0 || (chunked && send_str(fd, "\r\n") < 0))
			return -1;
		from += n;
	}
	return 0;
}

/* Reads one response: status, the value of header hname (if not NULL) and the body. */
struct resp {
	int status;
	bool complete;
	char hval[128];
	const char *hname;
	char field[64];
	bool in_field;
	struct buf body;
};

static int r_field(http_parser *p, const char *at, size_t n)
{
	struct resp *r = p->data;

	if (!r->in_field)
		r->field[0] = '\0';
	r->in_field = true;
	strncat(r->field, at, n < sizeof(r->field) - strlen(r->field) - 1 ? n : sizeof(r->field) - strlen(r->field) - 1);
	return 0;
}

static int r_value(http_parser *p, const char *at, size_t n)
{
	struct resp *r = p->data;

	r->in_field = false;
	if (r->hname && strcasecmp(r->field, r->hname) == 0 && n < sizeof(r->hval) - strlen(r->hval))
		strncat(r->hval, at, n);
	return 0;
}

static int r_body(http_parser *p, const char *at, size_t n)
{
	struct resp *r = p->data;

	buf_add(&r->body, at, n);
	return 0;
}

static int r_done(http_parser *p)
{
	struct resp *r = p->data;

	r->status = (int)p->status_code;
	r->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings r_settings = {
	.on_header_field = r_field, .on_header_value = r_value, .on_body = r_body, .on_message_complete = r_done,
};

/* Reads until one response is complete; leftover bytes are lost (one response per call
 * unless the caller reads a pipelined pair at once with read_responses). */
static int read_responses(int fd, struct resp *rs, size_t n)
{
	http_parser p;
	char buf[65536];
	size_t k = 0;

	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &rs[0];
	while (k < n) {
		ssize_t got = read(fd, buf, sizeof(buf));
		size_t off = 0;

		if (got <= 0)
			return -1;
		while (off < (size_t)got && k < n) {
			off += http_parser_execute(&p, &r_settings, buf + off, (size_t)got - off);
			if (HTTP_PARSER_ERRNO(&p) == HPE_PAUSED) {
				k++;
				http_parser_init(&p, HTTP_RESPONSE);
				if (k < n)
					p.data = &rs[k];
			} else if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
				return -1;
			}
		}
	}
	return 0;
}

static bool at_eof(int fd)
{
	char c;

	return read(fd, &c, 1) == 0;
}

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "child check failed %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                      \
		}                                                                      \
	} while (0)

static uint32_t pattern_sum(size_t n)
{
	char buf[65536];
	uint32_t s = 1;

	for (size_t off = 0; off < n;) {
		size_t k = n - off < sizeof(buf) ? n - off : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = pattern_byte(off + i);
		s = sum_update(s, buf, k);
		off += k;
	}
	return s;
}

static int child_big_chunked(void)
{
	int fd = connect_server();
	struct resp r = { .hname = NULL };
	char want[64];

	buf_init(&r.body);
	CHECK(fd >= 0);
	CHECK(send_str(fd, "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
	CHECK(send_pattern(fd, 0, BIG, 8192, true) == 0);
	CHECK(send_str(fd, "0\r\n\r\n") == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	snprintf(want, sizeof(want), "%u %u", BIG, (unsigned)pattern_sum(BIG));
	CHECK(r.status == 200);
	CHECK(strcmp(r.body.data, want) == 0);
	return 0;
}

static void test_big_chunked_body(void)
{
	ASSERT_EQ(run_child(child_big_chunked), 0);
	ASSERT_TRUE(sink.ended);
	ASSERT_EQ(sink.bytes, BIG);
	/* Never more than one socket read at once; a chunk is split at most by the reads. */
	ASSERT_TRUE(sink.max_piece <= 256u * 1024u);
	ASSERT_TRUE(sink.calls <= 2 * (BIG / 8192));
}

static int child_held(void)
{
	int fd = connect_server();
	struct resp r = { .hname = NULL };
	char want[64];
	size_t n = 8u << 20;

	buf_init(&r.body);
	CHECK(fd >= 0);
	CHECK(send_str(fd, "POST /held HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
	CHECK(send_pattern(fd, 0, n, 65536, true) == 0);
	CHECK(send_str(fd, "0\r\n\r\n") == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	snprintf(want, sizeof(want), "%zu %u", n, (unsigned)pattern_sum(n));
	CHECK(r.status == 200);
	CHECK(strcmp(r.body.data, want) == 0);
	return 0;
}

/* http_req_hold_body: a held body gets nothing beyond the socket read that was being
 * parsed, and resumes whole and in order when released. */
static void test_held_body(void)
{
	release_timer = loop_timer_new(L, release_cb, &sink);
	ASSERT_EQ(run_child(child_held), 0);
	ASSERT_TRUE(sink.ended);
	ASSERT_EQ(sink.bytes, 8u << 20);
	ASSERT_TRUE(sink.holds >= 4);
	ASSERT_TRUE(sink.max_since_hold <= 256u * 1024u);
	loop_timer_free(release_timer);
	release_timer = NULL;
}

static int child_content_length_then_pipelined(void)
{
	int fd = connect_server();
	struct resp r[2] = { { .hname = NULL }, { .hname = NULL } };
	char head[128], want[64];
	size_t n = 3u << 20;

	buf_init(&r[0].body);
	buf_init(&r[1].body);
	CHECK(fd >= 0);
	snprintf(head, sizeof(head), "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", n);
	CHECK(send_str(fd, head) == 0);
	CHECK(send_pattern(fd, 0, n, 65536, false) == 0);
	CHECK(send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
	CHECK(read_responses(fd, r, 2) == 0);
	snprintf(want, sizeof(want), "%zu %u", n, (unsigned)pattern_sum(n));
	CHECK(r[0].status == 200 && strcmp(r[0].body.data, want) == 0);
	CHECK(r[1].status == 200 && strcmp(r[1].body.data, "hello") == 0);
	return 0;
}

static void test_content_length_body_then_pipelined(void)
{
	ASSERT_EQ(run_child(child_content_length_then_pipelined), 0);
	ASSERT_TRUE(sink.ended);
}

static int child_early(void)
{
	int fd = connect_server();
	struct resp r = { .hname = "Connection" };

	buf_init(&r.body);
	CHECK(fd >= 0);
	CHECK(send_str(fd, "POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n") == 0);
	/* The whole body still goes through: the server drains it. */
	CHECK(send_pattern(fd, 0, 1u << 20, 65536, false) == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	CHECK(r.status == 400 && strcmp(r.body.data, "no thanks") == 0);
	CHECK(strcmp(r.hval, "close") == 0);
	CHECK(at_eof(fd));
	return 0;
}

static void test_early_answer_drains(void)
{
	int before = heads;

	ASSERT_EQ(run_child(child_early), 0);
	ASSERT_EQ(heads, before + 1);
}

static int child_mid(void)
{
	int fd = connect_server();
	struct resp r = { .hname = "Connection" };

	buf_init(&r.body);
	CHECK(fd >= 0);
	CHECK(send_str(fd, "POST /mid HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
	CHECK(send_pattern(fd, 0, 4u << 20, 8192, true) == 0);
	CHECK(send_str(fd, "0\r\n\r\n") == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	CHECK(r.status == 400 && strcmp(r.body.data, "enough") == 0);
	CHECK(strcmp(r.hval, "close") == 0);
	CHECK(at_eof(fd));
	return 0;
}

static void test_answer_mid_body(void)
{
	ASSERT_EQ(run_child(child_mid), 0);
	ASSERT_TRUE(sink.answered);
	ASSERT_TRUE(!sink.ended);
	/* Nothing reached the sink after its answer: at most the rest of that read. */
	ASSERT_TRUE(sink.bytes < 100000 + 256u * 1024u);
}

static int child_vanish(void)
{
	int fd = connect_server();

	CHECK(fd >= 0);
	CHECK(send_str(fd, "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
	CHECK(send_pattern(fd, 0, 1u << 20, 8192, true) == 0);
	return 0; /* exits without ending the body */
}

static void test_client_vanishes_mid_body(void)
{
	int before = cancels;

	ASSERT_EQ(run_child(child_vanish), 0);
	settle();
	ASSERT_EQ(cancels, before + 1);
	ASSERT_TRUE(!sink.ended);
	ASSERT_TRUE(sink.req == NULL);
}

static int child_bad_chunk(void)
{
	int fd = connect_server();
	struct resp r = { .hname = NULL };

	buf_init(&r.body);
	CHECK(fd >= 0);
	CHECK(send_str(fd, "POST /sink HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") == 0);
	CHECK(send_pattern(fd, 0, 100000, 8192, true) == 0);
	CHECK(send_str(fd, "zz\r\nnot a chunk\r\n") == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	CHECK(r.status == 400);
	CHECK(strstr(r.body.data, "malformed HTTP request") != NULL);
	CHECK(at_eof(fd));
	return 0;
}

static void test_malformed_chunk_cancels(void)
{
	int before = cancels;

	ASSERT_EQ(run_child(child_bad_chunk), 0);
	settle();
	ASSERT_EQ(cancels, before + 1);
	ASSERT_TRUE(!sink.ended);
}

static int child_declined(void)
{
	int fd = connect_server();
	struct resp r = { .hname = NULL };
	static const char body[] = "buffered body";
	char head[128];

	buf_init(&r.body);
	CHECK(fd >= 0);
	snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", sizeof(body) - 1);
	CHECK(send_str(fd, head) == 0 && send_str(fd, body) == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	CHECK(r.status == 200 && strcmp(r.body.data, body) == 0);
	/* Declined and too large for a buffer: refused before the body is sent. */
	buf_reset(&r.body);
	snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %u\r\n\r\n", HTTP_MAX_BODY + 1);
	CHECK(send_str(fd, head) == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	CHECK(r.status == 413);
	CHECK(at_eof(fd));
	return 0;
}

static void test_declined_head_buffers(void)
{
	ASSERT_EQ(run_child(child_declined), 0);
}

static int child_pull(void)
{
	int fd = connect_server();
	struct resp r = { .hname = "Transfer-Encoding" };
	size_t n = 32u << 20;
	char head[128];

	buf_init(&r.body);
	CHECK(fd >= 0);
	snprintf(head, sizeof(head), "GET /pull?size=%zu HTTP/1.1\r\nHost: x\r\n\r\n", n);
	CHECK(send_str(fd, head) == 0);
	CHECK(read_responses(fd, &r, 1) == 0);
	CHECK(r.status == 200 && r.body.len == n && strcmp(r.hval, "chunked") == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(r.body.data[i] == pattern_byte(i));
	return 0;
}

static void test_pulled_answer(void)
{
	ASSERT_EQ(run_child(child_pull), 0);
	ASSERT_TRUE(pull.done);
	ASSERT_EQ(pull.sent, 32u << 20);
	/* Never more than the low-water mark queued when asked for more. */
	ASSERT_TRUE(pull.max_unsent < HTTP_STREAM_LOW_WATER);
}

/* A client that takes small pieces at a steady pace: the server's output buffer then
 * never drains completely between fills, and must not grow for that. */
static int child_pull_nibbler(void)
{
	int fd = connect_server();
	char buf[1500];
	size_t got = 0, want = 64u << 20;
	char head[128];

	CHECK(fd >= 0);
	snprintf(head, sizeof(head), "GET /pull?size=%zu HTTP/1.1\r\nHost: x\r\n\r\n", want);
	CHECK(send_str(fd, head) == 0);
	while (got < want) {
		ssize_t k = read(fd, buf, sizeof(buf));

		CHECK(k > 0);
		got += (size_t)k;
		if (got % (64u << 10) < sizeof(buf))
			usleep(200);
	}
	return 0;
}

/* A field of /proc/self/status in KiB. */
static long status_kib(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field));
	if (f)
		fclose(f);
	return v;
}

static void test_pulled_answer_memory_flat(void)
{
	long before = status_kib("VmRSS:");
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	/* "5" resets the peak resident size (VmHWM) to the current one. */
	ASSERT_TRUE(fd >= 0 && write(fd, "5", 1) == 1);
	close(fd);
	ASSERT_EQ(run_child(child_pull_nibbler), 0);
	settle();
	ASSERT_TRUE(status_kib("VmHWM:") - before < 16 * 1024);
}

static int child_pull_vanish(void)
{
	int fd = connect_server();
	char buf[65536];
	size_t got = 0;

	CHECK(fd >= 0);
	CHECK(send_str(fd, "GET /pull?size=1073741824 HTTP/1.1\r\nHost: x\r\n\r\n") == 0);
	while (got < (1u << 20)) {
		ssize_t k = read(fd, buf, sizeof(buf));

		CHECK(k > 0);
		got += (size_t)k;
	}
	return 0; /* goes away after 1 MiB of a 1 GiB answer */
}

static void test_pulled_client_gone(void)
{
	int before = cancels;

	ASSERT_EQ(run_child(child_pull_vanish), 0);
	settle();
	ASSERT_EQ(cancels, before + 1);
	ASSERT_TRUE(!pull.done);
	/* The producer stopped within a few fills of the client's last read. */
	ASSERT_TRUE(pull.sent < (16u << 20));
}

int main(void)
{
	struct errbuf eb;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test-http-stream-XXXXXX");
	if (!mkdtemp(dir) || loop_new(&L) < 0)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
	S = http_server_new(L, handler, NULL);
	http_server_set_head_handler(S, head_handler);
	if (http_server_listen_unix(S, sock_path, &eb) < 0) {
		printf("listen: %s\n", eb.msg);
		return 1;
	}
	RUN(test_big_chunked_body);
	RUN(test_content_length_body_then_pipelined);
	RUN(test_held_body);
	RUN(test_early_answer_drains);
	RUN(test_answer_mid_body);
	RUN(test_client_vanishes_mid_body);
	RUN(test_malformed_chunk_cancels);
	RUN(test_declined_head_buffers);
	RUN(test_pulled_answer);
	RUN(test_pulled_client_gone);
	RUN(test_pulled_answer_memory_flat);
	http_server_free(S);
	loop_free(L);
	unlink(sock_path);
	rmdir(dir);
	return test_summary();
}
