/* check_http.c - the HTTP probe (§14): GET the URL with the check's headers; it passes
 * iff the status is 2xx.  Otherwise the error is "non-2xx status code N" and the details
 * are the first lines of the body.  Redirects are followed as Go's http.Client follows
 * them (301, 302, 303, 307, 308; at most 10).  Transport errors are wrapped as Go's
 * url.Error: `Get "http://x/": dial tcp ...`.
 *
 * The exchange is one HTTP/1.1 request with "Connection: close", its response parsed
 * with http-parser as bytes arrive: a 2xx status ends the probe as soon as the headers
 * are in, and at most CHECK_PROBE_MAX_BYTES of another status's body are read. */
#include "check_probe.h"

#include <ctype.h>
#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "check_net.h"
#include "lib/buf.h"
#include "lib/gofmt.h"

#define PROBE_HTTP_READ_CHUNK 16384
#define PROBE_HTTP_MAX_URL 8192

struct http_probe {
	struct check_probe base;
	struct loop *l;
	check_probe_cb cb;
	void *data;
	char **hdr_names, **hdr_values; /* the check's headers, canonical names */
	size_t nhdrs;

	char *url;                      /* of the current request */
	int redirects;
	char host[NET_HOST_MAX + 1];
	int port;
	struct buf req;                 /* the request bytes */
	size_t req_off;

	struct net_dial *dial;
	int fd;
	struct loop_io *io;

	http_parser parser;
	size_t header_bytes;
	bool in_location;               /* the header being read is Location */
	bool last_was_value;
	struct buf hname;
	struct buf location;
	bool headers_done, complete, body_full;
	struct buf body;

	struct loop_timer *later;       /* failures found while starting */
	struct check_result result;
};

static void close_conn(struct http_probe *p)
{
	net_dial_cancel(p->dial);
	p->dial = NULL;
	if (p->io) {
		loop_io_free(p->io);
		p->io = NULL;
	}
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
}

static void probe_free(struct http_probe *p)
{
	close_conn(p);
	for (size_t i = 0; i < p->nhdrs; i++) {
		free(p->hdr_names[i]);
		free(p->hdr_values[i]);
	}
	free(p->hdr_names);
	free(p->hdr_values);
	free(p->url);
	buf_done(&p->req);
	buf_done(&p->hname);
	buf_done(&p->location);
	buf_done(&p->body);
	loop_timer_free(p->later);
	free(p);
}

static void http_cancel(struct check_probe *base)
{
	probe_free((struct http_probe *)base);
}

static const struct check_probe_ops http_ops = { .cancel = http_cancel };

/* Delivers r and frees the probe. */
static void finish(struct http_probe *p, const struct check_result *r)
{
	check_probe_cb cb = p->cb;
	void *data = p->data;
	struct check_result copy = *r;

	probe_free(p);
	cb(data, &copy);
}

/* Ends the probe with `Get "<url>": <msg>`. */
static void fail_url(struct http_probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_url(struct http_probe *p, const char *fmt, ...)
{
	struct check_result r;
	struct buf b = BUF_INIT;
	va_list ap;

	memset(&r, 0, sizeof(r));
	buf_init(&b);
	buf_adds(&b, "Get ");
	gofmt_quote(&b, p->url, strlen(p->url), GOFMT_QUOTE_GO);
	buf_adds(&b, ": ");
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	snprintf(r.err, sizeof(r.err), "%s", b.data);
	buf_done(&b);
	finish(p, &r);
}

static void later_cb(struct loop_timer *t, void *data)
{
	struct http_probe *p = data;

	(void)t;
	finish(p, &p->result);
}

/* ---- the request ---- */

static void base64(struct buf *out, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);

		buf_addc(out, tab[(v >> 18) & 63]);
		buf_addc(out, tab[(v >> 12) & 63]);
		buf_addc(out, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_addc(out, i + 2 < n ? tab[v & 63] : '=');
	}
}

static bool token_char(char c)
{
	return isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c);
}

/* textproto.CanonicalMIMEHeaderKey for valid names; invalid names are kept as given. */
static char *canonical_name(const char *name)
{
	char *s = xstrdup(name);
	bool upper = true;

	for (char *c = s; *c; c++)
		if (!token_char(*c))
			return s;
	for (char *c = s; *c; c++) {
		*c = (char)(upper ? toupper((unsigned char)*c) : tolower((unsigned char)*c));
		upper = *c == '-';
	}
	return s;
}

