/* test-notices.c - the notice store's rules with a fake wall clock: occurrences and
 * repeat-after, strictly increasing timestamps, filters and ordering, expiry, the cap,
 * the JSON form and persistence. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/notices.h"

#define SEC 1000000000ull

static uint64_t fake_now = 1700000000ull * SEC;
static uint64_t fake_clock(void) { return fake_now; }

struct counts {
	int dirty, notified;
	uint64_t last_id;
};

static void c_dirty(void *data)
{
	((struct counts *)data)->dirty++;
}

static void c_notified(void *data, const struct notice *n)
{
	struct counts *c = data;

	c->notified++;
	c->last_id = n->n_id;
}

static const struct notices_ops ops = { c_dirty, c_notified };

static uint64_t add(struct notices *ns, bool has_uid, uint32_t uid, enum notice_type t, const char *key,
		    int64_t repeat_after)
{
	struct errbuf eb;
	uint64_t id = 0;

	if (notices_add(ns, has_uid, uid, t, key, NULL, repeat_after, &id, &eb) < 0)
		return 0;
	return id;
}

static void test_occurrences_and_repeat_after(void)
{
	struct counts c = { 0 };
	struct notices ns;
	struct notice *n;
	uint64_t id, first;

	notices_init(&ns, fake_clock, &ops, &c);
	id = add(&ns, true, 1000, NOTICE_CUSTOM, "example.com/x", 10 * SEC);
	ASSERT_EQ(id, 1);
	ASSERT_EQ(c.notified, 1);
	n = notices_find(&ns, 1);
	ASSERT_TRUE(n != NULL);
	first = n->n_repeated_ns;
	ASSERT_EQ(n->n_first_ns, fake_now);
	ASSERT_EQ(n->n_occurrences, 1);
	ASSERT_EQ(n->n_repeat_after_ns, 10 * SEC);

	/* Same (uid, type, key) within repeat-after: one more occurrence, not repeated. */
	fake_now += 5 * SEC;
	ASSERT_EQ(add(&ns, true, 1000, NOTICE_CUSTOM, "example.com/x", 10 * SEC), 1);
	ASSERT_EQ(n->n_occurrences, 2);
	ASSERT_EQ(n->n_repeated_ns, first);
	ASSERT_EQ(n->n_last_ns, fake_now);
	ASSERT_EQ(c.notified, 1);
	/* After repeat-after: repeated. */
	fake_now += 6 * SEC;
	ASSERT_EQ(add(&ns, true, 1000, NOTICE_CUSTOM, "example.com/x", 10 * SEC), 1);
	ASSERT_EQ(n->n_occurrences, 3);
	ASSERT_EQ(n->n_repeated_ns, fake_now);
	ASSERT_EQ(c.notified, 2);
	/* Without repeat-after every occurrence repeats. */
	fake_now += SEC;
	ASSERT_EQ(add(&ns, true, 1000, NOTICE_CUSTOM, "example.com/x", 0), 1);
	ASSERT_EQ(n->n_repeated_ns, fake_now);
	ASSERT_EQ(n->n_repeat_after_ns, 0);
	ASSERT_EQ(c.notified, 3);
	/* Another user, type or key is another notice. */
	ASSERT_EQ(add(&ns, true, 1001, NOTICE_CUSTOM, "example.com/x", 0), 2);
	ASSERT_EQ(add(&ns, false, 0, NOTICE_CUSTOM, "example.com/x", 0), 3);
	ASSERT_EQ(add(&ns, true, 1000, NOTICE_CUSTOM, "example.com/y", 0), 4);
	ASSERT_EQ(add(&ns, true, 1000, NOTICE_WARNING, "example.com/x", 0), 5);
	ASSERT_TRUE(c.dirty >= 8);
	notices_done(&ns);
}

