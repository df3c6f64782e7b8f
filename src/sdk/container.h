/* container.h - what the pebble_*.c files share to implement cairn_pebble_* on a container:
 * the container's transport (created on first use), JSON request helpers and parsing of the
 * values Pebble answers with. */
#ifndef CAIRN_SDK_CONTAINER_H
#define CAIRN_SDK_CONTAINER_H

#include <jansson.h>
#include <stdint.h>

#include "cairn/charm.h"
#include "lib/buf.h"
#include "sdk/framework.h"
#include "sdk/pebble.h"

/* The container's transport, or NULL with err filled (CAIRN_ERR_CONNECTION). */
struct pebble *container_pebble(struct cairn_container *c, struct cairn_error *err);

/* A sync request: *ret receives the result (new reference; may be NULL when not wanted). */
int container_get(struct cairn_container *c, const char *path, const char *query, json_t **ret,
		  struct cairn_error *err);
int container_post(struct cairn_container *c, const char *path, json_t *body, json_t **ret,
		   struct cairn_error *err);
/* A sync GET whose result is a list (null reads as []); another shape is CAIRN_ERR_PROTOCOL
 * naming what. */
int container_get_list(struct cairn_container *c, const char *path, const char *query, const char *what,
		       json_t **ret, struct cairn_error *err);
/* An async request: the change id (caller frees) and the envelope's result (may be NULL). */
int container_post_async(struct cairn_container *c, const char *path, json_t *body, json_t **ret_result,
			 char **ret_change, struct cairn_error *err);
/* Waits until change id is ready (timeout_ms <= 0: the container's timeout); *ret_change
 * (may be NULL) receives the ready change.  Its err is CAIRN_ERR_CHANGE. */
int container_wait_change(struct cairn_container *c, const char *id, int timeout_ms, json_t **ret_change,
			  struct cairn_error *err);
/* An async request followed by the wait for its change (the container's timeout). */
int container_post_wait(struct cairn_container *c, const char *path, json_t *body, struct cairn_error *err);

/* Appends "&key=value" (or "key=value" first) to q, percent-encoding value. */
void query_add(struct buf *q, const char *key, const char *value);
/* Appends the names as one comma-separated value; does nothing for NULL or empty lists. */
void query_add_list(struct buf *q, const char *key, const char *const *names);
/* A JSON array of the NULL-terminated names (NULL on invalid UTF-8). */
json_t *names_json(const char *const *names);
/* Duplicates a JSON string member, or NULL. */
char *json_dup_str(json_t *o, const char *key);
/* An integer member, or def when it is absent or not an integer. */
int64_t json_int_or(json_t *o, const char *key, int64_t def);

/* Turns an API error whose Pebble kind is a file error (not-found, permission-denied,
 * generic-file-error) into CAIRN_ERR_PATH. */
int path_error(int r, struct cairn_error *err);

#endif
