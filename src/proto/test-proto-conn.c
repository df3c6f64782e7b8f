/* Unit tests for proto_conn and tls: messages both ways in the clear and over TLS, a client
 * that trusts another CA is refused, pinned verification for joins, malformed input ends the
 * connection with the decoder's message, and a peer that stops reading is cut off at the
 * output limit.  Both ends live in this process; the test steps the loop. */
#include "proto/proto_conn.h"
#include "proto/tls.h"
#include "lib/fsutil.h"
#include "lib/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static struct loop *l;

struct side {
	struct proto_conn *c;
	int ready, closed, msgs, drained;
	enum proto_type last;
	int64_t last_id;
	char why[512];
	bool echo; /* answer pings with pongs */
};

static void on_ready(struct proto_conn *c, void *data)
{
	(void)c;
	((struct side *)data)->ready++;
}

static void on_message(struct proto_conn *c, struct proto_msg *m, void *data)
{
	struct side *s = data;
	struct errbuf eb;

	s->msgs++;
	s->last = m->type;
	if (m->type == PROTO_PING) {
		s->last_id = m->u.ping.id;
		if (s->echo) {
			struct proto_msg r;

			proto_msg_init(&r, PROTO_PONG);
			r.u.pong.id = m->u.ping.id;
			proto_conn_send(c, &r, &eb);
		}
	} else if (m->type == PROTO_PONG) {
		s->last_id = m->u.pong.id;
	}
}

static void on_drained(struct proto_conn *c, void *data)
{
	(void)c;
	((struct side *)data)->drained++;
}

static void on_closed(struct proto_conn *c, const char *why, void *data)
{
	struct side *s = data;

	(void)c;
	s->closed++;
	s->c = NULL;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static const struct proto_conn_cbs cbs = { on_ready, on_message, on_closed, NULL, on_drained };

static void open_pair(struct side *srv, struct side *cli, SSL_CTX *sctx, SSL_CTX *cctx)
{
	int sv[2];
	struct errbuf eb;
	struct proto_conn_cbs sc = cbs, cc = cbs;
	struct proto_conn_opts so = { .in = PROTO_TO_CONTROLLER, .tls = sctx, .tls_server = true };
	struct proto_conn_opts co = { .in = PROTO_TO_AGENT, .tls = cctx };

	memset(srv, 0, sizeof(*srv));
	memset(cli, 0, sizeof(*cli));
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
	sc.data = srv;
	cc.data = cli;
	proto_conn_new(l, sv[0], &so, &sc, &srv->c, &eb);
	proto_conn_new(l, sv[1], &co, &cc, &cli->c, &eb);
}

static void step(int n)
{
	for (int i = 0; i < n; i++)
		loop_run_once(l, 10);
}

static void ping(struct side *cli, int64_t id)
{
	struct proto_msg m;
	struct errbuf eb;

	proto_msg_init(&m, PROTO_PING);
	m.u.ping.id = id;
	proto_conn_send(cli->c, &m, &eb);
}

static char *tmpdir(void)
{
	char t[] = "/tmp/test-proto-conn-XXXXXX";

	return xstrdup(mkdtemp(t));
}

static char *read_all(const char *path)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	fs_read_file(path, 1 << 20, &b);
	return buf_detach(&b);
}

static void test_clear(void)
{
	struct side srv, cli;

	open_pair(&srv, &cli, NULL, NULL);
	srv.echo = true;
	ASSERT_EQ(srv.ready, 1);
	ASSERT_EQ(cli.ready, 1);
	ping(&cli, 7);
	step(5);
	ASSERT_EQ(srv.last, PROTO_PING);
	ASSERT_EQ(cli.last, PROTO_PONG);
	ASSERT_EQ(cli.last_id, 7);
	proto_conn_free(srv.c);
	step(5);
	ASSERT_EQ(cli.closed, 1);
	ASSERT_CONTAINS(cli.why, "closed by peer");
	ASSERT_EQ(srv.closed, 0); /* freed by its owner: no callback */
}

