/* test-websocket.c - unit tests for the pure websocket parts: the incremental frame parser
 * (fed whole, byte by byte and in random splits), the encoder and masking, every protocol
 * error with its close code, and the handshake helpers (RFC 6455's own example key). */
#include "http/websocket.h"

#include <stdlib.h>
#include <string.h>

#include "lib/test.h"

/* Builds one frame into out; returns its size.  mask NULL = unmasked. */
static size_t frame(uint8_t *out, bool fin, unsigned op, const void *payload, size_t n, const uint8_t *mask)
{
	size_t h = ws_frame_header(out, fin, (enum ws_opcode)op, n, mask);

	memcpy(out + h, payload, n);
	if (mask)
		ws_mask(out + h, n, mask, 0);
	return h + n;
}

static const uint8_t MASK[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* What a whole run of the parser saw. */
struct seen {
	struct buf msg[8];     /* reassembled data messages */
	unsigned op[8];
	size_t nmsg;
	unsigned ctrl_op[8];
	uint16_t ctrl_code[8];
	size_t nctrl;
	bool error;
	uint16_t err_code;
	char err[128];
	size_t pieces;
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 8; i++)
		buf_init(&s->msg[i]);
}

static void seen_done(struct seen *s)
{
	for (int i = 0; i < 8; i++)
		buf_done(&s->msg[i]);
}

/* Feeds data in chunks of at most step bytes (0 = all at once). */
static void feed(struct ws_parser *p, const uint8_t *data, size_t len, size_t step, struct seen *s)
{
	uint8_t *copy = xmalloc(len ? len : 1);
	size_t pos = 0;

	memcpy(copy, data, len);
	while (pos < len && !s->error) {
		size_t chunk = step ? (len - pos < step ? len - pos : step) : len - pos;
		size_t off = 0;

		while (off < chunk) {
			struct ws_event ev;

			off += ws_parse(p, copy + pos + off, chunk - off, &ev);
			if (ev.type == WS_EV_DATA) {
				s->pieces++;
				if (ev.first)
					s->op[s->nmsg] = ev.opcode;
				buf_add(&s->msg[s->nmsg], ev.data, ev.len);
				if (ev.last && s->nmsg < 7)
					s->nmsg++;
			} else if (ev.type == WS_EV_CONTROL) {
				s->ctrl_op[s->nctrl] = ev.opcode;
				s->ctrl_code[s->nctrl] = ev.code;
				if (s->nctrl < 7)
					s->nctrl++;
			} else if (ev.type == WS_EV_ERROR) {
				s->error = true;
				s->err_code = ev.code;
				snprintf(s->err, sizeof(s->err), "%s", ev.reason);
				break;
			}
		}
		pos += chunk;
	}
	free(copy);
}

static void test_single_frames(void)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 13 };

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		uint8_t wire[256];
		size_t n = 0;
		struct ws_parser p;
		struct seen s;

		n += frame(wire + n, true, WS_OP_TEXT, "{\"command\":\"end\"}", 17, MASK);
		n += frame(wire + n, true, WS_OP_BINARY, "\x00\x01\x02", 3, MASK);
		n += frame(wire + n, true, WS_OP_BINARY, "", 0, MASK);
		n += frame(wire + n, true, WS_OP_PING, "hi", 2, MASK);
		n += frame(wire + n, true, WS_OP_CLOSE, "\x03\xe8" "bye", 5, MASK);
		ws_parser_init(&p, WS_ROLE_SERVER);
		seen_init(&s);
		feed(&p, wire, n, steps[k], &s);
		ASSERT_TRUE(!s.error);
		ASSERT_EQ(s.nmsg, 3);
		ASSERT_EQ(s.op[0], WS_OP_TEXT);
		ASSERT_EQ(s.msg[0].len, 17);
		ASSERT_TRUE(memcmp(s.msg[0].data, "{\"command\":\"end\"}", 17) == 0);
		ASSERT_EQ(s.op[1], WS_OP_BINARY);
		ASSERT_EQ(s.msg[1].len, 3);
		ASSERT_TRUE(memcmp(s.msg[1].data, "\x00\x01\x02", 3) == 0);
		ASSERT_EQ(s.op[2], WS_OP_BINARY);
		ASSERT_EQ(s.msg[2].len, 0);
		ASSERT_EQ(s.nctrl, 2);
		ASSERT_EQ(s.ctrl_op[0], WS_OP_PING);
		ASSERT_EQ(s.ctrl_op[1], WS_OP_CLOSE);
		ASSERT_EQ(s.ctrl_code[1], 1000);
		seen_done(&s);
	}
}

