/* test-logring.c - unit tests for the per-service output ring. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/logring.h"

#define T0 1700000000123000000ull /* 2023-11-14T22:13:20.123Z */

static void test_prefix_and_partial_lines(void)
{
	struct logring r;
	struct buf line = BUF_INIT, fmt = BUF_INIT;
	uint64_t off = 0, t;
	const char *msg;

	logring_init(&r, "svc");
	buf_init(&line);
	buf_init(&fmt);
	logring_write(&r, "hello\npar", 9, T0, &fmt);
	ASSERT_STREQ(fmt.data, "2023-11-14T22:13:20.123Z [svc] hello\n2023-11-14T22:13:20.123Z [svc] par");
	logring_write(&r, "tial\n", 5, T0 + 1000000000ull, NULL);
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 1);
	ASSERT_STREQ(line.data, "2023-11-14T22:13:20.123Z [svc] hello");
	ASSERT_EQ(logring_parse_line(line.data, &t, &msg), 0);
	ASSERT_EQ(t, T0);
	ASSERT_STREQ(msg, "hello");
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 1);
	ASSERT_STREQ(line.data, "2023-11-14T22:13:20.123Z [svc] partial");
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 0);
	ASSERT_EQ(off, logring_end(&r));
	buf_done(&line);
	buf_done(&fmt);
	logring_done(&r);
}

static void test_unterminated_tail(void)
{
	struct logring r;
	struct buf line = BUF_INIT;
	uint64_t off = 0;

	logring_init(&r, "s");
	buf_init(&line);
	logring_write(&r, "a\nb", 3, T0, NULL);
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 1);
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 0);
	ASSERT_EQ(logring_next_line(&r, &off, true, &line), 1);
	ASSERT_TRUE(strstr(line.data, "] b") != NULL);
	ASSERT_EQ(logring_tail_offset(&r, 1) < logring_end(&r), 1);
	buf_done(&line);
	logring_done(&r);
}

static void test_bounded_and_line_aligned(void)
{
	struct logring r;
	struct buf line = BUF_INIT;
	char text[64];
	uint64_t off = 0;
	size_t n = 0;
	int last = -1;

	logring_init(&r, "svc");
	buf_init(&line);
	for (int i = 0; i < 5000; i++) {
		int len = snprintf(text, sizeof(text), "line %d\n", i);

		logring_write(&r, text, (size_t)len, T0, NULL);
	}
	ASSERT_TRUE(r.lr_len <= LOGRING_MAX);
	ASSERT_TRUE(r.lr_cap <= LOGRING_MAX);
	ASSERT_TRUE(r.lr_len > LOGRING_MAX - 100);
	/* Every stored line is whole and they are consecutive up to the last one. */
	while (logring_next_line(&r, &off, false, &line) == 1) {
		uint64_t t;
		const char *msg;
		int v;

		ASSERT_EQ(logring_parse_line(line.data, &t, &msg), 0);
		ASSERT_EQ(sscanf(msg, "line %d", &v), 1);
		if (last >= 0)
			ASSERT_EQ(v, last + 1);
		last = v;
		n++;
	}
	ASSERT_EQ(last, 4999);
	ASSERT_TRUE(n > 1000);
	/* An offset from before the oldest byte is clamped. */
	off = 0;
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 1);
	buf_done(&line);
	logring_done(&r);
}

static void test_huge_write(void)
{
	struct logring r;
	size_t n = 3 * LOGRING_MAX;
	char *big = malloc(n);

	logring_init(&r, "x");
	memset(big, 'a', n);
	for (size_t i = 99; i < n; i += 100)
		big[i] = '\n';
	logring_write(&r, big, n, T0, NULL);
	ASSERT_TRUE(r.lr_len <= LOGRING_MAX);
	free(big);
	logring_done(&r);
}

