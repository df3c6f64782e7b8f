/* Unit tests for strnum: integers, floats, Go booleans and Go durations. */
#include "lib/strnum.h"
#include "lib/test.h"

#include <errno.h>

static void test_i64(void)
{
	int64_t v = 7;

	ASSERT_EQ(strnum_i64("42", 0, 100, &v), 0);
	ASSERT_EQ(v, 42);
	ASSERT_EQ(strnum_i64("-5", -10, 10, &v), 0);
	ASSERT_EQ(v, -5);
	ASSERT_EQ(strnum_i64("101", 0, 100, &v), -ERANGE);
	ASSERT_EQ(strnum_i64("12x", 0, 100, &v), -EINVAL);
	ASSERT_EQ(strnum_i64("", 0, 100, &v), -EINVAL);
	ASSERT_EQ(strnum_i64(" 1", 0, 100, &v), -EINVAL);
	ASSERT_EQ(strnum_i64("99999999999999999999", INT64_MIN, INT64_MAX, &v), -ERANGE);
	ASSERT_EQ(v, -5);
}

static void test_bool(void)
{
	const char *t[] = { "1", "t", "T", "TRUE", "true", "True" };
	const char *f[] = { "0", "f", "F", "FALSE", "false", "False" };
	bool b;

	for (int i = 0; i < 6; i++) {
		ASSERT_EQ(strnum_bool(t[i], &b), 0);
		ASSERT_TRUE(b);
		ASSERT_EQ(strnum_bool(f[i], &b), 0);
		ASSERT_TRUE(!b);
	}
	ASSERT_EQ(strnum_bool("yes", &b), -EINVAL);
	ASSERT_EQ(strnum_bool("tRUE", &b), -EINVAL);
}

static void test_f64(void)
{
	double d;

	ASSERT_EQ(strnum_f64("1.5", &d), 0);
	ASSERT_TRUE(d == 1.5);
	ASSERT_EQ(strnum_f64("1e3", &d), 0);
	ASSERT_TRUE(d == 1000);
	ASSERT_EQ(strnum_f64("abc", &d), -EINVAL);
	ASSERT_EQ(strnum_f64("", &d), -EINVAL);
}

static void test_duration(void)
{
	int64_t ns;

	ASSERT_EQ(strnum_duration("500ms", &ns), 0);
	ASSERT_EQ(ns, 500000000LL);
	ASSERT_EQ(strnum_duration("1m30s", &ns), 0);
	ASSERT_EQ(ns, 90000000000LL);
	ASSERT_EQ(strnum_duration("0.5s", &ns), 0);
	ASSERT_EQ(ns, 500000000LL);
	ASSERT_EQ(strnum_duration("2h45m", &ns), 0);
	ASSERT_EQ(ns, 9900000000000LL);
	ASSERT_EQ(strnum_duration("0", &ns), 0);
	ASSERT_EQ(ns, 0);
	ASSERT_EQ(strnum_duration("10", &ns), -EINVAL);
	ASSERT_EQ(strnum_duration("x", &ns), -EINVAL);
	ASSERT_EQ(strnum_duration("", &ns), -EINVAL);
	ASSERT_EQ(strnum_duration("1.2.3s", &ns), -EINVAL);
	ASSERT_EQ(strnum_duration("5d", &ns), -EINVAL);
}

static void test_fmt_duration(void)
{
	char b[64];

	strnum_fmt_duration(0, b, sizeof b);
	ASSERT_STREQ(b, "0s");
	strnum_fmt_duration(50000000, b, sizeof b);
	ASSERT_STREQ(b, "50ms");
	strnum_fmt_duration(60000000000LL, b, sizeof b);
	ASSERT_STREQ(b, "1m0s");
	strnum_fmt_duration(168LL * 3600 * 1000000000LL, b, sizeof b);
	ASSERT_STREQ(b, "168h0m0s");
	strnum_fmt_duration(1500000000LL, b, sizeof b);
	ASSERT_STREQ(b, "1.5s");
	strnum_fmt_duration(90000000000LL, b, sizeof b);
	ASSERT_STREQ(b, "1m30s");
	strnum_fmt_duration(1500, b, sizeof b);
	ASSERT_STREQ(b, "1.5\xc2\xb5s");
}

static void test_rfc3339(void)
{
	int64_t v = 7;

	ASSERT_EQ(strnum_rfc3339("1970-01-01T00:00:00Z", &v), 0);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T17:18:00.5Z", &v), 0);
	ASSERT_EQ(v, 1693934280500000000LL);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T19:18:00.123456789+02:00", &v), 0);
	ASSERT_EQ(v, 1693934280123456789LL);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T16:48:00-00:30", &v), 0);
	ASSERT_EQ(v, 1693934280000000000LL);
	ASSERT_EQ(strnum_rfc3339("1969-12-31T23:59:59.5Z", &v), 0);
	ASSERT_EQ(v, -500000000LL);
	v = 7;
	ASSERT_EQ(strnum_rfc3339("0001-01-01T00:00:00Z", &v), -ERANGE);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T17:18:00", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("2023-09-05 17:18:00Z", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("2023-02-29T00:00:00Z", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("2023-13-01T00:00:00Z", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T17:18:00.Z", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T17:18:00.1234567890Z", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("2023-09-05T17:18:00Zx", &v), -EINVAL);
	ASSERT_EQ(strnum_rfc3339("", &v), -EINVAL);
	ASSERT_EQ(v, 7);
}

int main(void)
{
	RUN(test_i64);
	RUN(test_rfc3339);
	RUN(test_bool);
	RUN(test_f64);
	RUN(test_duration);
	RUN(test_fmt_duration);
	return test_summary();
}
