/* gostr.h - the CLI's text helpers for matching Juju's Go output byte for byte: %q quoting
 * in the CLI's style, os error texts, UTF-8 widths for column alignment, and key-sorted
 * JSON copies (Go's encoders sort map keys).  Value formatting itself (%v, %#v, floats)
 * lives in lib/gofmt.h. */
#ifndef CAIRN_CLI_GOSTR_H
#define CAIRN_CLI_GOSTR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* Appends s quoted like Go's %q: gofmt_quote() in style GOFMT_QUOTE_GO_C1. */
void gostr_quote(struct buf *out, const char *s);
/* Convenience: returns a malloc'd %q rendering of s. */
char *gostr_quoted(const char *s);

/* The text Go prints for an errno (syscall.Errno.Error()): strerror with a lower-case first
 * letter, e.g. "no such file or directory". Returns a pointer to a static table entry or
 * to buf. */
const char *gostr_strerror(int errnum, char *buf, size_t n);

/* Dumps v as compact JSON (Go's json.Marshal layout); reals use the shortest precision
 * that round-trips every real in v, so 0.1 prints as 0.1.  Returns a malloc'd string. */
char *gostr_json_compact(json_t *v);

/* Number of UTF-8 code points in s (invalid bytes count one each). */
size_t gostr_width(const char *s);
/* Byte length of the first `chars` code points of s. */
size_t gostr_prefix_bytes(const char *s, size_t chars);
/* True when s is valid UTF-8. */
bool gostr_valid_utf8(const char *s, size_t len);

/* Returns a deep copy of v whose objects have their keys in byte order (new reference). */
json_t *gostr_sorted(json_t *v);

/* Go's filepath.Abs: joins a relative path to the working directory and cleans it
 * lexically ("a/./b/../c" -> "a/c").  Returns a malloc'd string, or NULL when the working
 * directory cannot be read (errno set). */
char *gostr_abs_path(const char *p);

/* Compares two strings in natural order (juju/naturalsort): runs of digits compare by
 * numeric value, so "hello/2" < "hello/10". */
int gostr_natcmp(const char *a, const char *b);

#endif