static void test_tls(void)
{
	char *d1 = tmpdir(), *d2 = tmpdir();
	char *p, *ca, *ca2, fp[TLS_FINGERPRINT_HEX];
	struct errbuf eb;
	SSL_CTX *sctx, *cctx, *bad, *pinned;
	struct side srv, cli;

	ASSERT_EQ(tls_bootstrap(d1, &eb), 0);
	ASSERT_EQ(tls_bootstrap(d1, &eb), 0); /* idempotent: keeps what exists */
	ASSERT_EQ(tls_bootstrap(d2, &eb), 0);
	p = xasprintf("%s/ca.key", d1);
	struct stat st;
	ASSERT_EQ(stat(p, &st), 0);
	ASSERT_EQ(st.st_mode & 0777, 0600);
	free(p);
	p = xasprintf("%s/server.pem", d1);
	char *k = xasprintf("%s/server.key", d1);
	sctx = tls_server_ctx(p, k, &eb);
	ASSERT_TRUE(sctx != NULL);
	free(p);
	free(k);
	p = xasprintf("%s/ca.crt", d1);
	ca = read_all(p);
	ASSERT_EQ(tls_fingerprint_file(p, fp, &eb), 0);
	free(p);
	p = xasprintf("%s/ca.crt", d2);
	ca2 = read_all(p);
	free(p);
	cctx = tls_client_ctx(ca, &eb);
	bad = tls_client_ctx(ca2, &eb);
	pinned = tls_client_ctx(NULL, &eb);
	ASSERT_TRUE(cctx && bad && pinned);

	/* The right CA: messages flow. */
	open_pair(&srv, &cli, sctx, cctx);
	srv.echo = true;
	step(10);
	ASSERT_EQ(srv.ready, 1);
	ASSERT_EQ(cli.ready, 1);
	ping(&cli, 9);
	step(10);
	ASSERT_EQ(cli.last_id, 9);
	proto_conn_free(cli.c);
	proto_conn_free(srv.c);
	step(2);

	/* Another controller's CA: the handshake fails. */
	open_pair(&srv, &cli, sctx, bad);
	step(10);
	ASSERT_EQ(cli.closed, 1);
	ASSERT_CONTAINS(cli.why, "TLS handshake failed");
	ASSERT_EQ(cli.ready, 0);
	if (srv.c)
		proto_conn_free(srv.c);
	step(2);

	/* Pinned (join): the fingerprint decides, before anything is sent. */
	open_pair(&srv, &cli, sctx, pinned);
	step(10);
	ASSERT_EQ(cli.ready, 1);
	char *got = NULL;
	ASSERT_EQ(tls_verify_pinned(proto_conn_ssl(cli.c), fp, &got, &eb), 0);
	ASSERT_STREQ(got, ca);
	free(got);
	char wrong[TLS_FINGERPRINT_HEX];
	memcpy(wrong, fp, sizeof(wrong));
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	ASSERT_EQ(tls_verify_pinned(proto_conn_ssl(cli.c), wrong, &got, &eb), -EPERM);
	ASSERT_CONTAINS(eb.msg, "does not match the join token");
	proto_conn_free(cli.c);
	proto_conn_free(srv.c);
	step(2);

	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	SSL_CTX_free(bad);
	SSL_CTX_free(pinned);
	free(ca);
	free(ca2);
	fs_rm_rf(d1);
	fs_rm_rf(d2);
	free(d1);
	free(d2);
}

