/* toolsrv.c - hook-tool request server; see toolsrv.h. */
#include "toolsrv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools.h"
#include "lib/buf.h"
#include "lib/msgsrv.h"
#include "lib/procinfo.h"

struct toolsrv {
	struct msgsrv *srv;
	toolsrv_lookup_fn lookup;
	void *data;
};

static json_t *reply_json(int code, const char *out, const char *err)
{
	json_t *r = json_pack("{s:i, s:s, s:s}", "code", code, "stdout", out, "stderr", err);

	if (!r) /* the tool's output is not valid UTF-8 */
		r = json_pack("{s:i, s:s, s:s}", "code", code, "stdout", "", "stderr",
			      "ERROR tool output is not valid UTF-8\n");
	return r;
}

/* Answers the request; closes the connection once flushed unless keep (the client asked
 * for it, and the answer came before on_request returned: the connection then reads the
 * next request, and the reply says so). */
static void reply_keep(struct msgsrv_conn *c, int code, const char *out, const char *err, bool keep)
{
	json_t *r = reply_json(code, out, err);

	if (keep)
		json_object_set_new(r, "keep-alive", json_true());
	msgsrv_send(c, r);
	json_decref(r);
	if (!keep)
		msgsrv_finish(c);
}

static void reply(struct msgsrv_conn *c, int code, const char *out, const char *err)
{
	reply_keep(c, code, out, err, false);
}

static json_t *on_malformed(const char *msg, void *data)
{
	(void)msg;
	(void)data;
	return reply_json(1, "", "ERROR bad request: malformed frame\n");
}

static json_t *on_busy(const char *msg, void *data)
{
	char err[128];

	(void)data;
	snprintf(err, sizeof(err), "ERROR %s\n", msg);
	return reply_json(1, "", err);
}

/* Whether the client is the hook of ctx or one of its processes (see toolsrv.h). */
static bool peer_is_hook(struct msgsrv_conn *c, const struct hook_ctx *ctx)
{
	pid_t pid;

	if (ctx->pid <= 0)
		return true;
	return msgsrv_peer(c, &pid, NULL) && procinfo_in_tree(pid, ctx->pid);
}

/* One hook-tool request: it may finish after on_request returned (tools_start). */
struct treq {
	struct msgsrv_conn *conn; /* NULL once the client went away */
	struct buf out, err;
	bool async;               /* on_request has returned: treq_done frees q */
	bool done;                /* treq_done ran during tools_start */
	bool keep;                /* the client asked to keep the connection */
};

static void treq_done(void *data, int code)
{
	struct treq *q = data;

	/* An answer that took the controller's time ends the connection (it was held). */
	if (q->conn)
		reply_keep(q->conn, code, q->out.data, q->err.data, q->keep && !q->async);
	buf_done(&q->out);
	buf_done(&q->err);
	if (q->async)
		free(q);
	else
		q->done = true;
}

static void treq_gone(struct msgsrv_conn *c, void *data)
{
	struct treq *q = data;

	(void)c;
	q->conn = NULL; /* the tool still finishes and frees q */
}

static void on_request(struct msgsrv_conn *c, json_t *req, void *data)
{
	struct toolsrv *s = data;
	const char *ctxid = NULL, *tool = NULL, *in = NULL;
	json_t *args = NULL;
	int keep = 0;
	struct hook_ctx *ctx;
	char **argv = NULL;
	size_t argc, i;
	struct treq *q;
	json_t *v;

	if (json_unpack(req, "{s:s, s:s, s:o, s?s, s?b}", "context-id", &ctxid, "tool", &tool, "args",
			&args, "stdin", &in, "keep-alive", &keep) < 0 ||
	    !json_is_array(args) || json_array_size(args) > TOOLSRV_MAX_ARGS) {
		reply(c, 1, "", "ERROR bad request: malformed hook tool request\n");
		return;
	}
	ctx = s->lookup(s->data, ctxid);
	if (!ctx || !peer_is_hook(c, ctx)) {
		reply(c, 1, "", "ERROR bad request: unknown context id\n");
		return;
	}
	argc = json_array_size(args);
	argv = xcalloc(argc + 1, sizeof(char *));
	json_array_foreach(args, i, v) {
		if (!json_is_string(v)) {
			free(argv);
			reply(c, 1, "", "ERROR bad request: arguments must be strings\n");
			return;
		}
		argv[i] = (char *)json_string_value(v);
	}
	q = xcalloc(1, sizeof(*q));
	q->conn = c;
	q->keep = keep;
	buf_init(&q->out);
	buf_init(&q->err);
	tools_start(ctx, tool, json_string_value(json_object_get(req, "cwd")), (int)argc, argv, in,
		    &q->out, &q->err, treq_done, q);
	free(argv);
	if (q->done) {
		free(q);
		return;
	}
	/* The tool waits for the controller: keep the connection until it answers. */
	q->async = true;
	msgsrv_hold(c);
	msgsrv_on_close(c, treq_gone, q);
}

int toolsrv_new(struct loop *l, const char *path, toolsrv_lookup_fn lookup, void *data,
		struct toolsrv **ret, struct errbuf *eb)
{
	struct toolsrv *s = xcalloc(1, sizeof(*s));
	struct msgsrv_cbs cbs = { .request = on_request, .malformed = on_malformed, .busy = on_busy, .data = s };
	int r;

	s->lookup = lookup;
	s->data = data;
	r = msgsrv_new(l, path, 0600, TOOLSRV_MAX_CONNS, &cbs, &s->srv, eb);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void toolsrv_free(struct toolsrv *s)
{
	if (!s)
		return;
	msgsrv_free(s->srv);
	free(s);
}
