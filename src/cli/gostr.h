/* gostr.h - text helpers that reproduce how Juju's Go code renders values, so that cairn's
 * messages and output match it byte for byte: %q quoting, os error texts, %v of a JSON
 * value, UTF-8 widths for column alignment, and key-sorted JSON copies (Go's encoders sort
 * map keys). */
#ifndef CAIRN_CLI_GOSTR_H
#define CAIRN_CLI_GOSTR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* Appends s quoted like Go's %q: "..." with \" \\ \n \t \r and \x.. escapes for other
 * control bytes and invalid UTF-8; valid printable UTF-8 is kept as is. */
void gostr_quote(struct buf *out, const char *s);
/* Convenience: returns a malloc'd %q rendering of s. */
char *gostr_quoted(const char *s);

/* The text Go prints for an errno (syscall.Errno.Error()): strerror with a lower-case first
 * letter, e.g. "no such file or directory". Returns a pointer to a static table entry or
 * to buf. */
const char *gostr_strerror(int errnum, char *buf, size_t n);

/* Appends v formatted like Go's fmt %v after a JSON decode: strings raw, true/false,
 * integers in decimal, reals in shortest form (exponent form below 1e-4 or from 1e21),
 * null as "<nil>"; arrays and objects as JSON. */
void gostr_value(struct buf *out, json_t *v);

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