static const char *scheme_of(const char *url, char *out, size_t n)
{
	size_t i = 0;

	/* url.Parse's getScheme: letters first, then letters, digits, + - . up to ':'. */
	while (url[i] && (isalpha((unsigned char)url[i]) || (i > 0 && (isdigit((unsigned char)url[i]) ||
								      strchr("+-.", url[i])))))
		i++;
	if (url[i] != ':' || i == 0 || i >= n)
		i = 0;
	snprintf(out, n, "%.*s", (int)i, url);
	return out;
}

/* Parses p->url and builds the request.  0, or -1 after setting p->result. */
static int build_request(struct http_probe *p)
{
	struct http_parser_url u;
	const char *url = p->url;
	char scheme[32];
	const char *path = "/";
	size_t path_len = 1;
	bool have_ua = false;
	struct buf e = BUF_INIT;

	memset(&p->result, 0, sizeof(p->result));
	buf_init(&e);
	buf_adds(&e, "Get ");
	gofmt_quote(&e, url, strlen(url), GOFMT_QUOTE_GO);
	http_parser_url_init(&u);
	scheme_of(url, scheme, sizeof(scheme));
	if (strcasecmp(scheme, "http") != 0) {
		if (strcasecmp(scheme, "https") == 0)
			buf_adds(&e, ": https URLs are not supported by scree's HTTP checks");
		else
			buf_addf(&e, ": unsupported protocol scheme \"%s\"", scheme);
		goto fail;
	}
	if (strlen(url) > PROBE_HTTP_MAX_URL || http_parser_parse_url(url, strlen(url), 0, &u) != 0) {
		buf_adds(&e, ": invalid URL");
		goto fail;
	}
	if (!(u.field_set & (1 << UF_HOST)) || u.field_data[UF_HOST].len == 0) {
		buf_adds(&e, ": http: no Host in request URL");
		goto fail;
	}
	if (u.field_data[UF_HOST].len > NET_HOST_MAX) {
		buf_adds(&e, ": invalid host");
		goto fail;
	}
	memcpy(p->host, url + u.field_data[UF_HOST].off, u.field_data[UF_HOST].len);
	p->host[u.field_data[UF_HOST].len] = '\0';
	p->port = (u.field_set & (1 << UF_PORT)) ? u.port : 80;
	if (u.field_set & (1 << UF_PATH)) {
		path = url + u.field_data[UF_PATH].off;
		path_len = u.field_data[UF_PATH].len;
	}
	buf_reset(&p->req);
	buf_adds(&p->req, "GET ");
	buf_add(&p->req, path, path_len);
	if (u.field_set & (1 << UF_QUERY)) {
		buf_addc(&p->req, '?');
		buf_add(&p->req, url + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
	}
	buf_adds(&p->req, " HTTP/1.1\r\nHost: ");
	if (strchr(p->host, ':'))
		buf_addf(&p->req, "[%s]", p->host);
	else
		buf_adds(&p->req, p->host);
	if (u.field_set & (1 << UF_PORT))
		buf_addf(&p->req, ":%d", p->port);
	buf_adds(&p->req, "\r\n");
	for (size_t i = 0; i < p->nhdrs; i++) {
		const char *n = p->hdr_names[i], *v = p->hdr_values[i];

		for (const char *c = n; *c; c++)
			if (!token_char(*c)) {
				buf_addf(&e, ": net/http: invalid header field name \"%s\"", n);
				goto fail;
			}
		if (!*n) {
			buf_adds(&e, ": net/http: invalid header field name \"\"");
			goto fail;
		}
		if (strpbrk(v, "\r\n")) {
			buf_addf(&e, ": net/http: invalid header field value for \"%s\"", n);
			goto fail;
		}
		/* The Host header comes from the URL, as with Go's client. */
		if (strcmp(n, "Host") == 0)
			continue;
		if (strcmp(n, "User-Agent") == 0)
			have_ua = true;
		buf_addf(&p->req, "%s: %s\r\n", n, v);
	}
	if (!have_ua)
		buf_adds(&p->req, "User-Agent: Go-http-client/1.1\r\n");
	if (u.field_set & (1 << UF_USERINFO)) {
		buf_adds(&p->req, "Authorization: Basic ");
		base64(&p->req, (const unsigned char *)url + u.field_data[UF_USERINFO].off,
		       u.field_data[UF_USERINFO].len);
		buf_adds(&p->req, "\r\n");
	}
	buf_adds(&p->req, "Connection: close\r\n\r\n");
	p->req_off = 0;
	buf_done(&e);
	return 0;
fail:
	snprintf(p->result.err, sizeof(p->result.err), "%s", e.data);
	buf_done(&e);
	return -1;
}

/* ---- the response ---- */

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
	struct http_probe *p = hp->data;

	p->header_bytes += len;
	if (p->header_bytes > PROBE_HTTP_MAX_HEADER)
		return 1;
	if (p->last_was_value) {
		buf_reset(&p->hname);
		p->last_was_value = false;
	}
	buf_add(&p->hname, at, len);
	return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
	struct http_probe *p = hp->data;

	p->header_bytes += len;
	if (p->header_bytes > PROBE_HTTP_MAX_HEADER)
		return 1;
	if (!p->last_was_value) {
		p->last_was_value = true;
		p->in_location = strcasecmp(p->hname.data, "Location") == 0;
		if (p->in_location)
			buf_reset(&p->location);
	}
	if (p->in_location && p->location.len + len <= PROBE_HTTP_MAX_URL)
		buf_add(&p->location, at, len);
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct http_probe *p = hp->data;

	p->headers_done = true;
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
	struct http_probe *p = hp->data;
	size_t room = CHECK_PROBE_MAX_BYTES - p->body.len;

	buf_add(&p->body, at, len < room ? len : room);
	if (p->body.len >= CHECK_PROBE_MAX_BYTES)
		p->body_full = true;
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct http_probe *p = hp->data;

	p->complete = true;
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static void start_request(struct http_probe *p);

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* The redirect target, resolved against the current URL (url.ResolveReference, without
 * dot-segment clean-up). */
static char *resolve_location(const char *base, const char *loc)
{
	char scheme[32];
	const char *auth, *path_end, *slash;
	struct buf b = BUF_INIT;

	if (scheme_of(loc, scheme, sizeof(scheme))[0])
		return xstrdup(loc);
	scheme_of(base, scheme, sizeof(scheme));
	buf_init(&b);
	if (loc[0] == '/' && loc[1] == '/') {
		buf_addf(&b, "%s:%s", scheme, loc);
		return buf_detach(&b);
	}
	auth = base + strlen(scheme) + 3; /* past "http://" */
	path_end = auth + strcspn(auth, "/?#");
	buf_add(&b, base, (size_t)(path_end - base));
	if (loc[0] == '/') {
		buf_adds(&b, loc);
		return buf_detach(&b);
	}
	/* Relative to the directory of the current path. */
	{
		const char *pe = path_end + strcspn(path_end, "?#");

		slash = NULL;
		for (const char *c = path_end; c < pe; c++)
			if (*c == '/')
				slash = c;
		if (slash)
			buf_add(&b, path_end, (size_t)(slash - path_end) + 1);
		else
			buf_addc(&b, '/');
		buf_adds(&b, loc);
	}
	return buf_detach(&b);
}

/* The headers (and maybe some body) are in: decide. */
static void decide(struct http_probe *p, bool eof)
{
	int status = p->parser.status_code;
	struct check_result r;

	if (status >= 200 && status <= 299) {
		memset(&r, 0, sizeof(r));
		r.ok = true;
		finish(p, &r);
		return;
	}
	if (is_redirect(status) && p->location.len) {
		char *next = resolve_location(p->url, p->location.data);

		if (++p->redirects > PROBE_HTTP_MAX_REDIRECTS) {
			free(p->url);
			p->url = next;
			fail_url(p, "stopped after %d redirects", PROBE_HTTP_MAX_REDIRECTS);
			return;
		}
		free(p->url);
		p->url = next;
		close_conn(p);
		if (build_request(p) < 0) {
			finish(p, &p->result);
			return;
		}
		start_request(p);
		return;
	}
	if (!eof && !p->complete && !p->body_full)
		return; /* keep reading the body for the details */
	memset(&r, 0, sizeof(r));
	snprintf(r.err, sizeof(r.err), "non-2xx status code %d", status);
	check_details_first_lines(p->body.data, p->body.len, r.details, sizeof(r.details));
	finish(p, &r);
}

/* Whether what has arrived is enough to decide. */
static bool decidable(const struct http_probe *p)
{
	int status = p->parser.status_code;

	return p->headers_done &&
	       ((status >= 200 && status <= 299) || is_redirect(status) || p->complete || p->body_full);
}

/* Feeds bytes (len 0 = EOF) to the parser; ends the probe once the outcome is known.  The
 * callbacks only record what they see, so a whole chunk is always parsed. */
static void feed(struct http_probe *p, const char *data, size_t len)
{
	enum http_errno err;

	http_parser_execute(&p->parser, &settings, data, len);
	if (decidable(p)) {
		decide(p, false);
		return;
	}
	err = HTTP_PARSER_ERRNO(&p->parser);
	if (err != HPE_OK) {
		if (p->header_bytes > PROBE_HTTP_MAX_HEADER)
			fail_url(p, "net/http: server response headers exceeded %u bytes; aborted",
				 PROBE_HTTP_MAX_HEADER);
		else if (len == 0 && !p->headers_done)
			fail_url(p, "EOF");
		else
			fail_url(p, "net/http: HTTP/1.x transport connection broken: malformed HTTP response (%s)",
				 http_errno_description(err));
		return;
	}
	if (len == 0) {
		if (!p->headers_done)
			fail_url(p, "EOF");
		else
			decide(p, true);
	}
}

static void conn_cb(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct http_probe *p = data;
	char chunk[PROBE_HTTP_READ_CHUNK];
	char msg[128];
	ssize_t n;

	(void)io;
	if (p->req_off < p->req.len) {
		n = write(fd, p->req.data + p->req_off, p->req.len - p->req_off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			fail_url(p, "write tcp: %s", gofmt_strerror(errno, msg, sizeof(msg)));
			return;
		}
		p->req_off += (size_t)n;
		if (p->req_off == p->req.len)
			loop_io_set_events(p->io, EPOLLIN);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		if (errno == ECONNRESET && p->headers_done) {
			feed(p, NULL, 0);
			return;
		}
		fail_url(p, "read tcp: %s", gofmt_strerror(errno, msg, sizeof(msg)));
		return;
	}
	feed(p, chunk, (size_t)n);
}

static void dialed(void *data, int fd, const char *err)
{
	struct http_probe *p = data;

	p->dial = NULL;
	if (fd < 0) {
		fail_url(p, "%s", err);
		return;
	}
	p->fd = fd;
	http_parser_init(&p->parser, HTTP_RESPONSE);
	p->parser.data = p;
	p->io = loop_io_new(p->l, fd, EPOLLOUT | EPOLLIN, conn_cb, p);
}

static void start_request(struct http_probe *p)
{
	p->header_bytes = 0;
	p->headers_done = p->complete = p->body_full = false;
	p->in_location = p->last_was_value = false;
	buf_reset(&p->hname);
	buf_reset(&p->location);
	buf_reset(&p->body);
	p->dial = net_dial_start(p->l, p->host, p->port, dialed, p);
}

struct check_probe *check_http_start(struct loop *l, const struct plan_http_check *h, check_probe_cb cb,
				     void *data)
{
	struct http_probe *p = xcalloc(1, sizeof(*p));

	p->base.ops = &http_ops;
	p->l = l;
	p->cb = cb;
	p->data = data;
	p->fd = -1;
	p->url = xstrdup(h->url ? h->url : "");
	buf_init(&p->req);
	buf_init(&p->hname);
	buf_init(&p->location);
	buf_init(&p->body);
	p->later = loop_timer_new(l, later_cb, p);
	p->nhdrs = h->headers.n;
	p->hdr_names = xcalloc(p->nhdrs + 1, sizeof(char *));
	p->hdr_values = xcalloc(p->nhdrs + 1, sizeof(char *));
	for (size_t i = 0; i < p->nhdrs; i++) {
		p->hdr_names[i] = canonical_name(h->headers.v[i].key);
		p->hdr_values[i] = xstrdup(h->headers.v[i].val);
	}
	if (build_request(p) < 0)
		loop_timer_arm_in(p->later, 0);
	else
		start_request(p);
	return &p->base;
}
