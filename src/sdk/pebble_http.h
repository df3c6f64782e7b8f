/* pebble_http.h - the pieces of the HTTP Pebble transport shared by pebble_http*.c. */
#ifndef CAIRN_SDK_PEBBLE_HTTP_H
#define CAIRN_SDK_PEBBLE_HTTP_H

#include <jansson.h>

#include "cairn/charm.h"
#include "http/http_client.h"
#include "sdk/pebble.h"

struct http_client;

/* The HTTP transport's state (pebble_http.c). */
struct pebble_http {
	struct pebble base;
	char *path;             /* the socket */
	struct http_client *hc; /* NULL until first used, or after a failure */
};

/* One HTTP exchange on the container's connection (opened when needed).  On success resp
 * holds the answer (release with http_response_done); failures are CAIRN_ERR_CONNECTION,
 * CAIRN_ERR_TIMEOUT or CAIRN_ERR_PROTOCOL. */
int pebble_http_exchange(struct pebble *pb, const struct http_client_req *rq, int timeout_ms,
			 struct http_response *resp, struct cairn_error *err);
/* Reads Pebble's JSON envelope from resp (see pebble.h for ret_result / ret_change).  what
 * names the request in messages. */
int pebble_envelope(const char *what, const struct http_response *resp, json_t **ret_result, char **ret_change,
		    struct cairn_error *err);

/* The file and exec calls of the transport (pebble_http_files.c, pebble_http_exec.c). */
int pebble_http_push(struct pebble *pb, json_t *meta, const void *data, size_t len, struct cairn_error *err);
int pebble_http_pull(struct pebble *pb, const char *path, struct buf *out, struct cairn_error *err);
int pebble_http_exec_io(struct pebble *pb, const char *task_id, const struct cairn_exec_opts *o,
			struct cairn_exec_result *ret, struct cairn_error *err);

#endif
