/* check_probe.c - probe dispatch, error-detail formatting and the loop-backed checks_io;
 * see check_probe.h. */
#include "check_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

struct check_probe *check_probe_start(struct loop *l, const struct check *ck, check_probe_cb cb, void *data)
{
	const struct plan_check *c = ck->ck_config;

	if (c->http)
		return check_http_start(l, c->http, cb, data);
	if (c->tcp)
		return check_tcp_start(l, c->tcp, cb, data);
	/* The combined plan holds exactly one of the three (§2.4). */
	return check_exec_start(l, c->exec, &ck->ck_exec, cb, data);
}

void check_probe_cancel(struct check_probe *p)
{
	if (p)
		p->ops->cancel(p);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void check_details_first_lines(const char *s, size_t n, char *out, size_t outlen)
{
	size_t start = 0, end = n, lines = 0, i;
	struct buf b = BUF_INIT;

	/* strings.TrimSpace, then the first lines. */
	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;
	buf_init(&b);
	for (i = start; i < end; i++) {
		if (s[i] == '\n' && ++lines == CHECK_PROBE_MAX_LINES) {
			buf_adds(&b, "\n(...)");
			break;
		}
		buf_addc(&b, s[i] ? s[i] : ' ');
	}
	snprintf(out, outlen, "%s", b.data);
	buf_done(&b);
}

void check_details_last_lines(const char *s, size_t n, char *out, size_t outlen)
{
	size_t end = n, start, lines = 0;
	struct buf b = BUF_INIT;

	/* A trailing newline ends the last line rather than starting an empty one. */
	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0) {
		if (s[start - 1] == '\n' && ++lines == CHECK_PROBE_MAX_LINES)
			break;
		start--;
	}
	buf_init(&b);
	for (size_t i = start; i < end; i++)
		buf_addc(&b, s[i] ? s[i] : ' ');
	snprintf(out, outlen, "%s", b.data);
	buf_done(&b);
}

/* ---- the loop-backed io ---- */

struct io_slot {
	struct loop_timer *timer;
	struct check_probe *probe;
	struct check *ck;
};

static void slot_timer_cb(struct loop_timer *t, void *data)
{
	struct io_slot *s = data;

	(void)t;
	checks_timer(s->ck->ck_mgr, s->ck);
}

static struct io_slot *slot(struct loop *l, struct check *ck)
{
	struct io_slot *s = ck->ck_io;

	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->ck = ck;
		s->timer = loop_timer_new(l, slot_timer_cb, s);
		ck->ck_io = s;
	}
	return s;
}

static uint64_t io_now_ms(void *io_data)
{
	(void)io_data;
	return loop_now_ms();
}

static void io_timer(void *io_data, struct check *ck, uint64_t deadline_ms)
{
	struct io_slot *s;

	if (!deadline_ms) {
		if (ck->ck_io)
			loop_timer_disarm(((struct io_slot *)ck->ck_io)->timer);
		return;
	}
	s = slot(io_data, ck);
	loop_timer_arm_at(s->timer, deadline_ms);
}

static void probe_done(void *data, const struct check_result *r)
{
	struct io_slot *s = data;

	s->probe = NULL;
	checks_probe_done(s->ck->ck_mgr, s->ck, r);
}

static void io_probe_start(void *io_data, struct check *ck)
{
	struct io_slot *s = slot(io_data, ck);

	check_probe_cancel(s->probe);
	s->probe = check_probe_start(io_data, ck, probe_done, s);
}

static void io_probe_cancel(void *io_data, struct check *ck)
{
	struct io_slot *s = ck->ck_io;

	(void)io_data;
	if (s) {
		check_probe_cancel(s->probe);
		s->probe = NULL;
	}
}

static void io_forget(void *io_data, struct check *ck)
{
	struct io_slot *s = ck->ck_io;

	(void)io_data;
	if (!s)
		return;
	check_probe_cancel(s->probe);
	loop_timer_free(s->timer);
	free(s);
	ck->ck_io = NULL;
}

const struct checks_io check_probe_io = {
	.now_ms = io_now_ms,
	.timer = io_timer,
	.probe_start = io_probe_start,
	.probe_cancel = io_probe_cancel,
	.forget = io_forget,
};
