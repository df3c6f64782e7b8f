/* multipart.h - an incremental multipart/form-data parser (RFC 2046 §5.1, RFC 7578) that
 * accepts and refuses what Go's mime/multipart Reader does, plus the few writer helpers
 * the files API needs.
 *
 * The parser is pure (no I/O, no clock, no globals) and push-driven like http-parser:
 * the caller feeds whatever bytes have arrived, in pieces of any size, and gets
 * callbacks for each part's headers, its body bytes and its end.  It keeps only bounded
 * state (one line of at most MULTIPART_MAX_LINE bytes, one part's header block of at most
 * MULTIPART_MAX_HEADER_BYTES, and a few bytes of a possible delimiter), so a body of any
 * size is parsed in constant memory and the delimiter may be split across feeds anywhere.
 * Part bodies are handed out in the largest runs the input allows (usually one callback
 * per feed), never copied unless a possible delimiter spans two feeds.
 *
 * Grammar, as Go reads it (this is what decides which bodies are refused):
 *   - lines before the first delimiter line (the preamble) are skipped;
 *   - a delimiter line is "--" boundary, optional spaces/tabs, then the line end; if the
 *     first delimiter line ends in a bare "\n", every line end of the body is "\n",
 *     otherwise "\r\n";
 *   - "--" boundary "--" (optional spaces/tabs, then a line end or the end of input) is the
 *     final delimiter; everything after it is ignored;
 *   - a part is a header block (MIME header lines, folded lines allowed, up to an empty
 *     line) and a body that ends at line-end "--" boundary followed by a space, tab, CR, LF
 *     or "--" (a body may also end at once with "--" boundary, without the line end);
 *   - after a body the next line must be a delimiter line or the final delimiter.
 * Error messages are Go's ("multipart: NextPart: EOF", "multipart: expecting a new Part;
 * got line \"...\"", "malformed MIME header: missing colon: \"...\"", "multipart: message
 * too large", ...), without the caller's context. */
#ifndef CAIRN_MULTIPART_H
#define CAIRN_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#define MULTIPART_MAX_BOUNDARY 1024         /* longer boundaries are refused at _new */
#define MULTIPART_MAX_LINE 4096             /* a preamble or delimiter line (Go's buffer) */
#define MULTIPART_MAX_HEADER_BYTES (64u * 1024u) /* one part's header block */
#define MULTIPART_MAX_HEADERS 128           /* header fields per part */
#define MULTIPART_RANDOM_BOUNDARY_LEN 60    /* multipart_random_boundary() */

struct multipart;

struct multipart_header {
	char *name;  /* as received (compare case-insensitively) */
	char *value; /* leading and trailing blanks removed, folded lines joined by a space */
};

/* One part's header block, borrowed: valid until the part's part_end (or until the
 * parser fails or is freed). */
struct multipart_part {
	const struct multipart_header *headers;
	size_t n_headers;
	size_t index; /* 0 for the first part */
};

/* Callbacks; each returns 0 to go on, or non-zero to stop the parser (multipart_feed
 * then returns -ECANCELED).  Any may be NULL. */
struct multipart_callbacks {
	int (*part_begin)(void *data, const struct multipart_part *part);
	int (*part_data)(void *data, const char *p, size_t n);
	int (*part_end)(void *data);
};

/* Where the input ended (multipart_finish). */
enum multipart_end {
	MULTIPART_END_CLEAN,      /* after the final delimiter */
	MULTIPART_END_IN_BODY,    /* inside a part's body: Go's part reader fails with
				   * "unexpected EOF", then NextPart with "multipart: NextPart: EOF" */
	MULTIPART_END_IN_HEADERS, /* inside a header block: Go's NextPart returns io.EOF */
	MULTIPART_END_OUTSIDE,    /* in the preamble or before the line after a body: Go's
				   * NextPart fails with "multipart: NextPart: EOF" */
	_MULTIPART_END_MAX,
};

/* Creates a parser for the given boundary (the boundary parameter's value, 1 to
 * MULTIPART_MAX_BOUNDARY bytes, without CR or LF).  cb is copied; data is passed to every
 * callback.  Returns 0 with *ret, or -EINVAL for an unusable boundary. */
int multipart_new(const char *boundary, const struct multipart_callbacks *cb, void *data, struct multipart **ret);
/* Accepts NULL; returns NULL. */
struct multipart *multipart_free(struct multipart *m);

/* Parses the next n bytes.  Returns 0, -EBADMSG for malformed input (multipart_error()
 * says why) or -ECANCELED when a callback stopped the parser.  Once it has failed, the
 * parser refuses further input with the same result.  Bytes after the final delimiter are
 * accepted and ignored. */
int multipart_feed(struct multipart *m, const char *p, size_t n);
/* Tells the parser that the input has ended.  Returns an enum multipart_end, or
 * -EBADMSG when a last header line without its line end is malformed, or the earlier
 * failure.  No callback is made. */
int multipart_finish(struct multipart *m);
/* The message of the last failure ("" if none); valid until the parser is freed. */
const char *multipart_error(const struct multipart *m);
/* True once the final delimiter has been seen. */
bool multipart_complete(const struct multipart *m);

/* The first value of header name in part (case-insensitive), or NULL. */
const char *multipart_part_header(const struct multipart_part *part, const char *name);

/* Writer helpers (Go's multipart.Writer layout). */
/* Writes a fresh random boundary of MULTIPART_RANDOM_BOUNDARY_LEN hex digits and a NUL to
 * out.  Returns 0 or a negative errno from getrandom(2). */
int multipart_random_boundary(char out[MULTIPART_RANDOM_BOUNDARY_LEN + 1]);
/* Appends the opening of a part: "\r\n" unless it is the first part, "--" boundary
 * "\r\n", each of the n header lines ("Name: value", without line end) followed by "\r\n",
 * then "\r\n". */
void multipart_write_part_head(struct buf *out, const char *boundary, bool first, const char *const *lines,
			       size_t n);
/* Appends the final delimiter "\r\n--" boundary "--\r\n". */
void multipart_write_close(struct buf *out, const char *boundary);

#endif
