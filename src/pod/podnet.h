/* podnet.h - a pod's network: its own network namespace (iproute2's `ip netns`), brought up
 * with Debian's CNI plugins (loopback, then the network's plugin chain: bridge + host-local),
 * and torn down with CNI DEL.
 *
 * Plugins are run as the CNI spec says: the command, container id, netns path, interface
 * name and plugin directory in CNI_* variables, the network configuration on stdin, the
 * result (or a CNI error object) on stdout.  Chained plugins get the previous plugin's result
 * as prevResult; DEL runs the chain in reverse with the cached ADD result.  The final result
 * is cached atomically in a file the caller names, so a restarted supervisor finds the pod's
 * address without asking the plugins again, and DEL after a crash still has what it needs.
 *
 * Every step is a child process (tool.h); a request reports once through its callback. */
#ifndef CAIRN_POD_PODNET_H
#define CAIRN_POD_PODNET_H

#include <jansson.h>

#include "cni.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define PODNET_NETNS_DIR "/run/netns"
#define PODNET_NETNS_NAME_MAX 48
#define PODNET_TOOL_TIMEOUT_MS 30000

/* The network every pod of a runtime joins (one per runtime). */
struct podnet {
	char *cni_dir;          /* plugin directory (CNI_PATH) */
	char *ip;               /* the iproute2 `ip` binary */
	char *bridge;           /* the host bridge the plugin creates */
	json_t *conflist;       /* the network configuration list */
	json_t *loopback;       /* the loopback network configuration */
};

struct podnet_req;

/* status 0: res is the pod's address (attach) or NULL (detach).  Else a negative errno and
 * msg naming the failed step and the tool's reason (a CNI error's msg and details). */
typedef void (*podnet_cb)(void *data, int status, const struct cni_result *res, const char *msg);

/* Builds the runtime's network from o (checked: see cni_net_check) and writes its
 * configuration list to conflist_path (for operators to read).  Returns 0 or -errno. */
int podnet_init(struct podnet *n, const struct cni_net_opts *o, const char *cni_dir, const char *ip,
		const char *conflist_path, struct errbuf *eb);
void podnet_done(struct podnet *n);

/* Checks a netns name: [A-Za-z0-9_.-], at most PODNET_NETNS_NAME_MAX characters. */
int podnet_netns_name_ok(const char *name);

/* Attaches the pod: creates netns `name` unless it exists, then, unless result_path already
 * holds a result for an existing namespace (adoption), runs CNI DEL (to clear a half-done
 * earlier attach) and CNI ADD for loopback and the network, and caches the result.  The
 * callback is never called from inside this call. */
int podnet_attach(struct loop *l, const struct podnet *n, const char *name, const char *result_path, podnet_cb cb,
		  void *data, struct podnet_req **ret, struct errbuf *eb);

/* Detaches the pod: CNI DEL for the network (in reverse, with the cached result) and
 * loopback, then deletes the namespace and the cached result.  Runs every step even when one
 * fails (so allocations are released even without a namespace); the status is the first
 * failure.  The callback is never called from inside this call. */
int podnet_detach(struct loop *l, const struct podnet *n, const char *name, const char *result_path,
		  podnet_cb cb, void *data, struct podnet_req **ret, struct errbuf *eb);

/* Deletes the network's host bridge (the bridge plugin creates it on the first ADD and never
 * deletes it): for a clean stop once no pod is left.  A bridge already gone is success. */
int podnet_destroy(struct loop *l, const struct podnet *n, podnet_cb cb, void *data, struct podnet_req **ret,
		   struct errbuf *eb);

/* Drops a pending request without its callback (its running step is killed).  NULL ok. */
void podnet_cancel(struct podnet_req *r);

#endif
