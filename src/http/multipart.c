/* multipart.c - incremental multipart parser and writer helpers; see multipart.h.
 *
 * States (enum mp_state) and their legal transitions (mp_next[], checked by set_state):
 *
 *   PREAMBLE  --delimiter line-->  HEADERS  --empty line-->  BODY  --delimiter-->  DELIMITER
 *      |  \--final delimiter--> EPILOGUE                                            |    |
 *      |                           ^------------------final delimiter---------------/    |
 *      |                                               HEADERS <--delimiter line--------/
 *      \--(any state but EPILOGUE) malformed input or a stopping callback--> FAILED
 *
 * The body matcher.  D is the line end followed by "--" boundary.  In BODY the parser
 * looks for D with memchr on its first byte; D's first byte (CR or LF) occurs nowhere
 * else in D (a boundary holds neither), so after a mismatch the search restarts at the
 * mismatching byte and no byte is ever rescanned twice.  `match` counts the bytes of D
 * matched so far.  At the start of a body the line end is matched "virtually" (vmatch),
 * which is how a body that ends at once with "--" boundary is recognised.  Once all of D
 * is matched, the next byte decides (space, tab, CR, LF: a delimiter; '-': one more byte
 * must be '-'); otherwise the candidate bytes are body data.  Candidate bytes that reach
 * the end of a feed are copied to `held` (at most |D| + 1 bytes) and handed out as data
 * if the candidate fails in a later feed; everything else is handed out straight from
 * the caller's buffer, one run per feed. */
#include "http/multipart.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "lib/gofmt.h"

enum mp_state {
	MP_PREAMBLE,  /* skipping lines until the first delimiter line */
	MP_HEADERS,   /* reading a part's header block */
	MP_BODY,      /* inside a part's body, looking for the delimiter */
	MP_DELIMITER, /* reading the rest of the line that ended a body */
	MP_EPILOGUE,  /* after the final delimiter: input is ignored */
	MP_FAILED,    /* malformed input or a stopping callback: input is refused */
	_MP_STATE_MAX,
};

/* mp_next[from] has bit (1 << to) set for each legal transition. */
#define B(s) (1u << (s))
static const unsigned mp_next[_MP_STATE_MAX] = {
	[MP_PREAMBLE] = B(MP_HEADERS) | B(MP_EPILOGUE) | B(MP_FAILED),
	[MP_HEADERS] = B(MP_BODY) | B(MP_FAILED),
	[MP_BODY] = B(MP_DELIMITER) | B(MP_FAILED),
	[MP_DELIMITER] = B(MP_HEADERS) | B(MP_EPILOGUE) | B(MP_FAILED),
	[MP_EPILOGUE] = 0,
	[MP_FAILED] = 0,
};
#undef B

#define ERR_EOF "multipart: NextPart: EOF"
#define ERR_UNEXPECTED_EOF "unexpected EOF"
#define ERR_BUFFER_FULL "multipart: NextPart: bufio: buffer full"
#define ERR_TOO_LARGE "multipart: message too large"
#define ERR_STOPPED "stopped by the caller"
#define INITIAL_LINE_QUOTE_MAX 80 /* Go quotes at most this much of a bad initial line */

struct multipart {
	enum mp_state state;
	struct multipart_callbacks cb;
	void *data;
	int fail_rc;          /* -EBADMSG or -ECANCELED once FAILED */
	struct buf err;

	char *delim;          /* "\r\n--" boundary; in LF mode D starts one byte later */
	size_t blen;          /* boundary length */
	size_t nl_len;        /* 2 (CRLF) or 1 (LF) */
	size_t parts;         /* parts begun */

	/* PREAMBLE and DELIMITER: the current line. */
	char line[MULTIPART_MAX_LINE];
	size_t line_len;

	/* HEADERS: the raw header block so far, and the parsed fields once it is complete. */
	struct buf hdr;
	size_t hdr_line;      /* offset in hdr where the current line starts */
	struct multipart_header headers[MULTIPART_MAX_HEADERS];
	size_t n_headers;

	/* BODY: the delimiter matcher (see the file comment). */
	size_t match, vmatch;
	bool dash;            /* all of D matched, then one '-' */
	char *held;
	size_t held_len;
};

static const char *delim(const struct multipart *m)
{
	return m->delim + (2 - m->nl_len);
}

static size_t delim_len(const struct multipart *m)
{
	return m->nl_len + 2 + m->blen;
}

