/* Unit tests for the uniter's resolver and journal: the exact hook order for deploy,
 * leadership, config changes, refresh and teardown, driven with no processes at all. */
#include "agent/uniter.h"
#include "lib/test.h"

#include <string.h>

/* Runs the resolver to quiescence, committing each hook, and records the sequence. */
static void drive(struct uniter_journal *j, struct uniter_goal *g, char *out, size_t n)
{
	struct uniter_flags f = { .lease_valid = true };
	bool dead = false;
	const char *h;

	out[0] = '\0';
	for (int i = 0; i < 20 && (h = uniter_next_hook(j, g, &f, &dead)); i++) {
		char hook[UNITER_HOOK_MAX];

		snprintf(hook, sizeof hook, "%s", h);
		uniter_prepare(j, hook, g, NULL);
		/* Round-trip the journal through JSON at every step, as persistence does. */
		json_t *v = uniter_journal_to_json(j);
		struct errbuf eb;
		struct uniter_journal k;
		if (uniter_journal_from_json(v, &k, &eb) == 0)
			uniter_journal_move(j, &k);
		json_decref(v);
		uniter_commit(j);
		if (out[0])
			strncat(out, " ", n - strlen(out) - 1);
		strncat(out, hook, n - strlen(out) - 1);
	}
	if (dead)
		strncat(out, " DEAD", n - strlen(out) - 1);
}

static void test_deploy_leader(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = true, .charm_rev = 0,
				.config_hash = "h1", .leader = true };
	char seq[512];

	uniter_journal_init(&j);
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "install leader-elected config-changed start");
}

static void test_deploy_follower_then_config_refresh_remove(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = true, .charm_rev = 0,
				.config_hash = "h1", .leader = false };
	char seq[512];

	uniter_journal_init(&j);
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "install config-changed start");
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "");
	g.config_hash = "h2";
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "config-changed");
	g.charm_rev = 1;
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "upgrade-charm config-changed");
	g.alive = false;
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "stop remove DEAD");
}

static void test_interrupted_hook_reruns(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = true, .charm_rev = 0,
				.config_hash = "h1", .leader = false };
	struct uniter_flags f = { 0 };
	bool dead;
	char seq[512];

	uniter_journal_init(&j);
	uniter_prepare(&j, "install", &g, NULL);
	/* The agent died here: the same hook comes back first. */
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "install");
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, "install config-changed start");
}

/* leader-elected waits for a valid lease (the lease is confirmed by the controller after a
 * restart); the lease lapsing runs nothing. */
static void test_leader_elected_needs_lease(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = true, .charm_rev = 0, .config_hash = "h1", .leader = true };
	struct uniter_flags f = { .lease_valid = false };
	bool dead;
	char seq[512];

	uniter_journal_init(&j);
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "install");
	uniter_prepare(&j, "install", &g, NULL);
	uniter_commit(&j);
	/* No lease yet: the lifecycle goes on without leader-elected. */
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "config-changed");
	drive(&j, &g, seq, sizeof seq); /* drive() holds a lease */
	ASSERT_STREQ(seq, "leader-elected config-changed start");
	f.lease_valid = false;
	ASSERT_TRUE(uniter_next_hook(&j, &g, &f, &dead) == NULL);
}

static void test_error_blocks(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = true, .config_hash = "h" };
	struct uniter_flags f = { .in_error = true };
	bool dead;

	uniter_journal_init(&j);
	ASSERT_TRUE(uniter_next_hook(&j, &g, &f, &dead) == NULL);
}

static void test_dying_before_install(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = false, .config_hash = "h" };
	char seq[64];

	uniter_journal_init(&j);
	drive(&j, &g, seq, sizeof seq);
	ASSERT_STREQ(seq, " DEAD");
}

static void test_bad_journal(void)
{
	struct uniter_journal j;
	struct errbuf eb;
	json_t *v = json_pack("{s:s}", "op", "nonsense");

	uniter_journal_init(&j);
	j.installed = true;
	ASSERT_TRUE(uniter_journal_from_json(v, &j, &eb) < 0);
	ASSERT_TRUE(j.installed);
	ASSERT_CONTAINS(eb.msg, "malformed journal");
	json_decref(v);
}


static struct uniter_notice mk_notice(enum uniter_notice_kind kind, const char *c, const char *id,
				      const char *lr)
{
	struct uniter_notice n;

	memset(&n, 0, sizeof(n));
	n.kind = kind;
	snprintf(n.container, sizeof(n.container), "%s", c);
	snprintf(n.id, sizeof(n.id), "%s", id);
	snprintf(n.key, sizeof(n.key), "example.com/%s", id);
	snprintf(n.check, sizeof(n.check), "%s", kind == UNITER_NOTICE_CUSTOM ? "" : "up");
	snprintf(n.last_repeated, sizeof(n.last_repeated), "%s", lr);
	return n;
}

/* Workload events (§7.1 item 5): after a queued or pending hook, before install, config and
 * the teardown; never while in error. */
