/* logring.c - per-service output ring buffer; see logring.h. */
#include "logring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

void logring_init(struct logring *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->lr_name = xstrdup(name);
}

void logring_done(struct logring *r)
{
	free(r->lr_data);
	free(r->lr_name);
	memset(r, 0, sizeof(*r));
}

static char ring_at(const struct logring *r, uint64_t off)
{
	return r->lr_data[(r->lr_head + (size_t)(off - r->lr_start)) % r->lr_cap];
}

/* Re-lays the ring out linearly into a buffer of new_cap bytes. */
static void ring_resize(struct logring *r, size_t new_cap)
{
	char *n = xmalloc(new_cap);

	for (size_t i = 0; i < r->lr_len; i++)
		n[i] = r->lr_data[(r->lr_head + i) % r->lr_cap];
	free(r->lr_data);
	r->lr_data = n;
	r->lr_cap = new_cap;
	r->lr_head = 0;
}

/* Drops at least `need` of the oldest bytes, up to the end of the line they cut into, so
 * the ring still starts on a line boundary. */
static void ring_drop(struct logring *r, size_t need)
{
	size_t i = need;

	if (need > r->lr_len)
		need = r->lr_len;
	i = need;
	if (i > 0 && r->lr_data[(r->lr_head + i - 1) % r->lr_cap] != '\n') {
		while (i < r->lr_len && r->lr_data[(r->lr_head + i) % r->lr_cap] != '\n')
			i++;
		if (i < r->lr_len)
			i++; /* include the newline */
	}
	r->lr_head = (r->lr_head + i) % (r->lr_cap ? r->lr_cap : 1);
	r->lr_len -= i;
	r->lr_start += i;
}

static void ring_append(struct logring *r, const char *p, size_t n)
{
	if (n > LOGRING_MAX) {
		/* Only the newest LOGRING_MAX bytes can be kept; cut at a line start if any. */
		const char *cut = p + (n - LOGRING_MAX);
		const char *nl = memchr(cut, '\n', (size_t)(p + n - cut));

		r->lr_start += (uint64_t)(cut - p);
		if (nl && nl + 1 < p + n) {
			r->lr_start += (uint64_t)(nl + 1 - cut);
			cut = nl + 1;
		}
		r->lr_start += r->lr_len;
		r->lr_len = 0;
		r->lr_head = 0;
		n = (size_t)(p + n - cut);
		p = cut;
	}
	if (r->lr_len + n > r->lr_cap && r->lr_cap < LOGRING_MAX) {
		size_t want = r->lr_cap ? r->lr_cap : LOGRING_MIN_ALLOC;

		while (want < r->lr_len + n && want < LOGRING_MAX)
			want *= 2;
		if (want > LOGRING_MAX)
			want = LOGRING_MAX;
		ring_resize(r, want);
	}
	if (r->lr_len + n > r->lr_cap)
		ring_drop(r, r->lr_len + n - r->lr_cap);
	for (size_t i = 0; i < n; i++)
		r->lr_data[(r->lr_head + r->lr_len + i) % r->lr_cap] = p[i];
	r->lr_len += n;
}

void logring_write(struct logring *r, const char *p, size_t n, uint64_t wall_ns, struct buf *fmt_out)
{
	struct buf b = BUF_INIT;
	char ts[40];
	size_t i = 0;

	if (n == 0)
		return;
	buf_init(&b);
	log_fmt_ms(wall_ns, ts, sizeof(ts));
	while (i < n) {
		size_t room, look, seg;
		const char *nl;
		bool fresh = !r->lr_midline;

		if (fresh) {
			size_t before = b.len;

			buf_addf(&b, "%s [%s] ", ts, r->lr_name);
			r->lr_linelen = b.len - before;
		}
		room = r->lr_linelen < LOGRING_MAX_LINE ? LOGRING_MAX_LINE - r->lr_linelen : 0;
		if (fresh && room == 0)
			room = 1; /* a prefix longer than a line still carries some text */
		look = n - i < room + 1 ? n - i : room + 1;
		nl = memchr(p + i, '\n', look);
		if (nl) {
			seg = (size_t)(nl - (p + i)) + 1;
			buf_add(&b, p + i, seg);
			r->lr_midline = false;
		} else if (n - i > room) {
			/* The line is full: cut it, the rest goes on under a new prefix. */
			seg = room;
			buf_add(&b, p + i, seg);
			buf_addc(&b, '\n');
			r->lr_midline = false;
		} else {
			seg = n - i;
			buf_add(&b, p + i, seg);
			r->lr_linelen += seg;
			r->lr_midline = true;
		}
		i += seg;
	}
	ring_append(r, b.data, b.len);
	if (fmt_out)
		buf_add(fmt_out, b.data, b.len);
	buf_done(&b);
}

int logring_next_line(const struct logring *r, uint64_t *off, bool partial, struct buf *line)
{
	uint64_t end = logring_end(r), o = *off, i;

	if (o < r->lr_start)
		o = r->lr_start;
	if (o >= end)
		return 0;
	for (i = o; i < end; i++)
		if (ring_at(r, i) == '\n')
			break;
	if (i == end && !partial)
		return 0;
	buf_reset(line);
	for (uint64_t j = o; j < i; j++)
		buf_addc(line, ring_at(r, j));
	*off = i < end ? i + 1 : end;
	return 1;
}

uint64_t logring_tail_offset(const struct logring *r, size_t n)
{
	uint64_t end = logring_end(r), o;
	size_t seen = 0;

	if (n == 0 || r->lr_len == 0)
		return end;
	o = end;
	/* An unterminated tail counts as a line of its own. */
	if (ring_at(r, end - 1) == '\n')
		o = end - 1;
	while (o > r->lr_start) {
		if (ring_at(r, o - 1) == '\n') {
			if (++seen == n)
				return o;
		}
		o--;
	}
	return r->lr_start;
}

int logring_parse_line(const char *line, uint64_t *ret_wall_ns, const char **ret_msg)
{
	struct tm tm;
	int ms = 0;
	const char *p;
	const char *br;

	memset(&tm, 0, sizeof(tm));
	p = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p || p[0] != '.' || p[4] != 'Z' || p[5] != ' ' || p[6] != '[')
		return -EINVAL;
	for (int k = 1; k <= 3; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -EINVAL;
		ms = ms * 10 + (p[k] - '0');
	}
	br = strstr(p + 7, "] ");
	if (!br)
		return -EINVAL;
	*ret_wall_ns = (uint64_t)timegm(&tm) * 1000000000ull + (uint64_t)ms * 1000000ull;
	*ret_msg = br + 2;
	return 0;
}

void logring_last_lines(const struct logring *r, size_t n, const char *indent, struct buf *out)
{
	uint64_t off = logring_tail_offset(r, n);
	struct buf line = BUF_INIT;
	bool first = true;

	buf_init(&line);
	while (logring_next_line(r, &off, true, &line) == 1) {
		uint64_t t;
		const char *msg = line.data;

		if (logring_parse_line(line.data, &t, &msg) < 0)
			msg = line.data;
		if (!first)
			buf_addc(out, '\n');
		buf_adds(out, indent);
		buf_adds(out, msg);
		first = false;
	}
	buf_done(&line);
}
