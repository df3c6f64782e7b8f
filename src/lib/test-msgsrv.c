/* Unit tests for msgsrv: requests answered in order, malformed frames answered then closed,
 * a request sent before a half-close still answered, held connections told when the client
 * leaves.  Client and server share one process: the test steps the loop itself. */
#include "lib/msg.h"
#include "lib/msgsrv.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static struct loop *l;
static int closed_count;
static struct msgsrv_conn *held;

static void on_close(struct msgsrv_conn *c, void *data)
{
	(void)c;
	(void)data;
	closed_count++;
}

static void on_request(struct msgsrv_conn *c, json_t *req, void *data)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	json_t *r;

	(void)data;
	if (op && !strcmp(op, "hold")) {
		held = c;
		msgsrv_on_close(c, on_close, NULL);
		msgsrv_hold(c);
		return;
	}
	r = json_pack("{s:s}", "echo", op ? op : "");
	msgsrv_send(c, r);
	json_decref(r);
}

static json_t *on_malformed(const char *msg, void *data)
{
	(void)data;
	return json_pack("{s:s}", "error", msg);
}

/* Sends frames, optionally half-closes, and reads n answers while stepping the loop. */
static int roundtrip(const char *path, const char *raw, size_t rawlen, bool shut, json_t **out, int n)
{
	int fd = msg_connect_unix(path), got = 0;
	struct msg_reader rd;

	if (fd < 0)
		return -1;
	if (write(fd, raw, rawlen) != (ssize_t)rawlen)
		return -1;
	if (shut)
		shutdown(fd, SHUT_WR);
	msg_reader_init(&rd);
	while (got < n) {
		char buf[4096];
		struct errbuf eb;
		json_t *v;

		loop_run_once(l, 100);
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (k == 0)
			break;
		if (k > 0)
			buf_add(&rd.in, buf, (size_t)k);
		while (got < n && msg_reader_next(&rd, &v, &eb) == 1)
			out[got++] = v;
	}
	msg_reader_done(&rd);
	close(fd);
	return got;
}

static void frames(struct buf *b, const char *op)
{
	json_t *v = json_pack("{s:s}", "op", op);

	msg_encode(b, v);
	json_decref(v);
}

static void test_msgsrv(void)
{
	char path[64] = "/tmp/test-msgsrv-XXXXXX";
	struct msgsrv_cbs cbs = { .request = on_request, .malformed = on_malformed };
	struct msgsrv *s;
	struct errbuf eb;
	struct buf b = BUF_INIT;
	json_t *out[4] = { 0 };

	ASSERT_TRUE(mkdtemp(path));
	strcat(path, "/s");
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(msgsrv_new(l, path, 0600, 8, &cbs, &s, &eb), 0);

	/* Two pipelined requests, answered in order. */
	buf_init(&b);
	frames(&b, "a");
	frames(&b, "b");
	ASSERT_EQ(roundtrip(path, b.data, b.len, false, out, 2), 2);
	ASSERT_STREQ(json_string_value(json_object_get(out[0], "echo")), "a");
	ASSERT_STREQ(json_string_value(json_object_get(out[1], "echo")), "b");
	json_decref(out[0]);
	json_decref(out[1]);

	/* A request followed by a half-close is still answered. */
	buf_reset(&b);
	frames(&b, "c");
	ASSERT_EQ(roundtrip(path, b.data, b.len, true, out, 1), 1);
	ASSERT_STREQ(json_string_value(json_object_get(out[0], "echo")), "c");
	json_decref(out[0]);

	/* A malformed frame gets the malformed reply, then the connection closes. */
	ASSERT_EQ(roundtrip(path, "\0\0\0\3{x}", 7, false, out, 2), 1);
	ASSERT_CONTAINS(json_string_value(json_object_get(out[0], "error")), "malformed message");
	json_decref(out[0]);

	/* A held connection reports the client leaving. */
	buf_reset(&b);
	frames(&b, "hold");
	closed_count = 0;
	ASSERT_EQ(roundtrip(path, b.data, b.len, false, out, 0), 0);
	for (int i = 0; i < 10 && !closed_count; i++)
		loop_run_once(l, 100);
	ASSERT_EQ(closed_count, 1);

	buf_done(&b);
	msgsrv_free(s);
	loop_free(l);
	ASSERT_TRUE(access(path, F_OK) != 0);
}

/* A held connection whose client never reads: frames pile up to MSGSRV_MAX_OUT, then
 * msgsrv_send refuses more and msgsrv_abort ends the connection with a last frame. */
