/* agents.h - the controller's end of the agent protocol (docs/protocol.md §3).
 *
 * Listens for machine agents on an owner-only UNIX socket (the controller's own machine) and,
 * when configured, on TCP with TLS (every other machine).  An agent first says hello with its
 * machine's credential (or joins with a one-time token); a wrong or revoked credential is
 * refused.  An authenticated agent sees only its own machine: every message naming a unit is
 * checked against the unit's machine, and only its units' goals and charms reach it.
 *
 * Goals are pushed, not polled: a change marks the application (or unit) with a new goal
 * generation, and once per loop iteration the dirty ones are sent to the machines that host
 * them - one app-goal per machine for an application change, one unit-goal per changed unit,
 * held back while AGENTS_GOAL_HIGH_WATER bytes wait for the agent to read them.
 * Sequenced messages are applied once each (units.last_seq) and acknowledged after the goals
 * they caused, at the end of the iteration.
 *
 * Leadership: a leader keeps its lease while its machine's agent is connected and talks; when
 * the agent has been gone (or silent) for the lease duration, the leadership moves. */
#ifndef CAIRN_AGENTS_H
#define CAIRN_AGENTS_H

#include <stdbool.h>

#include "cairnd/controller.h"

#define AGENTS_MAX_CONNS 4096
/* Unit goals wait while this much output is queued for their agent (backpressure: a burst of
 * 10,000 goals goes out as the agent reads, not all into its queue at once); acks of their
 * units wait with them. */
#define AGENTS_GOAL_HIGH_WATER (1024u * 1024u)
#define AGENTS_JOIN_TOKEN_TTL_NS (24ULL * 3600 * 1000000000ULL)

struct agents;

/* Starts listening: unix_path always; TCP (TLS from tls_dir) when port >= 0.  A TCP bind
 * failure is not fatal: remote machines cannot connect then (agents_tcp_address says why). */
int agents_new(struct controller *c, const char *unix_path, const char *tls_dir,
	       struct agents **ret, struct errbuf *eb);
void agents_free(struct agents *s);

/* A new credential for machine mc: its hash replaces any earlier one in the model (which
 * revokes that), the password is written to password. */
int agents_new_credential(struct controller *c, struct model_machine *mc, char password[65],
			  struct errbuf *eb);

/* The address remote agents use ("10.0.0.1:17070"), or NULL with why filled. */
const char *agents_tcp_address(struct agents *s, const char **why);
/* The CA certificate's fingerprint (for join tokens). */
const char *agents_ca_fingerprint(struct agents *s);

/* The model changed: the goal of an application (and so of its units) or of one unit. */
void agents_app_changed(struct agents *s, struct model_app *a);
void agents_unit_changed(struct agents *s, struct model_unit *u);
/* unit left the model without its agent's help (forced removal): tell its machine. */
void agents_unit_removed(struct agents *s, const char *unit, int machine);
void agents_model_config_changed(struct agents *s);
/* Whether a unit (or, given an application name, any of its units) removed by force still
 * waits for its agent to confirm. */
bool agents_removing(struct agents *s, const char *unit_or_app);
/* The model is about to delete u (or a): every pointer to it goes. */
void agents_unit_forget(struct agents *s, struct model_unit *u);
void agents_app_forget(struct agents *s, struct model_app *a);
/* remove-machine: the machine's credential is gone; its agent is told to tear down and
 * disconnected. */
void agents_machine_removed(struct agents *s, int machine);

/* Whether the machine's agent is connected now. */
bool agents_connected(struct agents *s, int machine);
/* Whether it has been gone for longer than the lease (status shows it down, its units lost). */
bool agents_lost(struct agents *s, int machine);
/* When it connected or was last seen, 0 = never. */
uint64_t agents_since_ns(struct agents *s, int machine);

/* kill-controller: tells every connected agent to tear down; done runs when all confirmed (or
 * gone), or after CTL_DESTROY_TIMEOUT_MS. */
void agents_teardown(struct agents *s, void (*done)(void *data), void *data);

/* Whether machine 0's agent confirmed the teardown. */
bool agents_local_torn_down(struct agents *s);

/* The last hook timing figures machine 0's agent reported (bench), or NULL. */
json_t *agents_stats(struct agents *s, int machine);

#endif
