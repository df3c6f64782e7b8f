/* Unit tests for the CNI documents: the configuration list, per-plugin stdin, results and
 * errors as Debian's plugins print them. */
#include "pod/cni.h"
#include "pod/podname.h"
#include "pod/podnet.h"
#include "pod/runc.h"
#include "lib/test.h"

#include <errno.h>

static const struct cni_net_opts good = {
	.name = "cairn-test", .bridge = "cbr0", .subnet = "10.213.7.0/24", .ipam_dir = "/store/net/ipam",
};

static void test_check(void)
{
	struct cni_net_opts o = good;
	struct errbuf eb;

	ASSERT_EQ(cni_net_check(&o, &eb), 0);
	o.bridge = "a-very-long-bridge";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "bridge name");
	o = good;
	o.bridge = "br 0";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	o = good;
	o.subnet = "10.213.7.1/24";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "host bits");
	o.subnet = "10.213.7.0/31";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	o.subnet = "10.213.7.0";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	o.subnet = "fd00::/64";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	o.subnet = "300.1.1.0/24";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	o = good;
	o.ipam_dir = "rel";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
	o = good;
	o.name = "";
	ASSERT_EQ(cni_net_check(&o, &eb), -EINVAL);
}

static void test_conflist(void)
{
	struct errbuf eb;
	json_t *l = cni_conflist(&good, &eb), *p, *prev, *ipam;

	ASSERT_TRUE(l);
	ASSERT_STREQ(json_string_value(json_object_get(l, "cniVersion")), "1.0.0");
	ASSERT_EQ(cni_plugin_count(l), 1);
	prev = json_pack("{s:s}", "cniVersion", "1.0.0");
	p = cni_plugin_conf(l, 0, prev, &eb);
	ASSERT_TRUE(p);
	ASSERT_STREQ(json_string_value(json_object_get(p, "type")), "bridge");
	ASSERT_STREQ(json_string_value(json_object_get(p, "name")), "cairn-test");
	ASSERT_STREQ(json_string_value(json_object_get(p, "cniVersion")), "1.0.0");
	ASSERT_STREQ(json_string_value(json_object_get(p, "bridge")), "cbr0");
	ASSERT_TRUE(json_is_true(json_object_get(p, "isGateway")));
	ASSERT_TRUE(json_is_false(json_object_get(p, "ipMasq")));
	ASSERT_TRUE(json_object_get(p, "prevResult") != NULL);
	ipam = json_object_get(p, "ipam");
	ASSERT_STREQ(json_string_value(json_object_get(ipam, "type")), "host-local");
	ASSERT_STREQ(json_string_value(json_object_get(ipam, "dataDir")), "/store/net/ipam");
	ASSERT_STREQ(json_string_value(json_object_get(json_array_get(json_array_get(json_object_get(ipam, "ranges"), 0),
								       0),
						       "subnet")),
		     "10.213.7.0/24");
	json_decref(p);
	/* Without a previous result (ADD of the first plugin). */
	p = cni_plugin_conf(l, 0, NULL, &eb);
	ASSERT_TRUE(p && !json_object_get(p, "prevResult"));
	json_decref(p);
	ASSERT_TRUE(cni_plugin_conf(l, 1, NULL, &eb) == NULL);
	json_decref(prev);
	json_decref(l);
	{
		struct cni_net_opts o = good;

		o.subnet = "bad";
		ASSERT_TRUE(cni_conflist(&o, &eb) == NULL);
	}
	l = cni_loopback_conf("cairn-test");
	ASSERT_STREQ(json_string_value(json_object_get(l, "type")), "loopback");
	ASSERT_STREQ(json_string_value(json_object_get(l, "name")), "cairn-test-lo");
	json_decref(l);
}

/* The exact shape bridge 1.1.1 prints. */
static const char bridge_result[] = "{\n"
				    "    \"cniVersion\": \"1.0.0\",\n"
				    "    \"interfaces\": [\n"
				    "        {\"name\": \"cxbr0\", \"mac\": \"3a:86:7e:35:82:20\"},\n"
				    "        {\"name\": \"vethcb1fd63e\", \"mac\": \"d6:f9:35:e6:49:83\"},\n"
				    "        {\"name\": \"eth0\", \"mac\": \"6a:b1:c0:35:5b:3d\", \"sandbox\": "
				    "\"/run/netns/cxtest1\"}\n"
				    "    ],\n"
				    "    \"ips\": [{\"interface\": 2, \"address\": \"10.231.7.2/24\", \"gateway\": "
				    "\"10.231.7.1\"}],\n"
				    "    \"routes\": [{\"dst\": \"0.0.0.0/0\"}],\n"
				    "    \"dns\": {}\n"
				    "}";

static void test_result(void)
{
	struct cni_result r;
	struct errbuf eb;
	const char *v6first = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
			      "\"ips\":[{\"interface\":0,\"address\":\"fd00::2/64\"},"
			      "{\"interface\":0,\"address\":\"10.0.0.9/16\"}]}";
	const char *host_side = "{\"interfaces\":[{\"name\":\"br\"},{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
				"\"ips\":[{\"interface\":0,\"address\":\"10.0.0.1/24\"},"
				"{\"interface\":1,\"address\":\"10.0.0.5/24\"}]}";
	const char *noifs = "{\"ips\":[{\"address\":\"192.168.5.4/32\"}]}";

	ASSERT_EQ(cni_result_parse(bridge_result, strlen(bridge_result), &r, &eb), 0);
	ASSERT_STREQ(r.address, "10.231.7.2");
	ASSERT_EQ(r.prefix, 24);
	ASSERT_STREQ(r.gateway, "10.231.7.1");
	ASSERT_EQ(cni_result_parse(v6first, strlen(v6first), &r, &eb), 0);
	ASSERT_STREQ(r.address, "10.0.0.9");
	ASSERT_STREQ(r.gateway, "");
	ASSERT_EQ(cni_result_parse(host_side, strlen(host_side), &r, &eb), 0);
	ASSERT_STREQ(r.address, "10.0.0.5");
	ASSERT_EQ(cni_result_parse(noifs, strlen(noifs), &r, &eb), 0);
	ASSERT_STREQ(r.address, "192.168.5.4");
	ASSERT_EQ(r.prefix, 32);
}

