/* errbuf.h - a bounded buffer that carries a user-facing error message up the stack.
 *
 * Modules below the edge (parsers, the model, the HTTP layer) never print; they fill an
 * errbuf and return a negative errno.  Each layer may prefix its own context with
 * errbuf_wrap(), as raft's ErrMsgWrapf does.  The message is always NUL-terminated and is
 * truncated, never overflowed. */
#ifndef CAIRN_ERRBUF_H
#define CAIRN_ERRBUF_H

#include <stdarg.h>

#define ERRBUF_SIZE 512

struct errbuf {
	char msg[ERRBUF_SIZE];
};

/* Replaces the message.  Returns -1 so callers can write `return errbuf_set(...)`-style code
 * when they prefer; most return their own errno instead. */
int errbuf_set(struct errbuf *eb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the current message with "<context>: ". */
void errbuf_wrap(struct errbuf *eb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void errbuf_clear(struct errbuf *eb);

#endif
