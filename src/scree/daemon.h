/* daemon.h - the scree daemon's context (`scree run`, §1, §22): directories, the event
 * loop, the HTTP server, plan, changes, services and persisted state, plus startup and
 * shutdown.  Every piece of mutable daemon state lives in struct scree and is passed
 * explicitly. */
#ifndef SCREE_DAEMON_H
#define SCREE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "change.h"
#include "checks.h"
#include "exec.h"
#include "http/http_server.h"
#include "identities.h"
#include "lib/buf.h"
#include "lib/loop.h"
#include "memtrim.h"
#include "notices.h"
#include "plan.h"
#include "servmgr.h"
#include "state.h"

#define SCREE_VERSION "v1.32.1"                     /* reported as Pebble's version (§21) */
#define SCREE_DEFAULT_DIR "/var/lib/pebble/default"
#define SCREE_SHUTDOWN_GRACE_MS 5100u               /* + max(kill-delays, 5 s) (§22) */
#define SCREE_EXIT_SERVICE_FAILURE 10
#define SCREE_EXIT_CHECK_FAILURE 11

/* `run --args SVC ARGS... ;` entries. */
struct scree_svc_args {
	char *service;
	char **args;
	size_t n;
};

/* Options of `scree run`. */
struct scree_opts {
	bool create_dirs;   /* --create-dirs */
	bool hold;          /* --hold: do not autostart */
	bool verbose;       /* -v/--verbose or PEBBLE_VERBOSE=1 */
	const char *http_addr; /* --http ADDR, NULL if absent */
	const char *identities_file; /* --identities FILE: seeded like a replace, NULL if absent */
	struct scree_svc_args *args;
	size_t n_args;
};

struct api_waiter;   /* api_changes.c */
struct api_follower; /* api_logs.c */
struct api_notice_waiter; /* api_notices.c */
struct api_ws_parked; /* api_exec.c */
struct api_ident_commit; /* api_identities.c */
struct api_files_op; /* api_files.c */
struct files_write; /* api_files_write.c */
typedef void (*scree_committed_fn)(void *data, int err, const char *msg);

struct scree {
	struct loop *loop;
	struct http_server *http;
	char *dir;             /* $PEBBLE */
	char *socket_path;
	char *layers_dir;
	uid_t uid;             /* the daemon's own uid: admin on the socket */
	struct scree_opts opts;
	char http_address[128];/* bound --http address, "" when none */
	char boot_id[40];      /* random per start; see daemon.c */
	struct buf sysinfo;    /* prebuilt GET /v1/system-info response body */

	struct plan *plan;
	struct state state;
	struct chg_store changes;
	struct servmgr sm;
	struct ident_store idents; /* named identities (§20), persisted in the state file */
	struct ident_store *idents_pending; /* being committed (scree_commit_identities), or NULL */
	scree_committed_fn idents_cb;
	void *idents_cb_data;
	struct api_ident_commit *ident_commits; /* POST /v1/identities in progress (api_identities.c) */
	struct checks checks;  /* health checks (§14) */
	struct notices notices; /* notices (§19), persisted in the state file */
	struct execmgr execs;  /* running exec tasks (§16) */
	struct memtrim mem;    /* freed memory goes back to the kernel */
	bool run_scheduled;

	/* Shutdown. */
	bool stopping;
	int exit_code;
	char exit_reason[64];     /* for the "Server exiting! Reason: ..." line */
	struct change *stop_chg;
	struct chg_watch stop_watch;
	struct loop_timer *stop_timer;

	/* API long-polls and streams (api_changes.c, api_logs.c). */
	struct api_waiter *waiters;
	struct api_follower *followers;
	struct api_notice_waiter *notice_waiters; /* parked GET /v1/notices?timeout= */
	size_t n_notice_waiters;
	struct api_ws_parked *ws_parked; /* websocket connects waiting for their exec */
	struct api_files_op *files_ops; /* make-dirs and remove requests being carried out */
	struct files_write *files_writes; /* multipart writes in progress (api_files_write.c) */
};

/* Runs the daemon until it stops; returns the process exit code (0, 10, 11, or 1 after
 * printing "error: ..." for a startup failure). */
int scree_run(const struct scree_opts *opts);

/* Replaces the plan (takes ownership of p) and hands it to the service manager. */
void scree_set_plan(struct scree *d, struct plan *p);

/* Begins the shutdown sequence (stop all services, then exit with exit_code). */
void scree_shutdown(struct scree *d, int exit_code);

/* Rebuilds the prebuilt system-info response. */
void scree_build_sysinfo(struct scree *d);

/* scree_committed_fn: the end of an identities commit: err 0 (the new identities are in
 * effect), or a negative errno with msg (nothing changed). */
/* Commits nw as the identities (§20): they take effect only once a state write holding
 * them has completed, so an API call that reports success loses nothing to a crash.
 * Returns 0 when nw is in effect at once (PEBBLE_PERSIST=never: nw receives the old store,
 * for the caller to free; cb is not called), 1 when the write runs (nw is emptied; cb
 * follows from the loop, even at daemon exit), or -EBUSY while another commit runs (one at
 * a time: each is computed from the identities in effect). */
int scree_commit_identities(struct scree *d, struct ident_store *nw, scree_committed_fn cb, void *data);

/* Logs one of upstream's security events (WARN level):
 * {"type":"security","datetime":...,"level":"WARN","event":event,"description":desc,"appid":"pebble"} */
void scree_log_security(const char *event, const char *description);

#endif
