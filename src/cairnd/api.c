/* api.c - the controller's API socket: framed JSON requests from the CLI (docs/protocol.md
 * §1) on a msgsrv, dispatched to the operations of ctl_ops.c.  A request is answered before
 * the next one on the same connection is read; streams (debug-log, wait-for) hold their
 * connection until they finish or the client leaves. */
#include "controller.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"

struct api {
	struct controller *c;
	struct msgsrv *srv;
};

static json_t *error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *on_malformed(const char *msg, void *data)
{
	(void)data;
	return error_reply(msg);
}

static void on_request(struct msgsrv_conn *conn, json_t *req, void *data)
{
	struct api *a = data;
	const char *op = json_string_value(json_object_get(req, "op"));
	ctl_op_fn fn = ctl_find_op(op);
	struct errbuf eb;
	json_t *result = NULL, *resp;
	int r;

	if (!fn) {
		char msg[256];

		snprintf(msg, sizeof(msg), "unknown operation \"%s\"", op ? op : "");
		resp = error_reply(msg);
		msgsrv_send(conn, resp);
		json_decref(resp);
		return;
	}
	/* What the agents reported in this iteration commits first: an operation sees, and
	 * answers with, committed state only. */
	model_batch_commit(a->c->m, &eb);
	errbuf_clear(&eb);
	r = fn(a->c, conn, req, &result, &eb);
	if (r != 0 && result) {
		/* Only a plain answer carries a result: one an operation made before it failed or
		 * took over the connection is dropped here, for every operation. */
		json_decref(result);
		result = NULL;
	}
	if (r == 1) {
		/* The operation answers over time (or has already finished the connection). */
		msgsrv_hold(conn);
		return;
	}
	if (r == 2)
		return; /* answered by the operation itself */
	if (r < 0)
		resp = error_reply(eb.msg[0] ? eb.msg : strerror(-r));
	else
		resp = json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_object());
	msgsrv_send(conn, resp);
	json_decref(resp);
}

int api_new(struct controller *c, const char *path, struct api **ret, struct errbuf *eb)
{
	struct api *a = xcalloc(1, sizeof(*a));
	struct msgsrv_cbs cbs = { .request = on_request, .malformed = on_malformed, .data = a };
	int r;

	a->c = c;
	r = msgsrv_new(c->l, path, 0600, CTL_API_MAX_CONNS, &cbs, &a->srv, eb);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret = a;
	return 0;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	msgsrv_free(a->srv);
	free(a);
}