static void set_state(struct multipart *m, enum mp_state to)
{
	if (!(mp_next[m->state] & (1u << to)))
		abort(); /* a transition the table does not allow is a bug here */
	m->state = to;
}

static void fail(struct multipart *m, int rc, const char *msg)
{
	if (m->state == MP_FAILED)
		return;
	buf_reset(&m->err);
	buf_adds(&m->err, msg);
	m->fail_rc = rc;
	set_state(m, MP_FAILED);
}

static void clear_headers(struct multipart *m)
{
	for (size_t i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	m->n_headers = 0;
}

int multipart_new(const char *boundary, const struct multipart_callbacks *cb, void *data, struct multipart **ret)
{
	size_t blen = boundary ? strlen(boundary) : 0;
	struct multipart *m;

	if (blen == 0 || blen > MULTIPART_MAX_BOUNDARY || strpbrk(boundary, "\r\n"))
		return -EINVAL;
	m = xcalloc(1, sizeof(*m));
	m->state = MP_PREAMBLE;
	if (cb)
		m->cb = *cb;
	m->data = data;
	buf_init(&m->err);
	buf_init(&m->hdr);
	m->blen = blen;
	m->nl_len = 2;
	m->delim = xasprintf("\r\n--%s", boundary);
	m->held = xmalloc(2 + 2 + blen + 2);
	*ret = m;
	return 0;
}

struct multipart *multipart_free(struct multipart *m)
{
	if (!m)
		return NULL;
	clear_headers(m);
	buf_done(&m->err);
	buf_done(&m->hdr);
	free(m->delim);
	free(m->held);
	free(m);
	return NULL;
}

const char *multipart_error(const struct multipart *m)
{
	return buf_str(&m->err);
}

bool multipart_complete(const struct multipart *m)
{
	return m->state == MP_EPILOGUE;
}

const char *multipart_part_header(const struct multipart_part *part, const char *name)
{
	for (size_t i = 0; i < part->n_headers; i++)
		if (strcasecmp(part->headers[i].name, name) == 0)
			return part->headers[i].value;
	return NULL;
}

/* ---- lines (preamble, the line after a body) ---- */

static size_t skip_lwsp(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Go's isBoundaryDelimiterLine: "--" boundary, blanks, the line end.  On the first
 * delimiter line a bare "\n" switches the parser to LF line ends. */
static bool is_delimiter_line(struct multipart *m, const char *l, size_t n)
{
	const char *dash = m->delim + 2;
	size_t dl = 2 + m->blen, k;

	if (n < dl || memcmp(l, dash, dl) != 0)
		return false;
	k = dl + skip_lwsp(l + dl, n - dl);
	if (m->parts == 0 && n - k == 1 && l[k] == '\n')
		m->nl_len = 1;
	return n - k == m->nl_len && memcmp(l + k, m->nl_len == 2 ? "\r\n" : "\n", m->nl_len) == 0;
}

/* Go's isFinalBoundary: "--" boundary "--", blanks, then nothing or the line end. */
static bool is_final_line(const struct multipart *m, const char *l, size_t n)
{
	const char *dash = m->delim + 2;
	size_t dl = 2 + m->blen, k;

	if (n < dl + 2 || memcmp(l, dash, dl) != 0 || l[dl] != '-' || l[dl + 1] != '-')
		return false;
	k = dl + 2 + skip_lwsp(l + dl + 2, n - dl - 2);
	return k == n || (n - k == m->nl_len && memcmp(l + k, m->nl_len == 2 ? "\r\n" : "\n", m->nl_len) == 0);
}

static void begin_headers(struct multipart *m)
{
	buf_reset(&m->hdr);
	m->hdr_line = 0;
	clear_headers(m);
	set_state(m, MP_HEADERS);
}

/* A complete line in PREAMBLE or DELIMITER. */
static void line_done(struct multipart *m)
{
	const char *l = m->line;
	size_t n = m->line_len;

	m->line_len = 0;
	if (is_delimiter_line(m, l, n)) {
		begin_headers(m);
	} else if (is_final_line(m, l, n)) {
		set_state(m, MP_EPILOGUE);
	} else if (m->state == MP_DELIMITER) {
		struct buf msg = BUF_INIT;

		buf_init(&msg);
		buf_adds(&msg, "multipart: expecting a new Part; got line ");
		gofmt_quote(&msg, l, n, GOFMT_QUOTE_GO);
		fail(m, -EBADMSG, msg.data);
		buf_done(&msg);
	}
	/* else: a preamble line, skipped */
}

static size_t feed_line(struct multipart *m, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n;

	/* Go reads a line into a 4096-byte buffer: a line that does not fit is an error. */
	if (m->line_len + take > MULTIPART_MAX_LINE || (!nl && m->line_len + take == MULTIPART_MAX_LINE)) {
		fail(m, -EBADMSG, ERR_BUFFER_FULL);
		return n;
	}
	memcpy(m->line + m->line_len, p, take);
	m->line_len += take;
	if (nl)
		line_done(m);
	return take;
}

/* ---- header blocks (Go's textproto.ReadMIMEHeader) ---- */

/* A header name byte: a token character, or a space (Go accepts "Name : value" but does
 * not canonicalise such a name, so it matches no lookup). */
static bool is_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~ ", c));
}

static bool is_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Splits off the next line of [*p, e): returns its start and length without the line
 * end (and one CR before it). */
static const char *next_line(const char **p, const char *e, size_t *ret_len)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(e - s));
	size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);

	*p = nl ? nl + 1 : e;
	if (nl && n > 0 && s[n - 1] == '\r')
		n--;
	*ret_len = n;
	return s;
}

