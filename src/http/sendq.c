/* sendq.c - a socket's output queue; see sendq.h. */
#include "http/sendq.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Bytes already sent that are worth moving the rest of the queue down for. */
#define SENDQ_COMPACT_MIN 16384u

int sendq_write(int fd, struct buf *out, size_t *off, const struct iovec *extra, size_t n_extra, bool attempt,
		size_t keep_cap)
{
	struct iovec iov[4];
	size_t n = 0, first = 0, total = 0, done = 0;

	if (*off < out->len) {
		iov[n].iov_base = out->data + *off;
		iov[n].iov_len = out->len - *off;
		total += iov[n++].iov_len;
		first = 1;
	}
	for (size_t i = 0; i < n_extra && n < 4; i++) {
		if (!extra[i].iov_len)
			continue;
		iov[n] = extra[i];
		total += iov[n++].iov_len;
	}
	if (!total)
		return 0;
	if (attempt) {
		struct msghdr mh;
		ssize_t w;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = n;
		do
			w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (w > 0)
			done = (size_t)w;
	}
	if (first) {
		size_t k = done < iov[0].iov_len ? done : iov[0].iov_len;

		*off += k;
		done -= k;
	}
	/* Drop what the socket has taken, so that a queue that never drains completely (a
	 * peer reading about as fast as a stream is produced) does not keep growing. */
	if (*off > 0 && *off < out->len && (*off >= SENDQ_COMPACT_MIN || *off * 2 >= out->len)) {
		buf_consume(out, *off);
		*off = 0;
	}
	for (size_t i = first; i < n; i++) {
		if (done >= iov[i].iov_len) {
			done -= iov[i].iov_len;
			continue;
		}
		buf_add(out, (const char *)iov[i].iov_base + done, iov[i].iov_len - done);
		done = 0;
	}
	if (*off == out->len) {
		if (out->cap > keep_cap)
			buf_done(out);
		buf_reset(out);
		*off = 0;
	}
	return 0;
}
