/* client.h - the CLI side of the CLI ⇄ controller protocol (docs/protocol.md §1).
 *
 * Finds the controller socket ($CAIRN_HOME/cairnd.sock, CAIRN_HOME defaulting to
 * ~/.local/share/cairn), starts a controller when none answers, and exchanges framed JSON
 * requests and responses.  Starting a controller: spawn `cairnd --daemon --ready-fd N` from
 * the directory of the running cairn binary, in its own session, with stdout/stderr appended
 * to $CAIRN_HOME/cairnd.log; cairnd writes one byte to fd N once it listens and then closes
 * it.  The client blocks on that pipe (with a deadline), never polls the socket.
 *
 * All errors are returned as a negative errno with a message in the errbuf; nothing here
 * prints. */
#ifndef CAIRN_CLI_CLIENT_H
#define CAIRN_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

/* How long to wait for a starting controller to report readiness. */
#define CLIENT_START_TIMEOUT_MS 60000
/* How long kill-controller waits for the controller to close its connection. */
#define CLIENT_STOP_TIMEOUT_MS 60000
/* Name of the controller binary, looked up beside the cairn binary. */
#define CLIENT_DAEMON_NAME "cairnd"

/* A controller error (the response had "ok": false); eb holds the controller's message. */
#define CLIENT_EREMOTE EREMOTEIO

struct client {
	int fd;          /* connection to the controller, -1 when closed */
	char *home;      /* $CAIRN_HOME, owned */
	char *sock_path; /* $CAIRN_HOME/cairnd.sock, owned */
	/* Extra arguments for a controller this client starts (borrowed; bootstrap --config). */
	const char *const *start_args;
	size_t n_start_args;
};

/* Resolves the paths.  Returns 0 or -errno (eb filled, e.g. when neither CAIRN_HOME nor HOME
 * is set). */
int client_init(struct client *c, struct errbuf *eb);
void client_done(struct client *c);

/* Connects to a running controller.  Returns 0, -ECONNREFUSED/-ENOENT when none answers,
 * or another -errno (eb filled). */
int client_connect(struct client *c, struct errbuf *eb);
/* Connects, starting a controller first when none answers.  *ret_started (may be NULL) tells
 * whether this call started it. */
int client_connect_or_start(struct client *c, bool *ret_started, struct errbuf *eb);

/* Sends one request frame (borrowed). */
int client_send(struct client *c, json_t *req, struct errbuf *eb);
/* Receives one frame.  Returns 0 and a new reference, -EPIPE on a clean EOF, or another
 * -errno (eb filled). */
int client_recv(struct client *c, json_t **ret, struct errbuf *eb);
/* Sends req and reads the response.  On {"ok": true} returns 0 and a new reference to
 * "result" (JSON null when absent); on {"ok": false} returns -CLIENT_EREMOTE with the
 * controller's "error" in eb. */
int client_call(struct client *c, json_t *req, json_t **ret_result, struct errbuf *eb);
/* Checks a response frame: 0 for ok, -CLIENT_EREMOTE (eb = the error) otherwise. */
int client_check_response(json_t *resp, struct errbuf *eb);

/* Blocks until process pid has exited, at most timeout_ms.  0 or -ETIMEDOUT. */
int client_wait_pid(int pid, int timeout_ms);

/* Blocks until the controller closes the connection (EOF or reset), at most timeout_ms.
 * Closes our end either way.  Returns 0 or -ETIMEDOUT. */
int client_wait_closed(struct client *c, int timeout_ms);

/* One-shot helper for the common case: connect (starting a controller when needed), call
 * op with the given arguments (req is borrowed and must already hold "op"), disconnect. */
int client_request(json_t *req, json_t **ret_result, struct errbuf *eb);
/* Like client_request, but hands back the response frame's body undecoded (its "ok" not
 * checked): for a big document passed through as it came (status --format json). */
int client_request_text(json_t *req, struct buf *ret_body, struct errbuf *eb);

#endif
