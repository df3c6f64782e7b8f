/* Unit tests for netinfo.h: network-get's document from an address list (IPv4 first, /32 and
 * /128 egress, Juju's key names) and from the host's real interfaces. */
#include "agent/netinfo.h"
#include "lib/test.h"

#include <string.h>

static void test_from_addresses(void)
{
	json_t *in = json_pack("[s, s, s]", "2001:db8::5", "10.0.0.5", "192.168.1.9");
	json_t *doc = netinfo_from_addresses(in), *b, *a;

	ASSERT_STREQ(netinfo_first_address(doc), "10.0.0.5");
	ASSERT_EQ(json_array_size(json_object_get(doc, "ingress-addresses")), 3);
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(doc, "ingress-addresses"), 1)),
		     "192.168.1.9");
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(doc, "ingress-addresses"), 2)),
		     "2001:db8::5");
	ASSERT_EQ(json_array_size(json_object_get(doc, "egress-subnets")), 1);
	ASSERT_STREQ(json_string_value(json_array_get(json_object_get(doc, "egress-subnets"), 0)),
		     "10.0.0.5/32");
	b = json_array_get(json_object_get(doc, "bind-addresses"), 0);
	ASSERT_TRUE(json_is_string(json_object_get(b, "interface-name")));
	ASSERT_TRUE(json_is_string(json_object_get(b, "macaddress")));
	a = json_array_get(json_object_get(b, "addresses"), 0);
	ASSERT_STREQ(json_string_value(json_object_get(a, "value")), "2001:db8::5");
	ASSERT_STREQ(json_string_value(json_object_get(a, "address")), "2001:db8::5");
	ASSERT_STREQ(json_string_value(json_object_get(a, "cidr")), "2001:db8::5/128");
	json_decref(doc);
	json_decref(in);
	/* Nothing known: empty lists, no first address. */
	in = json_array();
	doc = netinfo_from_addresses(in);
	ASSERT_TRUE(netinfo_first_address(doc) == NULL);
	ASSERT_EQ(json_array_size(json_object_get(doc, "egress-subnets")), 0);
	json_decref(doc);
	json_decref(in);
}

static void test_from_host(void)
{
	json_t *doc = netinfo_from_host(), *b, *a;
	size_t i, k;

	ASSERT_TRUE(json_is_array(json_object_get(doc, "ingress-addresses")));
	/* Every address has its network, and no loopback address is listed. */
	json_array_foreach(json_object_get(doc, "bind-addresses"), i, b) {
		ASSERT_TRUE(strcmp(json_string_value(json_object_get(b, "interface-name")), "lo") != 0);
		json_array_foreach(json_object_get(b, "addresses"), k, a)
			ASSERT_TRUE(strchr(json_string_value(json_object_get(a, "cidr")), '/') != NULL);
	}
	if (netinfo_first_address(doc))
		ASSERT_EQ(json_array_size(json_object_get(doc, "egress-subnets")), 1);
	json_decref(doc);
}

int main(void)
{
	RUN(test_from_addresses);
	RUN(test_from_host);
	return test_summary();
}
