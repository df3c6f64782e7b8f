/* api.h - the Pebble HTTP API (§9, §10): routing, access control (access.h: peer
 * credentials, named identities, basic auth), the JSON envelope and error kinds, and the per-request access log line.  Handlers live in
 * api_<area>.c, one file per resource (services, changes, layers, logs, signals, system,
 * identities, metrics, checks, notices); files and exec will get their own files.
 *
 * A handler receives a struct api_call (stack-allocated by the dispatcher).  It must answer
 * exactly once through one of the api_reply_* functions, either before returning or later
 * (long-polls copy the call into their own state, see api_call_copy). */
#ifndef SCREE_API_H
#define SCREE_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "daemon.h"
#include "http/http_server.h"

#define API_MAX_LIST 1024         /* items accepted in a list query parameter */
#define API_PATH_LOG_MAX 256      /* bytes of the path kept for the access log */
#define API_MAX_NOTICE_WAITERS 512 /* parked GET /v1/notices?timeout= requests */

/* Who may call an endpoint (§9.2): enum api_access (API_OPEN, API_USER, API_ADMIN,
 * API_METRICS) is defined with the decision table in access.h. */

struct api_call {
	struct scree *d;
	struct http_req *req;
	uint64_t t0_ns;                  /* for the access log duration */
	bool log_access;                 /* write the access line when answering */
	bool is_unix;
	char what[API_PATH_LOG_MAX];     /* "METHOD /path" for the access log */
	const char *args[4];             /* {id} path segments (borrowed from req->path copy) */
	char segs[API_PATH_LOG_MAX];     /* storage for args */
};

/* The http_server handler. */
void api_dispatch(struct http_server *s, struct http_req *req, void *data);
/* The http_server head handler: routes with a post_head handler see a POST request
 * before its body is read (after the same access check as api_dispatch). */
void api_dispatch_head(struct http_server *s, struct http_req *req, void *data);

/* Answers.  result is stolen (may be NULL: omitted).  After a reply call->req is gone. */
void api_reply_sync(struct api_call *call, json_t *result);
void api_reply_sync_status(struct api_call *call, int status, json_t *result);
/* Sync with a result that is already compact JSON text (len bytes; large lists are written
 * straight into a buffer rather than built as a tree). */
void api_reply_sync_text(struct api_call *call, const char *result, size_t len);
void api_reply_async(struct api_call *call, int change_id);
/* Async with a result (exec: task-id, environment, working-dir); result is stolen. */
void api_reply_async_result(struct api_call *call, int change_id, json_t *result);
void api_reply_error(struct api_call *call, int status, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Raw body with a custom content type (logs). */
void api_reply_raw(struct api_call *call, int status, const char *ctype, const void *body, size_t len);
/* Writes the access log line for status (used by streams, which answer piecemeal). */
void api_access_log(struct api_call *call, int status);

/* Parses a JSON request body into a new reference; on failure answers 400 with
 * "<prefix>: <error>" and returns NULL. */
json_t *api_decode_body(struct api_call *call, const char *prefix);
/* Collects a list query parameter (repeats and comma-separated values) as borrowed strings
 * into out (at most max). */
size_t api_param_list(struct api_call *call, const char *key, const char **out, size_t max);

/* Handlers (one per endpoint and method). */
void api_get_system_info(struct api_call *c);
void api_get_health(struct api_call *c);
void api_get_checks(struct api_call *c);
void api_post_checks(struct api_call *c);
void api_post_checks_refresh(struct api_call *c);
void api_get_notices(struct api_call *c);
void api_post_notices(struct api_call *c);
void api_get_notice(struct api_call *c);
void api_get_services(struct api_call *c);
void api_post_services(struct api_call *c);
void api_service_not_implemented(struct api_call *c);
void api_get_plan(struct api_call *c);
void api_post_layers(struct api_call *c);
void api_get_changes(struct api_call *c);
void api_get_change(struct api_call *c);
void api_post_change(struct api_call *c);
void api_get_change_wait(struct api_call *c);
void api_get_task(struct api_call *c);
void api_post_signals(struct api_call *c);
void api_get_logs(struct api_call *c);
void api_get_identities(struct api_call *c);
void api_post_identities(struct api_call *c);
void api_get_metrics(struct api_call *c);
void api_post_exec(struct api_call *c);
void api_get_task_websocket(struct api_call *c);
void api_get_files(struct api_call *c);
void api_post_files(struct api_call *c);
void api_post_files_head(struct api_call *c);

/* Daemon hooks into the API. */
void api_logs_notify(struct scree *d, struct service *s);
void api_shutdown(struct scree *d); /* drops parked waiters and followers */
void api_changes_shutdown(struct scree *d);
void api_logs_shutdown(struct scree *d);
/* A notice was added or repeated: answers the parked GET /v1/notices it matches. */
void api_notices_notify(struct scree *d, const struct notice *n);
void api_notices_shutdown(struct scree *d);
/* The exec of task_id has started: parked websocket connects go on (api_exec.c). */
void api_exec_started(struct scree *d, int task_id);
void api_exec_shutdown(struct scree *d);
void api_identities_shutdown(struct scree *d); /* drops requests waiting to commit */
void api_files_shutdown(struct scree *d); /* waits for make-dirs and remove jobs */

#endif
