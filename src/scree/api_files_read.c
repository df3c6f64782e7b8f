/* api_files_read.c - GET /v1/files?action=read (§17): a multipart/form-data answer with one
 * "files" part per readable file and a final "response" part holding the per-path
 * results, byte for byte as Go's multipart.Writer lays it out (readFilesResponse).
 *
 * The answer is always 200 (the status is known only at the end).  Files are streamed:
 * the answer is pulled (http_reply_stream_pull), so each fill reads at most
 * FILES_READ_CHUNK bytes of the current file and only when the client has taken what was
 * sent before; a file of any size costs one buffer, and a slow client never blocks the
 * loop.  A read error after a part has begun leaves that part short and records
 * "read <path>: ..." in the results, as upstream does. */
#include "api_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/mediatype.h"
#include "http/multipart.h"
#include "lib/gofmt.h"

struct files_read {
	struct api_call call;
	char boundary[MULTIPART_RANDOM_BOUNDARY_LEN + 1];
	char **paths;
	struct files_error *errs; /* one per path */
	size_t n, cur;            /* cur: the path being read, or the next one to open */
	int fd;                   /* the open file, -1 between files */
	bool any_part;            /* a part has been written (the next one starts with CRLF) */
	char *buf;
};

static void read_free(struct files_read *r)
{
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->n; i++) {
		free(r->paths[i]);
		files_error_done(&r->errs[i]);
	}
	free(r->paths);
	free(r->errs);
	free(r->buf);
	free(r);
}

static void read_cancel(struct http_req *req, void *data)
{
	(void)req;
	read_free(data);
}

/* The final "response" part: Pebble's sync envelope of the results, as json.Encoder
 * writes it (HTML-escaped strings, a trailing newline). */
static void put_metadata(struct files_read *r, struct buf *out)
{
	static const char *const lines[] = { "Content-Disposition: form-data; name=\"response\"",
					     "Content-Type: application/json" };

	multipart_write_part_head(out, r->boundary, !r->any_part, lines, 2);
	buf_adds(out, "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":[");
	for (size_t i = 0; i < r->n; i++) {
		const struct files_error *e = &r->errs[i];

		if (i)
			buf_addc(out, ',');
		buf_adds(out, "{\"path\":");
		gofmt_json_string(out, r->paths[i], strlen(r->paths[i]));
		if (e->kind != FILES_OK) {
			buf_adds(out, ",\"error\":{\"message\":");
			gofmt_json_string(out, e->msg.data, e->msg.len);
			buf_addf(out, ",\"kind\":\"%s\"}", files_kind_names[e->kind]);
		}
		buf_addc(out, '}');
	}
	buf_adds(out, "]}\n");
	multipart_write_close(out, r->boundary);
}

/* Opens the next readable file and writes its part's head to out; records an error for
 * each path that cannot be read.  Leaves r->fd -1 when no path is left. */
static void open_next(struct files_read *r, struct buf *out)
{
	while (r->cur < r->n && r->fd < 0) {
		const char *path = r->paths[r->cur];
		struct buf disp = BUF_INIT;
		const char *lines[2];

		if (files_open_read(path, &r->fd, &r->errs[r->cur]) < 0) {
			r->cur++;
			continue;
		}
		/* CreateFormFile("files", path): quotes and backslashes escaped. */
		buf_init(&disp);
		buf_adds(&disp, "Content-Disposition: form-data; name=\"files\"; filename=\"");
		mediatype_escape_quotes(&disp, path);
		buf_addc(&disp, '"');
		lines[0] = disp.data;
		lines[1] = "Content-Type: application/octet-stream";
		multipart_write_part_head(out, r->boundary, !r->any_part, lines, 2);
		r->any_part = true;
		buf_done(&disp);
	}
}

static void read_fill(struct http_req *req, void *data)
{
	struct files_read *r = data;
	struct buf head = BUF_INIT;
	ssize_t n;

	buf_init(&head);
	if (r->fd < 0)
		open_next(r, &head);
	if (r->fd < 0) {
		/* Every path is done: the results, the closing delimiter, the end. */
		put_metadata(r, &head);
		http_reply_stream_write(req, head.data, head.len);
		http_reply_stream_end(req);
		buf_done(&head);
		read_free(r);
		return;
	}
	if (head.len && http_reply_stream_write(req, head.data, head.len) < 0) {
		buf_done(&head);
		return; /* the client is gone: the cancel callback frees r */
	}
	buf_done(&head);
	do
		n = read(r->fd, r->buf, FILES_READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		http_reply_stream_write(req, r->buf, (size_t)n);
		return;
	}
	if (n < 0)
		files_error_sys(&r->errs[r->cur], "read", r->paths[r->cur], errno);
	close(r->fd);
	r->fd = -1;
	r->cur++;
}

void api_files_read(struct api_call *c)
{
	struct http_req *req = c->req;
	const char *accept = http_req_header(req, "Accept");
	struct files_read *r;
	char ctype[128];
	size_t n = 0;

	/* query["path"]: every value as given (no comma splitting). */
	for (size_t i = 0; i < req->n_params; i++)
		if (strcmp(req->params[i].key, "path") == 0)
			n++;
	if (n == 0) {
		api_reply_error(c, 400, NULL, "must specify one or more paths");
		return;
	}
	if (!accept || strcmp(accept, "multipart/form-data") != 0) {
		api_reply_error(c, 400, NULL, "must accept multipart/form-data");
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->fd = -1;
	if (multipart_random_boundary(r->boundary) < 0) {
		free(r);
		api_reply_error(c, 500, NULL, "cannot create multipart boundary");
		return;
	}
	r->call = *c;
	r->paths = xcalloc(n, sizeof(char *));
	r->errs = xcalloc(n, sizeof(struct files_error));
	for (size_t i = 0; i < req->n_params; i++)
		if (strcmp(req->params[i].key, "path") == 0) {
			files_error_init(&r->errs[r->n]);
			r->paths[r->n++] = xstrdup(req->params[i].value);
		}
	r->buf = xmalloc(FILES_READ_CHUNK);
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s", r->boundary);
	api_access_log(c, 200);
	r->call.log_access = false;
	req->cancel_cb = read_cancel;
	req->cancel_data = r;
	http_reply_stream_begin(req, 200, ctype);
	http_reply_stream_pull(req, read_fill, r);
	c->req = NULL;
}
