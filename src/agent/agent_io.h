/* agent_io.h - everything the machine agent's runtime does to the world, as one table.
 *
 * The runtime (agent.c, unit.c) decides; this table acts: the clock and timers, spawning
 * hooks, the containers' screes and pods, fetching and installing charm files, the agent's own store
 * and the link to the controller.  cairn-agent fills it with the real thing (agent_io_real.c:
 * the loop, hookrun.c, workload.c, charmcache.c, store.c, link.c); the unit tests fill it with
 * a fake that steps a virtual clock and completes hooks and fetches at will (raft's raft_io
 * and its fixture, style.md §18).
 *
 * Conventions: every call takes the table's data pointer first.  Handles (timers, hook runs,
 * workloads, installs) are opaque to the runtime.  Callbacks the runtime passes in are never
 * called from inside the call that registers them, except where a comment says so. */
#ifndef CAIRN_AGENT_IO_H
#define CAIRN_AGENT_IO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/hookrun.h"
#include "agent/pods.h"
#include "agent/workload.h"
#include "lib/errbuf.h"
#include "proto/agent_proto.h"

struct agent_timer;
struct agent_install;
struct agent_pebble_req;
struct fetch;

/* One change of the agent's store, applied as one transaction (all or nothing). */
struct store_unit_row {
	const char *name;          /* "app/0" */
	const char *app;
	json_t *journal;           /* the uniter's journal (acknowledged state) */
	int64_t next_seq;          /* the next sequence number to give a message */
	int64_t resolved_gen;      /* the last `resolved` acted on */
	json_t *wl_status;         /* {"status","message","data","charm-set"}: the agent's copy */
	const char *charm_digest;  /* the charm whose files the unit has, or "" */
};

struct store_txn {
	const struct store_unit_row *unit; /* insert or replace this row (NULL: none) */
	const char *delete_unit;           /* forget this unit: row, goal and outbox */
	json_t *const *msgs;               /* outbox rows to add: the encoded messages */
	size_t n_msgs;
	const char *ack_unit;              /* delete ack_unit's outbox rows up to ack_seq */
	int64_t ack_seq;
};

/* What a store holds, handed back at start-up. */
struct store_visitor {
	void (*unit)(void *arg, const struct store_unit_row *row);
	void (*goal)(void *arg, const char *kind, const char *name, json_t *goal);
	/* Outbox rows come in (unit, seq) order. */
	void (*outbox)(void *arg, const char *unit, int64_t seq, json_t *msg);
};

/* A charm install request: put the files of charm `digest` (size bytes) into dir, removing
 * those of charm `old_digest` (or "") the new one lacks; files the charm wrote itself (e.g.
 * .unit-state.db) stay. */
struct agent_install_req {
	const char *unit;
	const char *dir;           /* the unit's charm directory */
	const char *digest;
	int64_t size;
	const char *old_digest;
};

struct agent_io {
	void *data;

	/* ---- clock ---- */
	uint64_t (*now_ms)(void *data);       /* monotonic */
	uint64_t (*wall_ns)(void *data);      /* for records and messages */
	uint64_t (*mono_ns)(void *data);      /* monotonic, for the timing figures only */
	double (*random)(void *data);         /* uniform in [0, 1): jitter */
	struct agent_timer *(*timer_new)(void *data, void (*cb)(void *arg), void *arg);
	void (*timer_arm)(void *data, struct agent_timer *t, uint64_t delay_ms);
	void (*timer_disarm)(void *data, struct agent_timer *t);
	bool (*timer_armed)(void *data, struct agent_timer *t);
	void (*timer_free)(void *data, struct agent_timer *t);  /* NULL-safe */
	/* Runs cb once the current event is handled. */
	void (*defer)(void *data, void (*cb)(void *arg), void *arg);

	/* ---- hooks (hookrun.h semantics: 1 = missing hook, nothing started) ---- */
	int (*hook_start)(void *data, const struct hookrun_env *env, const struct hookrun_cbs *cbs,
			  struct hookrun **ret, struct errbuf *eb);
	void (*hook_kill)(void *data, struct hookrun *h, int sig);
	void (*hook_free)(void *data, struct hookrun *h);
	/* The hook's process (its group leader), which alone may call its hook tools; NULL or
	 * 0: unknown, any caller holding the context id is accepted. */
	pid_t (*hook_pid)(void *data, struct hookrun *h);

	/* ---- workload containers (workload.h semantics) ---- */
	int (*workload_start)(void *data, const struct workload_opts *o, struct workload **ret);
	void (*workload_restart)(void *data, struct workload *w);
	void (*workload_destroy)(void *data, struct workload *w);
	void (*workload_detach)(void *data, struct workload *w);
	bool (*workload_settled)(void *data, struct workload *w);

