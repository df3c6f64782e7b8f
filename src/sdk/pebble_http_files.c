/* pebble_http_files.c - file reads and writes for the HTTP transport (pebble-api.md §17).
 *
 * Writes are one POST /v1/files of multipart/form-data: the "request" part (the file's
 * metadata, as ops sends it) and one "files" part with the bytes.  Reads are GET
 * /v1/files?action=read with Accept: multipart/form-data; the answer's parts are parsed as
 * they arrive (src/http/multipart.h), the file's bytes kept and the "response" part read for
 * the per-path result.  A per-path error is CAIRN_ERR_PATH with Pebble's kind; an error
 * envelope instead of a multipart answer is CAIRN_ERR_API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/mediatype.h"
#include "http/multipart.h"
#include "lib/errbuf.h"
#include "sdk/error.h"
#include "sdk/pebble_http.h"

int pebble_http_push(struct pebble *pb, json_t *meta, const void *data, size_t len, struct cairn_error *err)
{
	const char *path = json_string_value(json_object_get(meta, "path"));
	char boundary[MULTIPART_RANDOM_BOUNDARY_LEN + 1], ctype[128];
	struct buf body = BUF_INIT, disp = BUF_INIT;
	struct http_response resp;
	json_t *req, *result = NULL;
	char *req_text;
	int r;

	if (multipart_random_boundary(boundary) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot make a multipart boundary");
	req = json_pack("{s:s, s:[O]}", "action", "write", "files", meta);
	req_text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	buf_init(&body);
	buf_init(&disp);
	{
		const char *req_lines[] = { "Content-Disposition: form-data; name=\"request\"",
					    "Content-Type: application/json" };
		const char *file_lines[2];

		multipart_write_part_head(&body, boundary, true, req_lines, 2);
		buf_adds(&body, req_text);
		buf_adds(&disp, "Content-Disposition: form-data; name=\"files\"; filename=\"");
		mediatype_escape_quotes(&disp, path);
		buf_addc(&disp, '"');
		file_lines[0] = disp.data;
		file_lines[1] = "Content-Type: application/octet-stream";
		multipart_write_part_head(&body, boundary, false, file_lines, 2);
		buf_add(&body, data, len);
		multipart_write_close(&body, boundary);
	}
	free(req_text);
	buf_done(&disp);
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s", boundary);
	{
		struct http_client_req rq = {
			.method = "POST",
			.target = "/v1/files",
			.content_type = ctype,
			.accept = "application/json",
			.body = body.data,
			.len = body.len,
		};

		r = pebble_http_exchange(pb, &rq, 0, &resp, err);
	}
	buf_done(&body);
	if (r < 0)
		return r;
	r = pebble_envelope("POST /v1/files", &resp, &result, NULL, err);
	http_response_done(&resp);
	if (r == 0)
		r = pebble_path_result(result, path, err);
	json_decref(result);
	return r;
}

/* The state of one read's multipart answer. */
struct pull {
	const char *path;
	struct buf *out;
	struct buf response;  /* the "response" part */
	enum { PART_OTHER, PART_FILE, PART_RESPONSE } part;
	bool have_file;
	struct multipart *mp;
	bool failed;
	char why[256];
};

static int part_begin(void *data, const struct multipart_part *part)
{
	struct pull *p = data;
	const char *cd = multipart_part_header(part, "Content-Disposition");
	struct mediatype mt;
	const char *name = NULL, *filename = NULL;

	p->part = PART_OTHER;
	if (cd && mediatype_parse(cd, &mt, NULL) == 0) {
		name = mediatype_param(&mt, "name");
		filename = mediatype_param(&mt, "filename");
		if (name && !strcmp(name, "files") && filename && !strcmp(filename, p->path) && !p->have_file) {
			p->part = PART_FILE;
			p->have_file = true;
		} else if (name && !strcmp(name, "response")) {
			p->part = PART_RESPONSE;
		}
	}
	mediatype_done(&mt);
	return 0;
}

static int part_data(void *data, const char *s, size_t n)
{
	struct pull *p = data;

	if (p->part == PART_FILE)
		buf_add(p->out, s, n);
	else if (p->part == PART_RESPONSE && p->response.len + n <= PEBBLE_MAX_RESPONSE)
		buf_add(&p->response, s, n);
	return 0;
}

