/* resstore.h - the controller's resources (issue 11): what the operator supplies with
 * `deploy --resource`, `attach-resource` and `refresh --resource`, checked and kept by
 * content for the machine agents to fetch (resource-get, docs/protocol.md §3.6).
 *
 * Under $CAIRN_HOME/resources/:
 *   <fingerprint>          the content agents fetch, named by its SHA-256: a file resource
 *                          byte for byte; an oci-image as an oci-archive (a tar of an OCI image
 *                          layout holding that one image, tagged "image"), whichever form the
 *                          operator gave it in (layout directory, oci-archive, docker-archive)
 *   sources/<sha256>.json  for an image given as a file: what that exact file became, so the
 *                          same archive given again is not imported again
 *   oci/                   the image store (src/pod/image_store.h) imports go through
 *
 * An image is imported with skopeo and checked exactly as a machine's pod runtime checks it,
 * so a path that is missing, is not an image, is corrupt or is for another platform is
 * refused at deploy or attach-resource with the pod module's message ("<path>: not an OCI
 * image: a zip archive (a charm?)") instead of failing later on a machine.  Nothing is ever
 * downloaded.  Every long step (hashing, copying, importing, archiving) runs in a child; its
 * completion is an event. */
#ifndef CAIRN_RESSTORE_H
#define CAIRN_RESSTORE_H

#include <stdint.h>

#include "cairnd/model.h"
#include "lib/errbuf.h"
#include "lib/loop.h"

#define RESSTORE_IMAGE_DIGEST_MAX 80 /* "sha256:" + 64 hex digits + NUL */

struct resstore;
struct resstore_req;

/* What a resource's content became in the store. */
struct resstore_item {
	char fingerprint[65];    /* SHA-256 hex of the stored content */
	int64_t size;            /* its size in bytes */
	char image[RESSTORE_IMAGE_DIGEST_MAX]; /* oci-image: the manifest digest; else "" */
};

/* item (borrowed for the call), or NULL and error (worded for the operator, starting with
 * the path). */
typedef void (*resstore_done_fn)(void *data, const struct resstore_item *item, const char *error);

/* Opens the store under home/resources (created).  Returns 0 or a negative errno (eb). */
int resstore_new(struct loop *l, const char *home, struct resstore **ret, struct errbuf *eb);
/* Cancels pending requests (their callbacks do not run) and frees rs.  NULL is fine. */
void resstore_free(struct resstore *rs);

/* Stores the content of path (absolute) as a resource of type "file" (a regular file) or
 * "oci-image".  done runs once, never from inside this call.  Returns 0 (and the request in
 * *ret when not NULL, valid until done runs) or a negative errno (eb) when nothing started. */
int resstore_add(struct resstore *rs, const char *type, const char *path, resstore_done_fn done,
		 void *data, struct resstore_req **ret, struct errbuf *eb);
/* Abandons a request (done does not run).  NULL is fine. */
void resstore_cancel(struct resstore_req *r);

/* The path of a fingerprint's content (caller frees); NULL for a malformed fingerprint. */
char *resstore_path(struct resstore *rs, const char *fingerprint);
/* Deletes content (and imported images) that no application of m refers to, unless a
 * request is in flight. */
void resstore_gc(struct resstore *rs, struct model *m);

#endif
