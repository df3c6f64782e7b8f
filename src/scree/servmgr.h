/* servmgr.h - the service manager: turns service actions (start, stop, restart, autostart,
 * replan; §12) into changes whose tasks are laid out in lanes (§8), runs those tasks
 * against the service state machines (service.h), and answers service queries.
 *
 * The manager owns the service records (created at first start, kept for their logs) and
 * borrows the current plan (servmgr_set_plan after every plan change). */
#ifndef SCREE_SERVMGR_H
#define SCREE_SERVMGR_H

#include <jansson.h>
#include <stddef.h>

#include "change.h"
#include "lib/errbuf.h"
#include "lib/loop.h"
#include "plan.h"
#include "service.h"


/* Daemon hooks. */
struct servmgr_hooks {
	/* Service output was stored (fmt: formatted lines, for --verbose and log followers). */
	void (*output)(void *data, struct service *s, const char *fmt, size_t n);
	/* A service action asks the daemon to shut down with exit_code. */
	void (*shutdown)(void *data, int exit_code);
};

struct servmgr {
	struct loop *sm_loop;
	struct chg_store *sm_chg;
	const struct plan *sm_plan;        /* borrowed */
	struct service **sm_svcs;          /* sorted by name */
	size_t sm_nsvcs;
	const struct servmgr_hooks *sm_hooks;
	void *sm_data;
};

/* Why an action was refused. */
enum servmgr_refusal {
	SERVMGR_BAD_REQUEST = 1,           /* 400, plain message */
	SERVMGR_NO_DEFAULT_SERVICES,       /* 400, kind "no-default-services" */
};

void servmgr_init(struct servmgr *sm, struct loop *l, struct chg_store *chg,
		  const struct servmgr_hooks *hooks, void *data);
/* Frees every record, SIGKILLing processes still alive. */
void servmgr_done(struct servmgr *sm);
void servmgr_set_plan(struct servmgr *sm, const struct plan *p);

/* Creates the change for action ("start", "stop", "restart", "autostart", "replan") on
 * names.  Returns 0 and *ret (a change owned by the store), or a negative errno with
 * *ret_refusal and eb set (e.g. "must specify services for start action",
 * "no default services", "cannot start services: service \"x\" does not exist"). */
int servmgr_action(struct servmgr *sm, const char *action, char *const *names, size_t n,
		   struct change **ret, enum servmgr_refusal *ret_refusal, struct errbuf *eb);

/* The shutdown change "Stop all running services" (kind stop) for services that are
 * starting, running or in backoff; NULL if there are none. */
struct change *servmgr_stop_all(struct servmgr *sm);

/* Task runner entry points (chg_ops). */
void servmgr_do_task(struct servmgr *sm, struct task *t);
void servmgr_abort_task(struct servmgr *sm, struct task *t);
/* Reload fixup: a task that was running when the daemon stopped is not retried. */
void servmgr_fixup_task(struct task *t, void *data);

struct service *servmgr_find(struct servmgr *sm, const char *name);

/* GET /v1/services result for names (all plan services when n == 0). */
json_t *servmgr_services_json(struct servmgr *sm, char *const *names, size_t n);

/* POST /v1/signals: sends signame ("SIGHUP") to each service's main process.  On failure
 * eb holds the messages joined with "; " and -EINVAL/-ESRCH is returned. */
int servmgr_signal(struct servmgr *sm, const char *signame, char *const *names, size_t n,
		   struct errbuf *eb);

/* Appends the services' metrics (GET /v1/metrics, metrics.h) to out: for each service
 * record, by name, pebble_service_active (gauge) and pebble_service_start_count (counter). */
void servmgr_write_metrics(struct servmgr *sm, struct buf *out);

/* Signal number for "SIGHUP"-style names, or 0. */
int servmgr_signal_number(const char *name);

/* Check `check` reached its failure threshold: every service whose running config lists it
 * in on-check-failure gets that action (§13). */
void servmgr_check_failed(struct servmgr *sm, const char *check);

/* Resolves an execution context's user/group as upstream's NormalizeUidGid (names must
 * agree with ids; a user alone runs with its primary group; a group alone is an error).
 * *has is false when no identity was asked for.  0, or -EINVAL with eb set
 * ("user: unknown user bob", "must specify user, not just group"). */
int servmgr_resolve_ids(const struct plan_exec_ctx *ctx, bool *has, uid_t *ret_uid, gid_t *ret_gid,
			struct errbuf *eb);

#endif
