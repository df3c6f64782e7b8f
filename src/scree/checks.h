/* checks.h - the check manager (§14): which checks run, when each one runs next, what
 * its outcome does to its counters, its status and its change, and the checkInfo and
 * health answers built from that.
 *
 * Each running check is a long-lived change: `perform-check` while it is up, with one
 * task of the same kind, and `recover-check` after it reached its failure threshold.  The
 * change's id is the check's change-id; the previous one is its prev-change-id.  The
 * manager is a state machine per check:
 *
 *     inactive --start--> performing --failures >= threshold--> recovering
 *     recovering --first success--> performing (new change) ; any --stop--> inactive
 *
 * Runs are scheduled like Go's ticker: one period after the check started, then every
 * period; a run is bounded by the effective timeout (min(timeout, period)), after which it
 * is cancelled and counts as the failure "check timed out after 3s".  Time, timers and the
 * probes themselves (HTTP, TCP, exec) come through struct checks_io, so every decision
 * here is pure and a unit test drives it with a fake clock (test-checks.c); the daemon
 * plugs in the loop-backed io of check_probe.h.
 *
 * The manager owns its check records and borrows the plan and the change store. */
#ifndef SCREE_CHECKS_H
#define SCREE_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "change.h"
#include "lib/errbuf.h"
#include "plan.h"

#define CHECK_DETAILS_MAX 1024       /* bytes of error details kept from one run */
#define CHECKS_MAX_REFRESH_WAITERS 64 /* parked POST /v1/checks/refresh requests per check */

enum check_state {
	CHECK_INACTIVE,
	CHECK_PERFORMING,
	CHECK_RECOVERING,
	CHECK_STATE_MAX,
};

/* checkInfo "status" values. */
enum check_status {
	CHECK_STATUS_UP,
	CHECK_STATUS_DOWN,
	CHECK_STATUS_INACTIVE,
	CHECK_STATUS_MAX,
};

/* The outcome of one run of a probe. */
struct check_result {
	bool ok;
	char err[ERRBUF_SIZE];             /* why it failed ("non-2xx status code 500") */
	char details[CHECK_DETAILS_MAX];   /* the lines after "; " in the task log, or "" */
};

/* An exec check's execution context, resolved from the plan (service-context applied,
 * §2.4).  Owned by the record. */
struct check_exec_ctx {
	struct plan_strmap environment;
	struct plan_opt_int user_id, group_id;
	char *user, *group, *working_dir;
};

struct check_waiter;
struct checks;

struct check {
	char *ck_name;
	struct plan_check *ck_config;      /* as in the plan (owned copy) */
	struct check_exec_ctx ck_exec;     /* exec checks only */
	enum check_state ck_state;
	int64_t ck_successes, ck_failures;
	int ck_change_id, ck_prev_change_id; /* 0 = none */
	struct task *ck_task;              /* the change's task while it is Doing */
	uint64_t ck_started_ms;            /* when the current change started */
	uint64_t ck_next_ms;               /* next scheduled run */
	bool ck_running;                   /* a run is in flight */
	bool ck_oneshot;                   /* ... a refresh of an inactive check (no counters) */
	uint64_t ck_deadline_ms;           /* ... and when it times out */
	struct check_waiter *ck_waiters;   /* refresh requests */
	size_t ck_nwaiters;
	void *ck_io;                       /* the io's per-check state */
	struct checks *ck_mgr;
};

/* Time, timers and probes (see the top of this file). */
struct checks_io {
	uint64_t (*now_ms)(void *io_data);                       /* monotonic */
	/* Arms ck's one timer at deadline_ms (0 = disarm); it calls checks_timer(). */
	void (*timer)(void *io_data, struct check *ck, uint64_t deadline_ms);
	/* Starts a run of ck's probe.  The outcome comes through checks_probe_done(), never
	 * from inside this call. */
	void (*probe_start)(void *io_data, struct check *ck);
	/* Cancels the run in flight: no outcome will be delivered. */
	void (*probe_cancel)(void *io_data, struct check *ck);
	/* ck is being freed: release ck->ck_io (the timer is already disarmed). */
	void (*forget)(void *io_data, struct check *ck);
};

/* Daemon hooks. */
struct checks_hooks {
	/* The check reached its failure threshold: run the on-check-failure actions (§13). */
	void (*failed)(void *data, const char *name);
};

