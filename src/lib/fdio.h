/* fdio.h - blocking descriptor I/O for clients (CLI, hook tools, SDK): whole writes and
 * bounded waits.  Never for a daemon's loop, whose descriptors are non-blocking and driven
 * by loop.h.
 *
 * Every function returns 0 or -errno; EINTR is retried, never returned. */
#ifndef CAIRN_FDIO_H
#define CAIRN_FDIO_H

#include <stddef.h>

/* write(2) until all len bytes of data are out. */
int fd_write_all(int fd, const void *data, size_t len);
/* Waits until fd is ready for events (POLLIN/POLLOUT); timeout_ms <= 0 waits for ever.
 * -ETIMEDOUT when the time ran out. */
int fd_wait(int fd, short events, int timeout_ms);
/* send(2) with MSG_NOSIGNAL until all len bytes are out; on a non-blocking socket, waits up
 * to timeout_ms (<= 0: for ever) each time the socket is full. */
int fd_send_all(int fd, const void *data, size_t len, int timeout_ms);

#endif
