/* msgsrv.h - a server of framed JSON messages (msg.h) on a UNIX socket, driven by the loop.
 *
 * Used by the controller's API (many requests per connection, some answered as streams) and
 * by the agent's hook-tool server (one request per connection unless the client asks to keep it).  Each complete request frame
 * goes to the request callback; the handler answers with msgsrv_send() and either lets the
 * connection read the next request, ends it with msgsrv_finish() (closed once the output is
 * flushed), or keeps it with msgsrv_hold() to answer over time (streams, long waits), in
 * which case a client that goes away is reported through the on_close callback.  Requests on
 * one connection are handled in order; a frame sent before the client half-closed is still
 * answered.  A malformed frame is answered with the reply the malformed callback builds and
 * the connection is finished.  Limits: max_conns connections - a client beyond them is
 * answered its first frame with the busy callback's reply (or, past MSGSRV_MAX_REFUSING
 * such clients, closed at once) and the others are served as before -, MSG_MAX bytes a
 * frame, and MSGSRV_MAX_OUT bytes of output queued for one client: a client
 * that stops reading (a debug-log follower gone to sleep) cannot grow the daemon without
 * bound - msgsrv_send refuses further frames and the caller ends the connection with
 * msgsrv_abort(). */
#ifndef CAIRN_MSGSRV_H
#define CAIRN_MSGSRV_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define MSGSRV_MAX_OUT (16u * 1024u * 1024u) /* output queued for one client */
#define MSGSRV_ABORT_MS 5000                 /* an aborted client's last chance to read */
#define MSGSRV_MAX_REFUSING 64               /* clients over max_conns waiting for their answer */
#define MSGSRV_REFUSE_MS 2000                /* how long such a client may take to send its frame */

struct msgsrv;
struct msgsrv_conn;

struct msgsrv_cbs {
	/* One request (borrowed; valid during the call). */
	void (*request)(struct msgsrv_conn *c, json_t *req, void *data);
	/* The reply (a new reference) to a malformed frame described by msg. */
	json_t *(*malformed)(const char *msg, void *data);
	/* The reply (a new reference) to a client refused for the connection limit, msg saying
	 * so ("too many connections (limit N)"); NULL: malformed builds it. */
	json_t *(*busy)(const char *msg, void *data);
	void *data;
};

/* Listens at path (a stale socket file is replaced; a live one is -EADDRINUSE). */
int msgsrv_new(struct loop *l, const char *path, int mode, unsigned max_conns,
	       const struct msgsrv_cbs *cbs, struct msgsrv **ret, struct errbuf *eb);
/* Flushes what it can, closes every connection (running their on_close callbacks),
 * removes the socket file and frees s. */
void msgsrv_free(struct msgsrv *s);

/* Queues one frame (msg is borrowed).  Returns 0, -EPIPE when c is closed, or -ENOBUFS
 * when MSGSRV_MAX_OUT bytes are already queued (the frame is dropped; a frame is always
 * accepted into an empty queue). */
int msgsrv_send(struct msgsrv_conn *c, json_t *msg);
/* msgsrv_send of a frame the caller encoded: json (n bytes) is the text of one JSON object. */
int msgsrv_send_text(struct msgsrv_conn *c, const char *json, size_t n);
/* Ends c after a slow reader: drops every queued frame the client has not started to
 * receive (the rest of a frame already partly written still goes out, so the stream stays
 * well-framed), queues msg (borrowed) after it, stops reading and closes c once that is
 * flushed, or after MSGSRV_ABORT_MS if the client still does not read.  The client thus
 * gets the message as soon as it reads again, not after megabytes of stale frames.
 * on_close is not called. */
void msgsrv_abort(struct msgsrv_conn *c, json_t *msg);
/* Bytes queued for c and not yet written. */
size_t msgsrv_pending(const struct msgsrv_conn *c);
/* Closes c once its output is flushed; on_close is not called. */
void msgsrv_finish(struct msgsrv_conn *c);
/* The current request keeps c: no further request is read from it. */
void msgsrv_hold(struct msgsrv_conn *c);
/* The client's process and user (SO_PEERCRED, read when it connected).  Returns false when
 * the kernel did not tell. */
bool msgsrv_peer(const struct msgsrv_conn *c, pid_t *ret_pid, uid_t *ret_uid);
/* cb runs if c closes before msgsrv_finish (the client went away); NULL clears it. */
void msgsrv_on_close(struct msgsrv_conn *c, void (*cb)(struct msgsrv_conn *, void *), void *data);

#endif
