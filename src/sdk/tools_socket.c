/* tools_socket.c - hook tools through the agent's socket (docs/protocol.md §2); see tools.h.
 *
 * One call is one request: {"context-id", "tool", "args", "cwd", "stdin"?} out, then
 * {"code", "stdout", "stderr"} back, exactly what the hook-tool binary would send and print,
 * so the agent cannot tell the two apart - except that we ask to keep the connection
 * ("keep-alive": true): an agent that agrees says so in its reply ("keep-alive": true) and
 * reads our next request from the same connection, so a dispatch connects once rather than
 * once per call.  A connection is reused only after such a reply; an agent that does not know
 * the field answers and closes, as for the hook-tool binary, and we connect again each time.
 * A kept connection the agent has closed meanwhile fails our write (nothing of the request
 * was read): we connect again and send it once more; a reply that never comes on a kept
 * connection is an error like any other (the request may have run).  Send and receive
 * deadlines are set before connect(), so a full backlog or a silent peer cannot hang the
 * charm.
 *
 * Whether the agent speaks this protocol at all is learnt from the first call: nothing
 * listening, a connection closed without a reply, or a reply that is not a cairn frame with
 * an integer "code" returns TOOLS_ENOPROTO, on which the auto transport falls back to the
 * hook tools on PATH.  (A Juju agent serves net/rpc on its socket: our frame is garbage to
 * it and it closes the connection without writing anything.) */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "lib/msg.h"
#include "sdk/error.h"
#include "sdk/tools.h"

struct tools_socket {
	struct tools base;
	char *address;
	char *context_id;
	char *cwd;
	int fd; /* the connection the agent keeps for us, or -1 */
};

/* Fills a for a path or, with a leading '@', an abstract socket name; returns the address
 * length or -ENAMETOOLONG. */
