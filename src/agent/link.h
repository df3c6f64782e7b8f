/* link.h - the machine agent's connection to its controller, kept up for good.
 *
 * The controller's address is "unix:/path" (the controller's own machine: an owner-only
 * socket, in the clear) or "host:port" (any other machine: TCP with TLS, trusting only the
 * controller's CA).  Connecting never blocks: a non-blocking connect and handshake on the
 * loop.  When the connection fails or drops, the link tries again after a delay that doubles
 * from LINK_RETRY_MIN_MS to LINK_RETRY_MAX_MS (back to the minimum only after a connection
 * that lasted LINK_STABLE_MS, so a controller that keeps dropping us right after the
 * handshake is not hammered); link_reconnect_now() (SIGHUP: a restarted
 * controller asking its agent back) tries at once.  Host names are not resolved here: the
 * address is numeric (cairn-agent join resolves it once). */
#ifndef CAIRN_AGENT_LINK_H
#define CAIRN_AGENT_LINK_H

#include "lib/errbuf.h"
#include "lib/loop.h"
#include "proto/agent_proto.h"

#define LINK_RETRY_MIN_MS 100
#define LINK_RETRY_MAX_MS 5000
#define LINK_STABLE_MS 10000

struct link;

struct link_cbs {
	void (*up)(void *data);
	void (*down)(void *data);
	void (*message)(void *data, const struct proto_msg *m);
	void *data;
};

/* Parses address and starts connecting.  ca_pem is required for TCP.  -EINVAL (eb) for a bad
 * address. */
int link_new(struct loop *l, const char *address, const char *ca_pem, const struct link_cbs *cbs,
	     struct link **ret, struct errbuf *eb);
void link_free(struct link *k);
/* 0, or -ENOTCONN while there is no connection. */
int link_send(struct link *k, const struct proto_msg *m);
/* Drops the connection and tries again after the usual delay. */
void link_reconnect(struct link *k);
/* Tries to connect now if not connected. */
void link_reconnect_now(struct link *k);
/* Writes what is queued, waiting at most timeout_ms (on exit). */
void link_flush(struct link *k, int timeout_ms);

/* Splits "host:port" / "[v6]:port" into a numeric socket address.  -EINVAL (eb) otherwise. */
struct sockaddr_storage;
int link_parse_tcp(const char *address, struct sockaddr_storage *ret, unsigned *ret_len,
		   struct errbuf *eb);

#endif