	/* ---- Pebble: a container's API on its socket ---- */
	/* GET target (already escaped) on the Pebble listening at socket_path; done runs once,
	 * never from inside this call, with the HTTP status and the body (NUL-terminated), or
	 * status 0 and what failed.  timeout_ms bounds the exchange.  Returns 0, or a negative
	 * errno (done never runs). */
	int (*pebble_get)(void *data, const char *socket_path, const char *target,
			  uint64_t timeout_ms,
			  void (*done)(void *arg, int status, const char *body, size_t len,
				       const char *error),
			  void *arg, struct agent_pebble_req **ret);
	/* Abandons a request (done does not run). */
	void (*pebble_cancel)(void *data, struct agent_pebble_req *r);
	/* ---- pods: a unit's containers with images (pods.h semantics: unitpod_*) ---- */
	int (*pod_start)(void *data, const struct unitpod_opts *o, struct unitpod **ret, struct errbuf *eb);
	enum unitpod_state (*pod_update)(void *data, struct unitpod *p, const struct unitpod_container *c,
					 size_t n);
	void (*pod_restart)(void *data, struct unitpod *p, const char *container);
	bool (*pod_settled)(void *data, struct unitpod *p, const char *container);
	void (*pod_remove)(void *data, struct unitpod *p);
	void (*pod_destroy)(void *data, struct unitpod *p);
	void (*pod_detach)(void *data, struct unitpod *p);
	/* The unit is gone for good: remove a pod of it that has no handle (pods_remove_unit). */
	void (*pod_forget_unit)(void *data, const char *unit);
	/* Calls done once every pod is removed and the pod network is gone (teardown). */
	void (*pods_drain)(void *data, void (*done)(void *arg), void *arg);
	/* A resource-chunk message from the controller, for the fetch in progress. */
	void (*resource_chunk)(void *data, const struct proto_charm_chunk *c);
	/* ---- resource files (resource-get) ---- */
	/* Fetches the content with this fingerprint (SHA-256 hex) and size from the controller
	 * into path, as fetch.h's fetch_start does (<path>.part, checked, renamed into place;
	 * done runs once, never from inside this call, with NULL or the reason; a fetch of
	 * content being fetched already starts after that one).  Returns 0 or a negative errno
	 * (eb set; done never runs).  May be NULL (resources cannot be fetched). */
	int (*resource_fetch)(void *data, const char *fingerprint, int64_t size, const char *path,
			      void (*done)(void *arg, const char *error), void *arg,
			      struct fetch **ret, struct errbuf *eb);
	/* Abandons a fetch (done does not run; nothing is left at <path>.part). */
	void (*resource_cancel)(void *data, struct fetch *f);

	/* ---- charm files ---- */
	/* Fetches the charm (from the cache or the controller) and installs it; done runs once
	 * with NULL or an error message.  Returns 0 or a negative errno (eb set; done never
	 * runs). */
	int (*charm_install)(void *data, const struct agent_install_req *req,
			     void (*done)(void *arg, const char *error), void *arg,
			     struct agent_install **ret, struct errbuf *eb);
	/* Abandons an install (done does not run). */
	void (*charm_cancel)(void *data, struct agent_install *op);
	/* No unit on this machine needs charm digest any more: the cache may drop it. */
	void (*charm_forget)(void *data, const char *digest);
	/* A charm-chunk message from the controller, for the fetch in progress. */
	void (*charm_chunk)(void *data, const struct proto_charm_chunk *c);
	/* The link to the controller is up or down (fetches wait or resume). */
	void (*charm_link)(void *data, bool up);
	/* Removes a unit's directory tree (off the loop; completion is not reported). */
	void (*remove_tree)(void *data, const char *dir);

	/* ---- the agent's store ---- */
	int (*store_load)(void *data, const struct store_visitor *v, void *arg, struct errbuf *eb);
	int (*store_apply)(void *data, const struct store_txn *t, struct errbuf *eb);
	/* Keeps the latest goal (kind "app", "unit" or "meta"; goal NULL deletes).  Goals are
	 * sent again by the controller after every reconnect, so a store may write them late
	 * (after the current event), but never after a journal decided on them: a goal whose
	 * write failed is written with the next store_apply. */
	void (*store_put_goal)(void *data, const char *kind, const char *name, json_t *goal);
	/* unit's outbox rows up to seq were acknowledged: they may go, written behind like the
	 * goals (a lost write only means a harmless resend). */
	void (*store_drop_acked)(void *data, const char *unit, int64_t seq);

	/* ---- the controller ---- */
	/* Queues m for the controller.  0, or -ENOTCONN when the link is down (nothing
	 * queued; reliable messages stay in the outbox and are sent again on reconnect). */
	int (*send)(void *data, const struct proto_msg *m);
	/* The link seems dead (no answer to pings): drop it and reconnect. */
	void (*reconnect)(void *data);
};

#endif
