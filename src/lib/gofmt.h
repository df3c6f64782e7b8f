/* gofmt.h - Go-compatible formatting of values for user-facing text: %q quoting, %#v reprs,
 * strconv float formatting, JSON escaping as Go's encoding/json does.
 *
 * Juju and Pebble are Go programs, and cairn's messages and output must match theirs byte
 * for byte, so every place that renders a value the way Go would goes through here.  The
 * functions append to a struct buf (lib/buf.h) and never fail: allocation failure aborts
 * inside buf, as everywhere else.  Inputs are borrowed and not kept.
 *
 * Some callers have historically rendered slightly differently from Go (a narrower idea of
 * "printable", %.0f for huge integers); the style enums below keep those variants so that
 * each caller's output stays exactly what it was.  Each variant says where it differs. */
#ifndef CAIRN_GOFMT_H
#define CAIRN_GOFMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

/* Nesting beyond this renders as "..." in gofmt_repr (error messages stay bounded). */
#define GOFMT_REPR_MAX_DEPTH 8

/* Decodes one UTF-8 sequence at s, which has n >= 1 bytes left.  Returns the sequence's
 * length (1-4) and stores the code point in *ret_cp, or returns 0 (and leaves *ret_cp
 * alone) for an invalid sequence: a bad lead or continuation byte, a sequence cut short by
 * n, an overlong form, a surrogate or a code point above U+10FFFF. */
size_t gofmt_utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp);

enum gofmt_quote {
	/* strconv.Quote (%q): UTF-8 aware; \" \\ \a \b \f \n \r \t \v; \xNN for other ASCII
	 * controls, DEL and each byte of invalid UTF-8; \uNNNN / \UNNNNNNNN for code points
	 * Go's unicode.IsPrint rejects (approximated: C1 controls, U+00AD, U+200B-U+200F,
	 * U+2028, U+2029, U+FEFF, U+FFF9-U+FFFB); all else as is. */
	GOFMT_QUOTE_GO,
	/* As GOFMT_QUOTE_GO, but only the C1 controls (U+0080-U+009F) count as unprintable
	 * among non-ASCII code points.  The cairn CLI's rendering. */
	GOFMT_QUOTE_GO_C1,
	/* As GOFMT_QUOTE_GO, but byte by byte without decoding UTF-8: every byte >= 0x80 is
	 * copied as is.  The hook tools' rendering of arguments. */
	GOFMT_QUOTE_GO_BYTES,
	/* A YAML double-quoted scalar as Go's yaml packages write one: byte by byte, \" \\ \n
	 * \t \r, \xNN for other ASCII controls and DEL, every other byte as is. */
	GOFMT_QUOTE_YAML,
	_GOFMT_QUOTE_MAX,
};

/* Appends the n bytes at s (may hold NULs) in double quotes, escaped per style. */
void gofmt_quote(struct buf *out, const char *s, size_t n, enum gofmt_quote style);

enum gofmt_float {
	/* strconv.FormatFloat(d, 'g', -1, 64), which fmt's %v and yaml.v2 use: the shortest
	 * digits that read back exactly, exponent form ("1e+06", "1.5e-05", two-digit
	 * exponent at least) when the decimal exponent is < -4 or >= 6, else fixed. */
	GOFMT_FLOAT_G,
	/* As GOFMT_FLOAT_G with the exponent threshold at 21 instead of 6 ("100000" and
	 * "1e+21"); integers written in fixed form print their exact binary value (%.0f)
	 * where Go would pad the shortest digits with zeros (differs only beyond 2^53).  The
	 * cairn CLI's rendering of config values. */
	GOFMT_FLOAT_G21,
	/* encoding/json: fixed form, or exponent form without padding ("1e-7", "1e+21") when
	 * |d| < 1e-6 or |d| >= 1e21. */
	GOFMT_FLOAT_JSON,
	_GOFMT_FLOAT_MAX,
};

/* Appends d in the given style.  Zero is "0" or "-0".  NaN and infinities are "NaN",
 * "+Inf" and "-Inf", except in GOFMT_FLOAT_JSON, where they are "null" (Go refuses to
 * encode them; a decoded JSON value never holds one). */
void gofmt_float(struct buf *out, double d, enum gofmt_float style);

/* Appends v as Go's %#v prints a value decoded from JSON into interface{}: strings %q
 * (GOFMT_QUOTE_GO), integers in decimal, reals GOFMT_FLOAT_G, true/false, null "<nil>",
 * arrays "[]interface {}{1, \"a\"}", objects "map[string]interface {}{\"a\":1}" (in v's key
 * order).  v NULL is "<nil>"; nesting below GOFMT_REPR_MAX_DEPTH prints "...". */
void gofmt_repr(struct buf *out, json_t *v);

/* Appends v as Go's %v prints a decoded JSON value, as the cairn CLI renders one config
 * value: strings raw, integers in decimal, reals GOFMT_FLOAT_G21, true/false, null
 * "<nil>", arrays and objects as compact JSON (jansson's rendering).  v must not be NULL. */
void gofmt_value(struct buf *out, json_t *v);

/* Appends the n bytes at s as encoding/json writes a string: in double quotes, with \" \\
 * \n \r \t \b \f; \u00NN for other controls and for < > &; \u2028 and \u2029; \ufffd for
 * each byte of invalid UTF-8; all else as is. */
void gofmt_json_string(struct buf *out, const char *s, size_t n);
/* As gofmt_json_string, but < > & are written as is: a json.Encoder with
 * SetEscapeHTML(false) (e.g. `pebble logs --format json`). */
void gofmt_json_string_nohtml(struct buf *out, const char *s, size_t n);

/* Appends v as Go's json.Marshal writes a value decoded from JSON (no trailing newline):
 * compact, object keys sorted bytewise, strings as gofmt_json_string(), reals as
 * GOFMT_FLOAT_JSON, integers in decimal.  v NULL is "null". */
void gofmt_json(struct buf *out, json_t *v);

/* A deep copy of v whose objects iterate in sorted key order (Go marshals maps so) and
 * whose integral reals below 1e6 are integers (yaml.v2 writes them so); new reference. */
json_t *gofmt_sorted_copy(json_t *v);

/* Appends v as yaml.v2 marshals a value decoded from JSON, in the shape cmd.FormatYaml
 * prints: block style, map keys sorted, integral floats below 1e6 as integers, floats in
 * strconv 'g' form, trailing newlines trimmed to exactly one; nothing for nil/null. */
void gofmt_yaml(struct buf *out, json_t *v);

/* Writes the text Go's syscall.Errno.Error() gives errno err ("no such file or directory",
 * "file exists", "directory not empty") into out (NUL-terminated, truncated to n) and
 * returns out.  Go's table holds glibc's descriptions with a lower-case first letter; the
 * locale-independent description is used, so a daemon's locale never changes the text. */
const char *gofmt_strerror(int err, char *out, size_t n);

/* Writes secs as Go's t.Local().Format(time.RFC3339) does ("2006-01-02T15:04:05Z" in a
 * zone at UTC, else "2006-01-02T15:04:05+01:00") into out (NUL-terminated, truncated to
 * n) and returns out. */
const char *gofmt_rfc3339_local(time_t secs, char *out, size_t n);

#endif
