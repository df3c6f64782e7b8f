/* charmcache.h - the machine agent's charms, by content: fetched from the controller by
 * SHA-256 digest, kept once per digest, unpacked once, installed into units off the loop.
 *
 * $cache/<digest>.charm is the archive exactly as the controller stores it (checked against
 * its digest before it is kept), $cache/<digest>.d its unpacked tree.  An install needs the new
 * charm's tree and, on refresh, the old one's (to remove files the new charm dropped); missing
 * archives are fetched over the protocol in PROTO_CHUNK_MAX chunks, one request at a time (so a
 * fetch never holds more than one chunk in memory), resumed at the same offset after a
 * reconnect.  A fetched archive (<digest>.part, checked) is flushed to disk and renamed into
 * place by the worker that unpacks it, not on the loop.  Unpacking and installing run in
 * forked workers (lib/worker.h); installs waiting
 * at the same time go to one worker together, so deploying many units of one charm costs one
 * fork per batch, not per unit.  Completion is an event: the done callback of each install. */
#ifndef CAIRN_CHARMCACHE_H
#define CAIRN_CHARMCACHE_H

#include "agent/agent_io.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define CHARMCACHE_BATCH_MAX 256 /* installs handed to one worker */

struct charmcache;

/* send queues a message for the controller (0, or -ENOTCONN while the link is down). */
int charmcache_new(struct loop *l, const char *dir,
		   int (*send)(void *data, const struct proto_msg *m), void *send_data,
		   struct charmcache **ret, struct errbuf *eb);
/* Sets (or replaces) the function that sends to the controller. */
void charmcache_set_send(struct charmcache *c, int (*send)(void *data, const struct proto_msg *m),
			void *send_data);
/* Cancels everything (done is not called) and frees c. */
void charmcache_free(struct charmcache *c);

int charmcache_install(struct charmcache *c, const struct agent_install_req *req,
		       void (*done)(void *arg, const char *error), void *arg,
		       struct agent_install **ret, struct errbuf *eb);
void charmcache_cancel(struct charmcache *c, struct agent_install *op);
void charmcache_forget(struct charmcache *c, const char *digest);
void charmcache_chunk(struct charmcache *c, const struct proto_charm_chunk *chunk);
void charmcache_link(struct charmcache *c, bool up);
/* rm -rf dir in a worker. */
void charmcache_remove_tree(struct charmcache *c, const char *dir);

#endif
