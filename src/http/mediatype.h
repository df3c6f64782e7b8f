/* mediatype.h - parsing a media type or a Content-Disposition value with its parameters,
 * as Go's mime.ParseMediaType does (RFC 2045, RFC 2183, RFC 2231 continuations and
 * charset-encoded values).
 *
 * Pebble decides on a request's Content-Type with mime.ParseMediaType (the boundary of a
 * multipart body, "invalid Content-Type" for anything it refuses) and names the parts of
 * a multipart body with the same parser (a part's form name and file name come from its
 * Content-Disposition).  scree must accept and refuse exactly the same inputs, so this
 * module follows Go's rules: the type is lower-cased and must be a token or
 * token/token; each parameter is `; name=value` with a lower-cased token name and a token
 * or quoted-string value (in which a backslash escapes only a tspecial, so
 * "C:\dir\file" keeps its backslashes); a trailing ';' is allowed; a duplicate name with
 * a different value is an error.
 *
 * The parser is pure: no allocation beyond the result, which the caller releases with
 * mediatype_done(). */
#ifndef CAIRN_MEDIATYPE_H
#define CAIRN_MEDIATYPE_H

#include <stddef.h>

#define MEDIATYPE_MAX_PARAMS 32 /* more parameters are refused as malformed */

struct mediatype_param {
	char *name;  /* lower-cased */
	char *value; /* unescaped, RFC 2231 decoded; may hold any byte but NUL */
};

struct mediatype {
	char *type;  /* lower-cased, e.g. "multipart/form-data" or "form-data"; "" on failure */
	struct mediatype_param params[MEDIATYPE_MAX_PARAMS];
	size_t n_params;
};

/* Parses the NUL-terminated value v into mt (which need not be initialised).  Returns 0,
 * or -EINVAL with *ret_err (when not NULL) pointing at Go's message: "mime: no media
 * type", "mime: expected slash after first token", "mime: expected token after slash",
 * "mime: unexpected content after media subtype", "mime: invalid media parameter",
 * "mime: duplicate parameter name".  When only a parameter is bad (Go's
 * ErrInvalidMediaParameter), mt->type still holds the type and there are no parameters;
 * otherwise mt is empty on failure.  Always call mediatype_done() afterwards. */
int mediatype_parse(const char *v, struct mediatype *mt, const char **ret_err);
void mediatype_done(struct mediatype *mt);

/* The value of parameter name (lower-case), or NULL. */
const char *mediatype_param(const struct mediatype *mt, const char *name);

/* Appends s as a quoted-string parameter value the way Go's multipart writer quotes a
 * file name (escapeQuotes: '\\' -> "\\\\", '"' -> "\\\""), without the quotes. */
struct buf;
void mediatype_escape_quotes(struct buf *out, const char *s);

#endif