static int on_body(const char *s, size_t n, void *data)
{
	struct pull *p = data;

	if (!p->mp)
		return 0;
	if (multipart_feed(p->mp, s, n) < 0) {
		p->failed = true;
		snprintf(p->why, sizeof(p->why), "%s", multipart_error(p->mp));
		return 1;
	}
	return 0;
}

/* Makes the multipart parser from the answer's Content-Type, once it is known. */
static int pull_start(struct pull *p, const struct http_response *resp)
{
	static const struct multipart_callbacks cbs = { .part_begin = part_begin, .part_data = part_data };
	const char *boundary;
	struct mediatype mt;
	int r = -EINVAL;

	if (mediatype_parse(buf_str(&resp->content_type), &mt, NULL) == 0 &&
	    !strcmp(mt.type, "multipart/form-data") && (boundary = mediatype_param(&mt, "boundary")))
		r = multipart_new(boundary, &cbs, p, &p->mp);
	mediatype_done(&mt);
	return r;
}

struct pull_stream {
	struct pull *p;
	const struct http_response *resp;
	struct buf *other; /* a body that is not multipart (an error envelope) */
};

static int pull_data(const char *s, size_t n, void *data)
{
	struct pull_stream *ps = data;

	if (!ps->p->mp && !ps->p->failed && pull_start(ps->p, ps->resp) < 0)
		ps->p->failed = true; /* not multipart: keep it for the envelope */
	if (!ps->p->mp) {
		if (ps->other->len + n <= PEBBLE_MAX_RESPONSE)
			buf_add(ps->other, s, n);
		return 0;
	}
	return on_body(s, n, ps->p);
}

int pebble_http_pull(struct pebble *pb, const char *path, struct buf *out, struct cairn_error *err)
{
	struct pull p = { .path = path, .out = out };
	struct http_response resp;
	struct buf target = BUF_INIT, other = BUF_INIT;
	struct pull_stream ps = { &p, &resp, &other };
	json_t *result = NULL;
	int r;

	buf_init(&target);
	buf_init(&other);
	buf_init(&p.response);
	buf_adds(&target, "/v1/files?action=read&path=");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("-_.~/", *c))
			buf_addc(&target, (char)*c);
		else
			buf_addf(&target, "%%%02X", *c);
	}
	{
		struct http_client_req rq = {
			.method = "GET",
			.target = target.data,
			.accept = "multipart/form-data",
			.on_data = pull_data,
			.data = &ps,
		};

		memset(&resp, 0, sizeof(resp));
		r = pebble_http_exchange(pb, &rq, 0, &resp, err);
	}
	if (r < 0)
		goto out;
	if (!p.mp) {
		/* An error envelope (e.g. 400 "must accept multipart/form-data"), or nonsense. */
		struct http_response env = resp;

		env.body = other;
		r = pebble_envelope("GET /v1/files", &env, &result, NULL, err);
		if (r == 0)
			r = sdk_err(err, CAIRN_ERR_PROTOCOL, "files: the read answer is not multipart");
		goto done;
	}
	if (p.failed || multipart_finish(p.mp) != MULTIPART_END_CLEAN) {
		r = sdk_err(err, CAIRN_ERR_PROTOCOL, "files: bad multipart answer: %s",
			    p.failed ? p.why : multipart_error(p.mp)[0] ? multipart_error(p.mp) : "truncated");
		goto done;
	}
	{
		struct http_response env = resp;

		env.body = p.response;
		buf_reset(&env.content_type);
		buf_adds(&env.content_type, "application/json");
		r = pebble_envelope("GET /v1/files", &env, &result, NULL, err);
		resp.content_type = env.content_type;
	}
	if (r == 0)
		r = pebble_path_result(result, path, err);
	if (r == 0 && !p.have_file)
		r = sdk_err(err, CAIRN_ERR_PROTOCOL, "files: no content for %s in the answer", path);
done:
	http_response_done(&resp);
out:
	multipart_free(p.mp);
	json_decref(result);
	buf_done(&p.response);
	buf_done(&other);
	buf_done(&target);
	return r;
}
