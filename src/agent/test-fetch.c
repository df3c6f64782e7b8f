/* test-fetch.c - fetch.h against a fake controller: content fetched in chunks, checked and
 * renamed into place; two fetches of one content (a unit's file resource and a pod's image,
 * say) run one after the other, each into its own path, the second starting when the first
 * ends, fails or is cancelled; a cancelled fetch's answer in flight is not taken for the next
 * one's; the flush to disk runs in a child, not on the loop. */
#include <errno.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/fetch.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/loop.h"
#include "lib/test.h"

/* The fake controller: the resource-gets the fetcher sent, in order. */
static struct {
	struct proto_charm_get reqs[16];
	char digests[16][65];
	int n;
	int bad;   /* messages that were not resource-gets, or too many */
} C;

static int f_send(void *data, const struct proto_msg *m)
{
	(void)data;
	if (m->type != PROTO_RESOURCE_GET || C.n >= 16) {
		C.bad++;
		return -EIO;
	}
	C.reqs[C.n] = m->u.resource_get;
	snprintf(C.digests[C.n], sizeof(C.digests[C.n]), "%s", m->u.resource_get.digest);
	C.reqs[C.n].digest = C.digests[C.n];
	C.n++;
	return 0;
}

struct result {
	int calls;
	char error[512];
};

static void on_done(void *arg, const char *error)
{
	struct result *r = arg;

	r->calls++;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
}

static void hex_sha256(const char *data, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)data, n, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The controller's answer to request i: content[offset, offset + length), or an error. */
static void answer(struct fetcher *f, int i, const char *content, size_t size, const char *error)
{
	const struct proto_charm_get *q = &C.reqs[i];
	struct proto_charm_chunk c = { .digest = q->digest, .offset = q->offset, .size = (int64_t)size,
				       .error = error };
	struct buf b = BUF_INIT;
	size_t len = (size_t)q->length;

	if ((size_t)q->offset + len > size)
		len = size - (size_t)q->offset;
	buf_init(&b);
	proto_b64_encode(content + q->offset, len, &b);
	c.data = error ? "" : buf_str(&b);
	fetcher_chunk(f, &c);
	buf_done(&b);
}

static void settle(struct loop *l)
{
	while (loop_run_once(l, 0) > 0)
		;
}

/* Runs the loop until r's fetch has ended (its flush runs in a child). */
static void wait_done(struct loop *l, struct result *r)
{
	for (int i = 0; i < 100 && !r->calls; i++)
		ASSERT_TRUE(loop_run_once(l, 100) >= 0);
	ASSERT_EQ(r->calls, 1);
}

static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char *s;

	buf_init(&b);
	if (fs_read_file(path, 1 << 20, &b) < 0) {
		buf_done(&b);
		return NULL;
	}
	s = xstrdup(buf_str(&b));
	buf_done(&b);
	return s;
}

/* The directory the test made, removed at the end even when it failed half-way. */
static char made[64];

