/* main.c - cairn-hook, the multi-call hook-tool client (docs/protocol.md §2).
 *
 * Every hook tool on a hook's PATH (juju-log, config-get, ...) is a link to this binary.  It
 * parses nothing: it picks the tool from the name it was called by (or from its first
 * argument when called as cairn-hook), sends the tool name, arguments, working directory and,
 * when an argument is exactly "-", its stdin to the unit agent named by
 * JUJU_AGENT_SOCKET_ADDRESS, then reproduces the agent's stdout, stderr and exit code.
 *
 * It runs on every tool call, so it stays small: it links only the framing code and
 * jansson.  It never hangs: connecting, sending and waiting for the reply share a deadline,
 * the one the agent gives its hooks (TOOLS_DEADLINE_ENV, tools.h), else a fixed one.
 *
 * Called as `cairn-hook --make-links DIR [TARGET]` it creates DIR/<tool> -> TARGET (default
 * "../cairn-hook") for every tool the agent serves; the build and the agent use this to lay
 * out a tools directory. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/tools.h"
#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/fdio.h"
#include "lib/msg.h"

#define HOOK_SELF "cairn-hook"
#define HOOK_MAX_STDIN (MSG_MAX / 2)             /* room for escaping in the frame */

#define EXIT_FAIL 1
#define EXIT_USAGE 2

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "ERROR <message>" as every hook tool does, and returns exit code 1. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ERROR ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A JSON string for s, with each byte that is not valid UTF-8 replaced by U+FFFD (jansson
 * refuses invalid UTF-8, and the agent's side is JSON). */
static json_t *json_string_clean(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	json_t *v;

	buf_init(&b);
	while (p < end) {
		unsigned c = *p, cp;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
				  : (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n > 0 && (size_t)(end - p) >= n;

		cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
		for (size_t i = 1; ok && i < n; i++) {
			ok = (p[i] & 0xc0) == 0x80;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (ok && n > 1)
			ok = cp >= (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) && cp <= 0x10ffff &&
			     !(cp >= 0xd800 && cp <= 0xdfff);
		if (!ok) {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		buf_add(&b, p, n);
		p += n;
	}
	v = json_stringn(b.data, b.len);
	buf_done(&b);
	return v;
}

static int read_stdin(struct buf *out)
{
	char chunk[65536];

	for (;;) {
		ssize_t r = read(STDIN_FILENO, chunk, sizeof(chunk));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0;
		if (out->len + (size_t)r > HOOK_MAX_STDIN)
			return -EFBIG;
		buf_add(out, chunk, (size_t)r);
	}
}

/* The deadline the agent set for its hook's tools, else the fixed default. */
static long timeout_ms(void)
{
	const char *s = getenv(TOOLS_DEADLINE_ENV);
	char *end;
	long v;

	if (!s || !*s)
		return TOOLS_DEADLINE_DEFAULT_MS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 24L * 3600 * 1000)
		return TOOLS_DEADLINE_DEFAULT_MS;
	return v;
}

/* Connects to the agent's socket with send/receive deadlines set before connect(), so a
 * full backlog cannot block us either.  Returns the fd or a negative errno. */
static int connect_agent(const char *path, long ms)
{
	struct sockaddr_un a;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Lays out DIR/<tool> -> target for every tool, replacing what is there. */
static int make_links(const char *dir, const char *target)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail("cannot create %s: %s", dir, strerror(errno));
	for (int i = 0; tools_names[i]; i++) {
		char *path = xasprintf("%s/%s", dir, tools_names[i]);
		char *tmp = xasprintf("%s.new", path);
		int r = 0;

		unlink(tmp);
		if (symlink(target, tmp) < 0 || rename(tmp, path) < 0)
			r = fail("cannot link %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(path);
		if (r)
			return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *tool = base_name(argc > 0 ? argv[0] : HOOK_SELF);
	const char *ctx_id, *sock, *net;
	char **args = argv + 1;
	int nargs = argc - 1, fd = -1, code = EXIT_FAIL, r;
	bool want_stdin = false;
	struct buf in = BUF_INIT;
	struct errbuf eb;
	json_t *req = NULL, *rep = NULL, *a, *v;
	char *cwd = NULL;
	long ms = timeout_ms();

	signal(SIGPIPE, SIG_IGN);
	buf_init(&in);
	if (!strcmp(tool, HOOK_SELF)) {
		if (nargs >= 2 && !strcmp(args[0], "--make-links"))
			return make_links(args[1], nargs >= 3 ? args[2] : "../" HOOK_SELF);
		if (nargs < 1 || !*args[0] || args[0][0] == '-') {
			fprintf(stderr, "usage: %s TOOL [ARGS...]\n"
					"       %s --make-links DIR [TARGET]\n",
				HOOK_SELF, HOOK_SELF);
			return EXIT_USAGE;
		}
		tool = args[0];
		args++;
		nargs--;
	}

	ctx_id = getenv("JUJU_CONTEXT_ID");
	sock = getenv("JUJU_AGENT_SOCKET_ADDRESS");
	net = getenv("JUJU_AGENT_SOCKET_NETWORK");
	if (!ctx_id || !*ctx_id)
		return fail("JUJU_CONTEXT_ID not set");
	if (!sock || !*sock)
		return fail("JUJU_AGENT_SOCKET_ADDRESS not set");
	if (net && *net && strcmp(net, "unix"))
		return fail("unsupported JUJU_AGENT_SOCKET_NETWORK \"%s\" (only \"unix\")", net);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return fail("cannot determine the working directory: %s", strerror(errno));

	req = json_object();
	a = json_array();
	for (int i = 0; i < nargs; i++) {
		json_array_append_new(a, json_string_clean(args[i], strlen(args[i])));
		if (!strcmp(args[i], "-"))
			want_stdin = true;
	}
	json_object_set_new(req, "context-id", json_string_clean(ctx_id, strlen(ctx_id)));
	json_object_set_new(req, "tool", json_string_clean(tool, strlen(tool)));
	json_object_set_new(req, "args", a);
	json_object_set_new(req, "cwd", json_string_clean(cwd, strlen(cwd)));
	if (want_stdin) {
		r = read_stdin(&in);
		if (r < 0) {
			code = r == -EFBIG ? fail("stdin larger than %u bytes", HOOK_MAX_STDIN)
					   : fail("cannot read stdin: %s", strerror(-r));
			goto out;
		}
		json_object_set_new(req, "stdin", json_string_clean(in.data, in.len));
	}

	fd = connect_agent(sock, ms);
	if (fd < 0) {
		code = fail("cannot connect to the unit agent at %s: %s", sock,
			    fd == -EAGAIN || fd == -EINPROGRESS ? "timed out" : strerror(-fd));
		goto out;
	}
	r = msg_send(fd, req);
	if (r < 0) {
		code = fail("cannot send to the unit agent: %s",
			    r == -EAGAIN ? "timed out" : strerror(-r));
		goto out;
	}
	errbuf_clear(&eb);
	r = msg_recv(fd, &rep, &eb);
	if (r == -EAGAIN || r == -EWOULDBLOCK) {
		code = fail("timed out after %ld ms waiting for the unit agent", ms);
		goto out;
	}
	if (r < 0) {
		code = fail("no reply from the unit agent: %s", eb.msg);
		goto out;
	}
	v = json_object_get(rep, "code");
	if (!json_is_integer(v)) {
		code = fail("malformed reply from the unit agent: no exit code");
		goto out;
	}
	code = (int)(json_integer_value(v) & 0xff);
	v = json_object_get(rep, "stdout");
	if (json_is_string(v) && fd_write_all(STDOUT_FILENO, json_string_value(v),
					   json_string_length(v)) < 0 && !code)
		code = EXIT_FAIL;
	v = json_object_get(rep, "stderr");
	if (json_is_string(v))
		fd_write_all(STDERR_FILENO, json_string_value(v), json_string_length(v));
out:
	if (fd >= 0)
		close(fd);
	json_decref(req);
	json_decref(rep);
	free(cwd);
	buf_done(&in);
	return code;
}
