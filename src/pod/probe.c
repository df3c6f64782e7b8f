/* probe.c - non-blocking boot-id probe; see probe.h. */
#include "probe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <http_parser.h>
#include <jansson.h>

#include "lib/buf.h"

static const char probe_request[] = "GET /v1/system-info HTTP/1.1\r\n"
				    "Host: localhost\r\n"
				    "User-Agent: cairn-pod\r\n"
				    "Connection: close\r\n\r\n";

struct probe_req {
	struct loop *l;
	int fd;
	struct loop_io *io;
	struct loop_timer *timer;
	size_t sent;
	struct buf in;
	probe_cb cb;
	void *data;
	int status;              /* the deferred result when connect failed at once */
	char msg[ERRBUF_SIZE];
	bool deferred;
};

struct parse_state {
	struct buf body;
	bool complete;
};

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct parse_state *s = p->data;

	buf_add(&s->body, at, len);
	return 0;
}

static int on_complete(http_parser *p)
{
	struct parse_state *s = p->data;

	s->complete = true;
	return 0;
}

int probe_parse_response(const char *raw, size_t len, char boot_id[PROBE_BOOT_ID_MAX], struct errbuf *eb)
{
	http_parser_settings settings;
	struct parse_state s;
	http_parser p;
	json_t *v = NULL;
	const char *id;
	int r = -EPROTO;

	memset(&settings, 0, sizeof(settings));
	settings.on_body = on_body;
	settings.on_message_complete = on_complete;
	memset(&s, 0, sizeof(s));
	buf_init(&s.body);
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &s;
	http_parser_execute(&p, &settings, raw, len);
	if (!s.complete)
		http_parser_execute(&p, &settings, NULL, 0); /* EOF ends a body without a length */
	if (HTTP_PARSER_ERRNO(&p) != HPE_OK && !s.complete) {
		errbuf_set(eb, "malformed HTTP response: %s", http_errno_description(HTTP_PARSER_ERRNO(&p)));
		goto out;
	}
	if (!s.complete) {
		errbuf_set(eb, "truncated HTTP response");
		goto out;
	}
	if (p.status_code != 200) {
		errbuf_set(eb, "GET /v1/system-info answered %u", p.status_code);
		goto out;
	}
	v = json_loadb(s.body.data, s.body.len, 0, NULL);
	id = json_string_value(json_object_get(json_object_get(v, "result"), "boot-id"));
	if (!id || !*id || strlen(id) >= PROBE_BOOT_ID_MAX) {
		errbuf_set(eb, "system-info has no usable boot-id");
		goto out;
	}
	snprintf(boot_id, PROBE_BOOT_ID_MAX, "%s", id);
	r = 0;
out:
	json_decref(v);
	buf_done(&s.body);
	return r;
}

static void probe_free(struct probe_req *p)
{
	if (p->io)
		loop_io_free(p->io);
	if (p->fd >= 0)
		close(p->fd);
	loop_timer_free(p->timer);
	buf_done(&p->in);
	free(p);
}

static void finish(struct probe_req *p, int status, const char *boot_id, const char *msg)
{
	probe_cb cb = p->cb;
	void *data = p->data;
	char id[PROBE_BOOT_ID_MAX], m[ERRBUF_SIZE];

	snprintf(id, sizeof(id), "%s", boot_id ? boot_id : "");
	snprintf(m, sizeof(m), "%s", msg ? msg : "");
	probe_free(p);
	cb(data, status, status == 0 ? id : NULL, m);
}

static void on_io(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct probe_req *p = data;

	(void)io;
	if (p->sent < sizeof(probe_request) - 1) {
		ssize_t n = send(fd, probe_request + p->sent, sizeof(probe_request) - 1 - p->sent, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			char m[128];

			snprintf(m, sizeof(m), "cannot send request: %s", strerror(errno));
			finish(p, -errno, NULL, m);
			return;
		}
		if (n > 0)
			p->sent += (size_t)n;
		if (p->sent == sizeof(probe_request) - 1)
			loop_io_set_events(p->io, EPOLLIN);
		return;
	}
	(void)events;
	for (;;) {
		char chunk[4096];
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			char m[128];
			int e = errno;

			snprintf(m, sizeof(m), "cannot read answer: %s", strerror(e));
			finish(p, -e, NULL, m);
			return;
		}
		if (n == 0)
			break;
		if (p->in.len + (size_t)n > PROBE_RESPONSE_MAX) {
			finish(p, -EPROTO, NULL, "answer larger than the limit");
			return;
		}
		buf_add(&p->in, chunk, (size_t)n);
	}
	{
		char id[PROBE_BOOT_ID_MAX];
		struct errbuf eb;
		int r = probe_parse_response(p->in.data, p->in.len, id, &eb);

		finish(p, r, r == 0 ? id : NULL, r == 0 ? NULL : eb.msg);
	}
}

static void on_timer(struct loop_timer *t, void *data)
{
	struct probe_req *p = data;

	(void)t;
	if (p->deferred)
		finish(p, p->status, NULL, p->msg);
	else
		finish(p, -ETIMEDOUT, NULL, "no answer in time");
}

int probe_boot_id(struct loop *l, const char *path, uint64_t timeout_ms, probe_cb cb, void *data,
		  struct probe_req **ret, struct errbuf *eb)
{
	struct sockaddr_un sa;
	struct probe_req *p;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return errbuf_set(eb, "socket path %s is too long", path), -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	p = xcalloc(1, sizeof(*p));
	p->l = l;
	p->cb = cb;
	p->data = data;
	buf_init(&p->in);
	p->timer = loop_timer_new(l, on_timer, p);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		int e = errno;

		probe_free(p);
		return errbuf_set(eb, "socket: %s", strerror(e)), -e;
	}
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		/* Report through the callback, as any other outcome, but never from inside
		 * this call: a zero-delay timer carries it. */
		p->deferred = true;
		p->status = -errno;
		snprintf(p->msg, sizeof(p->msg), "cannot connect to %s: %s", path, strerror(errno));
		loop_timer_arm_in(p->timer, 0);
	} else {
		p->io = loop_io_new(l, p->fd, EPOLLOUT, on_io, p);
		loop_timer_arm_in(p->timer, timeout_ms ? timeout_ms : PROBE_TIMEOUT_MS);
	}
	if (ret)
		*ret = p;
	return 0;
}

void probe_cancel(struct probe_req *p)
{
	if (p)
		probe_free(p);
}
