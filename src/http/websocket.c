/* websocket.c - RFC 6455 frame parser, encoder and handshake helpers; see websocket.h. */

/* The one-shot SHA1() of OpenSSL 3 goes through EVP_Q_digest, which brings the provider and
 * configuration machinery (and a read of openssl.cnf) into the statically linked scree
 * daemon on the first handshake.  The low-level digest is the same OpenSSL code without
 * that, so it is used here despite its deprecation. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "http/websocket.h"

#include <errno.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void ws_parser_init(struct ws_parser *p, enum ws_role role)
{
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->max_frame = WS_MAX_FRAME;
	p->max_text = WS_MAX_TEXT;
	p->msg_opcode = WS_OP_CONT;
}

static bool is_control(unsigned op)
{
	return op >= 0x8;
}

/* Marks the parser dead and reports the error. */
static size_t fail(struct ws_parser *p, struct ws_event *ev, size_t used, uint16_t code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static size_t fail(struct ws_parser *p, struct ws_event *ev, size_t used, uint16_t code, const char *fmt, ...)
{
	va_list ap;

	p->failed = true;
	p->err_code = code;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	ev->type = WS_EV_ERROR;
	ev->code = code;
	ev->reason = p->err;
	ev->reason_len = strlen(p->err);
	return used;
}

/* Close codes a peer may send (RFC 6455 §7.4; 1012-1014 registered with IANA since). */
static bool close_code_valid(unsigned code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/* Reports the control frame collected in p->ctrl. */
static size_t control_done(struct ws_parser *p, struct ws_event *ev, size_t used)
{
	ev->type = WS_EV_CONTROL;
	ev->opcode = p->opcode;
	ev->data = p->ctrl;
	ev->len = p->ctrl_len;
	if (p->opcode == WS_OP_CLOSE) {
		unsigned code;

		if (p->ctrl_len == 1)
			return fail(p, ev, used, WS_CLOSE_PROTOCOL, "close frame with a 1-byte payload");
		if (p->ctrl_len == 0) {
			ev->code = WS_CLOSE_NO_STATUS;
		} else {
			code = (unsigned)p->ctrl[0] << 8 | p->ctrl[1];
			if (!close_code_valid(code))
				return fail(p, ev, used, WS_CLOSE_PROTOCOL, "invalid close code %u", code);
			ev->code = (uint16_t)code;
			ev->reason = (const char *)p->ctrl + 2;
			ev->reason_len = p->ctrl_len - 2;
		}
	}
	return used;
}

/* Checks the first two header bytes. */
static size_t check_start(struct ws_parser *p, struct ws_event *ev, size_t used)
{
	unsigned b0 = p->hdr[0], b1 = p->hdr[1], op = b0 & 0x0f, len7 = b1 & 0x7f;
	bool fin = b0 & 0x80, masked = b1 & 0x80;

	if (b0 & 0x70)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "reserved bits 0x%x set in frame header", b0 & 0x70);
	if (op != WS_OP_CONT && op != WS_OP_TEXT && op != WS_OP_BINARY && op != WS_OP_CLOSE &&
	    op != WS_OP_PING && op != WS_OP_PONG)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "unknown opcode 0x%x", op);
	if (is_control(op) && !fin)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "fragmented control frame (opcode 0x%x)", op);
	if (is_control(op) && len7 > WS_MAX_CONTROL)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "control frame payload longer than %d bytes",
			    WS_MAX_CONTROL);
	if (p->role == WS_ROLE_SERVER && !masked)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "client frame is not masked");
	if (p->role == WS_ROLE_CLIENT && masked)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "server frame is masked");
	if (op == WS_OP_CONT && p->msg_opcode == WS_OP_CONT)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "continuation frame without a message");
	if ((op == WS_OP_TEXT || op == WS_OP_BINARY) && p->msg_opcode != WS_OP_CONT)
		return fail(p, ev, used, WS_CLOSE_PROTOCOL, "new message inside a fragmented message");
	return 0;
}

static size_t header_size(const uint8_t *hdr)
{
	unsigned len7 = hdr[1] & 0x7f;

	return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((hdr[1] & 0x80) ? 4 : 0);
}

