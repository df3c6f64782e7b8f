/* charmstore.h - the controller's charm store: every charm revision kept as an archive named by
 * its SHA-256 digest, $CAIRN_HOME/charms/<digest>.charm, the content agents fetch.
 *
 * Adding a charm (deploy, refresh) is long work - validating and packing a directory, or
 * checking every entry of a .charm - so it runs in a forked worker (lib/worker.h) and ends as
 * an event.  A directory is packed deterministically (charm_pack), so the same tree always gives
 * the same digest; a .charm file is kept byte for byte once it unpacked safely and loaded. */
#ifndef CAIRN_CHARMSTORE_H
#define CAIRN_CHARMSTORE_H

#include "cairnd/model.h"
#include "charm/charm.h"
#include "lib/errbuf.h"
#include "lib/loop.h"
#include "lib/worker.h"

/* The charm is stored: digest and size of its archive and the charm loaded from it (the
 * callee owns it); or error (the charm is not valid, or cannot be stored). */
typedef void (*charmstore_done_fn)(void *data, const char *digest, int64_t size,
				   struct charm *charm, const char *error);

/* Adds the charm at path (a directory or a .charm file).  Returns 0 (done is called later) or a
 * negative errno with eb set. */
int charmstore_add(struct loop *l, struct model *m, const char *path, charmstore_done_fn done,
		   void *data, struct worker **ret, struct errbuf *eb);

/* Deletes archives that no application revision refers to any more. */
void charmstore_gc(struct model *m);

#endif