static void test_notice_precedence(void)
{
	struct uniter_journal j;
	struct uniter_goal g = { .alive = true, .config_hash = "h1", .leader = true };
	struct uniter_flags f = { .lease_valid = true, .notice_hook = "web-pebble-custom-notice" };
	bool dead;

	uniter_journal_init(&j);
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "web-pebble-custom-notice");
	uniter_prepare(&j, "install", &g, NULL);
	/* A pending hook first. */
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "install");
	uniter_commit(&j);
	/* Leadership (after install) before the event, the event before config-changed. */
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "leader-elected");
	uniter_prepare(&j, "leader-elected", &g, NULL);
	uniter_commit(&j);
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "web-pebble-custom-notice");
	uniter_prepare(&j, "config-changed", &g, NULL);
	uniter_commit(&j); /* queues start */
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "start");
	/* Dying: still before stop. */
	uniter_prepare(&j, "start", &g, NULL);
	uniter_commit(&j);
	g.alive = false;
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "web-pebble-custom-notice");
	f.notice_hook = NULL;
	ASSERT_STREQ(uniter_next_hook(&j, &g, &f, &dead), "stop");
	f.in_error = true;
	f.notice_hook = "web-pebble-check-failed";
	ASSERT_TRUE(uniter_next_hook(&j, &g, &f, &dead) == NULL);
	uniter_journal_done(&j);
}

/* The notice of a pending hook and the cursors survive the journal's JSON; a commit moves the
 * hook's container's cursor, and nothing else. */
static void test_notice_journal(void)
{
	struct uniter_journal j, k, c;
	struct uniter_goal g = { .alive = true, .config_hash = "h1" };
	struct uniter_notice n1 = mk_notice(UNITER_NOTICE_CUSTOM, "web", "1", "2024-05-01T10:00:00.1Z");
	struct uniter_notice n2 = mk_notice(UNITER_NOTICE_CHECK_FAILED, "db", "7", "2024-05-01T10:00:01Z");
	struct errbuf eb;
	char name[UNITER_HOOK_MAX];
	json_t *v;

	uniter_journal_init(&j);
	ASSERT_TRUE(uniter_cursor(&j, "web") == NULL);
	ASSERT_TRUE(uniter_notice_hook_name(&n1, name, sizeof(name)));
	ASSERT_STREQ(name, "web-pebble-custom-notice");
	ASSERT_TRUE(uniter_notice_hook_name(&n2, name, sizeof(name)));
	ASSERT_STREQ(name, "db-pebble-check-failed");
	uniter_prepare(&j, "web-pebble-custom-notice", &g, &n1);
	v = uniter_journal_to_json(&j);
	ASSERT_TRUE(uniter_journal_from_json(v, &k, &eb) == 0);
	json_decref(v);
	ASSERT_TRUE(uniter_hook_notice(&k) != NULL);
	ASSERT_STREQ(uniter_hook_notice(&k)->key, "example.com/1");
	ASSERT_EQ(uniter_hook_notice(&k)->kind, UNITER_NOTICE_CUSTOM);
	uniter_commit(&k);
	ASSERT_TRUE(uniter_hook_notice(&k) == NULL);
	ASSERT_STREQ(uniter_cursor(&k, "web")->last_repeated, "2024-05-01T10:00:00.1Z");
	ASSERT_STREQ(uniter_cursor(&k, "web")->id, "1");
	/* A copy is independent; another container's cursor joins; a lifecycle hook leaves
	 * both alone. */
	uniter_journal_copy(&c, &k);
	uniter_prepare(&c, "db-pebble-check-failed", &g, &n2);
	uniter_commit(&c);
	ASSERT_TRUE(uniter_cursor(&k, "db") == NULL);
	ASSERT_STREQ(uniter_cursor(&c, "db")->id, "7");
	uniter_prepare(&c, "install", &g, NULL);
	ASSERT_TRUE(uniter_hook_notice(&c) == NULL);
	uniter_commit(&c);
	ASSERT_STREQ(uniter_cursor(&c, "web")->id, "1");
	ASSERT_STREQ(uniter_cursor(&c, "db")->id, "7");
	v = uniter_journal_to_json(&c);
	uniter_journal_done(&k);
	ASSERT_TRUE(uniter_journal_from_json(v, &k, &eb) == 0);
	ASSERT_STREQ(uniter_cursor(&k, "db")->last_repeated, "2024-05-01T10:00:01Z");
	json_decref(v);
	/* Bad notice parts are refused with the rest of the journal. */
	v = uniter_journal_to_json(&c);
	json_object_set_new(v, "hook-notice", json_pack("{s:s}", "kind", "bogus"));
	ASSERT_TRUE(uniter_journal_from_json(v, &j, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "hook-notice");
	json_decref(v);
	uniter_journal_done(&j);
	uniter_journal_done(&k);
	uniter_journal_done(&c);
}

int main(void)
{
	RUN(test_deploy_leader);
	RUN(test_deploy_follower_then_config_refresh_remove);
	RUN(test_interrupted_hook_reruns);
	RUN(test_leader_elected_needs_lease);
	RUN(test_error_blocks);
	RUN(test_dying_before_install);
	RUN(test_bad_journal);
	RUN(test_notice_precedence);
	RUN(test_notice_journal);
	return test_summary();
}
