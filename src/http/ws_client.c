/* ws_client.c - blocking websocket handshake over a UNIX socket; see ws_client.h. */
#include "http/ws_client.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "http/websocket.h"
#include "lib/fdio.h"

struct answer {
	http_parser parser;
	struct buf field, value, accept, body;
	bool in_value, headers_done, done;
};

static void header_end(struct answer *a)
{
	if (a->field.len && strcasecmp(a->field.data, "Sec-WebSocket-Accept") == 0) {
		buf_reset(&a->accept);
		buf_add(&a->accept, a->value.data, a->value.len);
	}
	buf_reset(&a->field);
	buf_reset(&a->value);
}

static int on_field(http_parser *p, const char *at, size_t n)
{
	struct answer *a = p->data;

	if (a->in_value) {
		header_end(a);
		a->in_value = false;
	}
	buf_add(&a->field, at, n);
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t n)
{
	struct answer *a = p->data;

	a->in_value = true;
	buf_add(&a->value, at, n);
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct answer *a = p->data;

	if (a->in_value)
		header_end(a);
	a->headers_done = true;
	/* A 101 has no body: stop right after the headers. */
	return p->status_code == 101 ? 2 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct answer *a = p->data;

	if (a->body.len + n > WS_CLIENT_MAX_RESPONSE)
		return -1;
	buf_add(&a->body, at, n);
	return 0;
}

static int on_complete(http_parser *p)
{
	struct answer *a = p->data;

	a->done = true;
	if (p->status_code != 101)
		http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

/* The server's refusal: the message of its JSON error envelope, else the status. */
static void refusal(struct answer *a, struct errbuf *eb)
{
	json_t *env = json_loadb(a->body.data, a->body.len, 0, NULL);
	const char *msg = json_string_value(json_object_get(json_object_get(env, "result"), "message"));

	if (msg)
		errbuf_set(eb, "%s", msg);
	else
		errbuf_set(eb, "websocket: bad handshake (status %u)", a->parser.status_code);
	json_decref(env);
}

int ws_client_connect_unix(const char *path, const char *target, int timeout_ms, int *ret_fd,
			   struct buf *leftover, struct errbuf *eb)
{
	struct sockaddr_un sa;
	struct answer a;
	char key[WS_KEY_LEN + 1], accept[WS_ACCEPT_LEN + 1], in[4096];
	struct buf req = BUF_INIT;
	int fd = -1, r;

	memset(&a, 0, sizeof(a));
	buf_init(&a.field);
	buf_init(&a.value);
	buf_init(&a.accept);
	buf_init(&a.body);
	buf_init(&req);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		r = -ENAMETOOLONG;
		errbuf_set(eb, "socket path too long: %s", path);
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (ws_client_key(key) < 0 || ws_accept_key(key, accept) < 0) {
		r = -EIO;
		errbuf_set(eb, "cannot make a websocket key");
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EAGAIN &&
		       errno != EINPROGRESS)) {
		r = -errno;
		errbuf_set(eb, "dial unix %s: %s", path, strerror(errno));
		goto out;
	}
	buf_addf(&req,
		 "GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		 target, key);
	r = fd_send_all(fd, req.data, req.len, timeout_ms);
	if (r < 0) {
		errbuf_set(eb, "cannot send websocket request: %s", strerror(-r));
		goto out;
	}
	http_parser_init(&a.parser, HTTP_RESPONSE);
	a.parser.data = &a;
	for (;;) {
		ssize_t n = recv(fd, in, sizeof(in), 0);
		size_t used;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			r = fd_wait(fd, POLLIN, timeout_ms);
			if (r < 0) {
				errbuf_set(eb, "cannot read websocket answer: %s", strerror(-r));
				goto out;
			}
			continue;
		}
		if (n < 0) {
			r = -errno;
			errbuf_set(eb, "cannot read websocket answer: %s", strerror(errno));
			goto out;
		}
		used = http_parser_execute(&a.parser, &settings, in, (size_t)n);
		if (a.headers_done && a.parser.status_code == 101) {
			if (used < (size_t)n)
				buf_add(leftover, in + used, (size_t)n - used);
			break;
		}
		if (a.done || n == 0) {
			if (!a.headers_done) {
				r = -EPROTO;
				errbuf_set(eb, "websocket: bad handshake (connection closed)");
			} else {
				r = -EIO;
				refusal(&a, eb);
			}
			goto out;
		}
		if (HTTP_PARSER_ERRNO(&a.parser) != HPE_OK) {
			r = -EPROTO;
			errbuf_set(eb, "websocket: malformed answer: %s",
				   http_errno_description(HTTP_PARSER_ERRNO(&a.parser)));
			goto out;
		}
	}
	if (strcmp(buf_str(&a.accept), accept) != 0) {
		r = -EPROTO;
		errbuf_set(eb, "websocket: bad handshake (Sec-WebSocket-Accept mismatch)");
		goto out;
	}
	*ret_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_done(&req);
	buf_done(&a.field);
	buf_done(&a.value);
	buf_done(&a.accept);
	buf_done(&a.body);
	return r;
}
