/* pebble_http_exec.c - the websockets of an exec (pebble-api.md §16) for the HTTP transport.
 *
 * Once POST /v1/exec has started a task, the client opens its control, stdio and (unless
 * stderr is combined) stderr websockets in that order, each on its own connection, as ops
 * does; feeds stdin as binary frames followed by {"command":"end"}; and collects stdout and
 * stderr until each stream's {"command":"end"} (or close).  One poll(2) loop writes and reads
 * all of them, so a command that writes a lot while its stdin is still being fed cannot
 * stall us.  Frames are RFC 6455 client frames (masked), built and parsed with
 * src/http/websocket.h; the opening handshake is src/http/ws_client.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "http/websocket.h"
#include "http/ws_client.h"
#include "lib/errbuf.h"
#include "lib/loop.h"
#include "sdk/error.h"
#include "sdk/pebble_http.h"

#define EXEC_FRAME_MAX (64u * 1024u)   /* stdin bytes per frame */
#define EXEC_MAX_OUTPUT (64u * 1024u * 1024u) /* bytes of stdout or stderr kept */

enum { WS_CONTROL, WS_STDIO, WS_STDERR, WS_N };

struct ws_stream {
	int fd;
	struct ws_parser parser;
	struct buf in;    /* bytes read, not parsed yet */
	struct buf out;   /* frames to write */
	struct buf text;  /* the text message being received */
	struct buf *sink; /* where binary payloads go (NULL: discarded) */
	bool ended;       /* {"command":"end"}, a close, or the end of the connection */
};

/* Appends one masked client frame to out. */
static void frame(struct buf *out, enum ws_opcode op, const void *payload, size_t len)
{
	uint8_t hdr[WS_MAX_HEADER], mask[4] = { 0, 0, 0, 0 };
	size_t h, off = out->len;

	if (getrandom(mask, sizeof(mask), 0) != (ssize_t)sizeof(mask))
		memset(mask, 0x5a, sizeof(mask)); /* masking is not secrecy: any key is valid */
	h = ws_frame_header(hdr, true, op, len, mask);
	buf_add(out, hdr, h);
	buf_add(out, payload, len);
	ws_mask((uint8_t *)out->data + off + h, len, mask, 0);
}

static void end_message(struct buf *out)
{
	static const char end[] = "{\"command\":\"end\"}";

	frame(out, WS_OP_TEXT, end, sizeof(end) - 1);
}

/* Handles what a read brought: payloads to the sink, end and close to ended, pings
 * answered.  Returns 0 or a negative errno with err set. */
static int parse_input(struct ws_stream *s, const char *name, struct cairn_error *err)
{
	size_t off = 0;

	while (off < s->in.len) {
		struct ws_event ev;

		off += ws_parse(&s->parser, (uint8_t *)s->in.data + off, s->in.len - off, &ev);
		switch (ev.type) {
		case WS_EV_NONE:
			break;
		case WS_EV_DATA:
			if (ev.opcode == WS_OP_BINARY) {
				if (s->sink && s->sink->len + ev.len <= EXEC_MAX_OUTPUT)
					buf_add(s->sink, ev.data, ev.len);
				break;
			}
			buf_add(&s->text, ev.data, ev.len);
			if (ev.last) {
				json_t *m = json_loadb(s->text.data, s->text.len, 0, NULL);
				const char *cmd = json_string_value(json_object_get(m, "command"));

				if (cmd && !strcmp(cmd, "end"))
					s->ended = true;
				json_decref(m);
				buf_reset(&s->text);
			}
			break;
		case WS_EV_CONTROL:
			if (ev.opcode == WS_OP_PING) {
				frame(&s->out, WS_OP_PONG, ev.data, ev.len);
			} else if (ev.opcode == WS_OP_CLOSE) {
				s->ended = true;
			}
			break;
		case WS_EV_ERROR:
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "exec %s websocket: %s", name, ev.reason);
		}
	}
	buf_consume(&s->in, off);
	return 0;
}

static void stream_done(struct ws_stream *s)
{
	if (s->fd >= 0) {
		struct buf bye = BUF_INIT, payload = BUF_INIT;

		/* A polite close; the exec is over either way. */
		buf_init(&bye);
		buf_init(&payload);
		ws_close_payload(&payload, WS_CLOSE_NORMAL, "");
		frame(&bye, WS_OP_CLOSE, payload.data, payload.len);
		if (write(s->fd, bye.data, bye.len) < 0) {
			/* The peer may be gone already. */
		}
		buf_done(&bye);
		buf_done(&payload);
		close(s->fd);
	}
	s->fd = -1;
	buf_done(&s->in);
	buf_done(&s->out);
	buf_done(&s->text);
}

