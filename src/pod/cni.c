/* cni.c - CNI configuration, results and errors; see cni.h. */
#include "cni.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/strnum.h"
#include "podname.h"

/* Parses "a.b.c.d/n" with n in [min, max] into its address and prefix. */
static int parse_cidr(const char *s, int min, int max, struct in_addr *addr, int *prefix)
{
	char ip[32];
	const char *slash = s ? strchr(s, '/') : NULL;
	int64_t n;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, addr) != 1 || strnum_i64(slash + 1, min, max, &n) < 0)
		return -EINVAL;
	*prefix = (int)n;
	return 0;
}

int cni_net_check(const struct cni_net_opts *o, struct errbuf *eb)
{
	struct in_addr a;
	int prefix;

	if (!podname_ok(o->name, 64, PODNAME_IFACE))
		return errbuf_set(eb, "network name \"%s\" is invalid", o->name ? o->name : ""), -EINVAL;
	if (!podname_ok(o->bridge, CNI_BRIDGE_NAME_MAX, PODNAME_IFACE))
		return errbuf_set(eb, "bridge name \"%s\" is invalid (at most %d of [A-Za-z0-9_.-])",
				  o->bridge ? o->bridge : "", CNI_BRIDGE_NAME_MAX),
		       -EINVAL;
	if (parse_cidr(o->subnet, 8, 30, &a, &prefix) < 0)
		return errbuf_set(eb, "subnet \"%s\" is not an IPv4 CIDR with a prefix of 8 to 30 bits",
				  o->subnet ? o->subnet : ""),
		       -EINVAL;
	if (ntohl(a.s_addr) & ((1u << (32 - prefix)) - 1))
		return errbuf_set(eb, "subnet \"%s\" has host bits set", o->subnet), -EINVAL;
	if (!o->ipam_dir || o->ipam_dir[0] != '/')
		return errbuf_set(eb, "IPAM directory must be an absolute path"), -EINVAL;
	return 0;
}

json_t *cni_conflist(const struct cni_net_opts *o, struct errbuf *eb)
{
	json_t *list, *plugins, *br, *ipam, *ranges, *range, *sub, *routes, *route;

	if (cni_net_check(o, eb) < 0)
		return NULL;
	sub = json_object();
	json_object_set_new(sub, "subnet", json_string(o->subnet));
	range = json_array();
	json_array_append_new(range, sub);
	ranges = json_array();
	json_array_append_new(ranges, range);
	route = json_object();
	json_object_set_new(route, "dst", json_string("0.0.0.0/0"));
	routes = json_array();
	json_array_append_new(routes, route);
	ipam = json_object();
	json_object_set_new(ipam, "type", json_string("host-local"));
	json_object_set_new(ipam, "ranges", ranges);
	json_object_set_new(ipam, "routes", routes);
	json_object_set_new(ipam, "dataDir", json_string(o->ipam_dir));
	br = json_object();
	json_object_set_new(br, "type", json_string("bridge"));
	json_object_set_new(br, "bridge", json_string(o->bridge));
	json_object_set_new(br, "isGateway", json_true());
	json_object_set_new(br, "ipMasq", json_false());
	json_object_set_new(br, "hairpinMode", json_true());
	json_object_set_new(br, "ipam", ipam);
	plugins = json_array();
	json_array_append_new(plugins, br);
	list = json_object();
	json_object_set_new(list, "cniVersion", json_string(CNI_VERSION));
	json_object_set_new(list, "name", json_string(o->name));
	json_object_set_new(list, "plugins", plugins);
	return list;
}

json_t *cni_loopback_conf(const char *network_name)
{
	json_t *c = json_object();
	char name[128];

	snprintf(name, sizeof(name), "%s-lo", network_name);
	json_object_set_new(c, "cniVersion", json_string(CNI_VERSION));
	json_object_set_new(c, "name", json_string(name));
	json_object_set_new(c, "type", json_string("loopback"));
	return c;
}

size_t cni_plugin_count(json_t *conflist)
{
	return json_array_size(json_object_get(conflist, "plugins"));
}

json_t *cni_plugin_conf(json_t *conflist, size_t i, json_t *prev, struct errbuf *eb)
{
	json_t *plugins = json_object_get(conflist, "plugins"), *p, *c;
	json_t *ver = json_object_get(conflist, "cniVersion"), *name = json_object_get(conflist, "name");

	if (!json_is_array(plugins) || !json_is_string(ver) || !json_is_string(name)) {
		errbuf_set(eb, "network configuration list lacks cniVersion, name or plugins");
		return NULL;
	}
	p = json_array_get(plugins, i);
	if (!json_is_object(p) || !json_is_string(json_object_get(p, "type"))) {
		errbuf_set(eb, "network configuration list: plugin %zu has no type", i);
		return NULL;
	}
	c = json_deep_copy(p);
	json_object_set(c, "cniVersion", ver);
	json_object_set(c, "name", name);
	if (prev)
		json_object_set(c, "prevResult", prev);
	return c;
}

int cni_result_parse(const char *json, size_t len, struct cni_result *ret, struct errbuf *eb)
{
	json_error_t jerr;
	json_t *v = json_loadb(json, len, 0, &jerr), *ips, *ifs;
	struct cni_result res;
	int r = -EBADMSG;

	memset(&res, 0, sizeof(res));
	if (!v)
		return errbuf_set(eb, "CNI result: invalid JSON: %s", jerr.text), -EBADMSG;
	ips = json_object_get(v, "ips");
	ifs = json_object_get(v, "interfaces");
	if (!json_is_array(ips)) {
		errbuf_set(eb, "CNI result: no \"ips\" list");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(ips); i++) {
		json_t *ip = json_array_get(ips, i), *idx = json_object_get(ip, "interface");
		const char *addr = json_string_value(json_object_get(ip, "address"));
		const char *gw = json_string_value(json_object_get(ip, "gateway"));
		struct in_addr a;
		int prefix;

		if (!addr || parse_cidr(addr, 0, 32, &a, &prefix) < 0)
			continue; /* IPv6 or malformed */
		if (json_is_array(ifs) && json_array_size(ifs) > 0) {
			json_t *itf = json_is_integer(idx) ? json_array_get(ifs, (size_t)json_integer_value(idx)) : NULL;

			if (!itf || !json_string_value(json_object_get(itf, "sandbox")))
				continue;
		}
		inet_ntop(AF_INET, &a, res.address, sizeof(res.address));
		res.prefix = prefix;
		if (gw && strlen(gw) < sizeof(res.gateway)) {
			struct in_addr g;

			if (inet_pton(AF_INET, gw, &g) == 1)
				snprintf(res.gateway, sizeof(res.gateway), "%s", gw);
		}
		*ret = res;
		r = 0;
		goto out;
	}
	errbuf_set(eb, "CNI result: no IPv4 address inside the pod");
out:
	json_decref(v);
	return r;
}

void cni_error_reason(const char *out, size_t len, char *buf, size_t n)
{
	json_t *v = out && len ? json_loadb(out, len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(v, "msg"));
	const char *details = json_string_value(json_object_get(v, "details"));

	buf[0] = '\0';
	if (msg && details && *details)
		snprintf(buf, n, "%s: %s", msg, details);
	else if (msg)
		snprintf(buf, n, "%s", msg);
	json_decref(v);
}