static void trim_blanks(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static int header_fail(struct multipart *m, const char *prefix, const char *s, size_t n, bool quote)
{
	struct buf msg = BUF_INIT;

	buf_init(&msg);
	buf_adds(&msg, prefix);
	if (quote)
		gofmt_quote(&msg, s, n, GOFMT_QUOTE_GO);
	else
		buf_add(&msg, s, n);
	fail(m, -EBADMSG, msg.data);
	buf_done(&msg);
	return -EBADMSG;
}

/* Parses the header lines in text[0..len) (the block without its terminating empty
 * line; the last line may lack its line end at the end of input). */
static int parse_headers(struct multipart *m, const char *text, size_t len)
{
	const char *p = text, *e = text + len;
	struct buf kv = BUF_INIT;
	int rv = 0;

	clear_headers(m);
	if (p < e && (*p == ' ' || *p == '\t')) {
		size_t n;
		const char *l = next_line(&p, e, &n);

		if (n > INITIAL_LINE_QUOTE_MAX)
			return header_fail(m, ERR_TOO_LARGE, "", 0, false);
		return header_fail(m, "malformed MIME header initial line: ", l, n, false);
	}
	buf_init(&kv);
	while (p < e) {
		size_t n, klen;
		const char *l = next_line(&p, e, &n), *colon, *v;
		const char *t = l;
		size_t tn = n;

		if (!memchr(l, ':', n)) {
			rv = header_fail(m, "malformed MIME header: missing colon: ", l, n, true);
			goto out;
		}
		buf_reset(&kv);
		trim_blanks(&t, &tn);
		buf_add(&kv, t, tn);
		/* Folded lines: each continuation joins with one space. */
		while (p < e && (*p == ' ' || *p == '\t')) {
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			buf_addc(&kv, ' ');
			l = next_line(&p, e, &n);
			trim_blanks(&l, &n);
			buf_add(&kv, l, n);
		}
		colon = memchr(kv.data, ':', kv.len);
		klen = (size_t)(colon - kv.data);
		for (size_t i = 0; i < klen; i++) {
			if (!is_name_byte((unsigned char)kv.data[i])) {
				rv = header_fail(m, "malformed MIME header line: ", kv.data, kv.len, false);
				goto out;
			}
		}
		v = colon + 1;
		for (const char *c = v; c < kv.data + kv.len; c++) {
			if (!is_value_byte((unsigned char)*c)) {
				rv = header_fail(m, "malformed MIME header line: ", kv.data, kv.len, false);
				goto out;
			}
		}
		if (klen == 0)
			continue; /* Go skips a field without a name */
		if (m->n_headers == MULTIPART_MAX_HEADERS) {
			rv = header_fail(m, ERR_TOO_LARGE, "", 0, false);
			goto out;
		}
		while (v < kv.data + kv.len && (*v == ' ' || *v == '\t'))
			v++;
		m->headers[m->n_headers].name = xstrndup(kv.data, klen);
		m->headers[m->n_headers].value = xstrndup(v, (size_t)(kv.data + kv.len - v));
		m->n_headers++;
	}
out:
	buf_done(&kv);
	return rv;
}

static void begin_body(struct multipart *m)
{
	struct multipart_part part = { m->headers, m->n_headers, m->parts };

	m->parts++;
	m->match = m->vmatch = m->nl_len; /* the line end before "--" boundary is implied */
	m->dash = false;
	m->held_len = 0;
	set_state(m, MP_BODY);
	if (m->cb.part_begin && m->cb.part_begin(m->data, &part) != 0)
		fail(m, -ECANCELED, ERR_STOPPED);
}

static size_t feed_headers(struct multipart *m, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t take = nl ? (size_t)(nl - (p + i)) + 1 : n - i, ll;

		if (m->hdr.len + take > MULTIPART_MAX_HEADER_BYTES) {
			fail(m, -EBADMSG, ERR_TOO_LARGE);
			return n;
		}
		buf_add(&m->hdr, p + i, take);
		i += take;
		if (!nl)
			break;
		ll = m->hdr.len - m->hdr_line;
		if (ll == 1 || (ll == 2 && m->hdr.data[m->hdr_line] == '\r')) {
			/* The empty line: the block is complete. */
			if (parse_headers(m, m->hdr.data, m->hdr_line) == 0)
				begin_body(m);
			return i;
		}
		m->hdr_line = m->hdr.len;
	}
	return i;
}

