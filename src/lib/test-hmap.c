/* Unit tests for hmap: put/get/replace/delete, growth, iteration with deletion. */
#include "lib/buf.h"
#include "lib/hmap.h"
#include "lib/test.h"

#include <stdio.h>
#include <stdlib.h>

static void test_basic(void)
{
	struct hmap m = HMAP_INIT;
	char *keys[5000];
	int vals[5000];

	for (int i = 0; i < 5000; i++) {
		keys[i] = xasprintf("app/%d", i);
		vals[i] = i;
		ASSERT_TRUE(hmap_put(&m, keys[i], &vals[i]) == NULL);
	}
	ASSERT_EQ(m.n, 5000);
	for (int i = 0; i < 5000; i++)
		ASSERT_EQ(*(int *)hmap_get(&m, keys[i]), i);
	ASSERT_TRUE(hmap_get(&m, "app/5000") == NULL);
	ASSERT_TRUE(hmap_put(&m, keys[7], &vals[8]) == &vals[7]);
	ASSERT_EQ(*(int *)hmap_get(&m, "app/7"), 8);
	ASSERT_TRUE(hmap_del(&m, "app/7") == &vals[8]);
	ASSERT_TRUE(hmap_get(&m, "app/7") == NULL);
	ASSERT_TRUE(hmap_del(&m, "app/7") == NULL);
	/* Iteration sees every entry once; deleting while iterating is allowed. */
	int seen = 0;
	for (struct hmap_iter it = hmap_iter(&m); hmap_next(&it);) {
		seen++;
		if (*(int *)it.value % 2)
			hmap_iter_del(&it);
	}
	ASSERT_EQ(seen, 4999);
	ASSERT_EQ(m.n, 2500);
	ASSERT_TRUE(hmap_get(&m, "app/3") == NULL);
	ASSERT_EQ(*(int *)hmap_get(&m, "app/4"), 4);
	hmap_done(&m);
	ASSERT_TRUE(hmap_get(&m, "app/4") == NULL);
	for (int i = 0; i < 5000; i++)
		free(keys[i]);
}

int main(void)
{
	RUN(test_basic);
	return test_summary();
}
