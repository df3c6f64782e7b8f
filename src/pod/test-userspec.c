/* Unit tests for resolving an image's User against its passwd and group files. */
#include "pod/userspec.h"
#include "lib/test.h"

#include <errno.h>

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# a comment\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "broken line without colons\n"
			     "www:x:1000:1000:web:/srv/www:/bin/sh\n"
			     "nohome:x:1001:1001:::/bin/sh\n";
static const char group[] = "root:x:0:\n"
			    "www:x:1000:\n"
			    "adm:x:4:www,daemon\n"
			    "web:x:33:www\n"
			    "other:x:50:wwwx\n";

static void test_names(void)
{
	struct userspec_ids ids;
	struct errbuf eb;

	ASSERT_EQ(userspec_resolve("www", passwd, group, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 1000);
	ASSERT_EQ(ids.gid, 1000);
	ASSERT_STREQ(ids.home, "/srv/www");
	/* Primary gid first, then every group listing www (not "wwwx"). */
	ASSERT_EQ(ids.n_groups, 3);
	ASSERT_EQ(ids.groups[0], 1000);
	ASSERT_EQ(ids.groups[1], 4);
	ASSERT_EQ(ids.groups[2], 33);

	ASSERT_EQ(userspec_resolve("www:adm", passwd, group, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 1000);
	ASSERT_EQ(ids.gid, 4);
	ASSERT_EQ(ids.groups[0], 4);

	ASSERT_EQ(userspec_resolve("nohome", passwd, group, &ids, &eb), 0);
	ASSERT_STREQ(ids.home, "/");
}

static void test_root_default(void)
{
	struct userspec_ids ids;
	struct errbuf eb;

	ASSERT_EQ(userspec_resolve(NULL, passwd, group, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 0);
	ASSERT_EQ(ids.gid, 0);
	ASSERT_STREQ(ids.home, "/root");
	ASSERT_EQ(userspec_resolve("", NULL, NULL, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 0);
	ASSERT_STREQ(ids.home, "/");
	/* An image without /etc/passwd can still name root. */
	ASSERT_EQ(userspec_resolve("root", NULL, NULL, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 0);
}

static void test_numbers(void)
{
	struct userspec_ids ids;
	struct errbuf eb;

	ASSERT_EQ(userspec_resolve("1000", passwd, group, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 1000);
	ASSERT_EQ(ids.gid, 1000);
	ASSERT_STREQ(ids.home, "/srv/www");
	/* A uid with no entry: gid 0, home "/". */
	ASSERT_EQ(userspec_resolve("4242", passwd, group, &ids, &eb), 0);
	ASSERT_EQ(ids.uid, 4242);
	ASSERT_EQ(ids.gid, 0);
	ASSERT_STREQ(ids.home, "/");
	ASSERT_EQ(userspec_resolve("4242:77", NULL, NULL, &ids, &eb), 0);
	ASSERT_EQ(ids.gid, 77);
	ASSERT_EQ(ids.n_groups, 1);
	ASSERT_EQ(userspec_resolve("www:33", passwd, group, &ids, &eb), 0);
	ASSERT_EQ(ids.gid, 33);
}

static void test_bad(void)
{
	struct userspec_ids ids = { .uid = 99 };
	struct errbuf eb;

	ASSERT_EQ(userspec_resolve("nobody", passwd, group, &ids, &eb), -ENOENT);
	ASSERT_STREQ(eb.msg, "unable to find user nobody: no matching entries in passwd file");
	ASSERT_EQ(userspec_resolve("www:nogroup", passwd, group, &ids, &eb), -ENOENT);
	ASSERT_STREQ(eb.msg, "unable to find group nogroup: no matching entries in group file");
	ASSERT_EQ(userspec_resolve("www:", passwd, group, &ids, &eb), -EINVAL);
	ASSERT_EQ(userspec_resolve(":0", passwd, group, &ids, &eb), -EINVAL);
	ASSERT_EQ(userspec_resolve("a:b:c", passwd, group, &ids, &eb), -EINVAL);
	ASSERT_EQ(userspec_resolve("99999999999", passwd, group, &ids, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "out of range");
	ASSERT_EQ(userspec_resolve("0:4294967296", passwd, group, &ids, &eb), -EINVAL);
	/* Nothing written on failure. */
	ASSERT_EQ(ids.uid, 99);
}

int main(void)
{
	RUN(test_names);
	RUN(test_root_default);
	RUN(test_numbers);
	RUN(test_bad);
	return test_summary();
}
