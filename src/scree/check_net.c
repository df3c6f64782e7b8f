/* check_net.c - non-blocking resolve and connect; see check_net.h. */
#include "check_net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/gofmt.h"

/* What the resolver child writes: one record, small enough for one atomic pipe write. */
struct resolve_reply {
	int32_t gai_err;
	int32_t n;
	struct {
		int32_t len;
		struct sockaddr_in6 sa; /* large enough for IPv4 and IPv6 */
	} addrs[NET_MAX_ADDRS];
};

_Static_assert(sizeof(struct resolve_reply) <= 4096, "resolver reply must fit one pipe write");

struct net_dial {
	struct loop *l;
	char host[NET_HOST_MAX + 1];
	int port;
	net_dial_cb cb;
	void *data;

	/* Resolution. */
	pid_t res_pid;
	int res_fd;
	struct loop_io *res_io;
	struct resolve_reply reply;
	size_t reply_len;

	/* Connecting. */
	struct sockaddr_in6 addrs[NET_MAX_ADDRS];
	socklen_t addr_lens[NET_MAX_ADDRS];
	size_t naddrs, next;
	int fd;
	struct loop_io *io;
	char first_err[ERRBUF_SIZE];

	/* Results found inside net_dial_start are delivered from this timer. */
	struct loop_timer *later;
	int later_fd;
	char later_err[ERRBUF_SIZE];
};

void net_join_host_port(const char *host, int port, char *out, size_t n)
{
	if (strchr(host, ':'))
		snprintf(out, n, "[%s]:%d", host, port);
	else
		snprintf(out, n, "%s:%d", host, port);
}

static void addr_string(const struct sockaddr *sa, int port, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
	net_join_host_port(ip, port, out, n);
}

static void close_resolver(struct net_dial *d)
{
	if (d->res_io) {
		loop_io_free(d->res_io);
		d->res_io = NULL;
	}
	if (d->res_fd >= 0) {
		close(d->res_fd);
		d->res_fd = -1;
	}
	if (d->res_pid > 0) {
		/* Still running (cancelled early): the loop reaps it. */
		loop_kill_child(d->l, d->res_pid, SIGKILL, false);
		d->res_pid = 0;
	}
}

static void close_conn(struct net_dial *d)
{
	if (d->io) {
		loop_io_free(d->io);
		d->io = NULL;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

void net_dial_cancel(struct net_dial *d)
{
	if (!d)
		return;
	close_resolver(d);
	close_conn(d);
	loop_timer_free(d->later);
	if (d->later_fd >= 0)
		close(d->later_fd);
	free(d);
}

/* Delivers the outcome and frees d. */
static void finish(struct net_dial *d, int fd, const char *err)
{
	net_dial_cb cb = d->cb;
	void *data = d->data;
	char copy[ERRBUF_SIZE];

	/* err may live in d, which goes first. */
	if (err)
		snprintf(copy, sizeof(copy), "%s", err);
	if (d->fd == fd)
		d->fd = -1; /* handed over */
	net_dial_cancel(d);
	cb(data, fd, err ? copy : NULL);
}

static void later_cb(struct loop_timer *t, void *data)
{
	struct net_dial *d = data;
	int fd = d->later_fd;
	char err[ERRBUF_SIZE];

	(void)t;
	snprintf(err, sizeof(err), "%s", d->later_err);
	d->later_fd = -1;
	finish(d, fd, fd >= 0 ? NULL : err);
}

static void fail_later(struct net_dial *d, const char *err)
{
	snprintf(d->later_err, sizeof(d->later_err), "%s", err);
	d->later_fd = -1;
	loop_timer_arm_in(d->later, 0);
}

static void try_next(struct net_dial *d, bool in_start);

static void conn_failed(struct net_dial *d, const char *op, int err, bool in_start)
{
	char addr[INET6_ADDRSTRLEN + 16], msg[128];

	addr_string((struct sockaddr *)&d->addrs[d->next - 1], d->port, addr, sizeof(addr));
	if (!d->first_err[0])
		snprintf(d->first_err, sizeof(d->first_err), "dial tcp %s: %s: %s", addr, op,
			 gofmt_strerror(err, msg, sizeof(msg)));
	close_conn(d);
	try_next(d, in_start);
}

static void conn_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct net_dial *d = data;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)io;
	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err) {
		conn_failed(d, "connect", err, false);
		return;
	}
	loop_io_free(d->io);
	d->io = NULL;
	finish(d, fd, NULL);
}

static void try_next(struct net_dial *d, bool in_start)
{
	while (d->next < d->naddrs) {
		struct sockaddr *sa = (struct sockaddr *)&d->addrs[d->next];
		int fd;

		d->next++;
		fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			conn_failed(d, "socket", errno, in_start);
			return;
		}
		d->fd = fd;
		if (connect(fd, sa, d->addr_lens[d->next - 1]) == 0) {
			if (in_start) {
				d->fd = -1;
				d->later_fd = fd;
				loop_timer_arm_in(d->later, 0);
			} else {
				finish(d, fd, NULL);
			}
			return;
		}
		if (errno == EINPROGRESS || errno == EINTR) {
			d->io = loop_io_new(d->l, fd, EPOLLOUT, conn_cb, d);
			return;
		}
		conn_failed(d, "connect", errno, in_start);
		return;
	}
	/* Every address failed. */
	if (in_start)
		fail_later(d, d->first_err);
	else
		finish(d, -1, d->first_err);
}