static void test_malformed(void)
{
	int sv[2];
	struct side srv;
	struct errbuf eb;
	struct proto_conn_cbs sc = cbs;
	struct proto_conn_opts so = { .in = PROTO_TO_CONTROLLER };

	memset(&srv, 0, sizeof(srv));
	sc.data = &srv;
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
	proto_conn_new(l, sv[0], &so, &sc, &srv.c, &eb);
	/* A valid ping, then a frame with a bad field. */
	const char good[] = "\0\0\0\x16{\"type\":\"ping\",\"id\":1}";
	const char bad[] = "\0\0\0\x18{\"type\":\"ping\",\"id\":\"x\"}";
	ASSERT_EQ(write(sv[1], good, sizeof(good) - 1), (ssize_t)sizeof(good) - 1);
	ASSERT_EQ(write(sv[1], bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	step(5);
	ASSERT_EQ(srv.msgs, 1);
	ASSERT_EQ(srv.closed, 1);
	ASSERT_CONTAINS(srv.why, "ping: field \"id\": expected an integer");
	close(sv[1]);
}

static void test_slow_reader(void)
{
	struct side srv;
	struct proto_msg m;
	struct errbuf eb;
	struct proto_conn_cbs sc = cbs;
	struct proto_conn_opts so = { .in = PROTO_TO_CONTROLLER };
	char *big = xcalloc(PROTO_TEXT_MAX + 1, 1);
	int sv[2], r = 0, n = 0;

	memset(&srv, 0, sizeof(srv));
	sc.data = &srv;
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
	proto_conn_new(l, sv[0], &so, &sc, &srv.c, &eb);
	/* sv[1] is a peer that never reads. */
	memset(big, 'z', PROTO_TEXT_MAX);
	proto_msg_init(&m, PROTO_REFUSED);
	m.u.refused.error = big;
	while (r == 0 && n < 100000) {
		r = proto_conn_send(srv.c, &m, &eb);
		if (n++ % 16 == 0)
			step(1);
	}
	ASSERT_EQ(r, -ENOBUFS);
	ASSERT_TRUE(proto_conn_pending(srv.c) >= PROTO_CONN_MAX_OUT);
	ASSERT_EQ(proto_conn_send(srv.c, &m, &eb), -ENOTCONN);
	step(3);
	ASSERT_EQ(srv.closed, 1);
	ASSERT_CONTAINS(srv.why, "not reading");
	close(sv[1]);
	free(big);
}

/* Backpressure: the owner that asked is told once the queue is down to the low water mark. */
static void test_drained(void)
{
	struct side srv;
	struct proto_msg m;
	struct errbuf eb;
	struct proto_conn_cbs sc = cbs;
	struct proto_conn_opts so = { .in = PROTO_TO_CONTROLLER };
	char *big = xcalloc(PROTO_TEXT_MAX + 1, 1), sink[65536];
	int sv[2];

	memset(&srv, 0, sizeof(srv));
	sc.data = &srv;
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
	proto_conn_new(l, sv[0], &so, &sc, &srv.c, &eb);
	memset(big, 'z', PROTO_TEXT_MAX);
	proto_msg_init(&m, PROTO_REFUSED);
	m.u.refused.error = big;
	while (proto_conn_pending(srv.c) < 4 * PROTO_CONN_LOW_WATER) {
		ASSERT_EQ(proto_conn_send(srv.c, &m, &eb), 0);
		step(1);
	}
	proto_conn_want_drained(srv.c);
	step(3);
	ASSERT_EQ(srv.drained, 0); /* the peer reads nothing yet */
	while (!srv.drained) {
		ASSERT_TRUE(read(sv[1], sink, sizeof(sink)) > 0 || errno == EAGAIN);
		step(1);
	}
	ASSERT_TRUE(proto_conn_pending(srv.c) <= PROTO_CONN_LOW_WATER);
	/* Once per request; with little queued it comes at once (from the loop). */
	step(3);
	ASSERT_EQ(srv.drained, 1);
	proto_conn_want_drained(srv.c);
	ASSERT_EQ(srv.drained, 1);
	step(1);
	ASSERT_EQ(srv.drained, 2);
	ASSERT_EQ(srv.closed, 0);
	proto_conn_free(srv.c);
	close(sv[1]);
	free(big);
}

int main(void)
{
	if (loop_new(&l) < 0)
		return 1;
	RUN(test_clear);
	RUN(test_tls);
	RUN(test_malformed);
	RUN(test_slow_reader);
	RUN(test_drained);
	loop_free(l);
	return test_summary();
}
