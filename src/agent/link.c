/* link.c - the agent's connection to the controller; see link.h. */
#include "agent/link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "proto/proto_conn.h"
#include "proto/tls.h"

struct link {
	struct loop *l;
	struct link_cbs cbs;
	bool is_unix;
	char *path;
	struct sockaddr_storage addr;
	unsigned addr_len;
	SSL_CTX *tls;
	struct proto_conn *conn;
	bool up;
	uint64_t up_since_ms;
	struct loop_timer *retry;
	uint64_t delay_ms;
	char last_error[256];
};

int link_parse_tcp(const char *address, struct sockaddr_storage *ret, unsigned *ret_len,
		   struct errbuf *eb)
{
	char host[256];
	const char *colon, *port_s;
	char *end;
	long port;

	memset(ret, 0, sizeof(*ret));
	if (address[0] == '[') {
		const char *close = strchr(address, ']');

		if (!close || close[1] != ':' || (size_t)(close - address - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(close - address - 1), address + 1);
		port_s = close + 2;
	} else {
		colon = strrchr(address, ':');
		if (!colon || (size_t)(colon - address) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - address), address);
		port_s = colon + 1;
	}
	port = strtol(port_s, &end, 10);
	if (!*port_s || *end || port < 1 || port > 65535)
		goto bad;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ret;

	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*ret_len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*ret_len = sizeof(*v6);
		return 0;
	}
bad:
	errbuf_set(eb, "invalid controller address \"%s\": expected <ip>:<port> or unix:<path>", address);
	return -EINVAL;
}

static void connect_now(struct link *k);

static void schedule(struct link *k)
{
	loop_timer_arm_in(k->retry, k->delay_ms);
	k->delay_ms = k->delay_ms * 2 > LINK_RETRY_MAX_MS ? LINK_RETRY_MAX_MS : k->delay_ms * 2;
}

static void on_ready(struct proto_conn *c, void *data)
{
	struct link *k = data;

	(void)c;
	k->up = true;
	k->up_since_ms = loop_now_ms();
	k->last_error[0] = '\0';
	k->cbs.up(k->cbs.data);
}

static void on_message(struct proto_conn *c, struct proto_msg *m, void *data)
{
	struct link *k = data;

	(void)c;
	k->cbs.message(k->cbs.data, m);
}

static void on_closed(struct proto_conn *c, const char *why, void *data)
{
	struct link *k = data;
	bool was = k->up;

	(void)c;
	k->conn = NULL;
	k->up = false;
	if (strcmp(k->last_error, why)) {
		/* Say each new reason once, not once per retry. */
		fprintf(stderr, "cairn-agent: controller connection: %s\n", why);
		snprintf(k->last_error, sizeof(k->last_error), "%s", why);
	}
	/* A connection the controller drops soon after it came up (it cannot apply what we
	 * send: its disk is full, say) is retried with the growing delay, not at once. */
	if (was && loop_now_ms() - k->up_since_ms >= LINK_STABLE_MS)
		k->delay_ms = LINK_RETRY_MIN_MS;
	if (was)
		k->cbs.down(k->cbs.data);
	schedule(k);
}

static void on_retry(struct loop_timer *t, void *data)
{
	(void)t;
	connect_now(data);
}

static void connect_now(struct link *k)
{
	struct proto_conn_cbs cbs = { on_ready, on_message, on_closed, k, NULL };
	struct proto_conn_opts o = { .in = PROTO_TO_AGENT, .tls = k->tls, .tls_server = false };
	struct errbuf eb;
	int fd, r;

	if (k->conn)
		return;
	if (k->is_unix) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", k->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		r = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		int one = 1;

		fd = socket(k->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		r = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&k->addr, k->addr_len);
	}
	if (r < 0 && errno != EINPROGRESS) {
		char why[256];

		snprintf(why, sizeof(why), "cannot connect: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		if (strcmp(k->last_error, why)) {
			fprintf(stderr, "cairn-agent: controller connection: %s\n", why);
			snprintf(k->last_error, sizeof(k->last_error), "%s", why);
		}
		schedule(k);
		return;
	}
	o.connecting = r < 0;
	if (proto_conn_new(k->l, fd, &o, &cbs, &k->conn, &eb) < 0) {
		k->conn = NULL;
		schedule(k);
	}
}

int link_new(struct loop *l, const char *address, const char *ca_pem, const struct link_cbs *cbs,
	     struct link **ret, struct errbuf *eb)
{
	struct link *k = xcalloc(1, sizeof(*k));

	k->l = l;
	k->cbs = *cbs;
	k->delay_ms = LINK_RETRY_MIN_MS;
	if (!strncmp(address, "unix:", 5)) {
		k->is_unix = true;
		k->path = xstrdup(address + 5);
		if (strlen(k->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			errbuf_set(eb, "controller socket path %s is too long", k->path);
			goto fail;
		}
	} else {
		if (link_parse_tcp(address, &k->addr, &k->addr_len, eb) < 0)
			goto fail;
		if (!ca_pem) {
			errbuf_set(eb, "no CA certificate to check the controller at %s with", address);
			goto fail;
		}
		k->tls = tls_client_ctx(ca_pem, eb);
		if (!k->tls)
			goto fail;
	}
	k->retry = loop_timer_new(l, on_retry, k);
	*ret = k;
	connect_now(k);
	return 0;
fail:
	free(k->path);
	free(k);
	return -EINVAL;
}

void link_free(struct link *k)
{
	if (!k)
		return;
	proto_conn_free(k->conn);
	loop_timer_free(k->retry);
	SSL_CTX_free(k->tls);
	free(k->path);
	free(k);
}

int link_send(struct link *k, const struct proto_msg *m)
{
	struct errbuf eb;
	int r;

	if (!k->conn || !k->up)
		return -ENOTCONN;
	r = proto_conn_send(k->conn, m, &eb);
	if (r == -EMSGSIZE)
		fprintf(stderr, "cairn-agent: %s\n", eb.msg);
	return r == -EMSGSIZE ? 0 : r;
}

void link_reconnect(struct link *k)
{
	bool was = k->up;

	if (k->conn) {
		proto_conn_free(k->conn);
		k->conn = NULL;
	}
	k->up = false;
	if (was)
		k->cbs.down(k->cbs.data);
	if (!loop_timer_armed(k->retry))
		schedule(k);
}

void link_reconnect_now(struct link *k)
{
	if (k->conn)
		return;
	loop_timer_disarm(k->retry);
	k->delay_ms = LINK_RETRY_MIN_MS;
	connect_now(k);
}

void link_flush(struct link *k, int timeout_ms)
{
	if (k && k->conn)
		proto_conn_flush_sync(k->conn, timeout_ms);
}