static void test_fragmented_with_control_between(void)
{
	uint8_t wire[256];
	size_t n = 0;
	struct ws_parser p;
	struct seen s;

	n += frame(wire + n, false, WS_OP_TEXT, "{\"comm", 6, MASK);
	n += frame(wire + n, true, WS_OP_PING, "", 0, MASK);       /* allowed between fragments */
	n += frame(wire + n, false, WS_OP_CONT, "and\":", 5, MASK);
	n += frame(wire + n, false, WS_OP_CONT, "", 0, MASK);      /* empty fragment */
	n += frame(wire + n, true, WS_OP_CONT, "\"end\"}", 6, MASK);
	for (size_t step = 0; step < 6; step++) {
		ws_parser_init(&p, WS_ROLE_SERVER);
		seen_init(&s);
		feed(&p, wire, n, step, &s);
		ASSERT_TRUE(!s.error);
		ASSERT_EQ(s.nmsg, 1);
		ASSERT_EQ(s.op[0], WS_OP_TEXT);
		ASSERT_EQ(s.msg[0].len, 17);
		ASSERT_TRUE(memcmp(s.msg[0].data, "{\"command\":\"end\"}", 17) == 0);
		ASSERT_EQ(s.nctrl, 1);
		seen_done(&s);
	}
}

static void test_lengths_16_and_64_bit(void)
{
	static const size_t sizes[] = { 125, 126, 127, 65535, 65536, 200000 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len = sizes[k], n;
		uint8_t *payload = xmalloc(len), *wire = xmalloc(len + WS_MAX_HEADER);
		struct ws_parser p;
		struct seen s;

		for (size_t i = 0; i < len; i++)
			payload[i] = (uint8_t)(i * 7 + 3);
		n = frame(wire, true, WS_OP_BINARY, payload, len, MASK);
		ASSERT_EQ(n - len, len < 126 ? 6 : len <= 65535 ? 8 : 14);
		ws_parser_init(&p, WS_ROLE_SERVER);
		seen_init(&s);
		feed(&p, wire, n, 4093, &s);
		ASSERT_TRUE(!s.error);
		ASSERT_EQ(s.nmsg, 1);
		ASSERT_EQ(s.msg[0].len, len);
		ASSERT_TRUE(memcmp(s.msg[0].data, payload, len) == 0);
		/* Pieces arrive as the chunks do: no reassembly buffer inside the parser. */
		ASSERT_TRUE(s.pieces >= len / 4093);
		seen_done(&s);
		free(payload);
		free(wire);
	}
}

static void test_explicit_64_bit_header(void)
{
	/* A 3-byte payload in the 64-bit form (not minimal, still valid). */
	uint8_t wire[32] = { 0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 3 };
	struct ws_parser p;
	struct seen s;

	memcpy(wire + 10, MASK, 4);
	memcpy(wire + 14, "abc", 3);
	ws_mask(wire + 14, 3, MASK, 0);
	ws_parser_init(&p, WS_ROLE_SERVER);
	seen_init(&s);
	feed(&p, wire, 17, 1, &s);
	ASSERT_TRUE(!s.error);
	ASSERT_EQ(s.nmsg, 1);
	ASSERT_STREQ(s.msg[0].data, "abc");
	seen_done(&s);
}

