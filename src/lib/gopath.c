/* gopath.c - Go's package "path" rules; see gopath.h. */
#include "gopath.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gofmt.h"

char *gopath_clean(const char *path)
{
	size_t n = strlen(path), r = 0, w = 0, floor = 0;
	bool rooted;
	char *out;

	if (n == 0)
		return xstrdup(".");
	/* The result is never longer than the input (plus room for "." and the NUL). */
	out = xmalloc(n + 2);
	rooted = path[0] == '/';
	if (rooted) {
		out[w++] = '/';
		r = floor = 1;
	}
	/* floor: the part of out that ".." may not remove (the root, or leading ".."s). */
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > floor) {
				w--;
				while (w > floor && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				floor = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			while (r < n && path[r] != '/')
				out[w++] = path[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *gopath_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *head = xstrndup(path, slash ? (size_t)(slash - path) + 1 : 0);
	char *out = gopath_clean(head);

	free(head);
	return out;
}

char *gopath_base(const char *path)
{
	size_t n = strlen(path);
	const char *start;

	if (n == 0)
		return xstrdup(".");
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return xstrdup("/");
	start = path + n;
	while (start > path && start[-1] != '/')
		start--;
	return xstrndup(start, n - (size_t)(start - path));
}

char *gopath_join(const char *a, const char *b)
{
	char *joined, *out;

	if (!*a && !*b)
		return xstrdup("");
	if (!*a)
		return gopath_clean(b);
	if (!*b)
		return gopath_clean(a);
	joined = xasprintf("%s/%s", a, b);
	out = gopath_clean(joined);
	free(joined);
	return out;
}

bool gopath_is_abs(const char *path)
{
	return path[0] == '/';
}

/* ---- Match ---- */

/* One code point of s (n >= 1 bytes); an invalid sequence is U+FFFD of length 1, as
 * Go's utf8.DecodeRuneInString. */
static size_t rune_at(const char *s, size_t n, uint32_t *ret)
{
	size_t k = gofmt_utf8_decode((const unsigned char *)s, n, ret);

	if (k == 0) {
		*ret = 0xfffd;
		return 1;
	}
	return k;
}

/* Reads one (possibly escaped) class character at *p (end at e).  Fails for an empty
 * class item, a '-' or ']' where a character is due, an invalid UTF-8 sequence or a
 * pattern that ends right after the character. */
static int class_char(const char **p, const char *e, uint32_t *ret)
{
	const char *q = *p;
	size_t k;

	if (q == e || *q == '-' || *q == ']')
		return -EINVAL;
	if (*q == '\\') {
		q++;
		if (q == e)
			return -EINVAL;
	}
	k = gofmt_utf8_decode((const unsigned char *)q, (size_t)(e - q), ret);
	if (k == 0)
		return -EINVAL;
	q += k;
	if (q == e)
		return -EINVAL;
	*p = q;
	return 0;
}

/* Matches one chunk (a pattern piece without '*') against the start of s[0..sn).  Returns
 * 1 with *rest set past the matched bytes, 0 on a mismatch, -EINVAL for a malformed
 * chunk.  After a mismatch the rest of the chunk is still parsed, so that a malformed
 * chunk is reported whatever the name. */
static int match_chunk(const char *c, const char *ce, const char *s, size_t sn, size_t *rest)
{
	bool failed = false;
	size_t i = 0;

	while (c < ce) {
		if (!failed && i == sn)
			failed = true;
		if (*c == '[') {
			uint32_t r = 0, lo, hi;
			bool negated = false, match = false;
			int nrange = 0;

			if (!failed)
				i += rune_at(s + i, sn - i, &r);
			c++;
			if (c < ce && *c == '^') {
				negated = true;
				c++;
			}
			for (;;) {
				if (c < ce && *c == ']' && nrange > 0) {
					c++;
					break;
				}
				if (class_char(&c, ce, &lo) < 0)
					return -EINVAL;
				hi = lo;
				if (*c == '-') {
					c++;
					if (class_char(&c, ce, &hi) < 0)
						return -EINVAL;
				}
				if (lo <= r && r <= hi)
					match = true;
				nrange++;
			}
			if (match == negated)
				failed = true;
		} else if (*c == '?') {
			if (!failed) {
				uint32_t r;

				if (s[i] == '/')
					failed = true;
				i += rune_at(s + i, sn - i, &r);
			}
			c++;
		} else {
			if (*c == '\\') {
				c++;
				if (c == ce)
					return -EINVAL;
			}
			if (!failed) {
				if (*c != s[i])
					failed = true;
				i++;
			}
			c++;
		}
	}
	if (failed)
		return 0;
	*rest = i;
	return 1;
}

/* Splits off the next chunk: leading stars (*ret_star) and the text up to the next '*'
 * outside a class. */
static const char *scan_chunk(const char *p, bool *ret_star, const char **ret_end)
{
	bool inrange = false;

	*ret_star = false;
	while (*p == '*') {
		p++;
		*ret_star = true;
	}
	*ret_end = p;
	for (const char *q = p; *q; q++) {
		if (*q == '\\') {
			if (q[1])
				q++;
		} else if (*q == '[') {
			inrange = true;
		} else if (*q == ']') {
			inrange = false;
		} else if (*q == '*' && !inrange) {
			*ret_end = q;
			return p;
		}
		*ret_end = q + 1;
	}
	return p;
}

int gopath_match(const char *pattern, const char *name)
{
	const char *p = pattern;
	size_t nl = strlen(name);

	while (*p) {
		bool star;
		const char *ce, *c = scan_chunk(p, &star, &ce);
		size_t rest = 0;
		int r;

		p = ce;
		if (star && c == ce)
			return memchr(name, '/', nl) == NULL; /* a trailing '*' takes the rest */
		r = match_chunk(c, ce, name, nl, &rest);
		if (r == 1 && (rest == nl || *p)) {
			name += rest;
			nl -= rest;
			continue;
		}
		if (r < 0)
			return r;
		if (star) {
			bool found = false;

			/* The star may take a longer run, but never a '/'. */
			for (size_t i = 0; i < nl && name[i] != '/'; i++) {
				r = match_chunk(c, ce, name + i + 1, nl - i - 1, &rest);
				if (r == 1) {
					if (!*p && rest < nl - i - 1)
						continue;
					name += i + 1 + rest;
					nl -= i + 1 + rest;
					found = true;
					break;
				}
				if (r < 0)
					return r;
			}
			if (found)
				continue;
		}
		/* No match: still report a malformed remainder, as Go does. */
		while (*p) {
			c = scan_chunk(p, &star, &ce);
			p = ce;
			if (match_chunk(c, ce, "", 0, &rest) < 0)
				return -EINVAL;
		}
		return 0;
	}
	return nl == 0;
}