static void test_result_bad(void)
{
	struct cni_result r = { .address = "keep" };
	struct errbuf eb;
	const char *cases[] = {
		"", "nope", "{}", "{\"ips\":{}}", "{\"ips\":[]}", "{\"ips\":[{\"address\":\"10.0.0.1\"}]}",
		"{\"ips\":[{\"address\":\"fd00::1/64\"}]}",
		"{\"interfaces\":[{\"name\":\"br\"}],\"ips\":[{\"interface\":0,\"address\":\"10.0.0.1/24\"}]}",
		"{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],\"ips\":[{\"interface\":7,\"address\":\"10.0.0.1/24\"}]}",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_EQ(cni_result_parse(cases[i], strlen(cases[i]), &r, &eb), -EBADMSG);
	ASSERT_STREQ(r.address, "keep");
}

static void test_error_reason(void)
{
	char buf[256];
	const char *e1 = "{\"code\":11,\"msg\":\"failed to allocate for range 0\",\"details\":\"no IP addresses "
			 "available in range set: 10.0.0.1-10.0.0.2\"}";
	const char *e2 = "{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"invalid bridge name\"}";

	cni_error_reason(e1, strlen(e1), buf, sizeof(buf));
	ASSERT_STREQ(buf, "failed to allocate for range 0: no IP addresses available in range set: 10.0.0.1-10.0.0.2");
	cni_error_reason(e2, strlen(e2), buf, sizeof(buf));
	ASSERT_STREQ(buf, "invalid bridge name");
	cni_error_reason("garbage", 7, buf, sizeof(buf));
	ASSERT_STREQ(buf, "");
	cni_error_reason(NULL, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf, "");
}

static void test_names(void)
{
	ASSERT_TRUE(podname_ok("app-0", 32, PODNAME_LOWER));
	ASSERT_TRUE(!podname_ok("-app", 32, PODNAME_LOWER));
	ASSERT_TRUE(!podname_ok("App", 32, PODNAME_LOWER));
	ASSERT_TRUE(!podname_ok("app_0", 32, PODNAME_LOWER));
	ASSERT_TRUE(!podname_ok("", 32, PODNAME_LOWER));
	ASSERT_TRUE(!podname_ok(NULL, 32, PODNAME_LOWER));
	ASSERT_TRUE(!podname_ok("abcdef", 5, PODNAME_LOWER));
	ASSERT_TRUE(podname_ok("Br_0.x-1", 15, PODNAME_IFACE));
	ASSERT_TRUE(!podname_ok("br 0", 15, PODNAME_IFACE));
	ASSERT_TRUE(!podname_ok("br/0", 15, PODNAME_IFACE));
	ASSERT_TRUE(podnet_netns_name_ok("cairn-app-0"));
	ASSERT_TRUE(!podnet_netns_name_ok("../etc"));
	ASSERT_TRUE(runc_id_ok("app-0_web+1"));
	ASSERT_TRUE(!runc_id_ok("app/0"));
}

static void test_runc_state(void)
{
	struct runc_state st = { .pid = 7 };
	struct errbuf eb;
	const char *running = "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"p_web\",\"pid\":1234,\"status\":\"running\"}";
	const char *stopped = "{\"id\":\"p_web\",\"pid\":0,\"status\":\"stopped\"}";

	ASSERT_EQ(runc_state_parse(running, strlen(running), &st, &eb), 0);
	ASSERT_EQ(st.status, RUNC_RUNNING);
	ASSERT_EQ(st.pid, 1234);
	ASSERT_EQ(runc_state_parse(stopped, strlen(stopped), &st, &eb), 0);
	ASSERT_EQ(st.status, RUNC_STOPPED);
	ASSERT_EQ(runc_state_parse("{\"status\":\"running\",\"pid\":0}", strlen("{\"status\":\"running\",\"pid\":0}"), &st, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "without a pid");
	ASSERT_EQ(runc_state_parse("{\"status\":\"zombie\",\"pid\":3}", strlen("{\"status\":\"zombie\",\"pid\":3}"), &st, &eb), -EBADMSG);
	ASSERT_CONTAINS(eb.msg, "unknown status");
	ASSERT_EQ(runc_state_parse("{\"status\":\"running\",\"pid\":-1}", strlen("{\"status\":\"running\",\"pid\":-1}"), &st, &eb), -EBADMSG);
	ASSERT_EQ(runc_state_parse("", strlen(""), &st, &eb), -EBADMSG);
	ASSERT_TRUE(runc_says_missing("container \"x\" does not exist"));
	ASSERT_TRUE(!runc_says_missing("permission denied"));
}

int main(void)
{
	RUN(test_names);
	RUN(test_runc_state);
	RUN(test_check);
	RUN(test_conflist);
	RUN(test_result);
	RUN(test_result_bad);
	RUN(test_error_reason);
	return test_summary();
}