/* Expects the bytes to end in a protocol error with code and a message containing what. */
static int expect_error(enum ws_role role, const uint8_t *wire, size_t n, uint16_t code, const char *what)
{
	struct ws_parser p;
	struct seen s;
	int ok;

	ws_parser_init(&p, role);
	p.max_frame = 1 << 20;
	seen_init(&s);
	feed(&p, wire, n, 0, &s);
	ok = s.error && s.err_code == code && strstr(s.err, what);
	if (!ok)
		printf("  expected %u \"%s\", got %s %u \"%s\"\n", code, what, s.error ? "error" : "no error",
		       s.err_code, s.err);
	seen_done(&s);
	/* A dead parser stays dead. */
	if (ok) {
		struct ws_event ev;
		uint8_t more[2] = { 0x81, 0x80 };

		ok = ws_parse(&p, more, 2, &ev) == 0 && ev.type == WS_EV_ERROR && ev.code == code;
	}
	return ok;
}

static void test_bad_frames(void)
{
	uint8_t w[64];
	size_t n;

	/* Unmasked client frame. */
	n = frame(w, true, WS_OP_TEXT, "hi", 2, NULL);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "not masked"));
	/* Masked server frame (client side). */
	n = frame(w, true, WS_OP_TEXT, "hi", 2, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_CLIENT, w, n, 1002, "server frame is masked"));
	/* Reserved bits. */
	n = frame(w, true, WS_OP_TEXT, "hi", 2, MASK);
	w[0] |= 0x40;
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "reserved bits 0x40"));
	/* Unknown opcodes (data 3-7, control 0xb-0xf). */
	n = frame(w, true, 0x3, "hi", 2, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "unknown opcode 0x3"));
	n = frame(w, true, 0xb, "", 0, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "unknown opcode 0xb"));
	/* Fragmented control frame. */
	n = frame(w, false, WS_OP_PING, "", 0, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "fragmented control"));
	/* Control frame above 125 bytes. */
	w[0] = 0x89;
	w[1] = 0x80 | 126;
	w[2] = 0;
	w[3] = 126;
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, 4, 1002, "longer than 125"));
	/* Continuation without a message. */
	n = frame(w, true, WS_OP_CONT, "x", 1, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "continuation frame without"));
	/* New message inside a fragmented one. */
	n = frame(w, false, WS_OP_BINARY, "x", 1, MASK);
	n += frame(w + n, true, WS_OP_TEXT, "y", 1, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "new message inside"));
	/* 64-bit length with the top bit set. */
	memset(w, 0, sizeof(w));
	w[0] = 0x82;
	w[1] = 0x80 | 127;
	w[2] = 0x80;
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, 14, 1002, "most significant bit"));
	/* Oversized frame (limit 1 MiB in expect_error): refused from the header alone. */
	memset(w, 0, sizeof(w));
	w[0] = 0x82;
	w[1] = 0x80 | 127;
	w[5] = 0x01; /* 2^32 bytes */
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, 14, 1009, "exceeds the limit"));
	/* Close frame with a 1-byte payload, and with an invalid code. */
	n = frame(w, true, WS_OP_CLOSE, "\x03", 1, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "1-byte payload"));
	n = frame(w, true, WS_OP_CLOSE, "\x03\xed", 2, MASK); /* 1005 must not be sent */
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "invalid close code 1005"));
	n = frame(w, true, WS_OP_CLOSE, "\x00\x10", 2, MASK);
	ASSERT_TRUE(expect_error(WS_ROLE_SERVER, w, n, 1002, "invalid close code 16"));
}

