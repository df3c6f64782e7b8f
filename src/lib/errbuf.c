/* errbuf.c - bounded error messages; see errbuf.h. */
#include "errbuf.h"

#include <stdio.h>
#include <string.h>

int errbuf_set(struct errbuf *eb, const char *fmt, ...)
{
	va_list ap;

	if (!eb)
		return -1;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void errbuf_wrap(struct errbuf *eb, const char *fmt, ...)
{
	char prefix[ERRBUF_SIZE], old[ERRBUF_SIZE];
	va_list ap;

	if (!eb)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	size_t n;

	memcpy(old, eb->msg, sizeof(old));
	n = strlen(prefix);
	if (n > sizeof(eb->msg) - 3)
		n = sizeof(eb->msg) - 3;
	memcpy(eb->msg, prefix, n);
	memcpy(eb->msg + n, ": ", 2);
	n += 2;
	size_t rest = strlen(old);
	if (rest > sizeof(eb->msg) - 1 - n)
		rest = sizeof(eb->msg) - 1 - n;
	memcpy(eb->msg + n, old, rest);
	eb->msg[n + rest] = '\0';
}

void errbuf_clear(struct errbuf *eb)
{
	if (eb)
		eb->msg[0] = '\0';
}
