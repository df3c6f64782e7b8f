/* store.h - the machine agent's own store: $home/agents/machine-<N>/agent.db (SQLite, WAL).
 *
 * Holds, per unit, the uniter journal and what goes with it (next sequence number, the last
 * `resolved` acted on, the agent's copy of the workload status, the installed charm), the
 * outbox of sequenced messages the controller has not acknowledged, and the latest goals.
 * store_apply() writes one struct store_txn (agent_io.h) as one transaction; goals and the
 * deletion of acknowledged outbox rows are written behind, once per loop iteration, since the
 * controller sends goals again after every reconnect and acknowledges a resent message
 * without applying it again.  Nothing here logs. */
#ifndef CAIRN_AGENT_STORE_H
#define CAIRN_AGENT_STORE_H

#include "agent/agent_io.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

struct store;

/* Opens (creating as needed) the database at path.  l may be NULL: goals are then written at
 * once. */
int store_open(const char *path, struct loop *l, struct store **ret, struct errbuf *eb);
/* Writes pending goals and closes.  NULL is fine. */
void store_close(struct store *s);

int store_load(struct store *s, const struct store_visitor *v, void *arg, struct errbuf *eb);
/* Applies t in one transaction, with the goals still pending written first (so a journal
 * is never stored beside an older goal).  0, or -EIO (eb set): nothing written, the
 * pending goals kept. */
int store_apply(struct store *s, const struct store_txn *t, struct errbuf *eb);
void store_put_goal(struct store *s, const char *kind, const char *name, json_t *goal);
/* unit's outbox rows up to seq may go: written behind, with the goals. */
void store_drop_acked(struct store *s, const char *unit, int64_t seq);
/* Writes the pending goals and the dropped outbox rows now; returns 0 or -EIO (they stay
 * pending, for the next flush or store_apply()). */
int store_flush(struct store *s);
/* Deletes everything (teardown). */
int store_wipe(struct store *s, struct errbuf *eb);

#endif