/* ---- bodies ---- */

static bool emit(struct multipart *m, const char *p, size_t n)
{
	if (n == 0 || !m->cb.part_data)
		return true;
	if (m->cb.part_data(m->data, p, n) != 0) {
		fail(m, -ECANCELED, ERR_STOPPED);
		return false;
	}
	return true;
}

/* The current candidate is not a delimiter: its bytes are body data.  If it began in an
 * earlier feed its bytes are in held and are handed out now (before anything of this
 * feed, which is all still unsent); otherwise they are part of this feed's run. */
static bool candidate_failed(struct multipart *m, size_t *cs)
{
	bool ok = true;

	if (*cs == SIZE_MAX) {
		ok = emit(m, m->held, m->held_len);
		m->held_len = 0;
	}
	m->match = m->vmatch = 0;
	m->dash = false;
	*cs = SIZE_MAX;
	return ok;
}

/* The candidate is a delimiter: the body ends where it began. */
static void body_done(struct multipart *m, const char *p, size_t run, size_t cs)
{
	if (cs != SIZE_MAX && !emit(m, p + run, cs - run))
		return;
	m->held_len = 0;
	if (m->cb.part_end && m->cb.part_end(m->data) != 0) {
		fail(m, -ECANCELED, ERR_STOPPED);
		return;
	}
	/* The rest of the delimiter line is read in DELIMITER: "--" boundary [-] so far. */
	memcpy(m->line, m->delim + 2, 2 + m->blen);
	m->line_len = 2 + m->blen;
	if (m->dash)
		m->line[m->line_len++] = '-';
	m->match = m->vmatch = 0;
	m->dash = false;
	set_state(m, MP_DELIMITER);
}

static size_t feed_body(struct multipart *m, const char *p, size_t n)
{
	const char *d = delim(m);
	size_t dlen = delim_len(m), i = 0, run = 0;
	/* Where the current candidate starts in p; SIZE_MAX when it began in an earlier feed
	 * (its real bytes are then in held) or when there is none.  A candidate with nothing
	 * held (only the implied line end of a body's start) starts here. */
	size_t cs = m->match > 0 && m->held_len == 0 ? 0 : SIZE_MAX;

	while (i < n) {
		if (m->match == 0) {
			/* No candidate: look for all of D at once (memmem skips far faster than a
			 * byte loop over every CR), else for a prefix of D ending the feed. */
			const char *q = memmem(p + i, n - i, d, dlen);
			size_t k;

			if (q) {
				cs = (size_t)(q - p);
				i = cs + dlen;
				m->match = dlen;
				m->vmatch = 0;
				continue;
			}
			/* D's first byte occurs once in D, so at most one tail can be a prefix. */
			for (k = n - i < dlen ? i : n - (dlen - 1); k < n; k++) {
				if (p[k] == d[0] && memcmp(p + k, d, n - k) == 0)
					break;
			}
			if (k < n) {
				cs = k;
				m->match = n - k;
				m->vmatch = 0;
			}
			i = n;
			break;
		}
		if (m->match < dlen) {
			if (p[i] == d[m->match]) {
				m->match++;
				i++;
			} else if (!candidate_failed(m, &cs)) {
				return n;
			}
			continue;
		}
		/* All of D: the next byte decides (Go's matchAfterPrefix). */
		if (!m->dash && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
			body_done(m, p, run, cs);
			return i;
		}
		if (!m->dash && p[i] == '-') {
			m->dash = true;
			i++;
			continue;
		}
		if (m->dash && p[i] == '-') {
			body_done(m, p, run, cs);
			return i;
		}
		if (!candidate_failed(m, &cs))
			return n;
	}
	if (m->match > 0) {
		/* A candidate runs past this feed: hand out what precedes it, keep its bytes. */
		size_t from = cs == SIZE_MAX ? 0 : cs;

		if (cs != SIZE_MAX && !emit(m, p + run, cs - run))
			return n;
		memcpy(m->held + m->held_len, p + from, n - from);
		m->held_len += n - from;
	} else {
		emit(m, p + run, n - run);
	}
	return n;
}

