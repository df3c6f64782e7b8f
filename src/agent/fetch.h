/* fetch.h - a resource's content fetched from the controller by its fingerprint (resource-get
 * / resource-chunk, docs/protocol.md §3.6).
 *
 * Content travels as charms do: in PROTO_CHUNK_MAX chunks, one request outstanding per fetch
 * (a fetch holds one chunk in memory at most), resumed at the same offset after a reconnect,
 * written to <path>.part and checked against its SHA-256 before it is renamed to <path>, so a
 * file under its final name is always complete and correct.  Completion is an event (the
 * done callback); the controller's error for a chunk (the content is gone, the machine may
 * not have it) ends the fetch with that error.  One fetch per content runs at a time (the
 * controller's chunks name the content, not the fetch): another of the same content, for
 * another path, waits for it to end and then starts. */
#ifndef CAIRN_FETCH_H
#define CAIRN_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/errbuf.h"
#include "lib/loop.h"
#include "proto/agent_proto.h"

struct fetcher;
struct fetch;

/* send queues a message for the controller (0, or -ENOTCONN while the link is down). */
struct fetcher *fetcher_new(struct loop *l, int (*send)(void *data, const struct proto_msg *m),
			    void *send_data);
/* Cancels every fetch (no callbacks) and frees f.  NULL is fine. */
void fetcher_free(struct fetcher *f);
/* The link is up or down: requests wait for it, and an answer lost with it is asked again. */
void fetcher_link(struct fetcher *f, bool up);
/* A resource-chunk from the controller. */
void fetcher_chunk(struct fetcher *f, const struct proto_charm_chunk *c);

/* Fetches the content with this fingerprint (SHA-256 hex) and size into path (after the fetch
 * of the same content running, if one is).  done runs once, never from inside this call, with
 * NULL or the reason.  Returns 0 (and the fetch in *ret when not NULL, valid until done runs)
 * or a negative errno (eb): -EINVAL for a bad fingerprint, or the error creating <path>.part. */
int fetch_start(struct fetcher *f, const char *fingerprint, int64_t size, const char *path,
		void (*done)(void *arg, const char *error), void *arg, struct fetch **ret,
		struct errbuf *eb);
/* Abandons a fetch (done does not run; <path>.part is removed; the next fetch of its content
 * starts once the controller's answer in flight, if any, has come).  NULL is fine. */
void fetch_cancel(struct fetch *x);

#endif