static int fill_addr(struct sockaddr_un *a, const char *address)
{
	size_t n = strlen(address);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (n >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, address, n);
	if (address[0] == '@') {
		a->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (int)sizeof(*a);
}

static int connect_agent(const char *address, struct cairn_error *err)
{
	struct timeval tv = { .tv_sec = TOOLS_TIMEOUT_MS / 1000, .tv_usec = (TOOLS_TIMEOUT_MS % 1000) * 1000 };
	struct sockaddr_un a;
	int fd, len, e;

	len = fill_addr(&a, address);
	if (len < 0) {
		sdk_err(err, CAIRN_ERR_CONNECTION, "cannot connect to the unit agent at %s: address too long", address);
		return TOOLS_ENOPROTO;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sdk_err(err, CAIRN_ERR_CONNECTION, "cannot create a socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, (socklen_t)len) < 0) {
		e = errno;
		close(fd);
		if (e == EAGAIN || e == EINPROGRESS)
			return sdk_err(err, CAIRN_ERR_TIMEOUT, "cannot connect to the unit agent at %s: timed out",
				       address);
		sdk_err(err, CAIRN_ERR_CONNECTION, "cannot connect to the unit agent at %s: %s", address,
			strerror(e));
		return TOOLS_ENOPROTO;
	}
	return fd;
}

static json_t *request_json(const struct tools_socket *s, const char *tool, const char *const *argv, size_t argc,
			    const char *in, size_t in_len)
{
	json_t *req = json_object(), *args = json_array(), *v;

	for (size_t i = 0; i < argc; i++) {
		v = json_string(argv[i]);
		if (!v)
			goto bad;
		json_array_append_new(args, v);
	}
	json_object_set_new(req, "context-id", json_string(s->context_id));
	json_object_set_new(req, "tool", json_string(tool));
	json_object_set_new(req, "args", args);
	args = NULL;
	json_object_set_new(req, "cwd", json_string(s->cwd));
	json_object_set_new(req, "keep-alive", json_true());
	if (in) {
		v = json_stringn(in, in_len);
		if (!v)
			goto bad;
		json_object_set_new(req, "stdin", v);
	}
	return req;
bad:
	json_decref(args);
	json_decref(req);
	return NULL;
}

static int socket_call(struct tools *t, const char *tool, const char *const *argv, size_t argc, const char *in,
		       size_t in_len, struct tools_result *res, struct cairn_error *err)
{
	struct tools_socket *s = (struct tools_socket *)t;
	struct errbuf eb;
	json_t *req = NULL, *rep = NULL, *code;
	int fd = -1, r;

	if (argc > TOOLS_MAX_ARGS)
		return sdk_err(err, CAIRN_ERR_INVALID, "%s: too many arguments", tool);
	req = request_json(s, tool, argv, argc, in, in_len);
	if (!req)
		return sdk_err(err, CAIRN_ERR_INVALID, "%s: arguments and stdin must be valid UTF-8", tool);
	/* A kept connection first; one the agent closed meanwhile has read nothing of ours. */
	fd = s->fd;
	s->fd = -1;
	if (fd >= 0) {
		r = msg_send(fd, req);
		if (r == -EPIPE || r == -ECONNRESET) {
			close(fd);
			fd = -1;
		} else if (r < 0) {
			sdk_err(err, CAIRN_ERR_CONNECTION, "cannot send to the unit agent at %s: %s", s->address,
				strerror(-r));
			r = sdk_errno(CAIRN_ERR_CONNECTION);
			goto out;
		}
	}
	if (fd < 0) {
		fd = connect_agent(s->address, err);
		if (fd < 0) {
			r = fd;
			goto out;
		}
		/* cairn_main ignores SIGPIPE: a peer that hung up is -EPIPE here, not a signal. */
		r = msg_send(fd, req);
		if (r < 0) {
			/* A peer that hung up on us before reading the whole request does not
			 * speak the protocol. */
			sdk_err(err, CAIRN_ERR_CONNECTION, "cannot send to the unit agent at %s: %s", s->address,
				strerror(-r));
			r = r == -EPIPE || r == -ECONNRESET ? TOOLS_ENOPROTO : sdk_errno(CAIRN_ERR_CONNECTION);
			goto out;
		}
	}
	errbuf_clear(&eb);
	r = msg_recv(fd, &rep, &eb);
	if (r == -EAGAIN || r == -EWOULDBLOCK) {
		r = sdk_err(err, CAIRN_ERR_TIMEOUT, "timed out after %d ms waiting for the unit agent",
			    TOOLS_TIMEOUT_MS);
		goto out;
	}
	if (r < 0) {
		sdk_err(err, r == -EPROTO ? CAIRN_ERR_PROTOCOL : CAIRN_ERR_CONNECTION,
			"no reply from the unit agent at %s: %s", s->address, eb.msg);
		r = r == -EPROTO || r == -EPIPE || r == -ECONNRESET ? TOOLS_ENOPROTO
								    : sdk_errno(CAIRN_ERR_CONNECTION);
		goto out;
	}
	code = json_object_get(rep, "code");
	if (!json_is_integer(code)) {
		sdk_err(err, CAIRN_ERR_PROTOCOL, "malformed reply from the unit agent: no exit code");
		r = TOOLS_ENOPROTO;
		goto out;
	}
	res->code = (int)(json_integer_value(code) & 0xff);
	if (json_is_string(json_object_get(rep, "stdout")))
		buf_add(&res->out, json_string_value(json_object_get(rep, "stdout")),
			json_string_length(json_object_get(rep, "stdout")));
	if (json_is_string(json_object_get(rep, "stderr")))
		buf_add(&res->err, json_string_value(json_object_get(rep, "stderr")),
			json_string_length(json_object_get(rep, "stderr")));
	if (json_is_true(json_object_get(rep, "keep-alive"))) {
		s->fd = fd;
		fd = -1;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	json_decref(req);
	json_decref(rep);
	return r;
}

static void socket_free(struct tools *t)
{
	struct tools_socket *s = (struct tools_socket *)t;

	if (s->fd >= 0)
		close(s->fd);
	free(s->address);
	free(s->context_id);
	free(s->cwd);
	free(s);
}

static const struct tools_ops socket_ops = { socket_call, socket_free };

struct tools *tools_socket_new(const char *address, const char *context_id, const char *cwd)
{
	struct tools_socket *s = xcalloc(1, sizeof(*s));

	s->base.ops = &socket_ops;
	s->address = xstrdup(address ? address : "");
	s->context_id = xstrdup(context_id ? context_id : "");
	s->cwd = xstrdup(cwd ? cwd : "");
	s->fd = -1;
	return &s->base;
}
