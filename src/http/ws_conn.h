/* ws_conn.h - one websocket connection on the event loop (RFC 6455 over an already
 * upgraded socket), for both ends: scree's exec websockets (server role) and the CLI's
 * (client role: every frame it sends is masked with a fresh random key).
 *
 * Input.  Binary messages are handed to on_message piece by piece as they arrive (no
 * reassembly, so a frame of any size costs one read buffer); text messages are collected
 * (at most WS_MAX_TEXT bytes, else close 1009) and handed over whole.  Pings are answered
 * with pongs, pongs are ignored.  A consumer that cannot take more input right now calls
 * ws_conn_pause(): the connection stops reading the socket (so the peer is held back by
 * the kernel's socket buffers, never by memory here) until ws_conn_pause(c, false).
 *
 * Output.  ws_conn_send() sends one message as one frame; what the socket does not take at
 * once is queued.  ws_conn_pending() tells how much is queued, on_drain says when the queue
 * has emptied (flow control for producers, and "the frame is out").  A peer that lets more
 * than WS_CONN_MAX_BACKLOG bytes pile up is dropped.
 *
 * Closing.  The owner's reference ends either when on_close is called (the peer closed, hung
 * up, broke the protocol, or a write failed) or when the owner calls ws_conn_shutdown() or
 * ws_conn_abort(); after that no callback is made and the connection frees itself once its
 * socket is closed.  on_close's code is the peer's close code (1005 when it gave none),
 * 1006 when the connection ended without a close frame, or the code we closed with after a
 * protocol error (1002, 1009).  Callbacks are only ever made from the connection's own loop
 * callbacks, never from inside a ws_conn_* call. */
#ifndef CAIRN_WS_CONN_H
#define CAIRN_WS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/websocket.h"
#include "lib/loop.h"

#define WS_CONN_READ_CHUNK (64u * 1024)
#define WS_CONN_MAX_BACKLOG (16u * 1024 * 1024)  /* queued output before the peer is dropped */
#define WS_CONN_LINGER_MS 5000                   /* wait for the peer's close after ours */

struct ws_conn;

/* A set of connections that must all go when their owner goes, including those still
 * closing after their owner let go of them (a daemon that exits).  Zero-initialise. */
struct ws_conn_group {
	struct ws_conn *head;
};

struct ws_conn_cbs {
	/* A piece of a message: op is WS_OP_TEXT (always whole: first and last) or
	 * WS_OP_BINARY.  p is valid during the call only. */
	void (*on_message)(struct ws_conn *c, void *data, enum ws_opcode op, const uint8_t *p, size_t n,
			   bool first, bool last);
	/* The connection ended (see above); the owner must drop its reference. */
	void (*on_close)(struct ws_conn *c, void *data, uint16_t code);
	/* The output queue has emptied.  May be NULL. */
	void (*on_drain)(struct ws_conn *c, void *data);
	void *data;
};

/* Wraps fd (a connected, non-blocking socket; ownership passes to the connection).
 * initial_out (may be NULL) is sent before anything else (the server's 101 answer);
 * leftover (may be NULL) holds bytes already read past the handshake and is parsed at the
 * next loop iteration.  Returns 0 with *ret, or a negative errno (fd is then closed). */
int ws_conn_new(struct loop *l, int fd, enum ws_role role, const struct ws_conn_cbs *cbs,
		const void *initial_out, size_t n_out, const void *leftover, size_t n_left,
		struct ws_conn **ret);

/* Sends one message (op TEXT, BINARY, or a control opcode with n <= 125) as one frame.
 * Returns 0, or -EPIPE when the connection is closing or broken (on_close follows). */
int ws_conn_send(struct ws_conn *c, enum ws_opcode op, const void *p, size_t n);

/* Bytes queued but not yet written to the socket. */
size_t ws_conn_pending(const struct ws_conn *c);

/* Stops (true) or resumes (false) reading and parsing input. */
void ws_conn_pause(struct ws_conn *c, bool paused);

/* Sends a close frame with code (and reason, may be NULL), then waits for the peer's close
 * (at most WS_CONN_LINGER_MS) before closing the socket.  Queued output is sent first.  The
 * owner's reference ends here. */
void ws_conn_shutdown(struct ws_conn *c, uint16_t code, const char *reason);

/* Closes the socket at once, without a close frame.  The owner's reference ends here. */
void ws_conn_abort(struct ws_conn *c);

/* Puts c into g (a connection is in at most one group; it leaves when freed). */
void ws_conn_set_group(struct ws_conn *c, struct ws_conn_group *g);
/* Closes and frees every connection in g at once; none may be owned any more. */
void ws_conn_group_abort(struct ws_conn_group *g);

#endif
