/* proto_conn.h - one controller <-> agent connection on the loop: frames of agent_proto.h over
 * a stream socket, in the clear (the owner-only UNIX socket of the controller's own machine)
 * or over TLS (remote machines).
 *
 * Input is decoded and validated frame by frame (agent_proto.h) and handed to the message
 * callback; a malformed frame ends the connection with the decoder's message.  Output is
 * queued and written as the socket allows, up to PROTO_CONN_MAX_OUT bytes: a peer that stops
 * reading beyond that is disconnected (it resynchronises when it reconnects) instead of
 * growing this process without bound.  TLS handshakes, reads and writes never block.
 *
 * Handles: the closed callback runs once when the connection ends by itself (EOF, error,
 * malformed input, output over the limit); the handle is then freed right after the callback
 * returns.  An owner ends a connection with proto_conn_free() (no callback), which is safe from
 * inside any callback. */
#ifndef CAIRN_PROTO_CONN_H
#define CAIRN_PROTO_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/errbuf.h"
#include "lib/loop.h"
#include "proto/agent_proto.h"

#define PROTO_CONN_MAX_OUT (64u * 1024u * 1024u)
#define PROTO_CONN_LOW_WATER (256u * 1024u) /* "drained": output written down to this */

struct proto_conn;

struct proto_conn_cbs {
	/* A TLS handshake finished (or, in the clear, at once); may be NULL. */
	void (*ready)(struct proto_conn *c, void *data);
	/* One valid message, borrowed for the call. */
	void (*message)(struct proto_conn *c, struct proto_msg *m, void *data);
	/* The connection ended; why is e.g. "connection closed by peer". */
	void (*closed)(struct proto_conn *c, const char *why, void *data);
	void *data;
	/* After proto_conn_want_drained(): the queued output is down to PROTO_CONN_LOW_WATER
	 * bytes (a sender holding back may go on).  Runs from the loop, once per request; may
	 * be NULL. */
	void (*drained)(struct proto_conn *c, void *data);
};

struct proto_conn_opts {
	enum proto_dir in;        /* the direction of the messages this side receives */
	SSL_CTX *tls;             /* NULL = in the clear */
	bool tls_server;          /* accept (controller) or connect (agent) */
	bool connecting;          /* fd is a non-blocking connect() in progress */
};

/* Takes ownership of fd (non-blocking).  Returns 0 or a negative errno with eb set (fd is
 * closed then). */
int proto_conn_new(struct loop *l, int fd, const struct proto_conn_opts *o,
		   const struct proto_conn_cbs *cbs, struct proto_conn **ret, struct errbuf *eb);
/* Closes and frees c without calling back.  NULL is fine. */
void proto_conn_free(struct proto_conn *c);
/* Closes c once everything queued is written (or after a short grace period); the closed
 * callback is not called. */
void proto_conn_finish(struct proto_conn *c);

/* Queues m.  Returns 0; -EMSGSIZE (eb set) when m does not fit in a frame (nothing queued);
 * -ENOBUFS when the output limit is exceeded (c is then closed: the closed callback runs
 * from the loop shortly); -ENOTCONN when c is already closing. */
int proto_conn_send(struct proto_conn *c, const struct proto_msg *m, struct errbuf *eb);
/* Bytes queued and not yet written. */
size_t proto_conn_pending(const struct proto_conn *c);
/* Asks for one drained callback (backpressure: the owner stops queueing until then). */
void proto_conn_want_drained(struct proto_conn *c);
/* Whether the connection is up (handshake done, not closing). */
bool proto_conn_ready(const struct proto_conn *c);
/* The TLS session (NULL in the clear), e.g. for tls_verify_pinned(). */
SSL *proto_conn_ssl(struct proto_conn *c);
/* Writes what is queued with blocking semantics for at most timeout_ms (used on exit). */
void proto_conn_flush_sync(struct proto_conn *c, int timeout_ms);

#endif
