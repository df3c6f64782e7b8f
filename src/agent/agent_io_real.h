/* agent_io_real.h - the real struct agent_io of cairn-agent: the loop's clock and timers,
 * hookrun.c, workload.c, pods.c (with fetch.c for resources), the charm cache, the SQLite
 * store and the link to the controller. */
#ifndef CAIRN_AGENT_IO_REAL_H
#define CAIRN_AGENT_IO_REAL_H

#include "agent/agent.h"
#include "agent/charmcache.h"
#include "agent/fetch.h"
#include "agent/pods.h"
#include "agent/link.h"
#include "agent/store.h"
#include "lib/hmap.h"
#include "lib/loop.h"

struct agent_real {
	struct loop *l;
	struct store *store;
	struct charmcache *cache;
	struct link *link;
	struct fetcher *fetcher;  /* resource content */
	struct pods *pods;        /* the machine's pods; NULL: containers never run as pods */
	struct agent *agent;      /* set once created; link events go to it */
	bool containers_mount_ok; /* HOOKRUN_CONTAINERS_MOUNT exists */
	bool containers_mount_tried;
};

/* Fills io to act through r.  r's members must be set before the agent runs. */
void agent_io_real(struct agent_real *r, struct agent_io *io);
/* Kills what is left of the hooks of an agent that died: processes whose environment names
 * socket_path as their agent's.  A blocking scan of /proc, for start-up only: a unit never
 * runs two hooks at once, not even across an agent crash. */
void agent_kill_leftover_hooks(const char *socket_path);
/* The link callbacks that feed r->agent. */
extern const struct link_cbs agent_real_link_cbs; /* .data must be set to r */

#endif
