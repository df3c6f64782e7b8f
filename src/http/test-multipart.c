/* Unit tests for the multipart parser: bodies as ops and Go clients send them, Go's edge
 * cases (LF line ends, a body that ends at once, delimiter look-alikes in binary data,
 * blanks after the boundary, folded headers), every refusal with Go's message, and the
 * same results whatever the input's split into feeds (every split point, byte by byte and
 * random pieces of random bodies). */
#include "http/multipart.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>

#define B32 "0123456789abcdef0123456789abcdef"

/* Records the events as text: "<INDEX|Name=value|...>" at a part's start, its data bytes
 * as they are, "</>" at its end. */
struct rec {
	struct buf log;
	int stop_after;  /* stop (return 1) at the Nth callback when > 0 */
	int calls;
	size_t data_calls;
};

static int stop_check(struct rec *r)
{
	return r->stop_after > 0 && ++r->calls >= r->stop_after;
}

static int on_begin(void *data, const struct multipart_part *part)
{
	struct rec *r = data;

	buf_addf(&r->log, "<%zu", part->index);
	for (size_t i = 0; i < part->n_headers; i++)
		buf_addf(&r->log, "|%s=%s", part->headers[i].name, part->headers[i].value);
	buf_addc(&r->log, '>');
	return stop_check(r);
}

static int on_data(void *data, const char *p, size_t n)
{
	struct rec *r = data;

	buf_add(&r->log, p, n);
	r->data_calls++;
	return stop_check(r);
}

static int on_end(void *data)
{
	struct rec *r = data;

	buf_adds(&r->log, "</>");
	return stop_check(r);
}

static const struct multipart_callbacks cbs = { on_begin, on_data, on_end };

/* The outcome of one parse: the log, then "=" and the finish result (or "!" and the feed
 * failure) and the error text. */
struct outcome {
	struct buf text;
	size_t data_calls;
};

/* Feeds body[0..n) in pieces: split == 0 whole, split > 0 at that offset, split < 0 in
 * pieces of -split bytes. */
static void run(const char *boundary, const char *body, size_t n, long split, int stop_after, struct outcome *o)
{
	struct multipart *m = NULL;
	struct rec r = { BUF_INIT, stop_after, 0, 0 };
	int rv = 0;
	size_t off = 0;

	buf_init(&r.log);
	buf_init(&o->text);
	if (multipart_new(boundary, &cbs, &r, &m) < 0) {
		buf_adds(&o->text, "NEW FAILED");
		buf_done(&r.log);
		return;
	}
	while (off < n && rv == 0) {
		size_t k = n - off;

		if (split > 0 && off == 0 && (size_t)split < n)
			k = (size_t)split;
		else if (split < 0 && (size_t)-split < k)
			k = (size_t)-split;
		rv = multipart_feed(m, body + off, k);
		off += k;
	}
	if (rv < 0) {
		buf_add(&o->text, r.log.data, r.log.len);
		buf_addf(&o->text, "!%s:%s", rv == -EBADMSG ? "EBADMSG" : rv == -ECANCELED ? "ECANCELED" : "?",
			 multipart_error(m));
	} else {
		static const char *const ends[] = { "CLEAN", "IN_BODY", "IN_HEADERS", "OUTSIDE" };
		int f = multipart_finish(m); /* may still end a part */

		buf_add(&o->text, r.log.data, r.log.len);
		if (f >= 0)
			buf_addf(&o->text, "=%s:%s", ends[f], multipart_error(m));
		else
			buf_addf(&o->text, "!%s:%s", f == -EBADMSG ? "EBADMSG" : "?", multipart_error(m));
	}
	o->data_calls = r.data_calls;
	buf_done(&r.log);
	multipart_free(m);
}

/* Parses body whole, then at every split point and byte by byte, and checks that every
 * way gives want. */