/* ---- the driver ---- */

int multipart_feed(struct multipart *m, const char *p, size_t n)
{
	while (n > 0) {
		size_t k;

		switch (m->state) {
		case MP_PREAMBLE:
		case MP_DELIMITER:
			k = feed_line(m, p, n);
			break;
		case MP_HEADERS:
			k = feed_headers(m, p, n);
			break;
		case MP_BODY:
			k = feed_body(m, p, n);
			break;
		case MP_EPILOGUE:
			return 0;
		case MP_FAILED:
		default:
			return m->fail_rc;
		}
		p += k;
		n -= k;
	}
	return m->state == MP_FAILED ? m->fail_rc : 0;
}

int multipart_finish(struct multipart *m)
{
	switch (m->state) {
	case MP_EPILOGUE:
		return MULTIPART_END_CLEAN;
	case MP_PREAMBLE:
	case MP_DELIMITER:
		/* Go accepts a final delimiter without its line end at the end of input. */
		if (is_final_line(m, m->line, m->line_len)) {
			set_state(m, MP_EPILOGUE);
			return MULTIPART_END_CLEAN;
		}
		buf_reset(&m->err);
		buf_adds(&m->err, ERR_EOF);
		return MULTIPART_END_OUTSIDE;
	case MP_HEADERS:
		/* The last line, even without its line end, is still read (and may be bad). */
		if (parse_headers(m, m->hdr.data, m->hdr.len) < 0)
			return m->fail_rc;
		buf_reset(&m->err);
		buf_adds(&m->err, "EOF");
		return MULTIPART_END_IN_HEADERS;
	case MP_BODY:
		/* Exactly D at the end of input still ends the body (Go: matchAfterPrefix at
		 * EOF); the delimiter line is then incomplete. */
		if (m->match == delim_len(m) && !m->dash) {
			size_t cs = m->held_len == 0 ? 0 : SIZE_MAX;

			body_done(m, "", 0, cs);
			if (m->state == MP_FAILED)
				return m->fail_rc;
			buf_reset(&m->err);
			buf_adds(&m->err, ERR_EOF);
			return MULTIPART_END_OUTSIDE;
		}
		buf_reset(&m->err);
		buf_adds(&m->err, ERR_UNEXPECTED_EOF);
		return MULTIPART_END_IN_BODY;
	case MP_FAILED:
	default:
		return m->fail_rc;
	}
}

/* ---- writer helpers ---- */

int multipart_random_boundary(char out[MULTIPART_RANDOM_BOUNDARY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[MULTIPART_RANDOM_BOUNDARY_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[MULTIPART_RANDOM_BOUNDARY_LEN] = '\0';
	return 0;
}

void multipart_write_part_head(struct buf *out, const char *boundary, bool first, const char *const *lines,
			       size_t n)
{
	if (!first)
		buf_add(out, "\r\n", 2);
	buf_add(out, "--", 2);
	buf_adds(out, boundary);
	buf_add(out, "\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		buf_adds(out, lines[i]);
		buf_add(out, "\r\n", 2);
	}
	buf_add(out, "\r\n", 2);
}

void multipart_write_close(struct buf *out, const char *boundary)
{
	buf_add(out, "\r\n--", 4);
	buf_adds(out, boundary);
	buf_add(out, "--\r\n", 4);
}