/* ---- resolution ---- */

static void resolver_child(const char *host, int wfd)
{
	struct resolve_reply r;
	struct addrinfo hints, *res = NULL;
	ssize_t w;

	memset(&r, 0, sizeof(r));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r.gai_err = getaddrinfo(host, NULL, &hints, &res);
	for (struct addrinfo *ai = res; !r.gai_err && ai && r.n < NET_MAX_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(r.addrs[0].sa))
			continue;
		r.addrs[r.n].len = (int32_t)ai->ai_addrlen;
		memcpy(&r.addrs[r.n].sa, ai->ai_addr, ai->ai_addrlen);
		r.n++;
	}
	w = write(wfd, &r, sizeof(r));
	_exit(w == (ssize_t)sizeof(r) ? 0 : 1);
}

static void resolved(struct net_dial *d)
{
	struct resolve_reply *r = &d->reply;
	char msg[ERRBUF_SIZE];

	if (d->reply_len != sizeof(*r)) {
		snprintf(msg, sizeof(msg), "dial tcp: lookup %s: resolver failed", d->host);
		finish(d, -1, msg);
		return;
	}
	if (r->gai_err == EAI_NONAME || r->gai_err == EAI_NODATA || (r->gai_err == 0 && r->n == 0)) {
		snprintf(msg, sizeof(msg), "dial tcp: lookup %s: no such host", d->host);
		finish(d, -1, msg);
		return;
	}
	if (r->gai_err) {
		char e[128];

		snprintf(e, sizeof(e), "%s", gai_strerror(r->gai_err));
		e[0] = (char)tolower((unsigned char)e[0]);
		snprintf(msg, sizeof(msg), "dial tcp: lookup %s: %s", d->host, e);
		finish(d, -1, msg);
		return;
	}
	for (int i = 0; i < r->n && i < NET_MAX_ADDRS; i++) {
		d->addrs[d->naddrs] = r->addrs[i].sa;
		d->addr_lens[d->naddrs] = (socklen_t)r->addrs[i].len;
		((struct sockaddr_in *)&d->addrs[d->naddrs])->sin_port = htons((uint16_t)d->port);
		d->naddrs++;
	}
	try_next(d, false);
}

static void res_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct net_dial *d = data;
	ssize_t n;

	(void)io;
	(void)events;
	for (;;) {
		n = read(fd, (char *)&d->reply + d->reply_len, sizeof(d->reply) - d->reply_len);
		if (n > 0) {
			d->reply_len += (size_t)n;
			if (d->reply_len < sizeof(d->reply))
				continue;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break; /* EOF or error */
	}
	d->res_pid = 0; /* it has answered (or died); the loop reaps it */
	close_resolver(d);
	resolved(d);
}

static void ignore_child(struct loop *l, pid_t pid, int wstatus, void *data)
{
	(void)l;
	(void)pid;
	(void)wstatus;
	(void)data;
}

static int start_resolver(struct net_dial *d, char *err, size_t errlen)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "dial tcp: lookup %s: cannot create pipe: %s", d->host, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "dial tcp: lookup %s: cannot fork resolver: %s", d->host, strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		resolver_child(d->host, p[1]);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	d->res_fd = p[0];
	d->res_pid = pid;
	d->res_io = loop_io_new(d->l, p[0], EPOLLIN, res_cb, d);
	loop_add_child(d->l, pid, loop_pidfd_open(pid), ignore_child, NULL);
	return 0;
}

struct net_dial *net_dial_start(struct loop *l, const char *host, int64_t port, net_dial_cb cb, void *data)
{
	struct net_dial *d = xcalloc(1, sizeof(*d));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&d->addrs[0];
	struct sockaddr_in6 *in6 = &d->addrs[0];
	size_t hl = strlen(host);
	char err[ERRBUF_SIZE];

	d->l = l;
	d->port = port >= 1 && port <= 65535 ? (int)port : 0;
	d->cb = cb;
	d->data = data;
	d->fd = d->res_fd = d->later_fd = -1;
	d->later = loop_timer_new(l, later_cb, d);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host++;
		hl -= 2;
	}
	if (port < 1 || port > 65535) {
		snprintf(err, sizeof(err), "dial tcp: address %lld: invalid port", (long long)port);
		fail_later(d, err);
		return d;
	}
	if (hl == 0 || hl > NET_HOST_MAX) {
		snprintf(err, sizeof(err), "dial tcp: lookup %.*s: invalid host name", (int)(hl > 64 ? 64 : hl), host);
		fail_later(d, err);
		return d;
	}
	memcpy(d->host, host, hl);
	d->host[hl] = '\0';
	if (inet_pton(AF_INET, d->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		d->addr_lens[0] = sizeof(*in4);
		d->naddrs = 1;
		try_next(d, true);
	} else if (inet_pton(AF_INET6, d->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		d->addr_lens[0] = sizeof(*in6);
		d->naddrs = 1;
		try_next(d, true);
	} else if (start_resolver(d, err, sizeof(err)) < 0) {
		fail_later(d, err);
	}
	return d;
}