struct checks {
	struct check **cm_v;               /* sorted by name */
	size_t cm_n;
	const struct plan *cm_plan;        /* borrowed; NULL until checks_set_plan */
	struct chg_store *cm_chg;
	const struct checks_io *cm_io;
	void *cm_io_data;
	const struct checks_hooks *cm_hooks;
	void *cm_data;
	bool cm_active;                    /* plans are applied (after the state was loaded) */
};

/* A refresh request (POST /v1/checks/refresh), owned by the caller until its callback
 * ran or it was cancelled.  The callback gets the record (its checkInfo after the run) and
 * the run's error, NULL if it passed. */
struct check_waiter {
	struct check_waiter *w_next;
	struct check *w_check;
	bool w_attached;                   /* waits for the run in flight */
	void (*w_cb)(struct check_waiter *w, const struct check *ck, const char *err);
	void *w_data;
};

const char *check_state_name(enum check_state s);
const char *check_status_name(enum check_status s);
enum check_status check_status_of(const struct check *ck);
/* "HTTP", "TCP" or "exec" (summaries: `Perform HTTP check "x"`). */
const char *check_kind_title(const struct plan_check *c);
/* min(timeout, period) in ns. */
int64_t check_effective_timeout(const struct plan_check *c);

void checks_init(struct checks *m, struct chg_store *chg, const struct checks_io *io, void *io_data,
		 const struct checks_hooks *hooks, void *data);
/* Cancels every run and frees every record (daemon exit; changes are left as they are). */
void checks_done(struct checks *m);

/* Hands over a new plan (borrowed until the next call).  Before checks_activate() it is
 * only remembered.  Afterwards (§6, §14): running checks whose configuration is unchanged
 * are untouched, changed ones are restarted with their counters reset, removed ones are
 * stopped and dropped, new ones start when their startup is enabled.  Synchronous: the
 * new changes exist when this returns. */
void checks_set_plan(struct checks *m, const struct plan *p);
/* Starts applying plans (called once the state file is loaded, so change ids continue
 * from the stored ones) and applies the current one. */
void checks_activate(struct checks *m);

/* POST /v1/checks {"action":"start"|"stop"}: names must all be in the plan, else -ENOENT
 * with eb = "cannot find checks in plan: a, b" (sorted).  On success *ret_changed is a new
 * JSON array of the names whose state changed, sorted ([] when none). */
int checks_start(struct checks *m, char *const *names, size_t n, json_t **ret_changed, struct errbuf *eb);
int checks_stop(struct checks *m, char *const *names, size_t n, json_t **ret_changed, struct errbuf *eb);
/* replan (§12): starts the startup-enabled checks that are not running. */
void checks_replan(struct checks *m);

/* POST /v1/checks/refresh: runs the check now (after the run in flight, if any) and calls
 * w->w_cb with the outcome.  -ENOENT if the check is not in the plan, -EBUSY beyond
 * CHECKS_MAX_REFRESH_WAITERS.  w (w_cb, w_data set) must stay valid until its callback
 * or checks_refresh_cancel(). */
int checks_refresh(struct checks *m, const char *name, struct check_waiter *w);
void checks_refresh_cancel(struct check_waiter *w);

struct check *checks_find(struct checks *m, const char *name);

/* Events from the io and the change runner. */
void checks_timer(struct checks *m, struct check *ck);
void checks_probe_done(struct checks *m, struct check *ck, const struct check_result *r);
/* chg_ops for perform-check and recover-check tasks. */
void checks_do_task(struct checks *m, struct task *t);
void checks_abort_task(struct checks *m, struct task *t);
/* State reload fixup: a check task found running is aborted (the check restarts with a new
 * change from the plan). */
void checks_fixup_task(struct task *t);
bool checks_is_check_task(const struct task *t);

/* checkInfo (§14), a new reference. */
json_t *check_info_json(const struct check *ck);
/* GET /v1/checks: level "" (any), "alive" or "ready"; names filter (n == 0: all). */
json_t *checks_info_json(struct checks *m, const char *level, char *const *names, size_t n);
/* GET /v1/health: false if a matching check is down (the matching rule of §14). */
bool checks_healthy(struct checks *m, const char *level, char *const *names, size_t n);

#endif
