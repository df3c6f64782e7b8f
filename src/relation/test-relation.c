/* test-relation.c - unit tests for endpoint inference, add-relation checks (Juju's texts)
 * and subordinate planning, against a fake model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "relation/endpoint.h"
#include "relation/subordinate.h"

struct fapp {
	const char *name;
	bool subordinate, alive;
	struct rel_endpoint eps[8];
	size_t n;
};

#define EP(a, n, i, r) { .app = a, .name = n, .interface = i, .role = r }
#define EPC(a, n, i, r) { .app = a, .name = n, .interface = i, .role = r, .container = true }
#define EPL(a, n, i, r, l) { .app = a, .name = n, .interface = i, .role = r, .limit = l }

static struct fapp apps[] = {
	{ "wordpress", false, true,
	  { EP("wordpress", "db", "mysql", REL_REQUIRER), EP("wordpress", "cache", "memcache", REL_REQUIRER),
	    EP("wordpress", "website", "http", REL_PROVIDER), EP("wordpress", "loadbalancer", "reversenginx", REL_PEER) },
	  4 },
	{ "mysql", false, true,
	  { EP("mysql", "server", "mysql", REL_PROVIDER), EP("mysql", "server-admin", "mysql", REL_PROVIDER),
	    EP("mysql", "cluster", "mysql-ha", REL_PEER) },
	  3 },
	{ "memcached", false, true, { EPL("memcached", "cache", "memcache", REL_PROVIDER, 1) }, 1 },
	{ "ntp", true, true, { EPC("ntp", "juju-info", "juju-info", REL_REQUIRER), EP("ntp", "master", "ntp", REL_REQUIRER) }, 2 },
	{ "logger", true, true, { EPC("logger", "logs", "syslog", REL_REQUIRER) }, 1 },
	{ "rsyslog", false, true, { EPC("rsyslog", "syslog", "syslog", REL_PROVIDER) }, 1 },
	{ "plainsub", false, true, { EPC("plainsub", "info", "juju-info", REL_REQUIRER) }, 1 },
	{ "dying", false, false, { EP("dying", "db", "mysql", REL_REQUIRER) }, 1 },
};

static const char *existing[8];
static int n_existing;
static int memcached_count;

static int fake_app(void *data, const char *app, const char **ret_name,
		    const struct rel_endpoint **ret_eps, size_t *ret_n, bool *ret_sub, bool *ret_alive)
{
	(void)data;
	for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		if (strcmp(apps[i].name, app))
			continue;
		*ret_name = apps[i].name;
		*ret_eps = apps[i].eps;
		*ret_n = apps[i].n;
		*ret_sub = apps[i].subordinate;
		*ret_alive = apps[i].alive;
		return 0;
	}
	return -ENOENT;
}

static int fake_count(void *data, const char *app, const char *ep)
{
	(void)data;
	return !strcmp(app, "memcached") && !strcmp(ep, "cache") ? memcached_count : 0;
}

static bool fake_exists(void *data, const char *key)
{
	(void)data;
	for (int i = 0; i < n_existing; i++)
		if (!strcmp(existing[i], key))
			return true;
	return false;
}

static const struct rel_model model = { fake_app, fake_count, fake_exists, NULL };

/* Infers "a b" (or one name) and returns the key, or "ERR: <message>". */
static char result[1024];

static const char *infer(const char *a, const char *b)
{
	const char *names[2] = { a, b };
	struct rel_endpoint eps[2];
	struct errbuf eb;
	size_t n = 0;
	struct buf k = BUF_INIT;

	if (rel_infer(&model, names, b ? 2 : 1, eps, &n, &eb) < 0) {
		snprintf(result, sizeof(result), "ERR: %s", eb.msg);
		return result;
	}
	buf_init(&k);
	rel_key(eps, n, &k);
	if (n == 2 && rel_check_add(&model, eps, &eb) < 0)
		snprintf(result, sizeof(result), "ERR: %s", eb.msg);
	else
		snprintf(result, sizeof(result), "%s", k.data);
	buf_done(&k);
	return result;
}