static void test_text_limit(void)
{
	struct ws_parser p;
	struct seen s;
	uint8_t *w = xmalloc(3 * 40000 + 64);
	uint8_t *payload = xcalloc(1, 40000);
	size_t n = 0;

	/* Two 40000-byte fragments: each frame is fine, the message is not. */
	n += frame(w + n, false, WS_OP_TEXT, payload, 40000, MASK);
	n += frame(w + n, true, WS_OP_CONT, payload, 40000, MASK);
	ws_parser_init(&p, WS_ROLE_SERVER);
	seen_init(&s);
	feed(&p, w, n, 0, &s);
	ASSERT_TRUE(s.error);
	ASSERT_EQ(s.err_code, 1009);
	ASSERT_CONTAINS(s.err, "text message exceeds the limit of 65536 bytes");
	seen_done(&s);
	/* Binary messages are not limited in total, only per frame. */
	n = 0;
	for (int i = 0; i < 3; i++)
		n += frame(w + n, i == 2, i ? WS_OP_CONT : WS_OP_BINARY, payload, 40000, MASK);
	ws_parser_init(&p, WS_ROLE_SERVER);
	seen_init(&s);
	feed(&p, w, n, 0, &s);
	ASSERT_TRUE(!s.error);
	ASSERT_EQ(s.nmsg, 1);
	ASSERT_EQ(s.msg[0].len, 120000);
	seen_done(&s);
	free(w);
	free(payload);
}

static void test_client_role_unmasked(void)
{
	uint8_t w[64];
	size_t n = frame(w, true, WS_OP_TEXT, "{\"command\":\"end\"}", 17, NULL);
	struct ws_parser p;
	struct seen s;

	ws_parser_init(&p, WS_ROLE_CLIENT);
	seen_init(&s);
	feed(&p, w, n, 1, &s);
	ASSERT_TRUE(!s.error);
	ASSERT_EQ(s.nmsg, 1);
	ASSERT_EQ(s.msg[0].len, 17);
	seen_done(&s);
}

static void test_random_splits(void)
{
	/* A mixed stream in many random splits always gives the same result. */
	uint8_t *w = xmalloc(300000), *payload = xmalloc(70000);
	size_t n = 0;

	srand(42);
	for (size_t i = 0; i < 70000; i++)
		payload[i] = (uint8_t)rand();
	n += frame(w + n, false, WS_OP_BINARY, payload, 70000, MASK);
	n += frame(w + n, true, WS_OP_PONG, "p", 1, MASK);
	n += frame(w + n, true, WS_OP_CONT, payload, 300, MASK);
	n += frame(w + n, true, WS_OP_TEXT, "t", 1, MASK);
	for (int round = 0; round < 200; round++) {
		struct ws_parser p;
		struct seen s;
		uint8_t *copy = xmalloc(n);
		size_t pos = 0;

		memcpy(copy, w, n);
		ws_parser_init(&p, WS_ROLE_SERVER);
		seen_init(&s);
		while (pos < n) {
			size_t chunk = 1 + (size_t)rand() % 5000;

			if (chunk > n - pos)
				chunk = n - pos;
			feed(&p, copy + pos, chunk, 0, &s);
			pos += chunk;
		}
		ASSERT_TRUE(!s.error);
		ASSERT_EQ(s.nmsg, 2);
		ASSERT_EQ(s.msg[0].len, 70300);
		ASSERT_TRUE(memcmp(s.msg[0].data, payload, 70000) == 0);
		ASSERT_TRUE(memcmp(s.msg[0].data + 70000, payload, 300) == 0);
		ASSERT_EQ(s.nctrl, 1);
		seen_done(&s);
		free(copy);
	}
	free(w);
	free(payload);
}

static void test_mask_offsets(void)
{
	uint8_t a[100], b[100];

	for (int i = 0; i < 100; i++)
		a[i] = b[i] = (uint8_t)i;
	ws_mask(a, 100, MASK, 0);
	/* Masking in pieces at any offsets gives the same bytes. */
	ws_mask(b, 3, MASK, 0);
	ws_mask(b + 3, 50, MASK, 3);
	ws_mask(b + 53, 47, MASK, 53);
	ASSERT_TRUE(memcmp(a, b, 100) == 0);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(a[i], (uint8_t)(i ^ MASK[i & 3]));
}

