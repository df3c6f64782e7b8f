/* supervise.h - the machine agent of the controller's own machine (machine 0), run and
 * watched by cairnd.
 *
 * cairnd starts `cairn-agent run --home $CAIRN_HOME` in its own session, its output appended
 * to agents/machine-0/agent.log, and starts it again when it dies (after 200 ms, doubling up to
 * 10 s while it keeps dying young).  The agent is not tied to cairnd's life: when cairnd is
 * killed the agent goes on with its hooks, and the next cairnd adopts it - the pid in
 * agents/machine-0/agent.pid, if it is a cairn-agent for this home, is watched through a pidfd
 * and told to reconnect at once (SIGHUP) - rather than starting a second one. */
#ifndef CAIRN_SUPERVISE_H
#define CAIRN_SUPERVISE_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/errbuf.h"
#include "lib/loop.h"

#define SUPERVISE_RESTART_MIN_MS 200
#define SUPERVISE_RESTART_MAX_MS 10000
#define SUPERVISE_STABLE_MS 30000   /* an agent that lived this long restarts at once */

struct supervisor;

/* Adopts the running agent of home or starts one; agent is the cairn-agent binary; log is
 * called for what the controller's log should say. */
int supervise_start(struct loop *l, const char *home, const char *agent,
		    void (*log)(void *data, const char *level, const char *msg), void *data,
		    struct supervisor **ret, struct errbuf *eb);
/* Stops supervising: the agent is told to stop (SIGTERM) and waited for, at most timeout_ms,
 * then killed.  Blocking: for the end of cairnd only.  Frees s. */
void supervise_stop(struct supervisor *s, int timeout_ms);
/* Stops supervising without touching the agent (it stops by itself, e.g. after a teardown),
 * waiting at most timeout_ms for it to exit.  Frees s. */
void supervise_release(struct supervisor *s, int timeout_ms);
/* The agent's pid, 0 when none runs. */
pid_t supervise_pid(const struct supervisor *s);

#endif
