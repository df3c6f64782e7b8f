/* pebble.h - the transport under the SDK's Pebble client.
 *
 * container.c and the pebble_*.c files implement the public cairn_pebble_* calls (request
 * bodies, result parsing, change waits) on top of this small interface, which has two
 * implementations: pebble_http.c talks HTTP to a real Pebble (or scree) on its UNIX socket,
 * and the harness's fake Pebble (harness_pebble.c) answers in-process.  Both speak in
 * Pebble's JSON: a request names the endpoint and carries Pebble's body; a sync answer is
 * the envelope's "result", an async one its "change" id; an error envelope becomes
 * CAIRN_ERR_API with the HTTP status and Pebble's kind.  Files and exec need more than JSON
 * and have their own calls. */
#ifndef CAIRN_SDK_PEBBLE_H
#define CAIRN_SDK_PEBBLE_H

#include <jansson.h>

#include "cairn/charm.h"
#include "lib/buf.h"

#define PEBBLE_DEFAULT_TIMEOUT_MS 30000 /* change waits (ops' default) */
#define PEBBLE_CONNECT_TIMEOUT_MS 5000  /* connect and each read of a plain request */
#define PEBBLE_MAX_RESPONSE (64u * 1024u * 1024u)

struct pebble;

struct pebble_ops {
	/* One JSON request.  query is "k=v&..." (already escaped) or NULL; body is borrowed or
	 * NULL.  timeout_ms bounds the whole exchange (0 = PEBBLE_CONNECT_TIMEOUT_MS).  On
	 * success writes exactly one of *ret_result (new reference; JSON null when the
	 * envelope has no result) and *ret_change (caller frees) - ret_change may be NULL
	 * for endpoints that never answer async.  An async answer also fills *ret_result
	 * (exec's carries the task id). */
	int (*request)(struct pebble *p, const char *method, const char *path, const char *query,
		       json_t *body, int timeout_ms, json_t **ret_result, char **ret_change,
		       struct cairn_error *err);
	/* POST /v1/files write of one file: meta is the file's entry of the request part
	 * ({"path", "make-dirs", "permissions", ...}, borrowed). */
	int (*push)(struct pebble *p, json_t *meta, const void *data, size_t len, struct cairn_error *err);
	/* GET /v1/files?action=read of one path into out. */
	int (*pull)(struct pebble *p, const char *path, struct buf *out, struct cairn_error *err);
	/* The streams of an exec started with POST /v1/exec (task task_id): o's stdin in, the
	 * command's stdout and stderr into ret->out / ret->err (allocated; exit_code is left
	 * alone, the change carries it).  Returns once the output has ended. */
	int (*exec_io)(struct pebble *p, const char *task_id, const struct cairn_exec_opts *o,
		       struct cairn_exec_result *ret, struct cairn_error *err);
	void (*free)(struct pebble *p);
};

struct pebble {
	const struct pebble_ops *ops;
};

/* Makes the client of one container; the framework calls it the first time the charm uses a
 * container.  Returns NULL only if the container cannot have a client at all. */
typedef struct pebble *(*pebble_factory_fn)(void *data, const char *container);

/* The HTTP client for the Pebble socket at path (copied).  It connects on first use. */
struct pebble *pebble_http_new(const char *socket_path);
/* The socket of a container as ops finds it: /charm/containers/<name>/pebble.socket. */
#define PEBBLE_SOCKET_FORMAT "/charm/containers/%s/pebble.socket"

void pebble_free(struct pebble *p);

/* The single per-path result of a files request (write, make-dirs, remove, read:
 * [{"path", "error"?}]): 0, CAIRN_ERR_PATH with Pebble's kind for its error, or
 * CAIRN_ERR_PROTOCOL when it is not one entry. */
int pebble_path_result(json_t *result, const char *path, struct cairn_error *err);

#endif
