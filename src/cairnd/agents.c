/* agents.c - the controller end of the agent protocol: machines, connections, listening,
 * leases, units removed by force, removal of machines and teardown; see agents.h.  The goals
 * (agents_goals.c), authentication (agents_auth.c) and the messages of an authenticated agent
 * (agents_msgs.c) are beside it. */
#include "cairnd/agents_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cairnd/idle.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/msg.h"

/* ---- machines ---- */

static void on_gone(struct loop_timer *t, void *data);

struct mrt *agents_mrt_get(struct agents *s, int id)
{
	char name[16];
	struct mrt *mr;

	snprintf(name, sizeof(name), "%d", id);
	mr = hmap_get(&s->machines, name);
	if (mr)
		return mr;
	mr = xcalloc(1, sizeof(*mr));
	mr->s = s;
	mr->id = id;
	snprintf(mr->name, sizeof(mr->name), "%s", name);
	mr->last_seen_ms = loop_now_ms();
	mr->since_ns = loop_wall_ns();
	mr->gone = loop_timer_new(C(s)->l, on_gone, mr);
	hmap_init(&mr->removing);
	/* A machine whose agent does not come (back) within a lease is lost. */
	loop_timer_arm_in(mr->gone, (uint64_t)C(s)->cfg.lease_ms);
	hmap_put(&s->machines, mr->name, mr);
	return mr;
}

bool agents_local_torn_down(struct agents *s)
{
	return s->local_torn_down;
}

bool agents_connected(struct agents *s, int machine)
{
	struct mrt *mr = agents_mrt_get(s, machine);

	return mr->conn != NULL;
}

bool agents_lost(struct agents *s, int machine)
{
	return agents_mrt_get(s, machine)->lost;
}

uint64_t agents_since_ns(struct agents *s, int machine)
{
	return agents_mrt_get(s, machine)->since_ns;
}

json_t *agents_stats(struct agents *s, int machine)
{
	return agents_mrt_get(s, machine)->stats;
}

/* ---- connections ---- */

/* The machine's agent came or went: its units' idle bits follow.  A new connection starts
 * from nothing known: progress reported over an earlier one (perhaps by an agent that has
 * since died) says nothing about what this agent does. */
void agents_machine_connected(struct agents *s, struct mrt *mr, bool up)
{
	struct model *m = C(s)->m;
	struct model_machine *mc = model_find_machine(m, mr->id);

	if (!mc)
		return;
	mc->connected = up;
	if (up)
		for (size_t i = 0; i < m->n_apps; i++)
			for (size_t k = 0; k < m->apps[i]->n_units; k++) {
				struct model_unit *u = m->apps[i]->units[k];

				if (u->machine == mr->id) {
					u->progress = PROGRESS_UNKNOWN;
					u->progress_gen = 0;
					u->settled = false;
				}
			}
	idle_update_machine(m, mc);
}

void agents_conn_send(struct aconn *k, const struct proto_msg *m)
{
	struct errbuf eb;

	if (proto_conn_send(k->pc, m, &eb) == -EMSGSIZE)
		ctl_log(C(k->s), "controller", "ERROR", "cairn.agents", "machine %s: %s",
			k->m ? k->m->name : "?", eb.msg);
}

void agents_conn_cleanup(struct aconn *k)
{
	struct agents *s = k->s;

	for (struct hmap_iter it = hmap_iter(&k->apps); hmap_next(&it);) {
		struct sent_app *a = it.value;

		free(a->name);
		free(a);
	}
	for (struct hmap_iter it = hmap_iter(&k->acks); hmap_next(&it);) {
		struct pending_ack *a = it.value;

		free(a->unit);
		free(a);
	}
	for (struct hmap_iter it = hmap_iter(&k->digests); hmap_next(&it);)
		free(it.value);
	hmap_done(&k->apps);
	hmap_done(&k->acks);
	hmap_done(&k->digests);
	loop_timer_free(k->hello_timer);
	if (k->prev)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	s->n_conns--;
	if (k->m && k->m->conn == k) {
		struct mrt *mr = k->m;
		uint64_t now = loop_now_ms(), seen = now - mr->last_seen_ms;
		uint64_t lease = (uint64_t)C(s)->cfg.lease_ms;

		mr->conn = NULL;
		mr->since_ns = loop_wall_ns();
		agents_machine_connected(s, mr, false);
		/* Its units' leases run out one lease after the agent was last heard from. */
		loop_timer_arm_in(mr->gone, seen >= lease ? 0 : lease - seen);
		ctl_log(C(s), "controller", "INFO", "cairn.agents", "machine %s agent disconnected", mr->name);
		ctl_waiters_check(C(s));
	}
	/* The proto_conn is freed by itself (closed) or by whoever called this. */
	free(k);
}

