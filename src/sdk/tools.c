/* tools.c - running hook tools over a transport, and the auto transport; see tools.h. */
#include "sdk/tools.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"

void tools_result_init(struct tools_result *r)
{
	r->code = 0;
	buf_init(&r->out);
	buf_init(&r->err);
}

void tools_result_done(struct tools_result *r)
{
	buf_done(&r->out);
	buf_done(&r->err);
}

void tools_free(struct tools *t)
{
	if (t)
		t->ops->free(t);
}

/* The tool's message: stderr without "ERROR " and trailing newlines. */
static int model_error(struct cairn_error *err, const char *tool, const struct tools_result *res)
{
	const char *s = buf_str(&res->err);
	size_t n;

	if (!strncmp(s, "ERROR ", 6))
		s += 6;
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (!n)
		return sdk_err_code(err, CAIRN_ERR_MODEL, res->code, NULL, "%s failed with exit status %d",
				    tool, res->code);
	return sdk_err_code(err, CAIRN_ERR_MODEL, res->code, NULL, "%.*s", (int)n, s);
}

int tools_runv(struct tools *t, struct buf *out, const char *in, size_t in_len, struct cairn_error *err,
	       const char *tool, const char *const *argv, size_t argc)
{
	struct tools_result res;
	struct cairn_error le;
	int r;

	tools_result_init(&res);
	sdk_err_clear(&le);
	r = t->ops->call(t, tool, argv, argc, in, in_len, &res, &le);
	if (r < 0) {
		/* Transports may return their own codes (TOOLS_ENOPROTO): report the kind's. */
		if (le.kind == CAIRN_ERR_NONE)
			sdk_err(&le, CAIRN_ERR_CONNECTION, "cannot run %s: %s", tool, strerror(-r));
		r = sdk_err_copy(err, &le);
		goto out;
	}
	if (res.code != 0) {
		r = model_error(err, tool, &res);
		goto out;
	}
	if (out)
		buf_add(out, res.out.data, res.out.len);
out:
	tools_result_done(&res);
	return r;
}

int tools_run(struct tools *t, struct buf *out, const char *in, struct cairn_error *err, const char *tool, ...)
{
	const char *argv[32];
	size_t argc = 0;
	const char *a;
	va_list ap;

	va_start(ap, tool);
	while ((a = va_arg(ap, const char *)) && argc < sizeof(argv) / sizeof(argv[0]))
		argv[argc++] = a;
	va_end(ap);
	return tools_runv(t, out, in, in ? strlen(in) : 0, err, tool, argv, argc);
}

/* ---- the auto transport ---- */

enum auto_state {
	AUTO_PROBING, /* no socket call has been answered yet */
	AUTO_SOCKET,  /* the agent answered: keep using the socket */
	AUTO_EXEC,    /* no agent protocol: use the hook tools on PATH */
};

struct tools_auto {
	struct tools base;
	struct tools *socket;
	struct tools *exec;
	enum auto_state state;
};

static int auto_call(struct tools *t, const char *tool, const char *const *argv, size_t argc, const char *in,
		     size_t in_len, struct tools_result *res, struct cairn_error *err)
{
	struct tools_auto *a = (struct tools_auto *)t;
	int r;

	if (a->state != AUTO_EXEC) {
		r = a->socket->ops->call(a->socket, tool, argv, argc, in, in_len, res, err);
		if (r == 0) {
			a->state = AUTO_SOCKET;
			return 0;
		}
		if (r != TOOLS_ENOPROTO || a->state == AUTO_SOCKET)
			return r;
		a->state = AUTO_EXEC;
		tools_result_done(res);
		tools_result_init(res);
	}
	return a->exec->ops->call(a->exec, tool, argv, argc, in, in_len, res, err);
}

static void auto_free(struct tools *t)
{
	struct tools_auto *a = (struct tools_auto *)t;

	tools_free(a->socket);
	tools_free(a->exec);
	free(a);
}

static const struct tools_ops auto_ops = { auto_call, auto_free };

struct tools *tools_auto_new(struct tools *socket, struct tools *exec)
{
	struct tools_auto *a = xcalloc(1, sizeof(*a));

	a->base.ops = &auto_ops;
	a->socket = socket;
	a->exec = exec;
	a->state = socket ? AUTO_PROBING : AUTO_EXEC;
	return &a->base;
}