static void test_timestamps_strictly_increase(void)
{
	struct notices ns;
	uint64_t prev = 0;

	notices_init(&ns, fake_clock, NULL, NULL);
	/* The clock stands still (and then steps back): every occurrence still moves on by at
	 * least a microsecond, so "after" filters never lose one. */
	for (int i = 0; i < 50; i++) {
		char key[64];
		struct notice *n;

		snprintf(key, sizeof(key), "example.com/k%d", i % 7);
		if (i == 25)
			fake_now -= 10 * SEC;
		add(&ns, false, 0, NOTICE_CUSTOM, key, 0);
		n = notices_find(&ns, (uint64_t)(i % 7) + 1);
		ASSERT_TRUE(n != NULL);
		ASSERT_TRUE(n->n_last_ns >= prev + NOTICE_MIN_STEP_NS);
		prev = n->n_last_ns;
	}
	fake_now += 20 * SEC;
	notices_done(&ns);
}

static void test_filters_and_order(void)
{
	struct notices ns;
	struct notice_filter f;
	struct notice **v;
	const char *keys[] = { "b.com/k" };
	size_t n;

	notices_init(&ns, fake_clock, NULL, NULL);
	add(&ns, true, 1000, NOTICE_CUSTOM, "a.com/k", 0); /* 1 */
	fake_now += SEC;
	add(&ns, false, 0, NOTICE_WARNING, "disk full", 0); /* 2 */
	fake_now += SEC;
	add(&ns, true, 2000, NOTICE_CUSTOM, "b.com/k", 0); /* 3 */
	fake_now += SEC;
	add(&ns, false, 0, NOTICE_CHANGE_UPDATE, "7", 0);  /* 4 */
	fake_now += SEC;
	/* Repeating 1 moves it to the end. */
	add(&ns, true, 1000, NOTICE_CUSTOM, "a.com/k", 0);

	memset(&f, 0, sizeof(f));
	f.nf_has_uid = true;
	f.nf_uid = 1000; /* uid 1000's and public ones */
	v = notices_list(&ns, &f, &n);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(v[0]->n_id, 2);
	ASSERT_EQ(v[1]->n_id, 4);
	ASSERT_EQ(v[2]->n_id, 1);
	free(v);

	f.nf_all_users = true;
	v = notices_list(&ns, &f, &n);
	ASSERT_EQ(n, 4);
	free(v);

	f.nf_types = 1u << NOTICE_CUSTOM;
	v = notices_list(&ns, &f, &n);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(v[0]->n_id, 3);
	free(v);

	f.nf_keys = keys;
	f.nf_nkeys = 1;
	v = notices_list(&ns, &f, &n);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(v[0]->n_id, 3);
	free(v);

	/* after compares with last-repeated. */
	memset(&f, 0, sizeof(f));
	f.nf_all_users = true;
	f.nf_after_ns = notices_find(&ns, 3)->n_repeated_ns;
	v = notices_list(&ns, &f, &n);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(v[0]->n_id, 4);
	ASSERT_EQ(v[1]->n_id, 1);
	free(v);

	/* No uid and not all users: public only. */
	memset(&f, 0, sizeof(f));
	v = notices_list(&ns, &f, &n);
	ASSERT_EQ(n, 2);
	free(v);
	ASSERT_EQ(notices_latest_warning(&ns), notices_find(&ns, 2)->n_repeated_ns);
	notices_done(&ns);
}

static void test_expiry(void)
{
	struct notices ns;
	size_t n;
	struct notice **v;

	notices_init(&ns, fake_clock, NULL, NULL);
	add(&ns, false, 0, NOTICE_CUSTOM, "a.com/old", 0);
	fake_now += 3 * 24 * 3600 * SEC;
	add(&ns, false, 0, NOTICE_CUSTOM, "a.com/new", 0);
	add(&ns, false, 0, NOTICE_WARNING, "w", 0);
	/* 7 days after its last occurrence the first is gone; the others are not. */
	fake_now += 4 * 24 * 3600 * SEC + SEC;
	ASSERT_TRUE(notices_find(&ns, 1) == NULL);
	ASSERT_TRUE(notices_find(&ns, 2) != NULL);
	v = notices_list(&ns, NULL, &n);
	ASSERT_EQ(n, 2);
	free(v);
	ASSERT_EQ(ns.ns_n, 3); /* still stored until pruned */
	notices_prune(&ns);
	ASSERT_EQ(ns.ns_n, 2);
	/* An expired notice that occurs again starts afresh. */
	fake_now += 7 * 24 * 3600 * SEC;
	ASSERT_EQ(notices_latest_warning(&ns), 0);
	ASSERT_EQ(add(&ns, false, 0, NOTICE_CUSTOM, "a.com/new", 0), 4);
	ASSERT_EQ(notices_find(&ns, 4)->n_occurrences, 1);
	notices_done(&ns);
}