int pebble_http_exec_io(struct pebble *pb, const char *task_id, const struct cairn_exec_opts *o,
			struct cairn_exec_result *ret, struct cairn_error *err)
{
	static const char *const names[WS_N] = { "control", "stdio", "stderr" };
	struct pebble_http *p = (struct pebble_http *)pb;
	struct ws_stream ws[WS_N];
	struct buf out = BUF_INIT, errout = BUF_INIT;
	uint64_t deadline = o->timeout_ms > 0 ? loop_now_ms() + (uint64_t)o->timeout_ms + PEBBLE_CONNECT_TIMEOUT_MS : 0;
	int n = o->combine_stderr ? WS_STDERR : WS_N, r = 0;

	buf_init(&out);
	buf_init(&errout);
	for (int i = 0; i < WS_N; i++) {
		memset(&ws[i], 0, sizeof(ws[i]));
		ws[i].fd = -1;
		buf_init(&ws[i].in);
		buf_init(&ws[i].out);
		buf_init(&ws[i].text);
		ws_parser_init(&ws[i].parser, WS_ROLE_CLIENT);
		ws[i].ended = i >= n;
	}
	ws[WS_STDIO].sink = &out;
	ws[WS_STDERR].sink = &errout;
	/* control, stdio, stderr: the order ops connects in. */
	for (int i = 0; i < n; i++) {
		char target[128];
		struct errbuf eb;

		snprintf(target, sizeof(target), "/v1/tasks/%s/websocket/%s", task_id, names[i]);
		errbuf_clear(&eb);
		r = ws_client_connect_unix(p->path, target, PEBBLE_CONNECT_TIMEOUT_MS, &ws[i].fd, &ws[i].in, &eb);
		if (r < 0) {
			r = sdk_err(err, r == -ENOENT || r == -ECONNREFUSED || r == -ETIMEDOUT ? CAIRN_ERR_CONNECTION
												: CAIRN_ERR_API,
				    "exec %s websocket: %s", names[i], eb.msg);
			goto out;
		}
	}
	for (size_t off = 0; off < o->stdin_len; off += EXEC_FRAME_MAX) {
		size_t len = o->stdin_len - off > EXEC_FRAME_MAX ? EXEC_FRAME_MAX : o->stdin_len - off;

		frame(&ws[WS_STDIO].out, WS_OP_BINARY, (const char *)o->stdin_data + off, len);
	}
	end_message(&ws[WS_STDIO].out);
	for (int i = 0; i < n; i++)
		if ((r = parse_input(&ws[i], names[i], err)) < 0)
			goto out;
	while (!ws[WS_STDIO].ended || !ws[WS_STDERR].ended) {
		struct pollfd pf[WS_N];
		int timeout = -1;

		for (int i = 0; i < WS_N; i++) {
			pf[i].fd = ws[i].fd;
			pf[i].events = (short)(POLLIN | (ws[i].out.len ? POLLOUT : 0));
			pf[i].revents = 0;
		}
		if (deadline) {
			uint64_t now = loop_now_ms();

			if (now >= deadline) {
				r = sdk_err(err, CAIRN_ERR_TIMEOUT, "exec: no end of output within %d ms", o->timeout_ms);
				goto out;
			}
			timeout = (int)(deadline - now);
		}
		if (poll(pf, WS_N, timeout) < 0) {
			if (errno == EINTR)
				continue;
			r = sdk_err(err, CAIRN_ERR_CONNECTION, "exec: poll: %s", strerror(errno));
			goto out;
		}
		for (int i = 0; i < WS_N; i++) {
			struct ws_stream *s = &ws[i];
			char chunk[65536];
			ssize_t k;

			if (s->fd < 0 || !pf[i].revents)
				continue;
			if ((pf[i].revents & POLLOUT) && s->out.len) {
				k = write(s->fd, s->out.data, s->out.len);
				if (k > 0)
					buf_consume(&s->out, (size_t)k);
				else if (k < 0 && errno != EAGAIN && errno != EINTR)
					buf_reset(&s->out); /* the command is gone; its output still counts */
			}
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(s->fd, chunk, sizeof(chunk));
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (k <= 0) {
				/* The connection ended: that stream is over (the control one just is). */
				s->ended = true;
				close(s->fd);
				s->fd = -1;
				continue;
			}
			buf_add(&s->in, chunk, (size_t)k);
			if ((r = parse_input(s, names[i], err)) < 0)
				goto out;
		}
	}
	ret->out_len = out.len;
	ret->out = buf_detach(&out);
	ret->err_len = errout.len;
	ret->err = buf_detach(&errout);
	r = 0;
out:
	for (int i = 0; i < WS_N; i++)
		stream_done(&ws[i]);
	buf_done(&out);
	buf_done(&errout);
	return r;
}