void agents_conn_close(struct aconn *k)
{
	proto_conn_free(k->pc);
	agents_conn_cleanup(k);
}

void agents_refuse(struct aconn *k, const char *why)
{
	struct proto_msg m;

	proto_msg_init(&m, PROTO_REFUSED);
	m.u.refused.error = why;
	agents_conn_send(k, &m);
	proto_conn_finish(k->pc);
	k->pc = NULL;
	agents_conn_cleanup(k);
}

static void on_closed(struct proto_conn *pc, const char *why, void *data)
{
	struct aconn *k = data;

	struct agents *s = k->s;

	(void)pc;
	if (k->m)
		ctl_log(C(s), "controller", "INFO", "cairn.agents", "machine %s agent: %s", k->m->name, why);
	k->pc = NULL;
	agents_conn_cleanup(k);
	agents_check_teardown(s);
}

/* ---- listening ---- */

static void on_hello_timeout(struct loop_timer *t, void *data);

static void accept_on(struct agents *s, int lfd, bool tcp)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct proto_conn_cbs cbs = { NULL, agents_on_message, on_closed, NULL, agents_on_drained };
		struct proto_conn_opts o = { .in = PROTO_TO_CONTROLLER, .tls = tcp ? s->tls : NULL,
					     .tls_server = true };
		struct errbuf eb;
		struct aconn *k;

		if (fd < 0)
			return;
		if (s->n_conns >= AGENTS_MAX_CONNS) {
			close(fd);
			continue;
		}
		k = xcalloc(1, sizeof(*k));
		k->s = s;
		k->tcp = tcp;
		hmap_init(&k->apps);
		hmap_init(&k->acks);
		hmap_init(&k->digests);
		if (tcp) {
			char ip[INET6_ADDRSTRLEN] = "?";

			if (sa.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, ip, sizeof(ip));
			else if (sa.ss_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, ip, sizeof(ip));
			snprintf(k->peer, sizeof(k->peer), "%s", ip);
			int one = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		} else {
			snprintf(k->peer, sizeof(k->peer), "local socket");
		}
		cbs.data = k;
		k->hello_timer = loop_timer_new(C(s)->l, on_hello_timeout, k);
		/* controller config agent-hello-timeout */
		loop_timer_arm_in(k->hello_timer, (uint64_t)C(s)->cfg.hello_timeout_ms);
		k->next = s->conns;
		if (s->conns)
			s->conns->prev = k;
		s->conns = k;
		s->n_conns++;
		if (proto_conn_new(C(s)->l, fd, &o, &cbs, &k->pc, &eb) < 0) {
			k->pc = NULL;
			agents_conn_cleanup(k);
		}
	}
}

static void on_hello_timeout(struct loop_timer *t, void *data)
{
	struct aconn *k = data;

	(void)t;
	ctl_log(C(k->s), "controller", "WARNING", "cairn.agents",
		"closed a connection from %s that did not say hello within %lld ms", k->peer,
		(long long)C(k->s)->cfg.hello_timeout_ms);
	agents_conn_close(k);
}

static void on_unix_accept(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	(void)io;
	(void)ev;
	accept_on(data, fd, false);
}

static void on_tcp_accept(struct loop_io *io, int fd, uint32_t ev, void *data)
{
	(void)io;
	(void)ev;
	accept_on(data, fd, true);
}

/* The host's first non-loopback IPv4 address, for what add-machine prints. */
static void host_address(char *out, size_t n)
{
	struct ifaddrs *ifs = NULL;

	snprintf(out, n, "127.0.0.1");
	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
		    (i->ifa_flags & IFF_UP)) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out, (socklen_t)n);
			break;
		}
	}
	freeifaddrs(ifs);
}

