/* agent.h - the machine agent: the uniters of every unit placed on one machine.
 *
 * One agent process per machine (cairn-agent, main.c) runs this runtime: it keeps its own copy
 * of each unit's goal and its own journal in its store, runs hooks one at a time per unit (at
 * most max_parallel at once on the machine), supervises the units' workload containers, and
 * talks to the controller only through the messages of proto/agent_proto.h.  Everything it
 * owes the controller (journals, commits, statuses, hook records, unit deaths) goes through a
 * per-unit outbox of sequenced messages kept in the store and sent again after a reconnect
 * until acknowledged; a hook counts as committed only once the controller acknowledged its
 * commit-hook.  So the agent resumes by itself after either side restarts.
 *
 * Leadership: the controller names each application's leader in its goal; the agent claims it
 * (is-leader, leader-elected) only while its lease is valid: for half the lease duration after
 * a ping the controller answered.  An agent cut off from the controller therefore stops
 * claiming leadership before the controller can give it to another unit.
 *
 * All effects go through struct agent_io (agent_io.h), so the unit tests drive the runtime with
 * a fake clock, fake hooks and a fake controller. */
#ifndef CAIRN_AGENT_H
#define CAIRN_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent_io.h"
#include "agent/hookctx.h"
#include "lib/errbuf.h"
#include "proto/agent_proto.h"

#define AGENT_VERSION "3.6.8"
#define AGENT_PEBBLE_READY_RETRY_MS 5000 /* a failed pebble-ready is queued again (§10) */
#define AGENT_OUT_HOLD_MS 50           /* a running hook's statuses reach the controller this late at most */
#define AGENT_QUERY_TIMEOUT_MS 20000     /* status-get --application waits at most this */
#define AGENT_LOG_BUFFER_MAX 10000       /* log records kept while the controller is away */
#define AGENT_COMMIT_RETRY_MS 1000       /* a failed local write after an ack is tried again */

struct agent;

struct agent_config {
	const char *home;         /* data dir: unit directories are home/agents/unit-<app>-<n> */
	const char *machine;      /* "0", "1", ... */
	const char *password;     /* the machine's credential */
	const char *tools_dir;    /* folder of hook-tool links, first on the hook PATH */
	const char *scree_path;   /* the scree binary, run once per workload container */
	const char *socket_path;  /* the hook-tool socket (JUJU_AGENT_SOCKET_ADDRESS) */
	const char *hostname;     /* reported in hello */
	json_t *addresses;        /* [string] reported in hello (borrowed) */
	/* network-get's document for the machine (agent/netinfo.h; borrowed), or NULL to
	 * derive one from addresses. */
	json_t *network;
	unsigned max_parallel;    /* hooks running at once on the machine (0 = 2 x CPUs) */
	/* The controller refused the agent (wrong or revoked credential): the agent cannot go
	 * on.  May be NULL. */
	void (*refused)(void *data, const char *why);
	/* teardown (kill-controller) is done: every unit and its workloads are gone. */
	void (*torn_down)(void *data);
	void *cb_data;
};

/* Loads the store and resumes every unit it holds (pending hooks run again, unacknowledged
 * messages wait for the link).  Returns 0 or a negative errno with eb set. */
int agent_new(const struct agent_config *cfg, const struct agent_io *io, struct agent **ret,
	      struct errbuf *eb);
/* Orderly stop: running hooks are killed and queued again, containers keep running for the
 * next agent to adopt, charm installs are abandoned.  NULL is fine. */
void agent_free(struct agent *a);

/* The link to the controller: up (the agent says hello), down, and every message received. */
void agent_link_up(struct agent *a);
void agent_link_down(struct agent *a);
void agent_receive(struct agent *a, const struct proto_msg *m);

/* The live hook context with this id (for the hook-tool server), or NULL. */
struct hook_ctx *agent_find_context(struct agent *a, const char *context_id);

/* Timing of the agent's own work around hooks (bench/): prep = dequeue to the spawn call
 * (resolver, journal write, statuses, context), spawn = fork/exec, commit = exit to the commit
 * message queued; charm file work is not counted. */
struct agent_stats {
	uint64_t hooks;
	uint64_t prep_ns, spawn_ns, commit_ns;
	uint64_t prep_max_ns, spawn_max_ns, commit_max_ns;
	uint64_t spawn_min_ns;    /* the fastest spawn: its cost on an idle CPU */
};
void agent_get_stats(const struct agent *a, struct agent_stats *ret);

/* Introspection for tests: a unit's runtime state ("idle", "error", "preparing", "running",
 * "committing", "dead") or NULL when the agent has no such unit; its journal (new reference). */
const char *agent_unit_state(struct agent *a, const char *unit);
json_t *agent_unit_journal(struct agent *a, const char *unit);
/* Whether the agent may claim leadership now (its lease is valid). */
bool agent_lease_valid(struct agent *a);

#endif
