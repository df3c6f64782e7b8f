/* check_tcp.c - the TCP probe (§14): passes iff a connection to host:port (host default
 * "localhost") can be opened; the error is the dial error in Go's wording. */
#include "check_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_net.h"
#include "lib/buf.h"

struct tcp_probe {
	struct check_probe base;
	struct net_dial *dial;
	check_probe_cb cb;
	void *data;
};

static void tcp_cancel(struct check_probe *p)
{
	struct tcp_probe *t = (struct tcp_probe *)p;

	net_dial_cancel(t->dial);
	free(t);
}

static const struct check_probe_ops tcp_ops = { .cancel = tcp_cancel };

static void dialed(void *data, int fd, const char *err)
{
	struct tcp_probe *t = data;
	struct check_result r;
	check_probe_cb cb = t->cb;
	void *cbdata = t->data;

	memset(&r, 0, sizeof(r));
	if (fd >= 0) {
		close(fd);
		r.ok = true;
	} else {
		snprintf(r.err, sizeof(r.err), "%s", err);
	}
	free(t);
	cb(cbdata, &r);
}

struct check_probe *check_tcp_start(struct loop *l, const struct plan_tcp_check *tc, check_probe_cb cb,
				    void *data)
{
	struct tcp_probe *t = xcalloc(1, sizeof(*t));

	t->base.ops = &tcp_ops;
	t->cb = cb;
	t->data = data;
	t->dial = net_dial_start(l, tc->host ? tc->host : PLAN_DEFAULT_TCP_HOST, tc->port, dialed, t);
	return &t->base;
}
