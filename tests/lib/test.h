/* test.h - the tiny assertion harness every unit test uses.
 *
 * A test file defines `static void test_x(void)` functions and a main() that calls
 * RUN(test_x) for each, then returns test_summary().  A failed assertion prints
 * "FAIL file:line: expr" and returns from the test function; the summary line
 * "N passed, N failed" is printed at the end and the exit code is non-zero on failure. */
#ifndef CAIRN_TEST_H
#define CAIRN_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failed_count, test_passed_count, test_cur_failed;

#define RUN(fn)                                                                \
	do {                                                                   \
		test_cur_failed = 0;                                           \
		fn();                                                          \
		if (test_cur_failed) {                                         \
			test_failed_count++;                                   \
			printf("not ok %s\n", #fn);                            \
		} else {                                                       \
			test_passed_count++;                                   \
			printf("ok %s\n", #fn);                                \
		}                                                              \
		fflush(stdout);                                                \
	} while (0)

#define TFAIL(...)                                                             \
	do {                                                                   \
		printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		test_cur_failed = 1;                                           \
		return;                                                        \
	} while (0)

#define ASSERT_TRUE(e)                                                         \
	do {                                                                   \
		if (!(e))                                                      \
			TFAIL("%s", #e);                                       \
	} while (0)
#define ASSERT_EQ(a, b)                                                        \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b)                                                  \
			TFAIL("%s == %s (%lld != %lld)", #a, #b, _a, _b);      \
	} while (0)
#define ASSERT_STREQ(a, b)                                                     \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b) != 0)                         \
			TFAIL("%s == %s (\"%s\" != \"%s\")", #a, #b,            \
			      _a ? _a : "(null)", _b ? _b : "(null)");         \
	} while (0)
#define ASSERT_CONTAINS(hay, needle)                                           \
	do {                                                                   \
		const char *_h = (hay), *_n = (needle);                        \
		if (!_h || !strstr(_h, _n))                                    \
			TFAIL("%s contains \"%s\" (got \"%s\")", #hay, _n,      \
			      _h ? _h : "(null)");                             \
	} while (0)

static inline int test_summary(void)
{
	printf("%d passed, %d failed\n", test_passed_count, test_failed_count);
	return test_failed_count ? 1 : 0;
}

#endif
