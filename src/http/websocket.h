/* websocket.h - RFC 6455 websockets: the pure parts.  An incremental frame parser, the frame
 * encoder, masking, and the opening handshake's checks and keys.  Nothing here touches a
 * socket, a clock or the heap, so the parser can be fed arbitrary bytes (unit tests, fuzzing).
 * ws_conn.h runs these over a connection on the event loop.
 *
 * Parser contract.  ws_parse() consumes bytes from a mutable buffer and stops at the first
 * event it has to report; the caller loops until the buffer is used up:
 *
 *     while (off < len) {
 *             off += ws_parse(&p, buf + off, len - off, &ev);
 *             if (ev.type == WS_EV_NONE) continue;   // needs more bytes
 *             ... handle ev (its data points into buf) ...
 *             if (ev.type == WS_EV_ERROR) break;     // the parser is dead from now on
 *     }
 *
 * Data frames are not reassembled: their payload is unmasked in place and reported as it
 * arrives (WS_EV_DATA, possibly several pieces per frame, each piece within the buffer given),
 * so a frame of any size needs no buffer beyond the caller's read buffer.  Control frames
 * (close, ping, pong: at most 125 bytes, never fragmented) are collected inside the parser
 * and reported whole.  Every rule a peer can break ends in WS_EV_ERROR with the close code to
 * send (RFC 6455 §7.4.1) and a message naming what was wrong:
 *   1002 protocol error: reserved bits set, unknown opcode, a client frame without a mask
 *        (server role) or a masked server frame (client role), a fragmented or oversized
 *        control frame, a continuation without a message or a new message inside one, a
 *        64-bit length with the top bit set, a close payload of 1 byte or an invalid code;
 *   1009 message too big: a frame payload above max_frame, or a text message above
 *        max_text in total (text messages are small JSON commands; see ws_conn.h). */
#ifndef CAIRN_WEBSOCKET_H
#define CAIRN_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

/* Default limits (named refusals: close 1009). */
#define WS_MAX_FRAME (16ull * 1024 * 1024)   /* payload bytes of one frame */
#define WS_MAX_TEXT (64u * 1024)             /* bytes of one text message */
#define WS_MAX_CONTROL 125                   /* RFC 6455 §5.5 */
#define WS_MAX_HEADER 14                     /* 2 + 8 length + 4 mask */
#define WS_KEY_LEN 24                        /* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28                     /* base64 of a SHA-1 */

/* Close codes (RFC 6455 §7.4.1). */
#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_NO_STATUS 1005   /* never sent: a close frame without a code */
#define WS_CLOSE_ABNORMAL 1006    /* never sent: the connection ended without a close frame */
#define WS_CLOSE_TOO_BIG 1009

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Which end we are: a server expects masked frames, a client unmasked ones. */
enum ws_role {
	WS_ROLE_SERVER,
	WS_ROLE_CLIENT,
};

enum ws_event_type {
	WS_EV_NONE,     /* everything given was consumed; feed more */
	WS_EV_DATA,     /* a piece of a text or binary message */
	WS_EV_CONTROL,  /* a whole close, ping or pong frame */
	WS_EV_ERROR,    /* the peer broke the protocol; close with ev.code */
};

struct ws_event {
	enum ws_event_type type;
	enum ws_opcode opcode;   /* DATA: the message's TEXT/BINARY; CONTROL: CLOSE/PING/PONG */
	const uint8_t *data;     /* DATA: unmasked bytes inside the caller's buffer; CONTROL:
				  * the payload inside the parser (valid until the next call) */
	size_t len;
	bool first;              /* DATA: the message's first piece */
	bool last;               /* DATA: the message's last piece */
	uint16_t code;           /* CONTROL close: the peer's code (1005 without one);
				  * ERROR: the code to close with */
	const char *reason;      /* CONTROL close: the peer's reason (len bytes at
				  * data + 2 are not NUL-terminated: use reason_len); ERROR: text */
	size_t reason_len;
};

struct ws_parser {
	enum ws_role role;
	uint64_t max_frame;      /* payload limit of one frame */
	uint64_t max_text;       /* total limit of one text message */
	/* Current frame. */
	uint8_t hdr[WS_MAX_HEADER];
	size_t hdr_len;
	bool in_payload;
	bool fin, masked;
	enum ws_opcode opcode;
	uint8_t mask[4];
	uint64_t remaining;      /* payload bytes still to come */
	uint64_t offset;         /* payload bytes seen (mask position) */
	/* Current message (data frames). */
	enum ws_opcode msg_opcode; /* WS_OP_CONT = none in progress */
	uint64_t msg_len;
	bool msg_started_piece;  /* a piece of the current message was reported */
	/* Current control frame. */
	uint8_t ctrl[WS_MAX_CONTROL];
	size_t ctrl_len;
	bool failed;
	uint16_t err_code;
	char err[128];
};

/* Initialises p for role with the default limits (callers may lower them afterwards). */
void ws_parser_init(struct ws_parser *p, enum ws_role role);

/* Parses from data[0..len) (modified: payloads are unmasked in place) until one event.
 * Returns the bytes consumed and fills *ev (ev->type WS_EV_NONE when all len bytes were
 * consumed without an event).  After a WS_EV_ERROR every call returns 0 with the same error. */
size_t ws_parse(struct ws_parser *p, uint8_t *data, size_t len, struct ws_event *ev);

/* Writes a frame header for a payload of len bytes into out (room for WS_MAX_HEADER) and
 * returns its size.  mask NULL: an unmasked (server) frame; else the 4-byte key of a
 * masked (client) frame, whose payload the caller XORs with ws_mask(). */
size_t ws_frame_header(uint8_t *out, bool fin, enum ws_opcode op, uint64_t len, const uint8_t *mask);

/* XORs n bytes at p with mask, starting at payload offset off (so a payload may be masked
 * in pieces). */
void ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off);

/* Appends a complete close frame payload (code in network order, then reason) to out. */
void ws_close_payload(struct buf *out, uint16_t code, const char *reason);

/* ---- opening handshake (RFC 6455 §4) ---- */

/* Checks a client's upgrade request the way gorilla/websocket's Upgrader does, with its
 * messages.  Header values may be NULL (absent).  Returns 0, or the HTTP status to refuse
 * with (400, or 405 for a method other than GET) with eb set, e.g.
 * "websocket: the client is not using the websocket protocol: 'upgrade' token not found in
 * 'Connection' header". */
int ws_handshake_check(const char *method, const char *connection, const char *upgrade,
		       const char *version, const char *key, struct errbuf *eb);

/* Sec-WebSocket-Accept for key: base64(SHA-1(key + GUID)), computed with OpenSSL.  out has
 * room for WS_ACCEPT_LEN + 1 bytes.  Returns 0, or -EIO if OpenSSL failed. */
int ws_accept_key(const char *key, char *out);

/* Appends the server's "101 Switching Protocols" answer for key to out.  Returns 0 or
 * -EIO (ws_accept_key failed). */
int ws_handshake_response(struct buf *out, const char *key);

/* A random Sec-WebSocket-Key (base64 of 16 random bytes) into out (WS_KEY_LEN + 1). */
int ws_client_key(char *out);

/* True when s is a comma-separated header value that holds token (case-insensitive, as
 * HTTP tokens compare). */
bool ws_header_has_token(const char *s, const char *token);

#endif
