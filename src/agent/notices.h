/* notices.h - one container's Pebble notices turned into workload events, as Juju's
 * pebble noticer does (charm-runtime.md §11.3).
 *
 * The watch long-polls `GET /v1/notices?users=all&after=<T>&timeout=30s` on the container's
 * socket through the agent's io table (asynchronous: the loop never blocks, and nothing
 * polls faster than Pebble answers), T being the last-repeated time of the last notice it
 * is done with.  Notices are taken one at a time, in order:
 *   - custom: an event for <c>-pebble-custom-notice (id, type, key);
 *   - change-update whose last-data kind is perform-check or recover-check: the change is
 *     read (`GET /v1/changes/<key>`); perform-check in Error gives <c>-pebble-check-failed,
 *     recover-check Done gives <c>-pebble-check-recovered (a 404, a change already pruned,
 *     counts as Error / Done), with the check name from last-data;
 *   - anything else is passed over.
 * An event waits until its hook has committed (notice_watch_committed) before the next
 * notice is looked at.  Where the unit's journal says the container's last committed notice
 * was, the watch starts (so an agent restart neither repeats nor skips an occurrence);
 * notices passed over are remembered in memory only, and looked at again after a restart
 * (which passes them over again).  Any failure - socket missing, Pebble restarting, a bad
 * answer - is retried after NOTICES_RETRY_MS.
 *
 * Handles: the watch is owned by the unit's container and freed with notice_watch_free()
 * (an outstanding request is cancelled); callbacks never run from inside the call that
 * caused them, except changed() from notice_watch_committed(). */
#ifndef CAIRN_AGENT_NOTICES_H
#define CAIRN_AGENT_NOTICES_H

#include <stdbool.h>

#include "agent/agent_io.h"
#include "agent/uniter.h"

#define NOTICES_WAIT_TIMEOUT "30s"         /* the long-poll Pebble holds */
#define NOTICES_POLL_TIMEOUT_MS 40000      /* our bound on it: Pebble's plus a margin */
#define NOTICES_CHANGE_TIMEOUT_MS 10000
#define NOTICES_RETRY_MS 1000              /* after any failure */
#define NOTICES_MAX_BODY (8u * 1024u * 1024u) /* 1000 notices with 4 KiB of data each */

struct notice_watch;

struct notice_watch_cbs {
	/* An event became ready, or the watch's busy state changed: the unit decides again. */
	void (*changed)(void *data);
	/* One line for the unit's log (level "DEBUG", "WARNING", ...). */
	void (*log)(void *data, const char *level, const char *msg);
	void *data;
};

/* Starts watching.  io is borrowed (it outlives the watch); committed may be NULL (nothing
 * committed yet for this container). */
struct notice_watch *notice_watch_new(const struct agent_io *io, const char *container,
				      const char *socket_path, const struct uniter_cursor *committed,
				      const struct notice_watch_cbs *cbs);
/* NULL is fine. */
void notice_watch_free(struct notice_watch *w);

/* The event waiting for its hook (borrowed, valid until the next call on w), or NULL. */
const struct uniter_notice *notice_watch_event(const struct notice_watch *w);
/* A notice hook of this container committed, for notice n: the watch moves past it (and past
 * anything not newer) and goes on. */
void notice_watch_committed(struct notice_watch *w, const struct uniter_notice *n);
/* Whether the watch has work in hand: a notice being looked at, or an event waiting. */
bool notice_watch_busy(const struct notice_watch *w);

#endif
