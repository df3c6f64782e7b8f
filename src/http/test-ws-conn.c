/* test-ws-conn.c - unit tests for ws_conn: a server and a client connection joined by a
 * socketpair on one loop.  Messages both ways (the client's frames masked), a large binary
 * message arriving in pieces, pause/resume holding the peer back, ping/pong, the close
 * handshake, protocol errors and hang-ups reported with their codes, and connections still
 * closing freed with their group. */
#include "http/ws_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/test.h"

struct side {
	struct ws_conn *c;
	struct buf text, bin;
	size_t n_text, pieces;
	bool closed;
	uint16_t code;
	bool pause_on_data;
	int drained;
};

static void on_message(struct ws_conn *c, void *data, enum ws_opcode op, const uint8_t *p, size_t n, bool first,
		       bool last)
{
	struct side *s = data;

	(void)first;
	(void)last;
	if (op == WS_OP_TEXT) {
		buf_add(&s->text, p, n);
		s->n_text++;
	} else {
		buf_add(&s->bin, p, n);
		s->pieces++;
		if (s->pause_on_data)
			ws_conn_pause(c, true);
	}
}

static void on_close(struct ws_conn *c, void *data, uint16_t code)
{
	struct side *s = data;

	(void)c;
	s->closed = true;
	s->code = code;
	s->c = NULL;
}

static void on_drain(struct ws_conn *c, void *data)
{
	struct side *s = data;

	(void)c;
	s->drained++;
}

struct pair {
	struct loop *l;
	struct side srv, cli;
	int raw;   /* a raw client end instead of a ws_conn client, or -1 */
};

static void side_init(struct side *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->text);
	buf_init(&s->bin);
}

static void side_done(struct side *s)
{
	buf_done(&s->text);
	buf_done(&s->bin);
}

