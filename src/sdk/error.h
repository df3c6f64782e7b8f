/* error.h - filling struct cairn_error (the SDK's errors as values).
 *
 * Every failing SDK function reports through sdk_err() and friends, which fill the caller's
 * struct cairn_error (when given) and return the negative errno of the error's kind (the
 * table in error.c, as documented in cairn/charm.h).  Nothing here prints. */
#ifndef CAIRN_SDK_ERROR_H
#define CAIRN_SDK_ERROR_H

#include "cairn/charm.h"

/* The negative errno a function returns for kind. */
int sdk_errno(enum cairn_error_kind kind);

/* Fills err (may be NULL) with kind and the formatted message; returns sdk_errno(kind). */
int sdk_err(struct cairn_error *err, enum cairn_error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As sdk_err, with the HTTP status (or exit code) and Pebble's error kind. */
int sdk_err_code(struct cairn_error *err, enum cairn_error_kind kind, int code,
		 const char *pebble_kind, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prefixes err's message with "<context>: " (no-op for NULL). */
void sdk_err_wrap(struct cairn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies src into dst (dst may be NULL) and returns sdk_errno(src->kind). */
int sdk_err_copy(struct cairn_error *dst, const struct cairn_error *src);
/* Resets err to CAIRN_ERR_NONE. */
void sdk_err_clear(struct cairn_error *err);

#endif
