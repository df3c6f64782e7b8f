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

/* $PEBBLE_SOCKET, else $PEBBLE/.pebble.socket (a new string). */
char *cli_socket_path(void);
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

/* The string member key of o, or "" (borrowed). */
const char *cli_str(json_t *o, const char *key);
/* Appends s percent-encoded for a query string. */
void cli_query_escape(struct buf *b, const char *s);

/* A Go duration flag value ("1s", "500ms"); -1 with go-flags' message on a bad one. */
int cli_flag_duration(const char *flag, const char *val, int64_t *ret_ns, struct errbuf *eb);
/* A go-flags *int flag value ("--uid 1000"); -1 with go-flags' message on a bad one
 * ("invalid argument for flag `--uid' (expected *int): strconv.ParseInt: parsing \"x\":
 * invalid syntax"). */
int cli_flag_int(const char *flag, const char *val, int64_t *ret, struct errbuf *eb);
/* A go-flags choice option: 0 if val is one of the NULL-terminated choices (or NULL), else
 * -1 with "Invalid value `x' for option `--level'. Allowed values are: alive or ready". */
int cli_flag_choice(const char *flag, const char *val, const char *const *choices, struct errbuf *eb);

/* A YAML document written as Go's yaml.v3 writes structs: a block mapping with 4-space
 * indentation, strings plain unless they would read back as another type (then double
 * quoted) or hold newlines (then a literal block). */
struct cli_yaml;
struct cli_yaml *cli_yaml_new(void);
void cli_yaml_str(struct cli_yaml *y, const char *key, const char *val);
void cli_yaml_raw(struct cli_yaml *y, const char *key, const char *val); /* numbers, times, null */
void cli_yaml_map_begin(struct cli_yaml *y, const char *key);
void cli_yaml_map_end(struct cli_yaml *y);
/* Ends the document, prints it to stdout and frees y. */
void cli_yaml_print(struct cli_yaml *y);

/* The client's state file ($XDG_CONFIG_HOME/pebble/cli.json, else ~/.config/pebble/cli.json):
 * per socket path, when notices and warnings were last listed and okayed (§23 okay).  Times
 * are RFC 3339 strings; Go's zero time means "never". */
struct cli_state {
	char notices_last_listed[64], notices_last_okayed[64];
	char warnings_last_listed[64], warnings_last_okayed[64];
};
int cli_state_load(const char *socket_path, struct cli_state *ret, struct errbuf *eb);
int cli_state_save(const char *socket_path, const struct cli_state *st, struct errbuf *eb);
/* Whether a state time is set (not empty, not Go's zero time). */
bool cli_state_time_set(const char *t);

/* Verbs: argc/argv start at the verb's first argument.  Return 0 or -1 with eb set (or a
 * positive exit code to exit with silently). */
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
/* Checks (cli_checks.c); cli_health returns 1 (exit code 1, no error text) when unhealthy. */
int cli_checks(int argc, char **argv, struct errbuf *eb);
int cli_check(int argc, char **argv, struct errbuf *eb);
int cli_start_checks(int argc, char **argv, struct errbuf *eb);
int cli_stop_checks(int argc, char **argv, struct errbuf *eb);
int cli_health(int argc, char **argv, struct errbuf *eb);
/* Notices (cli_notices.c) and warnings (cli_warnings.c). */
int cli_notices(int argc, char **argv, struct errbuf *eb);
int cli_notice(int argc, char **argv, struct errbuf *eb);
int cli_notify(int argc, char **argv, struct errbuf *eb);
int cli_warnings(int argc, char **argv, struct errbuf *eb);
int cli_okay(int argc, char **argv, struct errbuf *eb);
/* `exec`: returns the remote command's exit code (0-255), or -1 with eb set. */
int cli_exec(int argc, char **argv, struct errbuf *eb);
/* `enter` (§22): the daemon with options o (hold unless run) for one subcommand
 * argv[0..argc), then stopped; without a subcommand, `run`.  Returns the exit code, or -1
 * with eb set. */
struct scree_opts;
int cli_enter(struct scree_opts *o, bool run, int argc, char **argv, struct errbuf *eb);
int cli_push(int argc, char **argv, struct errbuf *eb);
int cli_pull(int argc, char **argv, struct errbuf *eb);
int cli_ls(int argc, char **argv, struct errbuf *eb);
int cli_mkdir(int argc, char **argv, struct errbuf *eb);
int cli_rm(int argc, char **argv, struct errbuf *eb);

#endif