static int check_all_ways(const char *boundary, const char *body, size_t n, const char *want, size_t wlen)
{
	struct outcome o;
	int bad = 0;

	for (long split = -1; split <= (long)n; split++) {
		run(boundary, body, n, split, 0, &o);
		if (o.text.len != wlen || memcmp(o.text.data, want, wlen) != 0) {
			printf("split %ld: got   \"%s\"\n          want  \"%s\"\n", split, o.text.data, want);
			bad = 1;
		}
		buf_done(&o.text);
		if (bad)
			break;
	}
	return bad;
}

#define CHECK(boundary, body, want)                                                                  \
	do {                                                                                          \
		if (check_all_ways(boundary, body, sizeof(body) - 1, want, sizeof(want) - 1))         \
			TFAIL("body %s", #body);                                                      \
	} while (0)

static void test_ops_body(void)
{
	/* What ops' _encode_multipart sends: request part, one file part, binary content. */
	CHECK(B32,
	      "--" B32 "\r\n"
	      "Content-Type: application/json\r\n"
	      "Content-Disposition: form-data; name=\"request\"\r\n"
	      "\r\n"
	      "{\"action\": \"write\", \"files\": [{\"path\": \"/tmp/x\"}]}\r\n"
	      "--" B32 "\r\n"
	      "Content-Type: application/octet-stream\r\n"
	      "Content-Disposition: form-data; name=\"files\"; filename=\"/tmp/x\"\r\n"
	      "\r\n"
	      "\x00\xff\r\n--" B32 "x\r\n-\r\r\n--" B32 "-y\n\r\n\r\n"
	      "\r\n--" B32 "--\r\n",
	      "<0|Content-Type=application/json|Content-Disposition=form-data; name=\"request\">"
	      "{\"action\": \"write\", \"files\": [{\"path\": \"/tmp/x\"}]}</>"
	      "<1|Content-Type=application/octet-stream|Content-Disposition=form-data; name=\"files\"; "
	      "filename=\"/tmp/x\">"
	      "\x00\xff\r\n--" B32 "x\r\n-\r\r\n--" B32 "-y\n\r\n\r\n</>=CLEAN:");
}

static void test_lf_body(void)
{
	/* Upstream's own tests write bodies with bare LF line ends and a preamble. */
	CHECK(B32,
	      "\n--" B32 "\n"
	      "Content-Disposition: form-data; name=\"request\"\n"
	      "\n"
	      "{\"action\": \"write\"}\n"
	      "--" B32 "\n"
	      "Content-Disposition: form-data; name=\"files\"; filename=\"/a\"\n"
	      "\n"
	      "Foo\r\nBar\n"
	      "--" B32 "--\n",
	      "<0|Content-Disposition=form-data; name=\"request\">{\"action\": \"write\"}</>"
	      "<1|Content-Disposition=form-data; name=\"files\"; filename=\"/a\">Foo\r\nBar</>=CLEAN:");
}

static void test_preamble_epilogue_and_blanks(void)
{
	CHECK("b",
	      "preamble line\r\n--b-not-it\r\n--b \t\r\n"
	      "X: 1\r\n\r\n"
	      "one\r\n--b\t\r\n"
	      "\r\n"
	      "two\r\n--b-- \t\r\nepilogue --b\r\n garbage",
	      "<0|X=1>one</><1>two</>=CLEAN:");
	/* The final delimiter without its line end at the end of input. */
	CHECK("b", "--b\r\n\r\nx\r\n--b--", "<0>x</>=CLEAN:");
	/* No parts at all. */
	CHECK("b", "--b--\r\n", "=CLEAN:");
	CHECK("b", "", "=OUTSIDE:multipart: NextPart: EOF");
	CHECK("b", "just text\r\n", "=OUTSIDE:multipart: NextPart: EOF");
}

static void test_empty_bodies(void)
{
	/* A body may end at once, with or without the line end before the delimiter. */
	CHECK("b", "--b\r\n\r\n--b\r\n\r\n\r\n--b--\r\n", "<0></><1></>=CLEAN:");
	CHECK("b", "--b\r\n\r\n--bx\r\n--b--\r\n", "<0>--bx</>=CLEAN:");
	CHECK("b", "--b\n\n--b\n\n\n--b--\n", "<0></><1></>=CLEAN:");
}

static void test_folded_and_odd_headers(void)
{
	CHECK("b",
	      "--b\r\n"
	      "Content-Disposition: form-data;\r\n"
	      "\t name=\"x\"  \r\n"
	      ": no name is skipped\r\n"
	      "Lower-Case:    v  \r\n"
	      "Spaced : kept\r\n"
	      "\r\nbody\r\n--b--\r\n",
	      "<0|Content-Disposition=form-data; name=\"x\"|Lower-Case=v|Spaced =kept>body</>=CLEAN:");
}

static void test_header_errors(void)
{
	CHECK("b", "--b\r\nno colon here\r\n\r\n",
	      "!EBADMSG:malformed MIME header: missing colon: \"no colon here\"");
	CHECK("b", "--b\r\n leading: space\r\n\r\n", "!EBADMSG:malformed MIME header initial line:  leading: space");
	CHECK("b", "--b\r\nBad\x01Name: v\r\n\r\n", "!EBADMSG:malformed MIME header line: Bad\x01Name: v");
	CHECK("b", "--b\r\nName: bad\x7fvalue\r\n\r\n", "!EBADMSG:malformed MIME header line: Name: bad\x7fvalue");
	CHECK("b", "--b\r\nName: v\r\nnext", "!EBADMSG:malformed MIME header: missing colon: \"next\"");
	CHECK("b", "--b\r\nName: v\r\n", "=IN_HEADERS:EOF");
	CHECK("b", "--b\r\n", "=IN_HEADERS:EOF");
	CHECK("b", "--b\r\nName: v\r", "!EBADMSG:malformed MIME header line: Name: v\r");
}

static void test_limits(void)
{
	struct buf b = BUF_INIT;
	struct outcome o;

	buf_init(&b);
	/* A preamble line longer than Go's 4096-byte buffer. */
	for (int i = 0; i < MULTIPART_MAX_LINE; i++)
		buf_addc(&b, 'x');
	run("b", b.data, b.len, 0, 0, &o);
	ASSERT_STREQ(o.text.data, "!EBADMSG:multipart: NextPart: bufio: buffer full");
	buf_done(&o.text);
	/* 4095 bytes and the LF fit. */
	b.len = MULTIPART_MAX_LINE - 1;
	buf_adds(&b, "\n--b--\r\n");
	run("b", b.data, b.len, 0, 0, &o);
	ASSERT_STREQ(o.text.data, "=CLEAN:");
	buf_done(&o.text);

	/* A header block beyond MULTIPART_MAX_HEADER_BYTES. */
	buf_reset(&b);
	buf_adds(&b, "--b\r\n");
	while (b.len < MULTIPART_MAX_HEADER_BYTES + 10)
		buf_adds(&b, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	run("b", b.data, b.len, -1000, 0, &o);
	ASSERT_STREQ(o.text.data, "!EBADMSG:multipart: message too large");
	buf_done(&o.text);
	/* Too many fields. */
	buf_reset(&b);
	buf_adds(&b, "--b\r\n");
	for (int i = 0; i <= MULTIPART_MAX_HEADERS; i++)
		buf_addf(&b, "X-%d: v\r\n", i);
	buf_adds(&b, "\r\n");
	run("b", b.data, b.len, 0, 0, &o);
	ASSERT_STREQ(o.text.data, "!EBADMSG:multipart: message too large");
	buf_done(&o.text);
	/* An over-long initial line with a leading space: Go reports it as too large. */
	buf_reset(&b);
	buf_adds(&b, "--b\r\n ");
	for (int i = 0; i < 100; i++)
		buf_addc(&b, 'y');
	buf_adds(&b, "\r\n\r\n");
	run("b", b.data, b.len, 0, 0, &o);
	ASSERT_STREQ(o.text.data, "!EBADMSG:multipart: message too large");
	buf_done(&o.text);
	buf_done(&b);

	/* Boundaries the parser refuses. */
	{
		struct multipart *m = NULL;
		char big[MULTIPART_MAX_BOUNDARY + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ASSERT_EQ(multipart_new("", &cbs, NULL, &m), -EINVAL);
		ASSERT_EQ(multipart_new(NULL, &cbs, NULL, &m), -EINVAL);
		ASSERT_EQ(multipart_new("a\r\nb", &cbs, NULL, &m), -EINVAL);
		ASSERT_EQ(multipart_new(big, &cbs, NULL, &m), -EINVAL);
		big[MULTIPART_MAX_BOUNDARY] = '\0';
		ASSERT_EQ(multipart_new(big, &cbs, NULL, &m), 0);
		multipart_free(m);
	}
}

static void test_bad_lines_and_truncation(void)
{
	CHECK("b", "--b\r\n\r\nx\r\n--b junk\r\n",
	      "<0>x</>!EBADMSG:multipart: expecting a new Part; got line \"--b junk\\r\\n\"");
	CHECK("b", "--b\r\n\r\nx\r\n--b--junk\r\n",
	      "<0>x</>!EBADMSG:multipart: expecting a new Part; got line \"--b--junk\\r\\n\"");
	CHECK("b", "--b\r\n\r\nx\r\n--b\n\r\n", "<0>x</>!EBADMSG:multipart: expecting a new Part; got line \"--b\\n\"");
	/* Ends inside a body: held look-alike bytes are not data. */
	CHECK("b", "--b\r\n\r\npartial\r\n--", "<0>partial=IN_BODY:unexpected EOF");
	CHECK("b", "--b\r\n\r\npartial\r\n--b-", "<0>partial=IN_BODY:unexpected EOF");
	/* Exactly the delimiter at the end: the body is complete, the line is not. */
	CHECK("b", "--b\r\n\r\ncomplete\r\n--b", "<0>complete</>=OUTSIDE:multipart: NextPart: EOF");
	CHECK("b", "--b\r\n\r\n--b", "<0></>=OUTSIDE:multipart: NextPart: EOF");
	CHECK("b", "--b\r\n\r\nx\r\n--b\r\n", "<0>x</>=IN_HEADERS:EOF");
	CHECK("b", "--b\r\n\r\nx\r\n--b  ", "<0>x</>=OUTSIDE:multipart: NextPart: EOF");
}

static void test_callback_stops(void)
{
	static const char body[] = "--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n";
	struct outcome o;

	run("b", body, sizeof(body) - 1, 0, 1, &o);
	ASSERT_STREQ(o.text.data, "<0|A=1>!ECANCELED:stopped by the caller");
	buf_done(&o.text);
	run("b", body, sizeof(body) - 1, 0, 2, &o);
	ASSERT_STREQ(o.text.data, "<0|A=1>one!ECANCELED:stopped by the caller");
	buf_done(&o.text);
	run("b", body, sizeof(body) - 1, 0, 3, &o);
	ASSERT_STREQ(o.text.data, "<0|A=1>one</>!ECANCELED:stopped by the caller");
	buf_done(&o.text);
}

static void test_large_runs(void)
{
	/* 1 MiB of random bytes in 64 KiB feeds arrives in about one callback per feed. */
	size_t n = 1u << 20;
	struct buf b = BUF_INIT, want = BUF_INIT;
	struct outcome o;
	unsigned seed = 7;

	buf_init(&b);
	buf_init(&want);
	buf_adds(&b, "--" B32 "\r\n\r\n");
	buf_adds(&want, "<0>");
	for (size_t i = 0; i < n; i++) {
		char c = (char)(rand_r(&seed) & 0xff);

		buf_addc(&b, c);
		buf_addc(&want, c);
	}
	buf_adds(&b, "\r\n--" B32 "--\r\n");
	buf_adds(&want, "</>=CLEAN:");
	run(B32, b.data, b.len, -65536, 0, &o);
	ASSERT_EQ(o.text.len, want.len);
	ASSERT_TRUE(memcmp(o.text.data, want.data, want.len) == 0);
	ASSERT_TRUE(o.data_calls <= 2 * (n / 65536) + 2);
	buf_done(&o.text);
	buf_done(&b);
	buf_done(&want);
}

/* Random bodies over a tiny alphabet that makes look-alike delimiters common: every way
 * of feeding one body must give the same outcome. */
static void test_random_splits(void)
{
	static const char alphabet[] = "\r\n-bX: ";
	unsigned seed = 12345;

	for (int iter = 0; iter < 400; iter++) {
		struct buf b = BUF_INIT;
		struct outcome whole, o;
		size_t len = (size_t)(rand_r(&seed) % 120);

		buf_init(&b);
		if (rand_r(&seed) % 2)
			buf_adds(&b, rand_r(&seed) % 2 ? "--b\r\n" : "--b\n");
		for (size_t i = 0; i < len; i++)
			buf_addc(&b, alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]);
		run("b", b.data, b.len, 0, 0, &whole);
		for (long split = -7; split <= (long)b.len; split++) {
			run("b", b.data, b.len, split, 0, &o);
			if (o.text.len != whole.text.len || memcmp(o.text.data, whole.text.data, o.text.len) != 0) {
				buf_done(&o.text);
				buf_done(&whole.text);
				buf_done(&b);
				TFAIL("iteration %d split %ld differs", iter, split);
			}
			buf_done(&o.text);
		}
		buf_done(&whole.text);
		buf_done(&b);
	}
}

static void test_writer(void)
{
	char b1[MULTIPART_RANDOM_BOUNDARY_LEN + 1], b2[MULTIPART_RANDOM_BOUNDARY_LEN + 1];
	const char *lines[] = { "Content-Disposition: form-data; name=\"files\"; filename=\"/a\"",
				"Content-Type: application/octet-stream" };
	const char *resp[] = { "Content-Disposition: form-data; name=\"response\"", "Content-Type: application/json" };
	struct buf out = BUF_INIT;

	ASSERT_EQ(multipart_random_boundary(b1), 0);
	ASSERT_EQ(multipart_random_boundary(b2), 0);
	ASSERT_EQ(strlen(b1), MULTIPART_RANDOM_BOUNDARY_LEN);
	ASSERT_EQ(strspn(b1, "0123456789abcdef"), MULTIPART_RANDOM_BOUNDARY_LEN);
	ASSERT_TRUE(strcmp(b1, b2) != 0);
	buf_init(&out);
	multipart_write_part_head(&out, "B", true, lines, 2);
	buf_adds(&out, "data");
	multipart_write_part_head(&out, "B", false, resp, 2);
	buf_adds(&out, "{}\n");
	multipart_write_close(&out, "B");
	ASSERT_STREQ(out.data, "--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/a\"\r\n"
			       "Content-Type: application/octet-stream\r\n\r\ndata"
			       "\r\n--B\r\nContent-Disposition: form-data; name=\"response\"\r\n"
			       "Content-Type: application/json\r\n\r\n{}\n\r\n--B--\r\n");
	/* What the writer produces, the parser reads back. */
	{
		struct outcome o;

		run("B", out.data, out.len, 0, 0, &o);
		ASSERT_STREQ(o.text.data, "<0|Content-Disposition=form-data; name=\"files\"; filename=\"/a\"|"
					  "Content-Type=application/octet-stream>data</>"
					  "<1|Content-Disposition=form-data; name=\"response\"|"
					  "Content-Type=application/json>{}\n</>=CLEAN:");
		buf_done(&o.text);
	}
	buf_done(&out);
}

int main(void)
{
	RUN(test_ops_body);
	RUN(test_lf_body);
	RUN(test_preamble_epilogue_and_blanks);
	RUN(test_empty_bodies);
	RUN(test_folded_and_odd_headers);
	RUN(test_header_errors);
	RUN(test_limits);
	RUN(test_bad_lines_and_truncation);
	RUN(test_callback_stops);
	RUN(test_large_runs);
	RUN(test_random_splits);
	RUN(test_writer);
	return test_summary();
}
