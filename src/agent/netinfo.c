/* netinfo.c - network-get's document from the host's interfaces; see netinfo.h. */
#include "agent/netinfo.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The network of addr under mask, as "a.b.c.d/n" (or the IPv6 form). */
static void network_cidr(int family, const void *addr, const void *mask, char out[INET6_ADDRSTRLEN + 16])
{
	unsigned char a[16], m[16];
	size_t len = family == AF_INET ? 4 : 16;
	int bits = 0;
	char txt[INET6_ADDRSTRLEN] = "";

	memcpy(a, addr, len);
	if (mask)
		memcpy(m, mask, len);
	else
		memset(m, 0xff, len);
	for (size_t i = 0; i < len; i++) {
		a[i] &= m[i];
		for (int b = 7; b >= 0; b--)
			bits += (m[i] >> b) & 1;
	}
	inet_ntop(family, a, txt, sizeof(txt));
	snprintf(out, INET6_ADDRSTRLEN + 16, "%s/%d", txt, bits & 0xff);
}

static json_t *address_entry(const char *addr, const char *cidr)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "hostname", "", "address", addr, "value", addr, "cidr",
			 cidr);
}

static json_t *interface_entry(const char *name, const char *mac)
{
	return json_pack("{s:s, s:s, s:[], s:s, s:s}", "mac-address", mac, "interface-name", name,
			 "addresses", "macaddress", mac, "interfacename", name);
}

/* Appends addr to the document (its interface entry created on first use). */
static void doc_add(json_t *doc, const char *ifname, const char *mac, const char *addr,
		    const char *cidr, int family)
{
	json_t *binds = json_object_get(doc, "bind-addresses"), *e, *found = NULL;
	json_t *ingress = json_object_get(doc, "ingress-addresses");
	size_t i;

	json_array_foreach(binds, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "interface-name")), ifname))
			found = e;
	if (!found) {
		found = interface_entry(ifname, mac);
		json_array_append_new(binds, found);
	}
	json_array_append_new(json_object_get(found, "addresses"), address_entry(addr, cidr));
	/* IPv4 before IPv6 among the ingress addresses, as the machine reports them. */
	if (family == AF_INET) {
		size_t at = 0;

		json_array_foreach(ingress, i, e)
			if (!strchr(json_string_value(e), ':'))
				at = i + 1;
		json_array_insert_new(ingress, at, json_string(addr));
	} else {
		json_array_append_new(ingress, json_string(addr));
	}
}

static json_t *doc_finish(json_t *doc)
{
	const char *first = netinfo_first_address(doc);

	if (first)
		json_array_append_new(json_object_get(doc, "egress-subnets"),
				      json_sprintf("%s/%d", first, strchr(first, ':') ? 128 : 32));
	return doc;
}

static json_t *doc_new(void)
{
	return json_pack("{s:[], s:[], s:[]}", "bind-addresses", "egress-subnets", "ingress-addresses");
}

json_t *netinfo_from_host(void)
{
	struct ifaddrs *ifs = NULL;
	json_t *doc = doc_new();

	if (getifaddrs(&ifs) < 0)
		return doc_finish(doc);
	for (int pass = 0; pass < 2; pass++) {
		int want = pass == 0 ? AF_INET : AF_INET6;

		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			char addr[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 16], mac[32] = "";
			const void *a, *m = NULL;

			if (!i->ifa_addr || i->ifa_addr->sa_family != want ||
			    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
				continue;
			if (want == AF_INET) {
				a = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
				if (i->ifa_netmask)
					m = &((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
			} else {
				a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
				if (IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)a))
					continue;
				if (i->ifa_netmask)
					m = &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
			}
			inet_ntop(want, a, addr, sizeof(addr));
			network_cidr(want, a, m, cidr);
			for (struct ifaddrs *p = ifs; p; p = p->ifa_next) {
				if (p->ifa_addr && p->ifa_addr->sa_family == AF_PACKET &&
				    !strcmp(p->ifa_name, i->ifa_name)) {
					const struct sockaddr_ll *ll = (const struct sockaddr_ll *)p->ifa_addr;

					if (ll->sll_halen == 6)
						snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
							 ll->sll_addr[0], ll->sll_addr[1], ll->sll_addr[2],
							 ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5]);
				}
			}
			doc_add(doc, i->ifa_name, mac, addr, cidr, want);
		}
	}
	freeifaddrs(ifs);
	return doc_finish(doc);
}

json_t *netinfo_from_addresses(json_t *addresses)
{
	json_t *doc = doc_new(), *v;
	size_t i;

	json_array_foreach(addresses, i, v) {
		const char *addr = json_string_value(v);
		char cidr[INET6_ADDRSTRLEN + 8];

		if (!addr)
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%d", addr, strchr(addr, ':') ? 128 : 32);
		doc_add(doc, "", "", addr, cidr, strchr(addr, ':') ? AF_INET6 : AF_INET);
	}
	return doc_finish(doc);
}

const char *netinfo_first_address(json_t *doc)
{
	return json_string_value(json_array_get(json_object_get(doc, "ingress-addresses"), 0));
}
