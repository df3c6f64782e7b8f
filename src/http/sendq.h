/* sendq.h - the output queue of a non-blocking socket, shared by the HTTP server's
 * connections and the websockets: one sendmsg(2) of what is queued followed by new bytes,
 * and whatever the socket does not take is kept, in order, for the next EPOLLOUT. */
#ifndef CAIRN_SENDQ_H
#define CAIRN_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "lib/buf.h"

/* Writes out[*off..len) and then extra[0..n_extra) (at most 3 pieces; empty ones are
 * skipped) to fd, appending to out whatever was not written (extra is copied only then).
 * With attempt false nothing is written, only queued: the socket is known to be full and
 * EPOLLOUT will tell.  What was sent is dropped from the front of out as it goes, so a
 * queue that never quite empties stays bounded.  When the queue empties, a buffer that grew beyond keep_cap is
 * released.  Returns 0, or a negative errno when the write failed (the peer is gone; the
 * queue is then left as it was). */
int sendq_write(int fd, struct buf *out, size_t *off, const struct iovec *extra, size_t n_extra, bool attempt,
		size_t keep_cap);

#endif
