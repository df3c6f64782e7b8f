/* Unit tests for userids: Pebble's owner rules over this machine's passwd and group files
 * (root, uid 0, exists everywhere). */
#include "lib/test.h"
#include "lib/userids.h"

static int norm(struct userids_req r, uid_t *uid, gid_t *gid, struct errbuf *eb)
{
	errbuf_clear(eb);
	return userids_normalize(&r, uid, gid, eb);
}

static void test_rules(void)
{
	struct errbuf eb;
	uid_t uid = 77;
	gid_t gid = 77;
	char name[64];

	ASSERT_EQ(norm((struct userids_req){ 0 }, &uid, &gid, &eb), 0);
	ASSERT_EQ(uid, 77); /* untouched */
	ASSERT_EQ(norm((struct userids_req){ .user = "" , .group = "" }, &uid, &gid, &eb), 0);
	ASSERT_EQ(norm((struct userids_req){ .user = "root" }, &uid, &gid, &eb), 1);
	ASSERT_EQ(uid, 0);
	ASSERT_EQ(gid, 0);
	ASSERT_EQ(norm((struct userids_req){ .uid_set = true, .uid = 0 }, &uid, &gid, &eb), 1);
	ASSERT_EQ(norm((struct userids_req){ .uid_set = true, .uid = 0, .gid_set = true, .gid = 4242 }, &uid, &gid,
		       &eb), 1);
	ASSERT_EQ(gid, 4242); /* a group id need not name a group */
	ASSERT_EQ(norm((struct userids_req){ .user = "root", .group = "root" }, &uid, &gid, &eb), 1);
	ASSERT_EQ(norm((struct userids_req){ .group = "root" }, &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "must specify user, not just group");
	ASSERT_EQ(norm((struct userids_req){ .gid_set = true, .gid = 0 }, &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "must specify user, not just group");
	ASSERT_EQ(norm((struct userids_req){ .user = "no-such-user-x" }, &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "user: unknown user no-such-user-x");
	ASSERT_EQ(norm((struct userids_req){ .user = "root", .group = "no-such-group-x" }, &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "group: unknown group no-such-group-x");
	ASSERT_EQ(norm((struct userids_req){ .user = "root", .uid_set = true, .uid = 5 }, &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "user \"root\" UID (0) does not match user-id (5)");
	ASSERT_EQ(norm((struct userids_req){ .uid_set = true, .uid = 0, .group = "root", .gid_set = true, .gid = 9 },
		       &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "group \"root\" GID (0) does not match group-id (9)");
	ASSERT_EQ(norm((struct userids_req){ .uid_set = true, .uid = 987654321 }, &uid, &gid, &eb), -1);
	ASSERT_STREQ(eb.msg, "user: unknown userid 987654321");
	ASSERT_TRUE(userids_user_name(0, name, sizeof(name)));
	ASSERT_STREQ(name, "root");
	ASSERT_TRUE(userids_group_name(0, name, sizeof(name)));
	ASSERT_STREQ(name, "root");
	ASSERT_TRUE(!userids_user_name(987654321, name, sizeof(name)));
	ASSERT_STREQ(name, "");
}

int main(void)
{
	RUN(test_rules);
	return test_summary();
}
