/* ctlcfg.h - controller config: settings fixed for a controller at bootstrap
 * (`cairnd --config key=value`, `cairn bootstrap --config key=value`) and kept in its store.
 *
 *   api-port                   TCP port remote machine agents connect to (TLS); 0 lets the
 *                              kernel pick one at bootstrap, which is then kept (default 17070)
 *   api-address                address that port listens on and add-machine advertises
 *                              ("" = every address; the advertised one is then the host's first)
 *   leadership-lease-duration  how long a leader's lease lasts without its agent (default 1m;
 *                              an agent claims it for half of that after each answered ping)
 *   hook-timeout               a hook running longer is killed and fails (default 1h, 0 = never)
 *   agent-hello-timeout        a new agent connection that has not said hello (or joined) by
 *                              then is closed (default 10s, 100ms to 10m)
 *
 * Values are checked when set; reading a key always yields a valid value. */
#ifndef CAIRN_CTLCFG_H
#define CAIRN_CTLCFG_H

#include <stdint.h>

#include "cairnd/model.h"
#include "lib/errbuf.h"

struct ctlcfg {
	int api_port;
	char api_address[64];
	int64_t lease_ms;
	int64_t hook_timeout_ms;
	int64_t hello_timeout_ms;
};

/* Checks key=value ("unknown controller config key", "invalid duration").  0 or -EINVAL. */
int ctlcfg_check(const char *key, const char *value, struct errbuf *eb);
/* Reads the effective values. */
void ctlcfg_read(struct model *m, struct ctlcfg *ret);

#endif
