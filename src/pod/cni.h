/* cni.h - the CNI documents of a pod network (pure): the network configuration list the pod
 * runtime writes, the per-plugin configuration each plugin reads on stdin, and the results
 * and errors plugins print (CNI spec 1.0.0, as Debian's containernetworking-plugins 1.1
 * speak it).
 *
 * The network is one host bridge with host-local IPAM over one IPv4 subnet, the bridge being
 * the gateway (so the host reaches every pod at its address), no masquerading (pods reach
 * the host and one another, nothing further).  The loopback plugin brings up each pod's lo.
 * host-local keeps its allocations in a directory of the pod store (dataDir), not in
 * /var/lib/cni, so a store removed is an allocation table removed. */
#ifndef CAIRN_POD_CNI_H
#define CAIRN_POD_CNI_H

#include <stddef.h>

#include <jansson.h>

#include "lib/errbuf.h"

#define CNI_VERSION "1.0.0"
#define CNI_IFNAME "eth0"
#define CNI_BRIDGE_NAME_MAX 15     /* IFNAMSIZ - 1 */
#define CNI_ADDR_MAX 64

struct cni_net_opts {
	const char *name;      /* network name ([A-Za-z0-9_.-], also the host-local subdirectory) */
	const char *bridge;    /* host bridge device, at most 15 characters */
	const char *subnet;    /* IPv4 CIDR, prefix length 8..30, e.g. "10.88.0.0/24" */
	const char *ipam_dir;  /* host-local dataDir (absolute) */
};

struct cni_result {
	char address[CNI_ADDR_MAX];   /* the pod's IPv4 address, without prefix: "10.88.0.2" */
	int prefix;                   /* its prefix length */
	char gateway[CNI_ADDR_MAX];   /* "" when the plugin named none */
};

/* Checks the options (names, CIDR).  Returns 0 or -EINVAL with eb naming the field. */
int cni_net_check(const struct cni_net_opts *o, struct errbuf *eb);

/* Returns a new reference: the network configuration list for o (checked first: NULL on
 * bad options, with eb set). */
json_t *cni_conflist(const struct cni_net_opts *o, struct errbuf *eb);

/* The loopback network configuration (new reference). */
json_t *cni_loopback_conf(const char *network_name);

/* Returns the stdin document for plugin i of conflist (new reference): the plugin's own
 * object plus the list's cniVersion and name and, when prev is not NULL, prevResult = prev.
 * NULL when i is out of range or the list is malformed (eb set). */
json_t *cni_plugin_conf(json_t *conflist, size_t i, json_t *prev, struct errbuf *eb);

/* Number of plugins in a conflist (0 when malformed). */
size_t cni_plugin_count(json_t *conflist);

/* Parses a plugin's ADD result: the first IPv4 address on an interface inside the sandbox
 * (or, when the result names no interfaces, the first IPv4 address).  Writes *ret only on
 * success.  Returns 0 or -EBADMSG. */
int cni_result_parse(const char *json, size_t len, struct cni_result *ret, struct errbuf *eb);

/* Writes a plugin's error reason from its stdout ({"code":N,"msg":"...","details":"..."}):
 * "msg: details" or "msg"; "" when stdout holds no CNI error. */
void cni_error_reason(const char *out, size_t len, char *buf, size_t n);

#endif
