/* error.c - the SDK's error kinds and their errnos; see error.h. */
#include "sdk/error.h"

#include "lib/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One row per kind: its name and the errno documented in cairn/charm.h. */
#define SDK_ERROR_KINDS(X)                        \
	X(CAIRN_ERR_NONE, "none", 0)              \
	X(CAIRN_ERR_INVALID, "invalid", EINVAL)   \
	X(CAIRN_ERR_NOT_FOUND, "not-found", ENOENT) \
	X(CAIRN_ERR_TYPE, "type", EDOM)           \
	X(CAIRN_ERR_MODEL, "model", EIO)          \
	X(CAIRN_ERR_CONNECTION, "connection", ENOTCONN) \
	X(CAIRN_ERR_PROTOCOL, "protocol", EPROTO) \
	X(CAIRN_ERR_API, "api", EREMOTEIO)        \
	X(CAIRN_ERR_PATH, "path", EREMOTEIO)      \
	X(CAIRN_ERR_CHANGE, "change", ECANCELED)  \
	X(CAIRN_ERR_TIMEOUT, "timeout", ETIMEDOUT) \
	X(CAIRN_ERR_STORE, "store", EIO)

static const struct {
	const char *name;
	int errnum;
} kinds[_CAIRN_ERR_MAX] = {
#define X(k, n, e) [k] = { n, e },
	SDK_ERROR_KINDS(X)
#undef X
};

const char *cairn_error_kind_name(enum cairn_error_kind kind)
{
	if ((unsigned)kind >= _CAIRN_ERR_MAX)
		return "unknown";
	return kinds[kind].name;
}

int sdk_errno(enum cairn_error_kind kind)
{
	if ((unsigned)kind >= _CAIRN_ERR_MAX)
		return -EIO;
	return -kinds[kind].errnum;
}

static void fill(struct cairn_error *err, enum cairn_error_kind kind, int code, const char *pebble_kind,
		 const char *fmt, va_list ap)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	err->kind = kind;
	err->code = code;
	if (pebble_kind)
		snprintf(err->pebble_kind, sizeof(err->pebble_kind), "%s", pebble_kind);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

int sdk_err(struct cairn_error *err, enum cairn_error_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, kind, 0, NULL, fmt, ap);
	va_end(ap);
	return sdk_errno(kind);
}

int sdk_err_code(struct cairn_error *err, enum cairn_error_kind kind, int code, const char *pebble_kind,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fill(err, kind, code, pebble_kind, fmt, ap);
	va_end(ap);
	return sdk_errno(kind);
}

void sdk_err_wrap(struct cairn_error *err, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	size_t n;

	if (!err)
		return;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addf(&b, ": %s", err->message);
	/* Truncated, never overflowed, as errbuf does. */
	n = b.len < sizeof(err->message) - 1 ? b.len : sizeof(err->message) - 1;
	memcpy(err->message, b.data, n);
	err->message[n] = '\0';
	buf_done(&b);
}

int sdk_err_copy(struct cairn_error *dst, const struct cairn_error *src)
{
	if (dst && dst != src)
		*dst = *src;
	return sdk_errno(src->kind);
}

void sdk_err_clear(struct cairn_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}