static int listen_tcp(struct agents *s, const char *tls_dir, struct errbuf *eb)
{
	struct controller *c = C(s);
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1, af = AF_INET;
	char *chain = xasprintf("%s/server.pem", tls_dir), *key = xasprintf("%s/server.key", tls_dir);
	char *ca = xasprintf("%s/ca.crt", tls_dir);
	struct buf b = BUF_INIT;

	buf_init(&b);
	s->tls = tls_server_ctx(chain, key, eb);
	if (s->tls && fs_read_file(ca, 1 << 20, &b) == 0 && tls_fingerprint_pem(b.data, s->ca_fp, eb) == 0)
		s->ca_pem = buf_detach(&b);
	buf_done(&b);
	free(chain);
	free(key);
	free(ca);
	if (!s->tls || !s->ca_pem) {
		snprintf(s->tcp_why, sizeof(s->tcp_why), "no TLS certificate: %.200s", eb->msg);
		return -EIO;
	}
	memset(&sa, 0, sizeof(sa));
	if (c->cfg.api_address[0] && strchr(c->cfg.api_address, ':')) {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&sa;

		af = AF_INET6;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)c->cfg.api_port);
		inet_pton(AF_INET6, c->cfg.api_address, &v6->sin6_addr);
		len = sizeof(*v6);
	} else {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&sa;

		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)c->cfg.api_port);
		if (c->cfg.api_address[0])
			inet_pton(AF_INET, c->cfg.api_address, &v4->sin_addr);
		else
			v4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*v4);
	}
	fd = socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 512) < 0) {
		snprintf(s->tcp_why, sizeof(s->tcp_why), "cannot listen on port %d: %s", c->cfg.api_port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	int port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port :
						    ((struct sockaddr_in *)&sa)->sin_port);
	if (c->cfg.api_port == 0) {
		/* The kernel picked the port: keep it, so agents find the controller again after
		 * a restart. */
		char p[16];

		snprintf(p, sizeof(p), "%d", port);
		if (model_ctlcfg_set(c->m, "api-port", p, eb) == 0)
			c->cfg.api_port = port;
	}
	char addr[64];

	if (c->cfg.api_address[0])
		snprintf(addr, sizeof(addr), "%s", c->cfg.api_address);
	else
		host_address(addr, sizeof(addr));
	snprintf(s->tcp_address, sizeof(s->tcp_address), strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
	s->tcp_fd = fd;
	s->tcp_io = loop_io_new(c->l, fd, EPOLLIN, on_tcp_accept, s);
	return 0;
}

int agents_new(struct controller *c, const char *unix_path, const char *tls_dir,
	       struct agents **ret, struct errbuf *eb)
{
	struct agents *s = xcalloc(1, sizeof(*s));
	struct errbuf teb;

	s->c = c;
	s->tcp_fd = -1;
	hmap_init(&s->machines);
	hmap_init(&s->dirty_apps);
	s->unix_path = xstrdup(unix_path);
	s->unix_fd = msg_listen_unix(unix_path, 0600, eb);
	if (s->unix_fd < 0) {
		int r = s->unix_fd;

		free(s->unix_path);
		free(s);
		return r;
	}
	s->unix_io = loop_io_new(c->l, s->unix_fd, EPOLLIN, on_unix_accept, s);
	model_set_batch_failed(c->m, agents_on_batch_failed, s);
	errbuf_clear(&teb);
	if (listen_tcp(s, tls_dir, &teb) < 0)
		ctl_log(c, "controller", "WARNING", "cairn.agents",
			"remote machines cannot connect: %s", s->tcp_why);
	/* Every machine starts with a lease's grace: its agent connects, or it is lost. */
	for (size_t i = 0; i < c->m->n_machines; i++)
		agents_mrt_get(s, c->m->machines[i]->id);
	*ret = s;
	return 0;
}

void agents_free(struct agents *s)
{
	if (!s)
		return;
	/* Say what is queued (acks, goals) before closing. */
	agents_flush(s);
	for (struct aconn *k = s->conns; k; k = k->next)
		proto_conn_flush_sync(k->pc, 1000);
	while (s->conns)
		agents_conn_close(s->conns);
	for (struct hmap_iter it = hmap_iter(&s->machines); hmap_next(&it);) {
		struct mrt *mr = it.value;

		loop_timer_free(mr->gone);
		json_decref(mr->stats);
		agents_removing_clear_all(mr);
		hmap_done(&mr->removing);
		free(mr);
	}
	hmap_done(&s->machines);
	hmap_done(&s->dirty_apps);
	loop_io_free(s->unix_io);
	if (s->unix_fd >= 0)
		close(s->unix_fd);
	unlink(s->unix_path);
	loop_io_free(s->tcp_io);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	SSL_CTX_free(s->tls);
	loop_timer_free(s->teardown_timer);
	free(s->ca_pem);
	free(s->unix_path);
	free(s);
}

const char *agents_tcp_address(struct agents *s, const char **why)
{
	if (s->tcp_address[0])
		return s->tcp_address;
	*why = s->tcp_why[0] ? s->tcp_why : "remote machines are not supported";
	return NULL;
}

const char *agents_ca_fingerprint(struct agents *s)
{
	return s->ca_fp;
}

/* ---- leases ---- */

static void on_gone(struct loop_timer *t, void *data)
{
	struct mrt *mr = data;
	struct agents *s = mr->s;
	struct controller *c = C(s);

	(void)t;
	if (mr->conn) {
		/* Connected but silent for a whole lease (stopped, or a dead link the kernel has
		 * not noticed): it is gone. */
		ctl_log(c, "controller", "WARNING", "cairn.agents",
			"machine %s agent silent for %lld ms: disconnecting it", mr->name,
			(long long)c->cfg.lease_ms);
		agents_conn_close(mr->conn);
	}
	if (mr->lost)
		return;
	mr->lost = true;
	ctl_log(c, "controller", "WARNING", "cairn.agents", "machine %s agent lost", mr->name);
	/* Leases of units on that machine lapse: leadership moves to a unit whose agent is here. */
	for (size_t i = 0; i < c->m->n_apps; i++) {
		struct model_app *a = c->m->apps[i];
		struct model_unit *l = a->leader ? model_find_unit(c->m, a->leader) : NULL;

		if (l && l->machine == mr->id)
			ctl_move_leader(c, a);
	}
	ctl_waiters_check(c);
}

/* ---- units removed by force ---- */

void agents_removing_clear(struct mrt *mr, const char *unit)
{
	char *name = hmap_del(&mr->removing, unit);

	free(name);
}

void agents_removing_clear_all(struct mrt *mr)
{
	for (struct hmap_iter it = hmap_iter(&mr->removing); hmap_next(&it);)
		free(it.value);
	hmap_done(&mr->removing);
	hmap_init(&mr->removing);
}

void agents_unit_removed(struct agents *s, const char *unit, int machine)
{
	struct mrt *mr = agents_mrt_get(s, machine);
	struct proto_msg m;
	char *name;

	if (!mr->conn)
		return; /* the welcome's unit list tells it when it is back */
	proto_msg_init(&m, PROTO_UNIT_REMOVED);
	m.u.unit_removed.unit = unit;
	agents_conn_send(mr->conn, &m);
	/* Until the agent confirms, the unit is not quite gone (wait-for "gone"). */
	name = xstrdup(unit);
	free(hmap_put(&mr->removing, name, name));
}

bool agents_removing(struct agents *s, const char *unit_or_app)
{
	size_t n = strlen(unit_or_app);

	for (struct hmap_iter it = hmap_iter(&s->machines); hmap_next(&it);) {
		struct mrt *mr = it.value;

		if (hmap_get(&mr->removing, unit_or_app))
			return true;
		if (strchr(unit_or_app, '/'))
			continue;
		for (struct hmap_iter r = hmap_iter(&mr->removing); hmap_next(&r);)
			if (!strncmp(r.key, unit_or_app, n) && r.key[n] == '/')
				return true;
	}
	return false;
}

/* ---- removal of machines, teardown ---- */

void agents_machine_removed(struct agents *s, int machine)
{
	struct mrt *mr = agents_mrt_get(s, machine);
	struct proto_msg m;

	if (mr->conn) {
		/* Its credential is gone: the agent destroys what it ran and stops. */
		proto_msg_init(&m, PROTO_TEARDOWN);
		agents_conn_send(mr->conn, &m);
		proto_conn_finish(mr->conn->pc);
		mr->conn->pc = NULL;
		agents_conn_cleanup(mr->conn);
	}
	hmap_del(&s->machines, mr->name);
	loop_timer_free(mr->gone);
	json_decref(mr->stats);
	agents_removing_clear_all(mr);
	hmap_done(&mr->removing);
	free(mr);
}

static void teardown_finish(struct agents *s)
{
	void (*done)(void *) = s->teardown_done;

	if (!done)
		return;
	s->teardown_done = NULL;
	loop_timer_disarm(s->teardown_timer);
	done(s->teardown_data);
}

void agents_check_teardown(struct agents *s)
{
	if (!s || !s->teardown_done)
		return;
	/* Every connected agent, and always the controller's own machine's (it reconnects
	 * if it was restarting). */
	if (!s->local_torn_down)
		return;
	for (struct aconn *k = s->conns; k; k = k->next)
		if (k->m && !k->torn_down)
			return;
	teardown_finish(s);
}

static void on_teardown_timeout(struct loop_timer *t, void *data)
{
	struct agents *s = data;

	(void)t;
	ctl_log(C(s), "controller", "WARNING", "cairn.agents",
		"not every agent confirmed the teardown within %d s", CTL_DESTROY_TIMEOUT_MS / 1000);
	teardown_finish(s);
}

void agents_teardown(struct agents *s, void (*done)(void *data), void *data)
{
	struct proto_msg m;

	s->teardown_done = done;
	s->teardown_data = data;
	s->teardown_timer = loop_timer_new(C(s)->l, on_teardown_timeout, s);
	loop_timer_arm_in(s->teardown_timer, CTL_DESTROY_TIMEOUT_MS);
	proto_msg_init(&m, PROTO_TEARDOWN);
	for (struct aconn *k = s->conns; k; k = k->next)
		if (k->m)
			agents_conn_send(k, &m);
	agents_check_teardown(s);
}
