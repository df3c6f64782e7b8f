/* netinfo.h - the machine's network as network-get shows it (charm-runtime.md §3.7).
 *
 * netinfo_from_host() reads the host's interfaces (getifaddrs: names, MAC addresses,
 * addresses and netmasks) and builds Juju's network-get document for the default binding:
 *   {"bind-addresses": [{"mac-address", "interface-name", "addresses": [{"hostname": "",
 *     "address", "value", "cidr"}], "macaddress", "interfacename"}],
 *    "egress-subnets": ["<first address>/32"], "ingress-addresses": [address, ...]}
 * Loopback and link-local addresses are left out, IPv4 first, as the machine reports them
 * in hello.  netinfo_from_addresses() builds the same document from a bare address list
 * (no interface details: name and MAC empty, /32 or /128 networks) for machines whose
 * interfaces are not known.  Both return a new reference; with no address the lists are
 * empty. */
#ifndef CAIRN_AGENT_NETINFO_H
#define CAIRN_AGENT_NETINFO_H

#include <jansson.h>

json_t *netinfo_from_host(void);
json_t *netinfo_from_addresses(json_t *addresses);
/* The first ingress address of a document, or NULL (borrowed). */
const char *netinfo_first_address(json_t *doc);

#endif