static void test_queued_same_content(void)
{
	char dir[] = "/tmp/cairn-test-fetch-XXXXXX";
	const char content[] = "the content of one resource\n";
	char fp[65], a[600], b[600], part[620];
	struct result ra = { 0 }, rb = { 0 };
	struct fetch *xa, *xb;
	struct errbuf eb;
	struct fetcher *f;
	struct loop *l;
	char *text;

	memset(&C, 0, sizeof(C));
	ASSERT_EQ(loop_new(&l), 0);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(made, sizeof(made), "%s", dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	hex_sha256(content, sizeof(content) - 1, fp);
	f = fetcher_new(l, f_send, NULL);
	fetcher_link(f, true);
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, a, on_done, &ra, &xa, &eb), 0);
	/* The same content again, for another path: accepted, and it waits. */
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, b, on_done, &rb, &xb, &eb), 0);
	ASSERT_EQ(C.n, 1);
	ASSERT_EQ(C.reqs[0].offset, 0);
	/* The first one's answer is the first one's; the second asks only once the first has
	 * ended (its content flushed and renamed into place). */
	answer(f, 0, content, sizeof(content) - 1, NULL);
	ASSERT_EQ(C.n, 1);
	wait_done(l, &ra);
	ASSERT_EQ(ra.calls, 1);
	ASSERT_STREQ(ra.error, "");
	text = slurp(a);
	ASSERT_STREQ(text, content);
	free(text);
	/* Then the second one asks, from the start. */
	ASSERT_EQ(rb.calls, 0);
	ASSERT_EQ(C.n, 2);
	ASSERT_STREQ(C.reqs[1].digest, fp);
	ASSERT_EQ(C.reqs[1].offset, 0);
	answer(f, 1, content, sizeof(content) - 1, NULL);
	wait_done(l, &rb);
	ASSERT_EQ(rb.calls, 1);
	ASSERT_STREQ(rb.error, "");
	text = slurp(b);
	ASSERT_STREQ(text, content);
	free(text);

	/* A failed first fetch: the second still runs. */
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	unlink(a);
	unlink(b);
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, a, on_done, &ra, &xa, &eb), 0);
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, b, on_done, &rb, &xb, &eb), 0);
	ASSERT_EQ(C.n, 3);
	answer(f, 2, content, sizeof(content) - 1, "the machine may not have it");
	settle(l);
	ASSERT_EQ(ra.calls, 1);
	ASSERT_STREQ(ra.error, "the machine may not have it");
	ASSERT_TRUE(access(a, F_OK) < 0 && errno == ENOENT);
	snprintf(part, sizeof(part), "%s.part", a);
	ASSERT_TRUE(access(part, F_OK) < 0 && errno == ENOENT);
	ASSERT_EQ(C.n, 4);
	answer(f, 3, content, sizeof(content) - 1, NULL);
	wait_done(l, &rb);
	ASSERT_EQ(rb.calls, 1);
	ASSERT_STREQ(rb.error, "");

	/* A cancelled first fetch with its request in flight: the second waits for that answer,
	 * which it does not take for its own, then asks. */
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	unlink(b);
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, a, on_done, &ra, &xa, &eb), 0);
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, b, on_done, &rb, &xb, &eb), 0);
	ASSERT_EQ(C.n, 5);
	fetch_cancel(xa);
	snprintf(part, sizeof(part), "%s.part", a);
	ASSERT_TRUE(access(part, F_OK) < 0 && errno == ENOENT);
	settle(l);
	ASSERT_EQ(C.n, 5);
	answer(f, 4, content, sizeof(content) - 1, NULL);
	settle(l);
	ASSERT_EQ(ra.calls, 0);
	ASSERT_TRUE(access(a, F_OK) < 0 && errno == ENOENT);
	ASSERT_EQ(rb.calls, 0);
	ASSERT_EQ(C.n, 6);
	answer(f, 5, content, sizeof(content) - 1, NULL);
	wait_done(l, &rb);
	ASSERT_EQ(rb.calls, 1);
	ASSERT_STREQ(rb.error, "");

	/* A cancelled queued fetch never asks; cancelled with the link down, the first one's
	 * successor asks once the link is back. */
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, a, on_done, &ra, &xa, &eb), 0);
	ASSERT_EQ(fetch_start(f, fp, sizeof(content) - 1, b, on_done, &rb, &xb, &eb), 0);
	ASSERT_EQ(C.n, 7);
	fetch_cancel(xb);
	fetcher_link(f, false);
	fetcher_link(f, true);
	ASSERT_EQ(C.n, 8); /* the first one asks again after the link came back */
	answer(f, 7, content, sizeof(content) - 1, NULL);
	wait_done(l, &ra);
	ASSERT_EQ(ra.calls, 1);
	ASSERT_EQ(rb.calls, 0);
	ASSERT_EQ(C.n, 8);

	ASSERT_EQ(C.bad, 0);
	fetcher_free(f);
	settle(l);
	loop_free(l);
	ASSERT_EQ(fs_rm_rf(dir), 0);
}

int main(void)
{
	RUN(test_queued_same_content);
	if (made[0])
		fs_rm_rf(made);
	return test_summary();
}
