/* msg.h - framed JSON messages over a stream socket.
 *
 * Every message between the cairn CLI and cairnd, and between a hook tool and its unit agent,
 * is one frame: a 4-byte big-endian length followed by that many bytes of UTF-8 JSON (one
 * object).  The length is checked against MSG_MAX before anything is allocated.
 *
 * Two sides: blocking helpers for short-lived clients (msg_send/msg_recv), and an incremental
 * decoder for non-blocking servers (msg_reader). */
#ifndef CAIRN_MSG_H
#define CAIRN_MSG_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "errbuf.h"

#define MSG_MAX (16u * 1024u * 1024u) /* largest accepted frame body */

/* Appends the frame for obj to out. */
void msg_encode(struct buf *out, json_t *obj);
/* Appends a frame whose body is the JSON text json (n bytes, one object, already encoded by
 * the caller: big documents written without a tree, lib/jsonw.h). */
void msg_encode_text(struct buf *out, const char *json, size_t n);

/* Blocking send/receive on fd.  msg_recv returns 0 and a new reference in *ret, -EPIPE on a
 * clean EOF before any byte, or another negative errno (-EPROTO with eb filled for a frame
 * that is too large or not a JSON object). */
int msg_send(int fd, json_t *obj);
int msg_recv(int fd, json_t **ret, struct errbuf *eb);
/* Like msg_recv, but hands back the frame's body undecoded (replacing body's content), for
 * a client that may pass a big document through without parsing it. */
int msg_recv_text(int fd, struct buf *body, struct errbuf *eb);

/* Incremental decoding: feed bytes with buf_add(&r->in, ...), then call msg_reader_next()
 * until it returns 0.  Returns 1 with a new reference in *ret, 0 when more bytes are
 * needed, -EPROTO (eb filled) on a malformed frame; the connection should then be closed. */
struct msg_reader {
	struct buf in;
};
void msg_reader_init(struct msg_reader *r);
void msg_reader_done(struct msg_reader *r);
int msg_reader_next(struct msg_reader *r, json_t **ret, struct errbuf *eb);

/* Connects to a UNIX stream socket (blocking, CLOEXEC).  Returns the fd or a negative errno. */
int msg_connect_unix(const char *path);
/* Creates a listening non-blocking UNIX socket at path, replacing a stale socket file;
 * returns -EADDRINUSE when something already answers there. */
int msg_listen_unix(const char *path, int mode, struct errbuf *eb);

#endif
