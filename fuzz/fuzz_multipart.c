/* fuzz_multipart.c - the multipart parser (http/multipart) that every POST /v1/files body
 * goes through, and the media type parser (http/mediatype) that reads each part's
 * Content-Disposition and the request's Content-Type.  The first byte picks how the body
 * is cut into feeds; the outcome (every callback and the final result) must be the same
 * as when the body is fed whole, or the target aborts. */
#include "fuzz.h"
#include "http/mediatype.h"
#include "http/multipart.h"

#include <stdlib.h>
#include <string.h>

#define BOUNDARY "0123456789abcdef0123456789abcdef"

static int on_begin(void *data, const struct multipart_part *part)
{
	struct buf *log = data;
	const char *cd = multipart_part_header(part, "Content-Disposition");
	struct mediatype mt;

	buf_addf(log, "<%zu", part->index);
	for (size_t i = 0; i < part->n_headers; i++)
		buf_addf(log, "|%s=%s", part->headers[i].name, part->headers[i].value);
	if (mediatype_parse(cd ? cd : "", &mt, NULL) == 0) {
		const char *name = mediatype_param(&mt, "name"), *file = mediatype_param(&mt, "filename");

		buf_addf(log, "|%s|%s|%s", mt.type, name ? name : "-", file ? file : "-");
	}
	mediatype_done(&mt);
	buf_addc(log, '>');
	return 0;
}

static int on_data(void *data, const char *p, size_t n)
{
	buf_add(data, p, n);
	return 0;
}

static int on_end(void *data)
{
	buf_adds(data, "</>");
	return 0;
}

static const struct multipart_callbacks cbs = { on_begin, on_data, on_end };

/* Parses body in pieces of step bytes (0: whole) into out. */
static void run(const uint8_t *body, size_t n, size_t step, struct buf *out)
{
	struct multipart *m = NULL;
	size_t off = 0;
	int rv = 0;

	if (multipart_new(BOUNDARY, &cbs, out, &m) < 0)
		abort();
	while (off < n && rv == 0) {
		size_t k = step && step < n - off ? step : n - off;

		rv = multipart_feed(m, (const char *)body + off, k);
		off += k;
		if (step)
			step = step * 2 + 1;
	}
	buf_addf(out, "=%d:%s", rv < 0 ? rv : multipart_finish(m), multipart_error(m));
	multipart_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole = BUF_INIT, split = BUF_INIT;
	struct mediatype mt;
	char *ct;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	buf_init(&whole);
	buf_init(&split);
	run(data + 1, size - 1, 0, &whole);
	run(data + 1, size - 1, (size_t)data[0] % 17 + 1, &split);
	if (whole.len != split.len || memcmp(whole.data, split.data, whole.len) != 0)
		abort();
	/* The same bytes as a Content-Type value. */
	ct = strndup((const char *)data + 1, size - 1 < 512 ? size - 1 : 512);
	if (ct) {
		mediatype_parse(ct, &mt, NULL);
		mediatype_done(&mt);
		free(ct);
	}
	buf_done(&whole);
	buf_done(&split);
	return 0;
}
