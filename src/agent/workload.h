/* workload.h - one workload container of a unit: a scree (the Pebble-compatible workload
 * manager) started and supervised by the agent.
 *
 * Each container has a directory <unit dir>/containers/<name>/ holding the scree's state
 * ($PEBBLE = state/), its socket (pebble.socket), its log (scree.log) and its pid
 * (scree.pid).  The scree runs in its own session, so it outlives a crash of the agent; a
 * restarted agent adopts a live scree it finds through the pid file (watching it with a
 * pidfd) instead of starting a second one.  When the scree exits it is started again.
 *
 * Each time a scree becomes ready the ready callback receives its boot id; the agent turns a
 * boot id it has not yet seen into <container>-pebble-ready (charm-runtime.md §11.2).  The
 * scree reports readiness itself, writing its boot id on a pipe (SCREE_READY_FD), so nothing
 * polls and nothing blocks; the id is kept in scree.boot-id beside the pid file, so an agent
 * that adopts the scree later knows it too. */
#ifndef CAIRN_WORKLOAD_H
#define CAIRN_WORKLOAD_H

#include <stdbool.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define WORKLOAD_BOOT_ID_MAX 64
#define WORKLOAD_RESTART_DELAY_MS 500  /* before restarting a scree that exited */

struct workload;

struct workload_opts {
	const char *name;        /* container name */
	const char *dir;         /* <unit dir>/containers/<name> */
	const char *scree_path;  /* the scree binary */
	/* A new boot id is ready (the scree answers on its socket). */
	void (*ready)(void *data, struct workload *w, const char *boot_id);
	/* One line for the unit's log. */
	void (*log)(void *data, struct workload *w, const char *level, const char *message);
	void *data;
};

/* Adopts the container's live scree or starts one.  Returns 0, or a negative errno. */
int workload_start(struct loop *l, const struct workload_opts *o, struct workload **ret);
/* Stops the scree and starts a new one (a new boot id): used on refresh. */
void workload_restart(struct workload *w);
/* Terminates the scree for good (unit removal) and frees w. */
void workload_destroy(struct workload *w);
/* Waits (blocking) until every scree workload_destroy() stopped has exited, killing those
 * still there after timeout_ms: for the end of an agent that tore everything down. */
void workload_wait_destroyed(int timeout_ms);
/* Frees w but leaves the scree running (agent shutdown): a later agent adopts it. */
void workload_detach(struct workload *w);
/* False from a (re)start of the scree until it has answered with its boot id. */
bool workload_settled(const struct workload *w);

#endif
