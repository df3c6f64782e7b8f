/* msg.c - length-framed JSON messages; see msg.h. */
#include "msg.h"

#include "fdio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void msg_encode_text(struct buf *out, const char *json, size_t n)
{
	unsigned char hdr[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8), (unsigned char)n };

	buf_add(out, hdr, 4);
	buf_add(out, json, n);
}

void msg_encode(struct buf *out, json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);

	msg_encode_text(out, s ? s : "", s ? strlen(s) : 0);
	free(s);
}

static int read_all(int fd, void *p, size_t n, bool *eof_at_start)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			if (eof_at_start)
				*eof_at_start = got == 0;
			return -EPIPE;
		}
		got += (size_t)r;
	}
	return 0;
}

int msg_send(int fd, json_t *obj)
{
	struct buf b = BUF_INIT;
	int r;

	buf_init(&b);
	msg_encode(&b, obj);
	r = fd_write_all(fd, b.data, b.len);
	buf_done(&b);
	return r;
}

static int decode_body(const char *p, size_t n, json_t **ret, struct errbuf *eb)
{
	json_error_t je;
	json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);

	if (!v) {
		errbuf_set(eb, "malformed message: %s", je.text);
		return -EPROTO;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		errbuf_set(eb, "malformed message: not a JSON object");
		return -EPROTO;
	}
	*ret = v;
	return 0;
}

int msg_recv(int fd, json_t **ret, struct errbuf *eb)
{
	struct buf body = BUF_INIT;
	int r;

	buf_init(&body);
	r = msg_recv_text(fd, &body, eb);
	if (r == 0)
		r = decode_body(buf_str(&body), body.len, ret, eb);
	buf_done(&body);
	return r;
}

int msg_recv_text(int fd, struct buf *out, struct errbuf *eb)
{
	unsigned char hdr[4];
	bool eof = false;
	uint32_t n;
	char *body;
	int r;

	r = read_all(fd, hdr, 4, &eof);
	if (r < 0) {
		if (r == -EPIPE && !eof)
			errbuf_set(eb, "connection closed in the middle of a message");
		else if (r != -EPIPE)
			errbuf_set(eb, "cannot read message: %s", strerror(-r));
		else
			errbuf_set(eb, "connection closed");
		return r;
	}
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > MSG_MAX) {
		errbuf_set(eb, "message of %u bytes exceeds the limit of %u", n, MSG_MAX);
		return -EPROTO;
	}
	buf_reset(out);
	buf_grow(out, (size_t)n + 1);
	body = out->data;
	r = read_all(fd, body, n, NULL);
	if (r < 0) {
		errbuf_set(eb, "connection closed in the middle of a message");
		return r == -EPIPE ? -EPROTO : r;
	}
	out->len = n;
	out->data[n] = '\0';
	return 0;
}

void msg_reader_init(struct msg_reader *r)
{
	buf_init(&r->in);
}

void msg_reader_done(struct msg_reader *r)
{
	buf_done(&r->in);
}

int msg_reader_next(struct msg_reader *r, json_t **ret, struct errbuf *eb)
{
	const unsigned char *h = (const unsigned char *)r->in.data;
	uint32_t n;
	int rv;

	if (r->in.len < 4)
		return 0;
	n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (n > MSG_MAX) {
		errbuf_set(eb, "message of %u bytes exceeds the limit of %u", n, MSG_MAX);
		return -EPROTO;
	}
	if (r->in.len - 4 < n)
		return 0;
	rv = decode_body(r->in.data + 4, n, ret, eb);
	buf_consume(&r->in, 4 + (size_t)n);
	return rv < 0 ? rv : 1;
}

static int fill_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

int msg_connect_unix(const char *path)
{
	struct sockaddr_un a;
	int fd, r;

	r = fill_addr(&a, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int msg_listen_unix(const char *path, int mode, struct errbuf *eb)
{
	struct sockaddr_un a;
	int fd, r;

	r = fill_addr(&a, path);
	if (r < 0) {
		errbuf_set(eb, "socket path %s is too long", path);
		return r;
	}
	r = msg_connect_unix(path);
	if (r >= 0) {
		close(r);
		errbuf_set(eb, "socket \"%s\" already in use", path);
		return -EADDRINUSE;
	}
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	chmod(path, (mode_t)mode);
	if (listen(fd, 512) < 0)
		goto fail;
	return fd;
fail:
	r = -errno;
	errbuf_set(eb, "cannot listen on %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}
