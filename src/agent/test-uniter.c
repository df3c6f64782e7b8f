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
		uniter_prepare(j, hook, g);
		/* Round-trip the journal through JSON at every step, as persistence does. */
		json_t *v = uniter_journal_to_json(j);
		struct errbuf eb;
		struct uniter_journal k;
		if (uniter_journal_from_json(v, &k, &eb) == 0)
			*j = k;
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
	uniter_prepare(&j, "install", &g);
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
	uniter_prepare(&j, "install", &g);
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

int main(void)
{
	RUN(test_deploy_leader);
	RUN(test_deploy_follower_then_config_refresh_remove);
	RUN(test_interrupted_hook_reruns);
	RUN(test_leader_elected_needs_lease);
	RUN(test_error_blocks);
	RUN(test_dying_before_install);
	RUN(test_bad_journal);
	return test_summary();
}