static void test_slow_reader_bounded(void)
{
	char path[64] = "/tmp/test-msgsrv-XXXXXX";
	struct msgsrv_cbs cbs = { .request = on_request, .malformed = on_malformed };
	struct msgsrv *s;
	struct errbuf eb;
	struct buf b = BUF_INIT;
	char big[65536];
	json_t *v, *last;
	int fd, r = 0, sent = 0;

	ASSERT_TRUE(mkdtemp(path));
	strcat(path, "/s");
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(msgsrv_new(l, path, 0600, 8, &cbs, &s, &eb), 0);
	buf_init(&b);
	frames(&b, "hold");
	fd = msg_connect_unix(path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, b.data, b.len), (ssize_t)b.len);
	held = NULL;
	for (int i = 0; i < 20 && !held; i++)
		loop_run_once(l, 50);
	ASSERT_TRUE(held != NULL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	v = json_pack("{s:s}", "line", big);
	while ((r = msgsrv_send(held, v)) == 0 && sent < 100000) {
		sent++;
		loop_run_once(l, 0);
	}
	json_decref(v);
	ASSERT_EQ(r, -ENOBUFS);
	ASSERT_TRUE(msgsrv_pending(held) >= MSGSRV_MAX_OUT);
	ASSERT_TRUE(msgsrv_pending(held) < MSGSRV_MAX_OUT + sizeof(big) + 64);
	last = json_pack("{s:s}", "error", "too slow");
	msgsrv_abort(held, last);
	json_decref(last);
	/* The client reads again: what it had not started to receive is gone, so only a few
	 * frames come before the abort message, then EOF. */
	{
		struct msg_reader rd;
		json_t *f, *prev = NULL;
		int eof = 0, got = 0;

		msg_reader_init(&rd);
		while (!eof) {
			char chunk[65536];
			ssize_t k;

			loop_run_once(l, 10);
			k = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
			if (k == 0)
				eof = 1;
			if (k > 0)
				buf_add(&rd.in, chunk, (size_t)k);
			while (msg_reader_next(&rd, &f, &eb) == 1) {
				json_decref(prev);
				prev = f;
				got++;
			}
		}
		ASSERT_STREQ(json_string_value(json_object_get(prev, "error")), "too slow");
		/* Only what the socket buffers held before the abort, not the ~16 MiB queued. */
		ASSERT_TRUE(got < sent / 4);
		json_decref(prev);
		msg_reader_done(&rd);
	}
	close(fd);
	buf_done(&b);
	msgsrv_free(s);
	loop_free(l);
}

static json_t *on_busy(const char *msg, void *data)
{
	(void)data;
	return json_pack("{s:s}", "busy", msg);
}

/* Beyond max_conns a client is answered why (after it sent its request) and closed, while
 * the connections within the limit are served; one of them leaving makes room again.  The
 * peer credentials are the client's (this process). */
static void test_connection_limit(void)
{
	char path[64] = "/tmp/test-msgsrv-XXXXXX";
	struct msgsrv_cbs cbs = { .request = on_request, .malformed = on_malformed, .busy = on_busy };
	struct msgsrv *s;
	struct errbuf eb;
	struct buf b = BUF_INIT;
	json_t *out[2] = { 0 };
	int keep[2];
	pid_t pid = 0;
	uid_t uid = 1;

	ASSERT_TRUE(mkdtemp(path));
	strcat(path, "/s");
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_EQ(msgsrv_new(l, path, 0600, 2, &cbs, &s, &eb), 0);
	buf_init(&b);
	frames(&b, "hold");
	for (int i = 0; i < 2; i++) {
		held = NULL;
		keep[i] = msg_connect_unix(path);
		ASSERT_TRUE(keep[i] >= 0);
		ASSERT_EQ(write(keep[i], b.data, b.len), (ssize_t)b.len);
		for (int k = 0; k < 20 && !held; k++)
			loop_run_once(l, 50);
		ASSERT_TRUE(held != NULL);
	}
	ASSERT_TRUE(msgsrv_peer(held, &pid, &uid));
	ASSERT_EQ(pid, getpid());
	ASSERT_EQ(uid, getuid());

	buf_reset(&b);
	frames(&b, "x");
	ASSERT_EQ(roundtrip(path, b.data, b.len, false, out, 2), 1);
	ASSERT_STREQ(json_string_value(json_object_get(out[0], "busy")), "too many connections (limit 2)");
	json_decref(out[0]);
	/* One leaves: the next client is served. */
	close(keep[0]);
	closed_count = 0;
	for (int k = 0; k < 20 && !closed_count; k++)
		loop_run_once(l, 50);
	ASSERT_EQ(roundtrip(path, b.data, b.len, false, out, 1), 1);
	ASSERT_STREQ(json_string_value(json_object_get(out[0], "echo")), "x");
	json_decref(out[0]);
	close(keep[1]);
	buf_done(&b);
	msgsrv_free(s);
	loop_free(l);
}

int main(void)
{
	RUN(test_msgsrv);
	RUN(test_slow_reader_bounded);
	RUN(test_connection_limit);
	return test_summary();
}