static void test_encoder(void)
{
	uint8_t h[WS_MAX_HEADER];

	ASSERT_EQ(ws_frame_header(h, true, WS_OP_TEXT, 5, NULL), 2);
	ASSERT_EQ(h[0], 0x81);
	ASSERT_EQ(h[1], 5);
	ASSERT_EQ(ws_frame_header(h, true, WS_OP_BINARY, 300, NULL), 4);
	ASSERT_EQ(h[1], 126);
	ASSERT_EQ(h[2] << 8 | h[3], 300);
	ASSERT_EQ(ws_frame_header(h, false, WS_OP_BINARY, 1ull << 33, MASK), 14);
	ASSERT_EQ(h[0], 0x02);
	ASSERT_EQ(h[1], 0x80 | 127);
	ASSERT_EQ(h[5], 2);
	ASSERT_TRUE(memcmp(h + 10, MASK, 4) == 0);
}

static void test_handshake(void)
{
	char accept[WS_ACCEPT_LEN + 1], key[WS_KEY_LEN + 1];
	struct errbuf eb;
	struct buf b = BUF_INIT;

	/* RFC 6455 §1.3's example. */
	ASSERT_EQ(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept), 0);
	ASSERT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	buf_init(&b);
	ASSERT_EQ(ws_handshake_response(&b, "dGhlIHNhbXBsZSBub25jZQ=="), 0);
	ASSERT_STREQ(b.data, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	buf_done(&b);
	ASSERT_EQ(ws_client_key(key), 0);
	ASSERT_EQ(strlen(key), 24);
	ASSERT_EQ(ws_handshake_check("GET", "keep-alive, Upgrade", "WebSocket", "13", key, &eb), 0);
	ASSERT_EQ(ws_handshake_check("GET", "keep-alive", "websocket", "13", key, &eb), 400);
	ASSERT_STREQ(eb.msg, "websocket: the client is not using the websocket protocol: 'upgrade' token not "
			     "found in 'Connection' header");
	ASSERT_EQ(ws_handshake_check("GET", "upgrade", NULL, "13", key, &eb), 400);
	ASSERT_CONTAINS(eb.msg, "'websocket' token not found in 'Upgrade' header");
	ASSERT_EQ(ws_handshake_check("POST", "upgrade", "websocket", "13", key, &eb), 405);
	ASSERT_CONTAINS(eb.msg, "request method is not GET");
	ASSERT_EQ(ws_handshake_check("GET", "upgrade", "websocket", "8", key, &eb), 400);
	ASSERT_STREQ(eb.msg, "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header");
	ASSERT_EQ(ws_handshake_check("GET", "upgrade", "websocket", "13", "short", &eb), 400);
	ASSERT_CONTAINS(eb.msg, "'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte length");
	ASSERT_EQ(ws_handshake_check("GET", "upgrade", "websocket", "13", "!!!!!!!!!!!!!!!!!!!!!!==", &eb), 400);
	ASSERT_TRUE(ws_header_has_token("a, b ,Upgrade", "upgrade"));
	ASSERT_TRUE(!ws_header_has_token("upgrades", "upgrade"));
	ASSERT_TRUE(!ws_header_has_token(NULL, "upgrade"));
}

int main(void)
{
	RUN(test_single_frames);
	RUN(test_fragmented_with_control_between);
	RUN(test_lengths_16_and_64_bit);
	RUN(test_explicit_64_bit_header);
	RUN(test_bad_frames);
	RUN(test_text_limit);
	RUN(test_client_role_unmasked);
	RUN(test_random_splits);
	RUN(test_mask_offsets);
	RUN(test_encoder);
	RUN(test_handshake);
	return test_summary();
}