/* The header is complete: validate the length and enter the payload. */
static size_t start_frame(struct ws_parser *p, struct ws_event *ev, size_t used)
{
	unsigned len7 = p->hdr[1] & 0x7f;
	uint64_t n = len7;
	size_t off = 2;

	if (len7 == 126) {
		n = (uint64_t)p->hdr[2] << 8 | p->hdr[3];
		off = 4;
	} else if (len7 == 127) {
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | p->hdr[2 + i];
		off = 10;
		if (n >> 63)
			return fail(p, ev, used, WS_CLOSE_PROTOCOL,
				    "frame length has its most significant bit set");
	}
	p->fin = p->hdr[0] & 0x80;
	p->opcode = (enum ws_opcode)(p->hdr[0] & 0x0f);
	p->masked = p->hdr[1] & 0x80;
	if (p->masked)
		memcpy(p->mask, p->hdr + off, 4);
	if (n > p->max_frame)
		return fail(p, ev, used, WS_CLOSE_TOO_BIG, "frame of %llu bytes exceeds the limit of %llu bytes",
			    (unsigned long long)n, (unsigned long long)p->max_frame);
	if (is_control(p->opcode)) {
		p->ctrl_len = 0;
	} else {
		if (p->opcode != WS_OP_CONT) {
			p->msg_opcode = p->opcode;
			p->msg_len = 0;
			p->msg_started_piece = false;
		}
		if (p->msg_opcode == WS_OP_TEXT && n > p->max_text - p->msg_len)
			return fail(p, ev, used, WS_CLOSE_TOO_BIG, "text message exceeds the limit of %llu bytes",
				    (unsigned long long)p->max_text);
		p->msg_len += n;
	}
	p->remaining = n;
	p->offset = 0;
	p->hdr_len = 0;
	p->in_payload = true;
	return 0;
}

/* Reports the end of a data frame whose payload is empty. */
static void empty_data_frame(struct ws_parser *p, struct ws_event *ev)
{
	ev->type = WS_EV_DATA;
	ev->opcode = p->msg_opcode;
	ev->data = NULL;
	ev->len = 0;
	ev->first = !p->msg_started_piece;
	ev->last = true;
	p->msg_opcode = WS_OP_CONT;
	p->msg_started_piece = false;
}

size_t ws_parse(struct ws_parser *p, uint8_t *data, size_t len, struct ws_event *ev)
{
	size_t used = 0;

	memset(ev, 0, sizeof(*ev));
	if (p->failed) {
		ev->type = WS_EV_ERROR;
		ev->code = p->err_code;
		ev->reason = p->err;
		ev->reason_len = strlen(p->err);
		return 0;
	}
	while (used < len) {
		if (!p->in_payload) {
			p->hdr[p->hdr_len++] = data[used++];
			if (p->hdr_len == 2) {
				check_start(p, ev, used);
				if (p->failed)
					return used;
			}
			if (p->hdr_len < 2 || p->hdr_len < header_size(p->hdr))
				continue;
			start_frame(p, ev, used);
			if (p->failed)
				return used;
			if (p->remaining > 0)
				continue;
			/* An empty payload: the frame is complete already. */
			p->in_payload = false;
			if (is_control(p->opcode))
				return control_done(p, ev, used);
			if (p->fin) {
				empty_data_frame(p, ev);
				return used;
			}
			continue;
		}

		size_t avail = len - used;

		if (avail > p->remaining)
			avail = (size_t)p->remaining;
		if (p->masked)
			ws_mask(data + used, avail, p->mask, p->offset);
		if (is_control(p->opcode)) {
			memcpy(p->ctrl + p->ctrl_len, data + used, avail);
			p->ctrl_len += avail;
		} else {
			ev->type = WS_EV_DATA;
			ev->opcode = p->msg_opcode;
			ev->data = data + used;
			ev->len = avail;
			ev->first = !p->msg_started_piece;
			ev->last = p->fin && avail == p->remaining;
			p->msg_started_piece = true;
		}
		used += avail;
		p->remaining -= avail;
		p->offset += avail;
		if (p->remaining == 0) {
			p->in_payload = false;
			if (is_control(p->opcode))
				return control_done(p, ev, used);
			if (p->fin) {
				p->msg_opcode = WS_OP_CONT;
				p->msg_started_piece = false;
			}
		}
		if (ev->type != WS_EV_NONE)
			return used;
	}
	return used;
}

