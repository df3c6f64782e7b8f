/* buf.h - the one growable byte buffer.
 *
 * Invariants (as git's strbuf): after buf_init(), `data` is never NULL and data[len] == '\0',
 * so the contents can always be used as a C string (they may also hold NUL bytes).  The
 * buffer owns `data`; buf_detach() hands ownership to the caller and re-initialises the
 * buffer.  Allocation failure aborts: a daemon that cannot allocate a few bytes cannot
 * continue meaningfully, and checking every append would bury the logic. */
#ifndef CAIRN_BUF_H
#define CAIRN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
void buf_done(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Keeps only the first n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Returns the contents (caller frees) and leaves the buffer empty. */
char *buf_detach(struct buf *b);
/* Returns a pointer that stays valid until the next modification. */
static inline const char *buf_str(const struct buf *b) { return b->data ? b->data : ""; }

/* xmalloc family: abort on allocation failure (see above). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