/* A service that never writes a newline: its output is cut into lines of LOGRING_MAX_LINE
 * bytes, each with the prefix, in the order written; the ring keeps the newest of them,
 * whole, and a line split across writes at exactly the limit does not leave an empty one. */
static void test_long_lines_cut(void)
{
	struct logring r;
	struct buf line = BUF_INIT, all = BUF_INIT;
	size_t total = 3 * LOGRING_MAX + 17, written = 0, lines = 0;
	char chunk[5000];
	uint64_t off = 0;
	unsigned k = 0;

	logring_init(&r, "svc");
	buf_init(&line);
	buf_init(&all);
	while (written < total) {
		size_t n = 1 + (k * 7919) % 4999;

		if (n > total - written)
			n = total - written;

		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)('a' + (written + i) % 26);
		logring_write(&r, chunk, n, T0, NULL);
		written += n;
		k++;
	}
	logring_write(&r, "\n", 1, T0, NULL);
	ASSERT_TRUE(r.lr_len <= LOGRING_MAX);
	ASSERT_TRUE(r.lr_len > LOGRING_MAX - 2 * LOGRING_MAX_LINE);
	while (logring_next_line(&r, &off, false, &line) == 1) {
		uint64_t t;
		const char *msg;

		ASSERT_TRUE(line.len <= LOGRING_MAX_LINE);
		ASSERT_EQ(logring_parse_line(line.data, &t, &msg), 0);
		ASSERT_TRUE(*msg != '\0');
		buf_adds(&all, msg);
		lines++;
	}
	ASSERT_TRUE(lines >= LOGRING_MAX / LOGRING_MAX_LINE - 1);
	/* What is kept is the newest output, contiguous. */
	for (size_t i = 0; i < all.len; i++)
		ASSERT_EQ(all.data[i], (char)('a' + (total - all.len + i) % 26));

	/* Exactly a full line, then its newline in the next write: one line, not two. */
	logring_done(&r);
	logring_init(&r, "s");
	off = 0;
	{
		size_t prefix = strlen("2023-11-14T22:13:20.123Z [s] ");
		char *full = malloc(LOGRING_MAX_LINE);

		memset(full, 'z', LOGRING_MAX_LINE);
		logring_write(&r, full, LOGRING_MAX_LINE - prefix, T0, NULL);
		logring_write(&r, "\nnext\n", 6, T0, NULL);
		free(full);
	}
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 1);
	ASSERT_EQ(line.len, LOGRING_MAX_LINE);
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 1);
	ASSERT_TRUE(strstr(line.data, "] next") != NULL);
	ASSERT_EQ(logring_next_line(&r, &off, false, &line), 0);
	buf_done(&line);
	buf_done(&all);
	logring_done(&r);
}

static void test_last_lines(void)
{
	struct logring r;
	struct buf out = BUF_INIT;

	logring_init(&r, "svc");
	buf_init(&out);
	logring_write(&r, "one\ntwo\nthree\n", 14, T0, NULL);
	logring_last_lines(&r, 2, "    ", &out);
	ASSERT_STREQ(out.data, "    two\n    three");
	buf_reset(&out);
	logring_last_lines(&r, 20, "    ", &out);
	ASSERT_STREQ(out.data, "    one\n    two\n    three");
	buf_done(&out);
	logring_done(&r);
}

static void test_parse_rejects_garbage(void)
{
	uint64_t t;
	const char *m;

	ASSERT_EQ(logring_parse_line("not a line", &t, &m), -EINVAL);
	ASSERT_EQ(logring_parse_line("2023-11-14T22:13:20.1Z [x] y", &t, &m), -EINVAL);
}

int main(void)
{
	RUN(test_prefix_and_partial_lines);
	RUN(test_unterminated_tail);
	RUN(test_bounded_and_line_aligned);
	RUN(test_huge_write);
	RUN(test_long_lines_cut);
	RUN(test_last_lines);
	RUN(test_parse_rejects_garbage);
	return test_summary();
}
