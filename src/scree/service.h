/* service.h - one supervised service: its state machine (Pebble §13), process, output and
 * deadlines.
 *
 * The machine is explicit: enum svc_state, one event function (svc_handle) that decides
 * every transition, and a legality table checked by the single place that changes state
 * (svc_set_state).  Okay-delay, kill-delay, fail-delay and backoff are loop timers, never
 * sleeps.  The machine knows nothing about changes or HTTP: it reports the outcome of a
 * start or a stop, output, and shutdown requests through struct svc_ops, and the service
 * manager (servmgr.h) turns those into task results.
 *
 *     initial --start--> starting --okay 1s--> running
 *     starting/running --exit--> backoff | exited | stopped (on-success/on-failure)
 *     starting/running --stop--> terminating --kill-delay--> killing --5s--> stopped
 *     terminating/killing --exit--> stopped (or backoff when restarting after a check)
 *     backoff --delay--> running (respawned) ; backoff --stop--> stopped
 *     stopped/backoff/exited --start--> initial --> starting ... */
#ifndef SCREE_SERVICE_H
#define SCREE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/errbuf.h"
#include "lib/loop.h"
#include "logring.h"
#include "plan.h"

#define SVC_OKAY_DELAY_MS 1000u      /* alive this long after spawn => running (§13) */
#define SVC_FAIL_DELAY_MS 5000u      /* after SIGKILL, give up waiting (§13) */
#define SVC_LAST_LOG_LINES 20        /* output lines quoted in a failed start's task log */
#define SVC_READ_CHUNK 4096          /* bytes read from a service's output per wakeup */

enum svc_state {
	SVC_INITIAL,
	SVC_STARTING,
	SVC_RUNNING,
	SVC_TERMINATING,
	SVC_KILLING,
	SVC_STOPPED,
	SVC_BACKOFF,
	SVC_EXITED,
	SVC_STATE_MAX,
};

/* API "current" values (§12, §13). */
enum svc_status {
	SVC_STATUS_INACTIVE,
	SVC_STATUS_ACTIVE,
	SVC_STATUS_BACKOFF,
	SVC_STATUS_ERROR,
	SVC_STATUS_MAX,
};

/* Inputs of the machine. */
enum svc_event {
	SVC_EV_START,          /* a start task asks for the service */
	SVC_EV_STOP,           /* a stop task asks it to stop */
	SVC_EV_ABORT_START,    /* the start task was aborted */
	SVC_EV_OKAY_TIMER,     /* okay delay elapsed */
	SVC_EV_EXIT,           /* the main process was reaped (arg = exit code, -1 if signalled) */
	SVC_EV_KILL_TIMER,     /* kill-delay after SIGTERM elapsed */
	SVC_EV_FAIL_TIMER,     /* fail delay after SIGKILL elapsed */
	SVC_EV_BACKOFF_TIMER,  /* backoff delay elapsed */
	SVC_EV_RESET_TIMER,    /* backoff-limit of stable running elapsed */
	SVC_EV_CHECK_FAILED,   /* a check listed in on-check-failure failed (arg = action) */
	SVC_EV_MAX,
};

struct service;

struct svc_ops {
	/* Outcome of SVC_EV_START: err NULL = running after the okay delay.  attempt is true
	 * when the process ran (and its output may explain err), false when it could not be
	 * started at all or the start was aborted. */
	void (*start_result)(void *data, struct service *s, const char *err, bool attempt);
	/* Outcome of SVC_EV_STOP: err NULL = stopped. */
	void (*stop_result)(void *data, struct service *s, const char *err);
	/* An action asks the daemon to exit with code (0, 10 or 11). */
	void (*shutdown)(void *data, struct service *s, int exit_code);
	/* New output was stored in s->sv_logs (fmt = formatted bytes, for --verbose). */
	void (*output)(void *data, struct service *s, const char *fmt, size_t n);
};

/* How to run the service: the manager builds it from the plan at each start. */
struct svc_launch {
	char **argv;           /* NULL-terminated (owned by the caller) */
	char **envp;           /* NULL-terminated (owned by the caller) */
	const char *cwd;       /* NULL = the daemon's */
	bool set_ids;
	uid_t uid;
	gid_t gid;
};

struct svc_reader; /* one output pipe being drained */

struct service {
	char *sv_name;
	struct plan_service *sv_config;   /* config of the last start (owned), NULL before */
	enum svc_state sv_state;
	pid_t sv_pid;                     /* main process while not yet reaped, else 0 */
	int sv_exit_code;
	struct logring sv_logs;           /* survives restarts of the service */
	struct loop_timer *sv_timer;      /* deadline of the current state */
	struct loop_timer *sv_reset_timer;/* backoff reset while running */
	int sv_backoff_num;
	int64_t sv_backoff_ns;            /* current backoff delay (without jitter) */
	bool sv_restarting;               /* terminating because of a check failure */
	bool sv_ever_started;
	uint64_t sv_start_count;          /* processes started, respawns included (metrics) */
	uint64_t sv_current_since_ns;     /* wall time the API "current" value last changed */
	struct svc_launch sv_launch;      /* kept for respawns from backoff (owned copies) */
	struct svc_reader *sv_readers;
	int sv_exec_fd;                   /* exec status pipe of the newest process, or -1 */
	struct loop_io *sv_exec_io;
	struct loop *sv_loop;
	const struct svc_ops *sv_ops;
	void *sv_data;
	void *sv_start_req;               /* manager's pending start task, if any */
	void *sv_stop_req;                /* manager's pending stop task, if any */
	uint64_t sv_rand;                 /* jitter PRNG state */
};

const char *svc_state_name(enum svc_state s);
const char *svc_status_name(enum svc_status s);
enum svc_status svc_status_of(enum svc_state s);
/* Whether state a may move to b (the legality table). */
bool svc_transition_legal(enum svc_state a, enum svc_state b);

/* Creates a service record in state initial.  name is copied. */
struct service *svc_new(struct loop *l, const char *name, const struct svc_ops *ops, void *data);
/* Frees the record; a live process is SIGKILLed and forgotten (shutdown only). */
void svc_free(struct service *s);

/* Replaces the config the service runs with (copied) and how to launch it (argv/envp
 * copied).  Call before SVC_EV_START. */
void svc_set_config(struct service *s, const struct plan_service *cfg, const struct svc_launch *launch);

/* Feeds one event to the machine.  Returns 0, or -EINVAL if the event makes no sense in
 * the current state (e.g. SVC_EV_START while terminating; eb says why). */
int svc_handle(struct service *s, enum svc_event ev, int arg, struct errbuf *eb);

/* Sends signo to the main process (§18): only while starting/running. */
int svc_signal(struct service *s, int signo, struct errbuf *eb);

#endif