static void test_cap(void)
{
	struct notices ns;
	char key[64];

	notices_init(&ns, fake_clock, NULL, NULL);
	for (int i = 0; i < NOTICES_MAX + 5; i++) {
		snprintf(key, sizeof(key), "a.com/k%d", i);
		fake_now += SEC;
		ASSERT_EQ(add(&ns, false, 0, NOTICE_CUSTOM, key, 0), (uint64_t)i + 1);
		if (i == 500) {
			/* Keeps notice 1 recent: the oldest occurrences are dropped first. */
			ASSERT_EQ(add(&ns, false, 0, NOTICE_CUSTOM, "a.com/k0", 0), 1);
		}
	}
	ASSERT_EQ(ns.ns_n, NOTICES_MAX);
	ASSERT_TRUE(notices_find(&ns, 1) != NULL);
	for (uint64_t id = 2; id <= 6; id++)
		ASSERT_TRUE(notices_find(&ns, id) == NULL);
	ASSERT_TRUE(notices_find(&ns, 7) != NULL);
	ASSERT_TRUE(notices_find(&ns, NOTICES_MAX + 5) != NULL);
	notices_done(&ns);
}

static void test_bad_input(void)
{
	struct notices ns;
	struct errbuf eb;
	json_t *bad = json_pack("{s:i}", "a", 1), *good = json_pack("{s:s}", "a", "b");
	uint64_t id = 99;

	notices_init(&ns, fake_clock, NULL, NULL);
	ASSERT_EQ(notices_add(&ns, false, 0, NOTICE_CUSTOM, "", NULL, 0, &id, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "invalid key");
	ASSERT_EQ(notices_add(&ns, false, 0, NOTICE_CUSTOM, "a.com/x", bad, 0, &id, &eb), -EINVAL);
	ASSERT_EQ(notices_add(&ns, false, 0, NOTICE_TYPE_MAX, "a.com/x", NULL, 0, &id, &eb), -EINVAL);
	ASSERT_EQ(id, 99);
	ASSERT_EQ(ns.ns_n, 0);
	ASSERT_EQ(notices_add(&ns, false, 0, NOTICE_CUSTOM, "a.com/x", good, 0, &id, &eb), 0);
	ASSERT_EQ(id, 1);
	json_decref(bad);
	json_decref(good);

	ASSERT_EQ(notice_check_custom_key("example.com/foo"), 0);
	ASSERT_EQ(notice_check_custom_key("a.b/c/d-e"), 0);
	ASSERT_EQ(notice_check_custom_key("a-b.c-d/e-f"), 0);
	ASSERT_EQ(notice_check_custom_key("example.com"), -EINVAL);
	ASSERT_EQ(notice_check_custom_key("foo/bar"), -EINVAL);
	ASSERT_EQ(notice_check_custom_key("Example.com/x"), -EINVAL);
	ASSERT_EQ(notice_check_custom_key("a..b/c"), -EINVAL);
	ASSERT_EQ(notice_check_custom_key("a.b/c-"), -EINVAL);
	ASSERT_EQ(notice_check_custom_key("a.b/"), -EINVAL);
	{
		char key[300];

		memset(key, 'a', sizeof(key));
		memcpy(key, "a.b/", 4);
		key[NOTICE_KEY_MAX + 1] = '\0';
		ASSERT_EQ(notice_check_custom_key(key), -E2BIG);
		key[NOTICE_KEY_MAX] = '\0';
		ASSERT_EQ(notice_check_custom_key(key), 0);
	}
	notices_done(&ns);
}

static void test_json_and_persistence(void)
{
	struct notices ns, ns2;
	struct errbuf eb;
	json_t *data = json_pack("{s:s}", "k", "v"), *o, *state, *bad;
	char *s;

	fake_now = 1700000000ull * SEC + 123456789;
	notices_init(&ns, fake_clock, NULL, NULL);
	ASSERT_EQ(notices_add(&ns, true, 1000, NOTICE_CUSTOM, "a.com/x", data, 3600 * SEC, NULL, &eb), 0);
	add(&ns, false, 0, NOTICE_CHANGE_UPDATE, "1", 0);
	o = notice_to_json(notices_find(&ns, 1));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ASSERT_STREQ(s, "{\"id\":\"1\",\"user-id\":1000,\"type\":\"custom\",\"key\":\"a.com/x\","
			"\"first-occurred\":\"2023-11-14T22:13:20.123456789Z\","
			"\"last-occurred\":\"2023-11-14T22:13:20.123456789Z\","
			"\"last-repeated\":\"2023-11-14T22:13:20.123456789Z\",\"occurrences\":1,"
			"\"last-data\":{\"k\":\"v\"},\"repeat-after\":\"1h0m0s\",\"expire-after\":\"168h0m0s\"}");
	free(s);
	json_decref(o);
	o = notice_to_json(notices_find(&ns, 2));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ASSERT_CONTAINS(s, "\"user-id\":null");
	ASSERT_TRUE(!strstr(s, "last-data"));
	ASSERT_TRUE(!strstr(s, "repeat-after"));
	free(s);
	json_decref(o);

	state = notices_to_json(&ns);
	notices_init(&ns2, fake_clock, NULL, NULL);
	ASSERT_EQ(notices_load_json(&ns2, state, &eb), 0);
	ASSERT_EQ(ns2.ns_n, 2);
	ASSERT_EQ(notices_find(&ns2, 1)->n_uid, 1000);
	ASSERT_EQ(notices_find(&ns2, 1)->n_first_ns, notices_find(&ns, 1)->n_first_ns);
	ASSERT_STREQ(notices_find(&ns2, 1)->n_data, "{\"k\":\"v\"}");
	ASSERT_EQ(notices_find(&ns2, 1)->n_repeat_after_ns, 3600 * SEC);
	ASSERT_TRUE(!notices_find(&ns2, 2)->n_has_uid);
	/* Ids and timestamps carry on after a reload. */
	ASSERT_EQ(add(&ns2, false, 0, NOTICE_CUSTOM, "a.com/y", 0), 3);
	ASSERT_TRUE(notices_find(&ns2, 3)->n_last_ns > notices_find(&ns, 2)->n_last_ns);
	json_decref(state);
	notices_done(&ns2);

	/* Malformed state is refused and loads nothing. */
	bad = json_pack("{s:[{s:s,s:s}]}", "notices", "id", "x", "type", "custom");
	notices_init(&ns2, fake_clock, NULL, NULL);
	ASSERT_EQ(notices_load_json(&ns2, bad, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "malformed");
	ASSERT_EQ(ns2.ns_n, 0);
	json_decref(bad);
	bad = json_pack("{s:i}", "notices", 3);
	ASSERT_EQ(notices_load_json(&ns2, bad, &eb), -EINVAL);
	json_decref(bad);
	notices_done(&ns2);
	json_decref(data);
	notices_done(&ns);
}

int main(void)
{
	RUN(test_occurrences_and_repeat_after);
	RUN(test_timestamps_strictly_increase);
	RUN(test_filters_and_order);
	RUN(test_expiry);
	RUN(test_cap);
	RUN(test_bad_input);
	RUN(test_json_and_persistence);
	return test_summary();
}
