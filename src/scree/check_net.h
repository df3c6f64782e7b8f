/* check_net.h - dialing a TCP address for the TCP and HTTP probes without blocking the
 * loop: name resolution, then a non-blocking connect to each resolved address in turn.
 *
 * Numeric hosts are used as they are.  Any other name is resolved by a short-lived child
 * process (getaddrinfo may read files and query DNS servers, which would block the
 * daemon's only thread); its answer arrives on a pipe the loop watches.  Errors read as
 * Go's net.Dial writes them, since they end up in check details that users compare with
 * Pebble's: "dial tcp 127.0.0.1:8080: connect: connection refused",
 * "dial tcp [::1]:80: connect: cannot assign requested address",
 * "dial tcp: lookup nosuchhost: no such host".  When every address fails, the first
 * address's error is reported, as Go does. */
#ifndef SCREE_CHECK_NET_H
#define SCREE_CHECK_NET_H

#include <stdint.h>

#include "lib/loop.h"

#define NET_MAX_ADDRS 16           /* resolved addresses tried */
#define NET_HOST_MAX 255           /* bytes in a host name */

struct net_dial;

/* fd >= 0: connected (non-blocking, CLOEXEC; the callee owns it), err NULL.  fd < 0: err is
 * the failure (borrowed for the call).  Called once, and never from inside net_dial_start. */
typedef void (*net_dial_cb)(void *data, int fd, const char *err);

/* Starts dialing host:port (host may be an IPv6 literal, with or without brackets; a port
 * outside 1-65535 fails as Go's "dial tcp: address 70000: invalid port").
 * Never fails to start: problems are reported through cb. */
struct net_dial *net_dial_start(struct loop *l, const char *host, int64_t port, net_dial_cb cb, void *data);
/* Stops dialing (cb is not called) and frees d; NULL is ignored. */
void net_dial_cancel(struct net_dial *d);

/* "host:port" as Go's net.JoinHostPort writes it ("[::1]:80" for IPv6). */
void net_join_host_port(const char *host, int port, char *out, size_t n);

#endif