static void test_infer(void)
{
	ASSERT_STREQ(infer("wordpress", "mysql"),
		     "ERR: ambiguous relation: \"wordpress mysql\" could refer to "
		     "\"wordpress:db mysql:server\"; \"wordpress:db mysql:server-admin\"");
	ASSERT_STREQ(infer("wordpress", "mysql:server"), "wordpress:db mysql:server");
	ASSERT_STREQ(infer("mysql:server", "wordpress"), "wordpress:db mysql:server");
	ASSERT_STREQ(infer("wordpress:db", "mysql:server-admin"), "wordpress:db mysql:server-admin");
	ASSERT_STREQ(infer("memcached", "wordpress"), "wordpress:cache memcached:cache");
	ASSERT_STREQ(infer("mysql", "memcached"), "ERR: no relations found");
	ASSERT_STREQ(infer("wordpress", "wordpress"), "ERR: no relations found");
	ASSERT_STREQ(infer("wordpress", "nosuch"), "ERR: application \"nosuch\" not found");
	ASSERT_STREQ(infer("wordpress:nope", "mysql"),
		     "ERR: application \"wordpress\" has no \"nope\" relation");
	ASSERT_STREQ(infer("wordpress:", "mysql"), "ERR: invalid endpoint \"wordpress:\"");
	ASSERT_STREQ(infer(":db", "mysql"), "ERR: invalid endpoint \":db\"");
	/* Peers never match with two names. */
	ASSERT_STREQ(infer("wordpress:loadbalancer", "mysql"), "ERR: no relations found");
	/* One name: the application's peer endpoint. */
	ASSERT_STREQ(infer("mysql", NULL), "mysql:cluster");
	ASSERT_STREQ(infer("memcached", NULL), "ERR: no relations found");
}

static void test_subordinates(void)
{
	/* The implicit juju-info provider of every application, container scope. */
	ASSERT_STREQ(infer("ntp", "wordpress"), "ntp:juju-info wordpress:juju-info");
	ASSERT_STREQ(infer("ntp:juju-info", "wordpress"), "ntp:juju-info wordpress:juju-info");
	ASSERT_STREQ(infer("logger", "rsyslog"), "logger:logs rsyslog:syslog");
	/* Container scope with no subordinate charm on either side never matches. */
	ASSERT_STREQ(infer("plainsub", "mysql"), "ERR: no relations found");
	ASSERT_STREQ(infer("plainsub:info", "mysql:juju-info"), "ERR: no relations found");
}

static void test_check_add(void)
{
	existing[0] = "wordpress:db mysql:server";
	n_existing = 1;
	ASSERT_STREQ(infer("mysql:server", "wordpress:db"),
		     "ERR: cannot add relation \"wordpress:db mysql:server\": relation "
		     "wordpress:db mysql:server already exists");
	n_existing = 0;
	memcached_count = 1;
	ASSERT_STREQ(infer("wordpress", "memcached"),
		     "ERR: cannot add relation \"wordpress:cache memcached:cache\": establishing a "
		     "new relation for memcached:cache would exceed its maximum relation limit of 1");
	memcached_count = 0;
	ASSERT_STREQ(infer("dying", "mysql:server"),
		     "ERR: cannot add relation \"dying:db mysql:server\": application \"dying\" is not alive");

	/* A container-scoped pair without a subordinate, built by hand. */
	struct rel_endpoint eps[2] = { EPC("plainsub", "info", "juju-info", REL_REQUIRER),
				       { .app = "mysql", .name = "juju-info", .interface = "juju-info",
					 .role = REL_PROVIDER } };
	struct errbuf eb;

	ASSERT_TRUE(rel_check_add(&model, eps, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot add relation \"plainsub:info mysql:juju-info\": container scoped "
			     "relation requires at least one subordinate application");
	ASSERT_TRUE(rel_endpoint_implicit(&eps[1]));
	ASSERT_TRUE(!rel_endpoint_implicit(&eps[0]));
	ASSERT_STREQ(rel_role_name(REL_PEER), "peer");
}

static void test_sub_plan(void)
{
	struct sub_principal p[] = { { "wordpress/0", 0, true }, { "wordpress/1", 1, true },
				     { "wordpress/2", 2, false } };
	struct sub_unit s[] = { { "ntp/0", "wordpress/0", true }, { "ntp/1", "wordpress/2", true },
				{ "ntp/2", "mysql/0", true } };
	struct sub_plan plan;

	sub_plan(p, 3, s, 3, true, "wordpress", &plan);
	ASSERT_EQ(plan.n_create, 1);
	ASSERT_EQ(plan.create[0], 1);     /* wordpress/1 has none */
	ASSERT_EQ(plan.n_kill, 1);
	ASSERT_EQ(plan.kill[0], 1);       /* ntp/1 follows its dying principal */
	sub_plan_done(&plan);

	/* The relation went: every subordinate of this principal app dies, none is made. */
	sub_plan(p, 3, s, 3, false, "wordpress", &plan);
	ASSERT_EQ(plan.n_create, 0);
	ASSERT_EQ(plan.n_kill, 2);
	sub_plan_done(&plan);

	/* A dying subordinate blocks a replacement until it is gone. */
	struct sub_unit dying[] = { { "ntp/0", "wordpress/0", false } };

	sub_plan(p, 2, dying, 1, true, "wordpress", &plan);
	ASSERT_EQ(plan.n_create, 1);
	ASSERT_EQ(plan.create[0], 1);
	ASSERT_EQ(plan.n_kill, 0);
	sub_plan_done(&plan);
}

int main(void)
{
	RUN(test_infer);
	RUN(test_subordinates);
	RUN(test_check_add);
	RUN(test_sub_plan);
	return test_summary();
}