size_t ws_frame_header(uint8_t *out, bool fin, enum ws_opcode op, uint64_t len, const uint8_t *mask)
{
	size_t n = 2;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
	} else if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		n = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask) {
		out[1] |= 0x80;
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

void ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off)
{
	size_t i = 0;
	unsigned k = (unsigned)(off & 3);

	/* Byte-wise until aligned to the key, then eight bytes at a time. */
	while (i < n && k != 0) {
		p[i++] ^= mask[k];
		k = (k + 1) & 3;
	}
	if (n - i >= 8) {
		uint64_t m8;
		uint8_t mb[8];

		for (int j = 0; j < 8; j++)
			mb[j] = mask[j & 3];
		memcpy(&m8, mb, 8);
		for (; n - i >= 8; i += 8) {
			uint64_t v;

			memcpy(&v, p + i, 8);
			v ^= m8;
			memcpy(p + i, &v, 8);
		}
	}
	for (; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

void ws_close_payload(struct buf *out, uint16_t code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (n > WS_MAX_CONTROL - 2)
		n = WS_MAX_CONTROL - 2;
	buf_addc(out, (char)(code >> 8));
	buf_addc(out, (char)(code & 0xff));
	if (n)
		buf_add(out, reason, n);
}

/* ---- handshake ---- */

static bool is_token_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

bool ws_header_has_token(const char *s, const char *token)
{
	size_t tl = strlen(token);

	if (!s)
		return false;
	while (*s) {
		while (*s && is_token_sep(*s))
			s++;
		const char *start = s;

		while (*s && *s != ',')
			s++;
		const char *end = s;

		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - start) == tl && strncasecmp(start, token, tl) == 0)
			return true;
	}
	return false;
}

/* gorilla's isValidChallengeKey: base64 of exactly 16 bytes. */
static bool key_valid(const char *key)
{
	unsigned char out[24];

	if (!key || strlen(key) != WS_KEY_LEN || strcmp(key + 22, "==") != 0)
		return false;
	return EVP_DecodeBlock(out, (const unsigned char *)key, WS_KEY_LEN) == 18;
}

int ws_handshake_check(const char *method, const char *connection, const char *upgrade,
		       const char *version, const char *key, struct errbuf *eb)
{
	static const char proto[] = "websocket: the client is not using the websocket protocol: ";

	if (!ws_header_has_token(connection, "upgrade")) {
		errbuf_set(eb, "%s'upgrade' token not found in 'Connection' header", proto);
		return 400;
	}
	if (!ws_header_has_token(upgrade, "websocket")) {
		errbuf_set(eb, "%s'websocket' token not found in 'Upgrade' header", proto);
		return 400;
	}
	if (!method || strcmp(method, "GET") != 0) {
		errbuf_set(eb, "%srequest method is not GET", proto);
		return 405;
	}
	if (!ws_header_has_token(version, "13")) {
		errbuf_set(eb, "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header");
		return 400;
	}
	if (!key_valid(key)) {
		errbuf_set(eb, "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 "
			   "encoded value of 16-byte length");
		return 400;
	}
	return 0;
}

int ws_accept_key(const char *key, char *out)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	SHA_CTX ctx;

	if (!SHA1_Init(&ctx) || !SHA1_Update(&ctx, key, strlen(key)) ||
	    !SHA1_Update(&ctx, WS_GUID, sizeof(WS_GUID) - 1) || !SHA1_Final(md, &ctx))
		return -EIO;
	if (EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH) != WS_ACCEPT_LEN)
		return -EIO;
	return 0;
}

int ws_handshake_response(struct buf *out, const char *key)
{
	char accept[WS_ACCEPT_LEN + 1];

	if (ws_accept_key(key, accept) < 0)
		return -EIO;
	buf_adds(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		      "Sec-WebSocket-Accept: ");
	buf_adds(out, accept);
	buf_adds(out, "\r\n\r\n");
	return 0;
}

int ws_client_key(char *out)
{
	unsigned char raw[16];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	if (EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw)) != WS_KEY_LEN)
		return -EIO;
	return 0;
}