static int pair_open(struct pair *p, bool raw_client)
{
	int sv[2];
	struct ws_conn_cbs cbs = { on_message, on_close, on_drain, NULL };

	memset(p, 0, sizeof(*p));
	side_init(&p->srv);
	side_init(&p->cli);
	p->raw = -1;
	if (loop_new(&p->l) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	cbs.data = &p->srv;
	if (ws_conn_new(p->l, sv[0], WS_ROLE_SERVER, &cbs, NULL, 0, NULL, 0, &p->srv.c) < 0)
		return -1;
	if (raw_client) {
		p->raw = sv[1];
		fcntl(p->raw, F_SETFL, 0);
		return 0;
	}
	cbs.data = &p->cli;
	return ws_conn_new(p->l, sv[1], WS_ROLE_CLIENT, &cbs, NULL, 0, NULL, 0, &p->cli.c);
}

static void pair_close(struct pair *p)
{
	if (p->srv.c)
		ws_conn_abort(p->srv.c);
	if (p->cli.c)
		ws_conn_abort(p->cli.c);
	if (p->raw >= 0)
		close(p->raw);
	for (int i = 0; i < 5; i++)
		loop_run_once(p->l, 0);
	loop_free(p->l);
	side_done(&p->srv);
	side_done(&p->cli);
}

/* Runs the loop until cond or 2000 iterations of at most 10 ms. */
#define RUN_UNTIL(p, cond)                                       \
	do {                                                     \
		for (int _i = 0; _i < 2000 && !(cond); _i++)     \
			loop_run_once((p)->l, 10);               \
	} while (0)

static void test_messages_both_ways(void)
{
	struct pair p;
	uint8_t *big = xmalloc(1 << 20);

	ASSERT_EQ(pair_open(&p, false), 0);
	for (size_t i = 0; i < (1 << 20); i++)
		big[i] = (uint8_t)(i * 31);
	ASSERT_EQ(ws_conn_send(p.cli.c, WS_OP_TEXT, "{\"command\":\"end\"}", 17), 0);
	ASSERT_EQ(ws_conn_send(p.cli.c, WS_OP_BINARY, big, 1 << 20), 0);
	ASSERT_EQ(ws_conn_send(p.srv.c, WS_OP_BINARY, "out", 3), 0);
	RUN_UNTIL(&p, p.srv.bin.len == (1 << 20) && p.cli.bin.len == 3);
	ASSERT_EQ(p.srv.n_text, 1);
	ASSERT_STREQ(p.srv.text.data, "{\"command\":\"end\"}");
	ASSERT_EQ(p.srv.bin.len, 1 << 20);
	ASSERT_TRUE(memcmp(p.srv.bin.data, big, 1 << 20) == 0);
	/* A large message arrives in pieces, not reassembled. */
	ASSERT_TRUE(p.srv.pieces > 1);
	ASSERT_EQ(p.cli.bin.len, 3);
	ASSERT_TRUE(p.cli.drained >= 1 || ws_conn_pending(p.cli.c) == 0);
	pair_close(&p);
	free(big);
}

static void test_pause_holds_the_peer_back(void)
{
	struct pair p;
	uint8_t *chunk = xcalloc(1, 65536);
	size_t got;

	ASSERT_EQ(pair_open(&p, false), 0);
	p.srv.pause_on_data = true;
	for (int i = 0; i < 64; i++)
		ws_conn_send(p.cli.c, WS_OP_BINARY, chunk, 65536);
	RUN_UNTIL(&p, p.srv.pieces >= 1);
	for (int i = 0; i < 20; i++)
		loop_run_once(p.l, 5);
	got = p.srv.bin.len;
	/* Paused after the first piece: the rest waits in the sockets and the client's queue. */
	ASSERT_TRUE(got < 4 * 65536);
	ASSERT_TRUE(ws_conn_pending(p.cli.c) > 0);
	p.srv.pause_on_data = false;
	ws_conn_pause(p.srv.c, false);
	RUN_UNTIL(&p, p.srv.bin.len == 64 * 65536);
	ASSERT_EQ(p.srv.bin.len, 64 * 65536);
	RUN_UNTIL(&p, ws_conn_pending(p.cli.c) == 0);
	ASSERT_TRUE(p.cli.drained >= 1);
	pair_close(&p);
	free(chunk);
}

static void test_close_handshake(void)
{
	struct pair p;

	ASSERT_EQ(pair_open(&p, false), 0);
	/* The server closes; the client echoes the code and both end. */
	ws_conn_shutdown(p.srv.c, WS_CLOSE_NORMAL, "done");
	p.srv.c = NULL;
	RUN_UNTIL(&p, p.cli.closed);
	ASSERT_TRUE(p.cli.closed);
	ASSERT_EQ(p.cli.code, 1000);
	ASSERT_TRUE(!p.srv.closed); /* the owner let go: no callback */
	pair_close(&p);
}

static ssize_t read_all(int fd, uint8_t *out, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, out + got, n - got);

		if (r <= 0)
			return r < 0 ? -1 : (ssize_t)got;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void test_ping_and_protocol_error(void)
{
	static const uint8_t mask[4] = { 9, 8, 7, 6 };
	struct pair p;
	uint8_t f[32], in[32];
	size_t h;

	ASSERT_EQ(pair_open(&p, true), 0);
	h = ws_frame_header(f, true, WS_OP_PING, 2, mask);
	memcpy(f + h, "hi", 2);
	ws_mask(f + h, 2, mask, 0);
	ASSERT_EQ(write(p.raw, f, h + 2), (ssize_t)(h + 2));
	for (int i = 0; i < 10; i++)
		loop_run_once(p.l, 5);
	/* A pong with the same payload, unmasked. */
	ASSERT_EQ(read_all(p.raw, in, 4), 4);
	ASSERT_EQ(in[0], 0x8a);
	ASSERT_EQ(in[1], 2);
	ASSERT_TRUE(memcmp(in + 2, "hi", 2) == 0);
	/* An unmasked frame: close 1002 with a reason, then the socket closes. */
	h = ws_frame_header(f, true, WS_OP_BINARY, 1, NULL);
	f[h] = 'x';
	ASSERT_EQ(write(p.raw, f, h + 1), (ssize_t)(h + 1));
	RUN_UNTIL(&p, p.srv.closed);
	ASSERT_EQ(p.srv.code, 1002);
	ASSERT_EQ(read_all(p.raw, in, 4), 4);
	ASSERT_EQ(in[0], 0x88);
	ASSERT_EQ(in[2] << 8 | in[3], 1002);
	pair_close(&p);
}

static void test_hangup_is_abnormal(void)
{
	struct pair p;

	ASSERT_EQ(pair_open(&p, true), 0);
	close(p.raw);
	p.raw = -1;
	RUN_UNTIL(&p, p.srv.closed);
	ASSERT_TRUE(p.srv.closed);
	ASSERT_EQ(p.srv.code, 1006);
	pair_close(&p);
}

static void test_group_frees_lingering(void)
{
	struct pair p;
	struct ws_conn_group g = { NULL };

	ASSERT_EQ(pair_open(&p, true), 0);
	ws_conn_set_group(p.srv.c, &g);
	/* The peer never answers our close: the connection lingers until the group goes. */
	ws_conn_shutdown(p.srv.c, WS_CLOSE_NORMAL, NULL);
	p.srv.c = NULL;
	loop_run_once(p.l, 0);
	ASSERT_TRUE(g.head != NULL);
	ws_conn_group_abort(&g);
	ASSERT_TRUE(g.head == NULL);
	pair_close(&p);
}

int main(void)
{
	RUN(test_messages_both_ways);
	RUN(test_pause_holds_the_peer_back);
	RUN(test_close_handshake);
	RUN(test_ping_and_protocol_error);
	RUN(test_hangup_is_abnormal);
	RUN(test_group_frees_lingering);
	return test_summary();
}
