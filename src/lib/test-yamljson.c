/* Unit tests for yamljson: scalar resolution, errors, and round-tripping the emitter. */
#include "lib/yamljson.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>

static json_t *parse(const char *s, struct errbuf *eb)
{
	json_t *v = NULL;

	if (yaml_to_json(s, strlen(s), &v, eb) < 0)
		return NULL;
	return v;
}

static void test_scalars(void)
{
	struct errbuf eb;
	json_t *v = parse("a: 1\nb: 1.5\nc: true\nd: ~\ne: hello\nf: '1'\ng: \"true\"\nh: 0x10\ni: -3\n", &eb);

	ASSERT_TRUE(v);
	ASSERT_TRUE(json_is_integer(json_object_get(v, "a")));
	ASSERT_TRUE(json_is_real(json_object_get(v, "b")));
	ASSERT_TRUE(json_is_true(json_object_get(v, "c")));
	ASSERT_TRUE(json_is_null(json_object_get(v, "d")));
	ASSERT_STREQ(json_string_value(json_object_get(v, "e")), "hello");
	ASSERT_STREQ(json_string_value(json_object_get(v, "f")), "1");
	ASSERT_STREQ(json_string_value(json_object_get(v, "g")), "true");
	ASSERT_EQ(json_integer_value(json_object_get(v, "h")), 16);
	ASSERT_EQ(json_integer_value(json_object_get(v, "i")), -3);
	json_decref(v);
}

static void test_errors(void)
{
	struct errbuf eb;

	ASSERT_TRUE(!parse("a: [1, 2\n", &eb));
	ASSERT_CONTAINS(eb.msg, "yaml: line");
	ASSERT_TRUE(!parse("a: 1\na: 2\n", &eb));
	ASSERT_CONTAINS(eb.msg, "already defined");
	ASSERT_TRUE(!parse("a: &x 1\nb: *x\n", &eb));
	ASSERT_CONTAINS(eb.msg, "not supported");
	ASSERT_TRUE(!parse("a:\n\tb: 1\n", &eb));
	ASSERT_TRUE(!parse("? [a]\n: 1\n", &eb));
	ASSERT_CONTAINS(eb.msg, "mapping keys must be scalars");
	/* Deep nesting is refused, not a stack overflow. */
	char deep[1000];
	int n = 0;
	for (int i = 0; i < 300; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	ASSERT_TRUE(!parse(deep, &eb));
}

static void test_empty(void)
{
	struct errbuf eb;
	json_t *v = parse("", &eb);

	ASSERT_TRUE(v && json_is_null(v));
	json_decref(v);
	v = parse("# only a comment\n", &eb);
	ASSERT_TRUE(v && json_is_null(v));
	json_decref(v);
}

static void test_emit(void)
{
	struct errbuf eb;
	struct buf b = BUF_INIT;
	json_t *v = json_pack("{s:s, s:i, s:{s:[s,s], s:s}, s:s, s:[{s:s,s:i}], s:{}, s:s}",
			      "name", "hello", "num", 3, "sub", "list", "a", "b", "x", "1",
			      "empty", "", "items", "k", "v", "w", 2, "none", "colon", "a: b");

	buf_init(&b);
	json_to_yaml(&b, v, 2);
	ASSERT_STREQ(b.data, "name: hello\nnum: 3\nsub:\n  list:\n  - a\n  - b\n  x: \"1\"\nempty: \"\"\n"
			     "items:\n- k: v\n  w: 2\nnone: {}\ncolon: \"a: b\"\n");
	json_t *back = parse(b.data, &eb);
	ASSERT_TRUE(back && json_equal(back, v));
	json_decref(back);
	buf_reset(&b);
	json_to_yaml(&b, v, 4);
	back = parse(b.data, &eb);
	ASSERT_TRUE(back && json_equal(back, v));
	json_decref(back);
	json_decref(v);
	buf_done(&b);
}

int main(void)
{
	RUN(test_scalars);
	RUN(test_errors);
	RUN(test_empty);
	RUN(test_emit);
	return test_summary();
}
