/* cli.h - the client side of the `scree` binary: one function per verb (cli_*.c) plus the
 * shared pieces: locating the socket ($PEBBLE_SOCKET, $PEBBLE/.pebble.socket), sending API
 * requests and unwrapping the envelope, waiting for changes, and Pebble's output helpers
 * (tab-aligned tables, human times).  Errors are printed by main as "error: <message>"
 * and exit 1 (§23). */
#ifndef SCREE_CLI_H
#define SCREE_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli_opts.h"
#include "http/http_client.h"
#include "lib/buf.h"
#include "lib/errbuf.h"

#define CLI_MAX_COLS 8
#define CLI_DEFAULT_LOG_LINES 30

struct cli {
	struct http_client *http;
	char *socket_path;
};

int cli_open(struct cli *c, struct errbuf *eb);
void cli_close(struct cli *c);

/* Sends a request with an optional JSON body.  On a "sync"/"async" envelope returns 0 with
 * *ret_env (new reference; may be NULL if unwanted); on an "error" envelope or a transport
 * failure returns a negative errno with eb holding the message. */
int cli_call(struct cli *c, const char *method, const char *target, json_t *body, json_t **ret_env,
	     struct errbuf *eb);
/* Waits until change id is ready; fails with the change's err text if it has one. */
int cli_wait_change(struct cli *c, const char *id, struct errbuf *eb);

/* A table printed as Go's tabwriter(minwidth 5, padding 2) prints it. */
struct cli_table {
	char **cells;
	size_t ncols, nrows;
};
void cli_table_init(struct cli_table *t, size_t ncols);
void cli_table_add(struct cli_table *t, const char *const *row);
void cli_table_print(struct cli_table *t);
void cli_table_done(struct cli_table *t);

/* "today at 15:04 UTC" style (upstream timeutil.Human); "-" for NULL/empty. */
void cli_human_time(const char *rfc3339, char *out, size_t n);
/* Parses an RFC 3339 time; 0 on failure. */
uint64_t cli_parse_time(const char *rfc3339);
/* Upstream's timeMixin.fmtTime: with abs, RFC 3339 to the second in the time's own offset
 * ("Z" for UTC), else cli_human_time; "-" for NULL/empty either way. */
void cli_fmt_time(const char *rfc3339, bool abs, char *out, size_t n);

/* Appends s percent-encoded for a query string. */
void cli_query_escape(struct buf *b, const char *s);

/* Verbs: argc/argv start at the verb's first argument.  Return 0 or -1 with eb set. */
int cli_services(int argc, char **argv, struct errbuf *eb);
int cli_service_action(const char *action, int argc, char **argv, struct errbuf *eb);
int cli_plan(int argc, char **argv, struct errbuf *eb);
int cli_add(int argc, char **argv, struct errbuf *eb);
int cli_changes(int argc, char **argv, struct errbuf *eb);
int cli_tasks(int argc, char **argv, struct errbuf *eb);
int cli_logs(int argc, char **argv, struct errbuf *eb);
int cli_signal(int argc, char **argv, struct errbuf *eb);
int cli_version(int argc, char **argv, struct errbuf *eb);
int cli_identities(int argc, char **argv, struct errbuf *eb);
int cli_identity(int argc, char **argv, struct errbuf *eb);
int cli_add_identities(int argc, char **argv, struct errbuf *eb);
int cli_update_identities(int argc, char **argv, struct errbuf *eb);
int cli_remove_identities(int argc, char **argv, struct errbuf *eb);

#endif
